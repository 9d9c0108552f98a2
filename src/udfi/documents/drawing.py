"""Flowables the documents draw themselves: a paragraph with a rule under it (the section headings),
and the statements' chart drawn from `statements.chart.chart_geometry` straight onto the page."""

from __future__ import annotations

from reportlab.lib.colors import HexColor
from reportlab.platypus import Flowable, Paragraph

from udfi.documents import fonts


# Parsed paragraph markup by (markup, style): a statement repeats its captions, citations and notes on
# every property and every account, and ReportLab's markup parser is a third of a paragraph's cost.
# ReportLab only reads the fragments it parsed (line breaking clones them), so they can be shared.
_PARSED: dict[tuple[str, int], tuple] = {}
_PARSED_MAX = 20_000


class CachedParagraph(Paragraph):
    """A Paragraph whose markup is parsed once per (markup, style) per process, and laid out once per
    width: platypus wraps a paragraph again at the same width (KeepTogether, then the frame; a table's
    height, then its drawing) and the lines are the same."""

    def __init__(self, text, style, bulletText=None, frags=None):  # noqa: N803 — ReportLab's names
        if frags is None and text is not None and bulletText is None:
            key = (text, id(style))
            found = _PARSED.get(key)
            if found is None or found[0] is not style:
                super().__init__(text, style)
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                _PARSED[key] = (style, self.text, self.frags, self.style, self.bulletText)
                return
            _, parsed_text, frags, parsed_style, bullet = found
            self.caseSensitive, self.encoding = 1, "utf8"
            self._setup(parsed_text, parsed_style, bullet, frags, None)
            return
        super().__init__(text, style, bulletText, frags)

    def wrap(self, available_width, available_height):
        laid = self.__dict__.get("_laid_out")
        if laid is not None and laid[0] == available_width and laid[1] is self.__dict__.get("blPara"):
            return laid[2]
        size = super().wrap(available_width, available_height)
        self._laid_out = (available_width, self.blPara, size)
        return size


class RuledParagraph(CachedParagraph):
    """A Paragraph, with an optional rule below it (`rule_below`: width, colour, gap) and an outline
    entry (`bookmark`: level, text) the page template adds where it lands."""

    rule_below: tuple[float, str, float] | None = None
    bookmark: tuple[int, str] | None = None

    def wrap(self, available_width, available_height):
        width, height = super().wrap(available_width, available_height)
        self._rule_width = available_width
        if self.rule_below:
            height += self.rule_below[0] + self.rule_below[2]
        return width, height

    def drawOn(self, canvas, x, y, _sW=0):  # noqa: N802 — ReportLab's name
        if not self.rule_below:
            return super().drawOn(canvas, x, y, _sW)
        width, colour, gap = self.rule_below
        super().drawOn(canvas, x, y + width + gap, _sW)
        canvas.saveState()
        canvas.setStrokeColor(HexColor(colour))
        canvas.setLineWidth(width)
        canvas.line(x, y + width / 2, x + self._rule_width, y + width / 2)
        canvas.restoreState()
        return None

    def split(self, available_width, available_height):
        parts = super().split(available_width, available_height)
        if self.rule_below and parts:  # only the last piece carries the rule
            parts[-1].__class__ = RuledParagraph
            parts[-1].rule_below = self.rule_below
        return parts


class ChartFlowable(Flowable):
    """`chart_geometry`'s chart (points, y down) scaled to the frame's width."""

    def __init__(self, chart):
        super().__init__()
        self.chart = chart
        self.scale = 1.0

    def wrap(self, available_width, available_height):
        from udfi.statements.chart import WIDTH  # noqa: PLC0415

        self.scale = available_width / WIDTH
        self.width, self.height = available_width, self.chart.height * self.scale
        return self.width, self.height

    def draw(self):
        from udfi.statements.chart import LEFT, RIGHT  # noqa: PLC0415

        chart, canvas = self.chart, self.canv
        canvas.saveState()
        canvas.translate(0, self.height)
        canvas.scale(self.scale, -self.scale)  # the geometry's coordinates: y down from the top
        canvas.setLineWidth(0.3)
        canvas.setStrokeColor(HexColor("#bbbbbb"))
        for x1, y1, x2, y2 in chart.grid:
            canvas.line(x1, y1, x2, y2)
        for bar in chart.bars:
            canvas.setFillColor(HexColor(bar.color))
            canvas.rect(bar.x, bar.y, bar.width, bar.height, stroke=0, fill=1)
        canvas.setLineWidth(1.2)
        for item in chart.series:
            if len(item.points) > 1:
                canvas.setStrokeColor(HexColor(item.color))
                canvas.setDash(4, 2) if item.dashed else canvas.setDash()
                path = canvas.beginPath()
                path.moveTo(*item.points[0])
                for point in item.points[1:]:
                    path.lineTo(*point)
                canvas.drawPath(path, stroke=1, fill=0)
        canvas.setDash()
        canvas.setStrokeColor(HexColor("#000000"))
        canvas.setLineWidth(0.8)
        for top, bottom in (chart.debt_panel, chart.percent_panel):
            canvas.rect(LEFT, top, RIGHT - LEFT, bottom - top, stroke=1, fill=0)
        canvas.setLineWidth(1.2)
        for x, y, colour, dashed in chart.swatches:
            canvas.setStrokeColor(HexColor(colour))
            canvas.setDash(4, 2) if dashed else canvas.setDash()
            canvas.line(x, y, x + 13, y)
        canvas.setDash()
        for text in chart.texts:
            self._text(canvas, text)
        canvas.restoreState()

    @staticmethod
    def _text(canvas, text) -> None:
        canvas.saveState()
        canvas.translate(text.x, text.y)
        canvas.scale(1, -1)  # glyphs upright again
        if text.rotated:
            canvas.rotate(90)
        canvas.setFillColor(HexColor(text.color))
        canvas.setFont(fonts.face(), text.size)
        draw = {"start": canvas.drawString, "middle": canvas.drawCentredString, "end": canvas.drawRightString}
        draw[text.anchor](0, 0, text.text)
        canvas.restoreState()
