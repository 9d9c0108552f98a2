"""Every item of the face answered or deliberately blank: items B, C, G, K and Part IV from
account_years.csv (default "No"), in the account object and on the filled form of each revision."""

from __future__ import annotations

from bookbuilder import ACCOUNT, compute, write_book
from forms_helpers import blanks_for
from typer.testing import CliRunner

from udfi.batch.slicing import BookSlicer
from udfi.cli import app
from udfi.engine.report import account_object
from udfi.forms.fieldmaps import known_maps
from udfi.forms.fill import fill_return, read_filled_values
from udfi.validate import validate_book

PROPERTY = {"property_id": "P1", "account_id": "A1", "description": "1 Main St, Reno, NV 89501",
            "property_type": "land", "acquired_on": "2020-01-02", "cost_basis": "100000.00", "land_value": "100000.00"}
LOAN = {"loan_id": "L1", "property_id": "P1", "originated_on": "2020-01-02", "principal": "50000.00"}
# Land held all year with half of its cost borrowed: Part V line 6 = 50%, so 12,000 of rent reports 6,000.
LEDGER = [{"date": f"{year}-06-01", "property_id": "P1", "category": "rent", "amount": "12000.00"}
          for year in range(2020, 2025)]


def _book(tmp_path, account_years=None, accounts=None):
    optional = {"account_years": account_years} if account_years is not None else {}
    return write_book(tmp_path, accounts=accounts, properties=[PROPERTY], loans=[LOAN], ledger=LEDGER, **optional)


def _field(form: str, year: int, line: str) -> str:
    return f"{form}." + next(m for m in known_maps(form) if m.tax_year == year).lines[line]["field"]


def test_without_answers_every_question_is_no_and_item_c_is_flagged(tmp_path):
    data = account_object(compute(_book(tmp_path), 2022)["A1"])
    assert data["form_990t_items"] == {
        "header": {"B": "408(e)", "G": "other_trust", "C": None, "K": False, "K.parent": ""},
        "part_iv": {"1": False, "1.country": "", "2": False, "3": 0, "6a": False, "6b": None}}
    assert any("item C (book value of all assets at end of year) is blank" in flag for flag in data["flags"])
    found = read_filled_values(fill_return(data, 2022, blanks_for(2022)))
    for line in ("header.K.no", "part_iv.1.no", "part_iv.2.no", "part_iv.6a.no"):
        assert found[_field("f990t", 2022, line)]["state"] is not None, line
    for line in ("header.K.yes", "part_iv.1.yes", "part_iv.2.yes", "part_iv.6b.yes", "part_iv.6b.no"):
        assert found[_field("f990t", 2022, line)]["state"] is None, line
    assert found[_field("f990t", 2022, "header.C.book_value")]["value"] is None


ANSWERS = [{"account_id": "A1", "tax_year": "2020", "book_value_eoy": "$101,234.50", "foreign_account": "yes",
            "foreign_account_country": "Canada", "tax_exempt_interest": "310.49", "accounting_method_changed": "true",
            "accounting_method_change_described": "true"},
           {"account_id": "A1", "tax_year": "2022", "book_value_eoy": "98000", "foreign_trust": "true"},
           {"account_id": "A1", "tax_year": "2023", "book_value_eoy": "97000", "accounting_method_changed": "true"}]


def test_answers_reach_the_account_object_in_the_years_own_numbering(tmp_path):
    results = {year: account_object(compute(_book(tmp_path / str(year), ANSWERS), year)["A1"]) for year in (2020, 2022, 2023)}
    # 2020: 101,234.50 → 101,235 (whole dollars, half up); the accounting-method question is lines 4a/4b
    assert results[2020]["form_990t_items"] == {
        "header": {"B": "408(e)", "G": "other_trust", "C": 101235, "K": False, "K.parent": ""},
        "part_iv": {"1": True, "1.country": "Canada", "2": False, "3": 310, "4a": True, "4b": True}}
    assert any("FinCEN Form 114" in flag for flag in results[2020]["flags"])
    assert results[2022]["form_990t_items"]["part_iv"] == {"1": False, "1.country": "", "2": True, "3": 0, "6a": False,
                                                           "6b": None}
    # 2023: Part IV 6a/6b are reserved; the answer has no line
    assert results[2023]["form_990t_items"]["part_iv"] == {"1": False, "1.country": "", "2": False, "3": 0}
    assert results[2023]["form_990t_items"]["header"]["C"] == 97000
    for data in results.values():
        assert not any("item C" in flag for flag in data["flags"])


