#!/usr/bin/env python3
"""Write fixtures/hostile/<case>/: one small book per way a file many people touched can be broken.

Each case is the base book (three accounts: A1 and A2 must file for 2021, A3 need not) with one
hostile change, mostly to account A2, and `case.json` saying what udfi must do with it:

- `validate_exit`, `located` ([severity, file, row, column] that `udfi validate --format json`
  must report) and `says` (text the messages must contain);
- `prepare_exit`, `failed` (accounts that must be exceptions), `unaffected` (accounts whose
  summary row must equal the base book's), `secrets` (text never to appear in any output);
- `options` (e.g. `{"date_format": "MDY"}`).

The tests (tests/test_hostile_books.py) add the invariants that hold for every case. Cases that need
a file system object or a size that cannot be committed (a FIFO, a big book, a full disk) are made
at test time (tests/test_hostile_out.py, tests/test_hostile_kill.py). Run from the repository root:
    python scripts/make_hostile_fixtures.py
The encrypted workbook is made with msoffcrypto-tool when it is installed (it is not a dependency:
the committed file is kept otherwise).
"""

from __future__ import annotations

import codecs
import copy
import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
YEAR = 2021
SSN = "123-45-6789"


def _monthly(property_id: str, months: range, category: str, amount: str, loan_id: str = "", day: int = 1,
             memo: str = "") -> list[dict]:
    return [{"date": f"{YEAR}-{month:02d}-{day:02d}", "property_id": property_id, "category": category,
             "amount": amount, "loan_id": loan_id, "memo": memo} for month in months]


ADDRESS = {"street": "100 Harbor Way", "city": "Tampa", "state": "FL", "zip": "33602"}  # the custodian's (e-file)

BASE = {
    "accounts": [
        {"account_id": "A1", "name": "Harbor Trust Co FBO Ann Lee IRA", "ein": "47-1234567",
         "account_type": "traditional_ira", **ADDRESS},
        {"account_id": "A2", "name": "Harbor Trust Co FBO Raj Patel Roth IRA", "ein": "47-7654321",
         "account_type": "roth_ira", **ADDRESS},
        {"account_id": "A3", "name": "Harbor Trust Co FBO Mei Wong SEP IRA", "ein": "47-5550001",
         "account_type": "sep_ira", **ADDRESS},
    ],
    "properties": [
        {"property_id": "P1", "account_id": "A1", "description": "8 Bay Rd, Tampa, FL 33602",
         "property_type": "residential_rental", "acquired_on": "2021-03-10", "cost_basis": "250000.00",
         "land_value": "50000.00", "disposed_on": "", "amount_realized": ""},
        {"property_id": "P2", "account_id": "A2", "description": "14 Elm St, Dayton, OH 45402",
         "property_type": "residential_rental", "acquired_on": "2021-01-01", "cost_basis": "200000.00",
         "land_value": "40000.00", "disposed_on": "", "amount_realized": ""},
        {"property_id": "P3", "account_id": "A3", "description": "Lot 4, Ocala, FL 34470", "property_type": "land",
         "acquired_on": "2021-01-05", "cost_basis": "40000.00", "land_value": "40000.00", "disposed_on": "",
         "amount_realized": ""},
    ],
    "loans": [
        {"loan_id": "L1", "property_id": "P1", "originated_on": "2021-03-10", "principal": "150000.00",
         "purpose": "acquisition", "refinances": "", "recourse": "false", "lender_is_disqualified_person": "false"},
        {"loan_id": "L2", "property_id": "P2", "originated_on": "2021-01-01", "principal": "100000.00",
         "purpose": "acquisition", "refinances": "", "recourse": "false", "lender_is_disqualified_person": "false"},
        {"loan_id": "L3", "property_id": "P3", "originated_on": "2021-01-05", "principal": "20000.00",
         "purpose": "acquisition", "refinances": "", "recourse": "false", "lender_is_disqualified_person": "false"},
    ],
    "ledger": (_monthly("P1", range(4, 13), "rent", "1800.00", memo="rent")
               + _monthly("P1", range(4, 13), "interest", "562.50", "L1", day=10)
               + _monthly("P2", range(1, 13), "rent", "1500.00", memo="rent")
               + _monthly("P2", range(1, 13), "interest", "400.00", "L2", day=15)
               + _monthly("P2", range(1, 13), "principal", "150.00", "L2", day=15)
               + [{"date": "2021-06-01", "property_id": "P3", "category": "rent", "amount": "300.00", "loan_id": "",
                   "memo": ""}]),
}
LEDGER_P2_FIRST = 2 + 18  # spreadsheet row of P2's first ledger row (after P1's 18 rows; header = row 1)


