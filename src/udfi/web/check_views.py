"""Check a year: upload a book, pick the tax year → the answer in plain words, the problems, the
explained figures and the filing package; and `POST /api/check`, the JSON of `udfi check --format json`."""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.utils import secure_filename

from udfi.batch.files import EFILE_FILE, FORM_FILE, RETURN_FILE, STATEMENTS_FILE
from udfi.plan.terms import parameter_years
from udfi.web.app import private_folder, upload_store, web_config, zip_bytes
from udfi.web.store import Held
from udfi.web.uploads import UploadError, materialize
from udfi.web.worker import WorkerError, run_worker

PACKAGE_TYPES = {FORM_FILE: "application/pdf", STATEMENTS_FILE: "application/pdf", RETURN_FILE: "application/json",
                 EFILE_FILE: "application/xml"}


def default_year() -> int:
    """Last calendar year — the return being prepared this season — if it has parameters."""
    years = parameter_years()
    wanted = dt.date.today().year - 1
    return wanted if wanted in years else max(year for year in years if year <= max(wanted, years[0]))


def _year_field(required: bool) -> int:
    text = (request.form.get("year") or "").strip()
    if not text:
        if required:
            raise UploadError("a tax year is required: the form field 'year', e.g. year=2022")
        return default_year()
    if not text.isdigit() or len(text) != 4:
        raise UploadError(f"the tax year must be 4 digits, e.g. 2022 (got {text[:12]!r})")
    return int(text)


def _upload() -> tuple[str, bytes]:
    upload = request.files.get("book")
    if upload is None or not upload.filename:
        raise UploadError("no file was uploaded: send the book as the form field 'book' (an .xlsx workbook or a "
                          ".zip of the book's CSV files)")
    return upload.filename, upload.read()


def _work(mode: str, filename: str, data: bytes, year: int) -> dict:
    """Unpack the upload into a private folder, run `mode` on it in a child process, remove the folder."""
    limits = web_config().limits
    with private_folder() as folder:
        book = materialize(data, filename, folder, limits)
        return run_worker(mode, book, year, limits.time_limit_seconds, limits.memory_mb)


def build_package(held: Held) -> dict[str, bytes]:
    """`udfi prepare` on a held upload, once; the files stay in memory with the upload."""
    limits = web_config().limits
    with held.lock:
        if held.package is None:
            with private_folder() as folder:
                book = materialize(held.data, held.filename, folder, limits)
                out = folder / "out"
                document = run_worker("package", book, held.year, limits.time_limit_seconds, limits.memory_mb, out)
                if document.get("error"):
                    raise UploadError(document["error"], 422)
                held.package = {str(path.relative_to(out)): path.read_bytes()
                                for path in sorted(out.rglob("*")) if path.is_file() and not path.is_symlink()}
                held.messages = document.get("messages", [])
    return held.package


def _blanks_available(year: int) -> bool:
    from udfi.forms.blanks import find_blanks  # noqa: PLC0415

    return find_blanks(year) is not None


def register(app: Flask) -> None:
    @app.get("/check")
    def check_form():
        return render_template("check.html.j2", years=parameter_years(), year=default_year(), result=None)

    @app.post("/check")
    def check_page():
        year = default_year()
        try:
            year = _year_field(required=False)
            filename, data = _upload()
            result = _work("page", filename, data, year)
        except (UploadError, WorkerError) as exc:
            return render_template("check.html.j2", years=parameter_years(), year=year, result=None,
                                   upload_error=str(exc)), exc.status
        token = upload_store().put(filename, data, year) if result.get("accounts") else None
        return render_template("check.html.j2", years=parameter_years(), year=year, result=result, token=token,
                               filename=filename, blanks=_blanks_available(year))

    @app.post("/api/check")
    def check_api():
        try:
            year = _year_field(required=True)
            filename, data = _upload()
            result = _work("check-json", filename, data, year)
        except (UploadError, WorkerError) as exc:
            return jsonify({"error": str(exc)}), exc.status
        if result.get("document") is not None:
            return jsonify(result["document"])
        status = 422 if result.get("problems") else 400
        return jsonify({"error": result.get("error"), "problems": result.get("problems", [])}), status

    @app.get("/check/<token>/package.zip")
    def package_zip(token: str):
        held = upload_store().get(token) or abort(404, description="this result has expired; upload the book again")
        try:
            files = build_package(held)
        except (UploadError, WorkerError) as exc:
            abort(exc.status, description=str(exc))
        return Response(zip_bytes("udfi-package", files), mimetype="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="udfi-{held.year}-package.zip"'})

    @app.get("/check/<token>/<account_id>/<name>")
    def package_file(token: str, account_id: str, name: str):
        if name not in PACKAGE_TYPES:
            abort(404)
        held = upload_store().get(token) or abort(404, description="this result has expired; upload the book again")
        try:
            files = build_package(held)
        except (UploadError, WorkerError) as exc:
            abort(exc.status, description=str(exc))
        data = files.get(f"{account_id}/{held.year}/{name}")
        if data is None:
            why = "; ".join(held.messages) or "see exceptions.csv in the package"
            abort(404, description=f"no {name} for {account_id} in {held.year} ({why})")
        disposition = "inline" if name.endswith(".pdf") else "attachment"
        download_name = secure_filename(f"{account_id}-{held.year}-{name}")
        return Response(data, mimetype=PACKAGE_TYPES[name],
                        headers={"Content-Disposition": f'{disposition}; filename="{download_name}"'})
