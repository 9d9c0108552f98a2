"""Synthetic revisions of an official blank, built at test time (no blank is ever committed).

`revise(blank, ...)` copies a blank and renames every field (in the AcroForm tree and in the XFA
template, consistently), reverses the order of the AcroForm field tree, rewrites chosen captions and
the document title. It imitates a new IRS revision: other field names, another field order, the
same or slightly different captions.
"""

from __future__ import annotations

import io
import re
import zlib
from pathlib import Path

from pdfrw import PdfArray, PdfReader, PdfString, PdfWriter

PREFIX = "r"


def renamed(name: str) -> str:
    """The synthetic revision's full name of an original field: every terminal part gets the prefix."""
    head, _, last = name.rpartition(".")
    return f"{head}.{PREFIX}{last}" if head else f"{PREFIX}{last}"


def _template_index(xfa) -> int:
    for index in range(0, len(xfa) - 1, 2):
        if xfa[index].to_unicode() == "template":
            return index + 1
    raise ValueError("blank has no XFA template packet")


def _reverse_tree(fields) -> None:
    for node in fields:
        kids = node.Kids
        if kids and any(kid.T is not None for kid in kids):
            _reverse_tree(kids)
            node.Kids = PdfArray(list(reversed(kids)))


def _rename_terminals(fields) -> None:
    for node in fields:
        kids = node.Kids
        if kids and any(kid.T is not None for kid in kids):
            _rename_terminals(kids)
        elif node.T is not None:
            node.T = PdfString.from_unicode(PREFIX + node.T.to_unicode())


def revise(blank: Path, *, title: str | None = None, captions: dict[str, str] | None = None,
           replace: dict[str, str] | None = None) -> bytes:
    """A synthetic revision of `blank`. `captions`: original field's last name part (e.g. "f1_26") → new
    `<speak>` text; `replace`: text replacements applied to every caption (e.g. years)."""
    reader = PdfReader(str(blank))
    xfa = reader.Root.AcroForm.XFA
    index = _template_index(xfa)
    stream = xfa[index]
    template = zlib.decompress(stream.stream.encode("latin-1")).decode("utf-8")
    for name, text in (captions or {}).items():
        pattern = re.compile(rf'(<field\b[^>]*\bname="{re.escape(name)}"[^>]*>.*?<speak[^>]*>)(.*?)(</speak)', re.S)
        template, count = pattern.subn(lambda m: m.group(1) + text + m.group(3), template, count=1)
        if count != 1:
            raise ValueError(f"no caption for field {name} in {blank}")
    for old, new in (replace or {}).items():
        template = re.sub(r"(<speak[^>]*>)(.*?)(</speak)", lambda m: m.group(1) + m.group(2).replace(old, new) + m.group(3),
                          template, flags=re.S)
    template = re.sub(r'(<field\b[^>]*?\bname=")([^"]+)"', lambda m: f'{m.group(1)}{PREFIX}{m.group(2)}"', template)
    stream.stream = zlib.compress(template.encode("utf-8")).decode("latin-1")
    _rename_terminals(reader.Root.AcroForm.Fields)
    _reverse_tree(reader.Root.AcroForm.Fields)
    if title is not None:
        reader.Info.Title = PdfString.from_unicode(title)
    buffer = io.BytesIO()
    PdfWriter(trailer=reader).write(buffer)
    return buffer.getvalue()
