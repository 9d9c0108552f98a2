"""Gather every flag, warning and assumption that touched one account's return — what validation, the
engine and the return header already decided, sorted into kinds and topics. Pure: nothing is
recomputed, nothing is written, no input is changed; every text is masked (`udfi.safety.mask_ssn`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from udfi.diagnostics.assumptions import assumption_items, assumptions, topic_of
from udfi.diagnostics.model import ERROR, FLAG, WARNING, Diagnostics, Item, sorted_items
from udfi.diagnostics.topics import FLAG_RULES, WARNING_RULES, in_year, match
from udfi.engine.compute import AccountYear
from udfi.engine.return_header import F990T, canonical_items, return_header
from udfi.forms.layouts import layout_years
from udfi.safety import mask_ssn
from udfi.summary import summary_row

_HEADER_WHERE = re.compile(r"^(?P<file>account_years\.csv) row (?P<row>\d+), column (?P<column>\w+): ")


def _masked(text: object) -> str:
    return "" if text is None else str(mask_ssn(str(text)))


def problem_where(problem) -> str:
    """'loans.csv row 3, column recourse' (header = row 1, as a spreadsheet shows it)."""
    parts = [problem.file]
    if problem.row is not None:
        parts.append(f"row {problem.row}")
    where = " ".join(parts)
    return _masked(f"{where}, column {problem.column}" if problem.column else where)


def problem_items(problems: Iterable) -> list[Item]:
    """Validation problems (errors and warnings) as items, with file, row and column."""
    found = []
    for problem in problems:
        kind = ERROR if problem.severity == ERROR else WARNING
        value = f"{problem.value!r}: " if problem.value not in (None, "") else ""
        message = f"{value}expected {problem.expected}"
        rule = match(WARNING_RULES, problem.expected or "")
        topic = rule.topic if rule else f"{problem.file.split('[')[0]} {problem.column or '(table)'}"
        found.append(Item(kind=kind, topic=topic, message=_masked(message), where=problem_where(problem),
                          authority=rule.authority if rule else "", source="validation"))
    return found


def _is_word(character: str) -> bool:
    """A character of `\\w` (Unicode letters, digits, underscore) or a hyphen: part of an id."""
    return character.isalnum() or character in "_-"


def _names(text: str, name: str) -> bool:
    """`text` mentions the id `name` standing alone — what `(?<![\\w-])NAME(?![\\w-])` finds, without
    compiling a pattern per id (one per property and loan overflowed re's cache: ~1 ms an account)."""
    if not name:
        return any(not (_is_word(text[at - 1]) if at else False) and not (at < len(text) and _is_word(text[at]))
                   for at in range(len(text) + 1))
    start = text.find(name)
    while start >= 0:
        end = start + len(name)
        if (start == 0 or not _is_word(text[start - 1])) and (end == len(text) or not _is_word(text[end])):
            return True
        start = text.find(name, start + 1)
    return False


def _flag_where(text: str, property_ids: list[str], loan_ids: list[str]) -> str:
    header = _HEADER_WHERE.match(text)
    if header:
        return f"{header['file']} row {header['row']}, column {header['column']}"
    parts = []
    prefix = text.split(": ", 1)[0]
    property_id = prefix if prefix in property_ids else next((pid for pid in property_ids if _names(text, pid)), None)
    if property_id:
        parts.append(f"property {property_id}")
    parts += [f"loan {loan}" for loan in loan_ids if _names(text, loan)]
    return ", ".join(parts)


def flag_items(flags: Iterable[str], property_ids: list[str], loan_ids: list[str], source: str,
               tax_year: int | None = None) -> list[Item]:
    """The engine's (or the return header's) flags, each under its topic with its line and authority."""
    found = []
    for text in flags:
        rule = match(FLAG_RULES, text)
        where = _flag_where(text, property_ids, loan_ids)
        if rule is None:
            found.append(Item(kind=FLAG, topic="other flag", message=_masked(text), where=_masked(where), source=source))
            continue
        prefix = text.split(": ", 1)[0]
        property_id = prefix if prefix in property_ids else ""
        line = rule.line.format(property=property_id) if "{property}" not in rule.line or property_id else ""
        line = in_year(line, tax_year) if tax_year is not None else line
        topic, authority = rule.topic, rule.authority
        if rule.assumption:
            entry = assumptions()[rule.assumption]
            topic, authority = topic_of(entry), entry.authority
        found.append(Item(kind=rule.kind, topic=topic, message=_masked(text), where=_masked(where or rule.where), line=line,
                          authority=authority, source=source))
    return found


def _status_item(result: AccountYear) -> Item:
    row = summary_row(result)
    if result.must_file:
        message = (f"must file: gross unrelated income {result.gross_unrelated_income:,.2f} is at least the "
                   f"${result.parameters.filing_threshold:,.0f} filing threshold; tax {row['tax']:,}, due "
                   f"{row['due_date']}")
    else:
        message = f"no return required: {row['reason']}"
    return Item(kind="info", topic="filing requirement", message=_masked(message), line="gross_unrelated_income",
                authority="Treas. Reg. §1.6012-3(a)(5); README Assumption 11", source="computation")


def exception_items(exceptions: Iterable) -> list[Item]:
    """Batch exceptions (stage and problem) as error items."""
    found = []
    for row in exceptions:
        where = row.file + (f" row {row.row}" if row.row is not None and row.row != "" else "") if row.file else ""
        found.append(Item(kind=ERROR, topic=f"exception at {row.stage}", message=_masked(row.problem),
                          where=_masked(where), source="batch"))
    return found


@lru_cache(maxsize=1)
def _first_layout_year() -> int:
    return min(layout_years(F990T))


def account_diagnostics(result: AccountYear, report=None, *, book=None, problems: Iterable | None = None,
                        exceptions: Iterable = ()) -> Diagnostics:
    """Every item that touched `result`'s return: validation problems of the account (from `report`, a
    ValidationReport, or `problems`), the engine's flags, the return header's flags, the assumptions the
    book left udfi to take, the filing requirement and any batch `exceptions`."""
    account_id = result.account_id
    if problems is None:
        problems = [p for p in (report.problems if report is not None else []) if p.account_id == account_id]
    if book is None and report is not None:
        book = report.book
    property_ids = [column.property_id for column in result.property_years]
    loan_ids = [loan.loan_id for column in result.property_years for loan in column.facts.loans]
    header_flags = canonical_items(result.account, result.tax_year)[1]
    if result.tax_year < _first_layout_year():  # the header's note on a pre-2020 revision comes with the lines
        header_flags = return_header(result).flags
    items = (problem_items(problems) + exception_items(exceptions)
             + flag_items(result.flags, property_ids, loan_ids, "computation", result.tax_year)
             + flag_items(header_flags, property_ids, loan_ids, "return header", result.tax_year)
             + assumption_items(result, book) + [_status_item(result)])
    status = "exception" if any(item.kind == ERROR for item in items) else "file" if result.must_file else "not_required"
    return Diagnostics(account_id=_masked(account_id), tax_year=result.tax_year,
                       name=_masked(result.account.get("name") or ""), status=status, items=sorted_items(items))


def unprepared_diagnostics(account_id: str, tax_year: int, problems: Iterable = (), exceptions: Iterable = (),
                           name: str = "") -> Diagnostics:
    """An account set aside (its rows have errors, or a later stage failed): what validation and the batch said."""
    items = problem_items(problems) + exception_items(exceptions)
    return Diagnostics(account_id=_masked(account_id), tax_year=tax_year, name=_masked(name), status="exception",
                       items=sorted_items(items))
