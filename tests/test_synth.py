"""`udfi synth`: deterministic, realistic, valid synthetic books; `--broken` isolates its damage."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from udfi.cli import app
from udfi.synth import BROKEN_KINDS, synth
from udfi.validate import validate_book

FILES = ("accounts.csv", "properties.csv", "loans.csv", "ledger.csv", "loan_balances.csv", "payments.csv")


def _digest(folder: Path) -> dict[str, str]:
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}


def _cents(series: pd.Series) -> pd.Series:
    assert series.str.fullmatch(r"-?\d+\.\d{2}").all()
    return series.str.replace(".", "", regex=False).astype("int64")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "book"
    result = CliRunner().invoke(app, ["synth", "--accounts", "40", "--years", "2020-2025", "--seed", "7",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def test_deterministic(tmp_path: Path, small: Path):
    again = tmp_path / "again"
    synth(40, "2020-2025", 7, again)
    assert _digest(again) == _digest(small)
    other = tmp_path / "other"
    synth(40, "2020-2025", 8, other)
    assert _digest(other)["ledger.csv"] != _digest(small)["ledger.csv"]
    assert not (small / "broken.txt").exists()


def test_small_book_validates_clean(small: Path):
    report = validate_book(small)
    assert report.ok, [p.as_dict() for p in report.errors[:20]]
    assert not report.warnings, [p.as_dict() for p in report.warnings[:20]]


def test_shape_is_realistic(tmp_path: Path):
    out = tmp_path / "book"
    synth(400, "2020-2025", 3, out)
    accounts, properties, loans, ledger = (_read(out, n) for n in ("accounts.csv", "properties.csv", "loans.csv", "ledger.csv"))
    assert accounts["ein"].is_unique and accounts["ein"].str.fullmatch(r"\d{2}-\d{7}").all()
    assert {"traditional_ira", "roth_ira", "solo_401k"} <= set(accounts["account_type"])
    per_account = properties.groupby("account_id").size()
    assert per_account.between(1, 3).all() and len(per_account) == 400
    assert 100 <= len(ledger) / 400 <= 220
    # Refinances carry `refinances` and the old loan is paid off on the new loan's origination date.
    refis = loans[loans["purpose"] == "refinance"]
    assert len(refis) > 5 and (refis["refinances"] != "").all()
    for _, loan in refis.head(5).iterrows():
        payoff = ledger[(ledger["loan_id"] == loan["refinances"]) & (ledger["date"] == loan["originated_on"])
                        & (ledger["category"] == "principal")]
        assert len(payoff) == 1
    assert (properties["disposed_on"] != "").sum() > 5
    # Mid-year acquisitions, rent below the $1,000 threshold for some accounts in some year.
    assert (~properties["acquired_on"].str.endswith("-01")).any()
    rent = ledger[ledger["category"] == "rent"].assign(
        year=lambda f: f["date"].str[:4], cents=lambda f: _cents(f["amount"]),
        account_id=lambda f: f["property_id"].str.split("-").str[0])
    yearly = rent.groupby(["account_id", "year"])["cents"].sum()
    assert (yearly < 100000).sum() > 5
    # Every ledger amount is non-zero and written with exactly two decimals.
    assert (_cents(ledger["amount"]) != 0).all()


def test_loans_never_go_negative_and_statements_match(small: Path):
    loans, ledger, balances = (_read(small, n) for n in ("loans.csv", "ledger.csv", "loan_balances.csv"))
    principal = loans.set_index("loan_id")["principal"].pipe(_cents)
    paid = ledger[ledger["category"] == "principal"].assign(cents=lambda f: _cents(f["amount"]))
    paid = paid.sort_values(["loan_id", "date"], kind="stable")
    running = principal.reindex(paid["loan_id"]).to_numpy() - paid.groupby("loan_id")["cents"].cumsum().to_numpy()
    assert (running >= 0).all()
    assert (paid["cents"] > 0).all()
    # Statements: balance at the start of as_of = principal − principal paid before that day.
    for _, row in balances.iterrows():
        before = paid[(paid["loan_id"] == row["loan_id"]) & (paid["date"] < row["as_of"])]["cents"].sum()
        assert principal[row["loan_id"]] - before == int(row["balance"].replace(".", ""))
    # Interest is charged monthly on the outstanding balance: one interest row per principal payment row.
    interest = ledger[(ledger["category"] == "interest")]
    assert (interest["loan_id"] != "").all()


def _row_account(folder: Path, file: str, row: int, account_ids: set[str]) -> str | None:
    with open(folder / file, newline="", encoding="utf-8") as handle:
        lines = list(csv.reader(handle))
    cells = lines[row - 1]  # header = row 1
    for cell in cells:
        match = re.match(r"(A\d{5,})(-|$)", cell)
        if match and match.group(1) in account_ids:
            return match.group(1)
    return None


def test_broken_accounts_fail_alone(tmp_path: Path):
    out = tmp_path / "broken"
    k = len(BROKEN_KINDS)
    result = CliRunner().invoke(app, ["synth", "--accounts", "60", "--years", "2020-2025", "--seed", "11",
                                      "--out", str(out), "--broken", str(k)])
    assert result.exit_code == 0, result.output
    listed = [line.split("\t") for line in (out / "broken.txt").read_text().splitlines()]
    broken = {a for a, _, _ in listed}
    assert len(broken) == k
    assert len({kind for _, kind, _ in listed}) >= k - 1  # each broken differently
    report = validate_book(out)
    assert not report.ok
    account_ids = set(_read(out, "accounts.csv")["account_id"])
    failing = set()
    for problem in report.errors:
        assert problem.row is not None, problem
        owner = problem.account_id or _row_account(out, problem.file, problem.row, account_ids)
        assert owner in broken, problem
        failing.add(owner)
    assert failing == broken
    # The generator without --broken gives the same book for everybody else.
    clean = tmp_path / "clean"
    synth(60, "2020-2025", 11, clean)
    assert validate_book(clean).ok
    for name in ("ledger.csv", "loans.csv", "properties.csv"):
        a, b = _read(out, name), _read(clean, name)
        key = "property_id" if name != "properties.csv" else "account_id"
        mine = lambda f: f[~f[key].str.split("-").str[0].isin(broken)].reset_index(drop=True)  # noqa: E731
        pd.testing.assert_frame_equal(mine(a), mine(b))


def test_bad_arguments():
    result = CliRunner().invoke(app, ["synth", "--accounts", "3", "--years", "2025-2020", "--out", "/tmp/never"])
    assert result.exit_code != 0
    assert not Path("/tmp/never").exists()


def test_sample_book_is_generated_and_valid(tmp_path: Path):
    """fixtures/sample is exactly what scripts/make_sample.py writes, and it validates clean."""
    import runpy

    root = Path(__file__).resolve().parent.parent
    module = runpy.run_path(str(root / "scripts" / "make_sample.py"))
    module["main"](tmp_path)
    sample = root / "fixtures" / "sample"
    for path in sorted(tmp_path.glob("*.csv")):
        assert path.read_bytes() == (sample / path.name).read_bytes(), path.name
    report = validate_book(sample)
    assert report.ok and not report.warnings, [p.as_dict() for p in report.problems]
