"""Exhibit builders for the sector note: LLM pricing, shipments, localization and Day-0 support.

Every plotted number comes from the Dataset; report definitions only name which models to show.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter

from reportgen import formatting as fmt
from reportgen.checks import table_mismatches
from reportgen.data.dataset import Dataset
from reportgen.errors import SpecError
from reportgen.figures.registry import (
    TableColumn,
    TableExhibit,
    TableGroup,
    TableRow,
    exhibit,
)
from reportgen.figures.style import (
    DOMESTIC,
    FULL_WIDTH_IN,
    GOLD,
    GREY,
    LIGHT,
    NAVY,
    OVERSEAS,
    TEAL,
    house_style,
    new_figure,
)
from reportgen.models import pricing

SOURCE = "Company data, Meridian Research"
REGION_COLOURS = {"China": DOMESTIC, "Overseas": OVERSEAS}
LABEL_SIZE = 6.5


# --- helpers -------------------------------------------------------------------------------


def _names(params: Mapping[str, Any], key: str) -> list[str]:
    """A required list-of-model-names parameter."""
    if key not in params:
        raise KeyError(f"missing parameter '{key}' (a list of model names)")
    value = params[key]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"parameter '{key}' must be a list of model names, got {value!r}")
    return list(value)


def _name(params: Mapping[str, Any], key: str) -> str:
    """A required model-name parameter."""
    if key not in params:
        raise KeyError(f"missing parameter '{key}' (a model name)")
    if not isinstance(params[key], str):
        raise SpecError(f"parameter '{key}' must be a model name, got {params[key]!r}")
    return params[key]


def _model_row(ds: Dataset, prices: pd.DataFrame, name: str, region: str | None = None) -> Any:
    """The one llm_pricing row named ``name`` (in ``region`` if given); KeyError otherwise."""
    where = ds.files.get("llm_pricing", "llm_pricing")
    hits = prices[prices["model"] == name]
    if region is not None:
        hits = hits[hits["region"] == region]
    if hits.empty:
        scope = f" among the {region} rows" if region else ""
        raise KeyError(f"unknown model '{name}'{scope}: not a model in {where}")
    if len(hits) > 1:
        rows = ", ".join(str(r) for r in hits["row"])
        raise KeyError(f"ambiguous model '{name}': rows {rows} of {where} share the name")
    return hits.iloc[0]


def _colour(region: str) -> str:
    return REGION_COLOURS.get(region, GREY)


def _wrap(text: str, width: int = 24) -> str:
    return textwrap.fill(text, width)


def _panels(nrows: int, ncols: int, height: float, **kwargs: Any) -> tuple[Figure, list[Axes]]:
    """A full-width house figure cut into a grid of axes (call inside house_style)."""
    fig, ax = new_figure(FULL_WIDTH_IN, height)
    ax.remove()
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, list(axes.flat)


def _label_hbars(
    ax: Axes,
    values: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    weights: Sequence[str] | None = None,
) -> None:
    """Write each horizontal bar's label just past its end."""
    for i, (value, y, text) in enumerate(zip(values, ys, texts, strict=True)):
        ax.annotate(
            text,
            (value, y),
            xytext=(3, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            color="#333333",
            fontweight=weights[i] if weights else "normal",
            bbox={"fc": "white", "ec": "none", "pad": 0.4, "alpha": 0.85},
            zorder=3,
        )


def _plain() -> FuncFormatter:
    """Log-axis tick labels as 0.1, 1, 10 rather than powers of ten."""
    return FuncFormatter(lambda v, _: f"{v:g}")


def _bare_x(ax: Axes) -> None:
    """Hide the value axis of a labelled bar panel."""
    ax.grid(False)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)


def _pricing_mismatches(ds: Dataset) -> dict[tuple[int, str], Any]:
    """llm_pricing mismatches keyed by (file line, published column)."""
    path = ds.files.get("llm_pricing")
    return {
        (m.line, m.column): m
        for m in table_mismatches(ds, ["llm_pricing"])
        if m.path == path and m.line is not None
    }


def _year_number(label: str) -> int:
    """'2025E' -> 2025; '2024' -> 2024."""
    return int(label[:4])


