"""What a run does before any account is prepared: the run key (everything besides an account's own
rows that its outputs depend on), the accounts to do, those `--resume` keeps from the manifest and
those `--account` leaves as they were."""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import udfi
from udfi import parameters as parameter_store
from udfi.batch import package
from udfi.batch.files import MANIFEST_FILE, output_path, sha256_file
from udfi.batch.options import EXIT_USAGE, PREPARE, BatchKind, PrepareError, PrepareOptions, _parts
from udfi.batch.problems import OwnRows
from udfi.batch.records import VALIDATE, AccountRecord, ExceptionRow, blank_summary, validation_exceptions
from udfi.batch.reports import manifest_for_year
from udfi.batch.slicing import BookSlicer
from udfi.engine.compute import book_years
from udfi.safety import mask_ssn

def _run_key(options: PrepareOptions, blanks, fingerprints: dict[str, str], efile_key: dict | None = None) -> dict:
    """Everything besides an account's own rows that its outputs depend on."""
    blank_hashes = {}
    if blanks is not None:
        blank_hashes = {Path(blanks.f990t).name: sha256_file(Path(blanks.f990t)),
                        Path(blanks.f990tsa).name: sha256_file(Path(blanks.f990tsa))}
    return {
        "udfi_version": udfi.__version__, "tax_year": options.tax_year, "parameters": fingerprints,
        "activity_code": options.activity_code, "all": options.all_accounts, "flatten": options.flatten,
        "blanks": blank_hashes, "statements": _statements_available(options),
        "derivations": package._add_derivations() is not None,
        "efile": efile_key, "parts": list(_parts(options)),
    }


def _statements_available(options: PrepareOptions) -> bool:
    """Whether the statements renderer is installed (part of the run key). A run that renders no
    document only looks for the module: importing it would only lengthen the start (~0.05 s)."""
    if {"statements", "attachments", "letter"} & set(_parts(options)):
        return package._statements_module() is not None
    try:
        return importlib.util.find_spec("udfi.statements.render") is not None
    except (ImportError, ValueError):
        return False


def _efile_settings(options: PrepareOptions, year: int, echo: Callable[[str], None], kind: BatchKind = PREPARE):
    """The custodian settings and the run's XML settings (part of the run key, so --resume notices)."""
    from udfi.efile.custodian import CustodianError, find_settings, load_settings  # noqa: PLC0415
    from udfi.efile.data import EfileDataError, RETURN_990T, return_version  # noqa: PLC0415
    from udfi.efile.header import now_timestamp  # noqa: PLC0415

    path = find_settings(options.book, options.custodian)
    try:
        custodian = load_settings(path)
        version = return_version(kind.return_type, year, custodian.extension_return_versions
                                 if kind.return_type != RETURN_990T else custodian.return_versions)
    except (CustodianError, EfileDataError) as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    if custodian.officer is None and kind.return_type == RETURN_990T:
        echo("no custodian settings (officer): 990-T.xml is written without BusinessOfficerGrp; see README "
             "\"E-filing\" (BOOK/custodian.yaml or --custodian FILE)")
    if version.placeholder:
        setting = "return_versions" if kind.return_type == RETURN_990T else "extension_return_versions"
        echo(f"Form {kind.return_type} XML: the MeF schema version for {year} is not known; the files carry the "
             f"placeholder {version.version} — set {setting} in the custodian settings before transmitting")
    key = {"custodian": sha256_file(path) if path is not None else "", "return_version": version.version}
    return custodian, key, custodian.return_timestamp or now_timestamp()


def _load_manifest(out: Path, name: str = MANIFEST_FILE) -> dict | None:
    path = output_path(out, name)
    if path is None:
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and isinstance(manifest.get("accounts", {}), dict) else None


def _safe_outputs(entry: dict) -> dict[str, str]:
    """A manifest entry's outputs, only those inside OUT (a path outside is never read or reported)."""
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict):
        return {}
    from udfi.batch.files import safe_relative_output  # noqa: PLC0415

    return {relative: digest for relative, digest in outputs.items()
            if safe_relative_output(relative) and isinstance(digest, str)}


def _reusable(entry: dict | None, input_hash: str, out: Path) -> bool:
    if not isinstance(entry, dict) or entry.get("input") != input_hash or entry.get("status") not in ("file",
                                                                                                      "not_required"):
        return False
    outputs = entry.get("outputs", {})
    if not isinstance(outputs, dict) or _safe_outputs(entry) != outputs:
        return False  # an entry naming a path outside OUT is not trusted at all
    for relative, digest in outputs.items():
        path = output_path(out, relative)
        if path is None or sha256_file(path) != digest:
            return False
    return True


