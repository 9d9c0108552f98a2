"""Partnership K-1s and the §512(a)(6) silos, worked by hand from the statute and Treas. Reg. §1.512(a)-6.

- §512(a)(6)(A)-(C): UBTI is computed separately for each unrelated trade or business, NOLs included;
  total UBTI is the sum; a trade or business's UBTI is never below zero.
- §1.512(a)-6(c)(1): the investment-activities trade or business holds the qualifying partnership
  interests (QPIs) and the debt-financed properties — one Schedule A; a QPI's UBTI is Part I line 5.
- §1.512(a)-6(c)(3)-(5): de minimis test (≤ 2% of profits and ≤ 2% of capital), participation test
  (≤ 20% of capital, no control or influence), on the average of the beginning and end percentages:
  (3% + 1%) / 2 = 2% meets the de minimis test (shared/reference/examples.md R20).
- §1.512(a)-6(b): any other interest is a trade or business by the first two digits of its NAICS code.
- §1.512(a)-6(h)(1): each silo's NOL is its own; (h)(2): pre-2018 NOLs come off total UBTI (Form 990-T
  line 6), allocated so as to use the post-2017 NOLs as fully as possible; IRC §172(a)(2): the 80% limit
  of a year beginning after 2020 is figured after the pre-2018 NOLs.
"""

from __future__ import annotations

from decimal import Decimal as D

from tests.bookbuilder import compute, write_book
from udfi.engine.k1 import DE_MINIMIS, PARTICIPATION, qualification, thresholds
from udfi.engine.report import account_object


def lot(year_from: int = 2022):
    """Land bought on Jan 1 for 100,000 with a 100,000 loan, never repaid: AAI = AAB = 100,000, so the
    debt/basis percentage is 100% and the year's rent is all of Part I line 7(C)."""
    return dict(
        properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 3, Boise, ID 83702",
                     "property_type": "land", "acquired_on": f"{year_from}-01-01", "cost_basis": "100000.00",
                     "land_value": "100000.00"}],
        loans=[{"loan_id": "L1", "property_id": "P1", "originated_on": f"{year_from}-01-01", "principal": "100000.00"}],
    )


def only_k1s(folder, rows):
    """A book whose only account holds only K-1s (no property, no ledger rows)."""
    return write_book(folder, k1s=rows)


def rent(year: int, amount: str) -> dict:
    return {"date": f"{year}-06-01", "property_id": "P1", "category": "rent", "amount": amount}


def k1(year: int, pid: str, ubti: str, pct: str | tuple, *, code: str = "", gross: str = "", control: str = "false",
       **more) -> dict:
    beginning, end = (pct, pct) if isinstance(pct, str) else pct
    return {"account_id": "A1", "tax_year": str(year), "partnership_id": pid, "partnership_name": f"{pid} LP",
            "partnership_ein": f"8{len(pid)}-{abs(hash(pid)) % 10_000_000:07d}", "ubti": ubti, "gross_income": gross,
            "profits_pct_beginning": beginning, "profits_pct_end": end, "capital_pct_beginning": beginning,
            "capital_pct_end": end, "control": control, "activity_code": code, **more}


def test_own_leveraged_rental_and_a_qualifying_k1_share_one_schedule_a(tmp_path):
    """2022: the lot's rent 10,000 (line 7(C) 10,000) and a 1%/1% K-1 (de minimis) with UBTI 4,000 and
    gross income 9,000.
      One Schedule A (item J = 1): line 5 = 4,000; line 13(C) = 10,000 + 4,000 = 14,000; line 16 = 18 = 14,000.
      Form 990-T line 1 = 14,000; line 11 = 14,000 − 1,000 = 13,000.
      Filing test: 10,000 (reportable rent) + 9,000 (the K-1's gross income) = 19,000."""
    book = write_book(tmp_path, **lot(), ledger=[rent(2022, "10000.00")],
                      k1s=[k1(2022, "CEDAR", "4000.00", "1", code="531110", gross="9000.00")])
    result = compute(book, 2022)["A1"]
    data = account_object(result)
    assert len(data["schedules_a"]) == 1 and data["schedules_a"][0]["silo"] == "investment_activities"
    lines = data["schedule_a"]
    assert (lines["part_i"]["7c"], lines["part_i"]["5"], lines["part_i"]["13c"]) == (10000, 4000, 14000)
    assert lines["part_ii"]["18"] == result.form.part_i["1"] == 14000 and result.form.ubti == 13000
    assert result.gross_unrelated_income == D("19000.00")
    assert data["schedules_a"][0]["partnerships"][0]["test"] == DE_MINIMIS
    assert [p["property_id"] for p in data["schedules_a"][0]["properties"]] == ["P1"]


