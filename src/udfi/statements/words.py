"""How the documents name things in words: account types, the exemption each account has, property
types and the depreciable asset of a property."""

from __future__ import annotations

ACCOUNT_TYPES = {
    "traditional_ira": "Traditional IRA", "roth_ira": "Roth IRA", "sep_ira": "SEP IRA",
    "simple_ira": "SIMPLE IRA", "solo_401k": "Solo 401(k) trust",
}
# The exemption each account has (and the section that subjects it to the tax on unrelated income).
EXEMPTION = {
    "traditional_ira": "exempt under IRC §408(e)(1)",
    "sep_ira": "exempt under IRC §408(e)(1) (a SEP IRA is an IRA, §408(k))",
    "simple_ira": "exempt under IRC §408(e)(1) (a SIMPLE IRA is an IRA, §408(p))",
    "roth_ira": "exempt under IRC §408(e)(1) (a Roth IRA is treated as an IRA, §408A(a))",
    "solo_401k": "a qualified trust under IRC §401(a), exempt under §501(a)",
}
# The provisions that make the account's unrelated business taxable income its own tax liability.
TAXED_UNDER = {"solo_401k": "IRC §511(b), §501(a), §401(a)"}
TAXED_UNDER_IRA = "IRC §511(b), §408(e)(1)"
PROPERTY_TYPES = {"residential_rental": "Residential rental property", "nonresidential_real": "Nonresidential real property",
                  "land": "Land"}


def account_type(kind: str) -> str:
    return ACCOUNT_TYPES.get(kind, kind.replace("_", " "))


def exemption(kind: str) -> str:
    return EXEMPTION.get(kind, "")


def taxed_under(kind: str) -> str:
    return TAXED_UNDER.get(kind, TAXED_UNDER_IRA)


def property_type(kind: str) -> str:
    return PROPERTY_TYPES.get(kind, kind.replace("_", " ").capitalize())


def asset_label(label: str, property_kind: str) -> str:
    """The engine's asset label in words: land is never called a building."""
    if label == "building":
        return "Land (not depreciated)" if property_kind == "land" else "Building"
    if label.startswith("improvement "):
        return "Improvement placed in service " + label.split(" ", 1)[1]
    return label
