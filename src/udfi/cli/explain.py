"""`udfi explain`: how one line of the return was computed, down to the ledger rows."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from udfi.engine.compute import Settings
from udfi.engine.report import account_object

SHOWN_ROWS = 12


def _rows_text(source: dict, shown: int) -> str:
    rows = source.get("rows")
    filters = ", ".join(f"{key}={value}" for key, value in source.get("filter", {}).items())
    where = f"{source['file']}" + (f" ({filters})" if filters else "")
    if rows is None:
        return f"{where}: rows not listed (no book given)"
    if not rows:
        return f"{where}: no rows"
    listed = ", ".join(str(row) for row in rows[:shown])
    more = f", … ({len(rows) - shown} more)" if len(rows) > shown else ""
    return f"{where}: {len(rows)} row{'s' if len(rows) != 1 else ''} — {listed}{more}"


def _label(key: str, node: dict) -> str:
    exact = f" [dim](exact {escape(str(node['exact']))})[/dim]" if "exact" in node else ""
    return f"[bold]{escape(key)}[/bold] = [cyan]{escape(str(node['value']))}[/cyan]{exact}"


def build_tree(derivations: dict, key: str, shown_rows: int = SHOWN_ROWS, max_depth: int | None = None) -> Tree:
    """A rich tree of `key`'s derivation; a figure used twice is expanded once."""
    expanded: set[str] = set()

    def grow(tree: Tree, key: str, depth: int) -> None:
        node = derivations[key]
        expanded.add(key)
        tree.add(f"[green]{escape(node['operation'])}[/green]")
        if node.get("citation"):
            tree.add(f"[dim]{escape(node['citation'])}[/dim]")
        for name, value in node.get("inputs", {}).items():
            if isinstance(value, dict) and "ref" in value:
                target = value["ref"]
                if target in expanded:
                    tree.add(f"{escape(str(name))}: {_label(target, derivations[target])} [dim](shown above)[/dim]")
                elif max_depth is not None and depth >= max_depth:
                    tree.add(f"{escape(str(name))}: {_label(target, derivations[target])} [dim](…)[/dim]")
                else:
                    grow(tree.add(f"{escape(str(name))}: {_label(target, derivations[target])}"), target, depth + 1)
            else:
                tree.add(f"{escape(str(name))}: [cyan]{escape(str(value))}[/cyan]")
        source = node.get("source")
        if source:
            tree.add(f"[yellow]{escape(_rows_text(source, shown_rows))}[/yellow]")
            for name, extra in source.items():  # further row sets, e.g. improvement_rows, repayment_rows
                if name.endswith("_rows") and isinstance(extra, dict):
                    label = name[:-len("_rows")].replace("_", " ")
                    tree.add(f"[yellow]{escape(label)}: {escape(_rows_text(extra, shown_rows))}[/yellow]")

    root = Tree(_label(key, derivations[key]))
    grow(root, key, 0)
    return root


def register(app: typer.Typer) -> None:
    @app.command()
    def explain(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year)."),
        account: str = typer.Option(..., "--account", help="Account id."),
        line: str = typer.Option(None, "--line", help='Line key, e.g. "schedule_a.part_v.A.6" or '
                                                     '"form_990t.part_i.11"; omit to list the keys.'),
        rows: int = typer.Option(SHOWN_ROWS, "--rows", help="Ledger rows listed per figure before '… more'."),
        depth: int = typer.Option(None, "--depth", help="Stop expanding below this depth."),
    ) -> None:
        """How one line of the return was computed: operation, inputs and rule, down to the ledger rows."""
        from udfi.cli.compute import compute_valid_accounts  # noqa: PLC0415
        from udfi.explain import derivations, line_keys  # noqa: PLC0415

        console = Console()
        results, report = compute_valid_accounts(book, year, Settings(), strict=False, console=console)
        result = next((item for item in results if item.account_id == account), None)
        if result is None:
            known = ", ".join(sorted(item.account_id for item in results)) or "none"
            typer.echo(f"error: no computed account {account!r} for {year} (accounts: {known})", err=True)
            raise typer.Exit(2)
        data = account_object(result)
        derived = derivations(result, report.book, data)
        if not line:
            for key in line_keys(data):
                console.print(f"{escape(key)} = {escape(str(derived[key]['value']))}")
            return
        if line not in derived:
            candidates = [key for key in derived if line in key][:10]
            hint = f" (did you mean: {', '.join(candidates)})" if candidates else ""
            typer.echo(f"error: no line {line!r} for {account} in {year}{hint}", err=True)
            raise typer.Exit(2)
        console.print(build_tree(derived, line, rows, depth))
