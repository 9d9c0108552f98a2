"""How every line of the return was computed: `derivations(result)` and `add_derivations(...)`.

A derivation maps a key to ``{"value", "operation", "inputs", "citation"}`` (plus ``"exact"`` when a
whole-dollar line comes from an amount in cents, and ``"source"`` when the figure is read from the
book: file, spreadsheet rows, count). An input is a plain value or ``{"ref": key, "value": ...}``
pointing at another derivation, so a line can be followed down to the ledger rows it sums.

Keys:
  form lines        ``schedule_a.part_v.<property_id>.<line>`` (and ``schedule_a.part_v.<A-D>.<line>`` for
                    the printed columns), ``schedule_a.part_i.7a``, ``schedule_a.part_ii.17``,
                    ``form_990t.part_i.11``, ``form_990t.part_iv.5.<activity code>``, ...
  supporting        ``property.<id>.…`` (ledger sums, depreciation by year, basis, monthly debt, sale),
                    ``loan.<id>.…`` (balances, acquisition share), ``carryover.…``, ``gross_unrelated_income``.

Without the book (``book=None``) a ledger figure names the rows by filter only; with it, it lists
the spreadsheet row numbers (`source_row`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from udfi.engine.compute import AccountYear
from udfi.engine.property_year import EXPENSE_CATEGORIES, INCOME_CATEGORIES, PropertyYear
from udfi.engine.report import account_object
from udfi.money import ZERO, money_str, percent_str, whole_dollars
from udfi.statements.figures import CITE, asset_lines, depreciation_years, format_rate, ledger_rows, rows_of, \
    table_name, trust_rate_steps

PART_V_COLUMNS = ("A", "B", "C", "D")
PART_V_AMOUNT_LINES = ("2", "3a", "3b", "3c", "4", "5", "7", "9")
NON_INTEREST = tuple(category for category in EXPENSE_CATEGORIES if category != "interest")
FORM_PARTS = ("part_i", "part_ii", "part_iii", "part_iv")


def line_keys(account: dict) -> list[str]:
    """Every form-line key of an account object (docs/return-json.md), in form order."""
    keys = []
    for item in account["properties"]:
        keys += [f"schedule_a.part_v.{item['property_id']}.{line}" for line in item["part_v"]]
    for part, lines in account["schedule_a"].items():
        keys += [f"schedule_a.{part}.{line}" for line in lines]
    for part, lines in account["form_990t"].items():
        for line, value in lines.items():
            if isinstance(value, list):
                keys += [f"form_990t.{part}.{line}.{row['activity_code']}" for row in value]
            else:
                keys.append(f"form_990t.{part}.{line}")
    return keys


def line_value(account: dict, key: str):
    """The value of a form-line key in an account object."""
    parts = key.split(".")
    if parts[0] == "schedule_a" and parts[1] == "part_v" and len(parts) >= 4:
        line = parts[-1]
        property_id = ".".join(parts[2:-1])
        for item in account["properties"]:
            if item["property_id"] == property_id:
                return item["part_v"][line]
        raise KeyError(key)
    if parts[0] == "form_990t" and parts[1] == "part_iv" and parts[2] == "5":
        code = ".".join(parts[3:])
        return next(row["amount"] for row in account["form_990t"]["part_iv"]["5"] if row["activity_code"] == code)
    return account[parts[0]][parts[1]][parts[2]]


def _ref(nodes: dict, key: str) -> dict:
    return {"ref": key, "value": nodes[key]["value"]}


def _m(amount: Decimal) -> str:
    return money_str(amount)


class _Builder:
    def __init__(self, result: AccountYear, book):
        self.result = result
        self.book = book
        self.year = result.tax_year
        self.nodes: dict[str, dict] = {}
        self._principal_index: dict[str, tuple[np.ndarray, np.ndarray]] | None = None

    # -- plumbing ------------------------------------------------------------------------------
    def add(self, key: str, value, operation: str, inputs: dict | None = None, citation: str = "",
            exact=None, source: dict | None = None) -> str:
        node = {"value": value, "operation": operation, "inputs": inputs or {}, "citation": citation}
        if exact is not None:
            node["exact"] = exact
        if source is not None:
            node["source"] = source
        self.nodes[key] = node
        return key

    def ref(self, key: str) -> dict:
        return _ref(self.nodes, key)

    def _source(self, table: str, rows: list[int], **filters) -> dict:
        source = {"file": table_name(self.book, table), "filter": {k: v for k, v in filters.items() if v is not None}}
        if self.book is not None:
            source["rows"] = rows
            source["count"] = len(rows)
        return source

    def _principal_rows_before(self, loan_id: str, day: dt.date) -> list[int]:
        if self.book is None:
            return []
        if self._principal_index is None:
            ledger = self.book.ledger
            principal = ledger[ledger["category"] == "principal"].sort_values(["loan_id", "date", "source_row"],
                                                                             kind="stable")
            self._principal_index = {
                loan: (frame["date"].to_numpy(dtype="datetime64[D]"), frame["source_row"].to_numpy(dtype=np.int64))
                for loan, frame in principal.groupby("loan_id", sort=False)
            }
        days, rows = self._principal_index.get(loan_id, (np.array([], dtype="datetime64[D]"), np.array([], dtype=np.int64)))
        stop = int(np.searchsorted(days, np.datetime64(day, "D"), side="left"))
        return sorted(int(row) for row in rows[:stop])

    # -- loans ---------------------------------------------------------------------------------
    def loan_share(self, loan) -> str:
        key = f"loan.{loan.loan_id}.acquisition_share"
        if key in self.nodes:
            return key
        loans_csv = rows_of(self.book.loans if self.book is not None else None, loan_id=loan.loan_id)
        source = self._source("loans", loans_csv, loan_id=loan.loan_id)
        share = percent_str(loan.acquisition_fraction)
        if loan.purpose in ("acquisition", "improvement"):
            return self.add(key, share, f"a loan made to {'acquire' if loan.purpose == 'acquisition' else 'improve'} "
                            "the property is acquisition indebtedness in full (100%)",
                            {"purpose": loan.purpose}, "IRC §514(c)(1); Treas. Reg. §1.514(c)-1(a)", source=source)
        if loan.purpose == "other":
            return self.add(key, share, "a loan not made to acquire or improve the property is not acquisition "
                            "indebtedness (0%)", {"purpose": loan.purpose}, "IRC §514(c)(1)", source=source)
        old = next((item for item in self._all_loans() if item.loan_id == loan.refinances), None)
        inputs = {"purpose": "refinance", "new principal": _m(loan.principal)}
        if old is not None:
            inputs["refinances"] = self.ref(self.loan_share(old))
            inputs[f"{old.loan_id} outstanding when refinanced ({old.retired_on.isoformat() if old.retired_on else '?'})"] = \
                _m(old.ledger_balance_before_retirement())
        return self.add(key, share, "old loan's outstanding acquisition debt (its balance × its share), up to the new "
                        "principal, ÷ new principal; the share stays fixed because later repayments are apportioned "
                        "pro rata", inputs, CITE["interest"], source=source)

    def _all_loans(self):
        return [loan for column in self.result.property_years for loan in column.facts.loans]

    def loan_balance(self, loan, day: dt.date) -> str:
        """Acquisition indebtedness of one loan at the start of `day`."""
        key = f"loan.{loan.loan_id}.acquisition_balance.{day.isoformat()}"
        if key in self.nodes:
            return key
        value = loan.acquisition_balance(day)
        share = self.ref(self.loan_share(loan))
        if day < loan.originated_on:
            return self.add(key, _m(value), f"the loan was made later ({loan.originated_on.isoformat()})",
                            {"originated_on": loan.originated_on.isoformat()}, CITE["aai"])
        if loan.retired_on is not None and day >= loan.retired_on:
            return self.add(key, _m(value), f"the loan was refinanced on {loan.retired_on.isoformat()}",
                            {"retired_on": loan.retired_on.isoformat()}, "IRC §514(c)(3)")
        if day in loan.statements:
            statement_rows = rows_of(self.book.loan_balances if self.book is not None else None,
                                     loan_id=loan.loan_id, as_of=pd.Timestamp(day))
            return self.add(key, _m(value), "balance on the lender's statement for that day × acquisition share",
                            {"statement balance": _m(loan.statements[day]), "acquisition share": share},
                            CITE["aai"], source=self._source("loan_balances", statement_rows, loan_id=loan.loan_id,
                                                             as_of=day.isoformat()))
        repaid = loan.principal - loan.ledger_balance(day)
        rows = self._principal_rows_before(loan.loan_id, day)
        return self.add(
            key, _m(value), "(principal − principal repaid before the day) × acquisition share, to the cent",
            {"principal (loans)": _m(loan.principal), "principal repaid before the day": _m(repaid),
             "acquisition share": share},
            CITE["aai"], source=self._source("ledger", rows, loan_id=loan.loan_id, category="principal",
                                             before=day.isoformat()))

    # -- one property ---------------------------------------------------------------------------
    def ledger_sum(self, column: PropertyYear, category: str, amount: Decimal, loan_id: str | None = None) -> str:
        facts = column.facts
        key = f"property.{facts.property_id}.{category}" + (f".{loan_id}" if loan_id else "")
        rows = ledger_rows(self.book, facts, self.year, (category,), loan_id)
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
            rows = rows_of(self.book.depreciation if self.book is not None else None,
                           property_id=facts.property_id, tax_year=year)
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
        properties_rows = rows_of(self.book.properties if self.book is not None else None, property_id=facts.property_id)
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
        properties_rows = rows_of(self.book.properties if self.book is not None else None, property_id=pid)
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
        self.add(f"{base}.unrecaptured_1250_reportable", _m(sale.unrecaptured_1250_reportable),
                 "accumulated depreciation × percentage, not over the reportable gain (zero for a loss)",
                 {"accumulated depreciation": self.ref(self.accumulated(column, self.year)),
                  "percentage": self.ref(percentage), "reportable gain": self.ref(reportable)}, CITE["unrecaptured"])

    # -- the whole account -----------------------------------------------------------------------
    def build(self, data: dict) -> dict:
        result = self.result
        items = {item["property_id"]: item for item in data["properties"]}
        part_v = [column for column in result.property_years if items[column.property_id]["debt_financed"]]
        letters = {column.property_id: PART_V_COLUMNS[min(index, 3)] for index, column in enumerate(part_v)}
        for column in result.property_years:
            self.property_lines(column, items[column.property_id], letters.get(column.property_id))
        self.columns(part_v, data)
        self.schedule_a(part_v, data)
        self.form(data)
        return self.nodes

    def columns(self, part_v: list[PropertyYear], data: dict) -> None:
        """Schedule A Part V columns A–D as printed (D sums properties 4+ when there are more than 4)."""
        for index, letter in enumerate(PART_V_COLUMNS):
            members = part_v[index:index + 1] if letter != "D" or len(part_v) <= 4 else part_v[3:]
            if not members:
                continue
            if len(members) == 1:
                pid = members[0].property_id
                for line in ("2", "3a", "3b", "3c", "4", "5", "6", "7", "9"):
                    source = f"schedule_a.part_v.{pid}.{line}"
                    self.add(f"schedule_a.part_v.{letter}.{line}", self.nodes[source]["value"],
                             f"column {letter} is property {pid} ({members[0].facts.description})",
                             {pid: self.ref(source)}, "Schedule A (Form 990-T) Part V")
            else:
                for line in PART_V_AMOUNT_LINES:
                    keys = [f"schedule_a.part_v.{column.property_id}.{line}" for column in members]
                    self.add(f"schedule_a.part_v.D.{line}", sum(self.nodes[key]["value"] for key in keys),
                             f"column D ('See attached statement') sums properties 4–{len(part_v)}",
                             {key.split(".")[2]: self.ref(key) for key in keys}, "Schedule A (Form 990-T) Part V")

    def schedule_a(self, part_v: list[PropertyYear], data: dict) -> None:
        s = self.result.schedule
        lines = data["schedule_a"]
        line_7s = {c.property_id: self.ref(f"schedule_a.part_v.{c.property_id}.7") for c in part_v}
        line_9s = {c.property_id: self.ref(f"schedule_a.part_v.{c.property_id}.9") for c in part_v}
        self.add("schedule_a.part_v.8", sum(item["value"] for item in line_7s.values()),
                 "Σ line 7 over the Part V properties", line_7s, "Schedule A Part V line 8")
        self.add("schedule_a.part_v.10", sum(item["value"] for item in line_9s.values()),
                 "Σ line 9 over the Part V properties", line_9s, "Schedule A Part V line 10")
        gains = {c.property_id: self.ref(f"property.{c.property_id}.disposition.gain_reportable")
                 for c in part_v if c.disposition is not None}
        capital_gains = sum(whole_dollars(Decimal(item["value"])) for item in gains.values())
        carry_in = self.add("carryover.capital_loss_in", s.capital_loss_carryover_in,
                            "capital loss carried from earlier years of the book", {}, CITE["capital_loss"])
        self.add("schedule_a.part_i.4a", max(capital_gains - s.capital_loss_carryover_in, 0),
                 "Σ reportable gains (each in whole dollars) − capital loss carryover, not below zero",
                 {**gains, "capital loss carryover": self.ref(carry_in)}, "Schedule D (Form 1041); " + CITE["disposition"])
        self.add("schedule_a.part_i.4c", lines["part_i"]["4c"],
                 "a net capital loss is deductible up to $3,000 (shown negative); the rest carries over",
                 {"reportable gains": capital_gains, "capital loss carryover": self.ref(carry_in)}, CITE["capital_loss"])
        self.add("schedule_a.part_i.7a", self.nodes["schedule_a.part_v.8"]["value"], "Part V line 8",
                 {"8": self.ref("schedule_a.part_v.8")}, "Schedule A Part I line 7 column (A)")
        self.add("schedule_a.part_i.7b", self.nodes["schedule_a.part_v.10"]["value"], "Part V line 10",
                 {"10": self.ref("schedule_a.part_v.10")}, "Schedule A Part I line 7 column (B)")
        self.add("schedule_a.part_i.7c", self.nodes["schedule_a.part_i.7a"]["value"] - self.nodes["schedule_a.part_i.7b"]["value"],
                 "line 7 (A) − (B)", {"7a": self.ref("schedule_a.part_i.7a"), "7b": self.ref("schedule_a.part_i.7b")},
                 "Schedule A Part I line 7 column (C)")
        v = lambda key: self.nodes[key]["value"]  # noqa: E731
        self.add("schedule_a.part_i.13a", v("schedule_a.part_i.4a") + v("schedule_a.part_i.4c") + v("schedule_a.part_i.7a"),
                 "lines 4a + 4c + 7 (A)", {k: self.ref(f"schedule_a.part_i.{k}") for k in ("4a", "4c", "7a")},
                 "Schedule A Part I line 13 column (A)")
        self.add("schedule_a.part_i.13b", v("schedule_a.part_i.7b"), "line 7 (B)",
                 {"7b": self.ref("schedule_a.part_i.7b")}, "Schedule A Part I line 13 column (B)")
        self.add("schedule_a.part_i.13c", v("schedule_a.part_i.4a") + v("schedule_a.part_i.4c") + v("schedule_a.part_i.7c"),
                 "lines 4a + 4c + 7 (C)", {k: self.ref(f"schedule_a.part_i.{k}") for k in ("4a", "4c", "7c")},
                 "Schedule A Part I line 13 column (C)")
        self.add("schedule_a.part_ii.15", 0, "every deduction is taken in Part V (deductions not taken elsewhere: none)",
                 {}, "Schedule A Part II line 15")
        self.add("schedule_a.part_ii.16", v("schedule_a.part_i.13c") - v("schedule_a.part_ii.15"), "line 13 (C) − line 15",
                 {"13c": self.ref("schedule_a.part_i.13c"), "15": self.ref("schedule_a.part_ii.15")},
                 "Schedule A Part II line 16; " + CITE["silo"])
        nol_in = self._carryover("post2017_nol", s.nol_in, "post-2017 NOL carried into the year")
        limit = self.result.parameters.post2017_nol_limit
        inputs = {"NOL available": self.ref(nol_in), "16": self.ref("schedule_a.part_ii.16")}
        if limit is not None:
            inputs["limitation"] = f"{format_rate(limit)} of line 16 = {s.nol_limit if s.nol_limit is not None else 0}"
            operation = "the smaller of the NOL available and the limitation (80% of line 16), not below zero"
        else:
            operation = "the smaller of the NOL available and line 16 (no 80% limitation before 2021)"
        self.add("schedule_a.part_ii.17", s.line_17, operation, inputs, CITE["nol"])
        self.add("schedule_a.part_ii.18", max(v("schedule_a.part_ii.16") - v("schedule_a.part_ii.17"), 0),
                 "line 16 − line 17, not below zero",
                 {"16": self.ref("schedule_a.part_ii.16"), "17": self.ref("schedule_a.part_ii.17")},
                 "Schedule A Part II line 18; IRC §512(a)(6)(C)")

    def _carryover(self, kind: str, amount: int, words: str) -> str:
        account_id = self.result.account_id
        key = f"carryover.{kind}_in"
        frame = self.book.carryovers if self.book is not None else None
        rows = rows_of(frame, account_id=account_id, tax_year=self.year, kind=kind) if frame is not None and len(frame) else []
        if rows:
            return self.add(key, amount, f"{words}: set by carryovers.csv", {}, CITE["nol"],
                            source=self._source("carryovers", rows, account_id=account_id, tax_year=self.year, kind=kind))
        return self.add(key, amount, f"{words}: rolled forward from the book's earlier years ({self.year - 1} "
                        "carryover out)", {}, CITE["nol"] if kind == "post2017_nol" else CITE["pre2018"])

    def _payments(self, line: str, kind: str, amount: int, words: str) -> None:
        account_id = self.result.account_id
        if kind == "prior_year_overpayment":
            frame, table = (self.book.carryovers if self.book is not None else None), "carryovers"
        else:
            frame, table = (self.book.payments if self.book is not None else None), "payments"
        rows = rows_of(frame, account_id=account_id, tax_year=self.year, kind=kind) if frame is not None and len(frame) else []
        self.add(f"form_990t.part_iii.{line}", amount, f"{words} (sum of the {table} rows, whole dollars)", {},
                 CITE["payments"], source=self._source(table, rows, account_id=account_id, tax_year=self.year, kind=kind))

    def form(self, data: dict) -> None:
        result = self.result
        form = result.form
        v = lambda key: self.nodes[key]["value"]  # noqa: E731
        r = self.ref
        self.add("form_990t.part_i.1", v("schedule_a.part_ii.18"), "Schedule A line 18 (one Schedule A)",
                 {"schedule_a.18": r("schedule_a.part_ii.18")}, "Form 990-T Part I line 1; " + CITE["silo"])
        self.add("form_990t.part_i.3", v("form_990t.part_i.1"), "line 1 + line 2 (reserved)",
                 {"1": r("form_990t.part_i.1")}, "Form 990-T Part I line 3")
        self.add("form_990t.part_i.4", 0, "charitable contributions: none for an IRA's debt-financed rentals", {},
                 "Form 990-T Part I line 4")
        self.add("form_990t.part_i.5", v("form_990t.part_i.3") - v("form_990t.part_i.4"), "line 3 − line 4",
                 {"3": r("form_990t.part_i.3"), "4": r("form_990t.part_i.4")}, "Form 990-T Part I line 5")
        pre_in = self._carryover("pre2018_nol", form.pre2018_in, "pre-2018 NOL carried into the year")
        self.add("form_990t.part_i.6", min(form.pre2018_in, max(v("form_990t.part_i.5"), 0)),
                 "the smaller of the pre-2018 NOL available and line 5 (not below zero)",
                 {"pre-2018 NOL available": r(pre_in), "5": r("form_990t.part_i.5")}, CITE["pre2018"])
        self.add("form_990t.part_i.7", v("form_990t.part_i.5") - v("form_990t.part_i.6"), "line 5 − line 6",
                 {"5": r("form_990t.part_i.5"), "6": r("form_990t.part_i.6")}, "Form 990-T Part I line 7")
        self.add("form_990t.part_i.8", whole_dollars(result.parameters.specific_deduction),
                 "specific deduction of the year's parameters", {"specific deduction": _m(result.parameters.specific_deduction)},
                 CITE["specific"])
        self.add("form_990t.part_i.9", 0, "trusts' §199A deduction: not claimed (README Assumptions)", {},
                 "Form 990-T Part I line 9")
        self.add("form_990t.part_i.10", v("form_990t.part_i.8") + v("form_990t.part_i.9"), "line 8 + line 9",
                 {"8": r("form_990t.part_i.8"), "9": r("form_990t.part_i.9")}, "Form 990-T Part I line 10")
        self.add("form_990t.part_i.11", max(v("form_990t.part_i.7") - v("form_990t.part_i.10"), 0),
                 "line 7 − line 10, zero if line 10 is greater",
                 {"7": r("form_990t.part_i.7"), "10": r("form_990t.part_i.10")}, "Form 990-T Part I line 11")
        self.tax(data)
        self.add("form_990t.part_ii.7", v("form_990t.part_ii.2"), "line 2 (lines 3–6: none)",
                 {"2": r("form_990t.part_ii.2")}, "Form 990-T Part II line 7")
        self.add("form_990t.part_iii.2", v("form_990t.part_ii.7"), "Part II line 7 − credits (none)",
                 {"part_ii.7": r("form_990t.part_ii.7")}, "Form 990-T Part III line 2")
        self.add("form_990t.part_iii.4", v("form_990t.part_iii.2"), "line 2 + line 3 (other amounts due: none)",
                 {"2": r("form_990t.part_iii.2")}, "Form 990-T Part III line 4")
        self._payments("6a", "prior_year_overpayment", result.payments.prior_year_overpayment,
                       "prior-year overpayment credited")
        self._payments("6b", "estimated", result.payments.estimated, "estimated tax payments")
        self._payments("6c", "extension", result.payments.extension, "tax deposited with Form 8868")
        self.add("form_990t.part_iii.7", v("form_990t.part_iii.6a") + v("form_990t.part_iii.6b") + v("form_990t.part_iii.6c"),
                 "lines 6a + 6b + 6c", {k: r(f"form_990t.part_iii.{k}") for k in ("6a", "6b", "6c")},
                 "Form 990-T Part III line 7")
        self.add("form_990t.part_iii.9", max(v("form_990t.part_iii.4") - v("form_990t.part_iii.7"), 0),
                 "line 4 − line 7, if positive", {"4": r("form_990t.part_iii.4"), "7": r("form_990t.part_iii.7")},
                 "Form 990-T Part III line 9")
        self.add("form_990t.part_iii.10", max(v("form_990t.part_iii.7") - v("form_990t.part_iii.4"), 0),
                 "line 7 − line 4, if positive", {"4": r("form_990t.part_iii.4"), "7": r("form_990t.part_iii.7")},
                 "Form 990-T Part III line 10")
        self.add("form_990t.part_iv.4", form.pre2018_in, "pre-2018 NOL carryovers available at the start of the year",
                 {"available": r("carryover.pre2018_nol_in")}, CITE["pre2018"])
        for row in data["form_990t"]["part_iv"].get("5", []):  # the 2020 revision has no line 5
            self.add(f"form_990t.part_iv.5.{row['activity_code']}", self.result.schedule.nol_in,
                     f"post-2017 NOL carryover available for activity code {row['activity_code']}, not reduced by "
                     "this year's line 17", {"available": r("carryover.post2017_nol_in")},
                     "Form 990-T Part IV line 5; " + CITE["nol"])
        gross = sum((column.gross_income_reportable for column in self.result.schedule.columns), ZERO)
        gains = sum((column.disposition.gain_reportable for column in self.result.schedule.columns
                     if column.disposition is not None and column.disposition.gain_reportable > ZERO), ZERO)
        self.add("gross_unrelated_income", _m(gross + gains),
                 f"Σ reportable gross income + reportable gains (cents); must file if at least "
                 f"{_m(self.result.parameters.filing_threshold)}",
                 {"reportable gross income": _m(gross), "reportable gains": _m(gains),
                  "must file": self.result.must_file}, CITE["filing"])

    def tax(self, data: dict) -> None:
        result = self.result
        line_11 = self.nodes["form_990t.part_i.11"]["value"]
        computation = result.form.capital_gain_tax
        parameters = result.parameters
        if computation is None:
            steps, total = trust_rate_steps(Decimal(line_11), parameters)
            inputs = {"11": self.ref("form_990t.part_i.11")}
            for step in steps:
                upper = "" if step.upper is None else f" up to {step.upper:,}"
                inputs[f"over {step.over:,}{upper} at {format_rate(step.rate)}"] = _m(step.tax)
            self.add("form_990t.part_ii.2", whole_dollars(total),
                     "line 11 taxed bracket by bracket at the year's trust rate schedule, to the cent, then whole "
                     "dollars", inputs, f"{CITE['tax']}; {parameters.references.get('trust_rate_schedule', '')}",
                     exact=_m(total))
            return
        c = computation
        inputs = {"11": self.ref("form_990t.part_i.11"), "net capital gain (Schedule A 4a)": self.ref("schedule_a.part_i.4a"),
                  "unrecaptured §1250 gain": _m(c.unrecaptured_1250_gain),
                  "(A) ordinary part at the schedule": _m(c.ordinary_base),
                  "(B) at 0%": _m(c.zero_rate_base), "(C) at 15%": _m(c.fifteen_rate_base),
                  "(D) at 20%": _m(c.twenty_rate_base), "(E) at 25%": _m(c.unrecaptured_base),
                  "(F) at 28%": _m(c.rate_28_base), "tax with capital-gain rates": _m(c.alternative_tax),
                  "tax at the schedule on all of line 11": _m(c.regular_tax)}
        self.add("form_990t.part_ii.2", whole_dollars(c.tax),
                 "Schedule D (Form 1041) computation: the smaller of the tax at the rate schedule and the tax with the "
                 "§1(h) rates on each part, then whole dollars", inputs,
                 f"{CITE['capital_gain_tax']}; {parameters.references.get('capital_gain_breakpoints', '')}",
                 exact=_m(c.tax))


def derivations(result: AccountYear, book=None, account: dict | None = None) -> dict:
    """Every line key (and the supporting figures) of `result` → its derivation."""
    data = account if account is not None else account_object(result)
    return _Builder(result, book).build(data)


def add_derivations(account_json: dict, result: AccountYear, book=None) -> dict:
    """The account object with a ``"derivations"`` key added (the same dict, also returned)."""
    account_json["derivations"] = derivations(result, book, account_json)
    return account_json


__all__ = ["add_derivations", "derivations", "line_keys", "line_value"]
