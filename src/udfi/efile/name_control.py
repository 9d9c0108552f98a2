"""The name control of a trust (ReturnHeader/Filer/BusinessNameControlTxt).

The IRS matches the name control and EIN of every e-filed return against its records; a mismatch
rejects the return. For trusts and fiduciaries, Pub. 4164 (Modernized e-File Guide for Software
Developers and Transmitters, "Name Control" rules for estates and trusts) makes the rule depend on
how the EIN was obtained [Q-3P: as restated by the professional-software help pages that implement
it — Thomson Reuters UltraTax CS "Name control guidelines for 1041 electronic filing" and Intuit
ProConnect "Determining the Name Control for Form 1041"; Pub. 4164 itself was not readable here]:

- EIN obtained online (EIN prefix 20, 26, 27 or 45): the first four characters of the trust's name.
- EIN obtained on Form SS-4 (every other prefix):
  - a trust naming an individual: the first four characters of the individual's last name;
  - a trust naming a corporation, association or endowment: the first four characters of that name;
  - a numbered trust: the first four digits of the number.
- A name control has up to four characters: letters, digits, hyphen and ampersand; "The" (when more
  words follow) and abbreviations such as "FBO" / "dba" are not part of it.

An IRA is "Custodian FBO Individual IRA": it names its individual after FBO ("for the benefit of"),
so an SS-4 EIN gives the individual's last name. The IRS's own record wins over any rule: the name
control printed on the EIN notice (CP 575) goes in accounts.csv `name_control`, which overrides this.
"""

from __future__ import annotations

import re

from udfi.efile.values import EfileValueError

ONLINE_EIN_PREFIXES = frozenset({"20", "26", "27", "45"})
NAME_CONTROL = re.compile(r"[A-Z0-9][A-Z0-9\-&]{0,3}")

_BENEFIT = re.compile(r"\b(?:F\s*/?\s*B\s*/?\s*O|FOR\s+THE\s+BENEFIT\s+OF|FOR\s+BENEFIT\s+OF)\b\.?", re.IGNORECASE)
# words after the individual's name that describe the account, not the person
_ACCOUNT_WORDS = {"IRA", "ROTH", "SEP", "SIMPLE", "ROLLOVER", "INHERITED", "BENEFICIARY", "BENE", "TRADITIONAL",
                  "ACCOUNT", "ACCT", "TRUST", "CUSTODIAN", "CUST", "PLAN", "401K", "401(K)", "SOLO", "DECD",
                  "DECEASED", "TTEE", "TRUSTEE"}
_SUFFIXES = {"JR", "SR", "II", "III", "IV", "V", "MD", "DDS", "PHD", "ESQ", "CPA"}


def _characters(text: str) -> str:
    """Letters, digits, '-' and '&' of `text` (upper case), the blanks between words dropped."""
    return re.sub(r"[^A-Z0-9\-&]", "", text.upper())


def _first_four(text: str) -> str:
    words = text.split()
    if len(words) > 1 and words[0].upper() == "THE":
        words = words[1:]
    return _characters(" ".join(words)).lstrip("-&")[:4]


def _surname(individual: str) -> str:
    """The last name of "Margaret L. Chen IRA" → "Chen" (account words, suffixes and initials dropped)."""
    words = [w.strip(".,;:") for w in re.split(r"[\s,]+", individual) if w.strip(".,;:")]
    while words and (words[-1].upper().replace(".", "") in _ACCOUNT_WORDS | _SUFFIXES
                     or re.fullmatch(r"\(?\d+(\(?K\)?)?\)?", words[-1].upper())):
        words.pop()
    if not words:
        return ""
    last = words[-1]
    return last.split("-")[0]  # a hyphenated last name: the first of the two


def derive_name_control(name: str, ein: str) -> str:
    """The name control by the Pub. 4164 trust rules above."""
    digits = re.sub(r"\D", "", ein or "")
    online = digits[:2] in ONLINE_EIN_PREFIXES
    benefit = _BENEFIT.search(name)
    if online or benefit is None:
        numbered = re.fullmatch(r"(?:TRUST\s+(?:NO\.?|NUMBER|#)\s*)(\d+).*", name.strip(), re.IGNORECASE)
        if numbered and not online:
            return numbered.group(1)[:4]
        return _first_four(name)
    return _characters(_surname(name[benefit.end():]))[:4] or _first_four(name)


def name_control(name: str, ein: str, override: str | None = None, field: str = "accounts.csv name_control") -> str:
    """The override when given (checked), else the derived name control."""
    if override:
        text = override.strip().upper()
        if not NAME_CONTROL.fullmatch(text):
            raise EfileValueError(field, "expected 1 to 4 characters: A-Z, 0-9, - and & (first a letter or digit)")
        return text
    derived = derive_name_control(name, ein)
    if not NAME_CONTROL.fullmatch(derived):
        raise EfileValueError("accounts.csv name", "no name control can be derived from the name; "
                              "give the IRS's name control in accounts.csv column name_control")
    return derived
