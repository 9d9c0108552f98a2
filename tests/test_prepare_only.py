"""`udfi prepare --only PARTS`: a package of just the parts asked for (e.g. the figures and the e-file XML
without rendering any PDF), the same bytes as those parts of a full package, recorded in the manifest so
that `--resume` with other parts redoes the account."""

from __future__ import annotations

import enum
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from udfi.batch import package as batch_package
from udfi.batch.files import ALL_PARTS, json_document_bytes
from udfi.batch.run import PrepareOptions, parse_parts, prepare
from udfi.cli import app
from udfi.forms.blanks import find_blanks
from udfi.synth import synth

YEAR = 2022
REPO = Path(__file__).resolve().parents[1]
TIMESTAMP = "2023-03-01T09:00:00-05:00"  # ReturnTs pinned, so two runs' 990-T.xml can be compared byte for byte


def _forms_dir() -> Path | None:
    configured = os.environ.get("UDFI_FORMS_DIR") or str(REPO.parent / "shared" / "irs-forms")
    return Path(configured) if find_blanks(YEAR, Path(configured)) else None


@pytest.fixture(autouse=True)
def _quick(monkeypatch, tmp_path_factory):
    """No ambient blanks or cache; statements.pdf (≈1 s an account) is not rendered here: the full
    package of these tests is 990-T.pdf + return.json + 990-T.xml."""
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setattr(batch_package, "_statements_module", lambda: None)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("only") / "book"
    synth(6, "2020-2025", 11, folder)
    (folder / "custodian.yaml").write_text(f"return_timestamp: {TIMESTAMP}\n", encoding="utf-8")
    return folder


def _run(book: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["prepare", str(book), "--year", str(YEAR), "--out", str(out), "--jobs", "1",
                                      "--all", "--quiet", *extra])
    return result.exit_code, result.output


def _packages(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.glob(f"*/{YEAR}/*"))}


def test_parts_are_named_after_the_package_files_and_unknown_ones_are_refused():
    assert parse_parts("xml, JSON") == ("json", "xml")  # PACKAGE_PARTS order, case and spaces forgiven
    assert parse_parts("pdf,statements,attachments,letter,diagnostics,json,xml") == ALL_PARTS
    with pytest.raises(ValueError, match=r"unknown part\(s\) html.*pdf \(990-T.pdf \+ 990-T-print.pdf\)"):
        parse_parts("json,html")
    with pytest.raises(ValueError, match="no part"):
        parse_parts(" , ")


def test_a_bad_only_is_a_usage_error_and_nothing_is_written(book: Path, tmp_path: Path):
    out = tmp_path / "out"
    code, output = _run(book, out, "--only", "json,letters")
    assert code == 2 and "letters" in output and "json (return.json)" in output and "Traceback" not in output
    assert not out.exists()


