"""Worker processes that die with their parent.

A killed `udfi prepare` (kill -9, OOM killer) must not leave workers writing into OUT while a
`--resume` starts: on Linux every worker asks the kernel for SIGKILL when its parent exits
(`prctl(PR_SET_PDEATHSIG)`, through ctypes); elsewhere a watchdog thread polls the parent pid.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1
WATCHDOG_SECONDS = 0.5


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


def warm_up() -> int:
    return os.getpid()


def new_pool(jobs: int) -> ProcessPoolExecutor:
    """A pool of `jobs` workers that die with this process; started at once (forked while small)."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_mp_context(), initializer=die_with_parent,
                               initargs=(os.getpid(),))
    pool.submit(warm_up)
    return pool
