"""Diagnostics (issue #13): every error, warning, flag and assumption that touched a return, gathered
where the law and the inputs put them — a recourse loan (IRC §4975(c)(1)(B)), a loan without a lender
statement (Reg. §1.514(a)-1(a)(3); README Assumption 4), a validation warning with file/row/column,
the §514(c)(9) exception of a Solo 401(k) (README Assumption 17), Part IV answered No by default
(README Assumption 24) — masked, escaped, and the same on the batch page as on each account's page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from bookbuilder import monthly, write_book
import udfi.parameters
from udfi.batch import package as batch_package
from udfi.batch.run import PrepareOptions, prepare
from udfi.cli import app
from udfi.diagnostics import (ASSUMPTION, ERROR, FLAG, INFO, KINDS, WARNING, Diagnostics, account_diagnostics,
                              account_page)
from udfi.diagnostics.assumptions import ASSUMPTIONS_FILE, assumptions
from udfi.diagnostics.gather import flag_items
from udfi.diagnostics.model import Item
from udfi.diagnostics.render import batch_diagnostics, batch_page
from udfi.diagnostics.topics import FLAG_RULES, WARNING_RULES
from udfi.engine.compute import Settings, compute_book
from udfi.resources import schemas_dir
from udfi.validate import validate_book

YEAR = 2022
REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
SSN = "123-45-6789"


def _tiny_book(folder: Path) -> Path:
    """A1 must file (recourse loan, no lender statement, an SSN in a memo); A2 has a bad ledger amount
    (an exception); A3 holds unfinanced land (not required); A4 is a Solo 401(k) whose loan is not from a
    disqualified person (§514(c)(9) applies); A5 holds nothing and answered account_years.csv."""
    accounts = [
        {"account_id": "A1", "name": "Trust Co FBO Owner IRA", "ein": "12-3456789", "account_type": "traditional_ira"},
        {"account_id": "A2", "name": "Trust Co FBO Second IRA", "ein": "12-3456780", "account_type": "traditional_ira"},
        {"account_id": "A3", "name": "Trust Co FBO Third Roth IRA", "ein": "12-3456781", "account_type": "roth_ira"},
        {"account_id": "A4", "name": "Owner Solo 401(k) Plan", "ein": "12-3456782", "account_type": "solo_401k"},
        {"account_id": "A5", "name": "Trust Co FBO Fifth IRA", "ein": "12-3456783", "account_type": "traditional_ira"},
    ]
    for account in accounts:
        account.update(street="1 Custody Plaza", city="Columbus", state="OH", zip="43215")
    properties = [
        {"property_id": "P1", "account_id": "A1", "description": "1 Main St, Columbus, OH 43215",
         "property_type": "residential_rental", "acquired_on": "2021-01-15", "cost_basis": "200000.00",
         "land_value": "40000.00"},
        {"property_id": "P2", "account_id": "A2", "description": "2 Main St, Columbus, OH 43215",
         "property_type": "residential_rental", "acquired_on": "2021-01-15", "cost_basis": "150000.00",
         "land_value": "30000.00"},
        {"property_id": "P3", "account_id": "A3", "description": "Lot 3, Marysville, OH 43040",
         "property_type": "land", "acquired_on": "2021-01-15", "cost_basis": "20000.00", "land_value": "20000.00"},
        {"property_id": "P4", "account_id": "A4", "description": "4 Birch Rd, Asheville, NC 28803",
         "property_type": "residential_rental", "acquired_on": "2021-01-15", "cost_basis": "180000.00",
         "land_value": "30000.00", "use": "rental_business", "recovery": "gds"},
    ]
    loans = [
        {"loan_id": "L1", "property_id": "P1", "originated_on": "2021-01-15", "principal": "120000.00",
         "purpose": "acquisition", "recourse": "true", "lender_is_disqualified_person": "false"},
        {"loan_id": "L2", "property_id": "P2", "originated_on": "2021-01-15", "principal": "90000.00",
         "purpose": "acquisition", "recourse": "false", "lender_is_disqualified_person": "false"},
        {"loan_id": "L4", "property_id": "P4", "originated_on": "2021-01-15", "principal": "100000.00",
         "purpose": "acquisition", "recourse": "false", "lender_is_disqualified_person": "false"},
    ]
    ledger = []
    for pid, rent in (("P1", "1500.00"), ("P2", "1200.00"), ("P3", "200.00"), ("P4", "1400.00")):
        ledger += monthly("2021-02-01", 23, pid, "rent", rent)
    ledger += monthly("2021-02-01", 23, "P1", "interest", "500.00", "L1")
    ledger[0]["memo"] = f"<b>owner</b> SSN {SSN}"    # ledger.csv row 2: a warning, masked and escaped
    ledger[30]["amount"] = "twelve hundred"           # a P2 row: A2 is an exception
    account_years = [{"account_id": "A5", "tax_year": str(YEAR), "book_value_eoy": "1000.00"}]
    write_book(folder, accounts=accounts, properties=properties, loans=loans, ledger=ledger,
               account_years=account_years)
    shutil.copy(REPO / "fixtures" / "sample" / "custodian.yaml", folder / "custodian.yaml")
    return folder


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    return _tiny_book(tmp_path_factory.mktemp("diagnostics") / "book")


@pytest.fixture(scope="module")
def gathered(book: Path) -> dict[str, Diagnostics]:
    report = validate_book(book)
    clean = set(report.book.accounts["account_id"]) - report.accounts_with_errors
    results = compute_book(report.book.for_accounts(clean), YEAR, Settings())
    return {result.account_id: account_diagnostics(result, report) for result in results}


def _one(diagnostics: Diagnostics, kind: str, topic: str) -> Item:
    found = [item for item in diagnostics.items if item.kind == kind and item.topic == topic]
    assert len(found) == 1, (kind, topic, [(item.kind, item.topic) for item in diagnostics.items])
    return found[0]


def test_a_recourse_loan_is_a_flag_and_a_validation_warning_with_its_row(gathered):
    a1 = gathered["A1"]
    flag = _one(a1, FLAG, "recourse loan")
    assert flag.where == "property P1, loan L1" and "§4975(c)(1)(B)" in flag.authority
    # loans.csv: header = row 1, L1 = row 2; the column that said so is `recourse`
    warning = _one(a1, WARNING, "recourse loan")
    assert warning.where == "loans.csv row 2, column recourse" and warning.source == "validation"


def test_a_loan_without_a_lender_statement_is_an_assumption_on_part_v_line_4(gathered, book, tmp_path):
    item = _one(gathered["A1"], ASSUMPTION, "loan without a lender statement in the year (Assumption 4)")
    # No loan_balances.csv: each first-of-month balance is principal 120,000.00 less the ledger's
    # principal rows (none here), Reg. §1.514(a)-1(a)(3).
    assert item.where == "property P1, loan L1" and item.line == "schedule_a.part_v.P1.4"
    assert "120,000.00" in item.message and "§1.514(a)-1(a)(3)" in item.authority
    # A statement dated in the year that agrees with the ledger (no principal repaid: 120,000.00) removes it.
    with_statement = tmp_path / "book"
    shutil.copytree(book, with_statement)
    (with_statement / "loan_balances.csv").write_text("loan_id,as_of,balance\nL1,2022-01-01,120000.00\n")
    report = validate_book(with_statement)
    result = next(r for r in compute_book(report.book.for_accounts({"A1"}), YEAR, Settings()) if r.account_id == "A1")
    topics = {item.topic for item in account_diagnostics(result, report).items}
    assert "loan without a lender statement in the year (Assumption 4)" not in topics
    # A4's loan is not acquisition indebtedness under §514(c)(9): no balance enters line 4, no such item.
    assert not [i for i in gathered["A4"].items if i.topic == "loan without a lender statement in the year (Assumption 4)"]


def test_an_ssn_in_a_memo_is_a_masked_warning_with_file_row_column(gathered):
    item = _one(gathered["A1"], WARNING, "SSN-shaped text")
    assert item.where == "ledger.csv row 2, column memo"
    assert "***-**-6789" in item.message and SSN not in item.message
    assert SSN not in account_page(gathered["A1"]).decode()


def test_defaults_the_book_left_open_are_assumptions(gathered):
    a1, a4, a5 = gathered["A1"], gathered["A4"], gathered["A5"]
    # no account_years.csv row for A1: Part IV answered No by default; item C blank (the header's flag)
    _one(a1, ASSUMPTION, "Part IV and item K answered No by default (Assumption 24)")
    _one(a1, ASSUMPTION, "item C blank (no book value)")
    _one(a1, ASSUMPTION, "default activity code 900000 (Assumption 15)")
    # P1 has no `use` and no sale in 2022: noted (it decides only a sale's character), not an assumption
    use = _one(a1, INFO, "default use of a property (Assumption 6)")
    assert use.where == "properties.csv row 2, column use" and "rental_business" in use.message
    # P4 says recovery = gds and use = rental_business: neither default is listed for it
    defaults = ("ADS recovery period (default) (Assumption 1)", "default use of a property (Assumption 6)")
    assert not [i for i in a4.items if i.topic in defaults]
    # the Solo 401(k): §514(c)(9) applied (no disqualified lender), the rest of (c)(9)(B) is the preparer's
    applied = _one(a4, ASSUMPTION, "§514(c)(9) exception applied (Assumption 17)")
    assert applied.where == "property P4" and "§514(c)(9)" in applied.authority
    assert a4.status == "not_required" and a1.status == "file"
    # A5 answered account_years.csv for the year: no Part IV default, item C given
    assert not [i for i in a5.items if i.topic in ("Part IV and item K answered No by default (Assumption 24)",
                                                    "item C blank (no book value)")]


def test_an_account_with_nothing_to_report_says_so(book):
    report = validate_book(book)
    result = next(r for r in compute_book(report.book.for_accounts({"A5"}), YEAR, Settings(activity_code="531390")))
    diagnostics = account_diagnostics(result, report)
    assert not diagnostics.has_reportable and {item.kind for item in diagnostics.items} == {INFO}
    assert "Nothing to report" in account_page(diagnostics).decode()


def test_the_page_is_self_contained_escaped_and_deterministic(gathered):
    page = account_page(gathered["A1"]).decode()
    assert "&lt;b&gt;owner&lt;/b&gt;" in page and "<b>owner" not in page  # the memo, echoed by its warning
    assert "<script" not in page and "http" not in page.replace("http-equiv", "") and "<style>" in page
    assert account_page(gathered["A1"]) == account_page(gathered["A1"])
    for kind in (FLAG, WARNING, ASSUMPTION):
        assert f'class="kind-{kind}"' in page


def test_every_assumption_names_a_readme_assumption_with_its_title():
    section = README[README.index("## Assumptions"):README.index("\n## ", README.index("## Assumptions") + 5)]
    numbered = re.findall(r"^(\d+)\. (?:\*\*([^*]+)\*\*)?", section, re.M)
    numbers = [int(number) for number, _ in numbered]
    assert len(numbers) == len(set(numbers)), "README Assumptions are numbered twice"
    titles = {int(number): title for number, title in numbered}
    data = yaml.safe_load((schemas_dir() / ASSUMPTIONS_FILE).read_text(encoding="utf-8"))["assumptions"]
    assert data and set(data) == set(assumptions())
    for key, entry in data.items():
        assert entry["readme"] in titles, key
        assert titles[entry["readme"]] == entry["title"], key
        assert f"README Assumption {entry['readme']}" in entry["authority"], key
    for rule in FLAG_RULES + WARNING_RULES:
        assert not rule.assumption or rule.assumption in data, rule.topic
        for cited in re.findall(r"README Assumption (\d+)", rule.authority):
            assert int(cited) in titles, rule.topic


@settings(max_examples=40, deadline=None)
@given(area=st.integers(100, 899), group=st.integers(10, 99), serial=st.integers(1000, 9999),
       separator=st.sampled_from(["-", " ", ".", ""]), words=st.text(st.characters(blacklist_categories=("Cs",)),
                                                                     max_size=20))
def test_no_ssn_shaped_value_survives_into_a_page(area, group, serial, separator, words):
    ssn = f"{area}{separator}{group}{separator}{serial}"
    items = flag_items([f"P1: {words} {ssn} {words}"], ["P1"], [], "computation")
    diagnostics = Diagnostics("A1", YEAR, f"name {ssn}", "file", tuple(items))
    for page in (account_page(diagnostics), batch_page(batch_diagnostics(YEAR, [diagnostics]))):
        assert ssn not in page.decode()
        assert f"***-**-{serial}" in page.decode()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["t1", "t2", "t3"])), max_size=6),
                min_size=1, max_size=5))
def test_batch_totals_are_the_sum_of_the_accounts(accounts):
    sets = [Diagnostics(f"A{n}", YEAR, "", "file", tuple(Item(kind, topic, "m") for kind, topic in items))
            for n, items in enumerate(accounts)]
    batch = batch_diagnostics(YEAR, sets)
    for kind in KINDS:
        assert batch.totals()[kind] == sum(len(d.of_kind(kind)) for d in sets)
    for row in batch.topics:
        assert row.items == sum(1 for d in sets for item in d.items if (item.topic, item.kind) == (row.topic, row.kind))
        assert len(row.accounts) == len(set(row.accounts))
        # the accounts of a topic in the book's order: each account once, where its first item is
        assert list(row.accounts) == [d.account_id for d in sets
                                      if any((item.topic, item.kind) == (row.topic, row.kind) for item in d.items)]


def _page_counts(html: str) -> dict[str, int]:
    return {kind: int(count) for count, kind in re.findall(r'<span class="kind-\w+">(\d+) (\w+?)s?</span>', html)}


def test_prepare_writes_the_pages_and_the_batch_page_counts_match_them(book, tmp_path, monkeypatch):
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(batch_package, "_statements_module", lambda: None)  # statements.pdf is not the point here
    out = tmp_path / "out"
    outcome = prepare(PrepareOptions(book, YEAR, out, jobs=1), echo=lambda text: None)
    assert outcome.exit_code == 3  # A2's bad row
    batch = (out / "diagnostics.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><td>(?:<a href="([^"]+)">)?(A\d)(?:</a>)?</td><td>[^<]*</td><td class="status-(\w+)">\w+</td>'
                      r'((?:<td class="num[^"]*">\d+</td>){5})', batch)
    listed = {account: (href, status, [int(n) for n in re.findall(r">(\d+)<", cells)])
              for href, account, status, cells in rows}
    assert set(listed) == {"A1", "A2", "A3", "A4", "A5"}
    assert listed["A2"][1] == "exception" and listed["A2"][2][0] >= 1 and not listed["A2"][0]
    assert not listed["A3"][0] and not listed["A4"][0]  # not required: no package, no page
    href = listed["A1"][0]
    assert href == "A1/2022/diagnostics.html"
    page = (out / href).read_text(encoding="utf-8")
    assert [_page_counts(page)[kind] for kind in KINDS] == listed["A1"][2]
    # ledger.csv: header row 1, P1's 23 rent rows are rows 2-24, so the bad P2 row ledger[30] is row 32
    assert '<td>validate</td>' in batch and '<td>ledger.csv</td><td class="num">32</td>' in batch
    assert SSN not in batch and SSN not in page
    data = (out / "diagnostics.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and SSN.encode() not in data
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "tax_year,account_id,kind,topic,message,where,line,authority"
    assert sum(1 for line in lines[1:] if line.startswith("2022,A1,")) == sum(listed["A1"][2])
    assert (out / "A1" / "2022" / "diagnostics.html").stat().st_mode & 0o777 == 0o600
    manifest = json.loads((out / "manifest.json").read_text())
    assert "A1/2022/diagnostics.html" in manifest["accounts"]["A1"]["outputs"]
    # --account A1 redoes A1 only: the others keep their rows of the previous diagnostics.csv
    first = (out / "diagnostics.csv").read_bytes()
    prepare(PrepareOptions(book, YEAR, out, jobs=1, accounts=["A1"]), echo=lambda text: None)
    assert (out / "diagnostics.csv").read_bytes() == first
    assert "not redone in this run" in (out / "diagnostics.html").read_text(encoding="utf-8")


def test_the_command_prints_the_same_items(book, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["diagnostics", str(book), "--year", str(YEAR), "--format", "json"])
    assert result.exit_code == 3, result.output  # A2 was set aside, as udfi check does
    data = json.loads(result.stdout)
    by_id = {account["account_id"]: account for account in data["accounts"]}
    assert by_id["A2"]["status"] == "exception" and by_id["A2"]["counts"][ERROR] >= 1
    error = next(item for item in by_id["A2"]["items"] if item["kind"] == ERROR)
    assert error["where"] == "ledger.csv row 32, column amount"
    assert SSN not in result.stdout
    page = tmp_path / "a1.html"
    result = runner.invoke(app, ["diagnostics", str(book), "--year", str(YEAR), "--account", "A1", "-f", "html",
                                 "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert "recourse loan" in page.read_text(encoding="utf-8")
    result = runner.invoke(app, ["diagnostics", str(book), "--year", str(YEAR), "--account", "A9"])
    assert result.exit_code == 2
    result = runner.invoke(app, ["diagnostics", str(book), "--year", str(YEAR), "--format", "xlsx"])
    assert result.exit_code == 2


def test_readme_documents_the_command_and_the_files():
    assert "udfi diagnostics BOOK --year Y" in README
    for name in ("`diagnostics.html`", "`OUT/diagnostics.html`", "`OUT/diagnostics.csv`"):
        assert name in README, name


def _keys(value, prefix: str = "") -> set[str]:
    """Every dotted path of nested dicts (intermediate paths too)."""
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            found |= {path} | _keys(item, path)
    return found


def _return_keys(result, book_frame) -> set[str]:
    from udfi.engine.report import account_object  # noqa: PLC0415
    from udfi.explain import add_derivations  # noqa: PLC0415

    data = add_derivations(account_object(result), result, book_frame)
    return _keys({key: value for key, value in data.items() if key != "derivations"}) | set(data["derivations"])


def test_every_line_an_item_names_is_a_line_of_its_return(gathered, book):
    """A line key that return.json (or udfi explain) does not have would send the reviewer nowhere: every
    item's line is a key of its own return, and every line the rules and assumptions.yaml can name is a
    key of the sample's returns (2022; 2023 for a sale's character)."""
    sample = validate_book(REPO / "fixtures" / "sample")
    universe: set[str] = set()
    for year in (2022, 2023):
        for result in compute_book(sample.book, year, Settings()):
            keys = _return_keys(result, sample.book)
            universe |= keys
            for item in account_diagnostics(result, sample).items:
                assert not item.line or item.line in keys, (year, result.account_id, item.topic, item.line)
    report = validate_book(book)
    for result in compute_book(report.book.for_accounts(set(gathered)), YEAR, Settings()):
        keys = _return_keys(result, report.book)
        for item in gathered[result.account_id].items:
            assert not item.line or item.line in keys, (result.account_id, item.topic, item.line)
    templates = [rule.line for rule in FLAG_RULES] + [entry.line for entry in assumptions().values()]
    for template in filter(None, templates):
        property_id = "P-COMMERCE" if template.startswith("property.") else "P-MAPLE"
        assert template.format(property=property_id) in universe, template


def test_each_k1_names_its_silo_as_an_assumption():
    """fixtures/k1, 2022: Harbor Point is 25% of profits and capital — over 2% (de minimis test, Reg.
    §1.512(a)-6(c)(3)) and its capital over 20% (participation test, (c)(4)) — so it is not a qualifying
    partnership interest and goes to the silo of its NAICS code's first two digits (531110 → 53); Cedar
    Ridge's 1.2% meets the de minimis test: the investment-activities silo."""
    k1 = validate_book(REPO / "fixtures" / "k1")
    found = {}
    for result in compute_book(k1.book, YEAR, Settings()):
        for item in account_diagnostics(result, k1).items:
            if item.topic == "K-1 assigned to a silo (Assumption 23)":
                found[item.message.split(":")[0]] = item
    assert "the silo of NAICS 53" in found["K-1 of Harbor Point Multifamily LLC"].message
    assert "the investment-activities silo" in found["K-1 of Cedar Ridge Apartments LP"].message
    assert re.fullmatch(r"k1s\.csv row \d+", found["K-1 of Cedar Ridge Apartments LP"].where)
    assert all(item.kind == ASSUMPTION and "[M]" in item.authority for item in found.values())


