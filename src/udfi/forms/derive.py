"""Derive the field map of a blank nobody has reviewed, from its own XFA captions.

Each line udfi fills on the year's revision (`udfi.forms.lines.fill_keys`) is looked for by its
caption: the revision's layout caption (schemas/layouts) and the captions reviewed field maps recorded
for the same, unreworded line, normalized (`udfi.forms.captions.normalize`), within the same part of
the form and of the same kind (text or check box). The map is accepted only when every line finds exactly
one field, no field serves two lines and every check box has one on-state; otherwise it is refused
with each unmatched line (and the blank's closest field) and each ambiguous one named. The blank's
printed year (its /Title, e.g. "2023 Form 990-T") must be the return's year: a revision is never
borrowed for another year.
"""

from __future__ import annotations

import difflib
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from udfi.forms.acroform import FieldInfo, list_fields, read_pdf, xfa_captions
from udfi.forms.captions import Caption, normalize, read_captions, reading_order
from udfi.forms.fieldmaps import FieldMap, UnknownRevisionError, known_maps, match_revision
from udfi.forms.layouts import load_layout
from udfi.forms.lines import F990T, F990TSA, fill_keys

TITLES = {F990T: "Form 990-T", F990TSA: "Schedule A (Form 990-T)"}
SHOWN_PROBLEMS = 12


class DerivationError(UnknownRevisionError):
    """No field map can be derived from the blank's captions; `problems` names every line and field."""

    def __init__(self, form: str, tax_year: int, problems: list[str], prefix: str = ""):
        self.form, self.tax_year, self.problems = form, tax_year, problems
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = f"; and {len(problems) - SHOWN_PROBLEMS} more" if len(problems) > SHOWN_PROBLEMS else ""
        super().__init__(f"{prefix}{form} blank for {tax_year}: no field map can be derived from its captions: "
                         f"{shown}{more}")


@dataclass(frozen=True)
class _Wanted:
    key: str
    part: str
    kind: str
    captions: frozenset[str]
    shown: str  # the layout caption, for messages


def printed_year(reader, form: str) -> int | None:
    """The year the blank prints, from its document title ("2022 Schedule A (Form 990-T)")."""
    title = reader.Info.Title if reader.Info is not None else None
    text = title.to_unicode() if title is not None else ""
    match = re.fullmatch(rf"(\d{{4}}) {re.escape(TITLES[form])}", text.strip())
    return int(match.group(1)) if match else None


def _wanted(form: str, tax_year: int, keys: tuple[str, ...]) -> list[_Wanted]:
    """Per line: the captions that identify it. A reviewed map's caption counts where that revision's
    layout words the line as this year's does; a line the layout rewords (e.g. 2023's "Add lines 6a
    through 6j") must match its new wording, never an older revision's."""
    layout = load_layout(form, tax_year)
    reviewed: dict[str, set[str]] = {}
    for fieldmap in known_maps(form):
        then = load_layout(form, fieldmap.tax_year)
        for key, entry in fieldmap.lines.items():
            same_line = key in layout.lines and key in then.lines and then.lines[key].caption == layout.lines[key].caption
            if entry.get("field") and entry.get("caption") and same_line:
                reviewed.setdefault(key, set()).add(normalize(entry["caption"], fieldmap.tax_year))
    wanted = []
    for key in keys:
        line = layout.lines[key]
        wanted.append(_Wanted(key, key.split(".", 1)[0], line.kind, frozenset({line.caption, *reviewed.get(key, ())}),
                              line.caption))
    return wanted


def _closest(want: _Wanted, captions: list[Caption], tax_year: int) -> str:
    same = [c for c in captions if c.part == want.part and c.field.kind == want.kind]
    if not same:
        return f"the blank has no {want.kind} field in {want.part}"
    best = max(same, key=lambda c: difflib.SequenceMatcher(None, normalize(c.text, tax_year), want.shown).ratio())
    return f"closest field {best.field.name} reads {best.text!r}"


