"""Name control of a trust (Pub. 4164 rules as restated in the module docstring)."""

from __future__ import annotations

import pytest

from udfi.efile.name_control import derive_name_control, name_control
from udfi.efile.values import EfileValueError


@pytest.mark.parametrize("name, ein, expected", [
    # EIN from Form SS-4 (prefix not 20/26/27/45), individual named after FBO → the last name
    ("Pinecrest Trust Company FBO Margaret L. Chen IRA", "46-2817390", "CHEN"),
    ("Pinecrest Trust Company FBO Daniel R. Okafor Roth IRA", "46-5091238", "OKAF"),
    ("Equity Trust Co Custodian FBO John O'Brien Jr IRA", "33-1234567", "OBRI"),   # apostrophe, suffix dropped
    ("Acme Bank F/B/O Ann Cedar-Hawthorn Inherited IRA", "33-1234567", "CEDA"),   # hyphenated: the first name
    ("Acme Bank for the benefit of Li Wu SEP IRA", "33-1234567", "WU"),           # fewer than four characters
    # a corporation as the trust's name → its first four characters ("The" dropped)
    ("Okafor Design Studio LLC Solo 401(k) Plan", "83-1846205", "OKAF"),
    ("The Hawk & Dove Company 401(k) Trust", "33-1234567", "HAWK"),
    ("A & B Company Profit Sharing Trust", "33-1234567", "A&BC"),                 # blanks dropped, & kept
    ("Trust No. 4821", "33-1234567", "4821"),                                     # a numbered trust
    # EIN obtained online (prefix 20, 26, 27 or 45) → the first four characters of the trust's name
    ("Pinecrest Trust Company FBO Margaret L. Chen IRA", "20-2817390", "PINE"),
    ("The Smith Family Trust", "45-1234567", "SMIT"),
])
def test_derived_name_control(name, ein, expected):
    assert derive_name_control(name, ein) == expected


def test_override_wins_and_is_checked():
    assert name_control("Pinecrest Trust Company FBO Margaret L. Chen IRA", "462817390", "pine") == "PINE"
    with pytest.raises(EfileValueError, match="name_control"):
        name_control("X", "462817390", "TOO-LONG")
    with pytest.raises(EfileValueError, match="name_control"):
        name_control("X", "462817390", "A.B")
