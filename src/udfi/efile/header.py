"""The ReturnHeader of a 990-T or 8868 submission: timestamp, tax period, filer, officer, preparer.

The filer is the account (an IRA or a Solo 401(k) trust: calendar-year trusts). What only the signer
or the transmitter can supply is not written (custodian.TRANSMITTER_ADDS).
"""

from __future__ import annotations

import datetime as dt

from udfi.efile.custodian import Custodian
from udfi.efile.data import Reference
from udfi.efile.tree import Document
from udfi.efile.values import check_text


def now_timestamp() -> str:
    """ReturnTs when the settings give none: now, in UTC, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _set(document: Document, path: str, text: str | None, field: str = "") -> None:
    if text:
        element = path.rsplit("/", 1)[-1]
        document.set(tuple((part, 0) for part in path.split("/")), check_text(text, element, field or path))


def _address(document: Document, prefix: str, address: dict) -> None:
    for key, element in (("line1", "AddressLine1Txt"), ("line2", "AddressLine2Txt"), ("city", "CityNm"),
                         ("state", "StateAbbreviationCd"), ("zip", "ZIPCd")):
        _set(document, f"{prefix}/{element}", address.get(key))


def return_header(view: dict, tax_year: int, return_type: str, custodian: Custodian, timestamp: str,
                  reference: Reference, officer: bool = True) -> Document:
    """`view` is the account view (view.account_view). `officer=False` for a return that is not signed
    (Form 8868 needs no signature)."""
    efile = view["efile"]
    header = Document("ReturnHeader", reference, {"binaryAttachmentCnt": "0"})
    _set(header, "ReturnTs", timestamp)
    _set(header, "TaxPeriodEndDt", dt.date(tax_year, 12, 31).isoformat())
    preparer = custodian.preparer
    if preparer is not None and preparer.firm_name:
        _set(header, "PreparerFirmGrp/PreparerFirmEIN", preparer.firm_ein, f"{custodian.source} preparer.firm.ein")
        _set(header, "PreparerFirmGrp/PreparerFirmName/BusinessNameLine1Txt", preparer.firm_name,
             f"{custodian.source} preparer.firm.name")
        if preparer.firm_address:
            _address(header, "PreparerFirmGrp/PreparerUSAddress", preparer.firm_address)
    _set(header, "ReturnTypeCd", return_type)
    _set(header, "TaxPeriodBeginDt", dt.date(tax_year, 1, 1).isoformat())
    _set(header, "Filer/EIN", efile["ein"], "accounts.csv ein")
    _set(header, "Filer/BusinessName/BusinessNameLine1Txt", efile["name"]["line1"], "accounts.csv name")
    _set(header, "Filer/BusinessName/BusinessNameLine2Txt", efile["name"]["line2"], "accounts.csv name")
    _set(header, "Filer/BusinessNameControlTxt", efile["name_control"], "accounts.csv name_control")
    _address(header, "Filer/USAddress", efile["address"])
    if officer and custodian.officer is not None:
        person = custodian.officer
        _set(header, "BusinessOfficerGrp/PersonNm", person.name, f"{custodian.source} officer.name")
        _set(header, "BusinessOfficerGrp/PersonTitleTxt", person.title, f"{custodian.source} officer.title")
        _set(header, "BusinessOfficerGrp/PhoneNum", person.phone)
        if person.discuss_with_preparer is not None:
            # a boolean element, not a check box [M]
            _set(header, "BusinessOfficerGrp/DiscussWithPaidPreparerInd",
                 "true" if person.discuss_with_preparer else "false")
    if officer and preparer is not None:
        _set(header, "PreparerPersonGrp/PreparerPersonNm", preparer.name, f"{custodian.source} preparer.name")
        _set(header, "PreparerPersonGrp/PTIN", preparer.ptin, f"{custodian.source} preparer.ptin")
        _set(header, "PreparerPersonGrp/PhoneNum", preparer.phone)
        if preparer.self_employed:
            _set(header, "PreparerPersonGrp/SelfEmployedInd", "X")
    _set(header, "TaxYr", str(tax_year))
    return header