_ID_TEXT = st.text(alphabet=st.sampled_from("P-1_aé٣ .:,Ⅻ"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(text=_ID_TEXT, name=_ID_TEXT)
def test_an_id_is_found_in_a_flag_where_the_word_pattern_finds_it(text, name):
    """A flag names a property or loan when the id stands alone (not part of a longer id: P-1 is not
    in P-10 nor in XP-1): the string search answers as the pattern (?<![\\w-])ID(?![\\w-]) does, with
    Unicode letters and digits (é, ٣, Ⅻ) counting as word characters as they do in `re`."""
    from udfi.diagnostics.gather import _names  # noqa: PLC0415

    expected = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None
    assert _names(text, name) is expected
    assert _names(f"sold {name}: gain", name) is (re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])",
                                                           f"sold {name}: gain") is not None)


def test_the_yaml_files_read_through_libyaml_give_the_same_data():
    """The project's own YAML (schemas: tables, layouts, maps, e-file, assumptions, profiles; the tax
    parameters) is read with libyaml when installed (`resources.read_yaml`): the same data as the
    pure-Python safe loader, file by file."""
    from udfi.resources import read_yaml  # noqa: PLC0415

    parameters_dir = Path(udfi.parameters.__file__).parent
    files = sorted(schemas_dir().rglob("*.yaml")) + sorted(parameters_dir.glob("*.yaml"))
    assert len(files) > 40 and any(path.parent == parameters_dir for path in files)
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert read_yaml(text) == yaml.safe_load(text), path