def test_answers_are_printed_on_the_2020_form(tmp_path):
    data = account_object(compute(_book(tmp_path, ANSWERS), 2020)["A1"])
    found = read_filled_values(fill_return(data, 2020, blanks_for(2020)))
    value = lambda line: found[_field("f990t", 2020, line)]  # noqa: E731
    assert value("header.C.book_value")["value"] == "101,235"
    assert value("part_iv.1.yes")["state"] == "1" and value("part_iv.1.no")["state"] is None
    assert value("part_iv.1.country")["value"] == "Canada"
    assert value("part_iv.2.no")["state"] == "2"
    assert value("part_iv.3")["value"] == "310"
    assert value("part_iv.4a.yes")["state"] == "1" and value("part_iv.4b.yes")["state"] == "1"


def test_a_solo_401k_is_a_401a_trust_exempt_under_501a(tmp_path):
    """Item B: the 501( )( ) box with "a" (IRC §501(a) exempts a trust described in §401(a)); item G:
    "401(a) trust"; no IRA box (408(e), 408A)."""
    accounts = [{**ACCOUNT, "account_type": "solo_401k"}]
    data = account_object(compute(_book(tmp_path, accounts=accounts), 2022)["A1"])
    assert data["exempt_under"] == "501(a)" and data["organization_type"] == "401a_trust"
    found = read_filled_values(fill_return(data, 2022, blanks_for(2022)))
    assert found[_field("f990t", 2022, "header.B.501")]["state"] == "1"
    assert found[_field("f990t", 2022, "header.B.501.first")]["value"] == "a"
    assert found[_field("f990t", 2022, "header.G.401a_trust")]["state"] == "3"
    for line in ("header.B.408e", "header.B.408A", "header.G.other_trust"):
        assert found[_field("f990t", 2022, line)]["state"] is None, line


def test_two_rows_for_one_year_leave_the_answers_blank_with_a_flag(tmp_path):
    rows = [{"account_id": "A1", "tax_year": "2022", "book_value_eoy": "1"},
            {"account_id": "A1", "tax_year": "2022", "book_value_eoy": "2"}]
    data = account_object(compute(_book(tmp_path, rows), 2022)["A1"])
    assert data["form_990t_items"]["header"]["C"] is None and data["form_990t_items"]["part_iv"]["1"] is None
    assert any("account_years.csv rows 2 and 3 both answer tax year 2022" in flag for flag in data["flags"])


def test_yes_without_its_detail_is_flagged_with_file_row_and_column(tmp_path):
    rows = [{"account_id": "A1", "tax_year": "2022", "foreign_account": "true", "controlled_group_subsidiary": "true"}]
    flags = account_object(compute(_book(tmp_path, rows), 2022)["A1"])["flags"]
    assert any(flag.startswith("account_years.csv row 2, column foreign_account_country:") for flag in flags)
    assert any(flag.startswith("account_years.csv row 2, column parent_corporation:") for flag in flags)


def test_bad_answer_is_a_validation_error_naming_file_row_and_column(tmp_path):
    rows = [{"account_id": "A1", "tax_year": "2022", "foreign_account": "maybe", "book_value_eoy": "-5"}]
    result = CliRunner().invoke(app, ["validate", str(_book(tmp_path, rows)), "--format", "json"])
    assert result.exit_code == 1
    assert "account_years.csv" in result.output and "foreign_account" in result.output
    assert "book_value_eoy" in result.output


def test_answers_travel_with_their_account_when_the_book_is_sliced(tmp_path):
    accounts = [ACCOUNT, {**ACCOUNT, "account_id": "A2", "ein": "12-0000002"}]
    rows = [{"account_id": "A2", "tax_year": "2022", "book_value_eoy": "5.00"}]
    book = validate_book(_book(tmp_path, rows, accounts=accounts)).book
    slicer = BookSlicer(book)
    assert len(slicer.sub_book(["A1"]).account_years) == 0
    sub = slicer.sub_book(["A2"])
    assert sub.account_years["book_value_eoy_cents"].tolist() == [500]
    assert '"book_value_eoy_cents": 500' in sub.accounts["account_years"].iloc[0]
    before = slicer.account_hashes(["A1", "A2"])
    changed = validate_book(_book(tmp_path / "changed", [{**rows[0], "book_value_eoy": "6.00"}], accounts=accounts)).book
    after = BookSlicer(changed).account_hashes(["A1", "A2"])
    assert before["A1"] == after["A1"] and before["A2"] != after["A2"]  # --resume redoes only A2


def test_a_year_before_the_first_layout_keeps_the_canonical_lines_with_a_flag(tmp_path):
    year = 2019  # parameters exist from 2018; the pre-2020 Form 990-T is not laid out
    book = write_book(tmp_path, properties=[{**PROPERTY, "acquired_on": "2019-01-02"}],
                      loans=[{**LOAN, "originated_on": "2019-01-02"}],
                      ledger=[{**LEDGER[0], "date": "2019-06-01"}])
    data = account_object(compute(book, year)["A1"])
    assert "part_iv" in data["form_990t"] and "6a" in data["form_990t_items"]["part_iv"]
    assert any("pre-2020 revision" in flag for flag in data["flags"])
