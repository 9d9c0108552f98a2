"""The `udfi` command line: one module per command, each registering itself on `app`."""

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


from udfi.cli import compute, explain, extend, importer, prepare, synth, validate  # noqa: E402
from udfi.cli import init, serve  # noqa: E402
from udfi.cli.forms import forms_app  # noqa: E402
from udfi.cli.efile import efile_app  # noqa: E402

for _module in (validate, compute, explain, prepare, extend, importer, synth, init, serve):
    _module.register(app)
app.add_typer(forms_app, name="forms")
app.add_typer(efile_app, name="efile")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
