"""The custodian settings file: who signs the returns and who prepared them (ReturnHeader).

Found as `--custodian FILE`, else `BOOK/custodian.yaml` (a folder book) or `custodian.yaml` next to
a workbook. Every field is optional; a run without the file writes XML without the officer and
preparer groups (the transmitter's software must then add them) and says so.

    officer:                       # Form 990-T signature block → ReturnHeader/BusinessOfficerGrp
      name: Jane Q Officer         #   PersonNm
      title: Trust Officer         #   PersonTitleTxt
      phone: 614-555-0100          #   PhoneNum
      discuss_with_preparer: true  #   "May the IRS discuss this return with the preparer?"
    preparer:                      # paid preparer → PreparerPersonGrp (leave out if self-prepared)
      name: Alex Preparer          #   PreparerPersonNm
      ptin: P01234567              #   PTIN
      phone: 614-555-0101          #   PhoneNum
      self_employed: false         #   SelfEmployedInd
      firm:                        # → PreparerFirmGrp
        name: Preparer Firm LLP    #   PreparerFirmName/BusinessNameLine1Txt
        ein: 12-3456789            #   PreparerFirmEIN
        street: 10 Main St         #   PreparerUSAddress
        city: Columbus
        state: OH
        zip: "43215"
    return_timestamp: 2024-03-01T09:00:00-05:00   # ReturnTs (default: the start of the run)
    return_versions: {2025: 2025v5.0}              # 990-T @returnVersion overrides per tax year
    extension_return_versions: {2024: 2024v5.0}    # Form 8868 @returnVersion per tax year

Left out on purpose — the signer or the transmitter adds them (see TRANSMITTER_ADDS): the officer's
signature PIN and signature date, the preparer's signature date, the ERO/originator EFIN and PIN,
and the software ID / version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from udfi.efile.values import EfileValueError
from udfi.efile.view import clean, ein_digits, phone_digits, us_address

FILE_NAME = "custodian.yaml"

# What the XML leaves out, for the README, the package letter and `udfi efile show`.
TRANSMITTER_ADDS = (
    ("ReturnHeader/BusinessOfficerGrp/TaxpayerPIN and SignatureDt", "the officer signs: PIN and date"),
    ("ReturnHeader/PreparerPersonGrp/PreparationDt", "the paid preparer's signature date"),
    ("ReturnHeader/OriginatorGrp (EFIN, originator type, PractitionerPINGrp)", "the ERO / transmitter"),
    ("ReturnHeader/SoftwareId, SoftwareVersionNum and the signature option", "the transmitting software"),
)


class CustodianError(Exception):
    """The custodian settings file cannot be used (names the file and the field)."""


@dataclass(frozen=True)
class Officer:
    name: str
    title: str
    phone: str = ""
    discuss_with_preparer: bool | None = None


@dataclass(frozen=True)
class Preparer:
    name: str
    ptin: str = ""
    phone: str = ""
    self_employed: bool = False
    firm_name: str = ""
    firm_ein: str = ""
    firm_address: dict | None = None


@dataclass(frozen=True)
class Custodian:
    officer: Officer | None = None
    preparer: Preparer | None = None
    return_timestamp: str | None = None
    return_versions: dict[int, str] = field(default_factory=dict)
    extension_return_versions: dict[int, str] = field(default_factory=dict)
    source: str = ""


def find_settings(book: Path, explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return Path(explicit)
    book = Path(book)
    candidate = book / FILE_NAME if book.is_dir() else book.parent / FILE_NAME
    return candidate if candidate.is_file() else None


def _text(section: dict, key: str) -> str:
    value = section.get(key)
    return "" if value is None else clean(value)


def _timestamp(value, where: str) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, dt.datetime) else None
    if moment is None:
        try:
            moment = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise CustodianError(f"{where}: return_timestamp: expected an ISO date-time with offset, "
                                 "e.g. 2024-03-01T09:00:00-05:00") from None
    if moment.tzinfo is None:
        raise CustodianError(f"{where}: return_timestamp: give the UTC offset, e.g. 2024-03-01T09:00:00-05:00")
    return moment.isoformat(timespec="seconds")


def load_settings(path: Path | None) -> Custodian:
    if path is None:
        return Custodian()
    where = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise CustodianError(f"{where}: cannot read the custodian settings ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CustodianError(f"{where}{line}: not valid YAML") from None
    if not isinstance(data, dict):
        raise CustodianError(f"{where}: expected a mapping with officer / preparer sections")
    known = {"officer", "preparer", "return_timestamp", "return_versions", "extension_return_versions"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise CustodianError(f"{where}: unknown setting(s) {', '.join(unknown)}; expected {', '.join(sorted(known))}")
    try:
        officer = preparer = None
        if data.get("officer"):
            section = data["officer"]
            discuss = section.get("discuss_with_preparer")
            officer = Officer(_text(section, "name"), _text(section, "title"),
                              phone_digits(section.get("phone"), f"{where} officer.phone"),
                              None if discuss is None else bool(discuss))
            if not officer.name or not officer.title:
                raise CustodianError(f"{where}: officer: name and title are both required")
        if data.get("preparer"):
            section = data["preparer"]
            firm = section.get("firm") or {}
            address = None
            if firm.get("street") or firm.get("city"):
                address = us_address(firm.get("street"), firm.get("city"), firm.get("state"), firm.get("zip"),
                                     f"{where} preparer.firm")
            preparer = Preparer(_text(section, "name"), str(section.get("ptin") or "").strip().upper(),
                                phone_digits(section.get("phone"), f"{where} preparer.phone"),
                                bool(section.get("self_employed", False)), _text(firm, "name"),
                                ein_digits(firm["ein"], f"{where} preparer.firm.ein") if firm.get("ein") else "",
                                address)
            if not preparer.name:
                raise CustodianError(f"{where}: preparer: name is required")
        versions = {int(year): str(version) for year, version in (data.get("return_versions") or {}).items()}
        extension_versions = {int(year): str(version)
                              for year, version in (data.get("extension_return_versions") or {}).items()}
    except EfileValueError as exc:
        raise CustodianError(str(exc)) from None
    except (TypeError, ValueError, AttributeError):
        raise CustodianError(f"{where}: expected officer and preparer as mappings, return_versions as "
                             "{year: version}") from None
    return Custodian(officer, preparer, _timestamp(data.get("return_timestamp"), where), versions,
                     extension_versions, where)
