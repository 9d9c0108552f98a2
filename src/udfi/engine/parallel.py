"""Chunks of accounts computed in worker processes: `iter_compute_book(..., jobs=N)` (`udfi check`
and `udfi compute --jobs N`, issue #16).

The book is validated in this process; the workers are forked from it afterwards, so each inherits
the book, the chunk every row belongs to, the settings and the reduction (nothing of the book is
pickled). A worker computes one chunk of accounts, reduces each AccountYear with the caller's
function and sends back only the reductions, which are yielded in accounts.csv order; with
`jobs=1` (or no fork on this platform) the same units run in this process, so the values are the same.

Isolation, as `udfi prepare`'s (`isolate=True`): a chunk whose computation raises is redone account
by account in its worker and an account that fails yields an `AccountFailure` (stage "compute", the
message prepare writes); a worker that dies (a crash, the OOM killer) breaks the pool: the units in
flight are redone in a new pool, each alone and halved each time its worker dies again, until the
account that kills its worker fails by itself (stage "worker"). Without `isolate` the exception
propagates (a dead worker: `WorkerDied`).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import count as counter
from typing import Callable, Iterator

from udfi.background import Thread, on_a_thread
from udfi.batch.records import COMPUTE, WORKER, short_error
from udfi.batch.workers import start_worker
from udfi.engine import calendar
from udfi.engine.compute import AccountYear, Settings, compute_book

# Below this many accounts the book is computed in this process (a pool costs more than it saves:
# ≈ 0.3 s to start, against ≈ 0.3–0.5 ms an account).
PARALLEL_MIN_ACCOUNTS = 200
UNITS_PER_JOB = 4    # at least this many chunks per worker when the book is cut for workers
WINDOW_PER_JOB = 2   # units in flight per worker: enough to keep it busy, bounded so results never pile up


@dataclass(frozen=True)
class AccountFailure:
    """An account that could not be computed: `stage` "compute" (the engine or the reduction raised)
    or "worker" (the process computing it died); `problem` is the error's type and first line."""

    account_id: str
    stage: str
    problem: str


class WorkerDied(RuntimeError):
    """A worker process died while computing (only without `isolate`)."""


@dataclass
class Job:
    chunking: object   # engine.stream.Chunking
    tax_year: int
    settings: Settings | None
    keep_history: bool
    reduce: Callable[[AccountYear], object] | None
    isolate: bool


# What forked workers inherit: the jobs running in this process, by token (a worker reads its own).
_JOBS: dict[int, Job] = {}
_TOKENS = counter(1)

Unit = tuple[int, int, int]   # (chunk, first position in it, end position): a run of a chunk's accounts


def usable_cores() -> int:
    """The default number of workers: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run(job: Job, jobs: int) -> Iterator:
    """Every account's reduction (or AccountFailure), in accounts.csv order, from `jobs` workers."""
    token = next(_TOKENS)
    _JOBS[token] = job
    _warmed(job.tax_year)
    if jobs == 1 or len(job.chunking.accounts) < PARALLEL_MIN_ACCOUNTS or \
            "fork" not in multiprocessing.get_all_start_methods():
        return _in_process(token, job)
    return _on_workers(token, job, jobs)


def _in_process(token: int, job: Job) -> Iterator:
    try:
        for chunk in range(job.chunking.count):
            yield from run_unit(token, chunk, 0, len(job.chunking.ids(chunk)))
    finally:
        _JOBS.pop(token, None)


def run_unit(token: int, chunk: int, start: int, stop: int) -> list:
    """In a worker (or this process): the reductions of accounts `start:stop` of `chunk`."""
    job = _JOBS[token]
    book = job.chunking.book(chunk)
    ids = job.chunking.ids(chunk)
    if (start, stop) != (0, len(ids)):
        book = book.for_accounts(ids[start:stop])
    reduce = job.reduce or (lambda result: result)

    def reduced(part) -> list:
        return [reduce(result) for result in compute_book(part, job.tax_year, job.settings,
                                                          keep_history=job.keep_history)]

    if not job.isolate:
        return reduced(book)
    try:
        return reduced(book)
    except Exception:  # noqa: BLE001 — isolated below, account by account
        pass
    outputs = []
    for account_id in ids[start:stop]:
        try:
            outputs.extend(reduced(book.for_accounts([account_id])))
        except Exception as exc:  # noqa: BLE001 — this account fails, the others go on
            outputs.append(AccountFailure(account_id, COMPUTE, short_error(exc)))
    return outputs


_WARMING: dict[int, Thread] = {}   # tax year → the thread filling its caches (`warm_caches_meanwhile`)


