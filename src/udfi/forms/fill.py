"""Fill the official Form 990-T and Schedule A (Form 990-T) blanks for one account.

`fill_return` is pure: account object in, PDF bytes out. The output is the filled Form 990-T, then
its Schedules A in sequence (one per unrelated trade or business, Treas. Reg. §1.512(a)-6), then (for
more than four Part V properties) the continuation statement. Every
filled value gets its own appearance stream, the XFA is removed so viewers use the AcroForm, and
the result is read back and compared with what we meant to write before it is returned.
"""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

from pdfrw import IndirectPdfDict, PdfArray, PdfDict, PdfName, PdfObject, PdfReader, PdfString, PdfWriter

from udfi.forms.acroform import field_type, iter_terminal_fields, list_fields, read_pdf, widgets_of
from udfi.forms import readback
from udfi.forms.appearance import encode_win_ansi, flatten_page, pdf_literal, text_appearance
from udfi.forms.blanks import BlankSet
from udfi.forms.derive import resolve_map
from udfi.forms.fieldmaps import FieldMap, UnknownRevisionError
from udfi.forms.pdfout import Template
from udfi.forms.lines import F990T, F990TSA, FORMS, form_values, needs_continuation, schedules_a_values

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
            raise FillError(f"{form}: line {line} has no entry in {fieldmap.source}")
        entry = fieldmap.lines[line]
        if entry["field"] is None:
            continue  # a declared absence: this revision has no such line
        if value is True:
            intents.append(_Intent(form, line, entry["field"], on_state=str(entry["on"])))
        else:
            intents.append(_Intent(form, line, entry["field"], text=str(value)))
    return intents


def schedule_a_copy(sequence: int) -> str:
    """The parent field of the n-th Schedule A: f990tsa for the first, f990tsa_2, f990tsa_3, … after it
    (every copy of the blank has the same field names)."""
    return F990TSA if sequence == 1 else f"{F990TSA}_{sequence}"


def _merged_acroform(readers: dict[str, PdfReader]) -> IndirectPdfDict:
    """One AcroForm over every form. Their field names collide (all start topmostSubform[0]),
    so each form's tree goes under a parent field named after the form (or the Schedule A copy):
    f990t.…, f990tsa.…, f990tsa_2.…"""
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
    """Full field name → {"value": str | None, "state": str | None, "appearances": [stream text]}.

    Files in the shape our writer produces are read with the small strict reader in
    `udfi.forms.readback` (same results, several times faster); anything else with pdfrw.
    """
    try:
        return _read_filled_values_strict(pdf)
    except readback.Unsupported as unsupported:
        reason = unsupported
    try:
        return _read_filled_values_pdfrw(pdf)
    except Exception as error:  # pdfrw fails on broken files with anything (even NameError)
        raise ReadBackError(f"PDF cannot be read back ({reason}; pdfrw: {type(error).__name__}: {error})") from error


_decoded = readback.Memo(20_000)  # a string token as written → pdfrw's decoding of it (a pure function)


def _read_filled_values_strict(pdf: bytes) -> dict[str, dict]:
    doc = readback.Document(pdf)
    get = doc.get

    def as_dict(value) -> dict | None:
        value = get(value)
        if value is not None and not isinstance(value, dict):
            raise readback.Unsupported(f"expected a dictionary, found {value!r}")
        return value

    def as_list(value) -> list | None:
        value = get(value)
        if value is not None and not isinstance(value, list):
            raise readback.Unsupported(f"expected an array, found {value!r}")
        return value

    def unicode_of(value) -> str:
        if not isinstance(value, readback.Str):
            raise readback.Unsupported(f"expected a string, found {value!r}")
        text = _decoded.get(value)
        if text is None:
            text = PdfString(value).to_unicode()
            _decoded.put(value, text)
        return text

    def terminal_fields(fields, prefix: str = ""):  # as acroform.iter_terminal_fields
        for node in fields or []:
            node = as_dict(node)
            title = get(node.get("/T"))
            partial = unicode_of(title) if title is not None else None
            full = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
            kids = as_list(node.get("/Kids"))
            if kids and any(as_dict(kid).get("/T") is not None for kid in kids):
                yield from terminal_fields(kids, full)
            else:
                yield full, node, kids

    def kind_of(node: dict):  # as acroform.field_type
        while node is not None:
            if node.get("/FT") is not None:
                return get(node["/FT"])
            node = as_dict(node.get("/Parent"))
        return None

    found: dict[str, dict] = {}
    root = as_dict(doc.trailer.get("/Root"))
    acroform = as_dict(root.get("/AcroForm")) if root is not None else None
    if acroform is None:
        return found
    for name, node, kids in terminal_fields(as_list(acroform.get("/Fields"))):
        value = get(node.get("/V"))
        entry = {"value": None, "state": None, "appearances": []}
        if kind_of(node) == "/Btn":
            entry["state"] = str(value)[1:] if value is not None and value != "/Off" else None
        elif value is not None:
            entry["value"] = unicode_of(value)
        for widget in [as_dict(kid) for kid in kids] if kids else [node]:
            appearance = as_dict(widget.get("/AP"))
            normal = get(appearance.get("/N")) if appearance is not None else None
            if isinstance(normal, readback.Stream):
                entry["appearances"].append(readback.stream_text(normal))
        found[name] = entry
    return found


