"""Source line, label size and chart-layout helpers the sector-note builder modules share."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportgen.figures.style import FULL_WIDTH_IN, new_figure

SOURCE = "Company data, Meridian Research"
LABEL_SIZE = 6.5


def panels(nrows: int, ncols: int, height: float, **kwargs: Any) -> tuple[Figure, list[Axes]]:
    """A full-width house figure cut into a grid of axes (call inside house_style)."""
    fig, ax = new_figure(FULL_WIDTH_IN, height)
    ax.remove()
    axes = fig.subplots(nrows, ncols, squeeze=False, **kwargs)
    return fig, list(axes.flat)


def label_hbars(
    ax: Axes,
    values: Sequence[float],
    ys: Sequence[float],
    texts: Sequence[str],
    weights: Sequence[str] | None = None,
    offset: float = 3,
) -> None:
    """Write each horizontal bar's (or dot's) label ``offset`` points past its end, on a white
    box that gridlines pass under."""
    for i, (value, y, text) in enumerate(zip(values, ys, texts, strict=True)):
        ax.annotate(
            text,
            (value, y),
            xytext=(offset, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            color="#333333",
            fontweight=weights[i] if weights else "normal",
            bbox={"fc": "white", "ec": "none", "pad": 0.4, "alpha": 0.85},
            zorder=3,
        )


def bare_x(ax: Axes) -> None:
    """Hide the value axis of a labelled bar panel."""
    ax.grid(False)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
