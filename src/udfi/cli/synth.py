"""`udfi synth`: write a deterministic synthetic book for scale tests."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from udfi.cli.common import EXIT_USAGE, done, fail, quiet_option

from udfi.synth import parse_years, synth


def register(app: typer.Typer) -> None:
    @app.command("synth")
    def synth_command(
        accounts: int = typer.Option(..., "--accounts", min=1, help="Number of accounts."),
        years: str = typer.Option("2020-2025", "--years", help="Ledger years, FIRST-LAST."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed → identical files)."),
        out: Path = typer.Option(..., "--out", help="Folder to write the book into."),
        broken: int = typer.Option(0, "--broken", min=0, help="Deliberately break this many accounts (listed in OUT/broken.txt)."),
        quiet: bool = quiet_option(),
    ) -> None:
        """Generate a synthetic book: ~150 ledger rows per account, loans, refinances, sales, payoffs.

        Example: udfi synth --accounts 100 --years 2020-2025 --seed 1 --out /tmp/book
        """
        try:
            span = parse_years(years)
            started = time.perf_counter()
            summary = synth(accounts, span, seed, out, broken)
        except ValueError as exc:
            raise fail(str(exc), EXIT_USAGE) from exc
        elapsed = time.perf_counter() - started
        done(f"{summary.out}: {summary.accounts} accounts, {summary.properties} properties, "
             f"{summary.loans} loans, {summary.ledger_rows} ledger rows"
             + (f", {len(summary.broken)} broken (broken.txt)" if summary.broken else "")
             + f" in {elapsed:.1f} s", quiet)
