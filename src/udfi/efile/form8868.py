"""Form 8868 (Application for Automatic Extension of Time To File an Exempt Organization Return) for
a Form 990-T of a trust: its own MeF submission, filed by the original due date.

- Part I return code: 05, "Form 990-T (sec. 401(a) or 408(a) trust)" (mef-990t.md §10). Every udfi
  account is one: a traditional, SEP or SIMPLE IRA is a §408(a) trust, a Solo 401(k) a §401(a) trust,
  and a Roth IRA is treated as an individual retirement plan (§408A(a)) [M: the form's caption does not
  name Roth IRAs].
- Line 1: the extended due date (6 months, the engine's `extended_due_date`).
- Line 3a: tentative tax less nonrefundable credits = the engine's Form 990-T Part III line 4 (total tax,
  after the credits of line 1).
- Line 3b: refundable credits and estimated tax payments, including a prior-year overpayment credited
  = Part III lines 6a + 6b (a payment made with this Form 8868 is line 6c of the return, not 3b).
- Line 3c: balance due = 3a − 3b, not below zero: what to deposit with the extension.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from udfi.efile.custodian import Custodian
from udfi.efile.data import RETURN_8868, element_map, reference, return_version
from udfi.efile.header import now_timestamp, return_header
from udfi.efile.mapping import fill
from udfi.efile.tree import Q, Document, serialize
from udfi.efile.values import whole_dollars
from udfi.efile.view import account_view

TRUST_990T = "05"


@dataclass(frozen=True)
class Extension:
    tentative_tax: int        # line 3a
    payments: int             # line 3b
    balance_due: int          # line 3c
    extended_due_date: str    # line 1
    due_date: str


def extension_lines(account: dict) -> Extension:
    part_iii = (account.get("form_990t") or {}).get("part_iii") or {}
    line = lambda key: whole_dollars(part_iii.get(key, 0), f"Form 990-T Part III line {key}")  # noqa: E731
    tentative = line("4")
    payments = line("6a") + line("6b")
    return Extension(tentative, payments, max(0, tentative - payments), str(account.get("extended_due_date", "")),
                     str(account.get("due_date", "")))


def extension_view(account: dict) -> dict:
    """The account view plus the Form 8868 lines the map names (return_code, line_3a–3c)."""
    lines = extension_lines(account)
    return {**account_view(account, []), "return_code": TRUST_990T, "line_3a": lines.tentative_tax,
            "line_3b": lines.payments, "line_3c": lines.balance_due}


def build_extension(account: dict, tax_year: int, custodian: Custodian | None = None, name_control: str | None = None,
                    timestamp: str | None = None) -> bytes:
    """8868.xml for one account object. Raises EfileValueError naming the field it cannot carry."""
    custodian = custodian or Custodian()
    version = return_version(RETURN_8868, tax_year, custodian.extension_return_versions)
    view = extension_view(account)
    if name_control:
        from udfi.efile.name_control import name_control as checked  # noqa: PLC0415

        view["efile"]["name_control"] = checked(view.get("name") or "", view["efile"]["ein"], name_control)
    ref = reference(tax_year)
    document = Document("IRS8868", ref, {"documentId": "IRS8868"})
    fill(document, element_map(tax_year).documents["IRS8868"], view)
    root = etree.Element(Q + "Return", nsmap={None: Q[1:-1]})
    root.set("returnVersion", version.version)
    root.append(return_header(view, tax_year, RETURN_8868, custodian, timestamp or custodian.return_timestamp
                              or now_timestamp(), ref, officer=False).element())
    data = etree.SubElement(root, Q + "ReturnData")
    data.set("documentCnt", "1")
    data.append(document.element())
    return serialize(root)