def csv_text(records: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or (list(records[0].keys()) if records else [])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def rename_account(book: dict, old: str, new: str) -> None:
    for table in ("accounts", "properties"):
        for record in book[table]:
            if record["account_id"] == old:
                record["account_id"] = new


# --------------------------------------------------------------------------------------------
# Cases: name → (mutate(book) → raw {file: bytes} overrides or None, expectations)
# --------------------------------------------------------------------------------------------

CASES: dict[str, tuple] = {}


def case(name: str, klass: str, summary: str, **expect):
    def register(mutate):
        CASES[name] = (mutate, {"class": klass, "summary": summary, **expect})
        return mutate
    return register


def _set(table: str, row: int, **changes):
    def mutate(book):
        book[table][row].update(changes)
    return mutate


def _raw(table: str, transform):
    """Override one file with bytes made from its canonical CSV text."""
    def mutate(book):
        return {f"{table}.csv": transform(csv_text(book[table]))}
    return mutate


A2_FAILS = {"validate_exit": 1, "prepare_exit": 3, "failed": ["A2"], "unaffected": ["A1", "A3"]}
BOOK_STOPS = {"validate_exit": 1, "prepare_exit": 1, "failed": [], "unaffected": []}
HARMLESS = {"validate_exit": 0, "prepare_exit": 0, "failed": [], "unaffected": ["A1", "A2", "A3"]}
WARNED = {"validate_exit": 0, "prepare_exit": 0, "failed": [], "unaffected": ["A1", "A2", "A3"]}

# ---- encodings -------------------------------------------------------------------------------
NAME_ACCENTED = "Harbor Trust Co FBO Zoë Müller-Núñez IRA"
for name, encoding, bom in (("latin1-accounts", "latin-1", b""), ("cp1252-accounts", "cp1252", b""),
                            ("utf16le-bom-accounts", "utf-16-le", codecs.BOM_UTF16_LE),
                            ("utf16be-bom-accounts", "utf-16-be", codecs.BOM_UTF16_BE),
                            ("utf16-no-bom-accounts", "utf-16-le", b""),
                            ("utf32-bom-accounts", "utf-32-le", codecs.BOM_UTF32_LE),
                            ("utf8-bom-crlf-accounts", "utf-8", codecs.BOM_UTF8)):
    legacy = encoding in ("latin-1", "cp1252")
    text_name = NAME_ACCENTED + (" – O’Brien" if encoding == "cp1252" else "")

    def mutate(book, encoding=encoding, bom=bom, text_name=text_name, crlf="crlf" in name):
        book["accounts"][1]["name"] = text_name
        text = csv_text(book["accounts"])
        if crlf:
            text = text.replace("\n", "\r\n")
        return {"accounts.csv": bom + text.encode(encoding)}

    case(name, "encoding", f"accounts.csv in {encoding}{' with BOM' if bom else ''}: read, names intact",
         **({**WARNED, "located": [["warning", "accounts.csv", None, None]], "says": ["was read as cp1252"]}
            if legacy else HARMLESS), name_of={"A2": text_name})(mutate)


@case("binary-ledger", "encoding", "ledger.csv holds binary data (an image)", **BOOK_STOPS,
      located=[["error", "ledger.csv", None, None]], says=["binary data"])
def _binary(book):
    return {"ledger.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4}


@case("xlsx-saved-as-csv", "encoding", "ledger.csv is really an .xlsx workbook", **BOOK_STOPS,
      located=[["error", "ledger.csv", None, None]], says=["Excel workbook saved under a .csv name"])
def _zip_as_csv(book):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return {"ledger.csv": buffer.getvalue()}


@case("nul-byte-in-cell", "encoding", "a NUL byte inside a ledger memo", **BOOK_STOPS,
      located=[["error", "ledger.csv", None, None]], says=["binary data"])
def _nul(book):
    return {"ledger.csv": csv_text(book["ledger"]).replace("rent", "re\x00nt", 1).encode()}


@case("latin1-byte-in-utf8-ledger", "encoding", "a UTF-8 ledger with one Latin-1 byte in a memo", **WARNED,
      located=[["warning", "ledger.csv", None, None]], says=["cp1252"])
def _mixed(book):
    return {"ledger.csv": csv_text(book["ledger"]).encode("utf-8").replace(b"rent\n", b"rent caf\xe9\n", 1)}


# ---- empty, header-only and ragged files ---------------------------------------------------------
@case("empty-accounts", "structure", "accounts.csv has 0 bytes", **BOOK_STOPS,
      located=[["error", "accounts.csv", 1, None]], says=["the file is empty"])
def _empty(book):
    return {"accounts.csv": b""}


@case("whitespace-only-ledger", "structure", "ledger.csv holds only blank lines and spaces", **BOOK_STOPS,
      located=[["error", "ledger.csv", 1, None]], says=["the file is empty"])
def _blank(book):
    return {"ledger.csv": b"  \n\n\t\r\n   \n"}


@case("empty-optional-payments", "structure", "payments.csv (optional) is empty: warned and ignored", **WARNED,
      located=[["warning", "payments.csv", 1, None]], says=["optional table"])
def _empty_optional(book):
    return {"payments.csv": b""}


@case("header-only-ledger", "structure", "ledger.csv has a header and no rows: nothing to report, no crash",
      validate_exit=0, prepare_exit=0, failed=[], unaffected=[])
def _header_only_ledger(book):
    book["ledger"] = []
    return {"ledger.csv": b"date,property_id,category,amount,loan_id,memo\n"}


@case("header-only-book", "structure", "every table has a header and no rows: a book of no accounts",
      validate_exit=0, prepare_exit=0, failed=[], unaffected=[])
def _header_only_book(book):
    return {f"{table}.csv": (",".join(book[table][0].keys()) + "\n").encode() for table in book}


@case("header-only-loans", "structure", "loans.csv has no rows: interest rows name loans that do not exist",
      validate_exit=1, prepare_exit=3, failed=["A1", "A2"], unaffected=[],
      located=[["error", "ledger.csv", 11, "loan_id"]])
def _header_only_loans(book):
    return {"loans.csv": (",".join(book["loans"][0].keys()) + "\n").encode()}


@case("ragged-extra-field", "structure", "a ledger row of A2 with an unquoted comma in its memo", **A2_FAILS,
      located=[["error", "ledger.csv", LEDGER_P2_FIRST, None]], says=["a comma inside a value must be quoted"])
def _ragged(book):
    book["ledger"][18]["memo"] = "rent, late"
    text = csv_text(book["ledger"]).replace('"rent, late"', "rent, late")
    return {"ledger.csv": text.encode()}


@case("ragged-extra-field-accounts", "structure", "A2's accounts row has one value too many", **A2_FAILS,
      located=[["error", "accounts.csv", 3, None]])
def _ragged_accounts(book):
    lines = csv_text(book["accounts"]).splitlines()
    lines[2] += ",surplus"
    return {"accounts.csv": ("\n".join(lines) + "\n").encode()}


@case("short-row", "structure", "a rent row without its trailing empty cells (loan_id, memo)", **HARMLESS)
def _short(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines[-1] = "2021-06-01,P3,rent,300.00"
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("unterminated-quote", "structure", "a quote opened in A2's ledger row and never closed", **BOOK_STOPS,
      located=[["error", "ledger.csv", LEDGER_P2_FIRST + 2, None]], says=["closing quote"])
def _quote(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines[LEDGER_P2_FIRST + 1] = lines[LEDGER_P2_FIRST + 1].replace(",rent", ',"rent', 1)
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("duplicate-header", "structure", "ledger.csv names the column amount twice", **BOOK_STOPS,
      located=[["error", "ledger.csv", 1, "amount"]], says=["'amount' is both column 4 and column 6"])
def _duplicate_header(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines[0] = lines[0].replace("memo", "amount")
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("blank-header-with-values", "structure", "a ledger column without a header but with values: warned",
      **WARNED, located=[["warning", "ledger.csv", None, "(column 7, no header)"]])
def _blank_header(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines = [lines[0] + ","] + [line + ",x" for line in lines[1:]]
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("trailing-comma-every-line", "structure", "Excel's trailing comma on every line (an empty column)",
      **HARMLESS)
def _trailing(book):
    return {"ledger.csv": "\n".join(line + "," for line in csv_text(book["ledger"]).splitlines()).encode() + b"\n"}


@case("blank-lines-keep-row-numbers", "structure", "blank lines in the ledger; a bad amount after them keeps its row",
      **A2_FAILS, located=[["error", "ledger.csv", LEDGER_P2_FIRST + 2, "amount"]])
def _blank_lines(book):
    book["ledger"][18]["amount"] = "12,OO"
    lines = csv_text(book["ledger"]).splitlines()
    lines[5:5] = ["", ",,,,,"]  # a blank line and an all-empty row before P2's rows
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("header-with-spaces", "structure", "headers padded with spaces (' amount ')", **HARMLESS)
def _header_spaces(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines[0] = ", ".join(lines[0].split(","))
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("header-wrong-case", "structure", "header 'Amount' instead of 'amount': the required column is missing",
      **BOOK_STOPS, located=[["error", "ledger.csv", None, "amount"], ["warning", "ledger.csv", None, "Amount"]])
def _header_case(book):
    lines = csv_text(book["ledger"]).splitlines()
    lines[0] = lines[0].replace("amount", "Amount")
    return {"ledger.csv": ("\n".join(lines) + "\n").encode()}


@case("cr-line-endings", "structure", "old Mac line endings (CR only)", **HARMLESS)
def _cr(book):
    return {"ledger.csv": csv_text(book["ledger"]).replace("\n", "\r").encode()}


@case("huge-memo", "structure", "a 200 KB memo in one ledger row", **HARMLESS)
def _huge_memo(book):
    book["ledger"][0]["memo"] = "x" * 200_000


# ---- dates --------------------------------------------------------------------------------------
for name, value, says in (("date-9999-12-31", "9999-12-31", "between 1900-01-01 and 2100-12-31"),
                          ("date-0001-01-01", "0001-01-01", "between 1900-01-01 and 2100-12-31"),
                          ("date-us-without-flag", "03/15/2021", "--date-format MDY"),
                          ("date-with-time", "2021-03-15 00:00:00", "YYYY-MM-DD"),
                          ("date-excel-serial", "44270", "YYYY-MM-DD"),
                          ("date-feb-29-2021", "2021-02-29", "YYYY-MM-DD")):
    case(name, "dates", f"a ledger date {value!r} in A2's rows", **A2_FAILS,
         located=[["error", "ledger.csv", LEDGER_P2_FIRST, "date"]], says=[says])(_set("ledger", 18, date=value))

case("date-us-with-mdy", "dates", "US dates everywhere, with --date-format MDY: accepted", **HARMLESS,
     options={"date_format": "MDY"})(
    lambda book: [record.update(date=f"{record['date'][5:7]}/{record['date'][8:10]}/{record['date'][:4]}")
                  for record in book["ledger"]] and None)
case("date-us-month-13-with-mdy", "dates", "13/01/2021 under --date-format MDY (month 13) is refused", **A2_FAILS,
     options={"date_format": "MDY"}, located=[["error", "ledger.csv", LEDGER_P2_FIRST, "date"]])(
    _set("ledger", 18, date="13/01/2021"))

# ---- amounts ------------------------------------------------------------------------------------
for name, value, says in (("amount-1e17", "100000000000000000", "at most $1,000,000,000,000.00"),
                          ("amount-20-digits", "12345678901234567890", "at most $1,000,000,000,000.00"),
                          ("amount-40-digits-formatted", "$" + ",".join(["999"] * 13) + ".00",
                           "at most $1,000,000,000,000.00"),
                          ("amount-just-over-bound", "1000000000000.01", "at most $1,000,000,000,000.00"),
                          ("amount-negative-huge", "(5,000,000,000,000.00)", "at most $1,000,000,000,000.00"),
                          ("amount-exponent", "1e5", "an amount"),
                          ("amount-nan", "NaN", "an amount"),
                          ("amount-infinity", "inf", "an amount"),
                          ("amount-unicode-minus", "\u221212.00", "an amount"),
                          ("amount-ssn-shaped", SSN, "an amount")):
    case(name, "amounts", f"ledger amount {value!r} in A2's rows", **A2_FAILS,
         located=[["error", "ledger.csv", LEDGER_P2_FIRST, "amount"]], says=[says],
         secrets=[SSN] if value == SSN else [])(_set("ledger", 18, amount=value))

case("amount-at-bound", "amounts", "a principal of exactly $1,000,000,000,000.00 is accepted",
     validate_exit=0, prepare_exit=0, failed=[], unaffected=["A1", "A3"])(_set("loans", 1, principal="1000000000000.00"))


@case("amount-total-overflow", "amounts", "two A2 rent rows of $600 billion: the property's total passes the bound",
      **A2_FAILS, located=[["error", "ledger.csv", LEDGER_P2_FIRST + 1, "amount"]], says=["passes the bound"])
def _total(book):
    book["ledger"][18]["amount"] = "600000000000.00"
    book["ledger"][19]["amount"] = "600000000000.00"


# ---- account ids that cannot be folder names ------------------------------------------------------
for name, new_id, says in (("account-id-300-bytes", "é" * 150, "300 bytes"),
                           ("account-id-slash", "A/2", "folder name"),
                           ("account-id-dotdot", "..", "only dots"),
                           ("account-id-ssn", SSN, "looks like a Social Security number"),
                           ("account-id-reserved-con", "CON", "reserved device name"),
                           ("account-id-trailing-dot", "A2.", "ends in a dot"),
                           ("account-id-250-ascii", "A" * 250, "250 bytes"),
                           ("account-id-backslash", "A\\2", "folder name")):
    case(name, "account ids", f"A2's account_id is {new_id[:20]!r}{'…' if len(new_id) > 20 else ''}",
         validate_exit=0, prepare_exit=3, failed=[new_id], unaffected=["A1", "A3"], prepare_says=[says],
         secrets=[SSN] if new_id == SSN else [])(lambda book, new_id=new_id: rename_account(book, "A2", new_id))

case("name-quotes-for-efile", "account ids", "A2's name holds double quotes, which a MeF name line cannot carry",
     validate_exit=0, prepare_exit=3, failed=["A2"], unaffected=["A1", "A3"], prepare_says=["efile", "name"])(
    lambda book: book["accounts"][1].__setitem__("name", "Harbor Trust Co FBO \u201cRed\u201d Smith IRA"))

case("account-id-with-space", "account ids", "an account_id with a space inside is a fine folder name",
     validate_exit=0, prepare_exit=0, failed=[], unaffected=["A1", "A3"])(
    lambda book: rename_account(book, "A2", "A 2"))

for name, new_id in (("account-id-formula-equals", "=1+2"), ("account-id-formula-plus", "+A2"),
                     ("account-id-formula-minus", "-A2"), ("account-id-formula-at", "@SUM(A1)")):
    case(name, "formula injection", f"A2's account_id is {new_id!r}: written to summary.csv as text",
         validate_exit=0, prepare_exit=0, failed=[], unaffected=["A1", "A3"], neutralized=[new_id])(
        lambda book, new_id=new_id: rename_account(book, "A2", new_id))

for name, new_name in (("name-formula-hyperlink", '=HYPERLINK("http://example.invalid","pay here")'),
                       ("name-formula-cmd", "=cmd|' /C calc'!A0"), ("name-formula-at", "@name"),
                       ("name-formula-plus", "+1+1")):
    # The name cannot be a MeF name line either (=, +, @, quotes): A2 is an efile exception, the run goes on.
    case(name, "formula injection", f"A2's name is {new_name[:24]!r}: written to summary.csv as text",
         validate_exit=0, prepare_exit=3, failed=["A2"], unaffected=["A1", "A3"], neutralized=[new_name],
         prepare_says=["efile"])(
        _set("accounts", 1, name=new_name))


@case("duplicate-account-id", "account ids", "A2 and A3 share one account_id: both set aside, A1 goes on",
      validate_exit=1, prepare_exit=3, failed=["A2"], unaffected=["A1"], located=[["error", "accounts.csv", 3, "account_id"],
                                                                            ["error", "accounts.csv", 4, "account_id"]])
def _duplicate_account(book):
    book["accounts"][2]["account_id"] = "A2"
    book["properties"][2]["account_id"] = "A2"


# ---- SSN-shaped values ------------------------------------------------------------------------
for name, value in (("ein-ssn-dashes", SSN), ("ein-ssn-spaces", "123 45 6789"), ("ein-ssn-dots", "123.45.6789"),
                    ("ein-ssn-embedded", "123-45-6789 (SSN)"), ("ein-ssn-bare", "123456789")):
    case(name, "ssn", f"A2's EIN is the owner's SSN spelled {value!r}: refused, never echoed", **A2_FAILS,
         located=[["error", "accounts.csv", 3, "ein"]], says=["***-**-6789"], secrets=[value, "123456789"])(
        _set("accounts", 1, ein=value))

for name, table, row, column, value in (
        ("ssn-in-memo", "ledger", 18, "memo", "owner SSN 123-45-6789 per phone call"),
        ("ssn-in-description", "properties", 1, "description", "14 Elm St (owner 123 45 6789)"),
        ("ssn-in-name", "accounts", 1, "name", "Raj Patel 123.45.6789 Roth IRA"),
        ("ssn-in-property-id", "properties", 1, "property_id", "123456789"),
        ("ssn-in-loan-id", "loans", 1, "loan_id", "123-45-6789")):
    def mutate(book, table=table, row=row, column=column, value=value):
        old = book[table][row][column]
        book[table][row][column] = value
        if column in ("property_id", "loan_id"):  # keep the references
            for other in ("loans", "ledger"):
                for record in book[other]:
                    if record.get(column) == old:
                        record[column] = value
    file_row = row + 2
    # A description that is not "street, city, ST ZIP" cannot be the MeF address of Part V line 1.
    outcome = ({**WARNED, "prepare_exit": 3, "failed": ["A2"], "unaffected": ["A1", "A3"], "prepare_says": ["efile"]}
               if name == "ssn-in-description" else WARNED)
    case(name, "ssn", f"an SSN-shaped value in {table}.{column}: warned, masked in every report", **outcome,
         located=[["warning", f"{table}.csv", file_row, column]], says=["looks like a Social Security number"],
         secrets=["123-45-6789", "123 45 6789", "123.45.6789", "123456789"])(mutate)

case("ssn-as-unknown-account-reference", "ssn", "a property names account '123-45-6789' (unknown): masked",
     validate_exit=1, prepare_exit=3, failed=[], unaffected=["A1", "A3"],
     located=[["error", "properties.csv", 3, "account_id"]], secrets=[SSN])(_set("properties", 1, account_id=SSN))


# ---- references that used to crash `check` -----------------------------------------------------------
case("duplicate-loan-id-across-accounts", "references", "A1's and A2's loans share one loan_id",
     validate_exit=1, prepare_exit=3, failed=["A1", "A2"], unaffected=["A3"],
     located=[["error", "loans.csv", 2, "loan_id"], ["error", "loans.csv", 3, "loan_id"]])(
    lambda book: [record.update(loan_id="L1") for record in book["loans"][1:2]]
    and [record.update(loan_id="L1") for record in book["ledger"] if record["loan_id"] == "L2"] and None)
case("property-of-unknown-account", "references", "P2 belongs to account A9, which does not exist",
     validate_exit=1, prepare_exit=3, failed=[], unaffected=["A1", "A3"],
     located=[["error", "properties.csv", 3, "account_id"]])(_set("properties", 1, account_id="A9"))
case("missing-ein", "references", "A2 has no EIN", **A2_FAILS, located=[["error", "accounts.csv", 3, "ein"]])(
    _set("accounts", 1, ein=""))
case("every-account-invalid", "references", "every account has an error: nothing to compute, no crash",
     validate_exit=1, prepare_exit=3, failed=["A1", "A2", "A3"], unaffected=[])(
    lambda book: [record.update(ein="") for record in book["accounts"]] and None)


@case("ein-column-missing", "references", "accounts.csv has no ein column", **BOOK_STOPS,
      located=[["error", "accounts.csv", None, "ein"]])
def _no_ein_column(book):
    for record in book["accounts"]:
        record.pop("ein")


# ---- workbooks ----------------------------------------------------------------------------------
def _workbook(book: dict, sheet_names: dict | None = None, tweak=None) -> bytes:
    import openpyxl  # noqa: PLC0415

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for table, records in book.items():
        sheet = workbook.create_sheet((sheet_names or {}).get(table, table))
        columns = list(records[0].keys())
        sheet.append(columns)
        for record in records:
            sheet.append([record[column] for column in columns])
    if tweak:
        tweak(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_case(name: str, klass: str, summary: str, **expect):
    def register(make):
        CASES[name] = (lambda book: {"book.xlsx": make(book)}, {"class": klass, "summary": summary, "book": "book.xlsx",
                                                                 **expect})
        return make
    return register


@xlsx_case("xlsx-plain", "workbook", "the base book as a workbook", **HARMLESS)
def _xlsx_plain(book):
    return _workbook(book)


@xlsx_case("xlsx-cell-at-XFD1048576", "workbook", "one stray cell at XFD1048576 (a 5 KB file declaring 17 billion cells)",
           **BOOK_STOPS, says=["XFD1048576", "refused"])
def _bomb(book):
    return _workbook(book, tweak=lambda workbook: workbook["ledger"].cell(row=1048576, column=16384, value=1))


@xlsx_case("xlsx-sheet-names-any-case", "workbook", "sheets named Ledger, ACCOUNTS …: matched ignoring case; "
           "messages name the sheet as book.xlsx[Ledger]", validate_exit=1, prepare_exit=3, failed=["A2"],
           unaffected=["A1", "A3"], located=[["error", "book.xlsx[Ledger]", LEDGER_P2_FIRST, "amount"]],
           says=["book.xlsx[Ledger]"])
def _sheet_case(book):
    book = copy.deepcopy(book)
    book["ledger"][18]["amount"] = "abc"
    return _workbook(book, {table: table.upper() if table == "accounts" else table.capitalize() for table in book})


@xlsx_case("xlsx-duplicate-sheet-names", "workbook", "sheets 'ledger' and 'Ledger' in one workbook", **BOOK_STOPS,
           says=["one sheet named ledger"])
def _duplicate_sheets(book):
    def tweak(workbook):
        copy_sheet = workbook.create_sheet("Other")
        copy_sheet.append(["date"])
    # openpyxl refuses names equal but for case; Excel files from elsewhere can have them
    return _rename_sheet(_workbook(book, tweak=tweak), "Other", "Ledger")


def _rename_sheet(data: bytes, old: str, new: str) -> bytes:
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "xl/workbook.xml":
                content = content.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
            archive.writestr(member, content)
    return target.getvalue()


@xlsx_case("xlsx-duplicate-header", "workbook", "a workbook whose ledger sheet names amount twice", **BOOK_STOPS,
           says=["'amount' is both column 4 and column 6"])
def _xlsx_duplicate_header(book):
    return _workbook(book, tweak=lambda workbook: workbook["ledger"].cell(row=1, column=6, value="amount"))


@xlsx_case("xlsx-empty-sheet", "workbook", "the accounts sheet is empty", **BOOK_STOPS, says=["a header row"])
def _xlsx_empty(book):
    def tweak(workbook):
        workbook.remove(workbook["accounts"])
        workbook.create_sheet("accounts", 0)
    return _workbook(book, tweak=tweak)


@xlsx_case("xlsx-values-without-header", "workbook", "values in a column with no header: warned, ignored", **WARNED,
           says=["without a header"])
def _xlsx_stray(book):
    return _workbook(book, tweak=lambda workbook: workbook["ledger"].cell(row=5, column=9, value="stray"))


@xlsx_case("xlsx-not-a-zip", "workbook", "a text file named book.xlsx", validate_exit=2, prepare_exit=2, failed=[],
           unaffected=[], says=["not an .xlsx workbook"])
def _not_zip(book):
    return csv_text(book["accounts"]).encode()


@xlsx_case("xlsx-truncated", "workbook", "a workbook cut off half-way (an interrupted download)", validate_exit=2,
           prepare_exit=2, failed=[], unaffected=[], says=["book.xlsx"])
def _truncated(book):
    data = _workbook(book)
    return data[: len(data) // 2]


@xlsx_case("xlsx-old-xls", "workbook", "an Excel 97-2003 file named .xlsx", validate_exit=2, prepare_exit=2,
           failed=[], unaffected=[], says=["97–2003"])
def _old_xls(book):
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "Workbook".encode("utf-16-le") + b"\x00" * 1024


ENCRYPTED = OUT / "xlsx-encrypted" / "book.xlsx"


@xlsx_case("xlsx-encrypted", "workbook", "a password-protected workbook (made with msoffcrypto-tool)",
           validate_exit=2, prepare_exit=2, failed=[], unaffected=[], says=["encrypted (password-protected)"])
def _encrypted(book):
    try:
        from msoffcrypto.format.ooxml import OOXMLFile  # noqa: PLC0415
    except ImportError:
        return KEEP
    source = io.BytesIO(_workbook(book))
    target = io.BytesIO()
    OOXMLFile(source).encrypt("secret", target)
    return target.getvalue()


KEEP = object()


# ---- files and folders named like tables ---------------------------------------------------------
@case("table-is-a-folder", "files", "ledger.csv is a folder", **BOOK_STOPS, located=[["error", "ledger.csv", None, None]],
      says=["not a folder"])
def _folder(book):
    return {"ledger.csv": FOLDER}


FOLDER = object()


def write(book: dict, folder: Path, raw: dict | None) -> None:
    folder.mkdir(parents=True)
    raw = raw or {}
    for table, records in book.items():
        name = f"{table}.csv"
        if name not in raw:
            (folder / name).write_text(csv_text(records), encoding="utf-8")
    for name, data in raw.items():
        if data is FOLDER:
            (folder / name).mkdir()
            (folder / name / "x.csv").write_text("x\n")
        else:
            (folder / name).write_bytes(data)


def main() -> None:
    kept = ENCRYPTED.read_bytes() if ENCRYPTED.exists() else None
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    write(copy.deepcopy(BASE), OUT / "_base" / "book", None)
    for name, (mutate, expect) in CASES.items():
        book = copy.deepcopy(BASE)
        raw = mutate(book)
        target = OUT / name
        expect = {"book": "book", "options": {}, "located": [], "says": [], "prepare_says": [], "secrets": [],
                  "neutralized": [], "name_of": {}, **expect}
        if expect["book"] == "book.xlsx":
            target.mkdir(parents=True)
            data = raw["book.xlsx"]
            if data is KEEP:
                if kept is None:
                    raise SystemExit("xlsx-encrypted: install msoffcrypto-tool to make it once")
                data = kept
            (target / "book.xlsx").write_bytes(data)
        else:
            write(book, target / "book", raw)
        (target / "case.json").write_text(json.dumps(expect, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} hostile books under {OUT}")


if __name__ == "__main__":
    main()
