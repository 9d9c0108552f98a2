"""One run at a time per output folder: `OUT/.udfi.lock`, an flock held for the whole run, with the
owner's pid, host and start time written inside (for the message a second run prints).

The flock is the truth: it is released by the kernel when its holders are gone, however they died,
so a lock file left by a killed run is stale as soon as no process holds it and the next run takes it
over (saying so). Worker processes inherit the descriptor: while a killed run's workers are still
exiting, the folder stays locked.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import socket
from pathlib import Path

from udfi.batch.files import LOCK_FILE


class LockedError(Exception):
    """Another live run holds the output folder."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputLock:
    def __init__(self, out: Path, command: str = "udfi prepare"):
        self.path = Path(out) / LOCK_FILE
        self.command = command
        self.descriptor: int | None = None
        self.took_over: dict | None = None

    def acquire(self) -> "OutputLock":
        for _ in range(5):
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read(descriptor)
                os.close(descriptor)
                raise LockedError(self._held_message(holder)) from None
            # A run that just finished may have unlinked the file we opened: lock the current one.
            try:
                same = os.fstat(descriptor).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(descriptor)
                continue
            previous = _read(descriptor)
            if previous.get("pid") and previous.get("pid") != os.getpid():
                self.took_over = previous
            record = {"pid": os.getpid(), "host": socket.gethostname(), "command": self.command,
                      "started": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, (json.dumps(record) + "\n").encode("utf-8"), 0)
            os.fchmod(descriptor, 0o600)
            self.descriptor = descriptor
            return self
        raise LockedError(f"{self.path.parent}: could not take the lock {self.path.name} (it keeps changing)")

    def stale_message(self) -> str | None:
        if not self.took_over:
            return None
        pid = self.took_over.get("pid")
        return (f"{self.path.parent}: took over the lock of an earlier run (pid {pid}, started "
                f"{self.took_over.get('started', '?')}) that is no longer running")

    def _held_message(self, holder: dict) -> str:
        pid = holder.get("pid")
        where = self.path.parent
        if isinstance(pid, int) and not _alive(pid) and holder.get("host") in (None, socket.gethostname()):
            return (f"{where} is still locked by the worker processes of a run whose main process (pid {pid}) has "
                    "ended; they stop within seconds — try again")
        return (f"{where} is in use by another run ({holder.get('command', 'udfi')}, pid {pid or '?'} on "
                f"{holder.get('host', '?')}, started {holder.get('started', '?')}); wait for it to finish, or use "
                "another --out folder")

    def release(self) -> None:
        if self.descriptor is None:
            return
        try:
            os.unlink(self.path)
        except OSError:
            pass
        os.close(self.descriptor)
        self.descriptor = None

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read(descriptor: int) -> dict:
    try:
        data = os.pread(descriptor, 4096, 0)
        record = json.loads(data.decode("utf-8") or "{}")
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        return {}
