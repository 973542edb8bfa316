"""Disclosure arithmetic over the release history: rating and target points, rating shares.

What the rating-history exhibit draws (every published rating and target of one company over
the three years before a report's date, this report's own last) and what the disclosures'
rating distribution prints (each stock rating's share of the companies with a current
published rating). Pure functions over plain values: no file, no registry.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from reportgen.publish.model import History, Release, sort_key

#: How far back the rating and target history reaches (FINRA rule 2241's three years).
HISTORY_YEARS = 3
#: Targets print at two decimals: closer than half a cent is the same target.
TARGET_TOLERANCE = 0.005


@dataclass(frozen=True)
class RatingPoint:
    """One published (or this report's) rating and price target of a company on a date."""

    date: dt.date
    rating: str
    target: float | None
    currency: str
    #: The release that published it; None for the report being built (not yet published).
    release_id: str | None = None

    @property
    def current(self) -> bool:
        """Whether this is the report's own rating and target (the last point)."""
        return self.release_id is None


@dataclass(frozen=True)
class RatingShare:
    """One stock rating's count and share (a fraction) of the rated coverage universe."""

    rating: str
    count: int
    share: float


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def same_target(a: float | None, b: float | None) -> bool:
    """Two targets print alike (both missing, or within half a cent)."""
    a_missing = a is None or math.isnan(a)
    b_missing = b is None or math.isnan(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    assert a is not None and b is not None
    return abs(a - b) < TARGET_TOLERANCE


def same_view(a: RatingPoint, b: RatingPoint) -> bool:
    """Same date, same rating (case aside) and same target: one point on the chart."""
    return (
        a.date == b.date
        and a.rating.casefold() == b.rating.casefold()
        and same_target(a.target, b.target)
    )


def _released(history: History, as_of: dt.date) -> list[Release]:
    """Releases dated on or before ``as_of``, in registry order."""
    return sorted(
        (r for r in history.releases if dt.date.fromisoformat(r.report_date) <= as_of),
        key=sort_key,
    )


def rating_points(
    history: History,
    company: str,
    report_date: dt.date,
    current: RatingPoint | None = None,
    years: int = HISTORY_YEARS,
) -> tuple[RatingPoint, ...]:
    """Every rating and target published for ``company`` over ``years`` before the report
    date, oldest first, then ``current`` (the report's own, release_id None) as the last point.

    A point repeating the one before it (two releases of one day with the same view, e.g. a
    company and an industry initiation) is kept once; ``current`` collapses into a release of
    the same date and the same values (it is that release, built again).
    """
    start = years_before(report_date, years)
    points: list[RatingPoint] = []
    for release in _released(history, report_date):
        day = dt.date.fromisoformat(release.report_date)
        if day < start:
            continue
        for covered in release.companies:
            if covered.company != company:
                continue
            point = RatingPoint(
                day, covered.rating, covered.price_target, covered.currency, release.release_id
            )
            if not points or not same_view(points[-1], point):
                points.append(point)
    if current is not None:
        if points and same_view(points[-1], current):
            points.pop()
        points.append(current)
    return tuple(points)


def has_earlier(points: Sequence[RatingPoint]) -> bool:
    """Whether any point was published before the report (a chart says more than the
    first page's rating box only then)."""
    return any(not p.current for p in points)


def current_ratings(history: History, as_of: dt.date) -> dict[str, str]:
    """Each company's rating in its latest release dated on or before ``as_of``."""
    latest: dict[str, str] = {}
    for release in _released(history, as_of):  # oldest first: later releases overwrite
        for covered in release.companies:
            latest[covered.company] = covered.rating
    return latest


def rating_distribution(
    ratings: Sequence[str], order: Sequence[str]
) -> tuple[tuple[RatingShare, ...], int]:
    """(one share per rating in ``order``, the number of companies rated) from the current
    ratings; ratings outside ``order`` (e.g. not rated) are not part of the universe.
    Empty shares and 0 when no company holds one of the ratings."""
    counts = {r.casefold(): 0 for r in order}
    for rating in ratings:
        key = rating.casefold()
        if key in counts:
            counts[key] += 1
    total = sum(counts.values())
    if total == 0:
        return (), 0
    return tuple(
        RatingShare(r, counts[r.casefold()], counts[r.casefold()] / total) for r in order
    ), total