def _spread(values: Sequence[float], gap: float) -> list[float]:
    """Label positions for ``values`` nudged apart to at least ``gap``, order kept."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    placed = [0.0] * len(values)
    last = -math.inf
    for i in order:
        placed[i] = max(values[i], last + gap)
        last = placed[i]
    return placed


# --- 1. subject against overseas flagships ------------------------------------------------

PRICE_METRICS = (
    ("input_usd", "Input"),
    ("output_usd", "Output"),
    ("blended_3_1_usd", "Blended 3:1"),
)


@exhibit(
    "v4-vs-overseas-flagships",
    kind="chart",
    title="DeepSeek V4 Pro list prices against overseas flagship models",
    source=SOURCE,
    tables=("llm_pricing",),
)
def v4_vs_overseas_flagships(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Input, output and blended 3:1 prices of a subject model and its peers, one panel each."""
    prices = ds.table("llm_pricing")
    names = [_name(params, "subject"), *_names(params, "peers")]
    rows = [_model_row(ds, prices, n) for n in names]
    ys = list(range(len(rows)))[::-1]
    with house_style():
        fig, axes = _panels(1, len(PRICE_METRICS), 0.45 * len(rows) + 0.9, sharey=True)
        for ax, (column, label) in zip(axes, PRICE_METRICS, strict=True):
            values = [float(r[column]) for r in rows]
            ax.barh(ys, values, height=0.62, color=[_colour(r["region"]) for r in rows])
            texts = [fmt.number(values[0], 2)] + [
                f"{fmt.number(v, 2)} ({fmt.multiple(v / values[0], 1)})"
                if values[0] > 0
                else fmt.number(v, 2)
                for v in values[1:]
            ]
            _label_hbars(ax, values, ys, texts, ["bold"] + ["normal"] * (len(values) - 1))
            ax.set_xlim(0, max(values) * 1.6)
            ax.set_title(label, loc="left", fontweight="bold")
            _bare_x(ax)
        axes[0].set_yticks(ys, [_wrap(str(r["model"]), 22) for r in rows])
        axes[0].get_yticklabels()[0].set_fontweight("bold")
        fig.supxlabel(
            f"US$ per 1M tokens; bracket: multiple of {names[0]}", fontsize=7, color="#555555"
        )
    return fig


# --- 2. flagship price ranges ---------------------------------------------------------------


