"""What a batch run is asked to do and what it answers: the options of `udfi prepare` (and of the
batch kinds that reuse its runner, such as `udfi extend`), the package parts (`--only`), the outcome
and exit codes, the error that stops a run before it starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from udfi.batch.files import ALL_PARTS, EXCEPTIONS_FILE, MANIFEST_FILE, PACKAGE_FILES, PACKAGE_PARTS, SUMMARY_FILE
from udfi.batch.package import ChunkJob, run_chunk_safely
from udfi.batch.records import ChunkResult
from udfi.engine.compute import Settings
from udfi.engine.parallel import usable_cores
from udfi.safety import mask_ssn

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_EXCEPTIONS = 3
EXIT_INTERRUPTED = 130
SUMMARY_COLUMNS = ("account_id", "name", "ein", "account_type", "status", "gross_unrelated_income", "ubti", "tax",
                   "payments", "balance_due", "overpayment", "due_date", "extended_due_date", "reason", "outputs",
                   "problem")
EXCEPTION_USER_COLUMNS = ("account_id", "problem", "file")
MAX_CHUNK = 200  # accounts per worker task when only return.json is written
MAX_CHUNK_PACKAGING = 30  # … and when forms are filled / statements rendered
# Free space asked of OUT before the work: measured packages are ≈450 KB (990-T.pdf 300 KB,
# return.json 50–100 KB, statements.pdf 40 KB); 990-T-print.pdf adds ≈300 KB.
PACKAGE_BYTES = 512 * 1024
PRINT_BYTES = 384 * 1024
RESERVE_BYTES = 16 * 1024 * 1024
NUMERIC_REPORT_COLUMNS = ("tax_year", "gross_unrelated_income", "ubti", "tax", "payments", "balance_due",
                          "overpayment", "row", "tentative_tax", "balance_due_with_extension")
ChunkWorker = Callable[[ChunkJob], ChunkResult]


@dataclass(frozen=True)
class BatchKind:
    """What a batch writes: `prepare` (the filing packages) or another per-account product such as
    `udfi extend` (Form 8868), which reuses the runner with its own chunk worker and report files.
    `chunk` must be picklable (a top-level function or a partial of one): it runs in the workers."""

    name: str = "prepare"
    chunk: ChunkWorker = run_chunk_safely
    package_files: tuple[str, ...] = PACKAGE_FILES
    summary_file: str = SUMMARY_FILE
    summary_columns: tuple[str, ...] = ()          # default: SUMMARY_COLUMNS
    exceptions_file: str = EXCEPTIONS_FILE
    manifest_file: str = MANIFEST_FILE
    uses_blanks: bool = True
    return_type: str = "990T"


PREPARE = BatchKind()


@dataclass
class PrepareOptions:
    book: Path
    tax_year: int
    out: Path
    jobs: int | None = None
    all_accounts: bool = False
    forms_dir: Path | None = None
    require_forms: bool = False
    flatten: bool = False
    resume: bool = False
    activity_code: str = Settings.activity_code
    chunk_size: int | None = None
    accounts: list[str] | None = None  # only these accounts (the others keep their manifest entries)
    date_format: str = "ISO"
    permissions: str = "private"  # private (0600/0700), group (0640/0750), public (0644/0755)
    custodian: Path | None = None  # custodian settings for 990-T.xml (default BOOK/custodian.yaml)
    parts: tuple[str, ...] | None = None  # `--only`: package parts (files.PACKAGE_PARTS); None = all
    cluster: str | None = None  # `--cluster`: a Dask scheduler address, or local:N (batch.cluster)


@dataclass
class PrepareOutcome:
    exit_code: int
    accounts: int = 0
    packages: int = 0
    not_required: int = 0
    exceptions: int = 0
    skipped: int = 0
    kept: int = 0
    seconds: float = 0.0
    stage_seconds: dict[str, float] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    missing_blanks: bool = False
    stopped: str = ""  # why the run stopped early (disk full, interrupted), or ""
    exception_rows: list = field(default_factory=list)


class PrepareError(Exception):
    """The run cannot start, or its reports cannot be written (exit_code says why)."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(mask_ssn(message))
        self.exit_code = exit_code


def default_jobs() -> int:
    """prepare's and extend's default number of workers: the cores this process may run on, as check's."""
    return usable_cores()


def _parts(options: PrepareOptions) -> tuple[str, ...]:
    """The package parts this run writes, in PACKAGE_PARTS order (the run key and manifest record them)."""
    return ALL_PARTS if options.parts is None else tuple(part for part in ALL_PARTS if part in options.parts)


def parse_parts(text: str) -> tuple[str, ...]:
    """`--only pdf,json` → ("pdf", "json"); ValueError naming the unknown part and the known ones."""
    asked = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [part for part in asked if part not in PACKAGE_PARTS]
    if unknown or not asked:
        known = ", ".join(f"{part} ({' + '.join(names)})" for part, names in PACKAGE_PARTS.items())
        raise ValueError(f"--only {text!r}: " + (f"unknown part(s) {', '.join(unknown)}; " if unknown else "no part; ")
                         + f"expected a comma list of {known}")
    return tuple(part for part in ALL_PARTS if part in asked)
