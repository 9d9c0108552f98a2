"""Byte-reproducible PDFs from WeasyPrint."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

FIXED_SOURCE_DATE_EPOCH = "946684800"  # 2000-01-01: any fixed instant will do
_EPOCH_LOCK = threading.Lock()


@contextmanager
def fixed_font_timestamps() -> Iterator[None]:
    """fontTools stamps each embedded font subset with "now" unless SOURCE_DATE_EPOCH is set (the
    reproducible-builds convention); pin it while writing so output bytes do not vary."""
    with _EPOCH_LOCK:
        previous = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = FIXED_SOURCE_DATE_EPOCH
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = previous
