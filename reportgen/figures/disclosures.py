"""Disclosure exhibits: a covered company's rating and price-target history.

Every rating and target the house published on the company over the three years before the
report's date (from the release history, HISTORY_FILE), the report's own as the last point:
targets as steps, ratings as labelled markers where they change, over the share price when
data/companies/<slug>/prices.csv is given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

from reportgen import formatting as fmt
from reportgen.data.companies import Company
from reportgen.data.dataset import Dataset
from reportgen.data.history import read_history
from reportgen.errors import ExhibitDataError
from reportgen.figures.company_data import named_company, price_history
from reportgen.figures.registry import P, exhibit
from reportgen.figures.style import (
    FULL_WIDTH_IN,
    GOLD,
    GREEN,
    GREY,
    LABEL_BOX,
    NAVY,
    RED,
    house_style,
    new_figure,
)
from reportgen.models.disclosures import RatingPoint, rating_points, years_before

LABEL_SIZE = 6.5
#: Short enough that with its caption, source and margin the exhibit takes under a quarter of
#: a page (about 55 of 63 mm): one that does not fit where the disclosures reach moves on
#: without leaving a hole the page check reports (checks/pages.py HOLE_FRACTION; A4 less the
#: margins is 253 mm; the chart prints at 90% of the measure, 1.8 in high -> 41 mm).
CHART_HEIGHT_IN = 1.8
#: The house's stock ratings each in its own colour; any other rating in grey.
RATING_COLOURS = {"overweight": GREEN, "equal-weight": NAVY, "underweight": RED}
#: The legend's ring for this report's point (drawn in its rating's colour).
CURRENT = "#555555"
#: The shortest time axis drawn (days), so two points a week apart do not fill the width.
MIN_SPAN_DAYS = 120
#: Label distances from the marker (points), nearest first, tried on the preferred side first.
LANES = (7.0, 20.0, 33.0)
#: Horizontal alignments tried at each distance, in order.
ALIGNMENTS: tuple[Literal["center", "left", "right"], ...] = ("center", "left", "right")
TITLE = "Rating and price target history"
SOURCE = "Meridian Research ratings and price targets as published, company data"


def rating_colour(rating: str) -> str:
    """The marker colour of a rating."""
    return RATING_COLOURS.get(rating.casefold(), GREY)


def report_day(params: Mapping[str, Any], company: Company) -> dt.date:
    """The report's date (parameter ``date``, YYYY-MM-DD), else the company's price date."""
    raw = params.get("date")
    if raw is None:
        return company.price_date
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise ExhibitDataError(
            f"parameter 'date': expected a date YYYY-MM-DD, found {raw!r}"
        ) from exc


def history_points(ds: Dataset, company: Company, day: dt.date) -> tuple[RatingPoint, ...]:
    """The company's published points up to ``day``, then its rating and target now."""
    current = RatingPoint(day, company.rating, company.price_target, company.listing_currency)
    return rating_points(read_history(ds.root.parent), company.slug, day, current)


def _label(point: RatingPoint, previous: RatingPoint | None, currency: str) -> str:
    """A point's label: the rating where it changed (or first appears) and on this report's
    own point, then the target."""
    target = (
        fmt.money(point.target, point.currency or currency, "target_price")
        if point.target is not None
        else "no target"
    )
    changed = previous is None or previous.rating.casefold() != point.rating.casefold()
    return f"{point.rating}\n{target}" if changed or point.current else target


def _axis_range(
    points: Sequence[RatingPoint], prices: Sequence[tuple[dt.date, float]], day: dt.date
) -> tuple[float, float]:
    """The time axis: from the first point or price to the report date, at least
    MIN_SPAN_DAYS wide, with room after the last point for its label."""
    first = min([p.date for p in points] + [d for d, _ in prices])
    left = float(mdates.date2num(first))
    right = float(mdates.date2num(day))
    span = max(right - left, float(MIN_SPAN_DAYS))
    left = right - span
    return left - 0.04 * span, right + 0.08 * span


def _preferred(points: Sequence[RatingPoint], i: int) -> float:
    """1 to label a point above it, -1 below: below a point whose neighbour's target is
    higher (a lower target's label under it, a raised one's over it)."""
    target = points[i].target or 0.0
    neighbours = [points[j].target for j in (i - 1, i + 1) if 0 <= j < len(points)]
    return -1.0 if any(t is not None and t > target for t in neighbours) else 1.0


def _clear(box: Bbox, frame: Bbox, taken: Sequence[Bbox]) -> bool:
    """Whether a label's box lies inside the plot frame and off every taken box."""
    inside = box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0 and box.y1 <= frame.y1
    return inside and not any(box.overlaps(other) for other in taken)


