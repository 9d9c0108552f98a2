"""A PDF writer that formats the unchanging part of a document once and reuses it.

It formats objects exactly as pdfrw's `PdfWriter` does (same object syntax, sorted keys, same
line wrapping, Flate-compressed streams, classic xref table), but in two stages:

* `Template` numbers and formats every object reachable from a base trailer once;
* `Template.write` then produces a whole, single-revision file per call: the template's cached
  object text, with some objects replaced by changed copies (keeping their numbers) and new
  objects appended after the template's last number.

The output is a complete rewrite (no incremental update), deterministic for the same input.
"""

from __future__ import annotations

from pdfrw import PdfArray, PdfDict, PdfObject
from pdfrw.compress import compress as _do_compress
from pdfrw.objects import PdfString


def _user_fmt(obj) -> str:
    if isinstance(obj, (str, bytes)):
        return PdfString.encode(obj)
    if isinstance(obj, float):
        return ("%.9f" % obj).rstrip("0").rstrip(".")
    return str(obj)


def _format_array(items: list[str], formatter: str) -> str:
    if sum(len(x) for x in items) <= 70:
        return formatter % " ".join(items)
    rows: list[list[str]] = []
    count = 1000000
    for x in items:
        lenx = len(x) + 1
        count += lenx
        if count > 71:
            row: list[str] = []
            rows.append(row)
            count = lenx
        row.append(x)
    return formatter % "\n  ".join(" ".join(row) for row in rows)


class _Formatter:
    """pdfrw's FormatObjects numbering and formatting, over a number map that may be pre-filled."""

    def __init__(self, numbers: dict[int, int], first_number: int, swap: dict[int, object]):
        self.base = numbers  # id(obj) → number, shared and read-only
        self.numbers: dict[int, int] = {}  # new objects of this run
        self.next_number = first_number
        self.swap = swap  # id(old object) → object written in its place
        self.new: list[tuple[int, object]] = []  # (number, object), formatted by `drain`
        self.texts: dict[int, str] = {}
        self.keep: list = []  # keep swapped/new objects alive while ids are in use

    def number_of(self, obj) -> int | None:
        objid = id(obj)
        number = self.base.get(objid)
        return number if number is not None else self.numbers.get(objid)

    def ref(self, obj) -> str:
        if isinstance(obj, PdfDict):
            indirect = obj.indirect or (obj.stream is not None)
        else:
            indirect = getattr(obj, "indirect", False)
        if not indirect:
            return self.format(obj)
        number = self.number_of(obj)
        if number is None:
            swapped = self.swap.get(id(obj))
            if swapped is not None:
                number = self.number_of(swapped)
                if number is not None:
                    return f"{number} 0 R"
                obj = swapped
            number = self.assign(obj)
        return f"{number} 0 R"

    def assign(self, obj, number: int | None = None) -> int:
        if number is None:
            number = self.next_number
            self.next_number += 1
        self.numbers[id(obj)] = number
        self.keep.append(obj)
        self.new.append((number, obj))
        return number

    def format(self, obj) -> str:
        while True:
            if isinstance(obj, (list, dict, tuple)):
                if isinstance(obj, PdfArray):
                    return _format_array([self.ref(x) for x in obj], "[%s]")
                if isinstance(obj, PdfDict):
                    if obj.stream:
                        _do_compress([obj])
                    pairs = sorted((getattr(k, "encoded", None) or k, v) for k, v in obj.iteritems())
                    items = []
                    for key, value in pairs:
                        items.append(key)
                        items.append(self.ref(value))
                    result = _format_array(items, "<<%s>>")
                    if obj.stream is not None:
                        result = "%s\nstream\n%s\nendstream" % (result, obj.stream)
                    return result
                obj = (PdfArray, PdfDict)[isinstance(obj, dict)](obj)
                continue
            if hasattr(obj, "indirect"):
                return str(getattr(obj, "encoded", None) or obj)
            return _user_fmt(obj)

    def format_copy(self, original: PdfDict, copy: PdfDict, known: dict) -> str:
        """`format(copy)` for a changed copy of a template dict: a value it shares with `original`
        (the same object) is written as `known[key]`, the text `format` gives it (see Template)."""
        pairs = sorted((getattr(k, "encoded", None) or k, k, v) for k, v in copy.iteritems())
        items = []
        for encoded, key, value in pairs:
            items.append(encoded)
            text = known.get(key) if dict.get(original, key) is value else None
            items.append(text if text is not None else self.ref(value))
        return _format_array(items, "<<%s>>")

    def drain(self) -> None:
        # Like pdfrw: a stack, so deep structures do not recurse.
        while self.new:
            number, obj = self.new.pop()
            self.texts[number] = self.format(obj)


