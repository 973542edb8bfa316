"""Rating and price-target actions and estimate changes between two publications.

What the first page marks (Initiate, Maintain, Upgrade, Downgrade; Raise, Lower) and what the
estimate-changes table prints (the change in percent, or NM), from the previous release's
values and this build's. Pure functions: no file, no registry.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

INITIATE = "Initiate"
MAINTAIN = "Maintain"
UPGRADE = "Upgrade"
DOWNGRADE = "Downgrade"
RAISE = "Raise"
LOWER = "Lower"
#: Targets print at two decimals (the rating box, tables and prose): closer than half a cent
#: is the same target.
TARGET_TOLERANCE = 0.005


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def rating_action(previous: str | None, new: str, order: Sequence[str]) -> str:
    """'Initiate' when nothing was published before, else 'Maintain', 'Upgrade' or 'Downgrade'.

    ``order`` lists the house's stock ratings best first (house.yaml ratings.stock); ratings
    compare without regard to case. A rating outside ``order`` raises ValueError naming it.
    """
    if previous is None:
        return INITIATE
    if previous.casefold() == new.casefold():
        return MAINTAIN
    rank = {r.casefold(): i for i, r in enumerate(order)}
    for rating in (previous, new):
        if rating.casefold() not in rank:
            raise ValueError(
                f"rating '{rating}' is not one of the house's stock ratings: {', '.join(order)}"
            )
    return UPGRADE if rank[new.casefold()] < rank[previous.casefold()] else DOWNGRADE


def target_action(previous: float | None, new: float | None) -> str:
    """'Initiate' when no target was published before, else 'Maintain', 'Raise' or 'Lower'.

    Targets within TARGET_TOLERANCE (half a cent: they print at two decimals) are the same.
    A previous target but none now raises ValueError (there is no action to print).
    """
    if _missing(previous):
        return INITIATE
    if _missing(new):
        raise ValueError("a price target was published before but there is none now")
    assert previous is not None and new is not None
    if abs(new - previous) < TARGET_TOLERANCE:
        return MAINTAIN
    return RAISE if new > previous else LOWER


def pct_change(old: float | None, new: float | None) -> float | None:
    """The change from ``old`` to ``new`` in percent (5.0 = +5%), or None where analysts
    print NM: a missing or zero base, a loss as the base (from a loss), or a profit turning
    into a loss (the sign flips, so the percentage says nothing)."""
    if _missing(old) or _missing(new):
        return None
    assert old is not None and new is not None
    if old <= 0 or new < 0:
        return None
    return (new / old - 1.0) * 100.0
