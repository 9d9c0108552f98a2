"""Importing what people really have: ledger exports from QuickBooks, AppFolio, Buildium and the like,
mapped by a profile (YAML) into the book's canonical ``ledger.csv``.

Modules: ``profile`` (profiles, lookup by name, ``extends``), ``reading`` (header row below a
title block, sheets, account headings carried down), ``rules`` (account → category / property /
loan), ``lender`` (splitting lumped loan payments with the lender's figures), ``convert`` (the
conversion and the atomic write), ``draft`` (``--draft-profile``).
"""

from udfi.imports.amounts import cents_text
from udfi.imports.convert import (ImportOptions, LenderFiles, convert, import_ledger, read_property_map,
                                  write_ledger_atomic)
from udfi.imports.problems import ImportProblem, ImportResult
from udfi.imports.profile import (CATEGORIES, CREDIT_POSITIVE, MORTGAGE_PAYMENT, Profile, ProfileError, Rule,
                                  load_profile, resolve_profile, shipped_profiles)
from udfi.imports.reading import SourceError, read_source

__all__ = [
    "CATEGORIES", "CREDIT_POSITIVE", "MORTGAGE_PAYMENT", "ImportOptions", "ImportProblem", "ImportResult",
    "LenderFiles", "Profile", "ProfileError", "Rule", "SourceError", "cents_text", "convert", "import_ledger",
    "load_profile", "read_property_map", "read_source", "resolve_profile", "shipped_profiles", "write_ledger_atomic",
]
