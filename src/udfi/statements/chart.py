"""The statements' picture: each property's first-of-month acquisition debt and its debt/basis
percentage across the years of the book (matplotlib, Agg backend, deterministic SVG)."""

from __future__ import annotations

import datetime as dt
import io
import threading

from udfi.statements.figures import property_history

_LOCK = threading.Lock()  # pyplot keeps global state
# Eight hues far apart (no two blues): six properties stay distinguishable in print.
COLORS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000", "#a50021", "#2e9c9c", "#5b5b5b")


def _year_fraction(day: dt.date) -> float:
    """A date as a decimal year (numeric axes keep matplotlib's tick work small)."""
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def _series(result) -> list[dict]:
    """Per property (this year's first, then any sold earlier): monthly debt points and yearly percentages."""
    by_property: dict[str, list] = {}
    for column in result.property_years:
        by_property[column.property_id] = property_history(result, column)
    for year in sorted(result.history or {}):
        for column in result.history[year]:
            if column.property_id not in {c.property_id for c in result.property_years}:
                by_property.setdefault(column.property_id, []).append(column)
    series = []
    for property_id, years in by_property.items():
        months = [_year_fraction(month.measured_on) for item in years for month in item.months]
        debts = [float(month.total) for item in years for month in item.months]
        ratios = [(item.tax_year, _year_fraction(item.first_day_held),
                   _year_fraction(item.last_day_held + dt.timedelta(days=1)), float(item.ratio) * 100) for item in years]
        series.append({"property_id": property_id, "months": months, "debts": debts, "ratios": ratios,
                       "excluded": any(item.acquisition_indebtedness_excluded for item in years)})
    return series


LABEL_SIZE = 5.0


def _percent_bars(axis, series: list[dict]) -> None:
    """Line 6 of each property as a bar inside each year it was held: the year is split into one slot
    per property, so six properties' bars and their labels (rotated, above each bar) never overlap."""
    count = max(len(series), 1)
    for index, item in enumerate(series):
        color = COLORS[index % len(COLORS)]
        for year, first, last, percent in item["ratios"]:
            slot = 1.0 / count
            left = max(year + index * slot, first)
            right = min(year + (index + 1) * slot, last)
            if right <= left:  # held only outside its slot: a sliver at the held part of its slot
                left, right = year + index * slot, year + (index + 1) * slot
            width = (right - left) * 0.86
            axis.bar(left + (right - left) * 0.07, percent, width=width, align="edge", color=color, linewidth=0)
            axis.text(left + (right - left) / 2, percent + 2, f"{percent:.1f}%", rotation=90, ha="center",
                      va="bottom", fontsize=LABEL_SIZE, color=color, gid="udfi-percent-label")


def chart_figure(result):
    """The chart as a matplotlib figure (the caller closes it); used by `debt_chart_svg` and its tests."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator  # noqa: PLC0415

    series = _series(result)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 5.0), sharex=True,
                                         gridspec_kw={"height_ratios": [3, 2], "hspace": 0.16})
    for index, item in enumerate(series):
        color = COLORS[index % len(COLORS)]
        label = item["property_id"] + (" (§514(c)(9): excepted, not acquisition indebtedness)" if item["excluded"] else "")
        style = "--" if item["excluded"] else "-"  # excepted debt is measured but is not acquisition debt
        if item["months"]:
            top.step(item["months"], item["debts"], where="post", color=color, linewidth=1.2, linestyle=style,
                     label=label)
        else:
            top.plot([], [], color=color, linewidth=1.2, linestyle=style, label=label)
    excepted = any(item["excluded"] for item in series)
    top.set_title("Acquisition indebtedness on the first day of each month held (Treas. Reg. §1.514(a)-1(a)(3))"
                  + ("; dashed: debt excepted under IRC §514(c)(9)" if excepted else ""), loc="left")
    top.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
    top.grid(True, linewidth=0.3, color="#bbbbbb")
    top.set_ylim(bottom=0)
    _percent_bars(bottom, series)
    bottom.set_title("Debt/basis percentage by year, Part V line 6 (IRC §514(a)(1))", loc="left")
    bottom.set_ylim(0, 125)  # room above a 100% bar for its label
    bottom.yaxis.set_major_locator(FixedLocator([0, 20, 40, 60, 80, 100]))
    bottom.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
    bottom.grid(True, axis="y", linewidth=0.3, color="#bbbbbb")
    starts = [x for item in series for x in item["months"]] or [float(result.tax_year)]
    first_year, last_year = int(min(starts)), result.tax_year
    bottom.set_xlim(first_year, last_year + 1)
    # gridlines at each January 1; the year's label centred under its span (the bars of that year)
    bottom.xaxis.set_major_locator(FixedLocator([float(year) for year in range(first_year, last_year + 2)]))
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda value, _: ""))
    bottom.xaxis.set_minor_locator(FixedLocator([year + 0.5 for year in range(first_year, last_year + 1)]))
    bottom.xaxis.set_minor_formatter(FuncFormatter(lambda value, _: f"{value - 0.5:.0f}"))
    bottom.tick_params(axis="x", which="minor", length=0)
    top.yaxis.set_major_locator(MaxNLocator(6))
    if series:  # the legend below the chart, never over the lines
        figure.legend(*top.get_legend_handles_labels(), loc="lower center", ncol=min(len(series), 3), fontsize=6,
                      frameon=False, bbox_to_anchor=(0.5, 0.0))
    rows = (len(series) + 2) // 3
    figure.subplots_adjust(left=0.1, right=0.98, top=0.95, bottom=0.08 + 0.035 * rows)
    return figure


def debt_chart_svg(result) -> str:
    """An SVG (text) of the account's properties; byte-identical for the same input."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    with _LOCK, matplotlib.rc_context(STYLE):
        figure = chart_figure(result)
        try:
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg",
                           metadata={"Date": None, "Creator": "udfi", "Title": f"{result.account_id} {result.tax_year}"})
        finally:
            plt.close(figure)
    return buffer.getvalue()


STYLE = {"svg.hashsalt": "udfi-statements", "svg.fonttype": "none", "font.family": "DejaVu Sans",
         "font.size": 7, "axes.titlesize": 8, "svg.id": "udfi-chart",
         # a fixed title position: matplotlib otherwise measures every tick label to place each title
         "axes.titley": 1.0, "axes.titlepad": 4.0}
