"""A small, strict PDF object reader for reading filled fields back from our own output.

pdfrw parses each object with a general tokenizer, which makes reading ~500 field objects back
the slowest step of a fill. This reader handles exactly the file shape our writer produces — one
classic xref table (no /Prev, no xref streams, no encryption), every object at its xref offset
with a matching "N 0 obj" header, well-formed tokens — and raises `Unsupported` on anything
else, so callers fall back to pdfrw. Strings and names are kept as their raw tokens and decoded
by pdfrw (`PdfString.to_unicode`), so values decode exactly as pdfrw decodes them.

Most objects of a filled file are the blank's, written as the same bytes in every file. Parsed
objects are therefore memoized per process by their exact bytes — everything from the object's xref
offset to the next object's (or the xref table's) — so an object is parsed again whenever a single
byte of it differs, and every lookup still goes through this file's own xref offsets.
"""

from __future__ import annotations

import bisect
import re
import zlib

_WS = re.compile(rb"(?:[\x00\t\n\f\r ]+|%[^\r\n]*)*")
_REGULAR = re.compile(rb"[^\x00\t\n\f\r ()<>\[\]{}/%]+")
_HEX = re.compile(rb"<[0-9A-Fa-f\x00\t\n\f\r ]*>")
_OBJ_HEADER = re.compile(rb"(\d+) (\d+) obj")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_HEAD = re.compile(rb"xref\n0 (\d+)\n")
_INT = re.compile(rb"\d+$")
_REF_TAIL = re.compile(rb"[\x00\t\n\f\r ]+(\d+)[\x00\t\n\f\r ]+R(?![^\x00\t\n\f\r ()<>\[\]{}/%])")


_STRING = rb"\((?:[^\\()]++|\\.|\((?:[^\\()]++|\\.|\((?:[^\\()]++|\\.)*+\))*+\))*+\)"  # nesting up to 3; possessive: linear
_TOKEN = re.compile(
    rb"[\x00\t\n\f\r ]*(<<|>>|\[|\]|/[^\x00\t\n\f\r ()<>\[\]{}/%]*|"
    + _STRING
    + rb"|<[0-9A-Fa-f\x00\t\n\f\r ]*>|[^\x00\t\n\f\r ()<>\[\]{}/%]+|.)",
    re.S,
)
_DIGITS = re.compile(r"\d+$")


class Unsupported(ValueError):
    """The file is not in the shape this reader handles (use a general parser)."""


class Ref(int):
    """An indirect reference (object number; generation 0)."""


class Name(str):
    """A name token, as written (e.g. ``/Off``)."""


class Str(str):
    """A string token, as written (``(…)`` or ``<…>``), latin-1."""


class Stream(dict):
    raw: bytes = b""
    text: str | None = None  # the decoded content, once stream_text has computed it


class Memo:
    """A bounded memo of a pure function's results, in two generations: a result seen once is
    young and dropped with all the young ones when they fill up (a filled file's own objects); a
    result seen again is kept (a blank's objects) until the kept ones fill up (many blank sets)."""

    def __init__(self, limit: int):
        self.limit = limit
        self.young: dict = {}
        self.kept: dict = {}

    def get(self, key):
        value = self.kept.get(key)
        if value is None:
            value = self.young.pop(key, None)
            if value is not None:
                if len(self.kept) >= self.limit:
                    self.kept.clear()
                self.kept[key] = value
        return value

    def put(self, key, value) -> None:
        if len(self.young) >= self.limit:
            self.young.clear()
        self.young[key] = value


# object's bytes (header to the next object) → its parsed value; shared across documents, so
# values must never be changed by callers. A blank set has a few thousand objects.
_parsed = Memo(20_000)


