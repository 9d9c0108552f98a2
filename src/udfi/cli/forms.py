"""`udfi forms …`: list the IRS blanks udfi can find, and fetch them from the IRS."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from udfi.cli.common import (EXIT_FAILED, Column, OutputFormat, done, emit, fail, format_option, output_option,
                             quiet_option)

forms_app = typer.Typer(help="Official IRS blanks for Form 990-T and Schedule A.", no_args_is_help=True)

LIST_FIELDS = ("tax_year", "source", "folder", "used")


@forms_app.command("list")
def list_command(
    forms_dir: Optional[Path] = typer.Option(None, "--forms-dir", help="Folder with <year>/f990t.pdf and f990tsa.pdf."),
    format: OutputFormat = format_option(what="one row per year and place"),
    output: Path = output_option(),
    maps: bool = typer.Option(False, "--maps", help="Also say which field map serves each blank (reviewed, "
                                                    "derived from its captions, or refused)."),
) -> None:
    """Which tax years have blanks, and where they were found (forms-dir, $UDFI_FORMS_DIR, the user cache).

    Outside make, point udfi at a folder of blanks with: export UDFI_FORMS_DIR=/path/to/irs-forms
    (it holds 2022/f990t.pdf and 2022/f990tsa.pdf), or download them once with udfi forms fetch YEAR.

    Example: udfi forms list --format csv
    """
    # the blanks' module (pdfrw, urllib) is imported by the commands that use it, not with every command
    from udfi.forms.blanks import ENV_FORMS_DIR, list_blanks, map_status, search_dirs  # noqa: PLC0415

    found = list_blanks(forms_dir)
    if not found and format is OutputFormat.text:
        places = ", ".join(f"{source}: {directory}" for source, directory in search_dirs(forms_dir))
        typer.echo(f"no blanks found (looked in {places}); run `udfi forms fetch YEAR`, or "
                   f"`export {ENV_FORMS_DIR}=DIR` for a folder holding YEAR/f990t.pdf and YEAR/f990tsa.pdf", err=True)
        return
    rows, used = [], set()
    for blank_set in sorted(found, key=lambda b: b.tax_year):
        row = {"tax_year": blank_set.tax_year, "source": blank_set.source,
               "folder": str(blank_set.directory / str(blank_set.tax_year)),
               "used": "no (shadowed)" if blank_set.tax_year in used else "yes"}
        if maps:
            statuses = map_status(blank_set) if blank_set.tax_year not in used else {}
            row.update({f"{form} map": status for form, status in statuses.items()})
        rows.append(row)
        used.add(blank_set.tax_year)
    columns = [Column("tax_year", numeric=True), Column("source"), Column("folder"), Column("used")]
    fieldnames = LIST_FIELDS
    if maps:
        extra = sorted({key for row in rows for key in row if key.endswith(" map")})
        columns += [Column(name) for name in extra]
        fieldnames = tuple(LIST_FIELDS) + tuple(extra)
    emit(output, format, columns=columns, rows=rows, fieldnames=fieldnames)


@forms_app.command("fetch")
def fetch_command(
    year: int = typer.Argument(..., help="Tax year, e.g. 2022."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to store the blanks (default: user cache)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="IRS base URL (default https://www.irs.gov/pub, or $UDFI_IRS_BASE_URL)."),
    quiet: bool = quiet_option(),
) -> None:
    """Download and verify the Form 990-T and Schedule A blanks for YEAR (exit 4 if that fails).

    Example: udfi forms fetch 2022
    """
    from udfi.forms.blanks import FetchError, fetch_blanks, map_status  # noqa: PLC0415

    try:
        blank_set = fetch_blanks(year, cache_dir=cache_dir, base_url=base_url)
    except FetchError as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    done(f"{year}: saved {blank_set.f990t} and {blank_set.f990tsa}", quiet)
    for form, status in map_status(blank_set).items():
        done(f"  {form}: {status}", quiet)
