"""Compatibility: the importer lives in :mod:`udfi.imports` (split by responsibility)."""

from udfi.imports import *  # noqa: F401,F403
from udfi.imports import __all__  # noqa: F401
from udfi.imports.convert import LEDGER_COLUMNS  # noqa: F401