def derive_from_fields(form: str, tax_year: int, fields: list[FieldInfo], order: list[str],
                       keys: tuple[str, ...] | None = None) -> tuple[dict[str, dict], list[str]]:
    """(line key → {"field", "caption"[, "on"]}, problems) for `keys` (default: the lines udfi fills)."""
    keys = fill_keys(form, tax_year) if keys is None else keys
    captions = read_captions(reading_order(fields, order))
    by_caption: dict[tuple[str, str, str], list[Caption]] = {}
    for caption in captions:
        if caption.field.caption:
            by_caption.setdefault((caption.part, caption.field.kind, normalize(caption.text, tax_year)), []).append(caption)
    lines: dict[str, dict] = {}
    problems: list[str] = []
    claimed: dict[str, str] = {}
    for want in _wanted(form, tax_year, keys):
        found = {c.field.name: c for text in want.captions for c in by_caption.get((want.part, want.kind, text), [])}
        if not found:
            problems.append(f"line {want.key} ({want.shown!r}) matches no field; {_closest(want, captions, tax_year)}")
            continue
        if len(found) > 1:
            problems.append(f"line {want.key} ({want.shown!r}) is ambiguous: fields {', '.join(sorted(found))} "
                            "share its caption")
            continue
        (name, caption), = found.items()
        if name in claimed:
            problems.append(f"field {name} would serve both line {claimed[name]} and line {want.key}")
            continue
        claimed[name] = want.key
        entry = {"field": name, "caption": caption.field.caption}
        if want.kind == "checkbox":
            if len(caption.field.on_states) != 1:
                problems.append(f"line {want.key}: check box {name} has on-states {caption.field.on_states}, "
                                "not exactly one")
                continue
            entry["on"] = caption.field.on_states[0]
        lines[want.key] = entry
    return lines, problems


def derive_map(form: str, tax_year: int, blank: bytes, sha256: str, path: Path | None = None,
               prefix: str = "") -> FieldMap:
    """The derived field map of `blank` for `tax_year`, or DerivationError naming what does not match."""
    reader = read_pdf(blank)
    year = printed_year(reader, form)
    if year != tax_year:
        said = f"prints {year}" if year is not None else f"has no document title saying '<year> {TITLES[form]}'"
        raise DerivationError(form, tax_year, [f"the blank {said}, not {tax_year}"], prefix)
    fields = list_fields(reader)
    if not any(info.caption for info in fields):
        raise DerivationError(form, tax_year, ["the blank has no XFA captions to read"], prefix)
    lines, problems = derive_from_fields(form, tax_year, fields, list(xfa_captions(reader)))
    if problems:
        raise DerivationError(form, tax_year, problems, prefix)
    return FieldMap(form=form, tax_year=tax_year, path=path or Path(f"{form}.pdf"), sha256=sha256, lines=lines,
                    blank_fields={info.name: info.kind for info in fields}, derived=True)


_derived: dict[tuple[str, int, str], FieldMap | DerivationError] = {}
_lock = threading.Lock()


def resolve_map(form: str, tax_year: int, blank: bytes, sha256: str, fields: list[FieldInfo] | None = None,
                path: Path | None = None) -> FieldMap:
    """The field map that serves `blank` for `tax_year`: the reviewed map of that revision (same sha256 or
    the same field inventory), else one derived from the blank's captions (cached per process).

    A blank that is another year's reviewed revision is refused (it would print the wrong year and
    lines); so is one whose map cannot be derived, with the closest reviewed map's differences.
    """
    inventory = fields if fields is not None else list_fields(read_pdf(blank), captions=False)
    try:
        fieldmap = match_revision(form, tax_year, inventory, sha256)
    except UnknownRevisionError as unknown:
        key = (form, tax_year, sha256)
        with _lock:
            cached = _derived.get(key)
        if cached is None:
            try:
                cached = derive_map(form, tax_year, blank, sha256, path, prefix=f"{unknown}; ")
            except DerivationError as refused:
                cached = refused
            with _lock:
                _derived[key] = cached
        if isinstance(cached, DerivationError):
            raise cached
        return cached
    if fieldmap.tax_year != tax_year:
        raise UnknownRevisionError(f"{form} blank{f' {path}' if path else ''} is the {fieldmap.tax_year} revision "
                                   f"({fieldmap.path.name}), but the return is for {tax_year}")
    return fieldmap
