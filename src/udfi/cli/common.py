"""What every `udfi` command shares: exit codes, output formats, plain output when piped, `--output`
files written atomically, and `--quiet`.

A command that prints a table takes ``--format text|csv|json`` (an :class:`OutputFormat`, so the
parser rejects anything else and ``--help`` lists the choices) and ``--output FILE``::

    with open_output(output) as out:
        out.table("Problems", [Column("file"), Column("row", numeric=True)], rows)
        out.line(f"{escape(name)}: [bold]valid[/bold]")

On a terminal ``out`` prints rich tables and styles; piped, redirected or written to a file it prints
plain text: no colour, no box drawing, no wrapping, no truncation, and markup in *values* is never
interpreted (callers escape values with :func:`escape`; table cells are never markup).
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Iterable, Iterator, Sequence, TextIO

import typer

# rich is imported when something is printed with it, not with every command: `udfi prepare` prints
# a line or two, and rich's import was ~0.1 s of its start.


def escape(markup: str) -> str:
    """rich's markup escape (re-exported for command modules)."""
    from rich.markup import escape as rich_escape  # noqa: PLC0415

    return rich_escape(markup)

# --- exit codes: one table for every command (README "Exit codes") ---------------------------

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_EXCEPTIONS = 3
EXIT_FAILED = 4
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success (warnings may have been printed)",
    EXIT_INVALID: "the input has errors (book, export, lender file); nothing was computed or written",
    EXIT_USAGE: "usage: an unknown option or value, a file or folder that does not exist or cannot be read, "
                "a profile, account or line key that does not exist, a tax year without parameters",
    EXIT_EXCEPTIONS: "done, but some accounts were set aside as exceptions (listed); the others are complete",
    EXIT_FAILED: "an outside failure: a download failed or could not be verified, an output could not be written",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); nothing half-written is left behind",
}


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` on stderr and return the Exit to raise (``raise fail(...)``)."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


# --- --quiet -------------------------------------------------------------------------------


class _State:
    quiet = False


STATE = _State()

QUIET_HELP = "No progress or success messages on stderr (errors and warnings are still printed)."


def quiet_option() -> bool:
    return typer.Option(False, "--quiet", "-q", help=QUIET_HELP)


def is_quiet(flag: bool = False) -> bool:
    """True when this command's ``--quiet`` or the root ``udfi --quiet`` was given."""
    return flag or STATE.quiet


def info(text: str, quiet: bool = False) -> None:
    """An informational line on stderr (progress, reconciliations), left out under --quiet."""
    if not is_quiet(quiet):
        typer.echo(text, err=True)


def done(text: str, quiet: bool = False) -> None:
    """The one-line result of a command that writes files (stdout), left out under --quiet."""
    if not is_quiet(quiet):
        typer.echo(text)


# --- formats --------------------------------------------------------------------------------


class OutputFormat(str, Enum):
    """Output of a command that prints a table."""

    text = "text"
    csv = "csv"
    json = "json"


def format_option(default: OutputFormat = OutputFormat.text, what: str = "the table") -> OutputFormat:
    return typer.Option(default, "--format", "-f",
                        help=f"text (aligned, for people), csv or json ({what}); anything else is a usage error.")


def output_option() -> Path | None:
    return typer.Option(None, "--output", "-o", dir_okay=False,
                        help="Write to FILE instead of stdout (atomically: FILE appears complete or not at all; "
                             "owner-only permissions).")


# --- output ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    heading: str
    numeric: bool = False  # right-aligned


# Wide enough that rich never wraps a plain line; plain tables are laid out by us, not by rich.
_PLAIN_WIDTH = 1 << 16


class Out:
    """A text stream plus how to print on it (rich on a terminal, plain otherwise)."""

    def __init__(self, stream: TextIO, terminal: bool):
        from rich.console import Console  # noqa: PLC0415

        self.stream = stream
        self.terminal = terminal
        if terminal:
            self.console = Console(file=stream, highlight=False)
        else:
            self.console = Console(file=stream, color_system=None, force_terminal=False, force_jupyter=False,
                                   highlight=False, emoji=False, soft_wrap=True, width=_PLAIN_WIDTH)

    def line(self, markup: str = "") -> None:
        """One line of console markup; values inside it must be escaped with :func:`escape`."""
        from rich.text import Text  # noqa: PLC0415

        if self.terminal:
            self.console.print(markup)
        else:
            self.stream.write(Text.from_markup(markup).plain + "\n")

    def text(self, plain: str = "") -> None:
        """One line printed exactly as given (never markup)."""
        if self.terminal:
            from rich.text import Text  # noqa: PLC0415

            self.console.print(Text(plain))
        else:
            self.stream.write(plain + "\n")

    def renderable(self, item) -> None:
        """A rich renderable (e.g. a Tree); piped, it is printed without colour and without wrapping."""
        self.console.print(item)

    def table(self, title: str | None, columns: Sequence[Column], rows: Iterable[Sequence[object]]) -> None:
        rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        if self.terminal:
            from rich import box  # noqa: PLC0415
            from rich.table import Table  # noqa: PLC0415
            from rich.text import Text  # noqa: PLC0415

            # Headings may wrap to fit the terminal; figures never shrink, text keeps up to 30 characters.
            table = Table(title=title, box=box.SIMPLE_HEAD)
            for index, column in enumerate(columns):
                longest = max((len(row[index]) for row in rows), default=0)
                table.add_column(column.heading, justify="right" if column.numeric else "left", overflow="fold",
                                 min_width=longest if column.numeric else min(longest, 30))
            for row in rows:
                table.add_row(*(Text(cell) for cell in row))
            self.console.print(table, crop=False)  # wider than the terminal: wrapped by it, never cut
            return
        self.stream.write(plain_table(title, columns, rows))


def plain_table(title: str | None, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns separated by two spaces, every cell whole (no truncation, no wrapping)."""
    widths = [len(column.heading) for column in columns]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def render(cells: Sequence[str]) -> str:
        parts = [cell.rjust(widths[i]) if columns[i].numeric else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    lines = [title] if title else []
    lines.append(render([column.heading for column in columns]))
    lines.extend(render(row) for row in rows)
    return "\n".join(lines) + "\n"


def write_csv(stream: TextIO, fieldnames: Sequence[str], rows: Iterable[dict]) -> None:
    writer = csv.DictWriter(stream, fieldnames=list(fieldnames), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


def write_json(stream: TextIO, data: object) -> None:
    json.dump(data, stream, indent=2)
    stream.write("\n")


@contextmanager
def open_output(path: Path | None, csv_for_excel: bool = False) -> Iterator[Out]:
    """stdout, or FILE written atomically (temporary file in FILE's folder, renamed on success).

    A file gets owner-only permissions (tax data is personal). An existing symbolic link at FILE is
    replaced, never followed. ``csv_for_excel`` writes a UTF-8 byte-order mark so that Excel shows
    "§" and "—" correctly when the file is opened by double-click."""
    if path is None:
        yield Out(sys.stdout, sys.stdout.isatty())
        sys.stdout.flush()
        return
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise fail(f"--output {path} is a folder; give a file name")
    if not parent.is_dir():
        raise fail(f"--output {path}: folder {parent} does not exist")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror}", EXIT_FAILED) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig" if csv_for_excel else "utf-8", newline="") as handle:
            yield Out(handle, False)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        if isinstance(exc, OSError):
            raise fail(f"cannot write {path}: {exc.strerror or exc}", EXIT_FAILED) from None
        raise


def emit(out_path: Path | None, fmt: OutputFormat, *, columns: Sequence[Column] = (), rows: Sequence[dict] = (),
         title: str | None = None, json_data: object = None, fieldnames: Sequence[str] | None = None) -> None:
    """Print one table in the chosen format: text (aligned / rich), csv (``fieldnames`` = the dict keys)
    or json (``json_data``, default: the rows)."""
    keys = list(fieldnames or (rows[0].keys() if rows else [c.heading for c in columns]))
    with open_output(out_path, csv_for_excel=fmt is OutputFormat.csv) as out:
        if fmt is OutputFormat.json:
            write_json(out.stream, rows if json_data is None else json_data)
        elif fmt is OutputFormat.csv:
            write_csv(out.stream, keys, rows)
        else:
            out.table(title, columns, [[row.get(key, "") for key in keys] for row in rows])


# --- account objects as rows ----------------------------------------------------------------

# Items of a list of objects are named by the first of these keys they carry (else by position).
ITEM_KEYS = ("property_id", "loan_id", "activity_code", "account_id", "origin_year", "installment", "line")


def flatten(value: object, prefix: str = "") -> list[tuple[str, object]]:
    """Every scalar of a JSON-like value as (dotted key, value), in document order.

    Driven by the data, not by a list of lines: a key the engine adds appears without code here;
    an absent or ``null`` object (a form not on this return) yields nothing."""
    if value is None:
        return []
    if isinstance(value, dict):
        pairs: list[tuple[str, object]] = []
        for key, item in value.items():
            pairs += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(value, list):
        pairs = []
        for position, item in enumerate(value, start=1):
            name = str(position)
            if isinstance(item, dict):
                ids = [str(item[key]) for key in ITEM_KEYS if item.get(key) not in (None, "")]
                if ids:
                    name = ids[0] if "kind" not in item else f"{item['kind']}.{ids[0]}"
            pairs += flatten(item, f"{prefix}.{name}" if prefix else name)
        return pairs
    return [(prefix, value)]


def lookup(data: dict, path: str) -> object:
    """The value at a dotted path of nested dicts, or None when any step is absent or null."""
    node: object = data
    for step in path.split("."):
        if not isinstance(node, dict) or node.get(step) is None:
            return None
        node = node[step]
    return node
