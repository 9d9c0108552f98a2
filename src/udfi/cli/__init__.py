"""The `udfi` command line: one module per command, each registering itself on `app`.

Shared plumbing (exit codes, `--format`, `--output`, plain output when piped, `--quiet`) is in
`udfi.cli.common`."""

from __future__ import annotations

import typer

import udfi
from udfi.cli.common import STATE, QUIET_HELP

app = typer.Typer(
    name="udfi",
    help="Prepare Form 990-T (unrelated debt-financed income, IRC §514) for IRAs and Solo 401(k)s.",
    epilog="Example: udfi check fixtures/sample --year 2022. Exit codes: 0 ok, 1 invalid input, 2 usage, "
           "3 done with exceptions, 4 outside failure (README, Exit codes).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"udfi {udfi.__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the udfi version and exit."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP + " Applies to every command."),
) -> None:
    """Prepare Form 990-T (unrelated debt-financed income, IRC §514) for IRAs and Solo 401(k)s."""
    STATE.quiet = quiet


from udfi.cli import compute, diagnostics, explain, extend, importer, init, prepare, rollforward, serve, synth, validate  # noqa: E402
from udfi.cli.forms import forms_app  # noqa: E402
from udfi.cli.efile import efile_app  # noqa: E402

for _module in (validate, compute, explain, prepare, extend, rollforward, importer, synth, init, serve, diagnostics):
    _module.register(app)
app.add_typer(forms_app, name="forms")
app.add_typer(efile_app, name="efile")


def main() -> None:
    import sys

    if not sys.stderr.isatty():
        # Piped or redirected: usage errors and help as plain text, not boxes drawn for a terminal.
        import typer.core

        typer.core.HAS_RICH = False
    app()


if __name__ == "__main__":
    main()
