"""`udfi import SOURCE --profile P --into BOOK/`: a foreign ledger export → BOOK/ledger.csv;
`--draft-profile OUT.yaml`: a stub profile listing every source account no rule maps."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from udfi.cli.common import EXIT_INVALID, EXIT_USAGE, done, fail, info, is_quiet, open_output, quiet_option
from udfi.resources import schemas_dir

# udfi.imports (the converters) is imported when `udfi import` runs, not with every command.
if TYPE_CHECKING:
    from udfi.imports import ImportOptions


def _profile_help() -> str:
    try:  # the shipped profiles, as udfi.imports.profile.shipped_profiles lists them
        names = ", ".join(path.stem for path in sorted((schemas_dir() / "profiles").glob("*.yaml")))
    except FileNotFoundError:
        names = "none found"
    return f"Mapping profile: a YAML file, or the name of a shipped profile ({names})."


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_(
        source: Path = typer.Argument(..., help="The export to convert: a .csv or .xlsx file."),
        profile: str = typer.Option(None, "--profile", "-p", help=_profile_help()),
        into: Path = typer.Option(None, "--into", help="The book folder; its ledger.csv is written."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite an existing BOOK/ledger.csv."),
        append: bool = typer.Option(False, "--append", help="Add the rows to an existing BOOK/ledger.csv."),
        property_map: Path = typer.Option(None, "--property-map", exists=True, dir_okay=False,
                                          help="CSV with columns source_property,property_id: the export's property "
                                               "names (source.property column) → the book's property_id."),
        lender_schedule: list[Path] = typer.Option(None, "--lender-schedule", exists=True, dir_okay=False,
                                                   help="Lender's amortization schedule, CSV: loan_id,date,interest,"
                                                        "principal (escrow, balance optional); splits lumped "
                                                        "mortgage_payment rows. Repeatable."),
        lender_statement: list[Path] = typer.Option(None, "--lender-statement", exists=True, dir_okay=False,
                                                    help="Year-end lender statement / Form 1098 figures, CSV: loan_id,"
                                                         "tax_year,interest_paid,principal_start,principal_end "
                                                         "(escrow_paid optional). Repeatable."),
        draft_profile: Path = typer.Option(None, "--draft-profile", dir_okay=False,
                                           help="Write a stub profile listing every unmapped source account (and "
                                                "property name) to this file instead of importing."),
        quiet: bool = quiet_option(),
    ) -> None:
        """Convert a foreign ledger export into the book's canonical ledger.csv (nothing is written on any error).

        Shipped profiles: quickbooks-gl (account on every row), quickbooks-desktop-gl and
        quickbooks-online-gl (account headings above their rows), appfolio-gl and buildium-gl
        (property in its own column). Lumped mortgage payments are split with --lender-schedule or
        --lender-statement, and the arithmetic is printed.

        Example: udfi import gl.csv --profile quickbooks-online-gl --into BOOK/ --lender-schedule schedule.csv

        Example: udfi import gl.csv --profile quickbooks-online-gl --draft-profile mine.yaml
        """
        if replace and append:
            raise fail("give at most one of --replace and --append")
        if not source.is_file():
            raise fail(f"{source} not found")
        from udfi.imports import ImportOptions, LenderFiles, ProfileError, import_ledger, load_profile  # noqa: PLC0415

        options = ImportOptions(property_map=property_map,
                                lender=LenderFiles(tuple(lender_schedule or ()), tuple(lender_statement or ())))
        if draft_profile is not None:
            _draft(source, profile, into, options, draft_profile, quiet)
            return
        if profile is None or into is None:
            raise fail("give --profile and --into (or --draft-profile OUT.yaml to start a profile)")
        try:
            loaded = load_profile(profile)
            result = import_ledger(source, loaded, into, "replace" if replace else "append" if append else "create",
                                   options)
        except ProfileError as exc:
            raise fail(str(exc), EXIT_USAGE) from exc
        except OSError as exc:
            raise fail(f"{exc.filename or source}: {exc.strerror or exc}", EXIT_USAGE) from exc
        label = result.source_label or source.name
        if not result.ok:
            for problem in result.problems:
                typer.echo(f"error: {label}: {problem}", err=True)
            hint = (f"; `udfi import {source} --profile {profile} --draft-profile DRAFT.yaml` lists the unmapped "
                    "accounts in a stub profile" if result.unmapped else "")
            typer.echo(f"{label}: {len(result.problems)} problem(s); nothing written{hint}", err=True)
            raise typer.Exit(EXIT_INVALID)
        for note in result.notes:
            if note.startswith("warning:"):
                typer.echo(note, err=True)
            else:
                info(note, quiet)
        done(f"{label}: {len(result.ledger)} ledger rows written to {into / 'ledger.csv'} (header on row "
             f"{result.header_row}; {result.skipped_rows} bank/skip rows, {result.zero_rows} zero rows, "
             f"{result.report_lines} report lines left out)", quiet)


def _draft(source: Path, profile: str | None, into: Path | None, options: ImportOptions, target: Path,
           quiet: bool) -> None:
    from udfi.imports import ProfileError, SourceError, convert, load_profile  # noqa: PLC0415
    from udfi.imports.draft import draft_text, guess_layout  # noqa: PLC0415
    from udfi.imports.profile import profile_from_data  # noqa: PLC0415

    try:
        if profile is not None:
            loaded, layout = load_profile(profile), None
        else:
            layout = guess_layout(source)
            loaded = profile_from_data(layout, None, require_rules=False)
    except (ProfileError, SourceError) as exc:
        raise fail(str(exc), EXIT_USAGE if isinstance(exc, ProfileError) else EXIT_INVALID) from exc
    if into is not None and not into.is_dir():
        raise fail(f"book folder {into} does not exist")
    result = convert(source, loaded, into, options)
    fatal = [p for p in result.problems if not p.account and p.column is None and not p.rows]
    if fatal:  # the export itself could not be read as described
        for problem in fatal:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(EXIT_INVALID)
    if not result.unmapped and not result.unmapped_properties:
        info(f"{result.source_label}: every source account is mapped or skipped; no draft written", quiet)
        return
    command = "udfi " + " ".join(shlex.quote(arg) for arg in sys.argv[1:]) if sys.argv[1:] else "udfi import"
    text = draft_text(result, source, profile, layout["source"] and layout if layout else None, command)
    with open_output(target) as out:
        out.stream.write(text)
    done(f"{target}: {len(result.unmapped)} unmapped account(s) and {len(result.unmapped_properties)} property "
         f"name(s) to fill in; then run udfi import {source} --profile {target} --into BOOK/", quiet)
    if not is_quiet(quiet):
        for name, details in sorted(result.unmapped.items()):
            typer.echo(f"  {name}: {len(details['rows'])} row(s)", err=True)
