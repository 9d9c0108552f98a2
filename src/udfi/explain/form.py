"""Derivations of Form 990-T Parts I–IV and the tax."""

from __future__ import annotations

from decimal import Decimal


from udfi.money import ZERO, whole_dollars
from udfi.statements.figures import CITE, format_rate, trust_rate_steps

from udfi.explain.base import _m
from udfi.explain.schedule import ScheduleDerivations


class FormDerivations(ScheduleDerivations):
    def _payments(self, line: str, kind: str, amount: int, words: str) -> None:
        account_id = self.result.account_id
        table = "carryovers" if kind == "prior_year_overpayment" else "payments"
        rows = self._rows_of(table, account_id=account_id, tax_year=self.year, kind=kind)
        self.add(f"form_990t.part_iii.{line}", amount, f"{words} (sum of the {table} rows, whole dollars)", {},
                 CITE["payments"], source=self._source(table, rows, account_id=account_id, tax_year=self.year, kind=kind))

    def form(self, data: dict) -> None:
        result = self.result
        form = result.form
        v = lambda key: self.nodes[key]["value"]  # noqa: E731
        r = self.ref
        silos = result.silos
        if silos.count == 1 and silos.investment.attached:
            self.add("form_990t.part_i.1", max(v("schedule_a.part_ii.18"), 0),
                     "Schedule A line 18 (one Schedule A), a loss counted as zero (IRC §512(a)(6)(C))",
                     {"schedule_a.18": r("schedule_a.part_ii.18")}, "Form 990-T Part I line 1; " + CITE["silo"])
        else:
            self.add("form_990t.part_i.1", form.part_i["1"],
                     f"Σ line 18 of the {silos.count} Schedules A, each loss counted as zero (a silo's loss offsets "
                     "no other)", self.silo_totals(),
                     "Form 990-T Part I line 1; IRC §512(a)(6)(B)-(C); Treas. Reg. §1.512(a)-6(g)")
        self.add("form_990t.part_i.3", v("form_990t.part_i.1"), "line 1 + line 2 (reserved)",
                 {"1": r("form_990t.part_i.1")}, "Form 990-T Part I line 3")
        self.add("form_990t.part_i.4", 0, "charitable contributions: none for an IRA's debt-financed rentals", {},
                 "Form 990-T Part I line 4")
        self.add("form_990t.part_i.5", v("form_990t.part_i.3") - v("form_990t.part_i.4"), "line 3 − line 4",
                 {"3": r("form_990t.part_i.3"), "4": r("form_990t.part_i.4")}, "Form 990-T Part I line 5")
        inputs = {"pre-2018 NOLs used": r("carryover.pre2018_nol_used"), "5": r("form_990t.part_i.5")}
        operation = "pre-2018 NOLs deducted from total UBTI before any post-2017 NOL, oldest first (not over line 5)"
        if len(silos.items) > 1:
            inputs.update(self.pre2018_allocation())
            operation += ("; allocated among the trades or businesses so the post-2017 NOLs are used as fully as "
                          "possible: first to silos where it displaces no post-2017 deduction")
        self.add("form_990t.part_i.6", form.pre2018_used, operation, inputs, CITE["pre2018"])
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
        penalty = form.form_2220
        if penalty is None:
            self.add("form_990t.part_iii.8", 0, "estimated tax penalty not computed (see the flags)", {},
                     CITE["estimated"])
        else:
            installments = {f"installment ({column}) due {day.isoformat()}": f"required {required:,}, underpaid {under:,}"
                            for column, day, required, under in zip("abcd", penalty.line_9, penalty.line_10,
                                                                     penalty.line_17) if required is not None}
            self.add("form_990t.part_iii.8", penalty.penalty,
                     "Form 2220 line 38: each installment's underpayment × the §6621 rate of each quarter × days late "
                     "(to payment, or the 15th day of the 5th month) ÷ days in the year; " + penalty.explanation,
                     {"Form 2220 line 3 (total tax)": penalty.line_3, "line 4 (prior year's tax)": penalty.line_4
                      if penalty.line_4 is not None else (penalty.line_4_skipped or "none"),
                      "line 5 (required annual payment)": penalty.line_5, **installments},
                     CITE["estimated"] + "; IRC §6621(a)(2); Form 2220")
        self.add("form_990t.part_iii.9", max(v("form_990t.part_iii.4") + v("form_990t.part_iii.8") - v("form_990t.part_iii.7"), 0),
                 "line 4 + line 8 − line 7, if positive",
                 {"4": r("form_990t.part_iii.4"), "8": r("form_990t.part_iii.8"), "7": r("form_990t.part_iii.7")},
                 "Form 990-T Part III line 9")
        self.add("form_990t.part_iii.10", max(v("form_990t.part_iii.7") - v("form_990t.part_iii.4") - v("form_990t.part_iii.8"), 0),
                 "line 7 − (line 4 + line 8), if positive",
                 {"4": r("form_990t.part_iii.4"), "8": r("form_990t.part_iii.8"), "7": r("form_990t.part_iii.7")},
                 "Form 990-T Part III line 10")
        self.add("form_990t.part_iv.4", form.pre2018_in, "pre-2018 NOL carryovers available (not expired), not "
                 "reduced by this year's line 6", {"available": r("carryover.pre2018_nol_in")}, CITE["pre2018"])
        by_code = {}
        for silo in silos.items:
            by_code.setdefault(silo.activity_code, silo)
        for row in data["form_990t"]["part_iv"].get("5", []):  # the 2020 revision has no line 5
            silo = by_code[row["activity_code"]]
            source = "carryover.post2017_nol_in" if silo.key == "investment" else f"carryover.silo.{silo.key}.post2017_nol_in"
            if source not in self.nodes:
                self._silo_carry_in(silo, row["amount"])
            self.add(f"form_990t.part_iv.5.{row['activity_code']}", row["amount"],
                     f"post-2017 NOL carryover available for activity code {row['activity_code']} ({silo.label}), not "
                     "reduced by this year's line 17", {"available": r(source)},
                     "Form 990-T Part IV line 5; " + CITE["nol"])
        gross = sum((column.gross_income_reportable for column in self.result.schedule.columns), ZERO)
        gains = sum((column.disposition.gain_reportable for column in self.result.schedule.columns
                     if column.disposition is not None and column.disposition.gain_reportable > ZERO), ZERO)
        inputs = {"reportable gross income": _m(gross), "reportable gains": _m(gains)}
        words = "Σ reportable gross income + reportable gains (cents)"
        if self.result.k1s:
            inputs.update({f"K-1 {item.name}": r(f"k1.{item.partnership_id}.gross_income") for item in self.result.k1s})
            words += " + the K-1s' gross income"
        self.add("gross_unrelated_income", _m(gross + gains + self.result.k1_gross_income),
                 f"{words}; must file if at least {_m(self.result.parameters.filing_threshold)}",
                 {**inputs, "must file": self.result.must_file}, CITE["filing"])

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
        inputs = {"11": self.ref("form_990t.part_i.11"),
                  "net capital gain (smaller of Schedule D line 18a or 19)": _m(c.net_capital_gain),
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
