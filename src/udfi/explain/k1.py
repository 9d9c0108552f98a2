"""Derivations of the K-1 figures and of every partnership silo's Schedule A (Treas. Reg. §1.512(a)-6).

Keys: ``k1.<partnership_id>.ubti`` / ``.profits_pct`` / ``.capital_pct`` / ``.test`` /
``.gross_income``; ``schedule_a.part_i.5`` (the investment silo's qualifying interests);
``schedules_a.<sequence>.<part>.<line>`` for every attached Schedule A (for the investment silo these
repeat its ``schedule_a.…`` lines); ``carryover.silo.<NAICS 2 digits>.post2017_nol_in``.
"""

from __future__ import annotations

from udfi.engine.k1 import TEST_WORDS
from udfi.engine.silos import INVESTMENT
from udfi.money import money_str, whole_dollars

K1_CITE = {
    "ubti": "Schedule K-1 (Form 1065) box 20 code V; IRC §512(c)(1)",
    "average": "Treas. Reg. §1.512(a)-6(c)(5) (average of the beginning and end of the partnership's year)",
    "test": "Treas. Reg. §1.512(a)-6(c)(2)-(4) (de minimis test: ≤ 2% of profits and of capital; participation "
            "test: ≤ 20% of capital and no control or influence)",
    "line_5": "Schedule A (Form 990-T) Part I line 5 (attach statement); Treas. Reg. §1.512(a)-6(c)(1)(i)",
    "silo": "IRC §512(a)(6)(A); Treas. Reg. §1.512(a)-6(b) (first two digits of the NAICS code)",
    "nol": "IRC §172(a)(2); Treas. Reg. §1.512(a)-6(h)(1) (each silo's own NOL); Schedule A Part II line 17",
    "pre2018": "Treas. Reg. §1.512(a)-6(h)(2) (pre-2018 NOLs from total UBTI, allocated for maximum use of "
               "post-2017 NOLs); Form 990-T Part I line 6",
    "filing": "Instructions for Form 990-T, Who Must File (gross income of all unrelated trades or businesses)",
}


def k1_key(item, field: str) -> str:
    return f"k1.{item.partnership_id}.{field}"


