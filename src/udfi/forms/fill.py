"""Fill the official Form 990-T and Schedule A (Form 990-T) blanks for one account.

`fill_return` is pure: account object in, PDF bytes out. The output is the filled Form 990-T, then
its Schedule A, then (for more than four Part V properties) the continuation statement. Every
filled value gets its own appearance stream, the XFA is removed so viewers use the AcroForm, and
the result is read back and compared with what we meant to write before it is returned.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from pdfrw import IndirectPdfDict, PdfArray, PdfDict, PdfName, PdfReader, PdfString, PdfWriter

from udfi.forms.acroform import field_type, iter_terminal_fields, list_fields, read_pdf, widgets_of
from udfi.forms.appearance import encode_win_ansi, flatten_page, pdf_literal, text_appearance
from udfi.forms.blanks import BlankSet
from udfi.forms.fieldmaps import FieldMap, UnknownRevisionError, match_revision
from udfi.forms.lines import F990T, F990TSA, FORMS, form_values, needs_continuation

__all__ = ["fill_return", "UnknownRevisionError", "ReadBackError", "FillError", "read_filled_values"]

PDF_VERSION = "1.7"


class FillError(ValueError):
    """The account cannot be put on this form (e.g. a value the map cannot place)."""


class ReadBackError(RuntimeError):
    """The written PDF does not hold exactly the values we meant to write."""


@dataclass
class _Intent:
    """One field to fill: the text to show, or the on-state of a check box."""

    form: str
    line: str
    field: str
    text: str | None = None
    on_state: str | None = None


def _field_intents(form: str, fieldmap: FieldMap, values: dict) -> list[_Intent]:
    intents = []
    for line, value in values.items():
        if value in ("", None, False):
            continue  # zero amounts and empty items stay blank
        if line not in fieldmap.lines:
            raise FillError(f"{form}: line {line} has no entry in {fieldmap.path.name}")
        entry = fieldmap.lines[line]
        if entry["field"] is None:
            continue  # a declared absence: this revision has no such line
        if value is True:
            intents.append(_Intent(form, line, entry["field"], on_state=str(entry["on"])))
        else:
            intents.append(_Intent(form, line, entry["field"], text=str(value)))
    return intents


def _apply(reader: PdfReader, intents: list[_Intent]) -> None:
    acroform = reader.Root.AcroForm
    nodes = dict(iter_terminal_fields(acroform.Fields))
    for intent in intents:
        node = nodes.get(intent.field)
        if node is None:  # revision matching makes this impossible; keep the guard explicit
            raise UnknownRevisionError(f"{intent.form}: field {intent.field} (line {intent.line}) not in blank")
        if intent.on_state is not None:
            state = PdfName(intent.on_state)
            for widget in widgets_of(node):
                states = widget.AP.N.keys() if widget.AP is not None and widget.AP.N is not None else []
                if state not in states:
                    raise UnknownRevisionError(
                        f"{intent.form}: check box {intent.field} has no on-state {intent.on_state}"
                    )
                widget.AS = state
            node.V = state
        else:
            node.V = PdfString.from_unicode(intent.text)
            for widget in widgets_of(node):
                widget.AP = PdfDict(N=text_appearance(widget, intent.text, acroform))


def _merged_acroform(readers: dict[str, PdfReader]) -> IndirectPdfDict:
    """One AcroForm over both forms. Their field names collide (both start topmostSubform[0]),
    so each form's tree goes under a parent field named after the form: f990t.…, f990tsa.…"""
    fields, fonts = [], PdfDict()
    for form, reader in readers.items():
        source = reader.Root.AcroForm
        wrapper = IndirectPdfDict(T=PdfString.from_unicode(form), Kids=PdfArray(source.Fields))
        for top in source.Fields:
            top.Parent = wrapper
        fields.append(wrapper)
        if source.DR is not None and source.DR.Font is not None:
            for name, font in source.DR.Font.items():
                fonts.setdefault(name, font)
    first = readers[F990T].Root.AcroForm
    # No /XFA (it would override what we filled) and no /NeedAppearances (we wrote them all).
    return IndirectPdfDict(Fields=PdfArray(fields), DA=first.DA, DR=PdfDict(Font=fonts))


