"""Which figures the Check-a-year page explains, with the form's caption of each line (data), and
the part of an account's derivations (udfi.explain) they need."""

from __future__ import annotations

# (line key in the account object, with {property} for each Schedule A Part V column; caption on the form)
PART_V_LINES = (
    ("2", "Gross income from or allocable to debt-financed property"),
    ("3a", "Straight line depreciation"),
    ("3b", "Other deductions"),
    ("4", "Amount of average acquisition debt on or allocable to debt-financed property"),
    ("5", "Average adjusted basis of or allocable to debt-financed property"),
    ("6", "Divide line 4 by line 5 (debt/basis percentage)"),
    ("7", "Gross income reportable. Multiply line 2 by line 6"),
    ("9", "Allocable deductions. Multiply line 3c by line 6"),
)
RETURN_LINES = (
    ("schedule_a.part_i.4a", "Schedule A line 4a: Capital gain net income"),
    ("schedule_a.part_i.7c", "Schedule A line 7 (C): Unrelated debt-financed income, net"),
    ("schedule_a.part_ii.16", "Schedule A line 16: Unrelated business income before the net operating loss deduction"),
    ("schedule_a.part_ii.17", "Schedule A line 17: Deduction for net operating loss"),
    ("schedule_a.part_ii.18", "Schedule A line 18: Unrelated business taxable income"),
    ("form_990t.part_i.8", "Form 990-T Part I line 8: Specific deduction"),
    ("form_990t.part_i.11", "Form 990-T Part I line 11: Unrelated business taxable income"),
    ("form_990t.part_ii.2", "Form 990-T Part II line 2: Trusts taxable at trust rates"),
    ("form_990t.part_iii.4", "Form 990-T Part III line 4: Total tax"),
    ("form_990t.part_iii.7", "Form 990-T Part III line 7: Total payments"),
    ("form_990t.part_iii.9", "Form 990-T Part III line 9: Tax due"),
)
DEPTH = 3  # levels of inputs sent below each explained line


def explained_keys(account: dict) -> list[tuple[str, str]]:
    """(key, caption) of every explained line of `account` (an account object), in form order."""
    keys = []
    for item in account["properties"]:
        if not item["debt_financed"]:
            continue
        for line, caption in PART_V_LINES:
            keys.append((f"schedule_a.part_v.{item['property_id']}.{line}",
                         f"Schedule A Part V line {line} — {item['property_id']}: {caption}"))
    return keys + list(RETURN_LINES)


def explained_subset(account: dict, derivations: dict) -> list[dict]:
    """The explained lines with their derivation nodes down to DEPTH levels (shared nodes once)."""
    lines = []
    for key, caption in explained_keys(account):
        if key not in derivations:
            continue
        nodes: dict[str, dict] = {}
        frontier = [key]
        for _ in range(DEPTH + 1):
            following = []
            for name in frontier:
                if name in nodes or name not in derivations:
                    continue
                nodes[name] = derivations[name]
                following += [value["ref"] for value in derivations[name].get("inputs", {}).values()
                              if isinstance(value, dict) and "ref" in value]
            frontier = following
        lines.append({"key": key, "caption": caption, "nodes": nodes})
    return lines