class K1Derivations:
    """Mixed into the derivation builder (needs `add`, `ref`, `nodes`, `_source`, `result`, `book`)."""

    def k1_lines(self) -> None:
        year = self.year
        for item in self.result.k1s:
            source = self._source("k1s", [item.source_row] if self.book is not None else [],
                                  account_id=self.result.account_id, tax_year=year,
                                  partnership_id=item.partnership_id)
            self.add(k1_key(item, "ubti"), money_str(item.ubti),
                     f"{item.name} (EIN {item.ein}): the account's share of UBTI as the K-1 reports it", {},
                     K1_CITE["ubti"], source=source)
            q = item.qualification
            self.add(k1_key(item, "profits_pct"), f"{q.profits_pct.normalize():f}%", "(beginning + end) / 2",
                     {"beginning": f"{item.profits_beginning.normalize():f}%",
                      "end": f"{item.profits_end.normalize():f}%"}, K1_CITE["average"], source=source)
            self.add(k1_key(item, "capital_pct"), f"{q.capital_pct.normalize():f}%", "(beginning + end) / 2",
                     {"beginning": f"{item.capital_beginning.normalize():f}%",
                      "end": f"{item.capital_end.normalize():f}%"}, K1_CITE["average"], source=source)
            inputs = {"profits": self.ref(k1_key(item, "profits_pct")),
                      "capital": self.ref(k1_key(item, "capital_pct")), "control or influence": item.control}
            if item.related_capital_pct:
                inputs["capital held by related persons"] = f"{item.related_capital_pct.normalize():f}%"
            self.add(k1_key(item, "test"), TEST_WORDS.get(q.test, "not a qualifying partnership interest"),
                     q.explanation + ("" if q.qualifying else f"; its own Schedule A by NAICS {item.activity_code}"),
                     inputs, K1_CITE["test"])
            if item.gross_income is not None:
                self.add(k1_key(item, "gross_income"), money_str(item.gross_income),
                         "the account's share of the trade's gross income, from the K-1", {}, K1_CITE["filing"],
                         source=source)
            else:
                self.add(k1_key(item, "gross_income"), money_str(item.gross_for_filing),
                         "gross income not given: the UBTI if positive (a lower bound) counts toward the filing test",
                         {"ubti": self.ref(k1_key(item, "ubti"))}, K1_CITE["filing"])

    def line_5(self, silo, key: str) -> None:
        rows = {f"{item.name} ({TEST_WORDS.get(item.qualification.test, 'own silo')})": self.ref(k1_key(item, "ubti"))
                for item in silo.interests}
        words = ("the K-1 amounts of the qualifying partnership interests, whole dollars each" if silo.key == INVESTMENT
                 else "the K-1 amounts of the partnership interests of this trade or business, whole dollars each")
        self.add(key, sum(whole_dollars(item.ubti) for item in silo.interests), words, rows, K1_CITE["line_5"])

    def partnership_silos(self) -> None:
        silos = self.result.silos
        for silo in silos.attached:
            prefix = f"schedules_a.{silo.sequence}"
            if silo.key == INVESTMENT:
                lines = silo.schedule.as_lines()
                for part, line in [(part, line) for part in ("part_i", "part_ii") for line in lines[part]]:
                    source = f"schedule_a.{part}.{line}"
                    self.add(f"{prefix}.{part}.{line}", self.nodes[source]["value"],
                             "the investment-activities Schedule A", {"line": self.ref(source)}, K1_CITE["silo"])
                continue
            self._silo_lines(silo, prefix)

    def _silo_lines(self, silo, prefix: str) -> None:
        s = silo.schedule
        where = f"{silo.label}, Schedule A {silo.sequence} of {self.result.silos.count}"
        for line in ("4a", "4b", "4c", "7a", "7b", "7c"):
            self.add(f"{prefix}.part_i.{line}", 0, "none: a partnership silo has only the K-1 amounts of line 5 "
                     "(debt-financed property and its sales belong to the investment-activities silo)", {},
                     f"Schedule A Part I line {line[0]}; Treas. Reg. §1.512(a)-6(c)(1)")
        self.line_5(silo, f"{prefix}.part_i.5")
        line5 = self.ref(f"{prefix}.part_i.5")
        self.add(f"{prefix}.part_i.13a", s.line_13a, f"line 5 ({where})", {"5": line5}, "Schedule A Part I line 13")
        self.add(f"{prefix}.part_i.13b", s.line_13b, "no expenses outside the K-1 amounts", {},
                 "Schedule A Part I line 13")
        self.add(f"{prefix}.part_i.13c", s.line_13c, "line 5", {"5": line5}, "Schedule A Part I line 13")
        self.add(f"{prefix}.part_ii.15", 0, "no deductions: the K-1 amounts are already net", {},
                 "Schedule A Part II line 15")
        self.add(f"{prefix}.part_ii.16", s.line_16, "line 13 (C) − line 15",
                 {"13c": self.ref(f"{prefix}.part_i.13c"), "15": self.ref(f"{prefix}.part_ii.15")}, K1_CITE["silo"])
        nol = s.nol
        carried = self._silo_carry_in(silo, nol.post2017_available)
        inputs = {"this silo's post-2017 NOL available": self.ref(carried),
                  "16": self.ref(f"{prefix}.part_ii.16"),
                  "pre-2018 NOL set against this silo": nol.pre2018_used,
                  **{f"post-2017 NOL of {item.origin_year or 'an earlier year'}": f"{item.used:,} used of {item.available:,}"
                     for item in nol.schedule if item.kind == "post2017"}}
        if nol.post2017_limit is not None:
            inputs["limitation"] = f"80% × (line 16 − pre-2018 NOL set against it), rounded down = {nol.post2017_limit:,}"
        self.add(f"{prefix}.part_ii.17", s.line_17,
                 "this silo's own post-2017 NOLs only (another silo's loss never reaches it), up to the limitation",
                 inputs, K1_CITE["nol"])
        self.add(f"{prefix}.part_ii.18", s.line_18, "line 16 − line 17 (a loss shows here; Form 990-T line 1 counts "
                 "it as zero)",
                 {"16": self.ref(f"{prefix}.part_ii.16"), "17": self.ref(f"{prefix}.part_ii.17")},
                 "Schedule A Part II line 18")

    def _silo_carry_in(self, silo, amount: int) -> str:
        key = f"carryover.silo.{silo.key}.post2017_nol_in"
        rows = [] if self.rows is None else self.rows.silo_carryovers(self.result.account_id, self.year, silo.key)
        if rows:
            return self.add(key, amount, "set by carryovers.csv (rows naming this silo's activity code)", {},
                            K1_CITE["nol"], source=self._source("carryovers", rows, account_id=self.result.account_id,
                                                                tax_year=self.year, kind="post2017_nol"))
        return self.add(key, amount, f"this silo's post-2017 NOL rolled forward from {self.year - 1} (its own losses only)",
                        {}, K1_CITE["nol"])

    def silo_totals(self) -> None:
        """Form 990-T line 1 as the sum of the Schedules A, and the pre-2018 allocation of line 6."""
        silos = self.result.silos
        inputs = {}
        for silo in silos.attached:
            key = f"schedules_a.{silo.sequence}.part_ii.18" if silo.key != INVESTMENT else "schedule_a.part_ii.18"
            inputs[f"Schedule A {silo.sequence} ({silo.label})"] = self.ref(key)
        return inputs

    def pre2018_allocation(self) -> dict:
        silos = self.result.silos
        return {f"{silo.label}: line 16 {silo.schedule.line_16:,}, post-2017 NOL {silo.schedule.nol.post2017_available:,}":
                f"{silo.schedule.nol.pre2018_used:,} set against it" for silo in silos.items}