def _serialize(pages: list[PdfDict], acroform: PdfDict | None, title: str) -> bytes:
    writer = PdfWriter(version=PDF_VERSION, compress=True)
    for page in pages:
        writer.addpage(page)
    trailer = writer.trailer
    if acroform is not None:
        trailer.Root.AcroForm = acroform
    # Fixed metadata and no /ID or dates: the same account gives byte-identical output.
    trailer.Info = IndirectPdfDict(Title=PdfString.from_unicode(title), Producer=PdfString.from_unicode("udfi"))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def read_filled_values(pdf: bytes) -> dict[str, dict]:
    """Full field name → {"value": str | None, "state": str | None, "appearances": [stream text]}."""
    reader = PdfReader(fdata=pdf)
    found: dict[str, dict] = {}
    if reader.Root.AcroForm is None:
        return found
    for name, node in iter_terminal_fields(reader.Root.AcroForm.Fields):
        value = node.V
        entry = {"value": None, "state": None, "appearances": []}
        if field_type(node) == PdfName.Btn:
            entry["state"] = str(value)[1:] if value is not None and value != PdfName.Off else None
        elif value is not None:
            entry["value"] = value.to_unicode()
        for widget in widgets_of(node):
            normal = widget.AP.N if widget.AP is not None else None
            if normal is not None and normal.stream is not None:
                entry["appearances"].append(_decoded_stream(normal))
        found[name] = entry
    return found


def _decoded_stream(stream: PdfDict) -> str:
    import zlib

    raw = stream.stream
    if stream.Filter == PdfName.FlateDecode:
        return zlib.decompress(raw.encode("latin-1")).decode("latin-1")
    return raw


def _verify(pdf: bytes, intents: list[_Intent]) -> None:
    found = read_filled_values(pdf)
    expected = {f"{i.form}.{i.field}": i for i in intents}
    problems = []
    for name, intent in expected.items():
        entry = found.get(name)
        if entry is None:
            problems.append(f"{name} ({intent.line}) missing from output")
        elif intent.on_state is not None:
            if entry["state"] != intent.on_state:
                problems.append(f"{name} ({intent.line}) is {entry['state']!r}, expected {intent.on_state!r}")
        else:
            if entry["value"] != intent.text:
                problems.append(f"{name} ({intent.line}) reads {entry['value']!r}, expected {intent.text!r}")
            literal = pdf_literal(encode_win_ansi(intent.text))
            if not entry["appearances"] or not any(literal in ap for ap in entry["appearances"]):
                problems.append(f"{name} ({intent.line}) has no appearance stream showing {intent.text!r}")
    for name, entry in found.items():
        if name not in expected and (entry["value"] or entry["state"]):
            problems.append(f"{name} holds {entry['value'] or entry['state']!r} but we filled nothing there")
    if problems:
        raise ReadBackError("filled PDF does not read back as intended: " + "; ".join(problems[:10]))


def _continuation_pages(account: dict, tax_year: int) -> list[PdfDict]:
    from udfi.forms.continuation import render_continuation

    return list(PdfReader(fdata=render_continuation(account, tax_year)).pages)


def fill_return(account: dict, tax_year: int, blanks: BlankSet, flatten: bool = False) -> bytes:
    """The filled Form 990-T + Schedule A (+ continuation statement) for `account`, as PDF bytes.

    Raises UnknownRevisionError when a blank's fields match no known field map, and
    ReadBackError if the written file does not hold exactly the intended values.
    """
    values = form_values(account, tax_year)
    readers: dict[str, PdfReader] = {}
    intents: list[_Intent] = []
    for form in FORMS:
        data = Path(blanks.path(form)).read_bytes()
        reader = read_pdf(data)
        fieldmap = match_revision(form, tax_year, list_fields(reader, captions=False), hashlib.sha256(data).hexdigest())
        if fieldmap.tax_year != tax_year:
            # A blank of another year's revision would print the wrong year and lines: refuse.
            raise UnknownRevisionError(
                f"{form} blank {blanks.path(form)} is the {fieldmap.tax_year} revision "
                f"({fieldmap.path.name}), but the return is for {tax_year}"
            )
        form_intents = _field_intents(form, fieldmap, values[form])
        _apply(reader, form_intents)
        readers[form] = reader
        intents.extend(form_intents)
    pages = [page for form in FORMS for page in readers[form].pages]
    if needs_continuation(account):
        pages.extend(_continuation_pages(account, tax_year))
    title = f"Form 990-T ({tax_year}) {account.get('name', '')}".strip()
    filled = _serialize(pages, _merged_acroform(readers), title)
    _verify(filled, intents)
    if not flatten:
        return filled
    # Flatten the verified file: burn appearances into content, drop fields and widgets.
    verified = PdfReader(fdata=filled)
    next_index = 0
    for page in verified.pages:
        next_index = flatten_page(page, next_index)
    return _serialize(list(verified.pages), None, title)
