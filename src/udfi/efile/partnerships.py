"""The statement Schedule A Part I line 5 asks for ("attach statement"): one row per partnership whose
K-1 UBTI the line adds, with its name, EIN, amount and why it is on this Schedule A.

Written as a `GeneralExplanationAttachment` (the free-form statement of the MeF stylesheets,
mef-990t.md §6) linked from `TotalPrtshpSCorpIncomeAmt` by @referenceDocumentId; which statement type
the XSD wants on line 5 is not known here [M]. The amounts are the whole dollars of the line, so the
rows add up to it.
"""

from __future__ import annotations

from udfi.efile.tree import Document, parse_path
from udfi.efile.values import element_text, whole_dollars

DOCUMENT = "GeneralExplanationAttachment"


def statement_id(sequence: int) -> str:
    return f"PrtshpIncome-{sequence}"


def partnership_statement(silo: dict, reference, sequence: int) -> Document | None:
    """The line 5 statement of one Schedule A view (None when the silo has no partnership)."""
    rows = silo.get("partnerships") or []
    if not rows:
        return None
    document = Document(DOCUMENT, reference, {"documentId": statement_id(sequence)})
    where = (f"Schedule A (Form 990-T) {sequence} of {silo.get('#sequence_total', 1)}, Part I, line 5")
    total = whole_dollars((silo.get("schedule_a") or {}).get("part_i", {}).get("5", 0), "Schedule A line 5")
    total_shown = f"({abs(total):,})" if total < 0 else f"{total:,}"
    for index, row in enumerate(rows):
        amount = whole_dollars(row.get("ubti", 0), f"K-1 {row.get('partnership_id')} ubti")
        shown = f"({abs(amount):,})" if amount < 0 else f"{amount:,}"
        why = {"de_minimis": "qualifying partnership interest (de minimis test)",
               "participation": "qualifying partnership interest (participation test)",
               "grace_period": "qualifying partnership interest (grace period)"}.get(
            row.get("test"), f"partnership trade or business, activity code {silo.get('activity_code')}")
        values = {"IdentifierTxt": row.get("partnership_name"), "FormAndLineReferenceDesc": where,
                  "MediumExplanationTxt": f"EIN {row.get('partnership_ein')}; share of unrelated business taxable "
                                          f"income (Schedule K-1 (Form 1065) box 20 code V) {shown}; {why}. "
                                          f"Total of line 5: {total_shown}."}
        for name, value in values.items():
            field = f"{DOCUMENT} partnership {row.get('partnership_id')} {name}"
            text = element_text(value, name, field, required=True)
            document.set((("GeneralExplanationGrp", index),) + parse_path(name), text)
    return document