class Document:
    def __init__(self, data: bytes):
        self.data = data
        match = _STARTXREF.search(data, max(0, len(data) - 64))
        if match is None:
            raise Unsupported("no startxref at the end")
        xref_at = int(match.group(1))
        head = _XREF_HEAD.match(data, xref_at)
        if head is None:
            raise Unsupported("not a single classic xref table starting at 0")
        count = int(head.group(1))
        pos = head.end()
        self.offsets: dict[int, int] = {}
        for number in range(count):
            entry = data[pos : pos + 20]
            if len(entry) != 20 or entry[10:11] != b" " or entry[16:17] != b" ":
                raise Unsupported("malformed xref entry")
            if entry[17:18] == b"n":
                self.offsets[number] = int(entry[:10])
            elif entry[17:18] != b"f":
                raise Unsupported("malformed xref entry")
            pos += 20
        if not data.startswith(b"trailer", _WS.match(data, pos).end()):
            raise Unsupported("no trailer after the xref table")
        self.trailer, _ = self._value(_WS.match(data, pos).end() + len(b"trailer"))
        if not isinstance(self.trailer, dict) or any(k in self.trailer for k in ("/Prev", "/Encrypt", "/XRefStm")):
            raise Unsupported("trailer needs a general parser")
        self._objects: dict[int, object] = {}
        self._xref_at = xref_at
        self._starts: list[int] | None = None  # sorted object offsets, for each object's extent

    # --- objects ---------------------------------------------------------------------------

    def get(self, value):
        """`value` with an indirect reference resolved (None for a missing object is not ours)."""
        if isinstance(value, Ref):
            return self.load(int(value))
        return value

    def load(self, number: int):
        if number in self._objects:
            return self._objects[number]
        offset = self.offsets.get(number)
        if offset is None:
            raise Unsupported(f"object {number} not in the xref table")
        span = self._span(offset)
        value = _parsed.get(span)
        if value is None:
            value, memoizable = self._parse(number, offset, offset + len(span))
            if memoizable:
                _parsed.put(span, value)
        self._objects[number] = value
        return value

    def _span(self, offset: int) -> bytes:
        """The bytes from `offset` to the next object's offset (or the xref table)."""
        if self._starts is None:
            self._starts = sorted(set(self.offsets.values()))
        following = bisect.bisect_right(self._starts, offset)
        end = self._starts[following] if following < len(self._starts) else self._xref_at
        return self.data[offset:max(end, offset)]

    def _parse(self, number: int, offset: int, span_end: int) -> tuple[object, bool]:
        """(object `number`'s value, whether it depends on its span's bytes alone)."""
        data = self.data
        header = _OBJ_HEADER.match(data, offset)
        if header is None or int(header.group(1)) != number or header.group(2) != b"0":
            raise Unsupported(f"object {number} not at its xref offset")
        value, pos, keyword = self._object_value(header.end())
        self_contained = True
        if keyword == b"stream":
            if not isinstance(value, dict):
                raise Unsupported("stream without a dictionary")
            if data.startswith(b"\r\n", pos):
                pos += 2
            elif data.startswith(b"\n", pos):
                pos += 1
            else:
                raise Unsupported("bad stream start")
            self_contained = not isinstance(value.get("/Length"), Ref)
            length = self.get(value.get("/Length"))
            if not isinstance(length, str) or not _INT.match(length.encode("latin-1")):
                raise Unsupported("stream without a direct integer /Length")
            end = pos + int(length)
            stream = Stream(value)
            stream.raw = data[pos:end]
            after = _WS.match(data, end).end()
            if not data.startswith(b"endstream", after):
                raise Unsupported("stream /Length does not reach endstream")
            value, pos = stream, _WS.match(data, after + 9).end()
            if not data.startswith(b"endobj", pos):
                raise Unsupported(f"object {number} has no endobj")
            pos += 6
        return value, self_contained and pos <= span_end

    def _object_value(self, pos: int):
        """(the object's value, the position after the keyword that ends it, that keyword)."""
        stack: list[list] = [[None]]
        for match in _TOKEN.finditer(self.data, pos):
            token = match.group(1)
            first = token[0]
            if token == b"<<" or token == b"[":
                stack.append([token])
                continue
            if token == b">>":
                items = stack.pop()
                if items[0] != b"<<" or len(items) % 2 != 1:
                    raise Unsupported("unbalanced dictionary")
                keys = items[1::2]
                if not all(type(key) is Name for key in keys):
                    raise Unsupported("dictionary key is not a name")
                value = dict(zip(map(str, keys), items[2::2]))
            elif token == b"]":
                items = stack.pop()
                if items[0] != b"[":
                    raise Unsupported("unbalanced array")
                value = items[1:]
            elif first == 0x2F:  # /
                value = Name(token.decode("latin-1"))
            elif first == 0x28 or first == 0x3C:  # ( or <
                if len(token) < 2:
                    raise Unsupported("string nested too deep or unterminated")
                value = Str(token.decode("latin-1"))
            elif token == b"R":
                items = stack[-1]
                if len(items) < 3 or not (type(items[-1]) is str and type(items[-2]) is str):
                    raise Unsupported("R without object and generation numbers")
                generation, number = items.pop(), items.pop()
                if generation != "0" or not _DIGITS.match(number):
                    raise Unsupported("bad indirect reference")
                value = Ref(int(number))
            elif token == b"endobj" or token == b"stream":
                if len(stack) != 1 or len(stack[0]) != 2:
                    raise Unsupported("object is not one value")
                return stack[0][1], match.end(), token
            elif token == b"null" or len(token) == 1 and token in b"()<>{}%":
                raise Unsupported(f"token {token!r} needs a general parser")
            else:
                value = token.decode("latin-1")
            stack[-1].append(value)
        raise Unsupported("object without endobj")

    def _value(self, pos: int):
        data = self.data
        pos = _WS.match(data, pos).end()
        char = data[pos : pos + 1]
        if char == b"<":
            if data.startswith(b"<<", pos):
                result: dict = {}
                pos += 2
                while True:
                    pos = _WS.match(data, pos).end()
                    if data.startswith(b">>", pos):
                        return result, pos + 2
                    key, pos = self._value(pos)
                    if not isinstance(key, Name):
                        raise Unsupported("dictionary key is not a name")
                    value, pos = self._value(pos)
                    result[str(key)] = value
            match = _HEX.match(data, pos)
            if match is None:
                raise Unsupported("bad hex string")
            return Str(match.group().decode("latin-1")), match.end()
        if char == b"[":
            items = []
            pos += 1
            while True:
                pos = _WS.match(data, pos).end()
                if data.startswith(b"]", pos):
                    return items, pos + 1
                value, pos = self._value(pos)
                items.append(value)
        if char == b"(":
            return self._literal(pos)
        if char == b"/":
            match = _REGULAR.match(data, pos + 1)
            end = match.end() if match else pos + 1
            return Name(data[pos:end].decode("latin-1")), end
        match = _REGULAR.match(data, pos)
        if match is None:
            raise Unsupported(f"unexpected byte {char!r} at {pos}")
        token = match.group()
        end = match.end()
        if _INT.match(token):  # maybe "N G R"
            ref = _REF_TAIL.match(data, end)
            if ref is not None:
                if ref.group(1) != b"0":
                    raise Unsupported("generation other than 0")
                return Ref(int(token)), ref.end()
        if token == b"null":
            raise Unsupported("null object")  # pdfrw drops it from dicts; leave that to pdfrw
        return token.decode("latin-1"), end

    def _literal(self, pos: int):
        data = self.data
        depth = 0
        index = pos
        length = len(data)
        while index < length:
            byte = data[index]
            if byte == 0x5C:  # backslash: skip the escaped byte
                index += 2
                continue
            if byte == 0x28:
                depth += 1
            elif byte == 0x29:
                depth -= 1
                if depth == 0:
                    return Str(data[pos : index + 1].decode("latin-1")), index + 1
            index += 1
        raise Unsupported("unterminated string")


def stream_text(stream: Stream) -> str:
    """The stream's content as latin-1 text, inflated when its /Filter is /FlateDecode (as pdfrw)."""
    if stream.text is None:
        raw = stream.raw
        stream.text = (zlib.decompress(raw) if stream.get("/Filter") == "/FlateDecode" else raw).decode("latin-1")
    return stream.text
