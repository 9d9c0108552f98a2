"""`udfi extend`: Form 8868 per account on the prepare batch runner."""

from __future__ import annotations

import csv

from typer.testing import CliRunner

from udfi.batch.run import PrepareOptions, prepare
from udfi.cli import app
from udfi.efile.extension_batch import EXTEND
from udfi.efile.form8868 import build_extension, extension_lines
from udfi.efile.reader import mapped_lines, parse

from conftest import SAMPLE, TIMESTAMP, YEARS

runner = CliRunner()


def _rows(path):
    return {row["account_id"]: row for row in csv.DictReader(open(path, encoding="utf-8-sig"))}


def test_extension_lines_by_hand(sample_accounts):
    chen = {year: next(a for a, _ in sample_accounts[year] if a["account_id"] == "IRA-CHEN") for year in (2022, 2023)}
    # 2022: 3a = Form 990-T Part III line 4 = 1,576; 3b = 6a 0 + 6b 400 = 400; 3c = 1,576 − 400 = 1,176.
    # Extended due date: 15th day of the 10th month, Sunday 2023-10-15 → Monday 2023-10-16 (§7503).
    assert extension_lines(chen[2022]).__dict__ == {"tentative_tax": 1576, "payments": 400, "balance_due": 1176,
                                                    "extended_due_date": "2023-10-16", "due_date": "2023-04-18"}
    # 2023: the 1,500 deposited with the 8868 (line 6c) is what this form asks to pay, not a 3b payment:
    # 3a = 11,305; 3b = 0 + 600 = 600; 3c = 11,305 − 600 = 10,705.
    lines = extension_lines(chen[2023])
    assert (lines.tentative_tax, lines.payments, lines.balance_due) == (11305, 600, 10705)


def test_every_year_reads_back(sample_accounts):
    for year in YEARS:
        for account, details in sample_accounts[year]:
            parsed = parse(build_extension(account, year, timestamp=TIMESTAMP))
            lines = {line.key: line.text for line in mapped_lines(parsed)}
            expected = extension_lines(account)
            assert parsed.return_type == "8868" and parsed.tax_year == year
            assert lines["return_code"] == "05"
            assert int(lines["line_3a"]) == expected.tentative_tax
            assert int(lines["line_3c"]) == expected.balance_due
            assert lines["extended_due_date"] == account["extended_due_date"]


def test_extend_batch_writes_8868_and_extensions_csv(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["extend", str(SAMPLE), "--year", "2022", "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    rows = _rows(out / "extensions.csv")
    assert (rows["IRA-CHEN"]["tentative_tax"], rows["IRA-CHEN"]["balance_due_with_extension"]) == ("1576", "1176")
    assert rows["S401K-OKAFOR"]["status"] == "not_required" and rows["S401K-OKAFOR"]["outputs"] == ""
    assert (out / "IRA-CHEN" / "2022" / "8868.xml").is_file()
    assert not (out / "S401K-OKAFOR" / "2022" / "8868.xml").exists()
    again = runner.invoke(app, ["extend", str(SAMPLE), "--year", "2022", "--out", str(out), "--jobs", "1", "--resume"])
    assert again.exit_code == 0 and "3 skipped" in again.output
    every = runner.invoke(app, ["extend", str(SAMPLE), "--year", "2022", "--out", str(out), "--jobs", "1", "--all"])
    assert every.exit_code == 0 and (out / "S401K-OKAFOR" / "2022" / "8868.xml").is_file()


def test_prepare_and_extend_share_an_out_folder(tmp_path, monkeypatch):
    monkeypatch.setattr("udfi.batch.package._statements_module", lambda: None)
    out = tmp_path / "out"
    quiet = {"echo": lambda text: None, "progress_stream": open("/dev/null", "w"), "interactive": False}
    prepare(PrepareOptions(book=SAMPLE, tax_year=2022, out=out, jobs=1), **quiet)
    prepare(PrepareOptions(book=SAMPLE, tax_year=2022, out=out, jobs=1), kind=EXTEND, **quiet)
    folder = out / "IRA-CHEN" / "2022"
    # extend adds its file and leaves prepare's package alone (990-T.pdf too, when blanks are found)
    assert {"990-T.xml", "return.json", "8868.xml"} <= {path.name for path in folder.iterdir()}
    assert (out / "manifest.json").is_file() and (out / "extension-manifest.json").is_file()
    assert "IRA-CHEN/2022/990-T.xml" in (out / "summary.csv").read_text()
