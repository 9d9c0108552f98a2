"""Worker processes that die with their parent.

A killed `udfi prepare` (kill -9, OOM killer) must not leave workers writing into OUT while a
`--resume` starts: on Linux every worker asks the kernel for SIGKILL when its parent exits
(`prctl(PR_SET_PDEATHSIG)`, through ctypes); elsewhere a watchdog thread polls the parent pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 0.5
# A worker allocates a few hundred thousand short-lived dicts and lists per chunk (derivations, XML
# elements) that reference counting frees; at Python's default threshold (700) the cyclic collector
# ran ~800 times a run and took ~9% of the worker's CPU. Collections every 20,000 allocations keep
# what a rare cycle holds small and cost ~1%.
WORKER_GC_THRESHOLD = (20_000, 20, 20)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    # fork: workers start instantly and share the imported modules; the book itself is never
    # inherited — each task carries its own slice.
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def _set_parent_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watchdog(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(WATCHDOG_SECONDS)


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: be killed when the parent dies (or notice it within half a second)."""
    if not _set_parent_death_signal():
        threading.Thread(target=_watchdog, args=(parent_pid,), daemon=True, name="udfi-watchdog").start()
    # The parent may have died between fork and prctl: then nobody would send the signal.
    if os.getppid() != parent_pid:
        os._exit(1)
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def collecting_seldom():
    """This process collects cycles every WORKER_GC_THRESHOLD allocations while the block runs (the
    run's main process: unpickling chunk results, the reports; with --jobs 1 the chunks too)."""
    before = gc.get_threshold()
    gc.set_threshold(*WORKER_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def start_worker(parent_pid: int) -> None:
    """Worker initializer: die with the parent; collect cycles seldom (WORKER_GC_THRESHOLD), and never
    traverse what the fork inherited (frozen: the collector would also touch every inherited page)."""
    die_with_parent(parent_pid)
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLD)


def _fill_caches(tax_year: int) -> None:
    """What every worker's first chunk would otherwise load: the year's parameters, due dates (the
    holiday calendar), form layouts, e-file map and reference, the assumptions, the explain and
    e-file modules. Only caches are filled: a step that fails is left for the chunk to meet."""
    def steps():
        from udfi import parameters  # noqa: PLC0415
        from udfi.engine import calendar  # noqa: PLC0415

        yield lambda: parameters.for_year(tax_year)
        yield lambda: (calendar.return_due_date(tax_year), calendar.extended_due_date(tax_year),
                       calendar.estimated_tax_due_dates(tax_year + 1))
        from udfi.diagnostics.assumptions import assumptions  # noqa: PLC0415
        from udfi.diagnostics.topics import in_year  # noqa: PLC0415

        yield assumptions
        yield lambda: in_year("form_990t.part_i.1", tax_year)
        from udfi.efile import data as efile_data  # noqa: PLC0415
        import udfi.efile.returns  # noqa: F401, PLC0415
        import udfi.explain  # noqa: F401, PLC0415

        yield lambda: efile_data.element_map(tax_year)
        yield lambda: efile_data.reference(tax_year)
        yield efile_data._types
        yield efile_data._versions
        from udfi.forms.layouts import layout_years, load_layout  # noqa: PLC0415

        for form in ("f990t", "f990tsa"):
            if tax_year in layout_years(form):
                yield lambda form=form: load_layout(form, tax_year)

    try:
        for step in steps():
            try:
                step()
            except Exception:  # noqa: BLE001 — the chunk meets (and reports) it for its accounts
                pass
    except Exception:  # noqa: BLE001 — an import that fails: likewise
        pass


def warm_up(tax_year: int | None = None) -> int:
    """A worker's first task: fill its caches while this process still validates the book (the
    workers idle then), so that the first chunks do not pay for them."""
    if tax_year is not None:
        _fill_caches(tax_year)
        gc.freeze()  # the caches live as long as the worker
    return os.getpid()


def new_pool(jobs: int, tax_year: int | None = None) -> ProcessPoolExecutor:
    """A pool of `jobs` workers that die with this process; started at once (forked while small),
    each warmed up for `tax_year` (one warm-up task per worker; a worker may take two)."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context(), initializer=start_worker,
                               initargs=(os.getpid(),))
    for _ in range(jobs if tax_year is not None else 1):
        pool.submit(warm_up, tax_year)
    return pool
