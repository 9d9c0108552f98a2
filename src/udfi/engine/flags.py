"""Plain-language warnings per account and year: loans, lender statements, the §514(c)(9) exception,
ignored ledger rows, overridden depreciation, history the ledger does not cover, carryovers and K-1s."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from udfi.engine.k1 import K1Interest
from udfi.engine.property_year import PropertyFacts, PropertyYear
from udfi.engine.schedule_a import ScheduleA
from udfi.engine.silos import Silos
from udfi.money import ZERO

RECONCILIATION_TOLERANCE = Decimal("0.50")


def year_flags(account_type: str, property_years: list[PropertyYear], ignored_rows: dict, tax_year: int) -> list[str]:
    flags = []
    year_start, year_end = dt.date(tax_year, 1, 1), dt.date(tax_year, 12, 31)
    for column in property_years:
        facts = column.facts
        for loan in facts.loans:
            active = loan.originated_on <= year_end and (loan.retired_on is None or loan.retired_on >= year_start)
            if not active:
                continue
            if loan.recourse:
                flags.append(f"{facts.property_id}: loan {loan.loan_id} is recourse — an IRA may borrow only "
                             "non-recourse; a recourse loan is a prohibited-transaction risk (IRC §4975(c)(1)(B))")
            if loan.lender_is_disqualified_person:
                flags.append(f"{facts.property_id}: loan {loan.loan_id} is from a disqualified person — "
                             "prohibited-transaction risk (IRC §4975(c)(1)(B))")
            if loan.purpose == "refinance" and loan.excess_at_origination > ZERO and loan.originated_on.year == tax_year:
                flags.append(f"{facts.property_id}: refinance {loan.loan_id} exceeded the old debt by "
                             f"{loan.excess_at_origination:,.2f}; the excess is treated as a separate debt that is not "
                             "acquisition indebtedness (Reg. §1.514(c)-1(c)(1)); repayments are apportioned pro rata")
            for as_of, stated in sorted(loan.statements.items()):
                if as_of.year != tax_year:
                    continue
                ledger_balance = loan.ledger_balance(as_of)
                if abs(stated - ledger_balance) > RECONCILIATION_TOLERANCE:
                    flags.append(f"{facts.property_id}: lender statement for {loan.loan_id} on {as_of.isoformat()} shows "
                                 f"{stated:,.2f} but the ledger implies {ledger_balance:,.2f} "
                                 f"(difference {stated - ledger_balance:,.2f}); the statement is used from that day on, less later repayments")
        if account_type == "solo_401k":
            if facts.qualified_organization_exception:
                flags.append(f"{facts.property_id}: §514(c)(9) exception applied — a qualified trust's real-property "
                             "acquisition debt is not acquisition indebtedness, so no UDFI")
            else:
                flags.append(f"{facts.property_id}: §514(c)(9) exception LOST — {facts.exception_lost_reason}")
        ignored = ignored_rows.get((facts.property_id, tax_year))
        if ignored:
            flags.append(f"{facts.property_id}: {ignored} ledger row(s) dated outside the holding period were ignored")
        if column.depreciation_overridden:
            flags.append(f"{facts.property_id}: depreciation taken from depreciation.csv "
                         f"({column.straight_line_depreciation:,.2f}) instead of the computed straight-line amount")
    return flags


def year_span(years: list[int]) -> str:
    return f"{years[0]}" if len(years) == 1 else f"{years[0]}–{years[-1]}" if years == list(range(years[0], years[-1] + 1)) \
        else ", ".join(str(year) for year in years)


def coverage_flags(own: list[PropertyFacts], ledger_years: dict[str, set[int]], years: range,
                    tax_year: int) -> list[str]:
    """Held property-years the ledger does not cover: before the roll-forward starts, or a gap."""
    flags = []
    for item in own:
        present = ledger_years.get(item.property_id, set())
        # the years held (`held_in`: from the year acquired through the year disposed of) before the start
        last_held = tax_year if item.disposed_on is None else min(tax_year, item.disposed_on.year)
        before = [year for year in range(item.acquired_on.year, min(last_held, years.start - 1) + 1)
                  if year not in present]
        if before:
            flags.append(f"{item.property_id}: held in {year_span(before)} but the ledger has no rows for "
                         f"{'that year' if len(before) == 1 else 'those years'}; the roll-forward starts in "
                         f"{years.start} and invents no history (give NOL and capital-loss carryovers into "
                         f"{years.start} in carryovers.csv)")
        if item.held_in(tax_year) and tax_year >= years.start and tax_year not in present:
            flags.append(f"{item.property_id}: held in {tax_year} but the ledger has no rows for it in {tax_year}; "
                         "the year is computed with no rent and no expenses")
    return flags


def carryover_flags(schedule: ScheduleA) -> list[str]:
    flags = []
    for item in schedule.nol.schedule:
        if item.expired:
            flags.append(f"pre-2018 NOL of {item.origin_year} ({item.expired:,}) expired unused after "
                         f"{item.expires_after} (20-year carryforward, IRC §172(b)(1)(A) before 2018)")
    if schedule.capital_loss_worksheet.line_2 and schedule.capital_loss_worksheet.line_5 < schedule.capital_loss_worksheet.line_2:
        flags.append("taxable income before the capital loss deduction is "
                     f"{'zero or less' if not schedule.capital_loss_worksheet.line_4 else 'small'}: only "
                     f"{schedule.capital_loss_worksheet.line_5:,} of the {schedule.capital_loss_worksheet.line_2:,} "
                     "capital loss deduction is used up; the rest carries over (IRC §1212(b)(2))")
    return flags


def k1_flags(silos: Silos, interests: list[K1Interest], must_file: bool) -> list[str]:
    """What a reviewer of a return with K-1s should look at."""
    flags = []
    for item in interests:
        if item.gross_income is None and not must_file:
            flags.append(f"K-1 {item.name}: gross_income not given — the filing test counted its UBTI "
                         f"({max(item.ubti, ZERO):,.2f}), a lower bound; with its gross income the return may be required")
        if item.qualification.test == "grace_period":
            flags.append(f"K-1 {item.name}: {item.qualification.explanation}")
    for silo in silos.items:
        if len(silo.activity_codes) > 1:
            flags.append(f"Schedule A for {silo.label}: its K-1s give several activity codes "
                         f"({', '.join(silo.activity_codes)}); item C shows {silo.activity_code}, the code of the "
                         "largest one")
        if silo.attached and silo.schedule.line_16 < 0 and len(silos.attached) > 1:
            flags.append(f"Schedule A for {silo.label}: a loss of {-silo.schedule.line_16:,} on line 16 stays in this "
                         "trade or business as its own NOL; it does not offset the other Schedules A (IRC §512(a)(6))")
    return flags
