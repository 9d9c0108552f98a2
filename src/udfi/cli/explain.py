"""`udfi explain`: how one line of the return was computed, down to the ledger rows."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from udfi.cli.common import (escape, EXIT_INVALID, EXIT_USAGE, OutputFormat, fail, format_option, open_output, output_option,
                             quiet_option, write_csv, write_json)
from udfi.engine.compute import Settings
from udfi.engine.report import account_object
from udfi.safety import mask_ssn

if TYPE_CHECKING:  # annotations only; imported where used
    from rich.tree import Tree

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
    from rich.tree import Tree  # noqa: PLC0415

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


def reachable(derivations: dict, key: str) -> dict:
    """The derivation of `key` and of every figure it refers to, in depth-first order."""
    seen: dict = {}
    stack = [key]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        node = derivations[current]
        seen[current] = node
        refs = [value["ref"] for value in node.get("inputs", {}).values() if isinstance(value, dict) and "ref" in value]
        stack.extend(reversed(refs))
    return seen


def nearest_keys(line: str, keys: list[str], n: int = 6) -> list[str]:
    """Keys that look like `line`: close spellings first (difflib), then keys containing it."""
    near = difflib.get_close_matches(line, keys, n=n, cutoff=0.6)
    near += [key for key in keys if line and line in key and key not in near]
    return near[:n]


def _node_row(key: str, node: dict) -> dict:
    source = node.get("source") or {}
    rows = source.get("rows")
    return {"key": key, "value": node.get("value"), "exact": node.get("exact", ""),
            "operation": node.get("operation", ""), "citation": node.get("citation", ""),
            "inputs": "; ".join(f"{name}={value['ref'] if isinstance(value, dict) and 'ref' in value else value}"
                                for name, value in node.get("inputs", {}).items()),
            "source_file": source.get("file", ""),
            "source_rows": "" if rows is None else " ".join(str(row) for row in rows)}


NODE_FIELDS = ("key", "value", "exact", "operation", "citation", "inputs", "source_file", "source_rows")


def register(app: typer.Typer) -> None:
    @app.command()
    def explain(
        book: Path = typer.Argument(..., help="A folder of CSV files or an .xlsx workbook."),
        year: int = typer.Option(..., "--year", help="Tax year (calendar year), e.g. 2022."),
        account: str = typer.Option(None, "--account", help="Account id (may be left out when the book has one "
                                                            "account)."),
        line: str = typer.Option(None, "--line", help='Line key, e.g. "schedule_a.part_v.A.6" or '
                                                     '"form_990t.part_i.11"; omit to list the keys.'),
        rows: int = typer.Option(SHOWN_ROWS, "--rows", min=0, help="Ledger rows listed per figure before '… more'."),
        depth: int = typer.Option(None, "--depth", min=0, help="Stop expanding below this depth."),
        format: OutputFormat = format_option(what="csv/json: every figure the line depends on, with its rows"),
        output: Path = output_option(),
        quiet: bool = quiet_option(),
    ) -> None:
        """How one line of the return was computed: operation, inputs and rule, down to the ledger rows.

        Without --line: every line key of the account and its value.

        Example: udfi explain fixtures/sample --year 2022 --account IRA-CHEN --line schedule_a.part_v.A.6
        """
        from udfi.cli.compute import compute_valid_accounts, unknown_account  # noqa: PLC0415
        from udfi.explain import derivations, line_keys  # noqa: PLC0415

        results, report = compute_valid_accounts(book, year, Settings(), strict=False)
        if account is None:
            known = list(report.book.accounts["account_id"])
            if len(known) != 1:
                raise fail(f"the book has {len(known)} accounts: name one with --account "
                           f"(e.g. --account {mask_ssn(str(known[0])) if known else 'IRA-1'})", EXIT_USAGE)
            account = str(known[0])
        result = next((item for item in results if item.account_id == account), None)
        if result is None:
            if account in report.accounts_with_errors:
                problems = [p for p in report.errors if p.account_id == account]
                for problem in problems[:10]:
                    typer.echo(f"error: {problem.file} row {problem.row} column {problem.column}: "
                               f"expected {problem.expected}", err=True)
                raise fail(f"account {account!r} has {len(problems)} error(s) in the book; fix them "
                           "(udfi validate) to explain its lines", EXIT_INVALID)
            raise unknown_account(account, list(report.book.accounts["account_id"]), year)
        data = account_object(result)
        derived = derivations(result, report.book, data)
        if not line:
            keys = line_keys(data)
            listing = [{"key": key, "value": derived[key]["value"]} for key in keys]
            with open_output(output, csv_for_excel=format is OutputFormat.csv) as out:
                if format is OutputFormat.json:
                    write_json(out.stream, {key: derived[key]["value"] for key in keys})
                elif format is OutputFormat.csv:
                    write_csv(out.stream, ("key", "value"), listing)
                else:
                    for item in listing:
                        out.text(f"{item['key']} = {item['value']}")
            return
        if line not in derived:
            near = nearest_keys(line, list(derived))
            hint = f"; did you mean: {', '.join(near)}" if near else "; omit --line to list the keys"
            raise fail(f"no line {line!r} for {account} in {year}{hint}", EXIT_USAGE)
        with open_output(output, csv_for_excel=format is OutputFormat.csv) as out:
            if format is OutputFormat.json:
                write_json(out.stream, {"line": line, "derivations": reachable(derived, line)})
            elif format is OutputFormat.csv:
                write_csv(out.stream, NODE_FIELDS, [_node_row(key, node) for key, node in reachable(derived, line).items()])
            else:
                out.renderable(build_tree(derived, line, rows, depth))
