"""`udfi prepare --cluster`: the chunks on a Dask LocalCluster of 2 worker processes write every byte the
built-in process pool writes (packages, summary.csv/.xlsx, exceptions.csv/.xlsx, manifest.json save its
`created` time), with the same isolation (a bad account, a dying worker), manifest and `--resume`; a
worker running another udfi is refused; without Dask, `--cluster` is a clear usage error."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

distributed = pytest.importorskip("distributed")  # the `dask` extra (in `dev`, so `make test` has it)

import cloudpickle  # noqa: E402
import dask  # noqa: E402

from udfi.batch import cluster as batch_cluster, package as batch_package  # noqa: E402
from udfi.batch.package import run_chunk_safely  # noqa: E402
from udfi.batch.run import PREPARE, PrepareError, PrepareOptions, prepare  # noqa: E402
from udfi.cli import app  # noqa: E402
from udfi.forms.blanks import find_blanks  # noqa: E402
from udfi.synth import synth  # noqa: E402

YEAR = 2022
REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "fixtures" / "sample"
TIMESTAMP = "2023-03-01T09:00:00-05:00"  # ReturnTs pinned: two runs' 990-T.xml are then the same bytes
# The one manifest field that differs between two runs of the same book: when the run happened.
RUN_TIME_FIELDS = ("created",)

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module


def _forms_dir() -> Path | None:
    configured = os.environ.get("UDFI_FORMS_DIR") or str(REPO.parent / "shared" / "irs-forms")
    return Path(configured) if find_blanks(YEAR, Path(configured)) else None


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def scheduler():
    """A LocalCluster of 2 single-threaded worker processes reached by its tcp:// address, as a custodian
    reaches a cluster started with `dask scheduler` / `dask worker` (loopback only)."""
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                           dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _book(tmp_path: Path, source: Path | None = None, accounts: int = 0, broken: int = 0) -> Path:
    book = tmp_path / "book"
    if source is not None:
        shutil.copytree(source, book)
    else:
        synth(accounts, "2020-2025", 23, book, broken=broken)
    with open(book / "custodian.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"\nreturn_timestamp: {TIMESTAMP}\n")
    return book


def _files(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file() and path.name not in ("manifest.json", ".udfi.lock")}


def _manifest(out: Path) -> dict:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name in RUN_TIME_FIELDS:
        manifest.pop(name)
    return manifest


def _same_output(pool_out: Path, cluster_out: Path) -> dict[str, bytes]:
    pool_files, cluster_files = _files(pool_out), _files(cluster_out)
    assert sorted(cluster_files) == sorted(pool_files)
    for name, data in pool_files.items():
        assert cluster_files[name] == data, f"{name} differs between the process pool and the cluster"
    assert _manifest(cluster_out) == _manifest(pool_out)
    # …and the manifest's bytes too, once its run time is set aside.
    pool_text = (pool_out / "manifest.json").read_text(encoding="utf-8").splitlines()
    cluster_text = (cluster_out / "manifest.json").read_text(encoding="utf-8").splitlines()
    assert [line for line in cluster_text if '"created"' not in line] == \
        [line for line in pool_text if '"created"' not in line]
    return pool_files


def _prepare(book: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["prepare", str(book), "--year", str(YEAR), "--out", str(out), "--quiet",
                                      *extra])
    return result.exit_code, result.output


def test_the_cluster_writes_the_bytes_of_the_process_pool_pdfs_included(tmp_path: Path, scheduler: str):
    """The sample book, whole packages: 990-T.pdf (when the blanks are here), statements.pdf, return.json,
    990-T.xml."""
    book = _book(tmp_path, SAMPLE)
    forms = _forms_dir()
    extra = ["--forms-dir", str(forms)] if forms else []
    assert _prepare(book, tmp_path / "pool", "--jobs", "2", *extra)[0] == 0
    code, output = _prepare(book, tmp_path / "cluster", "--cluster", scheduler, *extra)
    assert code == 0, output
    files = _same_output(tmp_path / "pool", tmp_path / "cluster")
    names = {name.rsplit("/", 1)[-1] for name in files}
    assert {"statements.pdf", "return.json", "990-T.xml", "summary.csv", "summary.xlsx", "exceptions.csv",
            "exceptions.xlsx"} <= names
    if forms:
        assert "990-T.pdf" in names
    if batch_package._attachments_module() is not None:
        assert "letter.pdf" in names
    # Written by this process, with the pool's modes: owner-only files and folders.
    for path in (tmp_path / "cluster").rglob("*"):
        assert path.stat().st_mode & 0o077 == 0, path


def test_local_n_starts_its_own_cluster_and_bad_accounts_go_to_exceptions_as_in_the_pool(tmp_path: Path):
    """`--cluster local:1` (a LocalCluster started and stopped by the run); 6 synthetic accounts, 2 of them
    broken (validation exceptions), --only json,xml --all."""
    book = _book(tmp_path, accounts=6, broken=2)
    extra = ("--only", "json,xml", "--all")
    pool_code, _ = _prepare(book, tmp_path / "pool", "--jobs", "2", *extra)
    cluster_code, output = _prepare(book, tmp_path / "cluster", "--cluster", "local:1", *extra)
    assert pool_code == cluster_code == 3, output
    files = _same_output(tmp_path / "pool", tmp_path / "cluster")
    exceptions = files["exceptions.csv"].decode("utf-8-sig").splitlines()
    assert len({line.split(",")[1] for line in exceptions[1:]}) == 2  # the two broken accounts, by id
    assert sum(name.endswith("/990-T.xml") for name in files) == 4


def _dies_on_the_second_account(job):
    """A chunk whose worker process dies (as in a segfault) when it holds the book's second account."""
    if "A00002" in job.account_ids:
        os._exit(1)
    return run_chunk_safely(job)


