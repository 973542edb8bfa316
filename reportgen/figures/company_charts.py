"""Company chart exhibits: risk-reward, revenue and margin, estimates and the valuation bridge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from reportgen import formatting as fmt
from reportgen.data.dataset import Dataset
from reportgen.data.locate import table_shown
from reportgen.errors import ExhibitDataError
from reportgen.figures.company_data import (
    INTERIM,
    NM,
    SOURCE,
    company_table,
    fx_text,
    interim_table,
    is_estimate,
    line_label,
    named_company,
    not_meaningful,
    pct_cell,
    period_columns,
    price_history,
    sort_key,
    versus_columns,
    year_label,
)
from reportgen.figures.registry import P, exhibit
from reportgen.figures.style import (
    FULL_WIDTH_IN,
    GOLD,
    GREEN,
    GREY,
    LABEL_BOX,
    LIGHT,
    NAVY,
    RED,
    TEAL,
    house_style,
    new_figure,
    spread_labels,
)
from reportgen.models.company import value_company

LABEL_SIZE = 6.5
SCENARIO_COLOURS = {"bull": GREEN, "base": NAVY, "bear": RED}


@exhibit(
    "risk-reward",
    kind="chart",
    title="Risk-reward: bull, base and bear values against the current price",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml",),
    params={"company": P.company()},
)
def risk_reward(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Current price, scenario values with computed up/downside, the published target."""
    company = named_company(ds, params)
    val = value_company(company)
    cur = company.listing_currency
    history = price_history(company)
    scenarios = [val.scenarios[name] for name in ("bull", "base", "bear")]
    top = max([company.price, company.price_target, *(s.value for s in scenarios)])
    top = max([top, *(c for _, c in history)])
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 3.0)
        if history:
            xs = [mdates.date2num(d) for d, _ in history]
            ax.plot(xs, [c for _, c in history], color=GREY, lw=1.0, label="Share price")
            x0 = float(mdates.date2num(company.price_date))
            x1 = x0 + 365.0
            ax.xaxis_date()
        else:
            x0, x1 = 0.0, 1.0
        span = x1 - x0
        for sc in scenarios:
            colour = SCENARIO_COLOURS[sc.name]
            ax.plot([x0, x1], [company.price, sc.value], color=colour, lw=1.0, ls="--")
            ax.plot([x1], [sc.value], "o", color=colour, ms=6, zorder=3)
        spots = spread_labels([s.value for s in scenarios], top * 0.13)  # two-line labels
        for sc, spot in zip(scenarios, spots, strict=True):
            multiple = (
                f", {fmt.multiple(sc.implied_multiple, 0)} {sc.multiple_basis}"
                if sc.implied_multiple is not None
                else ""
            )
            ax.annotate(
                f"{sc.name.capitalize()}: {fmt.money(sc.value, cur)}\n"
                f"({fmt.pct(100 * sc.upside, 1, signed=True)}{multiple})",
                (x1, sc.value),
                xytext=(x1 + 0.04 * span, spot),
                va="center",
                ha="left",
                fontsize=LABEL_SIZE,
                bbox=LABEL_BOX,
                color=SCENARIO_COLOURS[sc.name],
                fontweight="bold",
            )
        left = min(xs[0], x0) if history else x0 - 0.55 * span
        target = company.price_target
        ax.plot([left, x1], [target, target], color=GOLD, lw=0.9, ls=":", zorder=1)
        ax.plot([x1], [target], "D", color=GOLD, ms=8, mfc="none", mew=1.2, zorder=4)
        ax.plot([x0], [company.price], "o", color=TEAL, ms=7, zorder=4)
        ax.annotate(
            f"Price {fmt.money(company.price, cur)}\n{company.price_date.day} "
            f"{company.price_date:%b %Y}",
            (x0, company.price),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=LABEL_SIZE,
            bbox=LABEL_BOX,
            color=TEAL,
            fontweight="bold",
        )
        ax.set_xlim(left, x1 + 0.95 * span)
        ax.set_ylim(0, top * 1.15)
        ax.set_ylabel(f"{cur} per share")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
        if not history:
            ax.set_xticks([])
            ax.spines["bottom"].set_visible(False)
        handles = [
            Line2D([], [], marker="o", ls="", color=TEAL, label="Current price"),
            *([Line2D([], [], color=GREY, lw=1.0, label="Share price history")] if history else []),
            Line2D(
                [],
                [],
                marker="D",
                ls=":",
                mfc="none",
                color=GOLD,
                label=f"Price target (published): {fmt.money(target, cur)}",
            ),
        ]
        ax.legend(handles=handles, loc="upper left")
    return fig


