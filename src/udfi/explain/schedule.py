"""Derivations of Schedule A Parts I, II and V's columns and totals."""

from __future__ import annotations

from decimal import Decimal

from udfi.engine.property_year import PropertyYear
from udfi.engine.report_silos import pre2018_rows
from udfi.money import whole_dollars
from udfi.statements.figures import CITE, format_rate

from udfi.explain.base import PART_V_AMOUNT_LINES, PART_V_COLUMNS
from udfi.explain.gains import GainDerivations


class ScheduleDerivations(GainDerivations):
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
        self.form_4797(s.form_4797)
        self.schedule_d(s.schedule_d)
        if s.schedule_d is not None:
            self.add("schedule_a.part_i.4a", lines["part_i"]["4a"], "Schedule D line 19, if a gain",
                     {"19": self.ref("schedule_d.part_iii.19")}, "Schedule A Part I line 4a; Schedule D (Form 1041)")
            self.add("schedule_a.part_i.4c", lines["part_i"]["4c"],
                     "minus Schedule D line 20: a net capital loss is deductible up to $3,000; the rest carries over",
                     {"20": self.ref("schedule_d.part_iv.20")}, CITE["capital_loss"])
        else:
            self.add("schedule_a.part_i.4a", 0, "no sale of a capital asset, §1231 gain or capital loss carryover", {},
                     "Schedule A Part I line 4a")
            self.add("schedule_a.part_i.4c", 0, "no net capital loss", {}, "Schedule A Part I line 4c")
        if s.form_4797 is not None:
            self.add("schedule_a.part_i.4b", lines["part_i"]["4b"], "Form 4797 line 17",
                     {"17": self.ref("form_4797.part_ii.17")}, "Schedule A Part I line 4b; Form 4797")
        else:
            self.add("schedule_a.part_i.4b", 0, "no sale of rental property in the year", {}, "Schedule A Part I line 4b")
        self.add("schedule_a.part_i.7a", self.nodes["schedule_a.part_v.8"]["value"], "Part V line 8",
                 {"8": self.ref("schedule_a.part_v.8")}, "Schedule A Part I line 7 column (A)")
        self.add("schedule_a.part_i.7b", self.nodes["schedule_a.part_v.10"]["value"], "Part V line 10",
                 {"10": self.ref("schedule_a.part_v.10")}, "Schedule A Part I line 7 column (B)")
        self.add("schedule_a.part_i.7c", self.nodes["schedule_a.part_i.7a"]["value"] - self.nodes["schedule_a.part_i.7b"]["value"],
                 "line 7 (A) − (B)", {"7a": self.ref("schedule_a.part_i.7a"), "7b": self.ref("schedule_a.part_i.7b")},
                 "Schedule A Part I line 7 column (C)")
        v = lambda key: self.nodes[key]["value"]  # noqa: E731
        self.line_5(self.result.silos.investment, "schedule_a.part_i.5")
        self.add("schedule_a.part_i.13a", sum(v(f"schedule_a.part_i.{k}") for k in ("4a", "4b", "4c", "5", "7a")),
                 "lines 4a + 4b + 4c + 5 + 7 (A)",
                 {k: self.ref(f"schedule_a.part_i.{k}") for k in ("4a", "4b", "4c", "5", "7a")},
                 "Schedule A Part I line 13 column (A)")
        self.add("schedule_a.part_i.13b", v("schedule_a.part_i.7b"), "line 7 (B)",
                 {"7b": self.ref("schedule_a.part_i.7b")}, "Schedule A Part I line 13 column (B)")
        self.add("schedule_a.part_i.13c", sum(v(f"schedule_a.part_i.{k}") for k in ("4a", "4b", "4c", "5", "7c")),
                 "lines 4a + 4b + 4c + 5 + 7 (C)",
                 {k: self.ref(f"schedule_a.part_i.{k}") for k in ("4a", "4b", "4c", "5", "7c")},
                 "Schedule A Part I line 13 column (C)")
        self.add("schedule_a.part_ii.15", 0, "every deduction is taken in Part V (deductions not taken elsewhere: none)",
                 {}, "Schedule A Part II line 15")
        self.add("schedule_a.part_ii.16", v("schedule_a.part_i.13c") - v("schedule_a.part_ii.15"), "line 13 (C) − line 15",
                 {"13c": self.ref("schedule_a.part_i.13c"), "15": self.ref("schedule_a.part_ii.15")},
                 "Schedule A Part II line 16; " + CITE["silo"])
        nol = s.nol
        nol_in = self._carryover("post2017_nol", s.nol_in, "post-2017 NOL carried into the year")
        silos = self.result.silos
        several = len(silos.items) > 1
        pre_in = self._carryover("pre2018_nol", silos.pre2018_available, "pre-2018 NOL carried into the year (not expired)")
        dollars = lambda text: whole_dollars(Decimal(text))  # noqa: E731
        layers = {f"pre-2018 NOL of {row['origin_year']}": f"{dollars(row['used']):,} used of {dollars(row['available']):,}"
                  + (f"; {dollars(row['expired']):,} expired after {row['expires']}" if dollars(row["expired"]) else "")
                  for row in pre2018_rows(silos)}
        if several:
            self.add("carryover.pre2018_nol_used", silos.pre2018_used,
                     "pre-2018 NOLs first, oldest first, up to the trades or businesses' income, set against them for "
                     "the fullest use of post-2017 NOLs (deducted on Form 990-T line 6)",
                     {"available": self.ref(pre_in), **self.pre2018_allocation(), **layers}, CITE["pre2018"])
        else:
            self.add("carryover.pre2018_nol_used", nol.pre2018_used,
                     "pre-2018 NOLs first, oldest first, up to line 16 (deducted on Form 990-T line 6)",
                     {"available": self.ref(pre_in), "16": self.ref("schedule_a.part_ii.16"), **layers}, CITE["pre2018"])
        inputs = {"NOL available": self.ref(nol_in), "16": self.ref("schedule_a.part_ii.16"),
                  "pre-2018 NOLs deducted first": (f"{nol.pre2018_used:,} set against this Schedule A" if several
                                                   else self.ref("carryover.pre2018_nol_used")),
                  **{f"post-2017 NOL of {item.origin_year or 'an earlier year'}": f"{item.used:,} used of {item.available:,}"
                     for item in nol.schedule if item.kind == "post2017"}}
        limit = self.result.parameters.post2017_nol_limit
        if limit is not None:
            inputs["limitation"] = (f"{format_rate(limit)} × (line 16 − pre-2018 NOLs deducted), rounded down = "
                                    f"{nol.post2017_limit if nol.post2017_limit is not None else 0:,}")
            operation = ("the smaller of the post-2017 NOL available and the limitation, oldest losses first, "
                         "not below zero")
        else:
            operation = ("the smaller of the post-2017 NOL available and line 16 less the pre-2018 NOLs deducted (no 80% "
                         "limitation for years beginning before 2021)")
        self.add("schedule_a.part_ii.17", s.line_17, operation, inputs, CITE["nol"])
        self.add("schedule_a.part_ii.18", v("schedule_a.part_ii.16") - v("schedule_a.part_ii.17"),
                 "line 16 − line 17 (a loss shows here; Form 990-T line 1 counts it as zero)",
                 {"16": self.ref("schedule_a.part_ii.16"), "17": self.ref("schedule_a.part_ii.17")},
                 "Schedule A Part II line 18")

    def _carryover(self, kind: str, amount: int, words: str) -> str:
        account_id = self.result.account_id
        key = f"carryover.{kind}_in"
        rows = self._rows_of("carryovers", account_id=account_id, tax_year=self.year, kind=kind)
        if rows:
            return self.add(key, amount, f"{words}: set by carryovers.csv", {}, CITE["nol"],
                            source=self._source("carryovers", rows, account_id=account_id, tax_year=self.year, kind=kind))
        return self.add(key, amount, f"{words}: rolled forward from the book's earlier years ({self.year - 1} "
                        "carryover out)", {}, CITE["nol"] if kind == "post2017_nol" else CITE["pre2018"])
