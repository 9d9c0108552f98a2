"""Derivations of the year's sales: Form 4797 (rental property) and Schedule D (Form 1041) (capital
assets, §1231 gain, capital loss carryovers), which feed Schedule A Part I lines 4a–4c."""

from __future__ import annotations

from udfi.engine.form_4797 import Form4797
from udfi.engine.schedule_d import ScheduleD
from udfi.explain.properties import PropertyDerivations
from udfi.statements.figures import CITE


class GainDerivations(PropertyDerivations):
    def _sale_row(self, prefix: str, row, line: str) -> str:
        """One Form 4797 / 8949 row: the reportable share of one sale, whole dollars."""
        base = f"property.{row.property_id}.disposition"
        return self.add(f"{prefix}.{row.property_id}", row.gain_or_loss,
                        f"line {line}: {row.description} (acquired {row.acquired_on}, sold {row.sold_on}) — the "
                        "debt-financed share of the gain or loss, whole dollars; the proceeds and depreciation columns "
                        "are the same share, and basis is the balancing figure",
                        {"reportable gain": self.ref(f"{base}.gain_reportable"),
                         "holding period": self.ref(f"{base}.holding_period")},
                        CITE["character"])

    def form_4797(self, form: Form4797 | None) -> None:
        if form is None:
            return
        rows_i = {row.property_id: self.ref(self._sale_row("form_4797.part_i.2", row, "2")) for row in form.part_i_rows}
        rows_ii = {row.property_id: self.ref(self._sale_row("form_4797.part_ii.10", row, "10"))
                   for row in form.part_ii_rows}
        part_iii = {}
        for item in form.part_iii:
            part_iii[item.property_id] = self.ref(self.add(
                f"form_4797.part_iii.24.{item.property_id}", item.line_24,
                "line 24 total gain = line 20 gross sales price − line 23 adjusted basis, the debt-financed share; "
                "lines 26a–26g are zero (straight-line depreciation has no additional depreciation, IRC §1250(b))",
                {"20": item.line_20, "21": item.line_21, "22": item.line_22, "23": item.line_23,
                 "reportable gain": self.ref(f"property.{item.property_id}.disposition.gain_reportable")},
                "Form 4797 Part III; IRC §1250(a), (b)(1)"))
        self.add("form_4797.part_iii.30", form.line_30, "Σ line 24 of every Part III property", part_iii,
                 "Form 4797 line 30")
        self.add("form_4797.part_iii.31", form.line_31, "Σ lines 25b, 26g, 27c, 28b, 29b: none for straight-line real "
                 "property", {}, "Form 4797 line 31")
        self.add("form_4797.part_iii.32", form.line_32, "line 30 − line 31 (to line 6)",
                 {"30": self.ref("form_4797.part_iii.30"), "31": self.ref("form_4797.part_iii.31")}, "Form 4797 line 32")
        self.add("form_4797.part_i.6", form.line_6, "gain from line 32", {"32": self.ref("form_4797.part_iii.32")},
                 "Form 4797 line 6")
        self.add("form_4797.part_i.7", form.line_7, "net §1231 gain (loss): line 2 column (g) + line 6",
                 {**rows_i, "6": self.ref("form_4797.part_i.6")}, "Form 4797 line 7; IRC §1231(a)")
        prior = {f"nonrecaptured {year}": amount for year, amount in self.result.schedule.carry_in.section_1231_losses}
        self.add("form_4797.part_i.8", form.line_8,
                 "nonrecaptured net §1231 losses of the 5 preceding years, oldest first, up to the net gain on line 7: "
                 "that much of the gain is ordinary income",
                 {"7": self.ref("form_4797.part_i.7"), **prior,
                  **{f"recaptured from {year}": amount for year, amount in form.recaptured}},
                 "Form 4797 line 8; IRC §1231(c)")
        self.add("form_4797.part_i.9", form.line_9, "line 7 − line 8 when line 7 is a gain (to Schedule D line 14 as "
                 "a long-term capital gain)", {"7": self.ref("form_4797.part_i.7"), "8": self.ref("form_4797.part_i.8")},
                 "Form 4797 line 9; IRC §1231(a)(1)")
        self.add("form_4797.part_ii.11", form.line_11, "the loss on line 7, if any: a net §1231 loss is ordinary",
                 {"7": self.ref("form_4797.part_i.7")}, "Form 4797 line 11; IRC §1231(a)(2)")
        self.add("form_4797.part_ii.12", form.line_12, "the amount on line 8 (recaptured as ordinary income)",
                 {"8": self.ref("form_4797.part_i.8")}, "Form 4797 line 12")
        self.add("form_4797.part_ii.17", form.line_17, "line 10 (sales of rental property held 1 year or less) + "
                 "line 11 + line 12", {**rows_ii, "11": self.ref("form_4797.part_ii.11"),
                                       "12": self.ref("form_4797.part_ii.12")}, "Form 4797 line 17")

    def schedule_d(self, schedule: ScheduleD | None) -> None:
        if schedule is None:
            return
        carry = self.result.schedule.carry_in
        short = {row.property_id: self.ref(self._sale_row("schedule_d.form_8949.C", row, "Form 8949 box C"))
                 for row in schedule.short_term_rows}
        long = {row.property_id: self.ref(self._sale_row("schedule_d.form_8949.F", row, "Form 8949 box F"))
                for row in schedule.long_term_rows}
        self.add("schedule_d.part_i.3", schedule.line_3, "Σ Form 8949 Part I (box C: short-term, no Form 1099-B)",
                 short, "Schedule D (Form 1041) line 3")
        st_in = self._capital_carryover("short_term_capital_loss", carry.short_term_capital_loss)
        self.add("schedule_d.part_i.6", schedule.line_6, "short-term capital loss carryover (as a loss)",
                 {"carryover": self.ref(st_in)}, "Schedule D (Form 1041) line 6; IRC §1212(b)(1)")
        self.add("schedule_d.part_i.7", schedule.line_7, "line 3 + line 6",
                 {"3": self.ref("schedule_d.part_i.3"), "6": self.ref("schedule_d.part_i.6")},
                 "Schedule D (Form 1041) line 7")
        self.add("schedule_d.part_ii.10", schedule.line_10, "Σ Form 8949 Part II (box F: long-term, no Form 1099-B)",
                 long, "Schedule D (Form 1041) line 10")
        self.add("schedule_d.part_ii.14", schedule.line_14, "gain from Form 4797 line 9 (net §1231 gain)",
                 {"4797 line 9": self.ref("form_4797.part_i.9")} if self.result.schedule.form_4797 else {},
                 "Schedule D (Form 1041) line 14; IRC §1231(a)(1)")
        lt_in = self._capital_carryover("long_term_capital_loss", carry.long_term_capital_loss)
        self.add("schedule_d.part_ii.15", schedule.line_15, "long-term capital loss carryover (as a loss)",
                 {"carryover": self.ref(lt_in)}, "Schedule D (Form 1041) line 15; IRC §1212(b)(1)")
        self.add("schedule_d.part_ii.16", schedule.line_16, "line 10 + line 14 + line 15",
                 {k: self.ref(f"schedule_d.part_ii.{k}") for k in ("10", "14", "15")}, "Schedule D (Form 1041) line 16")
        self.add("schedule_d.part_iii.17", schedule.line_17, "line 7", {"7": self.ref("schedule_d.part_i.7")},
                 "Schedule D (Form 1041) line 17")
        self.add("schedule_d.part_iii.18a", schedule.line_18a, "line 16", {"16": self.ref("schedule_d.part_ii.16")},
                 "Schedule D (Form 1041) line 18a")
        unrecaptured = {row.property_id: row.unrecaptured_1250 for row in schedule.long_term_rows}
        if self.result.schedule.form_4797 is not None:
            unrecaptured["from §1231 property (Form 4797, worksheet lines 1–9)"] = \
                self.result.schedule.form_4797.unrecaptured_1250_from_1231
        self.add("schedule_d.part_iii.18b", schedule.line_18b,
                 "Unrecaptured Section 1250 Gain Worksheet: the debt-financed share of depreciation in the long-term "
                 "gains, less a net short-term loss and the long-term loss carryover, not over the net capital gain",
                 {**unrecaptured, "7": self.ref("schedule_d.part_i.7"), "15": self.ref("schedule_d.part_ii.15")},
                 CITE["unrecaptured"])
        self.add("schedule_d.part_iii.19", schedule.line_19, "line 17 + line 18a",
                 {"17": self.ref("schedule_d.part_iii.17"), "18a": self.ref("schedule_d.part_iii.18a")},
                 "Schedule D (Form 1041) line 19")
        self.add("schedule_d.part_iv.20", schedule.line_20, "a net loss on line 19: the smaller of the loss or $3,000",
                 {"19": self.ref("schedule_d.part_iii.19")}, CITE["capital_loss"])

    def _capital_carryover(self, kind: str, amount: int) -> str:
        account_id = self.result.account_id
        key = f"carryover.{kind}_in"
        rows = self._rows_of("carryovers", account_id=account_id, tax_year=self.year, kind=kind)
        if rows:
            return self.add(key, amount, "set by carryovers.csv", {}, CITE["capital_loss"],
                            source=self._source("carryovers", rows, account_id=account_id, tax_year=self.year, kind=kind))
        worksheet = "line 9 (short-term)" if kind.startswith("short") else "line 14 (long-term)"
        return self.add(key, amount, f"carried from {self.year - 1} by its Capital Loss Carryover Worksheet {worksheet}",
                        {}, CITE["capital_loss"])