@dataclass
class _Plan:
    """What this run does: the accounts to do, those kept from the manifest, the run key."""

    account_ids: list[str]
    todo: list[str]
    records: dict[str, AccountRecord]
    hashes: dict[str, str]
    run_key: dict
    fingerprints: dict[str, str]
    slicer: BookSlicer
    own_rows: OwnRows
    by_account: dict[str, list]  # each account's own validation problems (errors and warnings)
    account_rows: dict[str, dict]
    hashes_done: bool = True

    def fill_hashes(self) -> None:
        """Each account's row hash, when `_plan` left it for later: before any record is collected."""
        if self.hashes_done:
            return
        self.hashes.update(self.slicer.account_hashes(self.account_ids))
        self.hashes_done = True
        for account_id, record in self.records.items():
            if not record.kept and not record.input_hash:  # a kept record has its previous run's hash
                record.input_hash = self.hashes.get(account_id, "")


def _plan(options: PrepareOptions, out: Path, report, blanks, kind: BatchKind, efile_key: dict) -> _Plan:
    year = options.tax_year
    book = report.book
    try:
        years = book_years(book, year)
        fingerprints = {str(y): parameter_store.fingerprint(y) for y in years}
    except parameter_store.MissingParameterError as exc:
        raise PrepareError(EXIT_USAGE, str(exc)) from exc
    # a duplicated id is one account (both rows are reported as errors)
    account_ids = list(dict.fromkeys(a for a in book.accounts["account_id"].tolist() if isinstance(a, str)))
    selected: set[str] | None = None
    previous = (manifest_for_year(_load_manifest(out, kind.manifest_file), year)
                if (options.resume or options.accounts) else None)
    if options.accounts:
        known = set(account_ids)
        unknown = [a for a in dict.fromkeys(options.accounts) if a not in known]
        if unknown:
            raise PrepareError(EXIT_USAGE, f"--account: {', '.join(repr(a) for a in unknown[:10])} not in the book's "
                                           "accounts (nothing was prepared)")
        selected = set(options.accounts)
        if previous is not None and previous.get("tax_year") != year:
            raise PrepareError(EXIT_USAGE, f"--account: {out / kind.manifest_file} is for tax year "
                                           f"{previous.get('tax_year')}, not {year}; rerun every account for {year} "
                                           "first (or use another --out)")
    slicer = BookSlicer(book)
    # --resume compares each account's rows with the manifest now; otherwise the hashes (for the
    # manifest) are computed while the first chunks run (`_Plan.fill_hashes`), not before them.
    hashes = slicer.account_hashes(account_ids) if options.resume else {}
    run_key = {**_run_key(options, blanks, fingerprints, efile_key), "kind": kind.name}
    previous_accounts = previous.get("accounts", {}) if previous else {}
    same_run = bool(previous) and previous.get("run") == run_key
    account_rows = {row["account_id"]: row for row in book.accounts.to_dict("records")}

    records: dict[str, AccountRecord] = {}
    own_rows = OwnRows(book, slicer.positions, report.file_of)
    by_account = defaultdict(list)
    for problem in report.problems:
        if problem.account_id:
            by_account[problem.account_id].append(problem)
    for account_id, rows in validation_exceptions(report).items():
        if account_id not in account_rows or (selected is not None and account_id not in selected):
            continue
        records[account_id] = AccountRecord(account_id, "exception",
                                            blank_summary(account_rows.get(account_id, {}), "exception",
                                                          f"{rows[0].file} row {rows[0].row} {rows[0].problem}"),
                                            exceptions=rows, input_hash=hashes.get(account_id, ""))
    todo = []
    for account_id in account_ids:
        if account_id in records:
            continue
        entry = previous_accounts.get(mask_ssn(account_id))
        if selected is not None and account_id not in selected:
            if isinstance(entry, dict) and isinstance(entry.get("summary"), dict):
                records[account_id] = _kept_record(account_id, entry)
            continue
        if options.resume and same_run and _reusable(entry, hashes[account_id], out):
            records[account_id] = AccountRecord(account_id, entry["status"], entry["summary"],
                                                outputs=_safe_outputs(entry), input_hash=hashes[account_id],
                                                skipped=True)
        else:
            todo.append(account_id)
    return _Plan(account_ids, todo, records, hashes, run_key, fingerprints, slicer, own_rows, by_account,
                 account_rows, hashes_done=bool(options.resume))


def _kept_record(account_id: str, entry: dict) -> AccountRecord:
    """An account not selected with --account: its entry of the previous run, as it was."""
    summary = {key: value for key, value in entry["summary"].items() if isinstance(key, str)}
    rows = []
    for row in entry.get("exceptions", []) if isinstance(entry.get("exceptions"), list) else []:
        if isinstance(row, dict):
            rows.append(ExceptionRow(account_id, str(row.get("stage", "")), str(row.get("problem", "")),
                                     str(row.get("file", "")), row.get("row") if isinstance(row.get("row"), int)
                                     else None))
    if entry.get("status") == "exception" and not rows:
        rows.append(ExceptionRow(account_id, str(summary.get("stage", VALIDATE)), str(summary.get("problem", ""))))
    return AccountRecord(account_id, str(entry.get("status", "exception")), summary, outputs=_safe_outputs(entry),
                         exceptions=rows, input_hash=str(entry.get("input", "")), skipped=True, kept=True)