def test_a_worker_that_dies_takes_only_its_own_account_and_resume_completes(tmp_path: Path, scheduler: str):
    book = _book(tmp_path, accounts=6)
    out = tmp_path / "out"
    options = PrepareOptions(book=book, tax_year=YEAR, out=out, jobs=2, all_accounts=True, parts=("json", "xml"),
                             chunk_size=2, cluster=scheduler)
    outcome = prepare(options, echo=lambda text: None, kind=replace(PREPARE, chunk=_dies_on_the_second_account))
    assert outcome.exit_code == 3 and outcome.exceptions == 1 and outcome.packages == 5
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    lost = manifest["accounts"]["A00002"]
    assert lost["status"] == "exception" and lost["exceptions"][0]["stage"] == "worker"
    assert "Dask worker died" in lost["exceptions"][0]["problem"]
    assert not (out / "A00002" / str(YEAR) / "return.json").exists()

    # The account fixed (here: the real chunk worker), --resume redoes that account only — on the
    # built-in pool: a manifest written through the cluster is the pool's manifest.
    again = prepare(replace(options, resume=True, cluster=None), echo=lambda text: None)
    assert again.exit_code == 0 and again.skipped == 5 and again.packages == 1
    assert (out / "A00002" / str(YEAR) / "return.json").is_file()
    # and back on the cluster, nothing is left to do.
    last = prepare(replace(options, resume=True), echo=lambda text: None)
    assert last.exit_code == 0 and last.skipped == 6 and last.packages == 0


def test_a_worker_running_another_udfi_is_refused_before_any_account(tmp_path: Path, scheduler: str, monkeypatch):
    real = batch_cluster.client_identity
    monkeypatch.setattr(batch_cluster, "client_identity", lambda years: {**real(years), "udfi": "9.9.9"})
    out = tmp_path / "out"
    with pytest.raises(PrepareError) as refused:
        prepare(PrepareOptions(book=_book(tmp_path, accounts=2), tax_year=YEAR, out=out, parts=("json",),
                               cluster=scheduler), echo=lambda text: None)
    assert refused.value.exit_code == 2
    message = str(refused.value)
    assert "2 worker(s) differ" in message and "udfi: 0.1.0 (here 9.9.9)" in message and "nothing was prepared" in message
    assert not out.exists()


def test_worker_identity_names_what_differs():
    identity = batch_cluster.worker_identity((YEAR,))
    assert identity["parameters"][str(YEAR)] and len(identity["code"]) == 64
    assert batch_cluster.identity_differences(identity, identity) == []
    other = {**identity, "code": "0" * 64, "libraries": {**identity["libraries"], "reportlab": "1.0"}}
    differences = batch_cluster.identity_differences(identity, other)
    assert any("another build of udfi" in text for text in differences)
    assert any(text.startswith("libraries reportlab: 1.0") for text in differences)


@pytest.mark.parametrize("address, expected", [("local:3", 3), ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
                                               ("sched:8786", "sched:8786")])
def test_addresses(address, expected):
    assert batch_cluster.parse_address(address) == expected


@pytest.mark.parametrize("address", ["local:0", "local:two", "http://host:8786", "host:"])
def test_bad_addresses_are_usage_errors(address, tmp_path: Path):
    code, output = _prepare(SAMPLE, tmp_path / "out", "--only", "json", "--cluster", address)
    assert code == 2 and "--cluster" in output and "Traceback" not in output
    assert not (tmp_path / "out").exists()


def test_no_scheduler_there_is_a_clear_usage_error(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(batch_cluster, "CONNECT_SECONDS", 1)
    code, output = _prepare(SAMPLE, tmp_path / "out", "--only", "json", "--cluster", "tcp://127.0.0.1:9")
    assert code == 2 and "cannot reach the Dask scheduler" in output and "dask scheduler" in output
    assert not (tmp_path / "out").exists()


def test_without_dask_cluster_names_the_pip_command(tmp_path: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if `udfi[dask]` were not installed
    code, output = _prepare(SAMPLE, tmp_path / "out", "--only", "json", "--cluster", "local:2")
    assert code == 2 and "pip install 'udfi[dask]'" in output and "Traceback" not in output


def test_the_default_install_never_imports_dask():
    probe = ("import sys, udfi.cli, udfi.batch.run, udfi.batch.package, udfi.batch.cluster; "
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
