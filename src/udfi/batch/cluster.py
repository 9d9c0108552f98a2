"""`udfi prepare --cluster ADDRESS`: the batch's chunks on a Dask distributed cluster.

ADDRESS is a running scheduler (`tcp://host:8786`, `tls://…`) or `local:N`, a `distributed.LocalCluster`
of N single-threaded worker processes on this machine, listening on loopback only.

Where packages are written: workers write nothing. Each chunk's task returns every account's files as
bytes (`AccountRecord.delivery`) and this process — the one holding OUT's lock — writes them with the
same atomic, all-or-nothing, link-refusing writes as the built-in pool (`package.settle`). So OUT needs no
shared storage, a killed client leaves no worker writing into OUT, and the bytes are those of the pool.

What a worker needs: the same udfi (code, schemas, templates, parameters — checked by fingerprint), the same
versions of the libraries that shape the bytes, the DejaVu fonts of the statements (Debian packages of
scripts/system-deps.sh), and `udfi[dask]`. It needs no blanks: the run's official blanks are sent to every
worker once (scattered) and checked by SHA-256 there. A worker that differs is refused before any account
is prepared (exit 2, naming the worker and what differs); one that joins later and differs stops the run.

Isolation is the pool's: a task that fails for one account is that account's exception; a worker that dies
under a chunk (`KilledWorker`, or the worker leaving) is `WorkerLost`, and the runner redoes that chunk one
account at a time, alone, so the account that kills workers is found and fails by itself. On `local:N` the
scheduler gives up on a task at the first death (`allowed-failures` 0) — the runner does the retrying; a
remote scheduler keeps its own setting.

Dask is optional (`pip install 'udfi[dask]'`): nothing here imports it until a cluster is asked for.
"""

from __future__ import annotations

import concurrent.futures
import decimal
import functools
import hashlib
import logging
import os
import platform
import subprocess
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

import udfi
import udfi.money  # noqa: F401 — sets the Decimal precision of this thread, which the workers then get
from udfi import parameters as parameter_store
from udfi.resources import parameters_dir, schemas_dir, templates_dir

LOCAL_PREFIX = "local:"
INSTALL_HINT = "pip install 'udfi[dask]'"
CONNECT_SECONDS = 30
WORKERS_SECONDS = 60
# Libraries whose version can change an output byte (PDF writing, fonts, XML, frames, figures).
BYTE_LIBRARIES = ("reportlab", "rl_accel", "fonttools", "pdfrw", "lxml", "pandas", "numpy", "matplotlib", "pillow",
                  "jinja2", "pyyaml", "openpyxl")
STATEMENT_FONTS = ("DejaVu Sans", "DejaVu Sans:bold", "DejaVu Sans:oblique", "DejaVu Sans:bold:oblique")
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".xsd", ".html", ".css", ".j2", ".txt", ".csv", ".xsl")


class ClusterError(Exception):
    """The cluster cannot be used: Dask missing, no scheduler or worker, a worker that differs."""


class WorkerLost(Exception):
    """The worker running a chunk died or left (the chunk's accounts are redone one at a time)."""


class WorkerMismatch(Exception):
    """A worker's udfi, libraries or parameters are not this process's: its results are refused."""


# --------------------------------------------------------------------------------------------
# What a worker must share with the client
# --------------------------------------------------------------------------------------------


def _tree_digest(digest, root: Path, label: str) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix.lower() in CODE_SUFFIXES:
            digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 over udfi's code and data (package, parameters, schemas, templates): equal on two machines
    when they run the same udfi, whatever its version string says."""
    digest = hashlib.sha256()
    package = Path(udfi.__file__).resolve().parent
    _tree_digest(digest, package, "udfi")
    for label, folder in (("parameters", parameters_dir()), ("schemas", schemas_dir()),
                          ("templates", templates_dir())):
        if folder.is_dir() and package not in folder.resolve().parents:
            _tree_digest(digest, folder, label)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    from importlib import metadata  # noqa: PLC0415 — only a cluster run asks (~0.05 s of every start otherwise)

    versions = {}
    for name in BYTE_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _font_fingerprint() -> dict[str, str]:
    """The font file fontconfig gives each family of the statements, by content (name and hash)."""
    found = {}
    for family in STATEMENT_FONTS:
        try:
            path = subprocess.run(["fc-match", "-f", "%{file}", family], capture_output=True, text=True,
                                  timeout=10, check=False).stdout.strip()
            found[family] = f"{Path(path).name} {hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]}"
        except (OSError, subprocess.SubprocessError):
            found[family] = "not found"
    return found


@functools.lru_cache(maxsize=8)
def worker_identity(years: tuple[int, ...]) -> dict:
    """What decides the bytes a worker produces for these tax years (cached: computed once per process)."""
    from udfi.batch import package  # noqa: PLC0415

    fingerprints = {}
    for year in years:
        try:
            fingerprints[str(year)] = parameter_store.fingerprint(year)
        except parameter_store.MissingParameterError:
            fingerprints[str(year)] = "missing"
    return {"udfi": udfi.__version__, "code": code_fingerprint(), "python": ".".join(platform.python_version_tuple()[:2]),
            "parameters": fingerprints, "libraries": _library_versions(), "fonts": _font_fingerprint(),
            "statements": package._statements_module() is not None,
            "derivations": package._add_derivations() is not None}


def client_identity(years: tuple[int, ...]) -> dict:
    """This process's identity: what every worker must match."""
    return worker_identity(years)


