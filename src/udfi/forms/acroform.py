"""Read the AcroForm side of an IRS fillable PDF: terminal fields, their widgets and XFA captions.

IRS blanks are AcroForm + XFA hybrids. We fill only the AcroForm (and drop the XFA), but the XFA
template is the one place where each field carries a human caption (`<speak>`), so the field-map
generator reads it to propose which field is which form line.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from pdfrw import PdfDict, PdfReader

_INDEX = re.compile(r"\[\d+\]")


@dataclass
class FieldInfo:
    """One terminal AcroForm field (IRS fields are merged field+widget dictionaries)."""

    name: str  # full dotted name, e.g. topmostSubform[0].Page1[0].f1_4[0]
    kind: str  # "text" or "checkbox"
    page: int  # 1-based page number of the (first) widget
    rect: tuple[float, float, float, float]
    max_len: int | None = None
    read_only: bool = False
    on_states: list[str] = field(default_factory=list)  # checkbox: names of the /AP /N on-states
    caption: str = ""  # from the XFA template, when there is one

    @property
    def short_name(self) -> str:
        """The last name part without its index, e.g. ``f1_4`` (handy for humans only)."""
        return _INDEX.sub("", self.name.rsplit(".", 1)[-1])


def read_pdf(path_or_bytes: Path | bytes) -> PdfReader:
    if isinstance(path_or_bytes, (bytes, bytearray)):
        return PdfReader(fdata=bytes(path_or_bytes))
    return PdfReader(str(path_or_bytes))


def _partial_name(node: PdfDict) -> str | None:
    return node.T.to_unicode() if node.T is not None else None


def iter_terminal_fields(fields, prefix: str = ""):
    """Yield (full_name, field_dict) for each terminal field below `fields` (depth first, in order)."""
    for node in fields or []:
        partial = _partial_name(node)
        full = f"{prefix}.{partial}" if prefix and partial else (partial or prefix)
        kids = node.Kids
        # A node whose kids have no /T of their own is a field with several widgets: terminal.
        if kids and any(kid.T is not None for kid in kids):
            yield from iter_terminal_fields(kids, full)
        else:
            yield full, node


def field_type(node: PdfDict) -> str | None:
    while node is not None:
        if node.FT is not None:
            return node.FT
        node = node.Parent
    return None


def widgets_of(node: PdfDict) -> list[PdfDict]:
    """The widget annotations of a terminal field (itself when field and widget are merged)."""
    if node.Kids:
        return list(node.Kids)
    return [node]


def on_states(widget: PdfDict) -> list[str]:
    normal = widget.AP.N if widget.AP is not None else None
    if normal is None or not isinstance(normal, PdfDict) or normal.stream is not None:
        return []
    return [str(key)[1:] for key in normal.keys() if str(key) != "/Off"]


def list_fields(reader: PdfReader, captions: bool = True) -> list[FieldInfo]:
    """Every terminal field of the document, in AcroForm order, with captions from the XFA."""
    acroform = reader.Root.AcroForm
    if acroform is None or not acroform.Fields:
        return []
    page_numbers = {id(page): number for number, page in enumerate(reader.pages, start=1)}
    caption_of = xfa_captions(reader) if captions else {}
    fields: list[FieldInfo] = []
    for name, node in iter_terminal_fields(acroform.Fields):
        kind = {"/Tx": "text", "/Btn": "checkbox"}.get(field_type(node) or "", "other")
        widgets = widgets_of(node)
        first = widgets[0]
        rect = tuple(float(v) for v in first.Rect) if first.Rect else (0.0, 0.0, 0.0, 0.0)
        flags = int(node.Ff or 0)
        states = sorted({s for w in widgets for s in on_states(w)}) if kind == "checkbox" else []
        fields.append(
            FieldInfo(
                name=name,
                kind=kind,
                page=page_numbers.get(id(first.P), 0) if first.P is not None else 0,
                rect=rect,  # type: ignore[arg-type]
                max_len=int(node.MaxLen) if node.MaxLen is not None else None,
                read_only=bool(flags & 1),
                on_states=states,
                caption=caption_of.get(name, ""),
            )
        )
    return fields


# --- XFA ---------------------------------------------------------------------------------------

_XFA_CONTAINERS = {"subform", "field", "exclGroup", "subformSet", "area"}


def _xfa_packet(reader: PdfReader, packet: str) -> bytes | None:
    xfa = reader.Root.AcroForm.XFA if reader.Root.AcroForm is not None else None
    if xfa is None:
        return None
    if isinstance(xfa, PdfDict):  # a single stream holding the whole XDP
        return _stream_bytes(xfa)
    for index in range(0, len(xfa) - 1, 2):
        if xfa[index].to_unicode() == packet:
            return _stream_bytes(xfa[index + 1])
    return None


def _stream_bytes(stream: PdfDict) -> bytes:
    raw = stream.stream.encode("latin-1")
    filters = stream.Filter
    if filters is None:
        return raw
    names = [str(f) for f in (filters if isinstance(filters, list) else [filters])]
    if names != ["/FlateDecode"]:
        raise ValueError(f"unsupported XFA stream filter {names}")
    return zlib.decompress(raw)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _caption_of(element) -> str:
    for child in element.iter():
        if _local(child.tag) == "speak" and (child.text or "").strip():
            return " ".join(child.text.split())
    for child in element.iter():
        if _local(child.tag) == "toolTip" and (child.text or "").strip():
            return " ".join(child.text.split())
    for child in element:
        if _local(child.tag) == "caption":
            text = " ".join(" ".join(t.text or "" for t in child.iter()).split())
            if text:
                return text
    return ""


def xfa_captions(reader: PdfReader) -> dict[str, str]:
    """AcroForm full field name → the XFA caption (`<speak>` text) of the same field.

    The AcroForm name is the XFA SOM path: named containers joined by dots, each with its index
    among same-named siblings; unnamed containers are transparent. We rebuild those paths.
    """
    template = _xfa_packet(reader, "template")
    if not template:
        return {}
    root = ElementTree.fromstring(template)
    captions: dict[str, str] = {}

    def walk(element, path: str, counters: dict[str, int]) -> None:
        for child in element:
            tag = _local(child.tag)
            if tag not in _XFA_CONTAINERS:
                if tag in {"pageSet", "pageArea"}:
                    continue  # master pages: their fields are not in the AcroForm tree
                continue
            name = child.get("name")
            if not name:
                walk(child, path, counters)  # transparent: children share this scope's counters
                continue
            index = counters.get(name, 0)
            counters[name] = index + 1
            child_path = f"{path}.{name}[{index}]" if path else f"{name}[{index}]"
            if tag == "field":
                captions[child_path] = _caption_of(child)
            else:
                walk(child, child_path, {})

    walk(root, "", {})
    return captions
