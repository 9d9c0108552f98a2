"""Several tax years in one OUT (issue #10 §5): summary.csv and exceptions.csv keep every year's rows,
the manifest keeps every year's entry (so --resume finds its year), and each report has an .xlsx twin
with text cells stored as text (never a formula) and the same bytes on a rerun."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from udfi.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample"


def _prepare(out: Path, year: int, *extra: str) -> None:
    outcome = CliRunner().invoke(app, ["prepare", str(SAMPLE), "--year", str(year), "--out", str(out), "--jobs", "1",
                                       "--forms-dir", str(out.parent / "no-forms"),
                                       # the reports are the subject: no PDFs to render (seconds, not tens)
                                       "--only", "json,xml", *extra])
    assert outcome.exit_code == 0, outcome.output


def _summary(out: Path) -> list[dict]:
    with open(out / "summary.csv", newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_two_years_share_one_out(tmp_path):
    (tmp_path / "no-forms").mkdir()
    out = tmp_path / "out"
    _prepare(out, 2022)
    _prepare(out, 2023)
    rows = _summary(out)
    assert [(row["tax_year"], row["account_id"]) for row in rows] == [
        (str(year), account) for year in (2022, 2023) for account in ("IRA-CHEN", "ROTH-OKAFOR", "S401K-OKAFOR")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tax_year"] == 2023 and list(manifest["other_years"]) == ["2022"]
    # rerunning 2022 replaces only 2022's rows, and --resume finds 2022's entry (nothing is redone)
    before = (out / "IRA-CHEN" / "2022" / "return.json").stat().st_mtime_ns
    _prepare(out, 2022, "--resume")
    assert (out / "IRA-CHEN" / "2022" / "return.json").stat().st_mtime_ns == before
    assert [row["tax_year"] for row in _summary(out)] == ["2023"] * 3 + ["2022"] * 3
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tax_year"] == 2022 and list(manifest["other_years"]) == ["2023"]


def test_xlsx_twins_hold_the_same_rows_as_text_and_numbers(tmp_path):
    (tmp_path / "no-forms").mkdir()
    out = tmp_path / "out"
    _prepare(out, 2022)
    sheet = openpyxl.load_workbook(out / "summary.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    csv_rows = _summary(out)
    assert list(rows[0]) == list(csv_rows[0])
    for values, row in zip(rows[1:], csv_rows):
        assert values[0] == 2022 and str(values[list(row).index("tax")]) == row["tax"]
        assert values[list(row).index("name")] == row["name"]
    assert all(cell.data_type == "s" for cell in sheet[2] if isinstance(cell.value, str))
    digests = {name: (out / name).read_bytes() for name in ("summary.xlsx", "exceptions.xlsx")}
    _prepare(out, 2022, "--resume")
    assert {name: (out / name).read_bytes() for name in digests} == digests