def warm_caches_meanwhile(tax_year: int) -> None:
    """Start filling the caches `run` fills before the workers fork (`_warm_caches`) on a thread of this
    process, to be done while the book is validated: importing the holiday calendars is Python work,
    much of validation is not (Arrow's parser, numpy), so the two share the time rather than add up."""
    if tax_year not in _WARMING:
        _WARMING[tax_year] = on_a_thread(_warm_caches, tax_year)


def _warmed(tax_year: int) -> None:
    """`warm_caches_meanwhile`'s thread done (before any fork: a thread does not survive one), then the
    caches filled (nothing left to do when it ran)."""
    thread = _WARMING.pop(tax_year, None)
    if thread is not None:
        thread.result()
    _warm_caches(tax_year)


def _warm_caches(tax_year: int) -> None:
    """What every worker would otherwise load for itself: the due dates' holiday calendars."""
    for step in (lambda: calendar.return_due_date(tax_year - 1), lambda: calendar.return_due_date(tax_year),
                 lambda: calendar.extended_due_date(tax_year), lambda: calendar.estimated_tax_due_dates(tax_year)):
        try:
            step()
        except Exception:  # noqa: BLE001 — the computation meets (and reports) it
            pass


def _new_pool(jobs: int) -> ProcessPoolExecutor:
    # Objects that exist now are never collected in the workers: their collector would otherwise
    # write into every page of the inherited book (copy on write) just to traverse it.
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                   initializer=start_worker, initargs=(os.getpid(),))
        pool.submit(os.getpid).result()   # fork every worker now, while the frozen state holds
    finally:
        gc.unfreeze()
    return pool


def _on_workers(token: int, job: Job, jobs: int) -> Iterator:
    chunking = job.chunking
    pool = _new_pool(jobs)
    sizes = [len(chunking.ids(chunk)) for chunk in range(chunking.count)]
    queue: deque[Unit] = deque((chunk, 0, size) for chunk, size in enumerate(sizes))
    suspects: deque[Unit] = deque()       # units to redo alone after a worker died
    pending: dict[Future, Unit] = {}
    solo: Future | None = None
    pieces: dict[int, dict[int, list]] = {}   # chunk → first position → outputs
    left = list(sizes)                      # accounts of each chunk not yet done
    window = jobs * WINDOW_PER_JOB
    following = 0                           # the next chunk to yield

    def settle(unit: Unit, outputs: list) -> None:
        chunk, start, stop = unit
        pieces.setdefault(chunk, {})[start] = outputs
        left[chunk] -= stop - start

    def lost(unit: Unit, exc: BaseException, alone: bool) -> None:
        """A unit whose worker died (or whose result did not arrive): redone alone, halved when it
        was alone already, until one account fails by itself."""
        if not job.isolate:
            raise WorkerDied(f"a worker process failed: {short_error(exc)}") from exc
        chunk, start, stop = unit
        if not alone:
            suspects.append(unit)
        elif stop - start > 1:
            middle = (start + stop) // 2
            suspects.extendleft([(chunk, middle, stop), (chunk, start, middle)])
        else:
            account_id = chunking.ids(chunk)[start]
            settle(unit, [AccountFailure(account_id, WORKER, f"the worker process failed: {short_error(exc)}")])

    try:
        while following < chunking.count:
            if suspects:
                if not pending:
                    unit = suspects.popleft()
                    solo = pool.submit(run_unit, token, *unit)
                    pending[solo] = unit
            else:
                while queue and len(pending) < window and queue[0][0] < following + window:
                    unit = queue.popleft()
                    pending[pool.submit(run_unit, token, *unit)] = unit
            if pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for future in done:
                    unit = pending.pop(future)
                    try:
                        settle(unit, future.result())
                    except BrokenProcessPool as exc:
                        broken = True
                        lost(unit, exc, future is solo)
                    except Exception as exc:  # noqa: BLE001 — e.g. a result that cannot be unpickled
                        if not job.isolate:
                            raise
                        lost(unit, exc, True)
                if broken:
                    for future, unit in list(pending.items()):
                        try:
                            settle(unit, future.result())
                        except Exception as exc:  # noqa: BLE001 — lost with the pool
                            lost(unit, exc, False)
                    pending.clear()
                    pool.shutdown(wait=True, cancel_futures=True)
                    pool = _new_pool(jobs)
            while following < chunking.count and left[following] == 0:
                outputs = pieces.pop(following)
                for start in sorted(outputs):
                    yield from outputs[start]
                following += 1
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOBS.pop(token, None)
