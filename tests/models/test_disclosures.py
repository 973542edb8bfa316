"""Rating and target points over three years, and the rating distribution (pure functions)."""

from __future__ import annotations

import datetime as dt

import pytest

from reportgen.models.disclosures import (
    RatingPoint,
    current_ratings,
    has_earlier,
    rating_distribution,
    rating_points,
    same_target,
    years_before,
)
from reportgen.publish.model import CoveredCompany, History, Release

ORDER = ("Overweight", "Equal-weight", "Underweight")
DAY = dt.date(2026, 4, 26)


def release(rid: str, *companies: tuple[str, str, float | None]) -> Release:
    """A release dated by its id, covering (slug, rating, target) companies."""
    date = rid[:10]
    return Release(
        release_id=rid,
        slug="r",
        report_type="company-initiation",
        title="t",
        report_date=date,
        published_at=f"{date}T09:00:00Z",
        user="u",
        analysts=("A",),
        reportgen_version="0",
        git_commit=None,
        inputs_digest=rid,
        pdf_sha256="p",
        html_sha256="h",
        manifest_sha256="m",
        sample=True,
        companies=tuple(
            CoveredCompany(slug, slug, "T", rating, 1.0, date, target, "Rmb")
            for slug, rating, target in companies
        ),
    )


def now(rating: str = "Equal-weight", target: float | None = 758.0) -> RatingPoint:
    return RatingPoint(DAY, rating, target, "Rmb")


def test_points_oldest_first_with_the_report_last() -> None:
    history = History(
        (
            release("2025-11-14-01", ("metax", "Underweight", 600.0)),
            release(
                "2025-06-02-01", ("metax", "Overweight", 640.0), ("cambricon", "Overweight", 1.0)
            ),
        )
    )
    points = rating_points(history, "metax", DAY, now())
    assert [(p.rating, p.target) for p in points] == [
        ("Overweight", 640.0),
        ("Underweight", 600.0),
        ("Equal-weight", 758.0),
    ]
    assert [p.current for p in points] == [False, False, True]
    assert has_earlier(points)


def test_window_is_three_years_and_ends_at_the_report_date() -> None:
    history = History(
        (
            release("2023-04-25-01", ("metax", "Overweight", 1.0)),  # a day too old
            release("2023-04-26-01", ("metax", "Overweight", 2.0)),  # exactly three years
            release("2026-05-01-01", ("metax", "Underweight", 3.0)),  # after the report
        )
    )
    assert [p.target for p in rating_points(history, "metax", DAY)] == [2.0]
    assert years_before(dt.date(2028, 2, 29), 3) == dt.date(2025, 2, 28)


def test_the_report_collapses_into_its_own_release() -> None:
    history = History((release("2026-04-26-01", ("metax", "equal-weight", 758.004)),))
    points = rating_points(history, "metax", DAY, now())
    assert len(points) == 1 and points[0].current
    assert not has_earlier(points)
    # a same-day release with another target stays a point of its own
    history = History((release("2026-04-26-01", ("metax", "Equal-weight", 700.0)),))
    assert has_earlier(rating_points(history, "metax", DAY, now()))


def test_repeated_view_on_one_day_is_one_point() -> None:
    history = History(
        (
            release("2026-01-05-01", ("metax", "Overweight", 640.0)),
            release("2026-01-05-02", ("metax", "Overweight", 640.0)),
        )
    )
    assert len(rating_points(history, "metax", DAY)) == 1


def test_current_ratings_take_the_latest_release() -> None:
    history = History(
        (
            release("2025-06-02-01", ("metax", "Overweight", 1.0), ("iluvatar", "Overweight", 1.0)),
            release("2025-11-14-01", ("metax", "Underweight", 1.0)),
            release("2026-05-01-01", ("metax", "Equal-weight", 1.0)),  # after the report date
        )
    )
    assert current_ratings(history, DAY) == {"metax": "Underweight", "iluvatar": "Overweight"}


def test_distribution_shares() -> None:
    shares, total = rating_distribution(
        ["Overweight", "Underweight", "overweight", "Not rated"], ORDER
    )
    assert total == 3
    assert [(s.rating, s.count) for s in shares] == [
        ("Overweight", 2),
        ("Equal-weight", 0),
        ("Underweight", 1),
    ]
    assert [s.share for s in shares] == pytest.approx([2 / 3, 0.0, 1 / 3])
    assert rating_distribution([], ORDER) == ((), 0)


def test_same_target_within_half_a_cent() -> None:
    assert same_target(758.0, 758.004)
    assert not same_target(758.0, 758.01)
    assert same_target(None, None) and not same_target(None, 1.0)