def _read_filled_values_pdfrw(pdf: bytes) -> dict[str, dict]:
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
    try:
        found = read_filled_values(pdf)
    except ReadBackError:
        raise
    except Exception as error:  # e.g. a field tree of the wrong shape: the file is not what we wrote
        raise ReadBackError(f"filled PDF cannot be read back: {type(error).__name__}: {error}") from error
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


_TEMPLATE_CACHE_SIZE = 6
_templates: OrderedDict[tuple[str, ...], "_MergedBlanks"] = OrderedDict()
_fields_of: OrderedDict[str, list] = OrderedDict()  # blank sha256 → its field inventory
_cache_lock = threading.Lock()


@dataclass
class _MergedBlanks:
    """The blanks parsed once (the Schedule A once per copy), merged into one AcroForm (without /XFA),
    numbered and formatted."""

    template: Template
    pages_dict: PdfDict  # the output's /Pages (its number is fixed; rewritten with continuation pages)
    page_copies: list[PdfDict]
    acroform: PdfDict  # the merged AcroForm (DA, DR) text appearances are drawn against
    nodes: dict[str, dict]  # form or Schedule A copy → {full field name → terminal field dict}
    font_metrics: dict = dataclass_field(default_factory=dict)  # id(font dict of the template) → FontMetrics
    layouts: dict = dataclass_field(default_factory=dict)  # id(widget dict of the template) → WidgetLayout


def _page_copy(page: PdfDict, pages_dict: PdfDict, swap: dict[int, object]) -> PdfDict:
    """What pdfrw's PdfWriter.addpage writes for `page`: a copy with the inherited attributes,
    under our page tree; the original page and its old tree nodes are swapped out."""
    inheritable = page.inheritable
    copy = IndirectPdfDict(
        page,
        Resources=inheritable.Resources,
        MediaBox=inheritable.MediaBox,
        CropBox=inheritable.CropBox,
        Rotate=inheritable.Rotate,
    )
    copy.Parent = pages_dict
    swap[id(page)] = copy
    node = page.Parent
    while node is not None and id(node) not in swap:
        swap[id(node)] = pages_dict
        node = node.Parent
    return copy


def _merge_blanks(datas: dict[str, bytes]) -> _MergedBlanks:
    readers = {form: read_pdf(data) for form, data in datas.items()}
    acroform = _merged_acroform(readers)
    pages_dict = IndirectPdfDict(Type=PdfName.Pages)
    swap: dict[int, object] = {}
    copies = [_page_copy(page, pages_dict, swap) for reader in readers.values() for page in reader.pages]
    pages_dict.Kids = PdfArray(copies)
    pages_dict.Count = PdfObject(len(copies))
    root = IndirectPdfDict(Type=PdfName.Catalog, Pages=pages_dict, AcroForm=acroform)
    template = Template(root, swap, keep=[readers, copies, root])
    # Keyed by the name within the form's own blank (the output prefixes it with "<form>.").
    nodes = {form: dict(iter_terminal_fields(reader.Root.AcroForm.Fields)) for form, reader in readers.items()}
    return _MergedBlanks(template, pages_dict, copies, acroform, nodes)


def _blank_fields(data: bytes, sha256: str) -> list:
    with _cache_lock:
        found = _fields_of.get(sha256)
        if found is not None:
            _fields_of.move_to_end(sha256)
            return found
    found = list_fields(read_pdf(data), captions=False)
    with _cache_lock:
        _fields_of[sha256] = found
        while len(_fields_of) > 2 * _TEMPLATE_CACHE_SIZE:
            _fields_of.popitem(last=False)
    return found


