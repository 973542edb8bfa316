"""Sector-note AI accelerator market exhibits: shipment share and GPGPU localization and growth."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from reportgen import formatting as fmt
from reportgen.data.dataset import Dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures.registry import P, exhibit
from reportgen.figures.sector_style import LABEL_SIZE, bare_x, label_hbars, panels
from reportgen.figures.style import (
    DOMESTIC,
    FULL_WIDTH_IN,
    GOLD,
    GREY,
    LABEL_BOX,
    LIGHT,
    OVERSEAS,
    TEAL,
    house_style,
    new_figure,
    spread_labels,
)
from reportgen.models import pricing

# --- helpers -------------------------------------------------------------------------------


def _year_number(label: str) -> int:
    """'2025E' -> 2025; '2024' -> 2024."""
    return int(label[:4])


# --- shipment share -------------------------------------------------------------------------

SHIPMENT_COLOURS = {"Domestic vendors": DOMESTIC, "Nvidia": OVERSEAS}


@exhibit(
    "shipment-share-2025",
    kind="chart",
    title="China AI accelerator shipments by vendor group",
    source="IDC, Reuters, Meridian Research",
    tables=("china_ai_shipments",),
    params={"year": P.year()},
)
def shipment_share(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """A 100% bar of one year's shipments by vendor group; the derived remainder hatched."""
    year = int(params.get("year", 2025))
    frame = ds.table("china_ai_shipments")
    frame = frame[frame["year"] == year]
    if frame.empty:
        raise ExhibitDataError(f"no shipments for year {year} in {ds.files['china_ai_shipments']}")
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
                    bbox=LABEL_BOX,
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


# --- GPGPU localization and growth ----------------------------------------------------------

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
    rates = cagr["value_pct"].astype(float)  # a float column: validated as numbers
    dom = pricing.grow(share, float(rates["domestic"]) / 100, years)
    rest = pricing.grow(100 - share, float(rates["overseas"]) / 100, years)
    return end, 100 * dom / (dom + rest)


@exhibit(
    "gpgpu-localization",
    kind="chart",
    title="China GPGPU localization rates and market growth (F&S estimates)",
    source="Frost & Sullivan, Meridian Research",
    tables=("gpgpu_market",),
    params={"show_derived": P.flag()},
)
def gpgpu_localization(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Stated localization rates as dot-and-line segments, and the stated market CAGRs."""
    frame = ds.table("gpgpu_market")
    loc = frame[frame["metric"] == "localization_rate"]
    cagr = frame[frame["metric"] == "cagr"]
    implied = _implied_localization(frame) if params.get("show_derived", True) else None
    with house_style():
        fig, (ax, bx) = panels(1, 2, 2.8, width_ratios=[2.3, 1])
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
                        bbox=LABEL_BOX,
                        color=colour,
                        fontweight="bold",
                    )
                continue
            side = 1 if x == last else -1
            spots = spread_labels([v for v, _, _ in items], top * 0.07)
            for (v, text, colour), spot in zip(items, spots, strict=True):
                ax.annotate(
                    text,
                    (x, v),
                    xytext=(x + 0.25 * side, spot),
                    va="center",
                    ha="left" if side > 0 else "right",
                    fontsize=LABEL_SIZE,
                    bbox=LABEL_BOX,
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
        ax.set_xlim(first - 1.3, last + 2.3)  # room for the end labels inside the plot
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
            bbox=LABEL_BOX,
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
        label_hbars(bx, values, ys, [fmt.pct(v) for v in values])
        for y, segment in zip(ys, cagr["segment"], strict=True):
            bx.text(
                0,
                y + 0.36,
                SEGMENT_LABELS.get(str(segment), str(segment)),
                va="bottom",
                fontsize=LABEL_SIZE,
                bbox=LABEL_BOX,
            )
        bx.set_yticks([])
        bx.spines["left"].set_visible(False)
        bx.set_xlim(0, max(values) * 1.3)
        bx.set_ylim(-0.5, len(values) - 0.1)
        periods = " / ".join(dict.fromkeys(str(y) for y in cagr["year"]))
        bx.set_title(f"Market CAGR, {periods}", loc="left", fontweight="bold")
        bare_x(bx)
    return fig
