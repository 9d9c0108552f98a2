"""Appearance streams for filled AcroForm widgets, and flattening them into page content.

pdfrw only sets values; without an /AP /N stream most viewers (Poppler, print paths, previews)
show an empty box. We draw each value ourselves with the field's own /DA font and colour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from pdfrw import IndirectPdfDict, PdfArray, PdfDict, PdfName, PdfObject

PADDING = 2.0  # points between the box edge and the text, as Acrobat does
MIN_FONT_SIZE = 4.0
AUTO_MAX_FONT_SIZE = 12.0
COMB_FLAG = 1 << 24
DEFAULT_WIDTH = 600  # per-mille glyph width when a font has no /Widths (conservative)
DEFAULT_CAP_HEIGHT = 718  # Helvetica


class AppearanceError(ValueError):
    """A value cannot be drawn legibly inside its field."""


def _num(value: float) -> str:
    # Fixed precision, no exponent: deterministic and valid PDF numbers.
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def pdf_literal(encoded: bytes) -> str:
    """A PDF literal string for `encoded` bytes, as latin-1 text for a pdfrw stream."""
    out = []
    for byte in encoded:
        char = chr(byte)
        if char in "\\()":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return "(" + "".join(out) + ")"


def encode_win_ansi(text: str) -> bytes:
    return text.encode("cp1252", errors="replace")


class FontMetrics:
    def __init__(self, font: PdfDict | None):
        self.widths: dict[int, int] = {}
        self.cap_height = DEFAULT_CAP_HEIGHT
        if font is None:
            return
        if font.Widths is not None:
            first = int(font.FirstChar or 0)
            self.widths = {first + i: int(Decimal(str(w))) for i, w in enumerate(font.Widths)}
        descriptor = font.FontDescriptor
        if descriptor is not None and descriptor.CapHeight is not None:
            self.cap_height = int(Decimal(str(descriptor.CapHeight)))

    def width(self, encoded: bytes, size: float) -> float:
        return sum(self.widths.get(b, DEFAULT_WIDTH) for b in encoded) * size / 1000.0


_TF = re.compile(r"/([^\s/\[\]()<>]+)\s+(-?[\d.]+)\s+Tf")


def parse_da(da: str) -> tuple[str, float, str]:
    """(font resource name, size, the rest of the DA — the colour operators)."""
    match = _TF.search(da)
    if not match:
        raise AppearanceError(f"default appearance without a font: {da!r}")
    rest = (da[: match.start()] + da[match.end():]).strip()
    return match.group(1), float(match.group(2)), rest


def _inherited(node: PdfDict, key: str):
    while node is not None:
        value = node[key]
        if value is not None:
            return value
        node = node.Parent
    return None


@dataclass(frozen=True)
class WidgetLayout:
    """What a text widget's appearance takes from the widget and the form, whatever its value."""

    font_name: str
    size: float  # the /DA size (0: auto)
    colour: str
    metrics: FontMetrics
    width: float
    height: float
    comb: bool
    max_len: object
    quadding: int
    bbox: PdfArray
    resources: PdfDict


def widget_layout(widget: PdfDict, acroform: PdfDict, metrics_cache: dict | None = None) -> WidgetLayout:
    da = _inherited(widget, "/DA") or acroform.DA
    font_name, size, colour = parse_da(da.to_unicode() if hasattr(da, "to_unicode") else str(da))
    fonts = acroform.DR.Font if acroform.DR is not None else None
    font = fonts[PdfName(font_name)] if fonts is not None else None
    if metrics_cache is None:
        metrics = FontMetrics(font)
    else:
        metrics = metrics_cache.get(id(font))
        if metrics is None:
            metrics = metrics_cache.setdefault(id(font), FontMetrics(font))
    x1, y1, x2, y2 = (float(v) for v in widget.Rect)
    width, height = abs(x2 - x1), abs(y2 - y1)
    flags = int(_inherited(widget, "/Ff") or 0)
    max_len = _inherited(widget, "/MaxLen")
    return WidgetLayout(
        font_name=font_name,
        size=size,
        colour=colour,
        metrics=metrics,
        width=width,
        height=height,
        comb=bool(flags & COMB_FLAG) and max_len is not None,
        max_len=max_len,
        quadding=int(_inherited(widget, "/Q") or 0),
        bbox=PdfArray([PdfObject("0"), PdfObject("0"), PdfObject(_num(width)), PdfObject(_num(height))]),
        resources=PdfDict(Font=PdfDict({PdfName(font_name): font})) if font is not None else PdfDict(),
    )


