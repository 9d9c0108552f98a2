"""Fixtures for the forms tests."""

from __future__ import annotations

import functools
import http.server
import threading

import pytest
from forms_helpers import YEARS


@pytest.fixture(params=YEARS, ids=str)
def year(request) -> int:
    return request.param


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def irs_server(tmp_path):
    """A loopback stand-in for https://www.irs.gov/pub serving files from a temp tree."""
    root = tmp_path / "irs"
    (root / "irs-prior").mkdir(parents=True)
    (root / "irs-pdf").mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
