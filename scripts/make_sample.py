#!/usr/bin/env python3
"""Generate the sample book `fixtures/sample/` (deterministic; no randomness).

    .venv/bin/python scripts/make_sample.py [OUT_DIR]     # default: fixtures/sample

The book is small but exercises every feature the pipeline handles:

* ``IRA-CHEN`` (traditional IRA)
  - ``P-MAPLE``: a mid-year acquisition (closed 2020-07-10) with a 30-year amortizing non-recourse
    loan ``L-MAPLE-1`` (per-diem interest prepaid at closing, first payment 2020-09-01); refinanced
    on 2021-09-15 by ``L-MAPLE-2`` with cash out (new principal > old balance); the old loan is paid
    off by a principal row on that date. A capital improvement (new roof) in 2022.
  - ``P-COMMERCE``: an office condo sold on 2023-06-30; its loan is paid off at the sale.
* ``ROTH-OKAFOR`` (Roth IRA)
  - ``P-LOT``: a small land parcel under a ground lease; gross rent stays below $1,000 a year until
    2023, and in 2020 it is the account's only property (account below the filing threshold).
  - ``P-ELM``: a fourplex bought in 2021 needing large repairs — a loss in its first year (NOL).
* ``S401K-OKAFOR`` (Solo 401(k)) — ``P-BIRCH`` financed by an unrelated bank, non-recourse, so the
  §514(c)(9) real-property exception applies.

Amortization is exact: monthly interest = balance × annual rate / 12 rounded half-up to the cent,
computed with ``Decimal``; the payment is the standard level payment rounded to the cent.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

CENT = Decimal("0.01")
FIRST_YEAR, LAST_YEAR = 2020, 2023
END = date(LAST_YEAR, 12, 31)


def q(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def D(text: str) -> Decimal:
    return Decimal(text)


def add_months(d: date, n: int, day: int | None = None) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, day if day is not None else d.day)


def month_starts(first: date, last: date):
    """First-of-month dates from the month of `first` (if first is the 1st) through `last`."""
    d = first if first.day == 1 else add_months(first, 1, 1)
    while d <= last:
        yield d
        d = add_months(d, 1, 1)


@dataclass
class Loan:
    loan_id: str
    property_id: str
    originated_on: date
    principal: Decimal
    annual_rate: Decimal  # e.g. 0.0425
    years: int
    lender: str
    purpose: str = "acquisition"
    refinances: str = ""
    balance: Decimal = field(init=False)

    def __post_init__(self) -> None:
        self.balance = self.principal

    @property
    def monthly_rate(self) -> Decimal:
        return self.annual_rate / 12

    @property
    def payment(self) -> Decimal:
        r, n = self.monthly_rate, self.years * 12
        return q(self.principal * r / (1 - (1 + r) ** -n))


class Book:
    def __init__(self) -> None:
        self.ledger: list[tuple[date, str, str, Decimal, str, str]] = []
        self.statements: list[tuple[str, date, Decimal]] = []

    def add(self, d: date, pid: str, cat: str, amount: Decimal, loan: str = "", memo: str = "") -> None:
        assert amount != 0, (d, pid, cat)
        self.ledger.append((d, pid, cat, q(amount), loan, memo))

    def per_diem(self, loan: Loan, d: date, days: int, memo: str) -> None:
        """Interest for `days` days at loan.annual_rate / 365 on the current balance."""
        self.add(d, loan.property_id, "interest", q(loan.balance * loan.annual_rate * days / 365), loan.loan_id, memo)

    def amortize(self, loan: Loan, first_payment: date, last_date: date) -> None:
        """Monthly payments from `first_payment` while their date is ≤ last_date."""
        pay = loan.payment
        d = first_payment
        while d <= last_date and loan.balance > 0:
            interest = q(loan.balance * loan.monthly_rate)
            principal = min(pay - interest, loan.balance)
            self.add(d, loan.property_id, "interest", interest, loan.loan_id, f"{loan.lender} payment")
            self.add(d, loan.property_id, "principal", principal, loan.loan_id, f"{loan.lender} payment")
            loan.balance -= principal
            # A statement at the start of each January (after the December payment).
            if d.month == 12:
                self.statements.append((loan.loan_id, date(d.year + 1, 1, 1), loan.balance))
            d = add_months(d, 1, 1)

    def payoff(self, loan: Loan, d: date, memo: str) -> None:
        self.add(d, loan.property_id, "principal", loan.balance, loan.loan_id, memo)
        loan.balance = Decimal(0)


def rent_rows(book: Book, pid: str, first: date, last: date, schedule: dict[int, Decimal], memo: str, mgmt_pct: Decimal | None = None) -> None:
    for d in month_starts(first, last):
        rent = schedule[d.year]
        book.add(d, pid, "rent", rent, memo=memo)
        if mgmt_pct is not None:
            book.add(add_months(d, 0, 10), pid, "management", q(rent * mgmt_pct), memo="Property management fee")


def build() -> tuple[list[dict], list[dict], list[Loan], Book, list[dict]]:
    accounts = [
        dict(account_id="IRA-CHEN", name="Pinecrest Trust Company FBO Margaret L. Chen IRA", ein="46-2817390",
             account_type="traditional_ira", street="1200 Lakeview Dr Suite 400", city="Columbus", state="OH",
             zip="43215", books_in_care_of="Pinecrest Trust Company", phone="614-555-0142"),
        dict(account_id="ROTH-OKAFOR", name="Pinecrest Trust Company FBO Daniel R. Okafor Roth IRA", ein="46-5091238",
             account_type="roth_ira", street="1200 Lakeview Dr Suite 400", city="Columbus", state="OH",
             zip="43215", books_in_care_of="Pinecrest Trust Company", phone="614-555-0142"),
        dict(account_id="S401K-OKAFOR", name="Okafor Design Studio LLC Solo 401(k) Plan", ein="83-1846205",
             account_type="solo_401k", street="88 Birch Hollow Rd", city="Asheville", state="NC", zip="28803",
             books_in_care_of="Daniel R. Okafor, Trustee", phone="828-555-0187"),
    ]
    properties = [
        dict(property_id="P-MAPLE", account_id="IRA-CHEN", description="412 Maple Ave, Columbus, OH 43215",
             property_type="residential_rental", acquired_on=date(2020, 7, 10), cost_basis=D("286450.00"),
             land_value=D("60000.00"), placed_in_service_on=date(2020, 7, 10), recovery="ads"),
        dict(property_id="P-COMMERCE", account_id="IRA-CHEN", description="1180 Commerce Pkwy Unit 3, Dublin, OH 43017",
             property_type="nonresidential_real", acquired_on=date(2020, 2, 3), cost_basis=D("412000.00"),
             land_value=D("82000.00"), placed_in_service_on=date(2020, 2, 3), recovery="ads",
             disposed_on=date(2023, 6, 30), amount_realized=D("468500.00")),
        dict(property_id="P-LOT", account_id="ROTH-OKAFOR", description="Parcel 14-0082, County Road 9, Marysville, OH 43040",
             property_type="land", acquired_on=date(2020, 3, 2), cost_basis=D("24000.00"), land_value=D("24000.00")),
        dict(property_id="P-ELM", account_id="ROTH-OKAFOR", description="27 Elm St, Dayton, OH 45402",
             property_type="residential_rental", acquired_on=date(2021, 4, 20), cost_basis=D("318000.00"),
             land_value=D("45000.00"), placed_in_service_on=date(2021, 4, 20), recovery="ads"),
        dict(property_id="P-BIRCH", account_id="S401K-OKAFOR", description="915 Birch Ln, Asheville, NC 28806",
             property_type="residential_rental", acquired_on=date(2020, 10, 1), cost_basis=D("365000.00"),
             land_value=D("90000.00"), placed_in_service_on=date(2020, 10, 1), recovery="ads"),
    ]
    book = Book()
    loans: list[Loan] = []

    # --- P-MAPLE: mid-year acquisition, 30-year loan, refinance with cash out, new roof -----------------
    l1 = Loan("L-MAPLE-1", "P-MAPLE", date(2020, 7, 10), D("200000.00"), D("0.0425"), 30, "Buckeye Federal Savings")
    loans.append(l1)
    book.per_diem(l1, date(2020, 7, 10), 22, "Prepaid interest 07/10-07/31 at closing")
    refi_on = date(2021, 9, 15)
    book.amortize(l1, date(2020, 9, 1), date(2021, 9, 1))
    book.per_diem(l1, refi_on, 14, "Accrued interest 09/01-09/14 at refinance payoff")
    old_balance = l1.balance
    book.payoff(l1, refi_on, "Payoff at refinance by L-MAPLE-2")
    l2 = Loan("L-MAPLE-2", "P-MAPLE", refi_on, D("230000.00"), D("0.02875"), 30, "Great Lakes Lending",
              purpose="refinance", refinances="L-MAPLE-1")
    assert l2.principal > old_balance
    loans.append(l2)
    book.per_diem(l2, refi_on, 16, "Prepaid interest 09/15-09/30 at refinance closing")
    book.amortize(l2, date(2021, 11, 1), END)
    rent_rows(book, "P-MAPLE", date(2020, 8, 1), END,
              {2020: D("2150.00"), 2021: D("2150.00"), 2022: D("2250.00"), 2023: D("2350.00")},
              "Rent 412 Maple", mgmt_pct=D("0.08"))
    for y in range(2021, 2024):
        book.add(date(y, 1, 31), "P-MAPLE", "taxes", D("2318.42") + (y - 2021) * D("61.17"), memo="Franklin County real estate tax, 1st half")
        book.add(date(y, 6, 20), "P-MAPLE", "taxes", D("2318.42") + (y - 2021) * D("61.17"), memo="Franklin County real estate tax, 2nd half")
    book.add(date(2020, 7, 10), "P-MAPLE", "taxes", D("1104.37"), memo="Prorated real estate tax at closing")
    for y, prem in ((2020, "1186.00"), (2021, "1232.00"), (2022, "1318.00"), (2023, "1447.00")):
        book.add(date(y, 7, 10), "P-MAPLE", "insurance", D(prem), memo="Landlord policy annual premium")
    for d in month_starts(date(2020, 8, 1), END):
        if d.month % 3 == 0:
            book.add(add_months(d, 0, 18), "P-MAPLE", "utilities", D("184.60") + d.year % 10 * D("7.25"), memo="Water/sewer quarterly")
    book.add(date(2020, 11, 4), "P-MAPLE", "repairs", D("640.00"), memo="Furnace service and igniter")
    book.add(date(2021, 6, 14), "P-MAPLE", "repairs", D("1285.50"), memo="Replace water heater element, plumbing")
    book.add(date(2022, 2, 9), "P-MAPLE", "repairs", D("395.75"), memo="Frozen pipe repair")
    book.add(date(2022, 3, 1), "P-MAPLE", "repairs", D("-120.00"), memo="Refund: plumber overbilled")
    book.add(date(2022, 5, 18), "P-MAPLE", "improvement", D("16800.00"), memo="New roof (capital improvement)")
    book.add(date(2023, 8, 22), "P-MAPLE", "repairs", D("910.00"), memo="Porch railing repair")
    book.add(date(2023, 3, 15), "P-MAPLE", "other_income", D("150.00"), memo="Late fees collected")

    # --- P-COMMERCE: office condo, sold 2023-06-30, loan paid off at the sale --------------------------
    l3 = Loan("L-COMMERCE-1", "P-COMMERCE", date(2020, 2, 3), D("250000.00"), D("0.0475"), 25, "Central Ohio Community Bank")
    loans.append(l3)
    book.per_diem(l3, date(2020, 2, 3), 27, "Prepaid interest 02/03-02/29 at closing")
    sale = date(2023, 6, 30)
    book.amortize(l3, date(2020, 4, 1), date(2023, 6, 1))
    book.per_diem(l3, sale, 29, "Accrued interest 06/01-06/29 at payoff")
    book.payoff(l3, sale, "Payoff from sale proceeds")
    rent_rows(book, "P-COMMERCE", date(2020, 3, 1), date(2023, 6, 1),
              {2020: D("3400.00"), 2021: D("3400.00"), 2022: D("3502.00"), 2023: D("3607.06")}, "Base rent Unit 3")
    for y in range(2020, 2024):
        book.add(date(y, 12, 15) if y < 2023 else date(2023, 6, 30), "P-COMMERCE", "other_income",
                 D("1875.00") if y < 2023 else D("940.00"), memo="CAM reimbursement from tenant")
        book.add(date(y, 2, 3), "P-COMMERCE", "insurance", D("2260.00") + (y - 2020) * D("85.00"), memo="Commercial property policy")
        book.add(date(y, 4, 10), "P-COMMERCE", "other_expense", D("1512.00") + (y - 2020) * D("48.00"), memo="Condo association dues (annual)")
        if y < 2023:
            book.add(date(y, 6, 20), "P-COMMERCE", "taxes", D("3980.15") + (y - 2020) * D("120.40"), memo="Real estate tax, 2nd half")
        if y > 2020:
            book.add(date(y, 1, 31), "P-COMMERCE", "taxes", D("3980.15") + (y - 2021) * D("120.40"), memo="Real estate tax, 1st half")
    book.add(date(2020, 2, 3), "P-COMMERCE", "taxes", D("1642.88"), memo="Prorated real estate tax at closing")
    book.add(date(2021, 9, 3), "P-COMMERCE", "repairs", D("2140.00"), memo="HVAC compressor")
    book.add(date(2022, 10, 12), "P-COMMERCE", "repairs", D("488.30"), memo="Door closer and lock")
    for y in range(2020, 2024):
        book.add(date(y, 12, 20) if y < 2023 else date(2023, 6, 20), "P-COMMERCE", "management",
                 D("1200.00") if y < 2023 else D("600.00"), memo="Leasing/asset management fee")
    book.add(date(2023, 6, 30), "P-COMMERCE", "other_expense", D("1150.00"), memo="Closing: prorations and recording")

    # --- P-LOT: small ground lease, below the $1,000 threshold until 2023 -------------------------------
    l4 = Loan("L-LOT-1", "P-LOT", date(2020, 3, 2), D("12000.00"), D("0.06"), 10, "Harlan Seed & Feed Co. (seller note)")
    loans.append(l4)
    book.amortize(l4, date(2020, 4, 1), END)
    rent_rows(book, "P-LOT", date(2020, 4, 1), END,
              {2020: D("75.00"), 2021: D("75.00"), 2022: D("80.00"), 2023: D("110.00")}, "Ground lease: billboard site")
    for y in range(2020, 2024):
        book.add(date(y, 7, 15), "P-LOT", "taxes", D("212.36") + (y - 2020) * D("4.10"), memo="Union County real estate tax")

    # --- P-ELM: fourplex, heavy repairs before service → first-year loss -------------------------------
    l5 = Loan("L-ELM-1", "P-ELM", date(2021, 4, 20), D("180000.00"), D("0.035"), 30, "Miami Valley Credit Union")
    loans.append(l5)
    book.per_diem(l5, date(2021, 4, 20), 11, "Prepaid interest 04/20-04/30 at closing")
    book.amortize(l5, date(2021, 6, 1), END)
    rent_rows(book, "P-ELM", date(2021, 8, 1), END,
              {2021: D("3400.00"), 2022: D("3480.00"), 2023: D("3600.00")}, "Rent 27 Elm, units A-D", mgmt_pct=D("0.10"))
    for d, amt, memo in (
        (date(2021, 5, 3), "9850.00", "Foundation crack repair and waterproofing"),
        (date(2021, 5, 24), "12480.00", "Repair/replace damaged plumbing, all units"),
        (date(2021, 6, 11), "8725.00", "Electrical repairs to code"),
        (date(2021, 6, 30), "6390.00", "Drywall patching and repainting, units A-D"),
        (date(2021, 7, 16), "5155.00", "Floor refinishing and appliance repair"),
        (date(2022, 4, 6), "740.00", "Gutter repair"),
        (date(2023, 9, 19), "1320.00", "Unit C turnover repairs"),
    ):
        book.add(d, "P-ELM", "repairs", D(amt), memo=memo)
    book.add(date(2021, 4, 20), "P-ELM", "taxes", D("1288.10"), memo="Prorated real estate tax at closing")
    for y in range(2022, 2024):
        book.add(date(y, 2, 20), "P-ELM", "taxes", D("2104.55") + (y - 2022) * D("58.00"), memo="Montgomery County tax, 1st half")
        book.add(date(y, 7, 20), "P-ELM", "taxes", D("2104.55") + (y - 2022) * D("58.00"), memo="Montgomery County tax, 2nd half")
    book.add(date(2021, 7, 20), "P-ELM", "taxes", D("2104.55"), memo="Montgomery County tax, 2nd half")
    for y, prem in ((2021, "1940.00"), (2022, "2015.00"), (2023, "2188.00")):
        book.add(date(y, 4, 20), "P-ELM", "insurance", D(prem), memo="Dwelling fire policy")
    for d in month_starts(date(2021, 5, 1), END):
        book.add(add_months(d, 0, 22), "P-ELM", "utilities", D("146.20") + (d.month % 4) * D("11.35"), memo="Common-area electric, water")

    # --- P-BIRCH: Solo 401(k), unrelated bank, non-recourse --------------------------------------------
    l6 = Loan("L-BIRCH-1", "P-BIRCH", date(2020, 10, 1), D("240000.00"), D("0.03125"), 30, "First Blue Ridge Bank")
    loans.append(l6)
    book.amortize(l6, date(2020, 11, 1), END)
    rent_rows(book, "P-BIRCH", date(2020, 11, 1), END,
              {2020: D("2400.00"), 2021: D("2400.00"), 2022: D("2525.00"), 2023: D("2600.00")}, "Rent 915 Birch")
    for y in range(2020, 2024):
        book.add(date(y, 10, 1), "P-BIRCH", "insurance", D("1415.00") + (y - 2020) * D("92.00"), memo="Landlord policy")
        book.add(date(y, 12, 28) if y > 2020 else date(2020, 10, 1), "P-BIRCH", "taxes",
                 D("2588.71") + (y - 2020) * D("66.30") if y > 2020 else D("647.18"),
                 memo="Buncombe County property tax" if y > 2020 else "Prorated property tax at closing")
    book.add(date(2021, 3, 8), "P-BIRCH", "repairs", D("455.00"), memo="Dishwasher repair")
    book.add(date(2022, 8, 30), "P-BIRCH", "repairs", D("1780.00"), memo="Deck board replacement")
    book.add(date(2023, 5, 2), "P-BIRCH", "other_expense", D("325.00"), memo="Rental registration and inspection")

    payments = [
        dict(account_id="IRA-CHEN", tax_year=2022, kind="estimated", date=date(2022, 6, 15), amount=D("400.00")),
        dict(account_id="IRA-CHEN", tax_year=2023, kind="estimated", date=date(2023, 6, 15), amount=D("600.00")),
        dict(account_id="IRA-CHEN", tax_year=2023, kind="extension", date=date(2024, 4, 15), amount=D("1500.00")),
    ]
    for loan in loans:
        assert loan.balance >= 0
    return accounts, properties, loans, book, payments


def write(path: Path, header: list[str], rows: list[list]) -> None:
    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, Decimal):
            return str(q(v))
        return str(v)

    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([cell(v) for v in r])


def main(out: Path) -> None:
    accounts, properties, loans, book, payments = build()
    out.mkdir(parents=True, exist_ok=True)
    acols = ["account_id", "name", "ein", "account_type", "street", "city", "state", "zip", "books_in_care_of", "phone"]
    write(out / "accounts.csv", acols, [[a[c] for c in acols] for a in accounts])
    pcols = ["property_id", "account_id", "description", "property_type", "acquired_on", "cost_basis", "land_value",
             "placed_in_service_on", "recovery", "disposed_on", "amount_realized"]
    write(out / "properties.csv", pcols, [[p.get(c) for c in pcols] for p in properties])
    write(out / "loans.csv",
          ["loan_id", "property_id", "originated_on", "principal", "purpose", "refinances", "recourse", "lender_is_disqualified_person"],
          [[ln.loan_id, ln.property_id, ln.originated_on, ln.principal, ln.purpose, ln.refinances, "false", "false"] for ln in loans])
    order = {pid: i for i, pid in enumerate(p["property_id"] for p in properties)}
    ledger = sorted(book.ledger, key=lambda r: (r[0], order[r[1]]))  # stable: keeps interest before principal
    write(out / "ledger.csv", ["date", "property_id", "category", "amount", "loan_id", "memo"], [list(r) for r in ledger])
    # A few lender statements (January 1 balances), consistent with the ledger.
    wanted = {("L-MAPLE-1", date(2021, 1, 1)), ("L-MAPLE-2", date(2022, 1, 1)), ("L-MAPLE-2", date(2023, 1, 1)),
              ("L-COMMERCE-1", date(2022, 1, 1)), ("L-ELM-1", date(2022, 1, 1)), ("L-BIRCH-1", date(2023, 1, 1))}
    statements = sorted((s for s in book.statements if (s[0], s[1]) in wanted), key=lambda s: (s[1], s[0]))
    assert len(statements) == len(wanted)
    write(out / "loan_balances.csv", ["loan_id", "as_of", "balance"], [list(s) for s in statements])
    pay_cols = ["account_id", "tax_year", "kind", "date", "amount"]
    write(out / "payments.csv", pay_cols, [[p[c] for c in pay_cols] for p in payments])
    # Form 990-T item C (book value of all assets at year end: the properties plus cash) and Part IV line 3
    # (tax-exempt interest) per account and year; every other question keeps its default "No".
    year_cols = ["account_id", "tax_year", "book_value_eoy", "tax_exempt_interest"]
    write(out / "account_years.csv", year_cols, [
        ["IRA-CHEN", 2020, "712640.00", ""], ["IRA-CHEN", 2021, "731905.00", ""], ["IRA-CHEN", 2022, "748212.00", ""],
        ["IRA-CHEN", 2023, "366874.00", ""], ["ROTH-OKAFOR", 2020, "61250.00", ""], ["ROTH-OKAFOR", 2021, "358410.00", ""],
        ["ROTH-OKAFOR", 2022, "371086.00", "184.37"], ["ROTH-OKAFOR", 2023, "379950.00", "212.10"],
        ["S401K-OKAFOR", 2020, "268300.00", ""], ["S401K-OKAFOR", 2021, "274115.00", ""],
        ["S401K-OKAFOR", 2022, "281760.00", ""], ["S401K-OKAFOR", 2023, "290442.00", ""]])
    print(f"wrote {out}: {len(ledger)} ledger rows, {len(loans)} loans, {len(properties)} properties")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else root / "fixtures" / "sample")