def test_syndication_and_a_qualifying_mlp_loss_two_schedules_a_the_loss_stays_in_its_silo(tmp_path):
    """2022: a syndication at 25% of capital (NAICS 531110) with UBTI 20,000 and an MLP at 0.01% (NAICS
    486110, de minimis) with UBTI −3,000; no property of its own.
      Schedule A 1 (investment activities): line 5 = −3,000, line 16 = −3,000 → a post-2017 NOL of 3,000.
      Schedule A 2 (NAICS 53): line 5 = 20,000, line 18 = 20,000.
      Form 990-T line 1 = 0 + 20,000 = 20,000 — not 17,000: the MLP loss offsets no other silo.
      2023: MLP +1,000, syndication +20,000. Investment silo: NOL deduction 80% × 1,000 = 800 → line 18 = 200;
      NAICS 53 silo: 20,000 (the MLP's NOL cannot reach it). Line 1 = 20,200. Part IV line 5 for 2023 lists
      the investment silo's 3,000 available."""
    rows = [k1(2022, "HARBOR", "20000.00", "25", code="531110", gross="50000.00"),
            k1(2022, "PERMIAN", "-3000.00", "0.01", code="486110", gross="500.00", publicly_traded="true"),
            k1(2023, "HARBOR", "20000.00", "25", code="531110", gross="50000.00"),
            k1(2023, "PERMIAN", "1000.00", "0.01", code="486110", gross="1500.00", publicly_traded="true")]
    book = only_k1s(tmp_path, rows)
    first = compute(book, 2022)["A1"]
    silos = first.silos.attached
    assert [(s.key, s.sequence) for s in silos] == [("investment", 1), ("53", 2)]
    assert (silos[0].schedule.line_5, silos[0].schedule.line_16, silos[0].schedule.nol.generated) == (-3000, -3000, 3000)
    assert silos[1].schedule.line_18 == 20000
    assert first.form.part_i["1"] == 20000 and first.form.ubti == 19000
    assert first.carry_out.post2017_nol == 3000 and first.silos.silo_carry_out == {}
    data = account_object(first)
    assert [entry["activity_code"] for entry in data["schedules_a"]] == ["900000", "531110"]
    second = compute(book, 2023)["A1"]
    investment, naics_53 = second.silos.attached
    assert (investment.schedule.line_17, investment.schedule.line_18) == (800, 200)
    assert (naics_53.schedule.line_17, naics_53.schedule.line_18) == (0, 20000)
    assert second.form.part_i["1"] == 20200
    assert second.form.part_iv["5"] == [{"activity_code": "900000", "amount": 3000}]


def test_two_nonqualifying_interests_sharing_the_first_two_naics_digits_share_one_silo(tmp_path):
    """2022, no property: A (531110, 30% capital) UBTI 5,000; B (531390, 5% but with control) UBTI −2,000;
    C (211120, 30%) UBTI 1,500.
      NAICS 53: one Schedule A, line 5 = 5,000 − 2,000 = 3,000 (B's loss offsets A inside the silo).
      NAICS 21: its own Schedule A, line 5 = 1,500. No investment-activities Schedule A (nothing in it).
      Item J = 2 (sequence by code: 21 first, then 53); line 1 = 1,500 + 3,000 = 4,500."""
    book = only_k1s(tmp_path, [k1(2022, "A", "5000.00", "30", code="531110"),
                               k1(2022, "B", "-2000.00", "5", code="531390", control="true"),
                               k1(2022, "C", "1500.00", "30", code="211120")])
    result = compute(book, 2022)["A1"]
    attached = result.silos.attached
    assert [(s.key, s.sequence, s.schedule.line_5) for s in attached] == [("21", 1, 1500), ("53", 2, 3000)]
    assert result.silos.count == 2 and result.form.part_i["1"] == 4500
    assert {i.partnership_id for i in attached[1].interests} == {"A", "B"}
    assert attached[1].activity_code == "531110"   # the code of the larger K-1
    assert not result.silos.investment.attached