def _bars_with_margin(
    ax: Axes,
    periods: Sequence[str],
    revenue: Sequence[float],
    margin: Sequence[float | None],
    currency: str,
) -> None:
    """Revenue bars (estimates hatched and lighter) with gross margin on a second axis."""
    xs = list(range(len(periods)))
    estimate = [is_estimate(p) for p in periods]
    bars = ax.bar(
        xs,
        revenue,
        width=0.62,
        color=[LIGHT if e else NAVY for e in estimate],
        edgecolor=NAVY,
        linewidth=0.6,
        hatch=None,
    )
    for bar, e in zip(bars, estimate, strict=True):
        if e:
            bar.set_hatch("////")
    for x, v in zip(xs, revenue, strict=True):
        ax.annotate(
            fmt.number(v, 1, parens=True),  # as the statement tables print it
            (x, max(v, 0)),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=LABEL_SIZE,
            bbox=LABEL_BOX,
            color="#333333",
        )
    high = max([*revenue, 0.0])
    ax.set_ylim(0, high * 1.9 if high > 0 else 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
    ax.set_xticks(xs, list(periods))
    ax.set_ylabel(f"Revenue, {currency} mn")
    bx = ax.twinx()
    points = [(x, 100 * m) for x, m in zip(xs, margin, strict=True) if m is not None]
    if points:
        bx.plot([x for x, _ in points], [m for _, m in points], "-o", color=GOLD, lw=1.4, ms=4)
        for x, m in points:
            bx.annotate(
                pct_cell(m, 1),
                (x, m),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
                bbox=LABEL_BOX,
                color=GOLD,
                fontweight="bold",
            )
        low = min(0.0, *(m for _, m in points))
        peak = max(0.0, *(m for _, m in points))
        reach = (peak - low) or 1.0
        bx.set_ylim(low - 0.9 * reach, peak + 0.45 * reach)  # the line above the bars
        bx.set_yticks([t for t in bx.get_yticks() if low <= t <= peak + 0.45 * reach])
    bx.spines["right"].set_visible(True)
    bx.grid(False)
    bx.set_ylabel("Gross margin (%)")
    ax.legend(
        handles=[
            Patch(facecolor=NAVY, edgecolor=NAVY, label="Revenue, actual"),
            Patch(facecolor=LIGHT, edgecolor=NAVY, hatch="////", label="Revenue, estimate (E)"),
            Line2D([], [], color=GOLD, marker="o", label="Gross margin (rhs)"),
        ],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=3,
    )


@exhibit(
    "revenue-margin",
    kind="chart",
    title="Revenue and gross margin",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml financials",),
    params={"company": P.company()},
)
def revenue_margin(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Annual revenue (estimates hatched) with the computed gross margin on a second axis."""
    company = named_company(ds, params)
    val = value_company(company)
    periods = sorted(val.revenue, key=sort_key)
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 2.8)
        _bars_with_margin(
            ax,
            periods,
            [val.revenue[p] for p in periods],
            [val.gross_margin.get(p) for p in periods],
            company.currency,
        )
    return fig


REVENUE_ITEMS = ("total_revenues", "net_sales", "revenue")


def _line(frame: pd.DataFrame, items: Sequence[str], shown: str) -> pd.Series:
    """The first of ``items`` present in a wide table, as a row; ExhibitDataError otherwise."""
    for item in items:
        rows = frame[frame["line_item"] == item]
        if not rows.empty:
            return rows.iloc[0]
    raise ExhibitDataError(f"{shown} has no line_item {' or '.join(items)}")


@exhibit(
    "interim-estimates",
    kind="chart",
    title="Interim revenue and gross margin",
    source=SOURCE,
    tables=("estimates_half_year", "estimates_quarterly"),
    params={"company": P.company()},
)
def interim_estimates(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Half-year or quarterly revenue (estimates hatched) and computed gross margin."""
    company = named_company(ds, params)
    name, frame = interim_table(company)
    shown = table_shown(company, name)  # its CSV file, or the workbook mapping it
    periods = [p for p in period_columns(frame) if INTERIM.match(p)]
    revenue = _line(frame, REVENUE_ITEMS, shown)
    gross = _line(frame, ("gross_profit",), shown)
    values = [float(revenue[p]) for p in periods]
    margins = [
        float(gross[p]) / float(revenue[p]) if revenue[p] and gross[p] == gross[p] else None
        for p in periods
    ]
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 2.8)
        _bars_with_margin(ax, periods, values, margins, company.currency)
    return fig


@exhibit(
    "estimates-vs-consensus",
    kind="chart",
    title="House estimates against consensus",
    source="Company data, consensus data, Meridian Research estimates",
    tables=("companies/<slug>/estimates_vs_consensus",),
    params={
        "company": P.company(),
        "line_items": P.texts("a list of line items such as net_sales_rmb_mn"),
    },
)
def estimates_vs_consensus(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """House and consensus by year for net sales and net income, with computed differences."""
    company = named_company(ds, params)
    frame = company_table(company, "estimates_vs_consensus")
    shown = table_shown(company, "estimates_vs_consensus")
    items = params.get("line_items") or ["net_sales_rmb_mn", "net_income_rmb_mn"]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ExhibitDataError(
            f"parameter 'line_items' must be a list of line items, got {items!r}"
        )
    rows = [_line(frame, (item,), shown) for item in items]
    years = [y[:4] for y in versus_columns(frame)]
    with house_style():
        fig, ax0 = new_figure(FULL_WIDTH_IN, 2.6)
        ax0.remove()
        axes = list(fig.subplots(1, len(rows), squeeze=False).flat)
        for ax, item, row in zip(axes, items, rows, strict=True):
            xs = list(range(len(years)))
            house = [float(row[f"house_{y}e"]) for y in years]
            cons = [float(row[f"consensus_{y}e"]) for y in years]
            width = 0.36
            ax.bar([x - width / 2 for x in xs], house, width, color=NAVY, label="House")
            ax.bar([x + width / 2 for x in xs], cons, width, color=GREY, label="Consensus")
            for x, h, c in zip(xs, house, cons, strict=True):
                for dx, v in ((-width / 2, h), (width / 2, c)):
                    ax.annotate(
                        fmt.number(v, 0, parens=True),
                        (x + dx, max(v, 0)),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=5.8,
                        bbox=LABEL_BOX,
                        color="#333333",
                    )
                if c:
                    ax.annotate(
                        NM if not_meaningful(h, c) else pct_cell(100 * (h / c - 1), 1),
                        (x, max(h, c, 0)),
                        xytext=(0, 12),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=LABEL_SIZE,
                        bbox=LABEL_BOX,
                        color=TEAL,
                        fontweight="bold",
                    )
            high = max([*house, *cons, 0.0])
            ax.set_ylim(0, high * 1.3 if high > 0 else 1)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
            ax.set_xticks(xs, [f"{y}E" for y in years])
            ax.set_title(
                f"{line_label(item)}, {company.currency} mn", loc="left", fontweight="bold"
            )
        axes[0].legend(loc="upper left")
        fig.supxlabel(
            "Teal: house / consensus - 1 (computed)", fontsize=LABEL_SIZE, color="#555555"
        )
    return fig


@exhibit(
    "valuation-bridge",
    kind="chart",
    title="Residual income valuation: from equity to value per share",
    source=SOURCE,
    tables=("companies/<slug>/ri_inputs", "company.yaml"),
    params={"company": P.company()},
)
def valuation_bridge(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Waterfall to equity value (computed), then value per share against the target."""
    company = named_company(ds, params)
    val = value_company(company)
    ri = val.ri
    cur, listing = company.currency, company.listing_currency
    years = [year_label(company, r.year) for r in ri.rows]
    steps = [
        (f"Equity,\nend-{years[0]}", ri.ending_equity),
        (f"PV of RI,\n{years[0]}-{years[-2]}", ri.pv_forecast),
        (f"PV of continuing\nvalue ({years[-1]})", ri.pv_continuing_value),
    ]
    with house_style():
        fig, ax0 = new_figure(FULL_WIDTH_IN, 2.8)
        ax0.remove()
        ax, bx = fig.subplots(1, 2, width_ratios=[2.6, 1])
        level = 0.0
        for i, (_, amount) in enumerate(steps):
            bottom = level if amount >= 0 else level + amount
            colour = NAVY if i == 0 else (TEAL if amount >= 0 else RED)
            ax.bar([i], [abs(amount)], bottom=bottom, width=0.6, color=colour)
            ax.annotate(
                # opening equity as the balance sheet prints it; the PVs as the RI table does
                fmt.number(amount, 1 if i == 0 else 0, parens=True),
                (i, bottom + abs(amount)),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
                bbox=LABEL_BOX,
            )
            new = level + amount
            ax.plot([i + 0.3, i + 0.7], [new, new], color=GREY, lw=0.6)
            level = new
        total = len(steps)
        ax.bar([total], [ri.equity_value], width=0.6, color=GOLD)
        ax.annotate(
            fmt.number(ri.equity_value, 0, parens=True),
            (total, ri.equity_value),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=LABEL_SIZE,
            bbox=LABEL_BOX,
            fontweight="bold",
        )
        ax.set_xticks(range(total + 1), [s for s, _ in steps] + ["Equity\nvalue"], fontsize=6.5)
        ax.set_ylim(min(0.0, level) * 1.1, max(ri.equity_value, level) * 1.15)
        ax.set_ylabel(f"{cur} mn")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
        ax.set_title("Equity value", loc="left", fontweight="bold")
        values = [ri.value_per_share, val.target]
        colours = [GOLD, GREY]
        bx.bar([0, 1], values, width=0.6, color=colours)
        for x, v in zip((0, 1), values, strict=True):
            bx.annotate(
                fmt.money(v, listing),
                (x, v),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
                bbox=LABEL_BOX,
            )
        bx.set_xticks([0, 1], ["Model", "Published\ntarget"], fontsize=6.5)
        bx.set_ylim(0, max(values) * 1.35)
        per = f"Equity value / {fmt.number(ri.shares_mn, 0)}mn shares"
        if listing != cur:
            per += f"\nat {fx_text(company)}"
        bx.set_title(f"Per share, {listing}", loc="left", fontweight="bold")
        bx.text(
            0.5,
            0.97,
            f"{per}\nModel vs target {pct_cell(100 * val.model_vs_target, 1)}",
            transform=bx.transAxes,
            ha="center",
            va="top",
            fontsize=6,
            bbox=LABEL_BOX,
            color="#555555",
        )
    return fig