def test_json_and_xml_only_are_the_bytes_of_the_full_package_without_any_pdf(book: Path, tmp_path: Path):
    forms = _forms_dir()
    full, only = tmp_path / "full", tmp_path / "only"
    extra = ["--forms-dir", str(forms)] if forms else []
    assert _run(book, full, *extra)[0] == 0
    code, output = _run(book, only, "--only", "json,xml", *extra)
    assert code == 0, output

    full_files, only_files = _packages(full), _packages(only)
    assert only_files and all(name.endswith(("/return.json", "/990-T.xml")) for name in only_files)
    # Every account of the book (--all) has both parts, and they are the full run's bytes exactly:
    # skipping the PDFs (and the statements' roll-forward history) changes no figure and no derivation.
    accounts = {name.split("/")[0] for name in only_files}
    assert len(only_files) == 2 * len(accounts) == 2 * 6
    for name, data in only_files.items():
        assert full_files[name] == data, name
    if forms:
        assert any(name.endswith("/990-T.pdf") for name in full_files)

    manifest = json.loads((only / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parts"] == ["json", "xml"] and manifest["run"]["parts"] == ["json", "xml"]
    assert manifest["run"]["blanks"] == {}  # no blank is read for a package without the form
    assert json.loads((full / "manifest.json").read_text(encoding="utf-8"))["parts"] == list(ALL_PARTS)
    assert set(manifest["outputs"]) >= set(only_files)


def test_resume_with_other_parts_redoes_the_account_and_clears_the_parts_not_asked(book: Path, tmp_path: Path):
    forms = _forms_dir()
    if forms is None:
        pytest.skip("official blanks for 2022 not available (set UDFI_FORMS_DIR)")
    out = tmp_path / "out"
    options = PrepareOptions(book=book, tax_year=YEAR, out=out, jobs=1, forms_dir=forms, all_accounts=True)

    first = prepare(options, echo=lambda text: None)
    assert first.exit_code == 0 and first.packages == 6
    assert len(list(out.glob(f"*/{YEAR}/990-T.pdf"))) == 6

    # The same parts again: every account is skipped.
    again = prepare(PrepareOptions(**{**options.__dict__, "resume": True}), echo=lambda text: None)
    assert again.skipped == 6 and again.packages == 0

    # Other parts: the run key differs, so every account is redone, and a package holds only what this
    # run wrote — no 990-T.pdf of the earlier run is left beside figures it did not produce.
    only = prepare(PrepareOptions(**{**options.__dict__, "resume": True, "parts": ("json", "xml")}),
                   echo=lambda text: None)
    assert only.skipped == 0 and only.packages == 6
    assert not list(out.glob(f"*/{YEAR}/990-T.pdf"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["accounts"].values():
        assert sorted(name.rsplit("/", 1)[1] for name in entry["outputs"]) == ["990-T.xml", "return.json"]

    # And back to the whole package: redone again, the form is there once more.
    whole = prepare(PrepareOptions(**{**options.__dict__, "resume": True}), echo=lambda text: None)
    assert whole.skipped == 0 and len(list(out.glob(f"*/{YEAR}/990-T.pdf"))) == 6


def test_without_the_form_part_missing_blanks_are_no_error(book: Path, tmp_path: Path):
    empty = tmp_path / "no-forms"
    empty.mkdir()
    out = tmp_path / "out"
    code, output = _run(book, out, "--only", "xml", "--forms-dir", str(empty), "--require-forms")
    assert code == 0, output
    assert "blanks" not in output
    assert {name.rsplit("/", 1)[1] for name in _packages(out)} == {"990-T.xml"}
    shutil.rmtree(out)
    code, output = _run(book, out, "--only", "pdf,xml", "--forms-dir", str(empty), "--require-forms")
    assert code == 2 and "blanks" in output


# return.json is written by batch.files.json_document_bytes, a quicker json.dumps(indent=2): the same text.
_json_leaves = (st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text())
_json_values = st.recursive(_json_leaves, lambda children: st.lists(children, max_size=4)
                            | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none() | st.floats(),
                                              children, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_return_json_bytes_are_json_dumps_indented_by_two(value):
    assert json_document_bytes(value) == (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class _Colour(enum.Enum):
    RED = "red"


class _Text(str):
    pass


@pytest.mark.parametrize("value", [
    {"ratio": 1.5e-7, "big": 1e16, "cents": "10523.36"},  # orjson writes 1.5e-7 and 1e16; json 1.5e-07, 1e+16
    {"nan": float("nan"), "inf": [float("inf"), float("-inf")]},  # orjson would write null
    {"pair": (1, "two"), "nested": [(), {}, []]},  # tuples are JSON arrays, as in json
    {"subclass": _Text("kept as text"), 3: "int key", None: "null key"},
    {"escapes": "a\x00\x1f\x7f\u2028\"\\\b\f\n\r\t é 中 😀", "key\n\"": ["x\": 1.5"]},
    {"huge": 10**40, "negative": -(2**64)},
])
def test_return_json_bytes_for_values_orjson_writes_differently(value):
    assert json_document_bytes(value) == (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_return_json_refuses_what_json_refuses():
    # json raises for an Enum or a UUID; orjson would write their values — the package must fail the same way
    for value in ({"colour": _Colour.RED}, {"id": uuid.UUID(int=7)}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            json_document_bytes(value)