def _merged_blanks(datas: dict[str, bytes], shas: tuple[str, ...]) -> _MergedBlanks:
    with _cache_lock:
        merged = _templates.get(shas)
        if merged is not None:
            _templates.move_to_end(shas)
            return merged
        merged = _merge_blanks(datas)
        _templates[shas] = merged
        while len(_templates) > _TEMPLATE_CACHE_SIZE:
            _templates.popitem(last=False)
        return merged


def _filled_copies(merged: _MergedBlanks, intents: list[_Intent]) -> list[tuple[PdfDict, PdfDict]]:
    """Changed copies of the template's field/widget dicts (the cached template is never modified)."""
    copies: dict[int, tuple[PdfDict, PdfDict]] = {}

    def copy_of(obj: PdfDict) -> PdfDict:
        if id(obj) not in copies:
            copies[id(obj)] = (obj, PdfDict(obj))
        return copies[id(obj)][1]

    for intent in intents:
        node = merged.nodes[intent.form].get(intent.field)
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
                copy_of(widget).AS = state
            copy_of(node).V = state
        else:
            copy_of(node).V = PdfString.from_unicode(intent.text)
            for widget in widgets_of(node):
                target = copy_of(widget)
                # Drawn from the template's widget (the copy differs only in /V, /AP): its layout is cached.
                appearance = text_appearance(widget, intent.text, merged.acroform, merged.font_metrics, merged.layouts)
                target.AP = PdfDict(N=appearance)
    return list(copies.values())


def fill_return(account: dict, tax_year: int, blanks: BlankSet, flatten: bool = False) -> bytes:
    """The filled Form 990-T + its Schedules A (+ continuation statement) for `account`, as PDF bytes.

    Raises UnknownRevisionError when a blank's fields match no known field map, and
    ReadBackError if the written file does not hold exactly the intended values.

    The parsed, merged blanks are cached per process by the blanks' sha256 and the number of Schedules
    A (never modified: each fill writes changed copies of the field dictionaries it fills).
    """
    values = {F990T: form_values(account, tax_year)[F990T]}
    values.update({schedule_a_copy(n): sa for n, sa in enumerate(schedules_a_values(account), start=1)})
    intents: list[_Intent] = []
    datas: dict[str, bytes] = {}
    shas: list[str] = []
    for form in FORMS:
        data = Path(blanks.path(form)).read_bytes()
        sha256 = hashlib.sha256(data).hexdigest()
        # The reviewed map of this revision, or one derived from the blank's captions; a blank of
        # another year's revision would print the wrong year and lines: refused.
        fieldmap = resolve_map(form, tax_year, data, sha256, _blank_fields(data, sha256), Path(blanks.path(form)))
        for copy in [name for name in values if name == form or name.startswith(f"{form}_")]:
            intents.extend(_field_intents(copy, fieldmap, values[copy]))
            datas[copy] = data
            shas.append(sha256)
    merged = _merged_blanks(datas, tuple(shas))
    replaced = _filled_copies(merged, intents)
    if needs_continuation(account):
        swap = dict(merged.template.swap)
        extra = [_page_copy(page, merged.pages_dict, swap) for page in _continuation_pages(account, tax_year)]
        pages_dict = IndirectPdfDict(merged.pages_dict)
        pages_dict.Kids = PdfArray([*merged.page_copies, *extra])
        pages_dict.Count = PdfObject(len(merged.page_copies) + len(extra))
        replaced.append((merged.pages_dict, pages_dict))
        extra_swap = {key: value for key, value in swap.items() if key not in merged.template.swap}
    else:
        extra_swap = {}
    title = f"Form 990-T ({tax_year}) {account.get('name', '')}".strip()
    # Fixed metadata and no /ID or dates: the same account gives byte-identical output.
    info = IndirectPdfDict(Title=PdfString.from_unicode(title), Producer=PdfString.from_unicode("udfi"))
    filled = merged.template.write(replaced, info, PDF_VERSION, extra_swap)
    _verify(filled, intents)
    if not flatten:
        return filled
    # Flatten the verified file: burn appearances into content, drop fields and widgets.
    verified = PdfReader(fdata=filled)
    next_index = 0
    for page in verified.pages:
        next_index = flatten_page(page, next_index)
    return _serialize(list(verified.pages), None, title)
