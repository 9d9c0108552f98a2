"""The statements' picture: each property's first-of-month acquisition debt and its debt/basis
percentage across the years of the book.

`chart_geometry` places every element (pure: points, no drawing library); statements.pdf draws that
geometry straight onto the page (udfi.documents.drawing.ChartFlowable) and `debt_chart_svg` writes it
out as a small SVG for a browser (the HTML of the statements without a PDF). Text boxes come from the
embedded font's advance widths, so the collision tests measure what the PDF shows."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from xml.sax.saxutils import escape, quoteattr

from udfi.statements.figures import property_history

# Eight hues far apart (no two blues): six properties stay distinguishable in print.
COLORS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#a50021", "#2e9c9c", "#5b5b5b")
FONT_FAMILY = "udfi DejaVu Sans, DejaVu Sans, sans-serif"
WIDTH = 504.0  # points: 7 in, the width the statements print it at
LEFT, RIGHT = 52.0, 496.0  # the plot area's sides
TITLE_SIZE, TICK_SIZE, LEGEND_SIZE, LABEL_SIZE = 8.0, 7.0, 6.0, 5.0
ASCENT, DESCENT = 0.76, 0.24  # DejaVu Sans, in ems: a text's box above and below its baseline
DEBT_HEIGHT, PERCENT_HEIGHT = 170.0, 110.0
PERCENT_TOP = 130  # the percentage axis runs to 130%: room above a 100% bar for its label
TITLE = "Acquisition indebtedness on the first day of each month held (Treas. Reg. §1.514(a)-1(a)(3))"
EXCEPTED_NOTE = "dashed: debt excepted under IRC §514(c)(9)"
EXCEPTED_LABEL = " (§514(c)(9): excepted, not acquisition indebtedness)"
PERCENT_TITLE = "Debt/basis percentage by year, Part V line 6 (IRC §514(a)(1))"


# ---------------------------------------------------------------------------------------------
# Text measure: the advance widths of the face the PDF embeds
# ---------------------------------------------------------------------------------------------

_WIDTH_LOCK = threading.Lock()
_ADVANCES: dict[str, float] | None = None
_AVERAGE = 0.6  # ems, when the font cannot be read (wider than DejaVu's digits: boxes err large)


def _advances() -> dict[str, float]:
    """Character → advance width in ems, read once from DejaVu Sans (empty when it is not installed)."""
    global _ADVANCES
    with _WIDTH_LOCK:
        if _ADVANCES is None:
            _ADVANCES = {}
            from udfi.documents.fonts import FACES, find_font  # noqa: PLC0415

            source = find_font(FACES["normal"][1])
            if source is not None:
                from fontTools.ttLib import TTFont  # noqa: PLC0415

                font = TTFont(str(source), lazy=True)
                scale = font["head"].unitsPerEm
                metrics = font["hmtx"].metrics
                for code, glyph in font.getBestCmap().items():
                    if code < 0x2200:
                        _ADVANCES[chr(code)] = metrics[glyph][0] / scale
                font.close()
        return _ADVANCES


def text_width(text: str, size: float) -> float:
    """The advance width of `text` at `size` points."""
    advances = _advances()
    return sum(advances.get(char, _AVERAGE) for char in text) * size


# ---------------------------------------------------------------------------------------------
# Geometry
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline (for rotated text: the point the text starts from, reading upward)
    text: str
    size: float
    role: str  # title, tick, year, percent, legend
    anchor: str = "start"  # start, middle, end (SVG text-anchor)
    color: str = "#000000"
    rotated: bool = False  # reads bottom to top (rotate(-90) about (x, y))

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the ink-bearing area in the SVG's coordinates (y down)."""
        length = text_width(self.text, self.size)
        shift = {"start": 0.0, "middle": length / 2, "end": length}[self.anchor]
        above, below = ASCENT * self.size, DESCENT * self.size
        if self.rotated:  # the baseline runs upward from (x, y); glyphs stand to its left
            return (self.x - above, self.y - length + shift, self.x + below, self.y + shift)
        return (self.x - shift, self.y - above, self.x - shift + length, self.y + below)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    year: int
    property_id: str


@dataclass(frozen=True)
class Series:
    property_id: str
    color: str
    dashed: bool
    points: tuple[tuple[float, float], ...]  # the step line's corners, in order


@dataclass
class Chart:
    height: float
    debt_panel: tuple[float, float]  # top, bottom
    percent_panel: tuple[float, float]
    grid: list[tuple[float, float, float, float]] = field(default_factory=list)  # lines x1, y1, x2, y2
    series: list[Series] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    swatches: list[tuple[float, float, str, bool]] = field(default_factory=list)  # legend x, y, colour, dashed

    def texts_of(self, role: str) -> list[Text]:
        return [text for text in self.texts if text.role == role]


def _year_fraction(day: dt.date) -> float:
    """A date as a decimal year."""
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _percent(ratio) -> Decimal:
    return (Decimal(ratio) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)