def test_de_minimis_average_of_beginning_and_end_is_the_regulations_example():
    """§1.512(a)-6(c)(5)(iii) (examples.md R20): 3% at the beginning, 1% at the end → (3 + 1) / 2 = 2%,
    which meets the de minimis test of no more than 2%. At 3% and 1.02% the average is 2.01%: no longer de
    minimis, but at most 20% of capital with no control, so the participation test is met; with control it
    is not a qualifying interest; at 21% of capital neither test is met."""
    limits = thresholds(2022)
    at_two = qualification(D(3), D(1), D(3), D(1), False, D(0), limits)
    assert at_two.profits_pct == at_two.capital_pct == D(2) and at_two.test == DE_MINIMIS
    over = qualification(D(3), D("1.02"), D(3), D("1.02"), False, D(0), limits)
    assert over.capital_pct == D("2.01") and over.test == PARTICIPATION
    assert qualification(D(3), D("1.02"), D(3), D("1.02"), True, D(0), limits).test is None
    assert qualification(D(21), D(21), D(21), D(21), False, D(0), limits).test is None
    # profits under 2% but capital over it: not de minimis (both must be), participation instead
    assert qualification(D(1), D(1), D("2.5"), D("2.5"), False, D(0), limits).test == PARTICIPATION
    # related persons' capital counts toward the 20%: 15% + 6% = 21%
    assert qualification(D(15), D(15), D(15), D(15), False, D(6), limits).test is None


def test_a_silo_nol_is_carried_and_used_only_by_its_own_silo(tmp_path):
    """2021: lot rent 8,000 (investment silo, line 18 = 8,000); syndication (531110, 30%) UBTI −10,000 →
    the NAICS 53 silo's own NOL of 10,000. Line 1 = 8,000 (the loss offsets nothing); UBTI 7,000.
    2022 (80% limit): lot rent 8,000 again, syndication +6,000.
      Investment silo: no NOL of its own → line 18 = 8,000.
      NAICS 53: 80% × 6,000 = 4,800 of its 10,000 → line 18 = 1,200; 5,200 carried to 2023.
      Line 1 = 9,200. Part IV line 5: 531110 — 10,000 available (the investment silo has none to list)."""
    book = write_book(tmp_path, **lot(2021), ledger=[rent(2021, "8000.00"), rent(2022, "8000.00")],
                      k1s=[k1(2021, "SYND", "-10000.00", "30", code="531110"),
                           k1(2022, "SYND", "6000.00", "30", code="531110")])
    first = compute(book, 2021)["A1"]
    assert first.form.part_i["1"] == 8000 and first.form.ubti == 7000
    assert first.silos.silo_carry_out["53"].post2017_nol == 10000 and first.carry_out.post2017_nol == 0
    second = compute(book, 2022)["A1"]
    investment, naics_53 = second.silos.attached
    assert (investment.schedule.line_17, investment.schedule.line_18) == (0, 8000)
    assert (naics_53.schedule.nol.post2017_limit, naics_53.schedule.line_17, naics_53.schedule.line_18) == (4800, 4800, 1200)
    assert second.form.part_i["1"] == 9200
    assert second.silos.silo_carry_out["53"].post2017_nol == 5200
    assert second.form.part_iv["5"] == [{"activity_code": "531110", "amount": 10000}]
    rows = account_object(second)["nol_by_silo"]
    assert [(row["silo"], row["post2017_out"]) for row in rows] == [("investment_activities", "0.00"),
                                                                     ("naics_53", "5200.00")]


def test_pre2018_nols_are_allocated_to_use_the_post2017_nols_most_fully(tmp_path):
    """2022: investment silo income 10,000 (lot rent), no post-2017 NOL; NAICS 53 silo income 20,000 with
    its own post-2017 NOL of 30,000 (carryovers.csv, activity code 531110); pre-2018 NOL 15,000 (of 2015).
      §1.512(a)-6(h)(2): first set the pre-2018 NOL where it displaces no post-2017 deduction — the
      investment silo, up to its 10,000 — then the other 5,000 against NAICS 53:
        NAICS 53: 80% × (20,000 − 5,000) = 12,000 of post-2017 NOL → line 18 = 8,000.
        investment: line 18 = 10,000 (no post-2017 NOL).
      Line 1 = 18,000; line 6 = 15,000; line 7 = 3,000; line 11 = 2,000.
      (All 15,000 against NAICS 53 would allow only 80% × 5,000 = 4,000 of post-2017 NOL, line 11 10,000.)
      Carried: pre-2018 0; NAICS 53 post-2017 18,000."""
    book = write_book(tmp_path, **lot(), ledger=[rent(2022, "10000.00")],
                      k1s=[k1(2022, "SYND", "20000.00", "30", code="531110")],
                      carryovers=[{"account_id": "A1", "tax_year": "2022", "kind": "pre2018_nol", "origin_year": "2015",
                                   "amount": "15000.00"},
                                  {"account_id": "A1", "tax_year": "2022", "kind": "post2017_nol", "origin_year": "2019",
                                   "amount": "30000.00", "activity_code": "531110"}])
    result = compute(book, 2022)["A1"]
    investment, naics_53 = result.silos.attached
    assert (investment.pre2018_allocated, naics_53.pre2018_allocated) == (10000, 5000)
    assert (naics_53.schedule.line_17, naics_53.schedule.line_18, investment.schedule.line_18) == (12000, 8000, 10000)
    form = result.form
    assert (form.part_i["1"], form.part_i["6"], form.part_i["7"], form.ubti) == (18000, 15000, 3000, 2000)
    assert form.part_iv["4"] == 15000
    assert result.carry_out.pre2018_nol == 0 and result.silos.silo_carry_out["53"].post2017_nol == 18000
    data = account_object(result)
    assert data["nol_carryover"]["pre2018_used"] == "15000.00"
    assert [row["pre2018_allocated"] for row in data["nol_by_silo"]] == ["10000.00", "5000.00"]


