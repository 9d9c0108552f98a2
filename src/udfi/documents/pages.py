"""Each document's pages: size and margins, the running head (account name, EIN, tax year), "Page x
of N" counted within the document, the footer line, the PDF outline from the headings, and
reproducible bytes (ReportLab's invariant mode: no dates, a fixed document id, fixed metadata)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from udfi.documents import fonts

LETTER = (612.0, 792.0)
LANDSCAPE = (792.0, 612.0)


@dataclass(frozen=True)
class PageSetup:
    """What templates/*.css's @page rules printed: margins (top, right, bottom, left) in points, the
    head's size and padding above the body (None: no head), the footer, where the page number goes."""

    size: tuple[float, float]
    margins: tuple[float, float, float, float]
    head_size: float | None = None
    head_gap: float = 6.0
    head_share: float = 0.78  # of the width: the name and EIN; the rest is "Page x of N"
    foot: str = ""
    foot_size: float = 6.0
    page_number: str = "head"  # head (top right), foot (bottom right) or none

    @property
    def frame_width(self) -> float:
        return self.size[0] - self.margins[1] - self.margins[3]


STATEMENTS = PageSetup(LETTER, (61.2, 43.2, 43.2, 43.2), head_size=7.5, head_gap=6.0,
                       foot="Supporting statements prepared with udfi from the account's ledger")
ATTACHMENTS = PageSetup(LETTER, (54.0, 36.0, 39.6, 36.0), head_size=7.0, head_gap=5.0,
                        foot="Prepared with udfi from the account's ledger")
LETTER_PAGE = PageSetup(LETTER, (50.4, 54.0, 43.2, 54.0), foot="Prepared with udfi from the account's ledger",
                        page_number="none")
CONTINUATION = PageSetup(LANDSCAPE, (36.0, 36.0, 36.0, 36.0), page_number="foot")


def _canvas_class(setup: PageSetup, identity: tuple[str, str, int] | None):
    """A canvas that holds its pages until the end, then prints each one's head and "Page x of N"."""
    from reportlab.pdfgen.canvas import Canvas  # noqa: PLC0415

    class DocumentCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):  # noqa: N802 — ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                _decorate(self, setup, identity, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return DocumentCanvas


def _decorate(canvas, setup: PageSetup, identity, number: int, total: int) -> None:
    from reportlab.lib.colors import HexColor  # noqa: PLC0415
    from reportlab.lib.utils import simpleSplit  # noqa: PLC0415

    width, height = setup.size
    top, right, bottom, left = setup.margins
    canvas.saveState()
    page = f"Page {number} of {total}"
    if setup.head_size and identity is not None:
        name, ein, year = identity
        size = setup.head_size
        canvas.setFont(fonts.face(), size)
        canvas.setFillColor(HexColor("#222222"))
        lines = simpleSplit(name, fonts.face(), size, setup.frame_width * setup.head_share)
        lines.append(f"EIN {ein}  \u2022  Tax year {year}")
        baseline = height - top + setup.head_gap + size * 0.24
        for offset, line in enumerate(reversed(lines)):
            canvas.drawString(left, baseline + offset * size * 1.2, line)
        if setup.page_number == "head":
            canvas.drawRightString(width - right, baseline, page)
    if setup.foot:
        canvas.setFont(fonts.face(), setup.foot_size)
        canvas.setFillColor(HexColor("#777777"))
        canvas.drawString(left, bottom / 2 - setup.foot_size / 3, setup.foot)
    if setup.page_number == "foot":
        canvas.setFont(fonts.face(), 7)
        canvas.setFillColor(HexColor("#000000"))
        canvas.drawRightString(width - right, bottom / 2 - 7 / 3, page)
    canvas.restoreState()


def render(flowables: list, setup: PageSetup, title: str, identity: tuple[str, str, int] | None = None) -> bytes:
    """The flowables laid out on `setup`'s pages as PDF bytes (the same bytes for the same input)."""
    from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate  # noqa: PLC0415

    from reportlab import rl_config  # noqa: PLC0415

    fonts.register()
    rl_config.useA85 = 0  # compressed streams as binary, not ASCII85 over them (a quarter smaller, cheaper)
    top, right, bottom, left = setup.margins
    out = io.BytesIO()

    class Document(BaseDocTemplate):
        def afterFlowable(self, flowable):  # noqa: N802 — ReportLab's name
            mark = getattr(flowable, "bookmark", None)
            if mark:
                level = min(mark[0], self._outline_level + 1)
                self._outline_level = level
                key = f"h{len(self._keys)}"
                self._keys.append(key)
                self.canv.bookmarkPage(key)
                self.canv.addOutlineEntry(mark[1], key, level=level, closed=level > 0)

    document = Document(out, pagesize=setup.size, leftMargin=left, rightMargin=right, topMargin=top,
                        bottomMargin=bottom, title=title, author="", subject="", creator="udfi", producer="udfi",
                        keywords=[], invariant=1, pageCompression=1, initialFontName=fonts.face(),
                        initialFontSize=8)
    document._outline_level = -1  # noqa: SLF001
    document._keys = []  # noqa: SLF001
    frame = Frame(left, bottom, setup.frame_width, setup.size[1] - top - bottom, leftPadding=0, rightPadding=0,
                  topPadding=0, bottomPadding=0, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    document.build(flowables, canvasmaker=_canvas_class(setup, identity))
    return out.getvalue()
