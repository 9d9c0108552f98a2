"""The investor's pages in a real browser: headless Chromium driven by selenium against the app served on
a free port of 127.0.0.1. Explicit waits only; a screenshot of every page goes to the screenshot folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import investor_book
from udfi.cli import app as cli_app
from udfi.plan import compute_plan, parse_terms
from udfi.template_book import write_template
from udfi.web.format import money
from udfi.web.plan_views import EXAMPLE_TERMS

from .conftest import SAMPLE, full_page_screenshot

WAIT = 90  # seconds: an upper bound for a busy CI machine, not a timing assertion


def _wait(driver, css: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as condition
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition.visibility_of_element_located((By.CSS_SELECTOR, css)))


def _text(driver, css: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css).text.strip()


def _upload(driver, base: str, path: Path, year: int) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{base}/check")
    _wait(driver, "#check-form")
    driver.find_element(By.ID, "book").send_keys(str(path))
    Select(driver.find_element(By.ID, "year")).select_by_value(str(year))
    driver.find_element(By.ID, "check-submit").click()


def _cli_check(book: Path, year: int) -> dict:
    result = CliRunner().invoke(cli_app, ["check", str(book), "--year", str(year), "--format", "json"])
    return json.loads(result.output)


def test_home_page(browser, live_server, screenshots):
    browser.get(live_server + "/")
    _wait(browser, "header.site")
    assert "Check a year" in browser.page_source and "Plan a purchase" in browser.page_source
    full_page_screenshot(browser, screenshots / "01-home.png")


def test_check_the_sample_book(browser, live_server, sample_zip, screenshots):
    browser.get(live_server + "/check")
    _wait(browser, "#check-form")
    full_page_screenshot(browser, screenshots / "02-check-form.png")
    _upload(browser, live_server, sample_zip, 2022)
    _wait(browser, "#account-IRA-CHEN .verdict")
    expected = {row["account_id"]: row for row in _cli_check(SAMPLE, 2022)["accounts"]}
    assert _text(browser, "#account-IRA-CHEN .verdict") == "MUST FILE Form 990-T for 2022."
    assert _text(browser, "#tax-IRA-CHEN") == f"${expected['IRA-CHEN']['tax']:,}"
    assert _text(browser, "#balance-IRA-CHEN") == f"${expected['IRA-CHEN']['balance_due']:,}"
    assert "EFTPS" in _text(browser, "#account-IRA-CHEN .sentence-how_to_pay")
    assert "custodian" in _text(browser, "#account-IRA-CHEN .sentence-who_files")
    assert _text(browser, "#account-S401K-OKAFOR .verdict") == "No Form 990-T required for 2022."
    assert expected["S401K-OKAFOR"]["status"] == "not_required"
    assert "§514(c)(9)" in _text(browser, "#account-S401K-OKAFOR")
    full_page_screenshot(browser, screenshots / "03-check-sample-2022.png")
    # open the derivation of the average acquisition debt: operation, rule and the rows behind it
    from selenium.webdriver.common.by import By

    line = browser.find_element(By.ID, "line-schedule_a.part_v.P-MAPLE.4")
    line.find_element(By.TAG_NAME, "summary").click()
    assert "first-of-month" in line.find_element(By.CLASS_NAME, "operation").text
    assert "1.514(a)-1(a)(3)" in line.text
    browser.execute_script("arguments[0].scrollIntoView()", line)
    browser.save_screenshot(str(screenshots / "03b-check-explained-line.png"))


def test_init_fill_one_property_and_check_it_in_the_browser(browser, live_server, tmp_path, screenshots):
    write_template(tmp_path / "mine", xlsx=True)
    workbook = investor_book.fill_template(tmp_path / "mine" / "book.xlsx")
    _upload(browser, live_server, workbook, investor_book.YEAR)
    _wait(browser, "#account-IRA-RUIZ .verdict")
    row = _cli_check(workbook, investor_book.YEAR)["accounts"][0]
    verdict = "MUST FILE" if row["status"] == "file" else "No Form 990-T required"
    assert _text(browser, "#account-IRA-RUIZ .verdict").startswith(verdict)
    assert _text(browser, "#tax-IRA-RUIZ") == f"${row['tax']:,}"
    assert _text(browser, "#balance-IRA-RUIZ") == f"${row['balance_due']:,}"
    full_page_screenshot(browser, screenshots / "04-check-filled-template.png")


def test_a_bad_upload_shows_its_error(browser, live_server, tmp_path, screenshots):
    junk = tmp_path / "holiday-photos.zip"
    junk.write_bytes(b"\x89PNG not a zip at all")
    _upload(browser, live_server, junk, 2022)
    message = _wait(browser, "#upload-error").text
    assert "not an .xlsx workbook or a .zip archive" in message
    full_page_screenshot(browser, screenshots / "05-check-bad-upload.png")


def test_an_invalid_book_lists_its_problems(browser, live_server, tmp_path, screenshots):
    book = investor_book.write_csv(tmp_path / "broken")
    text = (book / "properties.csv").read_text().replace("2022-03-15", "2022-15-03")
    (book / "properties.csv").write_text(text)
    import zipfile

    archive = tmp_path / "broken.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for csv in book.glob("*.csv"):
            bundle.write(csv, f"broken/{csv.name}")
    _upload(browser, live_server, archive, investor_book.YEAR)
    _wait(browser, "#problems")
    table = _text(browser, "#problems")
    assert "properties.csv" in table and "acquired_on" in table and "2022-15-03" in table
    assert "Not checked" in _text(browser, "#account-IRA-RUIZ")
    full_page_screenshot(browser, screenshots / "06-check-invalid-book.png")


def test_plan_a_purchase(browser, live_server, screenshots):
    from selenium.webdriver.common.by import By

    browser.get(live_server + "/plan")
    _wait(browser, "#plan-form")
    full_page_screenshot(browser, screenshots / "07-plan-form.png")
    browser.find_element(By.ID, "plan-submit").click()
    _wait(browser, "#plan-ira_loan")
    expected = {item["key"]: item for item in compute_plan(parse_terms(EXAMPLE_TERMS)).as_json()["scenarios"]}
    rows = browser.find_elements(By.CSS_SELECTOR, "#plan-ira_loan tbody tr[data-tax-year]")
    assert len(rows) == int(EXAMPLE_TERMS["hold_years"])
    first = expected["ira_loan"]["years"][0]
    assert rows[0].find_element(By.CSS_SELECTOR, "td.tax").text == f"${first['tax']:,}"
    assert rows[0].find_element(By.CSS_SELECTOR, "td.pct").text == f"{first['debt_basis_percentage']}%"
    assert rows[0].find_element(By.CSS_SELECTOR, "td.aai").text == money(first["average_acquisition_indebtedness"])
    assert _text(browser, "#summary-ira_loan .total-tax") == f"${expected['ira_loan']['totals']['tax']:,}"
    assert _text(browser, "#summary-solo_401k_loan .total-tax") == "$0"
    assert _text(browser, "#summary-cash .total-tax") == "$0"
    assert browser.find_elements(By.CSS_SELECTOR, "#plan-chart svg")
    assert "Sale December 31" in _text(browser, "#scenario-ira_loan .sale-note")
    full_page_screenshot(browser, screenshots / "08-plan-result.png")


def test_plan_terms_with_a_problem_are_marked(browser, live_server, screenshots):
    from selenium.webdriver.common.by import By

    browser.get(live_server + "/plan")
    _wait(browser, "#plan-form")
    price = browser.find_element(By.ID, "price")
    price.clear()
    price.send_keys("a lot")
    browser.find_element(By.ID, "plan-submit").click()
    assert "a number" in _wait(browser, "#problem-price").text
    full_page_screenshot(browser, screenshots / "09-plan-bad-terms.png")


@pytest.fixture(autouse=True)
def _fresh_window(browser):
    browser.delete_all_cookies()
    yield
