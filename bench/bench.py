"""`make bench`: how fast udfi is on this machine, against the project's goals (issue #16).

1. compute  — import + validate + compute every account and every year (tax year = the book's last
              year, so the whole history is rolled forward) of a 10,000-account synthetic book, as
              `udfi check` does with its default --jobs (the cores); versus the floor: plain
              `pandas.read_csv` of the same files plus one `groupby().sum()` over the ledger, in one
              process, measured in the same run.
2. packages — `udfi prepare` (filled Form 990-T + Schedule A, statements, return.json, 990-T.xml) on
              a 1,000-account sample book (`--full`: the 10,000-account book).
3. json+xml — `udfi prepare ... --only json,xml` on the same sample: packages without PDFs.

The compute child validates the whole book, then computes every account without errors through the
code `udfi check --format csv` runs (`cli.compute.stream_accounts`): `engine.stream.iter_compute_book`
a chunk of accounts at a time on forked worker processes, each AccountYear reduced in its worker to
its summary row; it keeps one summary row per account, not every AccountYear.

Each measurement runs in its own child process. Wall seconds are printed beside CPU seconds of every
process of the measurement (the child's rusage from wait4, which includes the workers it waited
for), so a reader sees what the cores did. The compute child and the floor are each timed twice, in
turn, and the quicker run of each is compared (the same rule for both sides, against a shared
machine's noise); both runs are printed. Time and memory of the compute child are measured in
separate runs: its memory is the peak, over samples taken every 50 ms, of the summed proportional set
size (Pss, /proc/PID/smaps_rollup) of the child and all its descendants — pages the forked workers
share with the child are counted once — or the child's own peak RSS if that is larger. Sampling is
not free: reading smaps_rollup walks the page tables of processes that are faulting pages in, and
it slowed the timed run by about 2 s of 11 on this machine, so no sampler runs while a run is timed.
The floor's and prepare's memory are peak RSS from rusage (for `prepare`, also its largest worker's).
Synthetic books are cached in bench/out/ (gitignored). Every goal is printed with its figure and OK or
MISSED; the wall time of the whole run is one of them.

    python bench/bench.py [--full] [--accounts N] [--jobs J] [--skip-compute] [--skip-packages]
    python bench/bench.py --scaling      # 1k, 10k, 50k accounts: validate+compute and floor, a table
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
YEARS = (2020, 2025)
SEED = 20240501
BOOK_ACCOUNTS = 10_000
PACKAGE_YEAR = 2022  # the latest year whose official blanks and field maps udfi knows

SAMPLE_ACCOUNTS = 1_000
SCALING_ACCOUNTS = (1_000, 10_000, 50_000)

GOAL_FLOOR_RATIO = 5.0                  # validate + compute within 5× read_csv + groupby
GOAL_RSS_BYTES = 600 << 20              # peak memory (process tree) of validate + compute, 10,000 accounts
GOAL_PACKAGES_PER_SECOND = 6.0          # complete packages (PDFs included) on 2 cores
GOAL_JSON_XML_PER_SECOND = 100.0        # `--only json,xml`
GOAL_BENCH_SECONDS = 600.0              # the default `make bench`
PSS_SAMPLE_SECONDS = 0.05               # how often the compute child's process tree is measured


# --------------------------------------------------------------------------------------------
# Children (run as `python bench/bench.py --child KIND ...`); each prints one JSON line
# --------------------------------------------------------------------------------------------

def child_compute(book: str, year: int, jobs: int | None = None) -> dict:
    """Validate the whole book, then compute every account without errors the way `udfi check
    --format csv` does, with its default `--jobs` (the cores): `cli.compute.stream_accounts` —
    `engine.stream.iter_compute_book` a chunk of accounts at a time on the worker processes, each
    AccountYear reduced in its worker to what check prints (`cli.compute.Triage`: the summary row).
    What is kept until the end is one summary row per account, not every AccountYear."""
    started = time.perf_counter()
    from udfi.cli.common import OutputFormat
    from udfi.cli.compute import Triage, stream_accounts, validated_book
    from udfi.engine.compute import Settings
    from udfi.engine.parallel import usable_cores, warm_caches_meanwhile

    imported = time.perf_counter()
    warm_caches_meanwhile(year)   # as `stream_valid_accounts` (check) starts it, before validating
    report, clean = validated_book(Path(book), strict=False)
    validated = time.perf_counter()
    jobs = jobs or usable_cores()
    results, _ = stream_accounts(report, clean, year, Settings(), jobs=jobs,
                                 reduce_with=lambda report: Triage(OutputFormat.csv, report))
    rows = [item[0] for item in results]
    computed = time.perf_counter()
    return {"import": imported - started, "validate": validated - imported, "compute": computed - validated,
            "rows": report.ledger_rows, "accounts": len(rows), "errors": len(report.errors), "jobs": jobs}


def child_floor(book: str) -> dict:
    started = time.perf_counter()
    import pandas as pd

    imported = time.perf_counter()
    frames = {path.stem: pd.read_csv(path) for path in sorted(Path(book).glob("*.csv"))}
    read = time.perf_counter()
    sums = frames["ledger"].groupby(["property_id", "category"])["amount"].sum()
    grouped = time.perf_counter()
    return {"import": imported - started, "read_csv": read - imported, "groupby": grouped - read,
            "rows": len(frames["ledger"]), "groups": len(sums)}


def child_packages(book: str, out: str, year: int, jobs: int) -> dict:
    started = time.perf_counter()
    from udfi.batch.package import _statements_module
    from udfi.batch.run import PrepareOptions, prepare

    outcome = prepare(PrepareOptions(book=Path(book), tax_year=year, out=Path(out), jobs=jobs),
                      echo=lambda text: print(text, file=sys.stderr), interactive=False)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return {"wall": time.perf_counter() - started, "prepare": outcome.seconds, "packages": outcome.packages,
            "accounts": outcome.accounts, "exceptions": outcome.exceptions, "stages": outcome.stage_seconds,
            "missing_blanks": outcome.missing_blanks, "statements": _statements_module() is not None,
            "worker_rss": workers, "exit_code": outcome.exit_code}


@dataclass
class Measured:
    """A child measurement: its JSON, wall seconds, CPU seconds of the child and of every process it
    waited for (its workers), the child's own peak RSS, and the peak of the tree's summed Pss."""

    result: dict
    wall: float
    cpu: float
    rss: int
    tree_pss: int


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def tree_pss(pid: int) -> int:
    """Proportional set size of `pid` and its descendants, summed (bytes): a page shared by forked
    workers is counted once in all, split between them. 0 where /proc has no smaps_rollup."""
    total = 0
    for process in [pid, *_descendants(pid)]:
        try:
            for line in Path(f"/proc/{process}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError):
            pass
    return total


def run_measured(*args: str, sample_memory: bool = False) -> Measured:
    """Run a child measurement; with `sample_memory`, sample its process tree's Pss every
    PSS_SAMPLE_SECONDS (tree_pss is 0 otherwise — a timed run is not sampled, see the docstring)."""
    peak = [0]
    with tempfile.TemporaryFile() as stdout:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=stdout)
        finished = threading.Event()

        def sample() -> None:
            while not finished.wait(PSS_SAMPLE_SECONDS):
                peak[0] = max(peak[0], tree_pss(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        if sample_memory:
            sampler.start()
        # wait4's usage is the child's and that of every process the child waited for (its workers)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        finished.set()
        if sample_memory:
            sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        text = stdout.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"bench child {args[0]} failed (exit {process.returncode}):\n{text}")
    return Measured(json.loads(text.strip().splitlines()[-1]), wall, usage.ru_utime + usage.ru_stime,
                    usage.ru_maxrss * 1024, peak[0])


def run_child(*args: str) -> tuple[dict, float, int]:
    """Run a child measurement; returns (its JSON, wall seconds, peak RSS bytes of the child itself)."""
    measured = run_measured(*args)
    return measured.result, measured.wall, measured.rss


# --------------------------------------------------------------------------------------------
# The parent
# --------------------------------------------------------------------------------------------

def child_synth(accounts: int, folder: str) -> dict:
    from udfi.synth import synth

    started = time.perf_counter()
    summary = synth(accounts, YEARS, SEED, folder)
    return {"accounts": summary.accounts, "ledger_rows": summary.ledger_rows, "seconds": time.perf_counter() - started}


def cached_book(accounts: int) -> Path:
    """The synthetic book, generated once (in a child: this process stays small — a child's peak RSS
    on Linux starts from its parent's at fork, so a big parent would inflate every measurement)."""
    folder = OUT / f"book-{accounts}-s{SEED}"
    marker = folder / ".complete"
    if not marker.exists():
        summary, _, _ = run_child("synth", str(accounts), str(folder))
        marker.write_text(json.dumps(summary))
        print(f"synth: {accounts:,} accounts, {summary['ledger_rows']:,} ledger rows in {summary['seconds']:.1f} s"
              f" → {folder}")
    return folder


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def mib(value: int) -> str:
    return f"{value / (1 << 20):,.0f} MiB"


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


TIMED_RUNS = 2  # of the compute child and of the floor, alternating; the quicker of each is compared


def timed_pair(book: Path, year: int) -> tuple[list[Measured], list[Measured]]:
    """TIMED_RUNS runs of the floor and of the compute child, in turn, none of them sampled."""
    floors, computes = [], []
    for _ in range(TIMED_RUNS):
        floors.append(run_measured("floor", str(book)))
        computes.append(run_measured("compute", str(book), str(year)))
    return floors, computes


def quickest(runs: list[Measured]) -> Measured:
    return min(runs, key=lambda run: run.wall)


def peak_memory(book: Path, year: int) -> Measured:
    """A run of the compute child of its own, its process tree's Pss sampled (not timed)."""
    return run_measured("compute", str(book), str(year), sample_memory=True)


def bench_compute(book: Path) -> dict:
    year = YEARS[1]
    print(f"\n== compute: import + validate + compute, tax year {year} (rolls {YEARS[0]}–{year} forward), as "
          f"`udfi check --format csv` with its default --jobs")
    floors, computes = timed_pair(book, year)
    memory = peak_memory(book, year)
    floor, measured = quickest(floors), quickest(computes)
    result, wall = measured.result, measured.wall
    rows = result["rows"]
    runs = lambda measured_runs: ", ".join(f"{run.wall:.2f}" for run in measured_runs)  # noqa: E731
    print(f"compute : {wall:6.2f} s wall, {measured.cpu:6.2f} s CPU (all processes; --jobs {result['jobs']})  "
          f"(import {result['import']:.2f} s, validate {result['validate']:.2f} s, compute {result['compute']:.2f} s)  "
          f"{rows:,} ledger rows, {result['accounts']:,} accounts → {rows / wall:,.0f} rows/s")
    print(f"          timed runs {runs(computes)} s wall; the quicker is compared")
    print(f"memory  : peak of the process tree {mib(memory.tree_pss)} (summed Pss, sampled every "
          f"{1000 * PSS_SAMPLE_SECONDS:.0f} ms in a run of its own, {memory.wall:.2f} s wall with the sampler); "
          f"peak RSS of the main process {mib(memory.rss)}")
    print(f"floor   : {floor.wall:6.2f} s wall, {floor.cpu:6.2f} s CPU  (import {floor.result['import']:.2f} s, "
          f"read_csv {floor.result['read_csv']:.2f} s, groupby {floor.result['groupby']:.2f} s)  "
          f"→ {rows / floor.wall:,.0f} rows/s; peak RSS {mib(floor.rss)}")
    print(f"          timed runs {runs(floors)} s wall; the quicker is compared")
    ratio = wall / floor.wall
    print(f"ratio compute/floor: {ratio:.2f}× wall, {measured.cpu / floor.cpu:.2f}× CPU")
    return {"ratio": ratio, "rss": max(memory.tree_pss, memory.rss)}


GOAL_EFILE_MS = 5.0  # issue #11: the XML step under 5 ms of CPU per package


def bench_packages(book: Path, jobs: int) -> float:
    out = OUT / f"packages-{book.name}"
    if out.exists():
        import shutil

        shutil.rmtree(out)
    print(f"\n== packages: udfi prepare {book.name} --year {PACKAGE_YEAR} --jobs {jobs} "
          f"(UDFI_FORMS_DIR={os.environ.get('UDFI_FORMS_DIR', '')})")
    result, wall, rss = run_child("packages", str(book), str(out), str(PACKAGE_YEAR), str(jobs))
    packages = result["packages"]
    stages = result["stages"]
    if result["missing_blanks"]:
        print("note    : no official blanks found — 990-T.pdf was NOT filled; set UDFI_FORMS_DIR")
    if not result["statements"]:
        print("note    : udfi.statements is not installed yet — statements.pdf not rendered (0 s below)")
    rate = packages / wall if wall else 0.0
    print(f"packages: {packages:,} packages ({result['accounts']:,} accounts screened, {result['exceptions']} exceptions)"
          f" in {wall:.1f} s wall → {rate:.2f} packages/s")
    per = (lambda seconds: f"{1000 * seconds / packages:.0f} ms/package" if packages else "-")
    print(f"split   : (CPU-seconds summed over workers) form filling {stages.get('form', 0):.1f} s "
          f"[{per(stages.get('form', 0))}], statements {stages.get('statements', 0):.1f} s "
          f"[{per(stages.get('statements', 0))}], compute {stages.get('compute', 0):.1f} s, "
          f"return.json {stages.get('return', 0):.1f} s, writing {stages.get('write', 0):.1f} s; "
          f"validate (main process) {stages.get('validate', 0):.1f} s")
    efile_ms = 1000 * stages.get("efile", 0) / packages if packages else 0.0
    print(f"e-file  : 990-T.xml {stages.get('efile', 0):.2f} CPU-s [{efile_ms:.1f} CPU ms/package; goal < "
          f"{GOAL_EFILE_MS:.0f} ms: {verdict(efile_ms < GOAL_EFILE_MS)}]")
    print(f"memory  : peak RSS main process {mib(rss)}, largest worker {mib(result['worker_rss'])}")
    return rate


def udfi_command() -> list[str]:
    return [str(Path(sys.executable).with_name("udfi"))]


def prepare_has_only() -> bool:
    """Whether this checkout's `udfi prepare` has `--only` (another change adds it)."""
    completed = subprocess.run([*udfi_command(), "prepare", "--help"], capture_output=True, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    return "--only" in completed.stdout


def bench_json_xml(book: Path, jobs: int) -> float | None:
    """Packages without PDFs: `udfi prepare BOOK --only json,xml`; None when prepare has no --only."""
    print(f"\n== json+xml: udfi prepare {book.name} --year {PACKAGE_YEAR} --jobs {jobs} --only json,xml")
    if not prepare_has_only():
        print("json+xml: prepare has no --only yet — not measured")
        return None
    out = OUT / f"json-xml-{book.name}"
    if out.exists():
        import shutil

        shutil.rmtree(out)
    command = [*udfi_command(), "prepare", str(book), "--year", str(PACKAGE_YEAR), "--out", str(out),
               "--jobs", str(jobs), "--only", "json,xml"]
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if code not in (0, 1):   # 1: some accounts are exceptions, the rest are written
        raise SystemExit(f"udfi prepare --only json,xml failed (exit {code}):\n{text[-2000:]}")
    packages = len(list(out.glob(f"*/{PACKAGE_YEAR}/return.json")))
    rate = packages / wall if wall else 0.0
    print(f"json+xml: {packages:,} packages in {wall:.1f} s wall → {rate:.1f} packages/s; "
          f"peak RSS {mib(usage.ru_maxrss * 1024)}")
    return rate


def bench_scaling() -> None:
    """Seconds (wall and CPU of every process) and peak memory of validate + compute, and of the
    floor, as the book grows."""
    year = YEARS[1]
    rows = []
    for accounts in SCALING_ACCOUNTS:
        book = cached_book(accounts)
        floors, computes = timed_pair(book, year)
        floor, measured = quickest(floors), quickest(computes)
        memory = peak_memory(book, year)
        rows.append((accounts, measured.result["rows"], measured.wall, measured.cpu,
                     max(memory.tree_pss, memory.rss), floor.wall, floor.rss))
    print(f"\n== scaling: validate + compute (tax year {year}, {YEARS[0]}–{year} rolled forward; results consumed "
          "as `udfi check` does with its default --jobs, see child_compute) and the floor, the quicker of "
          f"{TIMED_RUNS} timed runs each; peak memory: the process tree's summed Pss (or the main process's RSS, "
          "if larger), in a run of its own")
    print(f"{'accounts':>9} {'ledger rows':>12} {'compute s':>10} {'CPU s':>7} {'peak mem':>10} {'floor s':>8} "
          f"{'floor RSS':>10} {'ratio':>7} {'growth':>14} {'floor growth':>14}")
    previous = None
    for accounts, ledger_rows, wall, cpu, peak, floor_wall, floor_rss in rows:
        # growth: peak memory added per account since the previous (smaller) book
        growth = floor_growth = ""
        if previous is not None:
            added = accounts - previous[0]
            growth = f"{(peak - previous[1]) / added / 1024:,.1f} KiB/acct"
            floor_growth = f"{(floor_rss - previous[2]) / added / 1024:,.1f} KiB/acct"
        print(f"{accounts:>9,} {ledger_rows:>12,} {wall:>10.2f} {cpu:>7.2f} {mib(peak):>10} {floor_wall:>8.2f} "
              f"{mib(floor_rss):>10} {wall / floor_wall:>6.2f}× {growth:>14} {floor_growth:>14}")
        previous = (accounts, peak, floor_rss)


def print_goals(compute: dict | None, packages: float | None, json_xml: float | None, json_xml_known: bool,
                wall: float, full: bool) -> None:
    print("\n== goals (issue #16)")
    if compute is not None:
        print(f"compute/floor   : {compute['ratio']:6.2f}×      goal ≤ {GOAL_FLOOR_RATIO:.0f}×        "
              f"{verdict(compute['ratio'] <= GOAL_FLOOR_RATIO)}")
        print(f"peak memory     : {mib(compute['rss']):>10}  goal ≤ {mib(GOAL_RSS_BYTES)}   "
              f"{verdict(compute['rss'] <= GOAL_RSS_BYTES)}")
    if packages is not None:
        print(f"packages        : {packages:6.2f}/s     goal ≥ {GOAL_PACKAGES_PER_SECOND:.0f}/s       "
              f"{verdict(packages >= GOAL_PACKAGES_PER_SECOND)}")
    if json_xml is not None:
        print(f"json+xml        : {json_xml:6.1f}/s     goal ≥ {GOAL_JSON_XML_PER_SECOND:.0f}/s     "
              f"{verdict(json_xml >= GOAL_JSON_XML_PER_SECOND)}")
    elif json_xml_known:
        print("json+xml        : MISSED (prepare has no --only yet)")
    if full:
        print(f"bench wall      : {wall:6.0f} s      (--full: the 10-minute goal is for the default run)")
    else:
        print(f"bench wall      : {wall:6.0f} s      goal < {GOAL_BENCH_SECONDS:.0f} s      "
              f"{verdict(wall < GOAL_BENCH_SECONDS)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true",
                        help=f"packages on the whole {BOOK_ACCOUNTS:,}-account book (default: a "
                             f"{SAMPLE_ACCOUNTS:,}-account sample)")
    parser.add_argument("--accounts", type=int, default=None, help="packages on an N-account book")
    parser.add_argument("--scaling", action="store_true",
                        help="validate + compute and the floor at 1k, 10k and 50k accounts (a table)")
    parser.add_argument("--book-accounts", type=int, default=BOOK_ACCOUNTS, help=argparse.SUPPRESS)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes for packages (default: cores)")
    parser.add_argument("--skip-compute", action="store_true")
    parser.add_argument("--skip-packages", action="store_true")
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "compute":
            result = child_compute(rest[0], int(rest[1]))
        elif kind == "synth":
            result = child_synth(int(rest[0]), rest[1])
        elif kind == "floor":
            result = child_floor(rest[0])
        else:
            result = child_packages(rest[0], rest[1], int(rest[2]), int(rest[3]))
        print(json.dumps(result))
        if kind == "compute":   # it ends as `udfi check` ends (cli.main); the floor, a plain script, as scripts do
            from udfi.cli import exit_without_collecting

            exit_without_collecting()
        return 0

    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = args.jobs or usable_cores()
    print(f"udfi bench — {os.cpu_count()} CPUs ({usable_cores()} usable), Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.2f}")
    if args.scaling:
        bench_scaling()
        return 0
    book = cached_book(args.book_accounts)
    compute = packages = json_xml = None
    if not args.skip_compute:
        compute = bench_compute(book)
    if not args.skip_packages:
        sample = book if args.full else cached_book(args.accounts or SAMPLE_ACCOUNTS)
        packages = bench_packages(sample, jobs)
        json_xml = bench_json_xml(sample, jobs)
    print_goals(compute, packages, json_xml, not args.skip_packages, time.perf_counter() - started, args.full)
    return 0


if __name__ == "__main__":
    sys.exit(main())
