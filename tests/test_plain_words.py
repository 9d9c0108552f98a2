"""The investor's answer in plain words (udfi.plain_words), from hand-worked books.

Hand-worked base case (tax year 2022): a traditional IRA buys land for $100,000 on 2022-01-01 with a
$50,000 non-recourse loan it never repays; rent $1,000 a month, interest $250 a month.
  Land is never depreciated, so the adjusted basis stays $100,000: AAB = $100,000 (Reg. §1.514(a)-1(a)(2)).
  Debt on the first day of every month = $50,000: AAI = $50,000 (Reg. §1.514(a)-1(a)(3)).
  Debt/basis = 50,000 / 100,000 = 50 % (IRC §514(a)(1)).
  Gross income reportable = 12 × 1,000 × 50 % = $6,000 (Sch. A Part V line 7) — at least $1,000: a return is due.
  Allocable deductions = 12 × 250 × 50 % = $1,500 (line 9); net $4,500 (Sch. A line 7 (C)).
  UBTI = 4,500 − 1,000 specific deduction = $3,500 (Form 990-T line 11).
  Tax, 2022 trust rates (Rev. Proc. 2021-45: 10 % to $2,750, 24 % to $9,850):
      2,750 × 10 % = 275.00; (3,500 − 2,750) × 24 % = 180.00; total $455 (< $500: no estimated tax).
  Due 15th day of the 4th month: April 15, 2023 is a Saturday and Monday April 17 is Emancipation Day (DC),
  so April 18, 2023; Form 8868 extends filing 6 months to October 16, 2023 (Oct 15 is a Sunday).
"""

from __future__ import annotations

from typer.testing import CliRunner

from bookbuilder import compute, monthly, write_book
from udfi import plain_words
from udfi.cli import app

YEAR = 2022


def _book(tmp_path, account_type="traditional_ira", principal="50000.00", purpose="acquisition", payments=()):
    account = {"account_id": "A1", "name": "Test Trust Co FBO Test Owner IRA", "ein": "12-3456789",
               "account_type": account_type, "books_in_care_of": "Test Trust Co"}
    loans = [{"loan_id": "L1", "property_id": "P1", "originated_on": "2022-01-01", "principal": principal,
              "purpose": purpose}]
    ledger = monthly("2022-01-01", 12, "P1", "rent", "1000.00") + monthly("2022-01-01", 12, "P1", "interest",
                                                                           "250.00", "L1")
    optional = {"payments": list(payments)} if payments else {}
    return write_book(tmp_path / "book", accounts=[account],
                      properties=[{"property_id": "P1", "account_id": "A1", "description": "Lot 7, Marysville, OH",
                                   "property_type": "land", "acquired_on": "2022-01-01", "cost_basis": "100000.00",
                                   "land_value": "100000.00"}],
                      loans=loans, ledger=ledger, **optional)


def _answer(tmp_path, **kwargs) -> plain_words.PlainAnswer:
    return plain_words.answer(compute(_book(tmp_path, **kwargs), YEAR)["A1"])


def test_must_file_says_why_tax_due_dates_who_files_and_pays_and_how(tmp_path):
    plain = _answer(tmp_path)
    assert plain.must_file and plain.headline == "MUST FILE Form 990-T for 2022"
    assert "$6,000.00" in plain.sentence("why").text and "$1,000" in plain.sentence("why").text
    tax = plain.sentence("tax").text
    assert tax.startswith("Tax $455:") and "$3,500" in tax and "Balance due $455." in tax
    due = plain.sentence("due").text
    assert "April 18, 2023" in due and "October 16, 2023" in due and "not the time to pay" in due
    assert "§6151(a)" in plain.sentence("due").citation
    who = plain.sentence("who_files").text
    assert "trustee or custodian (Test Trust Co)" in who and "12-3456789" in who and "electronically" in who
    assert "account's own funds" in plain.sentence("who_pays").text
    assert "§408(e)(1)" in plain.sentence("who_pays").citation
    how = plain.sentence("how_to_pay").text
    assert "EFTPS" in how and "$455" in how
    assert plain.sentence("estimated_tax") is None  # $455 < $500 (IRC §6655(f))


def test_paid_in_full_has_nothing_more_due_and_no_payment_instruction(tmp_path):
    paid = [{"account_id": "A1", "tax_year": "2022", "kind": "estimated", "date": "2022-06-15", "amount": "455.00"}]
    plain = _answer(tmp_path, payments=paid)
    assert "Payments already made $455; nothing more is due." in plain.sentence("tax").text
    assert plain.sentence("how_to_pay") is None


def test_no_acquisition_debt_needs_no_return_and_says_why(tmp_path):
    # a loan with purpose "other" is not acquisition indebtedness (§514(c)(1)), so the land is not
    # debt-financed property and its rent stays excluded
    plain = _answer(tmp_path, purpose="other")
    assert not plain.must_file and plain.headline == "No Form 990-T required for 2022"
    assert "acquisition debt" in plain.sentence("why").text
    assert "§512(b)(3)" in plain.sentence("why").citation
    assert "no tax is owed" in plain.sentence("keep_records").text


def test_solo_401k_with_the_loan_needs_no_return_under_514c9(tmp_path):
    plain = _answer(tmp_path, account_type="solo_401k")
    assert not plain.must_file
    assert "Solo 401(k)" in plain.sentence("why").text and "§514(c)(9)" in plain.sentence("why").citation


def test_small_debt_share_under_the_threshold(tmp_path):
    # $5,000 of debt on $100,000 of basis: 5 % × $12,000 of rent = $600.00 < $1,000
    plain = _answer(tmp_path, principal="5000.00")
    assert not plain.must_file
    assert "$600.00" in plain.sentence("why").text and "under the $1,000" in plain.sentence("why").text


def test_udfi_check_prints_the_plain_words(tmp_path):
    book = _book(tmp_path)
    result = CliRunner().invoke(app, ["check", str(book), "--year", str(YEAR)], terminal_width=400)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    expected = plain_words.text_lines(plain_words.answer(compute(book, YEAR)["A1"]))
    for line in expected:
        assert " ".join(line.split()) in text
    assert "EFTPS" in text and "custodian" in text


def test_an_estimated_tax_penalty_is_part_of_the_balance_due():
    """fixtures/sample, IRA-CHEN 2023: Part III line 9 = line 4 + line 8 (Form 2220 penalty) − line 7; the
    sentence names the penalty so the figures it quotes add up to the balance due."""
    from pathlib import Path

    result = compute(Path(__file__).resolve().parent.parent / "fixtures" / "sample", 2023)["IRA-CHEN"]
    lines = result.form.part_iii
    assert lines["8"] > 0 and lines["9"] == lines["4"] + lines["8"] - lines["7"]
    text = plain_words.answer(result).sentence("tax").text
    assert f"Plus ${lines['8']:,} of estimated-tax penalty" in text
    assert f"balance due ${lines['9']:,}." in text