def _draw_labels(fig: Figure, ax: Axes, points: Sequence[RatingPoint], currency: str) -> None:
    """Each point's label at its marker: above or below it, further out where a nearer place
    is taken or leaves the plot frame, measured on the laid-out chart (as the chart check
    measures it), aligned left or right at the frame's edges."""
    labels = []
    for i, point in enumerate(points):
        text = _label(point, points[i - 1] if i else None, currency)
        label = ax.annotate(
            text,
            (mdates.date2num(point.date), point.target or 0.0),
            xytext=(0, LANES[0] * _preferred(points, i)),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=LABEL_SIZE,
            bbox=LABEL_BOX,
            color=rating_colour(point.rating),
            fontweight="bold" if point.current else "normal",
            zorder=5,
        )
        label.set_in_layout(False)  # the layout is fixed before the labels are placed
        labels.append(label)
    fig.draw_without_rendering()
    frame = ax.get_window_extent()
    to_px = fig.dpi / 72.0
    marks = []
    for point in points:
        x, y = ax.transData.transform((mdates.date2num(point.date), point.target or 0.0))
        r = 4.0 * to_px
        marks.append(Bbox.from_extents(x - r, y - r, x + r, y + r))
    taken: list[Bbox] = list(marks)
    for i, label in enumerate(labels):
        sign = _preferred(points, i)
        places = [(lane * sign, ha) for lane in LANES for ha in ALIGNMENTS]
        places += [(-lane * sign, ha) for lane in LANES for ha in ALIGNMENTS]
        for offset, ha in places:
            label.set_position((0, offset))
            label.set_verticalalignment("bottom" if offset > 0 else "top")
            label.set_horizontalalignment(ha)
            box = label.get_window_extent().padded(1.5 * to_px)
            if _clear(box, frame, taken):
                break
        else:  # nowhere clear: the first place (the chart check will say so)
            label.set_position((0, places[0][0]))
            label.set_verticalalignment("bottom" if places[0][0] > 0 else "top")
            label.set_horizontalalignment("center")
        taken.append(label.get_window_extent().padded(1.5 * to_px))


@exhibit(
    "rating-history",
    kind="chart",
    title=TITLE,
    source=SOURCE,
    tables=("companies/<slug>/company.yaml", "companies/<slug>/prices.csv", "release history"),
    params={
        "company": P.company(),
        "date": P.text("the report date, YYYY-MM-DD (the company's price date if absent)"),
    },
)
def rating_history(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Published targets as steps and ratings as labelled markers, this report's last."""
    company = named_company(ds, params)
    day = report_day(params, company)
    cur = company.listing_currency
    points = history_points(ds, company, day)
    start = years_before(day, 3)
    prices = [(d, c) for d, c in price_history(company) if start <= d <= day]
    left, right = _axis_range(points, prices, day)
    xs = [float(mdates.date2num(p.date)) for p in points]
    targets = [p.target if p.target is not None else float("nan") for p in points]
    top = max([t for t in targets if t == t] + [c for _, c in prices] + [1.0])
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, CHART_HEIGHT_IN)
        ax.xaxis_date()
        handles: list[Line2D] = []
        if prices:
            ax.plot(
                [mdates.date2num(d) for d, _ in prices],
                [c for _, c in prices],
                color=GREY,
                lw=1.0,
                zorder=2,
            )
            handles.append(Line2D([], [], color=GREY, lw=1.0, label="Share price"))
        # The target holds from each publication to the next, the last to the report date.
        ax.plot(
            [*xs, float(mdates.date2num(day))],
            [*targets, targets[-1]],
            drawstyle="steps-post",
            color=GOLD,
            lw=1.4,
            zorder=3,
        )
        handles.append(Line2D([], [], color=GOLD, lw=1.4, label=f"Price target ({cur})"))
        seen: dict[str, None] = {}
        for i, (point, x) in enumerate(zip(points, xs, strict=True)):
            previous = points[i - 1] if i else None
            changed = previous is None or previous.rating.casefold() != point.rating.casefold()
            # A rating (first or changed) is a dot in its colour, a target change alone a
            # small gold diamond; this report's own point is a ring in its rating's colour.
            rated = changed or point.current
            colour = rating_colour(point.rating) if rated else GOLD
            ax.plot(
                [x],
                [point.target or 0.0],
                "o" if rated else "D",
                color=colour,
                ms=6 if rated else 4,
                mfc="white" if point.current else colour,
                mew=1.4,
                zorder=4,
            )
            if rated:
                seen.setdefault(point.rating, None)
        for rating in seen:
            handles.append(
                Line2D([], [], marker="o", ls="", color=rating_colour(rating), label=rating)
            )
        handles.append(
            Line2D([], [], marker="o", ls="", mfc="white", color=CURRENT, label="This report")
        )
        ax.set_xlim(left, right)
        ax.set_ylim(0, top * 1.45)
        ax.set_ylabel(f"{cur} per share")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
        if len(points) == 1:
            ax.text(
                0.02,
                0.95,
                "First publication: no earlier rating or price target",
                transform=ax.transAxes,
                ha="left",
                va="top",
                fontsize=LABEL_SIZE,
                color="#555555",
                bbox=LABEL_BOX,
            )
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=len(handles) if len(handles) <= 6 else (len(handles) + 1) // 2,
            columnspacing=1.0,
            handlelength=1.6,
            handletextpad=0.4,
        )
        _draw_labels(fig, ax, points, cur)
    return fig