@exhibit(
    "price-ranges",
    kind="chart",
    title="Flagship API price ranges, China and overseas, with promotional rates",
    source=SOURCE,
    tables=("llm_pricing", "llm_promotions"),
)
def price_ranges(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Min-max of flagship input and output prices per region, promotional rates as points."""
    prices = ds.table("llm_pricing")
    flagships = prices[prices["flagship"]]
    promos = ds.table("llm_promotions")
    if params.get("promo_model") is not None:
        wanted = _name(params, "promo_model")
        promos = promos[promos["model"] == wanted]
        if promos.empty:
            raise KeyError(f"unknown promo_model '{wanted}': not in {ds.files['llm_promotions']}")
    regions = list(pd.unique(flagships["region"]))
    low = min(float(flagships[c].min()) for c in ("input_usd", "output_usd"))
    high = max(float(flagships[c].max()) for c in ("input_usd", "output_usd"))
    with house_style():
        fig, axes = _panels(2, 1, 3.6, sharex=True)
        for ax, (column, label) in zip(axes, PRICE_METRICS[:2], strict=True):
            ys = list(range(len(regions)))[::-1]
            for y, region in zip(ys, regions, strict=True):
                part = flagships[flagships["region"] == region]
                lo, hi = part.loc[part[column].idxmin()], part.loc[part[column].idxmax()]
                colour = _colour(region)
                ax.plot(
                    [lo[column], hi[column]],
                    [y, y],
                    color=colour,
                    lw=5,
                    alpha=0.35,
                    solid_capstyle="butt",
                )
                ax.plot([lo[column], hi[column]], [y, y], "o", color=colour, ms=5)
                for row, side in ((lo, -1), (hi, 1)):
                    ax.annotate(
                        f"{row['model']} {fmt.usd(row[column])}",
                        (row[column], y),
                        xytext=(2 * side, -6),
                        va="top",
                        textcoords="offset points",
                        ha="left" if side > 0 else "right",
                        fontsize=6,
                        color="#333333",
                        linespacing=1.0,
                    )
                for _, promo in promos.iterrows():
                    base = _model_row(ds, prices, str(promo["model"]))
                    if base["region"] != region:
                        continue
                    ax.plot([promo[column]], [y], "D", color=GOLD, ms=5, mec="white", mew=0.6)
                    ax.annotate(
                        f"{promo['model']} promo {fmt.usd(promo[column])} "
                        f"({fmt.number(-promo['discount_pct'], 0)}%)",
                        (promo[column], y),
                        xytext=(0, 7),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=6,
                        color=GOLD,
                        fontweight="bold",
                    )
            ax.set_yticks(ys, regions, fontweight="bold")
            ax.set_ylim(-0.7, len(regions) - 0.3)
            ax.set_title(f"{label} price range, flagship models", loc="left", fontweight="bold")
            ax.set_xscale("log")
            ax.grid(True, axis="x", which="major")
            ax.grid(False, axis="y")
        axes[-1].set_xlim(low / 12, high * 20)
        axes[-1].xaxis.set_major_formatter(_plain())
        axes[-1].set_xlabel("US$ per 1M tokens (log scale)")
        handles = [Line2D([], [], marker="D", ls="", color=GOLD, label="Promotional rate")]
        axes[0].legend(handles=handles, loc="upper right")
    return fig


# --- 3. the full pricing matrix -------------------------------------------------------------

MATRIX_COLUMNS = (
    ("input_usd", TableColumn("Input", "US$/1M"), 2),
    ("cache_read_usd", TableColumn("Cache read", "US$/1M"), 2),
    ("cache_write_usd", TableColumn("Cache write", "US$/1M"), 2),
    ("storage_usd_per_1m_per_h", TableColumn("Storage", "US$/1M/h"), 2),
    ("output_usd", TableColumn("Output", "US$/1M"), 2),
    ("blended_3_1_usd", TableColumn("Blended 3:1 (computed)", "US$/1M"), 2),
)


def _describe(m: Any) -> str:
    """'blended 3:1 published 0.6250, computed 0.5250' for one pricing mismatch."""
    if m.column == "io_ratio_published":
        return f"I/O ratio published {fmt.multiple(m.published, 2)}, computed " + fmt.multiple(
            m.computed, 2
        )
    name = "blended 3:1" if m.column == "blended_3_1_usd_published" else m.column
    return f"{name} published {fmt.number(m.published, 4)}, computed {fmt.number(m.computed, 4)}"


@exhibit(
    "pricing-matrix",
    kind="table",
    title="LLM API list prices by region and provider",
    source="Company price lists, Meridian Research",
    tables=("llm_pricing",),
)
def pricing_matrix(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Every llm_pricing row, grouped by region then provider, in the file's order."""
    prices = ds.table("llm_pricing").sort_values("_line", kind="stable")
    mismatches = _pricing_mismatches(ds)
    columns = (
        TableColumn("Model", "", "left"),
        *(col for _, col, _ in MATRIX_COLUMNS),
        TableColumn("I/O ratio (computed)", "x"),
        TableColumn("Context", "tokens"),
        TableColumn("Output length", "tokens"),
    )
    groups: list[TableGroup] = []
    differs: list[str] = []
    records = prices.to_dict("records")
    for region, in_region in groupby(records, key=lambda r: r["region"]):
        groups.append(TableGroup(str(region), (), level=1))
        for provider, in_provider in groupby(in_region, key=lambda r: r["provider"]):
            rows: list[TableRow] = []
            for rec in in_provider:
                cells = [str(rec["model"])]
                cells += [fmt.number(rec[key], dp) for key, _, dp in MATRIX_COLUMNS]
                cells.append(fmt.multiple(rec["io_ratio"], 2))
                cells += [
                    rec[k] if isinstance(rec[k], str) and rec[k] else fmt.DASH
                    for k in ("context_length", "output_length")
                ]
                marks = {"flagship"} if rec["flagship"] else set()
                found = [mismatches[k] for k in sorted(mismatches) if k[0] == rec["_line"]]
                if found:
                    marks.add("differs")
                    what = "; ".join(_describe(m) for m in found)
                    differs.append(f"{rec['model']} (row {rec['row']}: {what})")
                rows.append(TableRow(tuple(cells), frozenset(marks)))
            groups.append(TableGroup(str(provider), tuple(rows), level=2))
    notes = [
        "Blended 3:1 = (3 x input + output) / 4; I/O ratio = output / input; both "
        "recomputed from the listed prices."
    ]
    if differs:
        notes.append("Published value differs from computed: " + "; ".join(differs) + ".")
    return TableExhibit(
        columns=columns,
        groups=tuple(groups),
        notes=tuple(notes),
        header_groups=(("", 1), ("US$ per 1M tokens", 6), ("", 1), ("Tokens", 2)),
    )


# --- 4. shipment share ----------------------------------------------------------------------

SHIPMENT_COLOURS = {"Domestic vendors": DOMESTIC, "Nvidia": OVERSEAS}


@exhibit(
    "shipment-share-2025",
    kind="chart",
    title="China AI accelerator shipments by vendor group",
    source="IDC, Reuters, Meridian Research",
    tables=("china_ai_shipments",),
)
def shipment_share(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """A 100% bar of one year's shipments by vendor group; the derived remainder hatched."""
    year = int(params.get("year", 2025))
    frame = ds.table("china_ai_shipments")
    frame = frame[frame["year"] == year]
    if frame.empty:
        raise KeyError(f"no shipments for year {year} in {ds.files['china_ai_shipments']}")
    total = frame[frame["vendor_group"] == "Total"]
    parts = frame[frame["vendor_group"] != "Total"].sort_values("derived", kind="stable")
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 1.7)
        left = 0.0
        for _, part in parts.iterrows():
            share, derived = float(part["share_pct"]), bool(part["derived"])
            colour = LIGHT if derived else SHIPMENT_COLOURS.get(str(part["vendor_group"]), GREY)
            ax.barh(
                [0],
                [share],
                left=left,
                height=0.5,
                color=colour,
                edgecolor="white",
                hatch="////" if derived else None,
                lw=0.6,
            )
            text = (
                f"{part['vendor_group']}\n{fmt.number(part['units_mn'], 2)}mn units, "
                f"{fmt.pct(share)}" + (" (derived)" if derived else "")
            )
            middle = left + share / 2
            if share >= 15:
                ax.text(
                    middle,
                    0,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white",
                    fontweight="bold",
                )
            else:
                ax.annotate(
                    text,
                    (middle, 0.25),
                    xytext=(middle - 2, 0.62),
                    ha="right",
                    va="bottom",
                    fontsize=LABEL_SIZE,
                    color="#333333",
                    arrowprops={"arrowstyle": "-", "color": GREY, "lw": 0.6},
                )
            left += share
        if not total.empty:
            ax.text(
                0,
                -0.42,
                f"Total {year}: {fmt.number(total['units_mn'].iloc[0], 2)}mn units "
                "(= 100%); the remainder is total less the groups stated.",
                fontsize=6.5,
                va="top",
                color="#555555",
            )
        ax.set_xlim(0, 100)
        ax.set_ylim(-0.75, 1.05)
        ax.axis("off")
    return fig


# --- 5. GPGPU localization and growth -------------------------------------------------------

TOTAL = "#4D5766"  # a dark grey: the whole market, neither domestic nor overseas
SEGMENT_COLOURS = {
    "total": TOTAL,
    "inference": TEAL,
    "training": GOLD,
    "domestic": DOMESTIC,
    "overseas": OVERSEAS,
}
SEGMENT_LABELS = {
    "total": "Total market",
    "domestic": "Domestic vendors",
    "overseas": "Overseas vendors",
    "inference": "Inference",
    "training": "Training",
}


def _implied_localization(frame: pd.DataFrame) -> tuple[int, float] | None:
    """End-year localization implied by the stated domestic and overseas CAGRs (derived)."""
    cagr = frame[frame["metric"] == "cagr"].set_index("segment")
    if not {"domestic", "overseas"} <= set(cagr.index):
        return None
    match = re.match(r"^(\d{4})-(\d{2})E$", str(cagr.loc["domestic", "year"]))
    if match is None:
        return None
    start = int(match.group(1))
    end = start // 100 * 100 + int(match.group(2))
    loc = frame[(frame["metric"] == "localization_rate") & (frame["segment"] == "total")]
    base = loc[[_year_number(y) == start for y in loc["year"]]]
    if base.empty:
        return None
    share = float(base["value_pct"].iloc[0])
    years = end - start
    dom = pricing.grow(share, float(cagr.loc["domestic", "value_pct"]) / 100, years)
    rest = pricing.grow(100 - share, float(cagr.loc["overseas", "value_pct"]) / 100, years)
    return end, 100 * dom / (dom + rest)


@exhibit(
    "gpgpu-localization",
    kind="chart",
    title="China GPGPU localization rates and market growth (F&S estimates)",
    source="Frost & Sullivan, Meridian Research",
    tables=("gpgpu_market",),
)
def gpgpu_localization(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Stated localization rates as dot-and-line segments, and the stated market CAGRs."""
    frame = ds.table("gpgpu_market")
    loc = frame[frame["metric"] == "localization_rate"]
    cagr = frame[frame["metric"] == "cagr"]
    implied = _implied_localization(frame) if params.get("show_derived", True) else None
    with house_style():
        fig, (ax, bx) = _panels(1, 2, 2.8, width_ratios=[2.3, 1])
        ends: dict[int, list[tuple[float, str, str]]] = {}
        for segment in pd.unique(loc["segment"]):
            part = loc[loc["segment"] == segment]
            part = part.iloc[sorted(range(len(part)), key=lambda i: part["year"].iloc[i])]
            xs = [_year_number(y) for y in part["year"]]
            colour = SEGMENT_COLOURS.get(str(segment), GREY)
            ax.plot(xs, part["value_pct"], "-o", color=colour, lw=1.4, ms=5)
            for i, (x, v) in enumerate(zip(xs, part["value_pct"], strict=True)):
                name = SEGMENT_LABELS.get(str(segment), str(segment))
                text = f"{name} {fmt.pct(v)}" if i == len(xs) - 1 else fmt.pct(v)
                ends.setdefault(x, []).append((float(v), text, colour))
        top = float(loc["value_pct"].max()) * 1.25
        first, last = min(ends), max(ends)
        for x, items in sorted(ends.items()):
            if first < x < last:  # a mid-axis start: below right, clear of the lines
                for v, text, colour in items:
                    ax.annotate(
                        text,
                        (x, v),
                        xytext=(4, -4),
                        textcoords="offset points",
                        ha="left",
                        va="top",
                        fontsize=LABEL_SIZE,
                        color=colour,
                        fontweight="bold",
                    )
                continue
            side = 1 if x == last else -1
            spots = _spread([v for v, _, _ in items], top * 0.07)
            for (v, text, colour), spot in zip(items, spots, strict=True):
                ax.annotate(
                    text,
                    (x, v),
                    xytext=(x + 0.25 * side, spot),
                    va="center",
                    ha="left" if side > 0 else "right",
                    fontsize=LABEL_SIZE,
                    color=colour,
                    fontweight="bold",
                )
        handles = [Line2D([], [], marker="o", ls="", color="#555555", label="Stated (F&S)")]
        if implied is not None:
            year, value = implied
            ax.plot([year], [value], "o", mfc="none", mec=TOTAL, mew=1.2, ms=11, ls="")
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    ls="",
                    mfc="none",
                    mec=TOTAL,
                    ms=9,
                    label=f"Derived: {year}E total implied by the CAGRs, {fmt.pct(value)}",
                )
            )
        ticks = sorted({(_year_number(y), y) for y in loc["year"]})
        ax.set_xticks([t for t, _ in ticks], [label for _, label in ticks])
        ax.set_xlim(first - 1.3, last + 1.6)
        ax.set_ylim(0, top)
        ax.set_ylabel("Localization rate (%)")
        ax.text(
            0.99,
            0.02,
            "Lines join stated points; years between are not stated.",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6,
            color="#555555",
        )
        ax.set_title("Localization rate", loc="left", fontweight="bold")
        ax.legend(handles=handles, loc="upper left")
        ys = list(range(len(cagr)))[::-1]
        values = [float(v) for v in cagr["value_pct"]]
        bx.barh(
            ys,
            values,
            height=0.6,
            color=[SEGMENT_COLOURS.get(str(s), GREY) for s in cagr["segment"]],
        )
        _label_hbars(bx, values, ys, [fmt.pct(v) for v in values])
        for y, segment in zip(ys, cagr["segment"], strict=True):
            bx.text(
                0,
                y + 0.36,
                SEGMENT_LABELS.get(str(segment), str(segment)),
                va="bottom",
                fontsize=LABEL_SIZE,
            )
        bx.set_yticks([])
        bx.spines["left"].set_visible(False)
        bx.set_xlim(0, max(values) * 1.3)
        bx.set_ylim(-0.5, len(values) - 0.1)
        periods = " / ".join(dict.fromkeys(str(y) for y in cagr["year"]))
        bx.set_title(f"Market CAGR, {periods}", loc="left", fontweight="bold")
        _bare_x(bx)
    return fig


# --- 6. Day-0 matrix ------------------------------------------------------------------------

STATUS_COLOURS = (TEAL, GOLD, NAVY, GREY)
BLANK = "#F2F4F7"


@exhibit(
    "day0-matrix",
    kind="chart",
    title="Day-0 model support by Chinese GPU/GPGPU vendors",
    source=SOURCE,
    tables=("day0",),
)
def day0_matrix(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Vendors x models coloured by Day-0 status, with each vendor's model and family counts."""
    cat = ds.day0_catalogue
    long = ds.table("day0")
    status = {(r.vendor, r.model): r.status for r in long.itertuples() if isinstance(r.status, str)}
    vendors = [v for v in cat.vendors if v in set(long["vendor"])]
    models = [m["name"] for m in cat.models if m["name"] in set(long["model"])]
    colours = dict(zip(cat.statuses, STATUS_COLOURS, strict=False))
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.22 * len(vendors) + 2.2)
        for i, vendor in enumerate(vendors):
            for j, model in enumerate(models):
                value = status.get((vendor, model))
                face = colours.get(value, GREY) if value else BLANK
                ax.add_patch(
                    Rectangle((j - 0.5, i - 0.5), 1, 1, lw=0.8, edgecolor="white", facecolor=face)
                )
                if value:
                    ax.text(j, i, value, ha="center", va="center", fontsize=5, color="white")
            marked = [m for m in models if (vendor, m) in status]
            families = {cat.family(m) for m in marked}
            for x, count in ((len(models) - 0.1, len(marked)), (len(models) + 0.8, len(families))):
                ax.text(x, i, str(count), ha="center", va="center", fontsize=7, fontweight="bold")
        for x, label in ((len(models) - 0.1, "Models"), (len(models) + 0.8, "Families")):
            ax.text(x, -0.7, label, ha="center", va="bottom", fontsize=6, rotation=45)
        ax.set_xlim(-0.5, len(models) + 1.3)
        ax.set_ylim(len(vendors) - 0.5, -0.5)
        ax.set_yticks(range(len(vendors)), vendors)
        ax.set_xticks(range(len(models)), models, rotation=45, ha="left", rotation_mode="anchor")
        ax.xaxis.tick_top()
        ax.tick_params(length=0)
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        handles = [Patch(color=c, label=f"{s}: {cat.statuses[s]}") for s, c in colours.items()]
        handles.append(Patch(facecolor=BLANK, label="None shown"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0, 0), ncol=1)
        ax.text(
            1,
            0,
            f"As of {cat.as_of.day} {cat.as_of:%B %Y}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=6,
            color="#555555",
        )
    return fig


# --- 7. output-to-input ratios --------------------------------------------------------------

SIDES = (("domestic", "China", "Domestic"), ("overseas", "Overseas", "Overseas"))


@exhibit(
    "io-ratios",
    kind="chart",
    title="Output-to-input price ratio, domestic and overseas flagships",
    source=SOURCE,
    tables=("llm_pricing",),
)
def io_ratios(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Each named model's output/input price ratio, by side, with each side's mean."""
    prices = ds.table("llm_pricing")
    mismatches = _pricing_mismatches(ds)
    sides = [
        (label, region, [_model_row(ds, prices, n, region) for n in _names(params, key)])
        for key, region, label in SIDES
    ]
    count = sum(len(rows) for _, _, rows in sides)
    if count == 0:
        raise SpecError("exhibit 'io-ratios' needs at least one model in 'domestic' or 'overseas'")
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.19 * count + 1.0)
        y, ticks, labels = 0.0, [], []
        top = max(float(r["io_ratio"]) for _, _, rows in sides for r in rows)
        for label, region, rows in sides:
            if not rows:
                continue
            rows = sorted(rows, key=lambda r: -float(r["io_ratio"]))
            ys = [y - i for i in range(len(rows))]
            values = [float(r["io_ratio"]) for r in rows]
            ax.barh(ys, values, height=0.65, color=_colour(region), label=label)
            texts = []
            for r, v in zip(rows, values, strict=True):
                wrong = mismatches.get((r["_line"], "io_ratio_published"))
                note = f" (published {fmt.multiple(wrong.published, 1)})" if wrong else ""
                texts.append(fmt.multiple(v, 1) + note)
            _label_hbars(ax, values, ys, texts)
            mean = pricing.mean(values)
            ax.plot(
                [mean, mean], [ys[-1] - 0.45, ys[0] + 0.45], color=_colour(region), lw=0.9, ls="--"
            )
            ax.annotate(
                f"{label} mean {fmt.multiple(mean, 1)}",
                (mean, ys[0] + 0.45),
                xytext=(0, 1),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=6,
                color=_colour(region),
                fontweight="bold",
            )
            ticks += ys
            labels += [str(r["model"]) for r in rows]
            y = ys[-1] - 1.6
        ax.set_yticks(ticks, labels)
        ax.set_xlim(0, top * 1.35)
        ax.set_ylim(y + 1.0, 1.0)
        ax.set_xlabel("Output price / input price (x)")
        ax.grid(False)
        ax.legend(loc="lower right")
    return fig


# --- 8. flagships ranked by blended price ---------------------------------------------------


@exhibit(
    "flagship-blended-ranked",
    kind="chart",
    title="Flagship models ranked by blended 3:1 price",
    source=SOURCE,
    tables=("llm_pricing",),
)
def flagship_blended_ranked(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Every flagship row's blended 3:1 price on one log axis, coloured by region."""
    prices = ds.table("llm_pricing")
    flagships = prices[prices["flagship"]].sort_values(["blended_3_1_usd", "row"], kind="stable")
    highlight = _name(params, "highlight") if params.get("highlight") is not None else None
    if highlight is not None:
        _model_row(ds, flagships, highlight)
    values = [float(v) for v in flagships["blended_3_1_usd"]]
    mismatches = _pricing_mismatches(ds)
    texts = []
    for line, value in zip(flagships["_line"], values, strict=True):
        wrong = mismatches.get((line, "blended_3_1_usd_published"))
        note = f" (published {fmt.number(wrong.published, 2)})" if wrong else ""
        texts.append(fmt.number(value, 2) + note)
    base = 10 ** math.floor(math.log10(min(values)))
    ys = list(range(len(values)))[::-1]
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 0.17 * len(values) + 0.9)
        bold = [m == highlight for m in flagships["model"]]
        ax.barh(
            ys,
            [v - base for v in values],
            left=base,
            height=0.68,
            color=[_colour(r) for r in flagships["region"]],
            edgecolor=["black" if b else "none" for b in bold],
            linewidth=[1.2 if b else 0 for b in bold],
        )
        weights = ["bold" if b else "normal" for b in bold]
        _label_hbars(ax, values, ys, texts, weights)
        ax.set_xscale("log")
        ax.set_xlim(base, max(values) * 6)
        ax.xaxis.set_major_formatter(_plain())
        ax.set_axisbelow(True)
        ax.set_yticks(ys, list(flagships["model"]), fontsize=6.5)
        for tick, weight in zip(ax.get_yticklabels(), weights, strict=True):
            tick.set_fontweight(weight)
        ax.set_ylim(-0.7, len(values) - 0.3)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.set_xlabel("Blended 3:1 price, US$ per 1M tokens (log scale)")
        regions = list(pd.unique(flagships["region"]))
        ax.legend(
            handles=[Patch(color=_colour(r), label=r) for r in sorted(regions)], loc="upper right"
        )
    return fig
