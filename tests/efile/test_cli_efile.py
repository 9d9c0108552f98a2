"""`udfi efile show` and `udfi efile validate` (against a small schema written for the test)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from udfi.cli import app
from udfi.efile.returns import build_return

from conftest import TIMESTAMP
from test_roundtrip import CUSTODIAN

XSD = Path(__file__).parent / "data" / "xsd"
runner = CliRunner()


def _chen_xml(sample_accounts, tmp_path) -> Path:
    account, details = next(item for item in sample_accounts[2022] if item[0]["account_id"] == "IRA-CHEN")
    path = tmp_path / "990-T.xml"
    path.write_bytes(build_return(account, 2022, CUSTODIAN, details, timestamp=TIMESTAMP))
    return path


def test_show_prints_header_and_lines(sample_accounts, tmp_path):
    result = runner.invoke(app, ["efile", "show", str(_chen_xml(sample_accounts, tmp_path))])
    assert result.exit_code == 0, result.output
    assert "Form 990T for tax year 2022, returnVersion 2022v7.0" in result.output
    assert "EIN 46-2817390, name control CHEN" in result.output
    assert "form_990t.part_i.11" in result.output and "8169" in result.output
    assert "properties[1].part_v.4" in result.output and "237840" in result.output


def test_show_refuses_a_file_that_is_not_a_return(tmp_path):
    bad = tmp_path / "x.xml"
    bad.write_text("<html><body>no</body></html>")
    result = runner.invoke(app, ["efile", "show", str(bad)])
    assert result.exit_code == 1
    assert "expected Return" in result.output and "Traceback" not in result.output
    broken = tmp_path / "y.xml"
    broken.write_text("<Return><ReturnHeader>")
    result = runner.invoke(app, ["efile", "show", str(broken)])
    assert result.exit_code == 1 and "not well-formed XML (line 1" in result.output


def test_validate_against_a_schema(sample_accounts, tmp_path):
    path = _chen_xml(sample_accounts, tmp_path)
    result = runner.invoke(app, ["efile", "validate", str(path), "--xsd", str(XSD)])
    assert result.exit_code == 0, result.output
    assert "valid against" in result.output
    # An EIN that is not 9 digits breaks the schema's EINType: reported with its line, exit 1.
    broken = tmp_path / "broken.xml"
    broken.write_bytes(path.read_bytes().replace(b"<EIN>462817390</EIN>", b"<EIN>46281739X</EIN>"))
    result = runner.invoke(app, ["efile", "validate", str(broken), "--xsd", str(XSD)])
    assert result.exit_code == 1
    assert "EIN" in result.output and "INVALID" in result.output and f"{broken}:" in result.output


def test_validate_with_an_unusable_schema_folder(sample_accounts, tmp_path):
    path = _chen_xml(sample_accounts, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["efile", "validate", str(path), "--xsd", str(empty)])
    assert result.exit_code == 2 and "no .xsd file declares the Return element" in result.output
