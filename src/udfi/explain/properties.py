"""Derivations of one property's Part V column and its sale, down to ledger rows."""

from __future__ import annotations

from decimal import Decimal


from udfi.engine.property_year import INCOME_CATEGORIES, PropertyYear
from udfi.money import ZERO, percent_str, whole_dollars
from udfi.statements.figures import CITE, asset_lines, depreciation_years, table_name

from udfi.explain.base import NON_INTEREST, _m
from udfi.explain.loans import LoanDerivations


class PropertyDerivations(LoanDerivations):
    def ledger_sum(self, column: PropertyYear, category: str, amount: Decimal, loan_id: str | None = None) -> str:
        facts = column.facts
        key = f"property.{facts.property_id}.{category}" + (f".{loan_id}" if loan_id else "")
        rows = [] if self.rows is None else self.rows.ledger(facts, self.year, (category,), loan_id)
        return self.add(key, _m(amount), f"sum of the {category.replace('_', ' ')} rows of the ledger dated "
                        f"{column.first_day_held.isoformat()}–{column.last_day_held.isoformat()} (holding period in "
                        f"{self.year})", {}, CITE["deductions"] if category not in INCOME_CATEGORIES else CITE["gross_income"],
                        source=self._source("ledger", rows, property_id=facts.property_id, category=category,
                                            loan_id=loan_id, year=self.year))

    def depreciation(self, column: PropertyYear, year: int) -> str:
        facts = column.facts
        key = f"property.{facts.property_id}.depreciation.{year}"
        if key in self.nodes:
            return key
        amount, overridden = facts.depreciation_for_year(year)
        if overridden:
            rows = self._rows_of("depreciation", property_id=facts.property_id, tax_year=year)
            return self.add(key, _m(amount), "taken from depreciation.csv instead of the computed amount", {},
                            CITE["depreciation"], source=self._source("depreciation", rows,
                                                                      property_id=facts.property_id, tax_year=year))
        inputs = {}
        for asset in (item for item in asset_lines(facts, year) if item.placed_in_service.year <= year):
            label = f"{asset.label}: basis {_m(asset.basis)}, in service {asset.placed_in_service.isoformat()}, " + (
                f"{asset.recovery_system} {asset.recovery_years} years, mid-month" if asset.recovery_years else "land")
            inputs[label] = _m(asset.for_year)
        improvement_rows = [row for asset in facts.assets if asset.placed_in_service.year <= year
                            for row in asset.source_rows]
        source = None
        if improvement_rows:
            source = {"file": table_name(self.book, "ledger"), "filter": {"property_id": facts.property_id,
                                                                        "category": "improvement"},
                      "rows": sorted(improvement_rows), "count": len(improvement_rows)}
        return self.add(key, _m(amount), "Σ over the building and each improvement of depreciable basis × months in "
                        "service that year (half months for the mid-month convention) ÷ (recovery years × 12), "
                        "straight line, to the cent", inputs, CITE["depreciation"], source=source)

    def accumulated(self, column: PropertyYear, through: int) -> str:
        facts = column.facts
        key = f"property.{facts.property_id}.accumulated_depreciation.{through}"
        if key in self.nodes:
            return key
        years = depreciation_years(facts, through)
        inputs = {str(year): self.ref(self.depreciation(column, year)) for year, _, _ in years}
        return self.add(key, _m(facts.accumulated_depreciation_through(through)),
                        f"all depreciation from the first year in service through {through}, including years the "
                        "account was not taxed", inputs, CITE["aab"])

    def basis(self, column: PropertyYear, which: str) -> str:
        facts = column.facts
        first = which == "first_day"
        day = column.first_day_held if first else column.last_day_held
        key = f"property.{facts.property_id}.adjusted_basis.{which}"
        improvements = column.improvements_first_day if first else column.improvements_last_day
        basis = column.basis_first_day if first else column.basis_last_day
        rows = sorted(row for when, _, row in facts.improvements if when <= day)
        properties_rows = self._rows_of("properties", property_id=facts.property_id)
        inputs = {"cost (properties)": _m(facts.cost_basis), f"improvements through {day.isoformat()}": _m(improvements),
                  "less accumulated depreciation": self.ref(self.accumulated(column, self.year - 1 if first else self.year))}
        source = self._source("properties", properties_rows, property_id=facts.property_id)
        if rows:
            source["improvement_rows"] = {"file": table_name(self.book, "ledger"), "rows": rows, "count": len(rows)}
        return self.add(key, _m(basis), f"cost + improvements − accumulated depreciation, on {day.isoformat()} (the "
                        f"{'first' if first else 'last'} day held in {self.year})", inputs, CITE["aab"], source=source)

    def month(self, column: PropertyYear, month) -> str:
        facts = column.facts
        key = f"property.{facts.property_id}.acquisition_debt.{month.month.strftime('%Y-%m')}"
        loans = {loan.loan_id: loan for loan in facts.loans}
        day = month.measured_on
        active = [loan_id for loan_id in month.by_loan if loans[loan_id].originated_on <= day
                  and (loans[loan_id].retired_on is None or day < loans[loan_id].retired_on)]
        inputs = {loan_id: self.ref(self.loan_balance(loans[loan_id], day)) for loan_id in active}
        if not active:
            inputs["loans outstanding"] = "none"
        where = ("first day of the month" if month.measured_on == month.month else
                 "day of acquisition (the debt at acquisition counts for the month of purchase)")
        return self.add(key, _m(month.total), f"acquisition indebtedness outstanding on {month.measured_on.isoformat()} "
                        f"({where}), summed over the property's loans", inputs, CITE["aai"])

    def property_lines(self, column: PropertyYear, item: dict, letter: str | None) -> None:
        facts = column.facts
        pid = facts.property_id
        prefix = f"schedule_a.part_v.{pid}"
        lines = item["part_v"]
        # line 2
        income_keys = [self.ledger_sum(column, category, column.amounts.get(category, ZERO))
                       for category in INCOME_CATEGORIES]
        gross = self.add(f"property.{pid}.gross_income", _m(column.gross_income), "rent + other income",
                         {key.rsplit(".", 1)[1]: self.ref(key) for key in income_keys}, CITE["gross_income"])
        self.add(f"{prefix}.2", whole_dollars(column.gross_income), "gross income, rounded to whole dollars",
                 {"gross income": self.ref(gross)}, CITE["gross_income"] + "; Schedule A Part V line 2",
                 exact=_m(column.gross_income))
        # line 3a
        depreciation = self.depreciation(column, self.year)
        self.add(f"{prefix}.3a", whole_dollars(column.straight_line_depreciation),
                 "the year's straight-line depreciation, rounded to whole dollars",
                 {f"depreciation {self.year}": self.ref(depreciation)}, CITE["depreciation"],
                 exact=_m(column.straight_line_depreciation))
        # line 3b
        expense_inputs = {}
        for category in NON_INTEREST:
            expense_inputs[category] = self.ref(self.ledger_sum(column, category, column.amounts.get(category, ZERO)))
        interest_inputs = {}
        paid_by_loan = facts.interest_by_year.get(self.year, {})
        loans = {loan.loan_id: loan for loan in facts.loans}
        for loan_id, allocable in sorted(column.interest_allocable.items()):
            paid = self.ledger_sum(column, "interest", paid_by_loan.get(loan_id, ZERO), loan_id)
            interest_inputs[loan_id] = self.ref(self.add(
                f"property.{pid}.interest_deductible.{loan_id}", _m(allocable),
                "interest paid × the loan's acquisition share, to the cent",
                {"interest paid": self.ref(paid), "acquisition share": self.ref(self.loan_share(loans[loan_id]))},
                CITE["interest"]))
        interest = self.add(f"property.{pid}.interest_deductible", _m(column.amounts.get("interest", ZERO)),
                            "Σ deductible interest over the property's loans", interest_inputs, CITE["interest"])
        expense_inputs = {"interest": self.ref(interest), **expense_inputs}
        other = self.add(f"property.{pid}.other_deductions", _m(column.other_deductions),
                         "interest + taxes + insurance + repairs + management + utilities + other expenses",
                         expense_inputs, CITE["deductions"])
        self.add(f"{prefix}.3b", whole_dollars(column.other_deductions), "other deductions, rounded to whole dollars",
                 {"other deductions": self.ref(other)}, CITE["deductions"], exact=_m(column.other_deductions))
        self.add(f"{prefix}.3c", lines["3a"] + lines["3b"], "line 3a + line 3b",
                 {"3a": self.ref(f"{prefix}.3a"), "3b": self.ref(f"{prefix}.3b")}, "Schedule A Part V line 3c")
        # line 4
        month_inputs = {month.month.strftime("%Y-%m"): self.ref(self.month(column, month)) for month in column.months}
        total = sum((month.total for month in column.months), ZERO)
        if column.acquisition_indebtedness_excluded:
            operation = ("zero: the account is a qualified trust and the debt was incurred to acquire or improve real "
                         "property (§514(c)(9)); the monthly debt is shown for information")
            citation = CITE["exception"]
        else:
            operation = (f"sum of the first-of-month acquisition debt ({_m(total)}) ÷ {column.months_held} months held, "
                         "to the cent, then whole dollars")
            citation = CITE["aai"]
        self.add(f"{prefix}.4", whole_dollars(column.average_acquisition_indebtedness), operation,
                 {"months held": column.months_held, **month_inputs}, citation,
                 exact=_m(column.average_acquisition_indebtedness))
        # line 5
        first, last = self.basis(column, "first_day"), self.basis(column, "last_day")
        self.add(f"{prefix}.5", whole_dollars(column.average_adjusted_basis),
                 "(adjusted basis on the first day held + on the last day held) ÷ 2, to the cent, then whole dollars",
                 {"first day": self.ref(first), "last day": self.ref(last)}, CITE["aab"],
                 exact=_m(column.average_adjusted_basis))
        # line 6
        self.add(f"{prefix}.6", percent_str(column.ratio),
                 "line 4 ÷ line 5 from the amounts in cents, not over 100%; kept unrounded, shown to 4 decimals",
                 {"4": self.ref(f"{prefix}.4"), "5": self.ref(f"{prefix}.5"),
                  "average acquisition indebtedness": _m(column.average_acquisition_indebtedness),
                  "average adjusted basis": _m(column.average_adjusted_basis)}, CITE["ratio"],
                 exact=str(column.ratio))
        # lines 7, 9
        self.add(f"{prefix}.7", whole_dollars(column.gross_income_reportable),
                 "gross income (cents) × line 6 (unrounded), to the cent, then whole dollars",
                 {"gross income": self.ref(gross), "6": self.ref(f"{prefix}.6")}, CITE["udfi"],
                 exact=_m(column.gross_income_reportable))
        self.add(f"{prefix}.9", whole_dollars(column.allocable_deductions),
                 "(depreciation + other deductions, in cents) × line 6 (unrounded), to the cent, then whole dollars",
                 {"depreciation": self.ref(depreciation), "other deductions": self.ref(other),
                  "6": self.ref(f"{prefix}.6")}, "IRC §514(a)(2); Treas. Reg. §1.514(a)-1(b)(1)",
                 exact=_m(column.allocable_deductions))
        if column.disposition is not None:
            self.disposition(column)

    def disposition(self, column: PropertyYear) -> None:
        facts = column.facts
        pid = facts.property_id
        sale = column.disposition
        base = f"property.{pid}.disposition"
        properties_rows = self._rows_of("properties", property_id=pid)
        gain = self.add(f"{base}.gain", _m(sale.gain), "amount realized − adjusted basis on the date of disposition",
                        {"amount realized (properties)": _m(sale.amount_realized),
                         "adjusted basis": self.ref(self.basis(column, "last_day"))}, "IRC §1001(a)",
                        source=self._source("properties", properties_rows, property_id=pid))
        loans = facts.loans
        highest_inputs = {"window": f"{sale.window_start.isoformat()} – {sale.date.isoformat()}",
                          "highest on": sale.highest_on.isoformat()}
        if not column.acquisition_indebtedness_excluded:
            for loan in loans:
                highest_inputs[loan.loan_id] = self.ref(self.loan_balance(loan, sale.highest_on))
        highest = self.add(f"{base}.highest_acquisition_indebtedness", _m(sale.highest_acquisition_indebtedness),
                           "the highest acquisition indebtedness in the 12 months ending on the date of disposition "
                           "(checked at the window's start, each loan's origination and each lender statement)",
                           highest_inputs, CITE["disposition"])
        percentage = self.add(f"{base}.percentage", percent_str(sale.ratio),
                              "highest acquisition indebtedness ÷ the year's average adjusted basis, not over 100%",
                              {"highest": self.ref(highest),
                               "average adjusted basis": self.ref(f"schedule_a.part_v.{pid}.5")}, CITE["disposition"],
                              exact=str(sale.ratio))
        reportable = self.add(f"{base}.gain_reportable", _m(sale.gain_reportable), "gain × percentage, to the cent",
                              {"gain": self.ref(gain), "percentage": self.ref(percentage)}, CITE["disposition"])
        held = "more than 1 year" if sale.holding_period == "long_term" else "1 year or less"
        self.add(f"{base}.holding_period", sale.holding_period,
                 f"held {held}: from the day after acquisition ({sale.acquired_on.isoformat()}) through the day of sale "
                 f"({sale.date.isoformat()})", {"acquired": sale.acquired_on.isoformat(), "sold": sale.date.isoformat()},
                 CITE["holding"])
        uses = {"rental_business": "held for the production of rents (used in a trade or business)",
                "investment": "held for investment (a capital asset)"}
        characters = {"section_1231": "§1231 property: Form 4797 Part I/III, netted with the year's other §1231 "
                                      "gains and losses", "ordinary": "ordinary gain or loss: Form 4797 Part II",
                      "capital": "capital gain or loss: Form 8949 and Schedule D"}
        self.add(f"{base}.character", sale.character, f"{uses[sale.use]}, {held}: {characters[sale.character]}",
                 {"use": sale.use, "holding period": self.ref(f"{base}.holding_period")}, CITE["character"],
                 source=self._source("properties", properties_rows, property_id=pid))
        self.add(f"{base}.unrecaptured_1250_reportable", _m(sale.unrecaptured_1250_reportable),
                 "accumulated depreciation × percentage, not over the reportable gain (zero for a loss or a sale "
                 "held 1 year or less)",
                 {"accumulated depreciation": self.ref(self.accumulated(column, self.year)),
                  "percentage": self.ref(percentage), "reportable gain": self.ref(reportable)}, CITE["unrecaptured"])
