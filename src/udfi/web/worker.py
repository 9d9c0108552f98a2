"""The work on an uploaded book, in a child process: the server can then stop it at the time limit
(a thread cannot be killed) and cap its memory, and a crash in it cannot take the server down.

Children come from a multiprocessing fork server whose process has already imported and warmed up
udfi (`udfi.web.warm`), so a job starts in milliseconds instead of paying the imports every time.
The fork server is a fresh interpreter, never a fork of the threaded web server. Modes:
  check-json  the document `udfi check BOOK --year YEAR --format json` prints (the command itself runs,
              in the child), or the problems that stopped it;
  page        everything the "Check a year" page shows: problems, per account the plain-words answer,
              the figures and their derivations;
  package     `udfi prepare BOOK --year YEAR --out OUT` (jobs=1): the filing packages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import multiprocessing
import os
import threading
from pathlib import Path

EXPLAINED_ACCOUNTS = 50  # derivations sent for at most this many accounts (the page is for an investor's book)
_CONTEXT_LOCK = threading.Lock()
_CONTEXT = None


class WorkerError(RuntimeError):
    """The child failed or ran out of time; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 500):
        super().__init__(message)
        self.status = status


def _context():
    global _CONTEXT
    with _CONTEXT_LOCK:
        if _CONTEXT is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                context.set_forkserver_preload(["udfi.web.warm"])
            _CONTEXT = context
        return _CONTEXT


def _nothing() -> None:
    """A job that does nothing: starting it starts (and warms) the fork server."""


def prewarm() -> None:
    """Start the fork server now (it imports and warms udfi), so the first upload does not wait for it."""
    process = _context().Process(target=_nothing, daemon=True, name="udfi-web-prewarm")
    process.start()
    process.join(300)


def run_worker(mode: str, book: Path, year: int, timeout: float, memory_mb: int | None = None,
               out: Path | None = None) -> dict:
    """Run MODE in a child process and return its document. Raises WorkerError on a timeout or crash."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, mode, str(book), year, memory_mb, out and str(out)),
                              daemon=True, name=f"udfi-web-{mode}")
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise WorkerError(f"the book took longer than the time limit of {timeout:g} s; nothing was kept. A book "
                              "this large is better checked with `udfi check` on the command line.", 503)
        try:
            outcome = receiver.recv()
        except EOFError as exc:  # the child died without answering (killed, out of memory)
            raise WorkerError("the check stopped unexpectedly (the worker process ended without an answer)") from exc
    finally:
        if process.is_alive():
            process.kill()
        process.join(10)
        receiver.close()
    if "crash" in outcome:
        if outcome["crash"].startswith("MemoryError"):
            raise WorkerError("the book needs more memory than the server allows for one upload; check it with "
                              "`udfi check` on the command line", 503)
        raise WorkerError(f"the check stopped unexpectedly ({outcome['crash'][:200]})", 500)
    return outcome["document"]


# ------------------------------------------------------------------------------------------------
# In the child
# ------------------------------------------------------------------------------------------------

def _limit_memory(megabytes: int | None) -> None:
    if not megabytes:
        return
    import resource  # noqa: PLC0415 — POSIX only

    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(sender, mode: str, book: str, year: int, memory_mb: int | None, out: str | None) -> None:
    """In the child: run the mode, send {"document": …} or {"crash": "Type: message"}; never a traceback."""
    try:
        _limit_memory(memory_mb)
        if mode == "check-json":
            document = check_json(Path(book), year)
        elif mode == "page":
            document = page_model(Path(book), year)
        elif mode == "package":
            document = package(Path(book), year, Path(out))
        else:
            raise ValueError(f"unknown mode {mode!r}")
        sender.send({"document": document})
    except BaseException as exc:  # noqa: BLE001 — reported to the server as one line
        text = str(exc).strip().splitlines()
        sender.send({"crash": f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")})
    finally:
        sender.close()


def _read_problems(book: Path) -> dict:
    """Validation only: for a book that stopped before any account was computed."""
    from udfi.validate import BookReadError, validate_book  # noqa: PLC0415

    try:
        report = validate_book(book)
    except BookReadError as exc:
        return {"error": str(exc).replace(str(book.parent) + os.sep, ""), "problems": []}
    return {"error": "the book cannot be computed: fix the problems below",
            "problems": [problem.as_dict() for problem in report.problems]}


EXIT_INVALID = 1  # udfi.cli.common: the input has errors


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
    if errors and code != EXIT_INVALID:  # a usage error (e.g. no parameters for the year): its one line
        return {"exit_code": code, "error": errors[0].replace(str(book.parent) + os.sep, ""), "problems": []}
    return {"exit_code": code, **_read_problems(book)}  # the book has errors: list them


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
        # nothing to compute when every account has errors (the engine expects at least one account)
        results = compute_book(report.book.for_accounts(clean), year) if clean else []
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
