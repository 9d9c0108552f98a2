"""poppler's pdftotext over PDF bytes, for the tests that read back what udfi printed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def pdftotext(pdf: bytes, folder: Path, name: str, *options: str) -> str:
    """pdftotext's output for `pdf` (written to folder/name.pdf) with `options` (-layout, -bbox, -f N).
    CI must have poppler (scripts/system-deps.sh installs it); elsewhere the test is skipped."""
    if shutil.which("pdftotext") is None:
        if os.environ.get("CI"):
            pytest.fail("poppler pdftotext not installed — scripts/system-deps.sh should have installed it")
        pytest.skip("poppler pdftotext not installed")
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", *options, str(path), "-"], check=True, capture_output=True, timeout=60,
                          text=True).stdout
