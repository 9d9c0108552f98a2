"""Small books whose attached forms are worked by hand in tests/test_attachments.py, and a six-property
book for the layout tests (chart labels, section numbering, page breaks)."""

from __future__ import annotations

from pathlib import Path

from bookbuilder import monthly, write_book

IRA = {"account_id": "A1", "name": "Test Trust Co FBO Test Owner IRA", "ein": "12-3456789",
       "account_type": "traditional_ira", "street": "1 Main St", "city": "Columbus", "state": "OH", "zip": "43215"}


def sales_book(folder: Path) -> Path:
    """Account A1 (a traditional IRA):
    - R1, a rental bought 2021-01-01 for $100,000 ($20,000 land) with a $100,000 interest-only loan,
      sold 2022-06-30 for $70,000 — a §1231 loss in 2022;
    - R2, a rental bought 2021-01-01 for $50,000 ($10,000 land) with a $60,000 interest-only loan,
      sold 2023-06-30 for $60,000 — a §1231 gain in 2023 that recaptures the 2022 loss;
    Account A2 (a Roth IRA): L2, land bought 2022-01-03 for $50,000 with a $25,000 loan, sold 2022-07-05
    for $40,000 — a short-term capital loss (box C) and a capital loss carryover.
    Account A3 (a SEP IRA): L1, land held for investment, bought 2021-03-01 for $100,000 with a $50,000
    interest-only loan, sold 2022-09-30 for $120,000 — a long-term capital gain (Form 8949 box F) taxed
    in Schedule D Part V."""
    accounts = [IRA, {**IRA, "account_id": "A2", "name": "Test Trust Co FBO Second Owner Roth IRA",
                      "ein": "12-3456780", "account_type": "roth_ira"},
                {**IRA, "account_id": "A3", "name": "Test Trust Co FBO Third Owner SEP IRA",
                 "ein": "12-3456781", "account_type": "sep_ira"}]
    properties = [
        {"property_id": "R1", "account_id": "A1", "description": "10 Oak St, Columbus, OH 43215",
         "property_type": "residential_rental", "acquired_on": "2021-01-01", "cost_basis": "100000.00",
         "land_value": "20000.00", "disposed_on": "2022-06-30", "amount_realized": "70000.00"},
        {"property_id": "R2", "account_id": "A1", "description": "12 Oak St, Columbus, OH 43215",
         "property_type": "residential_rental", "acquired_on": "2021-01-01", "cost_basis": "50000.00",
         "land_value": "10000.00", "disposed_on": "2023-06-30", "amount_realized": "60000.00"},
        {"property_id": "L1", "account_id": "A3", "description": "Lot 4, County Road 9, Marysville, OH 43040",
         "property_type": "land", "acquired_on": "2021-03-01", "cost_basis": "100000.00", "land_value": "100000.00",
         "disposed_on": "2022-09-30", "amount_realized": "120000.00"},
        {"property_id": "L2", "account_id": "A2", "description": "Lot 7, County Road 9, Marysville, OH 43040",
         "property_type": "land", "acquired_on": "2022-01-03", "cost_basis": "50000.00", "land_value": "50000.00",
         "disposed_on": "2022-07-05", "amount_realized": "40000.00"},
    ]
    loans = [
        {"loan_id": "R1-L", "property_id": "R1", "originated_on": "2021-01-01", "principal": "100000.00"},
        {"loan_id": "R2-L", "property_id": "R2", "originated_on": "2021-01-01", "principal": "60000.00"},
        {"loan_id": "L1-L", "property_id": "L1", "originated_on": "2021-03-01", "principal": "50000.00"},
        {"loan_id": "L2-L", "property_id": "L2", "originated_on": "2022-01-03", "principal": "25000.00"},
    ]
    ledger = (monthly("2021-01-05", 18, "R1", "rent", "1000.00") + monthly("2021-01-05", 30, "R2", "rent", "500.00"))
    return write_book(folder, accounts=accounts, properties=properties, loans=loans, ledger=ledger)


SIX = ("Maple", "Cedar", "Birch", "Aspen", "Willow", "Spruce")


def six_property_book(folder: Path) -> Path:
    """One traditional IRA with six properties bought 2020-2021: four rentals (one sold at a gain in
    2023), one nonresidential building refinanced with cash out, and land held for investment sold at a
    loss in 2023; rent, interest and expenses every month; 2020 has a net loss (an NOL)."""
    properties, loans, ledger = [], [], []
    for index, name in enumerate(SIX):
        pid = f"P{index + 1}"
        kind = "land" if name == "Spruce" else "nonresidential_real" if name == "Willow" else "residential_rental"
        cost = 150000 + 25000 * index
        land = cost if kind == "land" else 30000 + 2000 * index
        start = f"2020-{index + 2:02d}-01"
        row = {"property_id": pid, "account_id": "A1", "description": f"{100 + index} {name} Ave, Dayton, OH 45402",
               "property_type": kind, "acquired_on": start, "cost_basis": f"{cost}.00", "land_value": f"{land}.00"}
        if name == "Birch":
            row.update(disposed_on="2023-08-31", amount_realized="260000.00")
        if name == "Spruce":
            row.update(disposed_on="2023-05-31", amount_realized="180000.00")
        properties.append(row)
        principal = int(cost * (0.55 + 0.05 * index))
        loans.append({"loan_id": f"{pid}-L1", "property_id": pid, "originated_on": start, "principal": f"{principal}.00"})
        months = 48 if "disposed_on" not in row else (43 if name == "Birch" else 39)
        if kind != "land":
            ledger += monthly(start, months, pid, "rent", f"{1500 + 200 * index}.00", day=5)
            ledger += monthly(start, months, pid, "management", "90.00", day=10)
        ledger += monthly(start, months, pid, "interest", f"{principal * 5 // 1200}.00", f"{pid}-L1", day=1)
        ledger += monthly(start, months, pid, "principal", "150.00", f"{pid}-L1", day=1)
        if index == 0:
            ledger.append({"date": "2020-03-15", "property_id": pid, "category": "repairs", "amount": "42000.00"})
    loans.append({"loan_id": "P5-L2", "property_id": "P5", "originated_on": "2022-03-01", "principal": "230000.00",
                  "purpose": "refinance", "refinances": "P5-L1"})
    return write_book(folder, accounts=[IRA], properties=properties, loans=loans, ledger=ledger)
