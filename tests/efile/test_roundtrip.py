"""Round trip: every XML written is parsed back and each mapped element compared with the account
object (return.json) it came from — the sample book and a synthetic book, every year 2020–2026."""

from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree

from udfi.efile.checks import bare
from udfi.efile.custodian import Custodian, Officer, Preparer
from udfi.efile.data import element_map, reference, return_version
from udfi.efile.reader import expected_leaves, mapped_lines, mapped_paths, parse
from udfi.efile.returns import build_return
from udfi.efile.values import lookup
from udfi.efile.view import account_view, silo_views

from conftest import TIMESTAMP, YEARS

CUSTODIAN = Custodian(officer=Officer("Jane Q Officer", "Trust Officer", "6145550100", True),
                      preparer=Preparer("Alex Preparer", "P01234567", "6145550101", False, "Preparer Firm LLP",
                                        "123456789", {"line1": "10 Main St", "line2": "", "city": "Columbus",
                                                      "state": "OH", "zip": "43215"}))


def _value_at(context: dict, key: str):
    """The account object's value for a line key with its list positions filled in ('a.b[1].c')."""
    plain = re.sub(r"\[\d+\]", "[]", key)
    positions = tuple(int(p) for p in re.findall(r"\[(\d+)\]", key))
    return dict(lookup(context, plain.split("=")[0].rstrip("?"))).get(positions)


def check_round_trip(account: dict, details, year: int) -> int:
    xml = build_return(account, year, CUSTODIAN, details, timestamp=TIMESTAMP)
    parsed = parse(xml)
    assert (parsed.tax_year, parsed.return_type) == (year, "990T")
    assert parsed.return_version == return_version("990T", year).version
    maps = element_map(year)
    silos = silo_views(account)
    view = account_view(account, silos)
    by_name: dict[str, list] = {}
    for name, attributes, leaves in parsed.documents:
        by_name.setdefault(name, []).append((attributes, leaves))

    # 1. Each mapped document holds exactly what the map writes for its context.
    contexts = [("IRS990T", view)] + [("IRS990TScheduleA", silo) for silo in silos]
    contexts += [(name, view) for name, doc_map in maps.documents.items()
                 if doc_map.present and isinstance(account.get(doc_map.present), dict)]
    seen: dict[str, int] = {}
    for name, context in contexts:
        position = seen.get(name, 0)
        seen[name] = position + 1
        _, leaves = by_name[name][position]
        doc_map = maps.documents[name]
        mapped = mapped_paths(doc_map)
        actual = {steps: text for steps, text in leaves.items() if bare("/".join(n for n, _ in steps)) in mapped}
        assert actual == expected_leaves(doc_map, context), (account["account_id"], year, name)

    # 2. Read back by line key, amounts equal the account object's whole-dollar lines.
    checked = 0
    silo_of = {}
    for line in mapped_lines(parsed):
        context = silos[line.sequence - 1] if line.document == "IRS990TScheduleA" else view
        value = _value_at(context, line.key)
        if line.element.endswith("Amt"):
            assert int(line.text) == int(Decimal(str(value))), (line, value)
            checked += 1
        elif line.element.endswith("Pct"):
            assert Decimal(line.text) * 100 == Decimal(value), (line, value)
        silo_of[line.key] = line
    # 3. documentCnt, unique documentIds, every reference resolves, every element in the reference.
    root = etree.fromstring(xml)
    ns = {"e": "http://www.irs.gov/efile"}
    data = root.find("e:ReturnData", ns)
    assert int(data.get("documentCnt")) == len(data) == len(parsed.documents)
    ids = [child.get("documentId") for child in data]
    assert len(set(ids)) == len(ids) and all(ids)
    for element in root.iter():
        target = element.get("referenceDocumentId")
        if target:
            assert target in ids, (element.tag, target)
    ref = reference(year)
    for name, _, leaves in parsed.documents:
        for steps in leaves:
            assert ref.has(name, "/".join(n for n, _ in steps)), (name, steps)
    for steps in parsed.header:
        assert ref.has("ReturnHeader", "/".join(n for n, _ in steps)), steps
    # 4. Deterministic bytes.
    assert build_return(account, year, CUSTODIAN, details, timestamp=TIMESTAMP) == xml
    return checked


def test_round_trip_sample_book_every_year(sample_accounts):
    for year in YEARS:
        amounts = sum(check_round_trip(account, details, year) for account, details in sample_accounts[year])
        assert amounts > 20, year


def test_round_trip_synthetic_book_every_year(synthetic_accounts):
    for year in YEARS:
        for account, details in synthetic_accounts[year]:
            check_round_trip(account, details, year)


def test_amounts_from_a_known_return(sample_accounts):
    # IRA-CHEN 2022 (fixtures/sample): UBTI 9,169 − specific deduction 1,000 = 8,169 (Part I line 11);
    # tax at trust rates 1,576; estimated payments 400; estimated tax penalty 5 (Form 2220: required
    # installments 141.25 = 565 (the 2021 tax) ÷ 4; (a) 141.25 × 4% × 58/365 = 0.90, (c) 23.75 late
    # 2022-09-15 → 2023-04-18 = 0.90, (d) 141.25 late 2022-12-15 → 2023-04-18 = 3.30; 5.10 → 5);
    # balance due 1,576 + 5 − 400 = 1,181.
    account, details = next(item for item in sample_accounts[2022] if item[0]["account_id"] == "IRA-CHEN")
    lines = {line.key: line.text for line in mapped_lines(parse(build_return(account, 2022, CUSTODIAN, details,
                                                                             timestamp=TIMESTAMP)))}
    assert lines["form_990t.part_i.11"] == "8169"
    assert lines["form_990t.part_iii.8"] == "5"
    assert lines["form_990t.part_iii.9"] == "1181"
    assert lines["form_990t.part_iii.6b"] == "400"
    assert lines["properties[0].part_v.6"] == "0.692172"   # 69.2172 % as a ratio
    assert "form_990t.part_iii.6a" not in lines            # optional zero amount omitted
    assert lines["form_990t.part_iii.4"] == "1576"
