"""`udfi compute --format csv` is a spreadsheet file: a user's text in it is masked when SSN-shaped and
never starts a formula (the project's rule for every CSV output; `udfi check` and the batch reports
already did this, compute's key/value CSV did not)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

from typer.testing import CliRunner

from udfi.cli import app

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample"


def test_compute_csv_masks_and_neutralizes_user_text(tmp_path):
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    rows = list(csv.DictReader((book / "accounts.csv").open(newline="")))
    hostile = '=HYPERLINK("http://example.invalid","open") 123-45-6789'
    rows[0]["name"] = hostile
    with (book / "accounts.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    result = CliRunner().invoke(app, ["compute", str(book), "--year", "2022", "--format", "csv"])
    assert result.exit_code == 0, result.output
    figures = {(row["account_id"], row["key"]): row["value"] for row in csv.DictReader(io.StringIO(result.stdout))}
    name = figures[(rows[0]["account_id"], "name")]
    assert name.startswith("'=HYPERLINK(")          # a leading quote: text, not a formula
    assert "123-45-6789" not in name and name.endswith("***-**-6789")
    assert "123-45-6789" not in result.stdout
    # figures are untouched: money stays a number a spreadsheet can add
    assert figures[(rows[0]["account_id"], "form_990t.part_i.11")] == "8169"