def test_filing_test_counts_k1_gross_income_and_says_what_it_assumed(tmp_path):
    """A K-1 with UBTI 800 and no gross income: 800 (a lower bound) < 1,000 → not required, flagged. The
    same K-1 with gross income 1,200: required (gross income, not net, decides)."""
    without = compute(only_k1s(tmp_path / "a", [k1(2022, "X", "800.00", "1", code="531110")]), 2022)["A1"]
    assert without.gross_unrelated_income == D("800.00") and not without.must_file
    assert any("gross_income not given" in flag for flag in without.flags)
    given = compute(only_k1s(tmp_path / "b", [k1(2022, "X", "800.00", "1", code="531110", gross="1200.00")]), 2022)["A1"]
    assert given.must_file and given.form.ubti == 0   # 800 − 1,000: no tax, but a return


def test_grace_period_keeps_an_interest_qualifying_for_the_year_of_the_change(tmp_path):
    """2021: 19% of capital, no control (participation test). 2022: 21% because other partners redeemed —
    flagged increase_by_other_partners: still on the investment Schedule A for 2022 (grace period, [M]);
    without the flag it is its own NAICS 53 Schedule A."""
    rows = [k1(2021, "P", "1000.00", "19", code="531110"),
            k1(2022, "P", "1000.00", "21", code="531110", increase_by_other_partners="true")]
    kept = compute(only_k1s(tmp_path / "a", rows), 2022)["A1"]
    assert kept.k1s[0].qualification.test == "grace_period" and kept.silos.investment.schedule.line_5 == 1000
    rows[1] = k1(2022, "P", "1000.00", "21", code="531110")
    moved = compute(only_k1s(tmp_path / "b", rows), 2022)["A1"]
    assert [s.key for s in moved.silos.attached] == ["53"]


def test_an_account_without_k1s_keeps_one_schedule_a_and_its_figures(tmp_path):
    """No K-1: one Schedule A (item J = 1) even with nothing in it, and line 5 is 0."""
    result = compute(write_book(tmp_path, **lot(), ledger=[rent(2022, "500.00")]), 2022)["A1"]
    data = account_object(result)
    assert result.silos.count == 1 and data["schedule_a"]["part_i"]["5"] == 0
    assert data["schedules_a"][0]["schedule_a"] == data["schedule_a"]


def test_rollforward_writes_each_silos_nol_with_its_activity_code(tmp_path):
    """The 2021 case above: `udfi rollforward --year 2021` writes the NAICS 53 silo's 10,000 as a post-2017
    NOL of 2021 with activity code 531110 — and computing 2022 from that row (history cut at 2022) gives
    the same NAICS 53 line 17 of 4,800 as rolling the book forward."""
    import csv

    from typer.testing import CliRunner

    from udfi.cli import app

    book = write_book(tmp_path, **lot(2021), ledger=[rent(2021, "8000.00"), rent(2022, "8000.00")],
                      k1s=[k1(2021, "SYND", "-10000.00", "30", code="531110"),
                           k1(2022, "SYND", "6000.00", "30", code="531110")])
    outcome = CliRunner().invoke(app, ["rollforward", str(book), "--year", "2021"])
    assert outcome.exit_code == 0, outcome.output
    with open(book / "carryovers.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["tax_year"], r["kind"], r["origin_year"], r["amount"], r["activity_code"]) for r in rows] == [
        ("2022", "post2017_nol", "2021", "10000.00", "531110")]
    result = compute(book, 2022)["A1"]
    assert result.silos.attached[1].schedule.line_17 == 4800
