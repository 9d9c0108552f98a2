"""The read-back still catches every difference between what we meant to write and what the file
holds, now that parsed objects are memoized by their bytes (udfi.forms.readback).

Each test fills real returns first, so the memo holds the blank's objects and those of the filled
files, then corrupts one object of a filled file, rewrites the xref table so the file keeps our
writer's shape (the strict reader, not the pdfrw fallback, reads it) and checks that `_verify`
raises ReadBackError naming what is wrong.
"""

from __future__ import annotations

import re
import zlib
from unittest import mock

import pytest
from forms_helpers import blanks_for, load_account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from udfi.forms import fill, readback
from udfi.forms.fill import ReadBackError, _verify, fill_return

YEAR = 2021


def _fill_recording(name: str) -> tuple[bytes, list]:
    """The filled file of a test account and the intents it was verified against."""
    seen = []
    real = fill._verify

    def recorder(pdf, intents):
        seen.append(intents)
        real(pdf, intents)

    with mock.patch.object(fill, "_verify", recorder):
        pdf = fill_return(load_account(name, YEAR), YEAR, blanks_for(YEAR))
    return pdf, seen[0]


@pytest.fixture(scope="module")
def two() -> tuple[bytes, list]:
    return _fill_recording("two_properties")


@pytest.fixture(scope="module")
def roth() -> tuple[bytes, list]:
    return _fill_recording("roth")


def _split(pdf: bytes) -> tuple[bytes, dict[int, bytes], bytes]:
    """(the header, object number → its body between "N 0 obj\\n" and "\\nendobj\\n", the trailer)."""
    doc = readback.Document(pdf)
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", pdf).group(1))
    starts = sorted(doc.offsets.items(), key=lambda item: item[1])
    bodies = {}
    for (number, offset), (_, end) in zip(starts, starts[1:] + [(None, xref_at)]):
        span = pdf[offset:end]
        head = b"%d 0 obj\n" % number
        assert span.startswith(head) and span.endswith(b"\nendobj\n")
        bodies[number] = span[len(head) : -len(b"\nendobj\n")]
    first = min(doc.offsets.values())
    trailer = pdf[pdf.index(b"trailer\n", xref_at) : pdf.rindex(b"startxref")]
    return pdf[:first], bodies, trailer


def _join(header: bytes, bodies: dict[int, bytes], trailer: bytes) -> bytes:
    """A file in our writer's shape: objects in number order, one classic xref table (a dropped
    object is a free entry), the given trailer."""
    size = int(re.search(rb"/Size (\d+)", trailer).group(1))
    parts, xref, offset = [header], [b"xref\n0 %d\n" % size, b"0000000000 65535 f\r\n"], len(header)
    for number in range(1, size):
        if number not in bodies:
            xref.append(b"0000000000 00000 f\r\n")
            continue
        text = b"%d 0 obj\n%s\nendobj\n" % (number, bodies[number])
        xref.append(b"%010d 00000 n\r\n" % offset)
        parts.append(text)
        offset += len(text)
    return b"".join(parts + xref + [trailer, b"startxref\n%d\n%%%%EOF\n" % offset])


def _object_with(bodies: dict[int, bytes], needle: bytes) -> int:
    found = [number for number, body in bodies.items() if needle in body]
    assert len(found) == 1, (needle, found)
    return found[0]


def _appearance_of(bodies: dict[int, bytes], shown: bytes) -> int:
    """The number of the one appearance stream whose content draws `shown` (e.g. b"(27,166) Tj")."""
    found = []
    for number, body in bodies.items():
        if b"/FlateDecode" in body and b"stream\n" in body:
            raw = body[body.index(b"stream\n") + 7 : body.rindex(b"\nendstream")]
            if shown in zlib.decompress(raw):
                found.append(number)
    assert len(found) == 1, (shown, found)
    return found[0]


def test_the_split_and_join_helpers_reproduce_the_file(two):
    # The corruptions below differ from the filled file in the corrupted object only.
    pdf, _ = two
    assert _join(*_split(pdf)) == pdf


def test_a_changed_value_is_caught(two):
    # two_properties 2021: Part I line 11 = 27,166 (tests/forms/data/two_properties.json).
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    number = _object_with(bodies, b"/V (27,166)")
    bodies[number] = bodies[number].replace(b"/V (27,166)", b"/V (27,167)")
    with pytest.raises(ReadBackError, match=r"part_i\.11\) reads '27,167', expected '27,166'"):
        _verify(_join(header, bodies, trailer), intents)


