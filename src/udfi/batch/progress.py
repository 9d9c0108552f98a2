"""Progress of the batch: a rich bar on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from collections import defaultdict

from udfi.batch.records import AccountRecord


class Progress:
    """A rich progress bar on a terminal; a plain line every few seconds otherwise."""

    def __init__(self, total: int, stream=None, interactive: bool | None = None, every: float = 5.0):
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = defaultdict(int)
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.every = every
        self.started = time.perf_counter()
        self.last = self.started
        self._bar = None
        self._task = None

    def __enter__(self) -> "Progress":
        if self.interactive and self.total:
            from rich.console import Console  # noqa: PLC0415
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn,
                                       TimeElapsedColumn, TimeRemainingColumn)

            self._bar = RichProgress(TextColumn("preparing"), BarColumn(), MofNCompleteColumn(),
                                     TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("ETA"),
                                     TimeRemainingColumn(), console=Console(file=self.stream), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("prepare", total=self.total, counts=self._counts_text())
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def _counts_text(self) -> str:
        return (f"{self.counts['file']} to file, {self.counts['not_required']} not required, "
                f"{self.counts['exception']} exceptions, {self.counts['skipped']} skipped")

    def advance(self, records: list[AccountRecord]) -> None:
        for record in records:
            self.counts[record.status] += 1
            if record.skipped:
                self.counts["skipped"] += 1
        self.done += len(records)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, counts=self._counts_text())
            return
        now = time.perf_counter()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            elapsed = now - self.started
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate > 0 else 0.0
            percent = 100 * self.done / self.total if self.total else 100
            print(f"prepare: {self.done}/{self.total} accounts ({percent:.0f}%), {self._counts_text()}; "
                  f"{elapsed:.0f} s elapsed, ETA {eta:.0f} s", file=self.stream, flush=True)
