"""The local web application (`udfi serve`): the Flask app, its configuration and its safety rules.

Safe by default: served on 127.0.0.1; requests whose Host is not this machine are refused (DNS
rebinding), and so are form posts from another origin; uploads are held in memory (never spooled to
disk by the framework), limited in size, unpacked into a private temporary folder removed before the
response, and worked on in a child process with a time and memory limit. Pages are never cached.
"""

from __future__ import annotations

import io
import ipaddress
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, Request, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from udfi.resources import templates_dir
from udfi.web.store import UploadStore
from udfi.web.limits import UploadLimits

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8000
    limits: UploadLimits = field(default_factory=UploadLimits)
    temp_root: Path | None = None      # parent of the per-request folders (default: the system's temp)
    store_ttl_seconds: float = 1800.0  # how long an upload stays in memory for its download links


class InMemoryUploadRequest(Request):
    """File parts are read into memory (bounded by MAX_CONTENT_LENGTH), never into a temporary file."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        return io.BytesIO()


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _host_name(value: str) -> str:
    return (urlsplit(f"//{value}").hostname or "").lower()


def create_app(config: WebConfig | None = None) -> Flask:
    config = config or WebConfig()
    folder = templates_dir() / "web"
    app = Flask("udfi.web", template_folder=str(folder), static_folder=str(folder / "static"),
                static_url_path="/static")
    app.request_class = InMemoryUploadRequest
    app.config.update(MAX_CONTENT_LENGTH=config.limits.max_upload_bytes, MAX_FORM_MEMORY_SIZE=1024 * 1024,
                      MAX_FORM_PARTS=200, TEMPLATES_AUTO_RELOAD=False)
    app.json.sort_keys = False  # the same key order as `udfi check --format json`
    app.extensions["udfi"] = {"config": config, "store": UploadStore(ttl_seconds=config.store_ttl_seconds)}
    app.jinja_env.autoescape = True  # every value from a book is user data
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    from udfi.web.format import register_filters  # noqa: PLC0415

    register_filters(app)

    @app.before_request
    def _same_machine() -> None:
        host = _host_name(request.host)
        allowed = is_loopback(host) or host == config.host.lower() or not is_loopback(config.host)
        if not allowed:
            abort(400, description="this server answers only requests addressed to this machine "
                                   f"({config.host}); the Host header named {host!r}")
        origin = request.headers.get("Origin")
        if request.method == "POST" and origin and origin != "null" and _host_name(urlsplit(origin).netloc) != host:
            abort(403, description="a form posted from another site was refused")

    @app.after_request
    def _headers(response):
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = ("default-src 'self'; img-src 'self' data:; "
                                                       "style-src 'self' 'unsafe-inline'; form-action 'self'; "
                                                       "frame-ancestors 'none'; base-uri 'none'")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(error, RequestEntityTooLarge):
            limit = config.limits.max_upload_bytes
            message = f"the upload is larger than the {limit / 1024 / 1024:g} MB allowed (udfi serve --max-upload-mb)"
        else:
            message = error.description or error.name
        if request.path.startswith("/api/"):
            return jsonify({"error": message}), error.code
        return render_template("error.html.j2", status=error.code, title=error.name, message=message), error.code

    from udfi.web import check_views, plan_views  # noqa: PLC0415

    check_views.register(app)
    plan_views.register(app)

    @app.get("/")
    def home():
        return render_template("home.html.j2")

    return app


def web_config() -> WebConfig:
    from flask import current_app  # noqa: PLC0415

    return current_app.extensions["udfi"]["config"]


def upload_store() -> UploadStore:
    from flask import current_app  # noqa: PLC0415

    return current_app.extensions["udfi"]["store"]


@contextmanager
def private_folder():
    """A new 0700 folder for one request's files, removed when the block ends (before the response)."""
    root = web_config().temp_root
    if root is not None:
        Path(root).mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="udfi-web-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def zip_bytes(folder: str, files: dict[str, bytes]) -> bytes:
    """A download: `files` (relative path → bytes) under `folder/` in a zip, fixed dates, owner-only modes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o600 << 16
            archive.writestr(info, data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