def test_a_changed_appearance_is_caught(two):
    # /V still says 27,166 but the box would print 27,167: a viewer shows the appearance, not /V.
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    number = _appearance_of(bodies, b"(27,166) Tj")
    body = bodies[number]
    start, end = body.index(b"stream\n") + 7, body.rindex(b"\nendstream")
    content = zlib.decompress(body[start:end]).replace(b"(27,166) Tj", b"(27,167) Tj")
    packed = zlib.compress(content)
    dictionary = re.sub(rb"/Length \d+", b"/Length %d" % len(packed), body[:start])
    bodies[number] = dictionary + packed + body[end:]
    with pytest.raises(ReadBackError, match=r"part_i\.11\) has no appearance stream showing '27,166'"):
        _verify(_join(header, bodies, trailer), intents)


def test_a_dropped_appearance_object_is_caught(two):
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    number = _appearance_of(bodies, b"(27,166) Tj")
    del bodies[number]
    with pytest.raises(ReadBackError, match=f"object {number} not in the xref table"):
        _verify(_join(header, bodies, trailer), intents)


def test_a_dropped_field_object_is_caught(two):
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    number = _object_with(bodies, b"/V (27,166)")
    del bodies[number]
    with pytest.raises(ReadBackError, match=f"object {number} not in the xref table"):
        _verify(_join(header, bodies, trailer), intents)


def test_a_blank_field_left_filled_is_caught(two):
    # A field of the blank we filled nothing in (its object is the blank's, already memoized)
    # now holds a value.
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    filled_names = {f"{intent.form}.{intent.field}" for intent in intents}
    blank = next(name for name, entry in fill.read_filled_values(pdf).items()
                 if name.startswith("f990t.") and name not in filled_names and entry["value"] is None
                 and b"/FT /Tx" in bodies[_field_number(pdf, name)])
    number = _field_number(pdf, blank)
    bodies[number] = bodies[number].replace(b"/FT /Tx", b"/FT /Tx /V (1)")
    with pytest.raises(ReadBackError, match=re.escape(f"{blank} holds '1' but we filled nothing there")):
        _verify(_join(header, bodies, trailer), intents)


def _field_number(pdf: bytes, full_name: str) -> int:
    """The object number of a terminal field (found through the AcroForm tree, by partial names)."""
    doc = readback.Document(pdf)
    nodes = doc.get(doc.get(doc.trailer["/Root"])["/AcroForm"])["/Fields"]
    parts = full_name.split(".")
    reference = None
    for part in parts:
        for kid in nodes:
            node = doc.get(kid)
            if fill.PdfString(node["/T"]).to_unicode() == part:
                reference, nodes = kid, node.get("/Kids", [])
                break
        else:
            raise AssertionError(f"{part} of {full_name} not found")
    return int(reference)


def test_an_object_from_another_fill_is_caught(two, roth):
    # Object bytes another (verified, so memoized) file holds under the same number: the roth
    # account's Part I line 11 field. Same bytes parse the same, but they are not what we meant.
    pdf, intents = two
    header, bodies, trailer = _split(pdf)
    number = _object_with(bodies, b"/V (27,166)")
    _, roth_bodies, _ = _split(roth[0])
    assert roth_bodies[number] != bodies[number]
    bodies[number] = roth_bodies[number]
    with pytest.raises(ReadBackError, match=r"part_i\.11\) reads"):
        _verify(_join(header, bodies, trailer), intents)


def _read_or_error(pdf: bytes):
    try:
        return fill.read_filled_values(pdf)
    except Exception as error:  # noqa: BLE001 — compared, not hidden
        return type(error).__name__


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_memo_never_changes_what_is_read(two, data):
    # Invariant: for any one-byte change to any field, widget or appearance object, reading with
    # the memo warm gives exactly what a cold read (nothing memoized) gives.
    pdf, _ = two
    header, bodies, trailer = _split(pdf)
    candidates = sorted(n for n, body in bodies.items() if b"/T " in body or b"/Subtype /Form" in body)
    number = data.draw(st.sampled_from(candidates))
    body = bodies[number]
    at = data.draw(st.integers(0, len(body) - 1))
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[at]))
    bodies[number] = body[:at] + bytes([byte]) + body[at + 1 :]
    corrupted = _join(header, bodies, trailer)
    warm = _read_or_error(corrupted)
    with mock.patch.object(readback, "_parsed", readback.Memo(100)), mock.patch.object(fill, "_decoded", readback.Memo(100)):
        cold = _read_or_error(corrupted)
    assert warm == cold
