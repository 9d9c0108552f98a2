"""Finding blanks (forms-dir, env, cache) and fetching them — against a loopback HTTP server only."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from forms_helpers import blanks_for
from typer.testing import CliRunner

from udfi.cli import app
from udfi.forms.blanks import FetchError, MissingBlankError, fetch_blanks, find_blanks, list_blanks, require_blanks
from udfi.forms.lines import FORMS


def _year_dir(base: Path, year: int, source_year: int | None = None) -> Path:
    target = base / str(year)
    target.mkdir(parents=True)
    for form in FORMS:
        (target / f"{form}.pdf").symlink_to(blanks_for(source_year or year).path(form))
    return base


@pytest.fixture
def places(tmp_path, monkeypatch):
    forms_dir = tmp_path / "explicit"
    env_dir = tmp_path / "env"
    cache_home = tmp_path / "xdg"
    for d in (forms_dir, env_dir, cache_home):
        d.mkdir()
    monkeypatch.setenv("UDFI_FORMS_DIR", str(env_dir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    return forms_dir, env_dir, cache_home / "udfi" / "forms"


def test_lookup_order_forms_dir_then_env_then_cache(places):
    forms_dir, env_dir, cache = places
    _year_dir(cache, 2020)
    assert find_blanks(2020).source == "cache"
    _year_dir(env_dir, 2020)
    assert find_blanks(2020).source == "env"
    _year_dir(forms_dir, 2020)
    found = find_blanks(2020, forms_dir)
    assert found.source == "forms-dir" and found.f990t == forms_dir / "2020" / "f990t.pdf"
    assert [b.source for b in list_blanks(forms_dir)] == ["forms-dir", "env", "cache"]


def test_missing_year_is_none_and_require_explains(places):
    assert find_blanks(2023) is None
    with pytest.raises(MissingBlankError, match="udfi forms fetch 2023"):
        require_blanks(2023)


def test_half_a_set_does_not_count(places):
    forms_dir, _, _ = places
    (forms_dir / "2021").mkdir()
    (forms_dir / "2021" / "f990t.pdf").symlink_to(blanks_for(2021).f990t)
    assert find_blanks(2021, forms_dir) is None


def test_cli_list(places):
    forms_dir, env_dir, _ = places
    _year_dir(env_dir, 2021)
    result = CliRunner().invoke(app, ["forms", "list"])
    assert result.exit_code == 0
    assert "2021" in result.output and "env" in result.output


# --- fetch ------------------------------------------------------------------------------------


def _publish_prior(root: Path, year: int, source_year: int | None = None) -> None:
    for form in FORMS:
        (root / "irs-prior" / f"{form}--{year}.pdf").write_bytes(blanks_for(source_year or year).path(form).read_bytes())


def test_fetch_prior_year(irs_server, tmp_path):
    root, base_url = irs_server
    _publish_prior(root, 2021)
    cache = tmp_path / "cache"
    blank_set = fetch_blanks(2021, cache_dir=cache, base_url=base_url)
    assert blank_set.source == "cache" and blank_set.tax_year == 2021
    for form in FORMS:
        written = cache / "2021" / f"{form}.pdf"
        assert hashlib.sha256(written.read_bytes()).digest() == hashlib.sha256(blanks_for(2021).path(form).read_bytes()).digest()
    assert not [p for p in (cache / "2021").iterdir() if p.suffix != ".pdf"]  # no temp files left
    assert find_blanks(2021, cache).source == "forms-dir"


def test_fetch_current_year_falls_back_to_irs_pdf(irs_server, tmp_path, monkeypatch):
    root, base_url = irs_server
    for form in FORMS:
        (root / "irs-pdf" / f"{form}.pdf").write_bytes(blanks_for(2022).path(form).read_bytes())
    monkeypatch.setenv("UDFI_IRS_BASE_URL", base_url)
    blank_set = fetch_blanks(2022, cache_dir=tmp_path / "cache")
    assert blank_set.f990t.read_bytes() == blanks_for(2022).f990t.read_bytes()


def test_fetch_rejects_wrong_revision_and_writes_nothing(irs_server, tmp_path):
    root, base_url = irs_server
    _publish_prior(root, 2021, source_year=2020)  # 2020 forms served as 2021
    with pytest.raises(FetchError, match="2020 revision"):
        fetch_blanks(2021, cache_dir=tmp_path / "cache", base_url=base_url)
    assert not (tmp_path / "cache").exists()


def test_fetch_rejects_non_pdf(irs_server, tmp_path):
    root, base_url = irs_server
    for form in FORMS:
        (root / "irs-prior" / f"{form}--2021.pdf").write_bytes(b"<html>Page not found</html>")
    with pytest.raises(FetchError, match="not a PDF"):
        fetch_blanks(2021, cache_dir=tmp_path / "cache", base_url=base_url)


def test_fetch_unknown_year_via_cli_is_one_clear_line(irs_server, tmp_path):
    _, base_url = irs_server
    result = CliRunner().invoke(app, ["forms", "fetch", "2023", "--cache-dir", str(tmp_path / "c"), "--base-url", base_url])
    assert result.exit_code == 4  # an outside failure (README, Exit codes)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no f990t blank for 2023")


def test_fetch_via_cli(irs_server, tmp_path):
    root, base_url = irs_server
    _publish_prior(root, 2020)
    result = CliRunner().invoke(app, ["forms", "fetch", "2020", "--cache-dir", str(tmp_path / "c"), "--base-url", base_url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "c" / "2020" / "f990tsa.pdf").is_file()


def test_fetch_unreachable_server_is_an_error(tmp_path):
    # Port 9 on loopback (discard) is closed in test environments: a connection error, quickly.
    with pytest.raises(FetchError, match="download failed"):
        fetch_blanks(2021, cache_dir=tmp_path / "c", base_url="http://127.0.0.1:9")
