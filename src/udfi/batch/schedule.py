"""The chunks of a run on the workers (the process pool, a Dask cluster, or this process with
--jobs 1): a bounded window of chunks in flight, a chunk whose worker died redone account by account,
a systemic output error stopping further work."""

from __future__ import annotations

from collections import defaultdict, deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Iterator

from udfi.batch import package
from udfi.batch.cluster import WorkerLost, WorkerMismatch
from udfi.batch.files import Permissions
from udfi.batch.options import (EXIT_USAGE, MAX_CHUNK, MAX_CHUNK_PACKAGING, BatchKind, PrepareError, PrepareOptions,
                                PrepareOutcome, _parts)
from udfi.batch.package import ChunkJob
from udfi.batch.plan import _Plan
from udfi.batch.progress import Progress
from udfi.batch.records import RUN, WORKER, AccountRecord, ChunkResult, ExceptionRow, blank_summary, short_error
from udfi.batch.report_files import finish_warm_up
from udfi.batch.workers import new_pool
from udfi.engine.compute import Settings

def _chunks(items: list[str], size: int, jobs: int = 1, taper: bool = False) -> Iterator[list[str]]:
    """`items` in chunks of `size`; with `taper`, the chunks of the last two rounds shrink (to a quarter
    of `size` at least), so the workers finish together instead of one finishing a whole chunk alone."""
    start = 0
    floor = max(1, size // 4)
    while start < len(items):
        remaining = len(items) - start
        step = size
        if taper and remaining < 2 * jobs * size:
            step = max(floor, min(size, -(-remaining // (2 * jobs))))
        yield items[start:start + step]
        start += step


def _schedule(options: PrepareOptions, out: Path, permissions: Permissions, blanks, plan: _Plan, pool, jobs: int,
              outcome: PrepareOutcome, progress_stream, interactive, kind: BatchKind, custodian,
              timestamp: str | None) -> dict:
    """Chunks to the workers; a chunk whose worker died is redone one account at a time, alone, so the
    account that kills its worker is found and fails by itself. A systemic output error (disk full,
    read-only) stops further work; the accounts not done are reported as not prepared."""
    year = options.tax_year
    settings = Settings(activity_code=options.activity_code)
    # Chunks: big enough to amortize a compute call, small enough that filling and rendering a
    # chunk (~1.5 s per package) keeps both cores busy to the end and the progress bar moving.
    parts = _parts(options)
    renders = (blanks is not None and "pdf" in parts) or (bool({"statements", "attachments", "letter"} & set(parts))
                                                         and package._statements_module() is not None)
    limit = MAX_CHUNK_PACKAGING if renders else MAX_CHUNK
    todo = plan.todo
    size = options.chunk_size or max(1, min(limit, -(-len(todo) // (jobs * 4)) if todo else 1))
    stage_seconds = defaultdict(float)

    def job_for(chunk: list[str]) -> ChunkJob:
        return ChunkJob(plan.slicer.sub_book(chunk), year, out, settings, options.all_accounts, blanks,
                        options.flatten, chunk, custodian=custodian, timestamp=timestamp, permissions=permissions,
                        parts=parts, deliver=bool(options.cluster),
                        problems={account_id: plan.by_account.get(account_id, []) for account_id in chunk})

    with Progress(len(plan.account_ids), progress_stream, interactive) as bar:
        bar.advance(list(plan.records.values()))

        def collect(result: ChunkResult) -> None:
            for position, record in enumerate(result.records):
                if record.delivery is not None:  # from a cluster worker: this process writes OUT
                    record = result.records[position] = package.settle(
                        record, record.delivery.files, out, year, permissions, plan.account_rows.get(record.account_id))
                    record.delivery = None
                record.input_hash = plan.hashes.get(record.account_id, "")
                plan.records[record.account_id] = record
                if record.systemic and not outcome.stopped:
                    outcome.stopped = record.systemic
            for stage, seconds in result.seconds.items():
                stage_seconds[stage] += seconds
            bar.advance(result.records)

        queue = deque(_chunks(todo, size, jobs, taper=options.chunk_size is None and pool is not None))
        if pool is None:
            plan.fill_hashes()
            while queue and not outcome.stopped:
                collect(kind.chunk(job_for(queue.popleft())))
            return stage_seconds
        suspects: deque[list[str]] = deque()
        pending: dict[Future, list[str]] = {}
        solo: Future | None = None  # the suspect running alone
        window = jobs * 2  # slices in flight: bounded, so the whole book is never copied at once
        while (queue or suspects or pending) and not (outcome.stopped and not pending):
            if not outcome.stopped:
                if suspects:
                    if not pending:  # a suspect runs alone: if the worker dies, it is the culprit
                        chunk = suspects.popleft()
                        solo = pool.submit(kind.chunk, job_for(chunk))
                        pending[solo] = chunk
                else:
                    while queue and len(pending) < window:
                        chunk = queue.popleft()
                        pending[pool.submit(kind.chunk, job_for(chunk))] = chunk
            plan.fill_hashes()  # once, while the first chunks run (a no-op after)
            if not pending:
                continue
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                chunk = pending.pop(future)
                try:
                    collect(future.result())
                except WorkerMismatch as exc:  # a worker that joined later runs another udfi
                    outcome.stopped = str(exc)
                    collect(_worker_died(chunk, plan, exc, "the run stopped"))
                except (BrokenProcessPool, WorkerLost) as exc:
                    broken = True
                    if future is solo:
                        collect(_worker_died(chunk, plan, exc))
                    else:
                        suspects.extend([account_id] for account_id in chunk)
                except Exception as exc:  # noqa: BLE001 — e.g. a result that cannot be unpickled
                    collect(_worker_died(chunk, plan, exc))
            if broken:
                for future, chunk in list(pending.items()):
                    try:
                        collect(future.result())
                    except Exception:  # noqa: BLE001 — lost with the pool: redo alone
                        suspects.extend([account_id] for account_id in chunk)
                    del pending[future]
                pool = _renewed(pool, jobs)
        pool.shutdown(wait=True, cancel_futures=True)
    return stage_seconds


def _renewed(pool, jobs: int):
    """A pool after a worker died: the process pool is broken and replaced; a cluster goes on."""
    if hasattr(pool, "renewed"):
        return pool.renewed()
    pool.shutdown(wait=True, cancel_futures=True)
    finish_warm_up()
    return new_pool(jobs)


def _open_cluster(options: PrepareOptions):
    from udfi.batch.cluster import ClusterError, ClusterPool  # noqa: PLC0415 — dask only when asked for

    try:
        return ClusterPool(options.cluster)
    except ClusterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc


def _check_cluster(pool, plan: _Plan, blanks) -> int:
    """Refuse workers that would write other bytes; the chunks are sized for the cluster's threads."""
    from udfi.batch.cluster import ClusterError  # noqa: PLC0415

    try:
        pool.check_workers(tuple(int(year) for year in plan.fingerprints), blanks)
    except ClusterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    return pool.parallelism


def _worker_died(chunk: list[str], plan: _Plan, exc: BaseException,
                 what: str = "the worker process failed") -> ChunkResult:
    detail = f"{what}: {short_error(exc)}"
    return ChunkResult([AccountRecord(account_id, "exception",
                                      blank_summary(plan.account_rows.get(account_id, {}), "exception", detail),
                                      exceptions=[ExceptionRow(account_id, WORKER, detail)])
                        for account_id in chunk], {})


def _finish_unprepared(plan: _Plan, outcome: PrepareOutcome) -> None:
    """Accounts the run did not get to (it stopped) are listed as exceptions saying why."""
    if not outcome.stopped:
        return
    detail = f"not prepared: the run stopped ({outcome.stopped}); fix that and rerun with --resume"
    for account_id in plan.todo:
        if account_id not in plan.records:
            plan.records[account_id] = AccountRecord(
                account_id, "exception", blank_summary(plan.account_rows.get(account_id, {}), "exception", detail),
                exceptions=[ExceptionRow(account_id, RUN, detail)], input_hash=plan.hashes.get(account_id, ""))