def text_appearance(
    widget: PdfDict, value: str, acroform: PdfDict, metrics_cache: dict | None = None, layouts: dict | None = None
) -> PdfDict:
    """An /AP /N form XObject drawing `value` in `widget` (single line, comb when flagged).

    `metrics_cache` (id of a font dict → its FontMetrics) and `layouts` (id of a widget → its
    WidgetLayout) save re-reading fonts and widgets the caller keeps alive and unchanged, e.g. those
    of a cached blank; the streams then share their (direct, never changed) /BBox and /Resources."""
    if layouts is None:
        layout = widget_layout(widget, acroform, metrics_cache)
    else:
        layout = layouts.get(id(widget))
        if layout is None:
            layout = layouts.setdefault(id(widget), widget_layout(widget, acroform, metrics_cache))
    font_name, size, colour, metrics = layout.font_name, layout.size, layout.colour, layout.metrics
    width, height, comb, max_len, quadding = layout.width, layout.height, layout.comb, layout.max_len, layout.quadding
    encoded = encode_win_ansi(value)
    available = width - 2 * PADDING
    if size == 0:  # auto size: as large as fits the height, then shrink to the width below
        size = min(AUTO_MAX_FONT_SIZE, (height - 2) * 1000.0 / max(metrics.cap_height, 1) * 0.7)
    if not comb:
        text_width = metrics.width(encoded, size)
        if text_width > available:
            size = size * available / text_width  # shrink to fit rather than clip
            if size < MIN_FONT_SIZE:
                raise AppearanceError(f"{value!r} does not fit a {width:.0f}pt wide field")
            text_width = metrics.width(encoded, size)
    baseline = (height - metrics.cap_height * size / 1000.0) / 2.0
    ops = [f"/{font_name} {_num(size)} Tf", colour] if colour else [f"/{font_name} {_num(size)} Tf"]
    if comb:
        cell = width / int(max_len)
        if len(encoded) > int(max_len):
            raise AppearanceError(f"{value!r} is longer than the field's {int(max_len)} comb cells")
        start = {0: 0, 1: (int(max_len) - len(encoded)) // 2, 2: int(max_len) - len(encoded)}.get(quadding, 0)
        shows = []
        for index, byte in enumerate(encoded):
            glyph = bytes([byte])
            x = (start + index) * cell + (cell - metrics.width(glyph, size)) / 2.0
            shows.append(f"1 0 0 1 {_num(x)} {_num(baseline)} Tm {pdf_literal(glyph)} Tj")
        body = " ".join(shows)
    else:
        x = {0: PADDING, 1: (width - text_width) / 2.0, 2: width - PADDING - text_width}.get(quadding, PADDING)
        body = f"{_num(x)} {_num(baseline)} Td {pdf_literal(encoded)} Tj"
    content = (
        f"/Tx BMC q 1 1 {_num(width - 2)} {_num(height - 2)} re W n BT {' '.join(ops)} {body} ET Q EMC"
    )
    stream = IndirectPdfDict(Type=PdfName.XObject, Subtype=PdfName.Form, BBox=layout.bbox, Resources=layout.resources)
    stream.stream = content
    return stream


# --- flattening ------------------------------------------------------------------------------

HIDDEN_FLAG = 2


def _normal_appearance(widget: PdfDict) -> PdfDict | None:
    if widget.AP is None or widget.AP.N is None:
        return None
    normal = widget.AP.N
    if normal.stream is not None:
        return normal
    state = widget.AS
    if state is None or state == PdfName.Off:
        return None
    return normal[state]


def _make_stream(content: str) -> IndirectPdfDict:
    stream = IndirectPdfDict()
    stream.stream = content
    return stream


def flatten_page(page: PdfDict, start_index: int) -> int:
    """Burn every visible widget's appearance into the page content and drop the widgets.

    Returns the next free XObject index (names stay unique and deterministic across pages).
    """
    annots = page.Annots or []
    keep, draws = [], []
    xobjects = {}
    index = start_index
    for annot in annots:
        if annot.Subtype != PdfName.Widget:
            keep.append(annot)
            continue
        appearance = _normal_appearance(annot)
        if appearance is None or int(annot.F or 0) & HIDDEN_FLAG:
            continue
        x1, y1, x2, y2 = (float(v) for v in annot.Rect)
        bx1, by1, bx2, by2 = (float(v) for v in (appearance.BBox or [0, 0, x2 - x1, y2 - y1]))
        sx = (x2 - x1) / (bx2 - bx1) if bx2 != bx1 else 1.0
        sy = (y2 - y1) / (by2 - by1) if by2 != by1 else 1.0
        name = f"UdfiFlat{index}"
        index += 1
        xobjects[PdfName(name)] = appearance
        draws.append(
            f"q {_num(sx)} 0 0 {_num(sy)} {_num(min(x1, x2) - bx1 * sx)} {_num(min(y1, y2) - by1 * sy)} cm /{name} Do Q"
        )
    if draws:
        # Resources may be shared between pages: give this page its own copies before adding names.
        resources = PdfDict(page.Resources or {})
        merged = PdfDict(resources.XObject or {})
        merged.update(xobjects)
        resources.XObject = merged
        page.Resources = resources
        contents = page.Contents
        existing = list(contents) if isinstance(contents, PdfArray) else ([contents] if contents is not None else [])
        page.Contents = PdfArray([_make_stream("q\n"), *existing, _make_stream("\nQ\n"), _make_stream("\n".join(draws) + "\n")])
    if keep:
        page.Annots = PdfArray(keep)
    else:
        page.Annots = None
    return index
