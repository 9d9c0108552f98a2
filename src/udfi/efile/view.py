"""The account object as the XML sees it: the `efile` values derived for MeF (digits-only EIN, phone
and ZIP, name lines, a property's street address split from its description, whether the books are in
the care of a person or a business) and one view per Schedule A (silo). Pure: inputs are not changed.

MeF name and address lines take letters, digits and a few marks only (types.yaml); the IRS asks for
periods and commas to be left out of them, so those two are dropped here; letters with diacritics and
typographic quotes and dashes become their ASCII letter or mark. Any other character the element does
not take is an error naming the input field, never silently removed.
"""

from __future__ import annotations

import re
import unicodedata

from udfi.efile.data import type_named
from udfi.efile.name_control import name_control
from udfi.efile.values import EfileValueError, check_text

ACCOUNTS = "accounts.csv"
PROPERTIES = "properties.csv"
# a word that makes "books in care of" a business name rather than a person's
_BUSINESS_WORDS = re.compile(r"\b(?:co|company|corp|corporation|inc|incorporated|llc|llp|lp|ltd|bank|trust|"
                             r"association|assn|pc|pllc|na|partners|group|services|fund|plan|cpas?|firm|"
                             r"custodian|custody|financial|capital|advisors|management)\b", re.IGNORECASE)
_STATE_ZIP = re.compile(r"(?P<state>[A-Za-z]{2})\s+(?P<zip>\d{5}(?:-?\d{4})?)")


# Typographic marks with an exact ASCII equivalent (what spreadsheets and word processors type for ' and -).
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u2013": "-", "\u2014": "-",
                              "\u2011": "-", "\u2010": "-", "\u00a0": " ", "\u00df": "ss", "\u00e6": "ae",
                              "\u00c6": "AE", "\u00f8": "o", "\u00d8": "O", "\u0142": "l", "\u0141": "L"})


def ascii_letters(text: str) -> str:
    """Letters with diacritics as their base letter (Zoë Núñez → Zoe Nunez) and typographic quotes and
    dashes as ASCII: MeF name and address types take ASCII only. Anything else stays, to be refused."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHIC))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean(text) -> str:
    """Periods and commas dropped, letters and marks made ASCII where that is exact, blanks collapsed."""
    text = ascii_letters("" if text is None else str(text))
    return re.sub(r"\s+", " ", re.sub(r"[.,]", " ", text)).strip()


def split_lines(text: str, limit: int) -> tuple[str, str]:
    """Up to two lines of at most `limit` characters, broken between words."""
    if len(text) <= limit:
        return text, ""
    cut = text.rfind(" ", 0, limit + 1)
    if cut <= 0:
        return text, ""  # one long word: the length check reports it
    return text[:cut], text[cut + 1:]


def _fit(text: str, element: str, field: str) -> str:
    return check_text(text, element, field)


def name_lines(name: str, field: str) -> dict:
    text = clean(name)
    if not text:
        raise EfileValueError(field, "missing; expected the name as on the return")
    limit = type_named("business_name").max
    line1, line2 = split_lines(text, limit)
    if len(line2) > limit:
        raise EfileValueError(field, f"{len(text)} characters is too long; expected at most {2 * limit} "
                              f"(two name lines of {limit})")
    return {"line1": _fit(line1, "BusinessNameLine1Txt", field),
            "line2": _fit(line2, "BusinessNameLine2Txt", field) if line2 else ""}


def ein_digits(ein, field: str) -> str:
    text = "" if ein is None else str(ein).strip()
    if re.fullmatch(r"\d{3}-\d{2}-\d{4}", text):
        raise EfileValueError(field, "an SSN-shaped value is refused; expected the account's EIN, NN-NNNNNNN")
    digits = re.sub(r"[\s-]", "", text)
    if not digits:
        raise EfileValueError(field, "missing; expected the account's EIN, NN-NNNNNNN")
    if not re.fullmatch(r"\d{9}", digits):
        raise EfileValueError(field, "expected an EIN of 9 digits, NN-NNNNNNN")
    return digits


def phone_digits(phone, field: str) -> str:
    digits = re.sub(r"[\s().\-+]", "", "" if phone is None else str(phone))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if digits and not re.fullmatch(r"\d{10}", digits):
        raise EfileValueError(field, "expected a 10-digit US phone number, e.g. 614-555-0142")
    return digits


def us_address(street, city, state, zipcode, field: str) -> dict:
    """A US address for MeF; `field` names the source ('accounts.csv' columns or a description)."""
    parts = {"street": clean(street).replace("#", " ").replace("  ", " ").strip(), "city": clean(city),
             "state": clean(state).upper(), "zip": re.sub(r"[\s-]", "", "" if zipcode is None else str(zipcode))}
    missing = [name for name, value in parts.items() if not value]
    if missing:
        raise EfileValueError(field, f"missing {', '.join(missing)}; a US address (street, city, state, ZIP) "
                              "is required for the e-file return")
    limit = type_named("street").max
    line1, line2 = split_lines(parts["street"], limit)
    if len(line2) > limit:
        raise EfileValueError(f"{field} street", f"too long for two address lines of {limit} characters")
    return {"line1": _fit(line1, "AddressLine1Txt", f"{field} street"),
            "line2": _fit(line2, "AddressLine2Txt", f"{field} street") if line2 else "",
            "city": _fit(parts["city"], "CityNm", f"{field} city"),
            "state": _fit(parts["state"], "StateAbbreviationCd", f"{field} state"),
            "zip": _fit(parts["zip"], "ZIPCd", f"{field} zip")}


def property_address(description: str, field: str) -> dict:
    """Schedule A Part V line 1 from "street, city, ST ZIP" (the properties.csv convention)."""
    pieces = [piece.strip() for piece in str(description or "").split(",")]
    found = _STATE_ZIP.fullmatch(pieces[-1]) if len(pieces) >= 3 else None
    if found is None:
        raise EfileValueError(field, "expected \"street, city, ST ZIP\" (e.g. \"412 Maple Ave, Columbus, OH 43215\") "
                              "for the MeF US address of Part V line 1")
    return us_address(" ".join(pieces[:-2]), pieces[-2], found.group("state"), found.group("zip"), field)


def books_in_care_of(text) -> dict:
    """Item L: a business name when it reads like one, else a person's name (a ", Title" part dropped)."""
    value = "" if text is None else str(text).strip()
    if not value:
        return {"person": "", "business": ""}
    field = f"{ACCOUNTS} books_in_care_of"
    if _BUSINESS_WORDS.search(value) or re.search(r"\d", value):
        lines = name_lines(value, field)
        return {"person": "", "business": lines["line1"]}
    person = clean(value.split(",")[0])
    return {"person": _fit(person, "PersonNm", field), "business": ""}


