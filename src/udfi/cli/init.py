"""`udfi init DIR [--xlsx]`: a ready book to fill in (udfi.template_book)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        folder: Path = typer.Argument(..., help="A new or empty folder for the book, e.g. mybook."),
        xlsx: bool = typer.Option(False, "--xlsx", help="Write one .xlsx workbook (drop-down lists, input checks, "
                                                        "an instructions sheet) instead of CSV files."),
    ) -> None:
        """Write a book to fill in: one table per sheet or CSV file, headers, one example row each."""
        from udfi.template_book import INSTRUCTIONS_FILE, WORKBOOK_NAME, TemplateError, write_template  # noqa: PLC0415

        try:
            written = write_template(folder, xlsx=xlsx)
        except TemplateError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        except OSError as exc:
            typer.echo(f"error: {folder}: cannot write the template ({exc.strerror}); nothing was written", err=True)
            raise typer.Exit(2) from exc
        book = folder / WORKBOOK_NAME if xlsx else folder
        what = "a workbook" if xlsx else f"{len(written) - 1} CSV files and {INSTRUCTIONS_FILE}"
        typer.echo(f"wrote {what} in {folder}/")
        typer.echo("row 2 of every table is an example: replace it with your data (cells that start with 'e.g.' are "
                   "refused until you do; on an optional table you do not need, delete the row)")
        typer.echo(f"then: udfi validate {book}   — lists every cell still to fill in")
        typer.echo(f"      udfi check {book} --year YEAR   (or upload it on the page of `udfi serve`)")
