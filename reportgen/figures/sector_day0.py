"""Sector-note Day-0 exhibit: which Chinese GPU/GPGPU vendors support which models on day 0."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from reportgen.data.dataset import Dataset
from reportgen.figures.registry import exhibit
from reportgen.figures.sector_style import SOURCE
from reportgen.figures.style import (
    FULL_WIDTH_IN,
    GOLD,
    GREY,
    NAVY,
    TEAL,
    house_style,
    new_figure,
)

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
        handles.append(Patch(facecolor=BLANK, edgecolor=GREY, lw=0.5, label="None shown"))
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