class Template:
    """The numbered, formatted objects reachable from `root` (an indirect catalog dict).

    `swap` maps id() of objects that must not be written (old page tree nodes, old pages) to the
    object written in their place, as pdfrw's PdfWriter does for pages added from another file.
    """

    def __init__(self, root: PdfDict, swap: dict[int, object], keep: list):
        self.root = root
        self.swap = swap
        self.keep = keep  # the objects (readers) whose ids the number map holds
        formatter = _Formatter({}, 1, swap)
        formatter.ref(root)
        formatter.drain()
        self.numbers = formatter.numbers
        self.keep = [keep, formatter.keep]
        self.count = formatter.next_number - 1
        self.texts = [formatter.texts[n] for n in range(1, self.count + 1)]
        self._value_texts: dict[int, dict] = {}  # id(template dict) → {key: its value's text}

    def _known_values(self, original: PdfDict) -> dict:
        """The text of each value of a template dict that formats without numbering a new object:
        the template never changes, so that text is the same in every file."""
        known = self._value_texts.get(id(original))
        if known is None:
            known = {}
            for key, value in original.iteritems():
                probe = _Formatter(self.numbers, self.count + 1, self.swap)
                text = probe.ref(value)
                if not probe.new:
                    known[key] = text
            self._value_texts[id(original)] = known
        return known

    def write(
        self, replaced: list[tuple[object, PdfDict]], info: PdfDict, version: str, swap: dict[int, object] | None = None
    ) -> bytes:
        """The whole file: template objects, each `(original, copy)` written under the original's
        number, new objects they reference appended, and a trailer with /Info `info`. `swap` adds
        replacements for objects of pages added to this file only."""
        formatter = _Formatter(self.numbers, self.count + 1, {**self.swap, **swap} if swap else self.swap)
        overrides: dict[int, str] = {}
        for original, copy in replaced:
            number = self.numbers[id(original)]
            formatter.keep.append(copy)
            if copy.stream is None and isinstance(original, PdfDict) and original.stream is None:
                overrides[number] = formatter.format_copy(original, copy, self._known_values(original))
            else:
                overrides[number] = formatter.format(copy)
            formatter.drain()
        info_ref = formatter.ref(info)
        formatter.drain()
        size = formatter.next_number
        trailer = _format_array(
            ["/Info", info_ref, "/Root", f"{self.numbers[id(self.root)]} 0 R", "/Size", str(size)], "<<%s>>"
        )
        header = "%%PDF-%s\n%%\xe2\xe3\xcf\xd3\n" % version
        parts = [header]
        offset = len(header)
        xref = ["xref\n0 %s\n" % size, "%010d %05d %s\r\n" % (0, 65535, "f")]
        texts = self.texts
        for number in range(1, size):
            body = overrides.get(number)
            if body is None:
                body = texts[number - 1] if number <= self.count else formatter.texts[number]
            text = "%s 0 obj\n%s\nendobj\n" % (number, body)
            xref.append("%010d %05d %s\r\n" % (offset, 0, "n"))
            offset += len(text)
            parts.append(text)
        parts.extend(xref)
        parts.append("trailer\n\n%s\nstartxref\n%s\n%%%%EOF\n" % (trailer, offset))
        return "".join(parts).encode("latin-1")


__all__ = ["Template", "PdfObject"]
