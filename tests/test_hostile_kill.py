"""kill -9 of `udfi prepare` mid-batch: its workers die with it (PR_SET_PDEATHSIG), the lock it left is
stale and taken over, and `--resume` then produces a consistent OUT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostile_helpers import assert_consistent_out
from udfi.batch import package as batch_package
from udfi.batch.run import PrepareOptions, prepare
from udfi.synth import synth

YEAR = 2022
BOUND = 10.0  # seconds: how long the kernel may take to deliver the death signal and reap


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG and /proc are Linux's")
def test_kill_9_takes_the_workers_and_resume_completes(tmp_path, monkeypatch):
    book, out, forms = tmp_path / "book", tmp_path / "out", tmp_path / "forms"
    forms.mkdir()
    synth(16, "2020-2023", 11, book)
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    environment.pop("UDFI_FORMS_DIR", None)
    # statements.pdf (≈0.7 s of CPU an account) makes the batch last long enough to be killed mid-way
    process = subprocess.Popen([sys.executable, "-c", "from udfi.cli import main; main()", "prepare", str(book), "--year", str(YEAR),
                                "--out", str(out), "--jobs", "2", "--all", "--forms-dir", str(forms)],
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and process.poll() is None:
            workers |= _children(process.pid)
            if workers and any(out.glob(f"*/{YEAR}/return.json")):
                break
            time.sleep(0.1)
        assert process.poll() is None, "the batch ended before it could be killed"
        assert len(workers) >= 2, workers
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=BOUND)
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
            time.sleep(0.05)
        assert not [pid for pid in workers if _alive(pid)], "workers outlived their parent"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in _children(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    assert (out / ".udfi.lock").exists()  # left by the killed run, stale now

    monkeypatch.setattr(batch_package, "_statements_module", lambda: None)
    monkeypatch.delenv("UDFI_FORMS_DIR", raising=False)
    messages = []
    outcome = prepare(PrepareOptions(book=book, tax_year=YEAR, out=out, jobs=1, forms_dir=forms, all_accounts=True,
                                     resume=True), echo=messages.append)
    assert outcome.exit_code in (0, 3)
    assert any("took over the lock" in message for message in messages), messages
    reports = assert_consistent_out(out)
    assert len(reports["summary"]) == 16
