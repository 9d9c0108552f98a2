"""The `udfi` command line."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="udfi",
    help="Prepare Form 990-T (unrelated debt-financed income, IRC §514) for IRAs and Solo 401(k)s.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Prepare Form 990-T (unrelated debt-financed income, IRC §514) for IRAs and Solo 401(k)s."""


from udfi import cli_validate  # noqa: E402  (commands register themselves on `app`)

cli_validate.register(app)

from udfi import cli_compute  # noqa: E402

cli_compute.register(app)

from udfi import cli_explain  # noqa: E402

cli_explain.register(app)

from udfi import cli_prepare  # noqa: E402

cli_prepare.register(app)

from udfi import cli_import  # noqa: E402

cli_import.register(app)

from udfi.forms.cli import forms_app  # noqa: E402

app.add_typer(forms_app, name="forms")

from udfi import cli_synth  # noqa: E402

cli_synth.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
