"""Locate, list, download and verify the official IRS blanks (Form 990-T and Schedule A).

Blanks are never shipped with udfi. Lookup order: an explicit ``forms_dir``, the environment
variable ``UDFI_FORMS_DIR``, then the per-user cache (``$XDG_CACHE_HOME/udfi/forms``).
Each place holds ``<dir>/<year>/f990t.pdf`` and ``<dir>/<year>/f990tsa.pdf``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from udfi.forms.acroform import list_fields, read_pdf
from udfi.forms.derive import resolve_map
from udfi.forms.fieldmaps import FieldMap, UnknownRevisionError
from udfi.forms.lines import F990T, F990TSA, FORMS

ENV_FORMS_DIR = "UDFI_FORMS_DIR"
ENV_BASE_URL = "UDFI_IRS_BASE_URL"
IRS_BASE_URL = "https://www.irs.gov/pub"
FETCH_TIMEOUT_SECONDS = 60
MAX_BLANK_BYTES = 20 * 1024 * 1024  # the real blanks are ~0.5 MB; anything huge is not a form


class MissingBlankError(FileNotFoundError):
    """No blank for the requested tax year in any of the places we look."""


class FetchError(RuntimeError):
    """Downloading or verifying a blank failed."""


@dataclass(frozen=True)
class BlankSet:
    tax_year: int
    f990t: Path
    f990tsa: Path
    source: str  # "forms-dir", "env" or "cache"
    directory: Path  # the base folder (without the year)

    def path(self, form: str) -> Path:
        return {F990T: self.f990t, F990TSA: self.f990tsa}[form]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "udfi" / "forms"


def search_dirs(forms_dir: Path | None = None) -> list[tuple[str, Path]]:
    places: list[tuple[str, Path]] = []
    if forms_dir is not None:
        places.append(("forms-dir", Path(forms_dir)))
    if os.environ.get(ENV_FORMS_DIR):
        places.append(("env", Path(os.environ[ENV_FORMS_DIR])))
    places.append(("cache", cache_dir()))
    return places


def _blank_set(source: str, directory: Path, tax_year: int) -> BlankSet | None:
    year_dir = directory / str(tax_year)
    paths = {form: year_dir / f"{form}.pdf" for form in FORMS}
    if all(p.is_file() for p in paths.values()):
        return BlankSet(tax_year, paths[F990T], paths[F990TSA], source, directory)
    return None


def find_blanks(tax_year: int, forms_dir: Path | None = None) -> BlankSet | None:
    """The first place holding both blanks for `tax_year`, or None."""
    for source, directory in search_dirs(forms_dir):
        found = _blank_set(source, directory, tax_year)
        if found is not None:
            return found
    return None


def require_blanks(tax_year: int, forms_dir: Path | None = None) -> BlankSet:
    found = find_blanks(tax_year, forms_dir)
    if found is None:
        looked = ", ".join(f"{source}: {directory / str(tax_year)}" for source, directory in search_dirs(forms_dir))
        raise MissingBlankError(
            f"no Form 990-T / Schedule A blanks for {tax_year} (looked in {looked}); "
            f"run `udfi forms fetch {tax_year}`"
        )
    return found


def list_blanks(forms_dir: Path | None = None) -> list[BlankSet]:
    """Every (year, place) with both blanks, in lookup order; the first per year is the one used."""
    found: list[BlankSet] = []
    for source, directory in search_dirs(forms_dir):
        if not directory.is_dir():
            continue
        for year_dir in sorted(directory.iterdir()):
            if year_dir.name.isdigit():
                blank_set = _blank_set(source, directory, int(year_dir.name))
                if blank_set is not None:
                    found.append(blank_set)
    return found


# --- verification ---------------------------------------------------------------------------


def verify_blank(data: bytes, form: str, tax_year: int) -> FieldMap:
    """Check that `data` is a fillable PDF served by a reviewed field map or one derived from its
    captions (udfi.forms.derive); return that map."""

    if not data.startswith(b"%PDF-"):
        raise FetchError(f"{form} {tax_year}: not a PDF (starts with {data[:16]!r})")
    try:
        reader = read_pdf(data)
    except Exception as exc:  # pdfrw raises assorted errors on damaged files
        raise FetchError(f"{form} {tax_year}: unreadable PDF ({exc})") from exc
    fields = list_fields(reader)
    if not fields:
        raise FetchError(f"{form} {tax_year}: PDF has no fillable fields (not the fillable IRS form?)")
    try:
        return resolve_map(form, tax_year, data, hashlib.sha256(data).hexdigest(), fields)
    except UnknownRevisionError as exc:
        raise FetchError(str(exc)) from exc


# --- download --------------------------------------------------------------------------------


def blank_urls(form: str, tax_year: int, base_url: str) -> list[str]:
    """Where the IRS keeps a blank: the prior-year archive, else (the newest revision) irs-pdf."""
    base = base_url.rstrip("/")
    return [f"{base}/irs-prior/{form}--{tax_year}.pdf", f"{base}/irs-pdf/{form}.pdf"]


class _NotFound(FetchError):
    pass


def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "udfi (Form 990-T preparer)"})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            data = response.read(MAX_BLANK_BYTES + 1)
    except urllib.error.HTTPError as exc:
        error = _NotFound if exc.code == 404 else FetchError
        raise error(f"download failed: {url}: HTTP {exc.code}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"download failed: {url}: {reason}") from exc
    if len(data) > MAX_BLANK_BYTES:
        raise FetchError(f"download failed: {url}: larger than {MAX_BLANK_BYTES} bytes")
    return data


def _download_blank(form: str, tax_year: int, base_url: str) -> tuple[str, bytes]:
    prior_url, current_url = blank_urls(form, tax_year, base_url)
    try:
        return prior_url, _download(prior_url)
    except _NotFound:
        # Not archived yet: the year being filed now is published as irs-pdf/<form>.pdf.
        pass
    try:
        return current_url, _download(current_url)
    except _NotFound as exc:
        raise FetchError(f"no {form} blank for {tax_year}: neither {prior_url} nor {current_url} exists") from exc


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def fetch_blanks(tax_year: int, cache_dir: Path | None = None, base_url: str | None = None) -> BlankSet:
    """Download both blanks for `tax_year` from the IRS, verify them, and store them in the cache.

    Both files are downloaded and verified (PDF, fillable, fields match the known map for that
    year) before either is written, so a failed fetch leaves the cache as it was.
    """
    target = Path(cache_dir) if cache_dir is not None else globals()["cache_dir"]()
    base = base_url or os.environ.get(ENV_BASE_URL) or IRS_BASE_URL
    verified: dict[str, bytes] = {}
    for form in FORMS:
        url, data = _download_blank(form, tax_year, base)
        verify_blank(data, form, tax_year)  # a reviewed map of that year's revision, or a derived one
        verified[form] = data
    for form, data in verified.items():
        _write_atomically(target / str(tax_year) / f"{form}.pdf", data)
    found = _blank_set("cache", target, tax_year)
    assert found is not None
    return found


def map_status(blank_set: BlankSet) -> dict[str, str]:
    """Per form, which field map serves the blanks: "reviewed map f990t-2022.yaml", "field map derived
    from its captions (60 lines)", or "refused: …" (never raises)."""
    status: dict[str, str] = {}
    for form in FORMS:
        path = blank_set.path(form)
        try:
            data = path.read_bytes()
            fieldmap = verify_blank(data, form, blank_set.tax_year)
        except (OSError, FetchError) as exc:
            status[form] = f"refused: {exc}"
            continue
        status[form] = (f"field map derived from its captions ({len(fieldmap.lines)} lines)" if fieldmap.derived
                        else f"reviewed map {fieldmap.path.name}")
    return status
