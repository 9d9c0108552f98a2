"""How the engine's and the return header's flags (plain sentences) are sorted into topics.

The engine decides and words every flag (`udfi.engine.compute`, `udfi.engine.return_header`); this table
only names the situation each sentence describes, the return line it touches and its authority, so the
batch page can count "4 loans without a lender statement" across accounts. A flag no rule matches is
kept as it is under the topic "other flag". `{property}` in a line is the property the flag names.

Lines are keys of the account object (`return.json`, docs/return-json.md) or of its derivations
(`udfi explain`): `form_990t.<part>.<line>` in the canonical (2021–2022) numbering, moved to the tax
year's own number by `in_year`, as are `form_990t_items.*` (items B, C, K and the Part IV answers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from udfi.diagnostics.model import ASSUMPTION, FLAG, INFO, WARNING
from udfi.forms.layouts import MissingLayoutError, load_layout

F990T = "f990t"
F990T_PREFIXES = ("form_990t.", "form_990t_items.")  # the figures, and items B, C, K and Part IV


@dataclass(frozen=True)
class Rule:
    topic: str
    pattern: re.Pattern
    kind: str = FLAG
    line: str = ""
    authority: str = ""
    assumption: str = ""  # an id of schemas/assumptions.yaml (its README number is added to the authority)
    where: str = ""       # the input to look at when the flag's sentence names none


def _rule(topic: str, pattern: str, kind: str = FLAG, line: str = "", authority: str = "", assumption: str = "",
          where: str = "") -> Rule:
    return Rule(topic, re.compile(pattern), kind, line, authority, assumption, where)


FLAG_RULES: tuple[Rule, ...] = (
    _rule("recourse loan", r"loan \S+ is recourse", authority="IRC §4975(c)(1)(B)"),
    _rule("loan from a disqualified person", r"loan \S+ is from a disqualified person",
          authority="IRC §4975(c)(1)(B), §4975(e)(2)"),
    _rule("refinance beyond the old debt", r"refinance \S+ exceeded the old debt", line="schedule_a.part_v.{property}.4",
          authority="Treas. Reg. §1.514(c)-1(c)(1), (3); README Assumption 3"),
    _rule("lender statement differs from the ledger", r"lender statement for \S+ on .* but the ledger implies",
          line="schedule_a.part_v.{property}.4", authority="Treas. Reg. §1.514(a)-1(a)(3); README Assumption 4"),
    _rule("§514(c)(9) exception applied", r"§514\(c\)\(9\) exception applied", kind=ASSUMPTION,
          line="schedule_a.part_v.{property}.4", assumption="qualified_trust_exception"),
    _rule("§514(c)(9) exception lost", r"§514\(c\)\(9\) exception LOST", line="schedule_a.part_v.{property}.4",
          authority="IRC §514(c)(9)(B)(iv), (v)"),
    _rule("ledger rows outside the holding period", r"ledger row\(s\) dated outside the holding period",
          authority="README Assumption 18"),
    _rule("depreciation from depreciation.csv", r"depreciation taken from depreciation\.csv",
          line="schedule_a.part_v.{property}.3a", authority="IRC §514(a)(3); Treas. Reg. §1.514(a)-1(b)(2)(ii)"),
    _rule("improvement to land not depreciated", r"improvement of .* on land is added to basis but not depreciated",
          line="schedule_a.part_v.{property}.5", authority="Treas. Reg. §1.167(a)-2; README Assumption 19"),
    _rule("held years before the ledger starts", r"held in .* but the ledger has no rows for (that year|those years)",
          authority="README Assumption 20"),
    _rule("held year without ledger rows", r"the year is computed with no rent and no expenses",
          line="schedule_a.part_v.{property}.2", authority="README Assumption 20"),
    _rule("carryovers dated before the ledger", r"carryovers\.csv gives balances available to .* before the account",
          authority="README Assumption 20"),
    _rule("carryover replaced by carryovers.csv", r"carryovers\.csv sets the .* replacing",
          line="schedule_a.part_ii.17", authority="IRC §172(b)(2); README Assumption 10"),
    _rule("pre-2018 NOL expired", r"pre-2018 NOL of \d+ .* expired unused", line="form_990t.part_i.6",
          authority="IRC §172(b)(1)(A) (before 2018); README Assumption 10"),
    _rule("capital loss deduction limited", r"capital loss deduction is used up", line="schedule_a.part_i.4c",
          authority="IRC §1211(b), §1212(b)(2); README Assumption 9"),
    _rule("Form 2220 rate not published", r"estimated tax penalty \(Form 2220\) not computed", kind=ASSUMPTION,
          line="form_990t.part_iii.8", authority="IRC §6621, §6655; README Assumption 14"),
    _rule("estimated tax penalty", r"estimated tax penalty [\d,]+ \(Form 2220", kind=INFO, line="form_990t.part_iii.8",
          authority="IRC §6655; Form 2220; README Assumption 14"),
    _rule("tax under the filing threshold", r"tax is computed although gross unrelated income is under",
          line="form_990t.part_ii.7", authority="Treas. Reg. §1.6012-3(a)(5); README Assumption 11"),
    _rule("overpayment: credit or refund", r"overpayment of [\d,]+: choose on line 11", line="form_990t.part_iii.10",
          authority="Form 990-T Part III line 11; README Assumption 21"),
    _rule("account_years.csv rows disagree", r"account_years\.csv rows .* both answer tax year",
          line="form_990t_items.header.C", authority="Form 990-T items C and K, Part IV"),
    _rule("item C blank (no book value)", r"item C \(book value of all assets at end of year\) is blank",
          kind=ASSUMPTION, line="form_990t_items.header.C", authority="Form 990-T item C; README Assumption 24",
          where="account_years.csv, column book_value_eoy"),
    _rule("item K parent needed", r"item K is Yes, so the parent", line="form_990t_items.header.K",
          authority="Form 990-T item K"),
    _rule("foreign financial account (FBAR)", r"Part IV line 1 is Yes \(foreign financial account\)",
          line="form_990t_items.part_iv.1", authority="31 U.S.C. §5314; 31 C.F.R. §1010.350 (FinCEN Form 114)"),
    _rule("foreign account country needed", r"Part IV line 1 is Yes, so the country is needed",
          line="form_990t_items.part_iv.1", authority="Form 990-T Part IV line 1"),
    _rule("foreign trust", r"Part IV line 2 is Yes \(foreign trust\)", line="form_990t_items.part_iv.2",
          authority="IRC §6048; Form 3520"),
    _rule("accounting method change not described", r"change in accounting method was not described",
          line="form_990t_items.part_iv.6b", authority="Form 990-T Part IV (2020–2022 revisions)"),
    _rule("K-1 gross income not given", r"^K-1 .*: gross_income not given", kind=ASSUMPTION,
          line="gross_unrelated_income", authority="Treas. Reg. §1.6012-3(a)(5); README Assumption 23"),
    _rule("K-1 kept qualifying by the grace period", r"^K-1 .*grace period", authority="Treas. Reg. "
          "§1.512(a)-6(c) [M]; README Assumption 23"),
    _rule("silo item C from the largest K-1", r"^Schedule A for .*: its K-1s give several activity codes",
          authority="Treas. Reg. §1.512(a)-6(b) [M]; README Assumption 23"),
    _rule("silo loss kept as its own NOL", r"^Schedule A for .*: a loss of .* stays in this trade or business",
          authority="IRC §512(a)(6)(A); Treas. Reg. §1.512(a)-6(h)(1) [M]; README Assumption 23"),
    _rule("pre-2020 Form 990-T revision", r"is the pre-\d+ revision, which udfi does not lay out", kind=INFO,
          authority="Form 990-T (2020 revision)"),
)

# Validation warnings (`udfi validate`) that describe the same situation as an engine flag share its
# topic; other warnings are topic "<file> <column>".
WARNING_RULES: tuple[Rule, ...] = (
    _rule("recourse loan", r"a non-recourse loan: a recourse loan", kind=WARNING, authority="IRC §4975(c)(1)(B)"),
    _rule("loan from a disqualified person", r"a lender who is not a disqualified person", kind=WARNING,
          authority="IRC §4975(c)(1)(B), §4975(e)(2); IRC §514(c)(9)(B)(iv)"),
    _rule("duplicate ledger row", r"this row repeats an earlier row exactly", kind=WARNING),
    _rule("unknown column ignored", r"this column is ignored", kind=WARNING),
    _rule("lender statement differs from the ledger", r"a balance that agrees with the ledger within", kind=WARNING,
          authority="Treas. Reg. §1.514(a)-1(a)(3); README Assumption 4"),
    _rule("lender statement before the loan", r"a statement date on or after the loan's origination", kind=WARNING,
          authority="README Assumption 4"),
    _rule("held year without ledger rows", r"ledger rows in every year the property is held", kind=WARNING,
          authority="README Assumption 20"),
    _rule("ledger rows outside the holding period", r"holding period", kind=WARNING,
          authority="README Assumption 18"),
    _rule("SSN-shaped text", r"(?i)SSN|social security", kind=WARNING,
          authority="IRC §6104(d) (Form 990-T may be made public); README Data safety"),
)


@lru_cache(maxsize=16)
def _layout(tax_year: int):
    try:
        return load_layout(F990T, tax_year)
    except MissingLayoutError:
        return None  # a pre-2020 year: the 2020+ numbers are used (the return header says so)


@lru_cache(maxsize=4096)  # a few dozen line keys, asked for every item of every account
def in_year(line: str, tax_year: int) -> str:
    """A canonical Form 990-T line key in `tax_year`'s own numbering; "" when the revision lacks it."""
    prefix = next((prefix for prefix in F990T_PREFIXES if line.startswith(prefix)), None)
    layout = _layout(tax_year) if prefix else None
    if layout is None:
        return line
    canonical = line[len(prefix):]
    own = layout.renumbered.get(canonical, canonical)
    return prefix + own if layout.has_line(own) else ""


def match(rules: tuple[Rule, ...], text: str) -> Rule | None:
    return next((rule for rule in rules if rule.pattern.search(text)), None)
