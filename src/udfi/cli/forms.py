"""`udfi forms …`: list the IRS blanks udfi can find, and fetch them from the IRS."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from udfi.forms.blanks import FetchError, fetch_blanks, list_blanks, map_status, search_dirs

forms_app = typer.Typer(help="Official IRS blanks for Form 990-T and Schedule A.", no_args_is_help=True)


@forms_app.command("list")
def list_command(
    forms_dir: Optional[Path] = typer.Option(None, "--forms-dir", help="Folder with <year>/f990t.pdf and f990tsa.pdf."),
    maps: bool = typer.Option(False, "--maps", help="Also say which field map serves each blank (reviewed, "
                                                    "derived from its captions, or refused)."),
) -> None:
    """Which tax years have blanks, and where they were found (forms-dir, env, cache)."""
    found = list_blanks(forms_dir)
    if not found:
        places = ", ".join(f"{source}: {directory}" for source, directory in search_dirs(forms_dir))
        typer.echo(f"no blanks found (looked in {places}); run `udfi forms fetch YEAR`")
        return
    used: set[int] = set()
    for blank_set in sorted(found, key=lambda b: b.tax_year):
        note = "" if blank_set.tax_year not in used else "  (shadowed)"
        used.add(blank_set.tax_year)
        typer.echo(f"{blank_set.tax_year}  {blank_set.source:<9}  {blank_set.directory / str(blank_set.tax_year)}{note}")
        if maps and not note:
            for form, status in map_status(blank_set).items():
                typer.echo(f"      {form:<8} {status}")


@forms_app.command("fetch")
def fetch_command(
    year: int = typer.Argument(..., help="Tax year, e.g. 2022."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Where to store the blanks (default: user cache)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="IRS base URL (default https://www.irs.gov/pub, or $UDFI_IRS_BASE_URL)."),
) -> None:
    """Download and verify the Form 990-T and Schedule A blanks for YEAR."""
    try:
        blank_set = fetch_blanks(year, cache_dir=cache_dir, base_url=base_url)
    except FetchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{year}: saved {blank_set.f990t} and {blank_set.f990tsa}")
    for form, status in map_status(blank_set).items():
        typer.echo(f"  {form}: {status}")
