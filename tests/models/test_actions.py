"""Rating and target actions, and the change in percent the estimate-changes table prints."""

from __future__ import annotations

import math

import pytest

from reportgen.models.actions import TARGET_TOLERANCE, pct_change, rating_action, target_action

ORDER = ("Overweight", "Equal-weight", "Underweight")  # best first, as house.yaml lists them
#: Percent changes are compared to the exact ratio within this (floating point only).
TOL = 1e-9


@pytest.mark.parametrize(
    ("previous", "new", "action"),
    [
        (None, "Overweight", "Initiate"),
        ("Overweight", "Overweight", "Maintain"),
        ("equal-weight", "Equal-weight", "Maintain"),
        ("Equal-weight", "Overweight", "Upgrade"),
        ("Underweight", "Overweight", "Upgrade"),
        ("Overweight", "Underweight", "Downgrade"),
        ("Equal-weight", "Underweight", "Downgrade"),
    ],
)
def test_rating_action(previous: str | None, new: str, action: str) -> None:
    assert rating_action(previous, new, ORDER) == action


def test_rating_outside_the_house_scale_is_named() -> None:
    with pytest.raises(ValueError, match="'Buy' is not one of the house's stock ratings"):
        rating_action("Buy", "Overweight", ORDER)


@pytest.mark.parametrize(
    ("previous", "new", "action"),
    [
        (None, 758.0, "Initiate"),
        (float("nan"), 758.0, "Initiate"),
        (758.0, 758.0, "Maintain"),
        (758.0, 758.0 + TARGET_TOLERANCE / 2, "Maintain"),  # prints the same at 2 dp
        (758.0, 758.01, "Raise"),
        (758.0, 900.0, "Raise"),
        (900.0, 758.0, "Lower"),
    ],
)
def test_target_action(previous: float | None, new: float, action: str) -> None:
    assert target_action(previous, new) == action


def test_target_dropped_has_no_action() -> None:
    with pytest.raises(ValueError, match="no.*now|none now"):
        target_action(758.0, None)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (758.0, 800.0, (800.0 / 758.0 - 1) * 100),
        (100.0, 90.0, -10.0),
        (100.0, 0.0, -100.0),
        (100.0, 100.0, 0.0),
    ],
)
def test_pct_change(old: float, new: float, expected: float) -> None:
    got = pct_change(old, new)
    assert got is not None and math.isclose(got, expected, abs_tol=TOL)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, 1.0),  # nothing before
        (1.0, None),
        (float("nan"), 1.0),
        (0.0, 5.0),  # from zero
        (-50.0, 20.0),  # from a loss
        (-50.0, -20.0),  # a smaller loss: the sign makes a percentage misleading
        (50.0, -20.0),  # into a loss
    ],
)
def test_pct_change_not_meaningful(old: float | None, new: float | None) -> None:
    assert pct_change(old, new) is None