def identity_differences(expected: dict, found: dict) -> list[str]:
    """What differs between the client's identity and a worker's, in words."""
    differences = []
    for key, want in expected.items():
        got = found.get(key)
        if isinstance(want, dict) and isinstance(got, dict):
            differences += [f"{key} {name}: {got.get(name, 'absent')} (here {value})"
                            for name, value in want.items() if got.get(name) != value]
        elif got != want:
            if key == "code":
                differences.append(f"udfi code {str(got)[:12]} (here {want[:12]}: another build of udfi)")
            else:
                differences.append(f"{key}: {got} (here {want})")
    return differences


# --------------------------------------------------------------------------------------------
# On the worker
# --------------------------------------------------------------------------------------------

_BLANKS: dict[str, Path] = {}
_BLANKS_LOCK = threading.Lock()


def _local_blanks(blanks, payload: dict[str, bytes]):
    """The run's blanks on this worker: written once into a private temporary folder, checked by hash."""
    from udfi.forms.blanks import BlankSet  # noqa: PLC0415

    key = hashlib.sha256(b"".join(hashlib.sha256(data).digest() for data in payload.values())).hexdigest()
    with _BLANKS_LOCK:
        folder = _BLANKS.get(key)
        if folder is None or not folder.is_dir():
            folder = Path(tempfile.mkdtemp(prefix="udfi-blanks-"))  # 0700
            year_folder = folder / str(blanks.tax_year)
            year_folder.mkdir(mode=0o700)
            for name, data in payload.items():
                (year_folder / name).write_bytes(data)
            _BLANKS[key] = folder
    year_folder = folder / str(blanks.tax_year)
    return BlankSet(blanks.tax_year, year_folder / Path(blanks.f990t).name, year_folder / Path(blanks.f990tsa).name,
                    "cluster", folder)


def run_on_worker(chunk, job, expected: dict, years: tuple[int, ...], blanks_payload: dict[str, bytes] | None,
                  context: decimal.Context | None = None):
    """A chunk on a Dask worker: refuse to work with another udfi, use the scattered blanks, compute in
    the client's Decimal context, and return the packages as bytes (the client writes them)."""
    differences = identity_differences(expected, worker_identity(years))
    if differences:
        raise WorkerMismatch(f"worker {platform.node()} pid {os.getpid()} differs from the client: "
                             + "; ".join(differences[:5]))
    if blanks_payload is not None and job.blanks is not None:
        job = replace(job, blanks=_local_blanks(job.blanks, blanks_payload))
    # Dask runs tasks in worker threads, and a Decimal context is per thread: udfi.money set the
    # precision of the thread that imported it only (a thread's default is 28 digits, not udfi's 40).
    with decimal.localcontext(context or decimal.getcontext()):
        return chunk(replace(job, deliver=True))


# --------------------------------------------------------------------------------------------
# On the client: a pool-like front to the cluster
# --------------------------------------------------------------------------------------------


def parse_address(address: str) -> int | str:
    """`local:N` → N (workers to start here); a scheduler address as it is; ClusterError otherwise."""
    text = address.strip()
    if text.lower().startswith(LOCAL_PREFIX):
        count = text[len(LOCAL_PREFIX):]
        if not count.isdigit() or not 1 <= int(count) <= 256:
            raise ClusterError(f"--cluster {address!r}: expected local:N with N worker processes (1–256), "
                               "e.g. local:2")
        return int(count)
    if "://" in text and text.split("://", 1)[0] not in ("tcp", "tls", "inproc", "ucx", "ws", "wss"):
        raise ClusterError(f"--cluster {address!r}: expected a Dask scheduler address such as tcp://host:8786, "
                           "or local:N")
    if not text or text.endswith(":") or " " in text:
        raise ClusterError(f"--cluster {address!r}: expected a Dask scheduler address such as tcp://host:8786, "
                           "or local:N")
    return text


def _distributed():
    try:
        import distributed  # noqa: PLC0415
    except ImportError as exc:
        raise ClusterError(f"--cluster needs Dask, which is not installed: {INSTALL_HINT}") from exc
    return distributed


