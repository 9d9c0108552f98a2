#!/usr/bin/env python3
"""Write fixtures/imports/<vendor>/: one book (accounts, properties, loans) per export layout, with the
vendor's general-ledger export of the same year of transactions and the lender's figures.

The exports follow the layouts the vendors document for their general-ledger reports (written here
by hand, no vendor data):

* quickbooks-desktop/gl.csv — QuickBooks Desktop "General Ledger" exported to CSV: account headings in
  the unnamed first column (sub-accounts nested, each closed by "Total …"), Type, Date, Num, Adj,
  Name, Memo, Split, Debit, Credit, Balance. Mortgage payments are split transactions.
* quickbooks-online/gl.csv — QuickBooks Online "General Ledger" exported to CSV: a title block, then
  headings in the unnamed first column, "Beginning Balance" lines, "Total for …" (and "… with
  sub-accounts"), one signed Amount column (each account's increase positive), TOTAL and a footer.
  Mortgage payments are lumped into one account per loan: split with lender-schedule.csv.
* appfolio/gl.csv — AppFolio-style "General Ledger": a title block, GL account headings ("4100 - Rent
  Income"), the property in its own column, Debit/Credit. Mortgage payments (with escrow) are lumped
  per property: split with lender-statement.csv (year-end figures); property names mapped by
  property-map.csv.
* buildium/gl.xlsx — Buildium-style "General ledger" workbook: a title block, the account and the
  property on every row (the property as the book describes it), dates as Excel dates, one signed
  Amount column (debits positive).

Run from the repository root:  .venv/bin/python scripts/make_import_fixtures.py
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
YEAR = 2022


@dataclass(frozen=True)
class Prop:
    property_id: str
    description: str
    street: str
    pm_name: str  # the property manager's name for it (AppFolio)
    acquired: dt.date
    cost: int  # cents
    land: int
    rent: int
    loan_id: str
    principal: int
    rate_bp: int  # annual rate in basis points
    first_payment: dt.date


PROPS = (
    Prop("P-MAPLE", "412 Maple Ct, Tacoma, WA 98406", "412 Maple Ct", "Maple Court", dt.date(2022, 1, 10),
         24000000, 5000000, 195000, "L-MAPLE", 15000000, 450, dt.date(2022, 2, 1)),
    Prop("P-BIRCH", "88 Birch Ln, Lakewood, WA 98499", "88 Birch Ln", "Birch Lane Duplex", dt.date(2022, 2, 15),
         18000000, 4000000, 160000, "L-BIRCH", 10000000, 500, dt.date(2022, 4, 1)),
)
ESCROW = 25000  # AppFolio owner pays taxes and insurance through the lender's escrow: $250.00 a month


def m(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


def plain(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def level_payment(principal: int, rate_bp: int, months: int = 360) -> int:
    """Standard level payment in cents, P·r / (1 − (1 + r)^−n), with r = rate / 12 (exact fractions)."""
    from fractions import Fraction

    r = Fraction(rate_bp, 10000 * 12)
    payment = Fraction(principal) * r / (1 - (1 + r) ** -months)
    return round_half_up(payment.numerator, payment.denominator)


def schedule(prop: Prop, count: int) -> list[tuple[dt.date, int, int, int]]:
    """(date, interest, principal, balance after) per payment; interest = balance × r, rounded half-up."""
    payment = level_payment(prop.principal, prop.rate_bp)
    balance, day, lines = prop.principal, prop.first_payment, []
    for _ in range(count):
        interest = round_half_up(balance * prop.rate_bp, 10000 * 12)
        principal = payment - interest
        balance -= principal
        lines.append((day, interest, principal, balance))
        day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return lines


@dataclass(frozen=True)
class Event:
    day: dt.date
    kind: str  # rent, late_fee, management, utilities, repairs, refund, insurance, taxes, hoa, improvement,
    #            deposit (security deposit received), mortgage
    prop: Prop
    amount: int  # cents, positive
    payee: str
    memo: str
    ref: str = ""
    interest: int = 0
    principal: int = 0


def events() -> list[Event]:
    out: list[Event] = []
    check = 1000
    for prop in PROPS:
        tenant = "Tenant - J. Ortiz" if prop.property_id == "P-MAPLE" else "Tenant - L. Nguyen"
        first_rent = dt.date(2022, prop.acquired.month + 1, 1)
        out.append(Event(first_rent - dt.timedelta(days=3), "deposit", prop, prop.rent, tenant, "Security deposit"))
        month = first_rent
        while month.year == YEAR:
            out.append(Event(month + dt.timedelta(days=2), "rent", prop, prop.rent, tenant,
                             f"Rent {month:%b %Y} {prop.street}"))
            out.append(Event(month + dt.timedelta(days=9), "management", prop, prop.rent * 8 // 100,
                             "Cascade Property Mgmt", "Management fee 8%"))
            month = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
        for day, amount in ((dt.date(2022, 5, 20), 14518), (dt.date(2022, 8, 19), 16202), (dt.date(2022, 11, 18), 13977)):
            out.append(Event(day, "utilities", prop, amount + (1100 if prop.property_id == "P-BIRCH" else 0),
                             "City of Tacoma Utilities", "Water/sewer"))
        out.append(Event(dt.date(2022, 6, 7), "repairs", prop, 42500 if prop.property_id == "P-MAPLE" else 18750,
                         "Sound Plumbing", "Water heater repair" if prop.property_id == "P-MAPLE" else "Faucet"))
        out.append(Event(dt.date(2022, 6, 21), "refund", prop, 5000, "Sound Plumbing", "Warranty refund"))
        out.append(Event(prop.acquired + dt.timedelta(days=5), "insurance", prop,
                         128800 if prop.property_id == "P-MAPLE" else 98450, "Coastline Insurance", "Landlord policy"))
        out.append(Event(dt.date(2022, 10, 28), "taxes", prop, 193427 if prop.property_id == "P-MAPLE" else 151260,
                         "Pierce County Treasurer", "2nd half property tax"))
        out.append(Event(dt.date(2022, 12, 1), "hoa", prop, 30000 if prop.property_id == "P-MAPLE" else 24000,
                         "Maple Ct HOA" if prop.property_id == "P-MAPLE" else "Birch Ln HOA", "Annual dues"))
        out.append(Event(dt.date(2022, 12, 10), "late_fee", prop, 5000, tenant, "Late fee"))
        if prop.property_id == "P-MAPLE":
            out.append(Event(dt.date(2022, 9, 9), "improvement", prop, 740000, "Evergreen Roofing", "New roof"))
        for day, interest, principal, _ in schedule(prop, 12):
            if day.year == YEAR:
                out.append(Event(day, "mortgage", prop, interest + principal, "Granite Savings Bank",
                                 f"Mortgage payment {prop.loan_id}", interest=interest, principal=principal))
    out.sort(key=lambda e: (e.day, e.prop.property_id, e.kind))
    numbered = []
    for event in out:
        if event.kind not in ("rent", "deposit", "late_fee", "refund"):
            check += 1
            event = Event(**{**event.__dict__, "ref": str(check)})
        numbered.append(event)
    return numbered


def write_csv(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def write_book(folder: Path) -> None:
    write_csv(folder / "accounts.csv", [
        ["account_id", "name", "ein", "account_type", "street", "city", "state", "zip", "books_in_care_of", "phone"],
        ["IRA-HALE", "Summit Bay Trust Co FBO Rosa M. Hale IRA", "27-5530194", "traditional_ira",
         "500 Harbor Blvd Ste 210", "Tacoma", "WA", "98402", "Summit Bay Trust Co", "253-555-0119"]])
    write_csv(folder / "properties.csv", [
        ["property_id", "account_id", "description", "property_type", "acquired_on", "cost_basis", "land_value",
         "placed_in_service_on", "recovery", "disposed_on", "amount_realized"]]
        + [[p.property_id, "IRA-HALE", p.description, "residential_rental", p.acquired.isoformat(), plain(p.cost),
            plain(p.land), p.acquired.isoformat(), "ads", "", ""] for p in PROPS])
    write_csv(folder / "loans.csv", [
        ["loan_id", "property_id", "originated_on", "principal", "purpose", "refinances", "recourse",
         "lender_is_disqualified_person"]]
        + [[p.loan_id, p.property_id, p.acquired.isoformat(), plain(p.principal), "acquisition", "", "false", "false"]
           for p in PROPS])


# --- QuickBooks (Desktop and Online) --------------------------------------------------------------

QB_ACCOUNTS = {  # kind → (parent account, sub-account by property) ; None: one account for all
    "rent": ("Rental Income", True), "late_fee": ("Other Income", True), "management": ("Property Management", True),
    "utilities": ("Utilities", True), "repairs": ("Repairs and Maintenance", True),
    "refund": ("Repairs and Maintenance", True), "insurance": ("Insurance", True), "taxes": ("Property Taxes", True),
    "hoa": ("HOA Dues", True), "improvement": ("Building Improvements", True),
    "deposit": ("Security Deposits Held", False),
}
QB_TYPES = {"rent": "Deposit", "late_fee": "Deposit", "deposit": "Deposit", "refund": "Deposit"}
CREDIT_NORMAL_KINDS = {"rent", "late_fee", "deposit"}


def qb_lines(online: bool) -> dict[str, list[tuple[Event, str, int, str]]]:
    """Per account: (event, split account, debit − credit in cents, account normal side) lines."""
    accounts: dict[str, list[tuple[Event, str, int]]] = {}

    def add(account: str, event: Event, split: str, debit_minus_credit: int) -> None:
        accounts.setdefault(account, []).append((event, split, debit_minus_credit))

    for event in events():
        bank = "Checking"
        if event.kind == "mortgage":
            if online:
                lumped = f"Mortgage Payments:{event.prop.loan_id}"
                add(lumped, event, bank, event.amount)
                add(bank, event, lumped, -event.amount)
            else:
                interest = f"6200 · Mortgage Interest:{event.prop.loan_id}"
                note = f"2500 · Notes Payable:{event.prop.loan_id}"
                add(interest, event, bank, event.interest)
                add(note, event, bank, event.principal)
                add(bank, event, "-SPLIT-", -event.amount)
            continue
        parent, per_property = QB_ACCOUNTS[event.kind]
        if not online:
            parent = {"Rental Income": "4000 · Rental Income", "Other Income": "4100 · Other Income",
                      "Property Management": "6400 · Property Management", "Utilities": "6600 · Utilities",
                      "Repairs and Maintenance": "6500 · Repairs and Maintenance", "Insurance": "6100 · Insurance",
                      "Property Taxes": "6300 · Property Taxes", "HOA Dues": "6700 · HOA Dues",
                      "Building Improvements": "1500 · Building Improvements",
                      "Security Deposits Held": "2200 · Security Deposits Held"}[parent]
        account = f"{parent}:{event.prop.street}" if per_property else parent
        income_side = event.kind in CREDIT_NORMAL_KINDS or event.kind == "refund"
        into_bank = event.amount if income_side else -event.amount
        add(account, event, bank, -into_bank)
        add(bank, event, account, into_bank)
    return accounts


def _tree(accounts: dict) -> list[tuple[str, list[str]]]:
    """Parents in chart order with their sub-accounts."""
    order = ["Checking"] + sorted(a for a in accounts if a != "Checking")
    tree: dict[str, list[str]] = {}
    for account in order:
        parent, _, child = account.partition(":")
        tree.setdefault(parent, [])
        if child:
            tree[parent].append(child)
    return list(tree.items())


def quickbooks_desktop(folder: Path) -> None:
    accounts = qb_lines(online=False)
    header = ["", "Type", "Date", "Num", "Adj", "Name", "Memo", "Split", "Debit", "Credit", "Balance"]
    rows = [header]

    def section(name: str, lines) -> None:
        rows.append([name] + [""] * 10)
        balance = 0
        debits = credits = 0
        for event, split, amount in sorted(lines, key=lambda item: (item[0].day, item[0].ref)):
            balance += amount
            debits += max(amount, 0)
            credits += max(-amount, 0)
            rows.append(["", QB_TYPES.get(event.kind, "Check"), f"{event.day:%m/%d/%Y}", event.ref, "", event.payee,
                         event.memo, split, m(amount) if amount > 0 else "", m(-amount) if amount < 0 else "", m(balance)])
        rows.append([f"Total {name}"] + [""] * 7 + [m(debits), m(credits), m(balance)])

    for parent, children in _tree(accounts):
        if not children:
            section(parent, accounts[parent])
            continue
        rows.append([parent] + [""] * 10)
        for child in children:
            section(child, accounts[f"{parent}:{child}"])
        rows.append([f"Total {parent}"] + [""] * 10)
    rows.append(["TOTAL"] + [""] * 10)
    write_csv(folder / "gl.csv", rows)


def quickbooks_online(folder: Path) -> None:
    accounts = qb_lines(online=True)
    width = 9
    rows = [["General Ledger"] + [""] * (width - 1), ["Summit Bay Trust Co FBO Rosa M. Hale IRA"] + [""] * (width - 1),
            ["January - December 2022"] + [""] * (width - 1), [""] * width,
            ["", "Date", "Transaction Type", "Num", "Name", "Memo/Description", "Split", "Amount", "Balance"]]

    def natural(account: str, amount: int) -> int:
        # QuickBooks Online shows each line as the change of its account's own balance.
        credit_normal = account.startswith(("Rental Income", "Other Income", "Security Deposits Held"))
        return -amount if credit_normal else amount

    def section(name: str, full: str, lines) -> int:
        rows.append([name] + [""] * (width - 1))
        rows.append(["", "Beginning Balance"] + [""] * 6 + ["0.00"])
        balance = 0
        for event, split, amount in sorted(lines, key=lambda item: (item[0].day, item[0].ref)):
            shown = natural(full, amount)
            balance += shown
            rows.append(["", f"{event.day:%m/%d/%Y}", QB_TYPES.get(event.kind, "Check"), event.ref, event.payee,
                         event.memo, split, m(shown), m(balance)])
        rows.append([f"Total for {name}"] + [""] * 6 + [f"${m(balance)}", ""])
        return balance

    for parent, children in _tree(accounts):
        if not children:
            section(parent, parent, accounts[parent])
            continue
        rows.append([parent] + [""] * (width - 1))
        total = sum(section(child, f"{parent}:{child}", accounts[f"{parent}:{child}"]) for child in children)
        rows.append([f"Total for {parent} with sub-accounts"] + [""] * 6 + [f"${m(total)}", ""])
    rows.append(["TOTAL"] + [""] * (width - 1))
    rows.append([""] * width)
    rows.append(["Cash Basis Tuesday, January 10, 2023 09:15 AM GMT-08:00"] + [""] * (width - 1))
    write_csv(folder / "gl.csv", rows)
    lines = [["loan_id", "date", "interest", "principal", "escrow", "balance"]]
    for prop in PROPS:
        for day, interest, principal, balance in schedule(prop, 13):  # runs into 2023, as a lender's schedule does
            lines.append([prop.loan_id, day.isoformat(), plain(interest), plain(principal), "0.00", plain(balance)])
    write_csv(folder / "lender-schedule.csv", lines)


# --- AppFolio -------------------------------------------------------------------------------------

AF_ACCOUNTS = {"rent": "4100 - Rent Income", "late_fee": "4400 - Late Fee Income", "management": "6100 - Management Fees",
               "utilities": "6450 - Water & Sewer", "repairs": "6200 - Repairs", "refund": "6200 - Repairs",
               "insurance": "6300 - Insurance", "taxes": "6350 - Property Tax", "hoa": "6500 - HOA Dues",
               "improvement": "1700 - Capital Improvements", "deposit": "2200 - Security Deposits Held",
               "mortgage": "6900 - Mortgage Payment"}


def appfolio(folder: Path) -> None:
    lines: dict[str, list[tuple[Event, int]]] = {}
    for event in events():
        if event.kind in ("insurance", "taxes"):
            continue  # paid by the lender from escrow; the lender's statement lists them
        amount = event.amount + (ESCROW if event.kind == "mortgage" else 0)
        debit = -amount if event.kind in ("rent", "late_fee", "deposit", "refund") else amount
        lines.setdefault(AF_ACCOUNTS[event.kind], []).append((event, debit))
        lines.setdefault("1150 - Operating Cash", []).append((event, -debit))
    width = 10
    rows = [["General Ledger"] + [""] * (width - 1), ["Properties: All Properties"] + [""] * (width - 1),
            ["Accounting Basis: Cash"] + [""] * (width - 1), ["Date Range: 01/01/2022 to 12/31/2022"] + [""] * (width - 1),
            [""] * width,
            ["", "Property", "Date", "Payee / Payer", "Type", "Reference", "Debit", "Credit", "Balance", "Description"]]
    for account in sorted(lines):
        rows.append([account] + [""] * (width - 1))
        balance = 0
        for event, debit in sorted(lines[account], key=lambda item: (item[0].day, item[0].prop.property_id)):
            balance += debit
            kind = "Receipt" if debit < 0 and account != "1150 - Operating Cash" else "Payment"
            rows.append(["", f"{event.prop.pm_name} - {event.prop.street} Tacoma, WA", f"{event.day:%m/%d/%Y}",
                         event.payee, kind, event.ref, m(debit) if debit > 0 else "", m(-debit) if debit < 0 else "",
                         m(balance), event.memo])
        rows.append([f"Total {account}"] + [""] * 5 + [m(sum(d for _, d in lines[account] if d > 0)),
                                                      m(-sum(d for _, d in lines[account] if d < 0)), m(balance), ""])
    write_csv(folder / "gl.csv", rows)
    write_csv(folder / "property-map.csv", [["source_property", "property_id"]]
              + [[f"{p.pm_name} - {p.street} Tacoma, WA", p.property_id] for p in PROPS])
    statement = [["loan_id", "tax_year", "interest_paid", "principal_start", "principal_end", "escrow_paid"]]
    for prop in PROPS:
        paid = [line for line in schedule(prop, 12) if line[0].year == YEAR]
        statement.append([prop.loan_id, str(YEAR), plain(sum(i for _, i, _, _ in paid)), plain(prop.principal),
                          plain(paid[-1][3]), plain(ESCROW * len(paid))])
    write_csv(folder / "lender-statement.csv", statement)


# --- Buildium -------------------------------------------------------------------------------------

BD_ACCOUNTS = {"rent": "Rent Income", "late_fee": "Late Fee Income", "management": "Management Fees",
               "utilities": "Utilities", "repairs": "Repairs", "refund": "Repairs", "insurance": "Insurance",
               "taxes": "Property Taxes", "hoa": "HOA Dues", "improvement": "Capital Improvements",
               "deposit": "Security Deposit Liability"}


def buildium(folder: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "General Ledger"
    sheet.append(["Summit Bay Property Services"])
    sheet.append(["General ledger"])
    sheet.append(["Date range: 1/1/2022 - 12/31/2022 | Accounting basis: Cash"])
    sheet.append([])
    sheet.append(["Date", "Account", "Account number", "Property", "Unit", "Payee / Payer", "Type", "Reference",
                  "Description", "Amount"])
    numbers = {"Rent Income": 4000, "Late Fee Income": 4100, "Management Fees": 6100, "Utilities": 6450,
               "Repairs": 6200, "Insurance": 6300, "Property Taxes": 6350, "HOA Dues": 6500,
               "Capital Improvements": 1700, "Security Deposit Liability": 2200, "Mortgage Interest": 6800,
               "Mortgage Principal": 2600, "Operating Bank": 1000}
    for event in events():
        debit_positive: list[tuple[str, int]] = []
        if event.kind == "mortgage":
            debit_positive = [("Mortgage Interest", event.interest), ("Mortgage Principal", event.principal)]
        else:
            sign = -1 if event.kind in ("rent", "late_fee", "deposit", "refund") else 1
            debit_positive = [(BD_ACCOUNTS[event.kind], sign * event.amount)]
        for account, cents in debit_positive + [("Operating Bank", -sum(c for _, c in debit_positive))]:
            sheet.append([dt.datetime(event.day.year, event.day.month, event.day.day), account, numbers[account],
                          event.prop.description, "", event.payee, "Bill" if cents > 0 else "Receipt", event.ref,
                          event.memo, cents / 100])
    for row in sheet.iter_rows(min_row=6):
        row[0].number_format = "m/d/yyyy"
        row[9].number_format = "#,##0.00"
    workbook.properties.created = workbook.properties.modified = dt.datetime(2023, 1, 10, 9, 15)
    workbook.save(folder / "gl.xlsx")


def main() -> None:
    makers = {"quickbooks-desktop": quickbooks_desktop, "quickbooks-online": quickbooks_online,
              "appfolio": appfolio, "buildium": buildium}
    for vendor, make in makers.items():
        folder = OUT / vendor
        folder.mkdir(parents=True, exist_ok=True)
        write_book(folder)
        make(folder)
        print(f"wrote {folder}")


if __name__ == "__main__":
    main()
