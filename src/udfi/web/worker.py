"""The work on an uploaded book, in a child process: the server can then stop it at the time limit
(a thread cannot be killed) and cap its memory, and a crash in it cannot take the server down.

    python -m udfi.web.worker MODE BOOK YEAR [OUT]

prints one JSON document on stdout. Modes:
  check-json  the document `udfi check BOOK --year YEAR --format json` prints (the command itself runs,
              in this process), or the problems that stopped it;
  page        everything the "Check a year" page shows: problems, per account the plain-words answer,
              the figures and their derivations;
  package     `udfi prepare BOOK --year YEAR --out OUT` (jobs=1): the filing packages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import subprocess
import sys
from pathlib import Path

MEMORY_ENV = "UDFI_WEB_WORKER_MEMORY_MB"
EXPLAINED_ACCOUNTS = 50  # derivations sent for at most this many accounts (the page is for an investor's book)


class WorkerError(RuntimeError):
    """The child failed or ran out of time; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.status = status


def run_worker(mode: str, book: Path, year: int, timeout: float, memory_mb: int | None = None,
               out: Path | None = None) -> dict:
    """Run MODE in a child process and return its document. Raises WorkerError on a timeout or crash."""
    command = [sys.executable, "-m", "udfi.web.worker", mode, str(book), str(year)] + ([str(out)] if out else [])
    environment = dict(os.environ)
    if memory_mb:
        environment[MEMORY_ENV] = str(memory_mb)
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, env=environment, check=False,
                              cwd=book.parent)
    except subprocess.TimeoutExpired as exc:  # subprocess.run has killed the child
        raise WorkerError(f"the book took longer than the time limit of {timeout:g} s; nothing was kept. A book "
                          "this large is better checked with `udfi check` on the command line.", 503) from exc
    if done.returncode != 0 or not done.stdout.strip():
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        if "MemoryError" in last[0]:
            raise WorkerError("the book needs more memory than the server allows for one upload; check it with "
                              "`udfi check` on the command line", 503)
        raise WorkerError(f"the check stopped unexpectedly ({last[0][:200]})", 500)
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------------------------
# In the child
# ------------------------------------------------------------------------------------------------

def _limit_memory() -> None:
    megabytes = os.environ.get(MEMORY_ENV)
    if not megabytes:
        return
    import resource  # noqa: PLC0415 — POSIX only

    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _read_problems(book: Path) -> dict:
    """Validation only: for a book that stopped before any account was computed."""
    from udfi.validate import BookReadError, validate_book  # noqa: PLC0415

    try:
        report = validate_book(book)
    except BookReadError as exc:
        return {"error": str(exc).replace(str(book.parent) + os.sep, ""), "problems": []}
    return {"error": "the book cannot be computed: fix the problems below",
            "problems": [problem.as_dict() for problem in report.problems]}


def check_json(book: Path, year: int) -> dict:
    """Run `udfi check BOOK --year YEAR --format json` in this process; its document, or why there is none."""
    from udfi.cli import app  # noqa: PLC0415

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = app(["check", str(book), "--year", str(year), "--format", "json"], prog_name="udfi",
                       standalone_mode=False)
        except SystemExit as exc:  # a command that exits through sys.exit
            code = exc.code
    text = out.getvalue()
    if text.strip():
        return {"exit_code": code or 0, "document": json.loads(text)}
    message = err.getvalue().strip().splitlines()
    errors = [line.removeprefix("error: ") for line in message if line.startswith("error: ")]
    if errors:
        return {"exit_code": code, "error": errors[0].replace(str(book.parent) + os.sep, ""), "problems": []}
    return {"exit_code": code, **_read_problems(book)}


def page_model(book: Path, year: int) -> dict:
    """What the Check-a-year page shows."""
    from udfi import plain_words  # noqa: PLC0415
    from udfi.engine.compute import compute_book  # noqa: PLC0415
    from udfi.engine.report import account_object  # noqa: PLC0415
    from udfi.explain import derivations  # noqa: PLC0415
    from udfi.parameters import MissingParameterError  # noqa: PLC0415
    from udfi.validate import BookReadError, validate_book  # noqa: PLC0415
    from udfi.web.figures import explained_subset  # noqa: PLC0415

    try:
        report = validate_book(book)
    except BookReadError as exc:
        return {"error": str(exc).replace(str(book.parent) + os.sep, ""), "problems": [], "accounts": []}
    problems = [problem.as_dict() for problem in report.problems]
    if report.book_wide_errors or report.book is None:
        return {"error": "the book cannot be computed: fix the problems below", "problems": problems,
                "accounts": []}
    clean = set(report.book.accounts["account_id"]) - report.accounts_with_errors
    try:
        results = compute_book(report.book.for_accounts(clean), year)
    except MissingParameterError as exc:
        return {"error": str(exc), "problems": problems, "accounts": []}
    accounts = []
    for index, result in enumerate(results):
        data = account_object(result)
        explained = []
        if index < EXPLAINED_ACCOUNTS:
            explained = explained_subset(data, derivations(result, report.book, data))
        accounts.append({"status": "file" if result.must_file else "not_required",
                         "plain": dataclasses.asdict(plain_words.answer(result)), "figures": data,
                         "explained": explained})
    not_checked = []
    for account_id in sorted(report.accounts_with_errors):
        first = next(problem for problem in report.errors if problem.account_id == account_id)
        not_checked.append({"account_id": account_id, "problem": first.as_dict(),
                            "count": sum(1 for problem in report.errors if problem.account_id == account_id)})
    return {"error": None, "problems": problems, "accounts": accounts, "not_checked": not_checked,
            "explained_accounts": min(len(accounts), EXPLAINED_ACCOUNTS)}


def package(book: Path, year: int, out: Path) -> dict:
    """`udfi prepare` into OUT, one process (the child is the time-limited unit)."""
    from udfi.batch.run import PrepareError, PrepareOptions, prepare  # noqa: PLC0415

    messages: list[str] = []
    try:
        outcome = prepare(PrepareOptions(book=book, tax_year=year, out=out, jobs=1), echo=messages.append,
                          progress_stream=io.StringIO(), interactive=False)
    except PrepareError as exc:
        return {"error": str(exc).replace(str(book.parent) + os.sep, ""), "messages": messages}
    return {"error": None, "exit_code": outcome.exit_code, "packages": outcome.packages,
            "missing_blanks": outcome.missing_blanks, "messages": messages}


def main(argv: list[str]) -> int:
    _limit_memory()
    mode, book, year = argv[1], Path(argv[2]), int(argv[3])
    if mode == "check-json":
        document = check_json(book, year)
    elif mode == "page":
        document = page_model(book, year)
    elif mode == "package":
        document = package(book, year, Path(argv[4]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    sys.stdout.write(json.dumps(document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