class ClusterPool:
    """`submit(fn, job)` → a concurrent.futures.Future, like the built-in pool, over a Dask client."""

    def __init__(self, address: str):
        target = parse_address(address)
        distributed = _distributed()
        import dask  # noqa: PLC0415

        self.address = address
        self.cluster = None
        self._lock = threading.Lock()
        self._live: dict[concurrent.futures.Future, object] = {}
        self._count = 0
        self._token = hashlib.sha256(f"{os.getpid()} {id(self)} {os.urandom(8).hex()}".encode()).hexdigest()[:12]
        self.expected: dict | None = None
        self.years: tuple[int, ...] = ()
        self.blanks = None
        self.context = decimal.getcontext().copy()  # the main thread's, with udfi.money's precision
        try:
            if isinstance(target, int):
                # The runner isolates a dying account itself: the scheduler gives up at the first death.
                with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                    self.cluster = distributed.LocalCluster(
                        n_workers=target, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
                self.client = distributed.Client(self.cluster, set_as_default=False)
            else:
                self.client = distributed.Client(target, timeout=CONNECT_SECONDS, set_as_default=False)
        except ClusterError:
            raise
        except Exception as exc:  # noqa: BLE001 — OSError, TimeoutError, CommClosedError, ValueError
            self._close_quietly()
            raise ClusterError(f"--cluster {address}: cannot reach the Dask scheduler ({type(exc).__name__}: "
                               f"{str(exc).splitlines()[0] if str(exc) else ''}); start one with `dask scheduler` "
                               "and workers with `dask worker tcp://HOST:8786`, or use --cluster local:N") from exc
        try:
            self.client.wait_for_workers(1, timeout=WORKERS_SECONDS)
        except Exception as exc:  # noqa: BLE001 — TimeoutError
            self.shutdown()
            raise ClusterError(f"--cluster {address}: no worker joined the scheduler within {WORKERS_SECONDS} s; "
                               f"start workers with `dask worker {address}`") from exc

    @property
    def parallelism(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def check_workers(self, years: tuple[int, ...], blanks) -> None:
        """Refuse a worker that would produce other bytes; send the run's blanks to every worker."""
        self.years = tuple(sorted(years))
        self.expected = client_identity(self.years)
        try:
            found = self.client.run(worker_identity, self.years)
        except Exception as exc:  # noqa: BLE001 — e.g. udfi not installed on a worker
            raise ClusterError(f"--cluster {self.address}: the workers could not run udfi ({type(exc).__name__}: "
                               f"{exc}); every worker needs the same udfi installed ({INSTALL_HINT})") from exc
        problems = [f"{worker}: " + "; ".join(differences[:5]) for worker, identity in sorted(found.items())
                    if (differences := identity_differences(self.expected, identity))]
        if problems:
            raise ClusterError(f"--cluster {self.address}: {len(problems)} worker(s) differ from this udfi "
                               f"{udfi.__version__} and would not produce the same files — nothing was prepared: "
                               + " | ".join(problems[:5]))
        if blanks is not None:
            payload = {Path(blanks.f990t).name: Path(blanks.f990t).read_bytes(),
                       Path(blanks.f990tsa).name: Path(blanks.f990tsa).read_bytes()}
            [self.blanks] = self.client.scatter([payload], broadcast=True, hash=False)

    def submit(self, fn, job) -> concurrent.futures.Future:
        with self._lock:
            self._count += 1
            key = f"udfi-chunk-{self._token}-{self._count}"
        bridge: concurrent.futures.Future = concurrent.futures.Future()
        future = self.client.submit(run_on_worker, fn, job, self.expected or {}, self.years, self.blanks,
                                    self.context, key=key, pure=False, retries=0)
        with self._lock:
            self._live[bridge] = future
        future.add_done_callback(functools.partial(self._resolve, bridge))
        return bridge

    def _resolve(self, bridge: concurrent.futures.Future, future) -> None:
        with self._lock:
            self._live.pop(bridge, None)
        if bridge.done():
            return
        try:
            result = future.result()
        except WorkerMismatch as exc:
            bridge.set_exception(exc)
        except Exception as exc:  # noqa: BLE001 — KilledWorker, a cancelled task, a lost connection
            bridge.set_exception(_translated(exc))
        except BaseException as exc:  # noqa: BLE001 — CancelledError is a BaseException
            bridge.set_exception(WorkerLost(f"the chunk was cancelled ({type(exc).__name__})"))
        else:
            bridge.set_result(result)

    def renewed(self) -> "ClusterPool":
        """After a lost worker: the cluster goes on (its nanny restarts the worker)."""
        return self

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            live = list(self._live.values())
            self._live.clear()
        if live and cancel_futures:
            try:
                self.client.cancel(live)
            except Exception:  # noqa: BLE001
                pass
        self._close_quietly()

    def _close_quietly(self) -> None:
        for closable in (getattr(self, "client", None), self.cluster):
            if closable is None:
                continue
            try:
                closable.close()
            except Exception:  # noqa: BLE001 — closing a broken connection
                pass
        self.cluster = None


def _translated(exc: BaseException) -> BaseException:
    name = type(exc).__name__
    if name in ("KilledWorker", "FutureCancelledError", "CommClosedError", "CancelledError") or isinstance(
            exc, (ConnectionError, EOFError)):
        return WorkerLost(f"a Dask worker died or left while preparing this chunk ({name}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''})")
    return exc