def _histories(result) -> list[tuple[str, list]]:
    """Per property (this year's first, then any sold earlier): its columns, oldest year first."""
    by_property: dict[str, list] = {}
    for column in result.property_years:
        by_property[column.property_id] = property_history(result, column)
    current = {column.property_id for column in result.property_years}
    for year in sorted(result.history or {}):
        for column in result.history[year]:
            if column.property_id not in current:
                by_property.setdefault(column.property_id, []).append(column)
    return list(by_property.items())


def _nice_step(peak: float) -> float:
    """A round tick step giving at most six intervals up to `peak`."""
    magnitude = 1.0
    while magnitude * 10 <= peak:
        magnitude *= 10
    for factor in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0):
        if peak / (magnitude * factor) <= 6:
            return magnitude * factor
    return magnitude * 10


def _title_lines(text: str, note: str | None) -> list[str]:
    """The title on one line, or with the note on a second line when both do not fit the width."""
    if note is None:
        return [text]
    joined = f"{text}; {note}"
    return [joined] if text_width(joined, TITLE_SIZE) <= RIGHT - LEFT else [f"{text};", note]


def chart_geometry(result) -> Chart:
    """Every element of the account's chart, placed."""
    histories = _histories(result)
    count = max(len(histories), 1)
    colored = [(property_id, COLORS[index % len(COLORS)], years) for index, (property_id, years) in enumerate(histories)]
    excepted = any(item.acquisition_indebtedness_excluded for _, years in histories for item in years)
    months = [month for _, years in histories for item in years for month in item.months]
    first_year = min((month.measured_on.year for month in months), default=result.tax_year)
    last_year = result.tax_year
    span = last_year + 1 - first_year

    def x_of(year_fraction: float) -> float:
        return LEFT + (year_fraction - first_year) / span * (RIGHT - LEFT)

    texts: list[Text] = []
    grid: list[tuple[float, float, float, float]] = []
    titles = _title_lines(TITLE, EXCEPTED_NOTE if excepted else None)
    baseline = 10.0
    for line in titles:
        texts.append(Text(LEFT, baseline, line, TITLE_SIZE, "title"))
        baseline += TITLE_SIZE * 1.25
    debt_top = baseline - TITLE_SIZE * 1.25 + TITLE_SIZE * DESCENT + 5
    debt_bottom = debt_top + DEBT_HEIGHT

    # debt panel: round ticks from $0, one step line per property
    peak = max((float(month.total) for month in months), default=0.0)
    step = _nice_step(max(peak * 1.05, 1000.0))
    ticks = int(-(-max(peak * 1.05, 1000.0) // step))
    debt_max = step * ticks

    def debt_y(value: float) -> float:
        return debt_bottom - value / debt_max * DEBT_HEIGHT

    for tick in range(ticks + 1):
        y = debt_y(step * tick)
        grid.append((LEFT, y, RIGHT, y))
        texts.append(Text(LEFT - 3, y + TICK_SIZE * 0.36, f"${step * tick:,.0f}", TICK_SIZE, "tick", "end"))
    series = []
    for property_id, color, years in colored:
        points: list[tuple[float, float]] = []
        for item in years:
            held_end = item.last_day_held + dt.timedelta(days=1)
            for month in item.months:
                y = debt_y(float(month.total))
                start = x_of(_year_fraction(month.measured_on))
                end = x_of(_year_fraction(min(_next_month(month.measured_on), held_end)))
                points += [(start, y), (end, y)]
        dashed = any(item.acquisition_indebtedness_excluded for item in years)
        series.append(Series(property_id, color, dashed, tuple(points)))

    # percentage panel: the year split into one slot per property, a bar and its label in each
    percent_title = debt_bottom + 4 + TITLE_SIZE * 1.25
    texts.append(Text(LEFT, percent_title, PERCENT_TITLE, TITLE_SIZE, "title"))
    percent_top = percent_title + TITLE_SIZE * DESCENT + 5
    percent_bottom = percent_top + PERCENT_HEIGHT

    def percent_y(value: float) -> float:
        return percent_bottom - value / PERCENT_TOP * PERCENT_HEIGHT

    for value in range(0, 101, 20):
        y = percent_y(value)
        grid.append((LEFT, y, RIGHT, y))
        texts.append(Text(LEFT - 3, y + TICK_SIZE * 0.36, f"{value}%", TICK_SIZE, "tick", "end"))
    slot = 1.0 / count
    label_size = min(LABEL_SIZE, slot / span * (RIGHT - LEFT) * 0.6)  # narrow slots: smaller labels
    bars = []
    for index, (property_id, color, years) in enumerate(colored):
        for item in years:
            year = item.tax_year
            first = _year_fraction(item.first_day_held)
            last = _year_fraction(item.last_day_held + dt.timedelta(days=1))
            left = max(year + index * slot, first)
            right = min(year + (index + 1) * slot, last)
            if right <= left:  # held only outside its slot: a sliver at the held part of its slot
                left, right = year + index * slot, year + (index + 1) * slot
            percent = _percent(item.ratio)
            x0, x1 = x_of(left + (right - left) * 0.07), x_of(right - (right - left) * 0.07)
            top = percent_y(float(percent))
            bars.append(Bar(x0, top, x1 - x0, percent_bottom - top, color, year, property_id))
            centre = (x0 + x1) / 2
            texts.append(Text(centre + label_size * (ASCENT - DESCENT) / 2, percent_y(float(percent) + 2),
                              f"{percent}%", label_size, "percent", color=color, rotated=True))

    # years: a gridline at each January 1, the year's label centred under its span
    for year in range(first_year, last_year + 2):
        x = x_of(year)
        grid += [(x, debt_top, x, debt_bottom), (x, percent_top, x, percent_bottom)]
    for year in range(first_year, last_year + 1):
        texts.append(Text(x_of(year + 0.5), percent_bottom + 3 + TICK_SIZE * ASCENT, str(year), TICK_SIZE, "year",
                          "middle"))

    # the legend below, rows centred, never over the plot
    swatches = []
    entries = [(property_id + (EXCEPTED_LABEL if any(item.acquisition_indebtedness_excluded for item in years) else ""),
                color, any(item.acquisition_indebtedness_excluded for item in years))
               for property_id, color, years in colored]
    rows: list[list[tuple[str, str, bool, float]]] = [[]]
    for label, color, dashed in entries:
        width = 16 + text_width(label, LEGEND_SIZE)
        row_width = sum(item[3] + 14 for item in rows[-1])
        if rows[-1] and (len(rows[-1]) == 3 or row_width + width > RIGHT - LEFT):
            rows.append([])
        rows[-1].append((label, color, dashed, width))
    baseline = percent_bottom + 3 + TICK_SIZE + 12
    for row in rows:
        x = (LEFT + RIGHT) / 2 - (sum(item[3] for item in row) + 14 * (len(row) - 1)) / 2
        for label, color, dashed, width in row:
            swatches.append((x, baseline - LEGEND_SIZE * 0.3, color, dashed))
            texts.append(Text(x + 16, baseline, label, LEGEND_SIZE, "legend"))
            x += width + 14
        baseline += LEGEND_SIZE * 1.6
    height = baseline - LEGEND_SIZE * 1.6 + LEGEND_SIZE * DESCENT + 4
    return Chart(height, (debt_top, debt_bottom), (percent_top, percent_bottom), grid, series, bars, texts, swatches)


# ---------------------------------------------------------------------------------------------
# SVG
# ---------------------------------------------------------------------------------------------

def _n(value: float) -> str:
    """A coordinate with two decimals, without trailing zeros (fixed text: reproducible bytes)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(text: Text) -> str:
    attributes = f'x="{_n(text.x)}" y="{_n(text.y)}" font-size="{_n(text.size)}"'
    if text.anchor != "start":
        attributes += f' text-anchor="{text.anchor}"'
    if text.color != "#000000":
        attributes += f' fill="{text.color}"'
    if text.rotated:
        attributes += f' transform="rotate(-90 {_n(text.x)} {_n(text.y)})"'
    return f"<text {attributes}>{escape(text.text)}</text>"


def chart_svg(chart: Chart, title: str) -> str:
    """The chart as SVG text (byte-identical for the same chart)."""
    height = _n(chart.height)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(WIDTH)}pt" height="{height}pt" '
           f'viewBox="0 0 {_n(WIDTH)} {height}">', f"<title>{escape(title)}</title>"]
    grid = "".join(f"M{_n(x1)} {_n(y1)}L{_n(x2)} {_n(y2)}" for x1, y1, x2, y2 in chart.grid)
    out.append(f'<path d="{grid}" fill="none" stroke="#bbbbbb" stroke-width="0.3"/>')
    for bar in chart.bars:
        out.append(f'<rect x="{_n(bar.x)}" y="{_n(bar.y)}" width="{_n(bar.width)}" height="{_n(bar.height)}" '
                   f'fill="{bar.color}"/>')
    for item in chart.series:
        if item.points:
            d = "M" + "L".join(f"{_n(x)} {_n(y)}" for x, y in item.points)
            dash = ' stroke-dasharray="4 2"' if item.dashed else ""
            out.append(f'<path d="{d}" fill="none" stroke="{item.color}" stroke-width="1.2"{dash}/>')
    frames = "".join(f"M{_n(LEFT)} {_n(top)}H{_n(RIGHT)}V{_n(bottom)}H{_n(LEFT)}Z"
                     for top, bottom in (chart.debt_panel, chart.percent_panel))
    out.append(f'<path d="{frames}" fill="none" stroke="#000000" stroke-width="0.8"/>')
    for x, y, color, dashed in chart.swatches:
        dash = ' stroke-dasharray="4 2"' if dashed else ""
        out.append(f'<path d="M{_n(x)} {_n(y)}H{_n(x + 13)}" stroke="{color}" stroke-width="1.2"{dash}/>')
    out.append(f"<g font-family={quoteattr(FONT_FAMILY)} fill=\"#000000\">")
    out += [_text(text) for text in chart.texts]
    out.append("</g></svg>")
    return "\n".join(out)


def debt_chart_svg(result) -> str:
    """An SVG (text) of the account's properties; byte-identical for the same input."""
    return chart_svg(chart_geometry(result), f"{result.account_id} {result.tax_year}")
