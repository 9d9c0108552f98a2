"""`udfi prepare` writes 990-T.xml into every package; a value the XML cannot carry is an exception
(stage efile) naming the field, and that account gets no package at all."""

from __future__ import annotations

import csv
import json
import shutil

from udfi.batch.run import PrepareOptions, prepare
from udfi.efile.reader import mapped_lines, parse

from conftest import SAMPLE


def _run(book, out, **options):
    return prepare(PrepareOptions(book=book, tax_year=2022, out=out, jobs=1, **options), echo=lambda text: None,
                   progress_stream=open("/dev/null", "w"), interactive=False)


def test_every_package_has_its_xml(tmp_path, monkeypatch):
    monkeypatch.setattr("udfi.batch.package._statements_module", lambda: None)  # XML and JSON only: quick
    outcome = _run(SAMPLE, tmp_path / "out")
    assert outcome.exit_code == 0 and outcome.packages == 2
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    for account_id in ("IRA-CHEN", "ROTH-OKAFOR"):
        folder = tmp_path / "out" / account_id / "2022"
        data = json.loads((folder / "return.json").read_text())
        parsed = parse(folder / "990-T.xml")
        lines = {line.key: line.text for line in mapped_lines(parsed)}
        assert int(lines["form_990t.part_i.11"]) == data["form_990t"]["part_i"]["11"]
        assert parsed.header_text("BusinessOfficerGrp/PersonNm") == "Ruth A Lindqvist"  # fixtures/sample/custodian.yaml
        assert parsed.header_text("PreparerPersonGrp/PTIN") == "P01234567"
        assert f"{account_id}/2022/990-T.xml" in manifest["outputs"]


def test_a_value_the_xml_cannot_carry_is_an_efile_exception(tmp_path, monkeypatch):
    monkeypatch.setattr("udfi.batch.package._statements_module", lambda: None)
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    rows = list(csv.DictReader(open(book / "accounts.csv")))
    rows[0]["name"] = "Pinecrest Trust Company FBO Margaret L. Chen IRA @ 100%"
    with open(book / "accounts.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    outcome = _run(book, tmp_path / "out")
    assert outcome.exit_code == 3
    exceptions = list(csv.DictReader(open(tmp_path / "out" / "exceptions.csv", encoding="utf-8-sig")))
    assert [(e["account_id"], e["stage"], e["file"], e["row"]) for e in exceptions] == [
        ("IRA-CHEN", "efile", "accounts.csv", "2")]
    assert "accounts.csv name: unsupported character(s) '%' '@'" in exceptions[0]["problem"]
    folder = tmp_path / "out" / "IRA-CHEN" / "2022"  # only the owner-facing problems file
    assert not folder.exists() or [path.name for path in folder.iterdir()] == ["problems.txt"]
    assert (tmp_path / "out" / "ROTH-OKAFOR" / "2022" / "990-T.xml").is_file()


def test_bad_custodian_settings_stop_the_run_with_the_file_named(tmp_path):
    settings = tmp_path / "custodian.yaml"
    settings.write_text("officer:\n  name: Ruth Lindqvist\n")
    try:
        _run(SAMPLE, tmp_path / "out", custodian=settings)
    except Exception as exc:  # noqa: BLE001
        assert f"{settings}: officer: name and title are both required" in str(exc)
        assert getattr(exc, "exit_code", None) == 2
    else:
        raise AssertionError("expected the run to stop")