_cells = st.lists(st.sampled_from(list("aZ9 ,;\"'\n\r-=+@") + ["123-45-6789", "é"]), max_size=6).map("".join)


@settings(max_examples=100, deadline=None)
@given(account_id=_cells, items=st.lists(st.tuples(st.sampled_from(KINDS), _cells, _cells, _cells, _cells, _cells),
                                         max_size=5))
def test_an_accounts_csv_rows_are_those_of_the_whole_file(account_id, items):
    # a worker writes each account's rows of diagnostics.csv (csv_body); joined after the header they
    # must be the file the run would write from the rows alone (DictWriter over safe_row: masked, no formula)
    from udfi.diagnostics.render import CSV_USER_COLUMNS, csv_body, csv_bytes
    from udfi.diagnostics.model import CSV_COLUMNS
    from udfi.safety import spreadsheet_csv_bytes

    diagnostics = Diagnostics(account_id, 2022, "name", "must_file",
                              tuple(Item(kind, topic, message, where, line, authority, "book")
                                    for kind, topic, message, where, line, authority in items))
    whole = spreadsheet_csv_bytes(CSV_COLUMNS, diagnostics.csv_rows(), CSV_USER_COLUMNS)
    assert csv_bytes([diagnostics], bodies=[csv_body(diagnostics)]) == whole
    masked = Diagnostics("123-45-6789", 2022, items=(Item(FLAG, "t", "=SUM 123-45-6789", "where 123-45-6789"),))
    assert "123-45-6789" not in csv_body(masked) and "'=SUM ***-**-6789" in csv_body(masked)
