"""The planner's picture: each scenario's tax per year (bars) and the debt/basis percentage of the IRA
with the loan (line), from the projection's figures (matplotlib, Agg backend, SVG text)."""

from __future__ import annotations

import io
import threading

_LOCK = threading.Lock()  # pyplot keeps global state; the web server is threaded
COLORS = {"ira_loan": "#c55a11", "solo_401k_loan": "#1f4e79", "cash": "#548235"}


def plan_chart_svg(projection: dict) -> str:
    """An inline-ready SVG (no XML prolog) of the projection dict (`Projection.as_json()`)."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: PLC0415

    scenarios = projection["scenarios"]
    years = [row["year"] for row in scenarios[0]["years"]]
    tax_years = projection["tax_years"]
    style = {"svg.hashsalt": "udfi-plan", "svg.fonttype": "none", "font.family": "DejaVu Sans", "font.size": 8,
             "axes.titlesize": 9, "axes.titley": 1.0, "axes.titlepad": 4.0}
    with _LOCK, matplotlib.rc_context(style):
        figure, (top, bottom) = plt.subplots(2, 1, figsize=(7.5, 4.6), sharex=True,
                                             gridspec_kw={"height_ratios": [3, 2], "hspace": 0.18})
        try:
            width = 0.8 / len(scenarios)
            for offset, scenario in enumerate(scenarios):
                positions = [year - 0.4 + width * (offset + 0.5) for year in years]
                taxes = [row["tax"] for row in scenario["years"]]
                top.bar(positions, taxes, width=width * 0.95, color=COLORS.get(scenario["key"], "#5b5b5b"),
                        label=f"{scenario['label']} — total ${scenario['totals']['tax']:,}")
            top.set_title("Tax on unrelated debt-financed income by year (Form 990-T Part II line 2)", loc="left")
            top.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.0f}"))
            top.yaxis.set_major_locator(MaxNLocator(5, integer=True))
            top.set_ylim(bottom=0)
            top.grid(True, axis="y", linewidth=0.3, color="#bbbbbb")
            top.legend(loc="upper left", fontsize=7, frameon=False)
            financed = next(item for item in scenarios if item["key"] == "ira_loan")
            percentages = [float(row["debt_basis_percentage"]) for row in financed["years"]]
            bottom.plot(years, percentages, marker="o", color=COLORS["ira_loan"], linewidth=1.5)
            for year, value in zip(years, percentages):
                bottom.annotate(f"{value:.1f}%", (year, value), textcoords="offset points", xytext=(0, 5),
                                ha="center", fontsize=7, color=COLORS["ira_loan"])
            bottom.set_title("IRA with the loan: debt/basis percentage (Schedule A Part V line 6)", loc="left")
            bottom.set_ylim(0, 110)
            bottom.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0f}%"))
            bottom.grid(True, linewidth=0.3, color="#bbbbbb")
            bottom.set_xticks(years)
            bottom.set_xticklabels([f"year {year}\n{tax_year}" for year, tax_year in zip(years, tax_years)])
            bottom.set_xlim(years[0] - 0.6, years[-1] + 0.6)
            figure.subplots_adjust(left=0.1, right=0.98, top=0.94, bottom=0.12)
            buffer = io.StringIO()
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "udfi"})
        finally:
            plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]