def account_view(account: dict, silos: list[dict]) -> dict:
    """The account object plus its `efile` values and the #schedules_a count."""
    address = account.get("address") or {}
    efile = {
        "name": name_lines(account.get("name"), f"{ACCOUNTS} name"),
        "ein": ein_digits(account.get("ein"), f"{ACCOUNTS} ein"),
        "address": us_address(address.get("street"), address.get("city"), address.get("state"), address.get("zip"),
                              ACCOUNTS),
        "phone": phone_digits(account.get("phone"), f"{ACCOUNTS} phone"),
        "books": books_in_care_of(account.get("books_in_care_of")),
    }
    efile["name_control"] = name_control(account.get("name") or "", efile["ein"], account.get("name_control"))
    schedule_d = account.get("schedule_d")
    if isinstance(schedule_d, dict):
        # Schedule D lines 3 and 10 carry the (d) and (e) totals of the Form 8949 rows (boxes C and F)
        rows = schedule_d.get("form_8949") or {}
        efile["form_8949"] = {box: {column: sum(int(row.get(column, 0)) for row in rows.get(box) or [])
                                    for column in ("proceeds", "cost_or_basis")} for box in ("box_c", "box_f")}
    return {**account, "efile": efile, "#schedules_a": len(silos)}


def silo_views(account: dict) -> list[dict]:
    """One view per Schedule A: each entry of the account object's `schedules_a` (the investment-activities
    silo and the partnership silos, docs/return-json.md); an account object without that list (an older
    return.json) gives the single investment-activities view below."""
    listed = account.get("schedules_a")
    silos = listed if isinstance(listed, list) and listed else [{
        "activity_code": account.get("activity_code"),
        "activity_description": account.get("activity_description"),
        "schedule_a": account.get("schedule_a") or {},
        "properties": [p for p in account.get("properties", []) if p.get("debt_financed")],
    }]
    views = []
    for sequence, silo in enumerate(silos, start=1):
        properties = []
        listed_properties = silo.get("properties") or []
        if silo.get("silo") == "investment_activities":   # the account's own list is the one source
            listed_properties = [p for p in account.get("properties", []) if p.get("debt_financed")]
        for line_number, prop in enumerate(listed_properties, start=1):
            field = f"{PROPERTIES} description (property {prop.get('property_id', line_number)})"
            properties.append({**prop, "efile": {"address": property_address(prop.get("description", ""), field),
                                                 "line_number": line_number}})
        views.append({**silo, "properties": properties, "#sequence": sequence, "#sequence_total": len(silos)})
    return views
