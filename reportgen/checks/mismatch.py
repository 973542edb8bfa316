"""What a check reports (a Mismatch) and the small number helpers every check shares."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Mismatch:
    """A published value outside the rounding its source printed it with (``computed`` is
    NaN where the value means nothing, e.g. growth from a loss: shown as NM)."""

    path: str
    line: int | None
    row: str
    column: str
    published: float
    computed: float
    tolerance: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        computed = "NM" if math.isnan(self.computed) else f"{self.computed:.6g}"
        return (
            f"{where}: {self.row}: column '{self.column}': published {self.published:g}, "
            f"computed {computed} ({self.tolerance})"
        )


def int_line(value: object) -> int | None:
    """A row's `_line` as an int (None when missing)."""
    number = as_number(value)
    return None if number is None else int(number)


def as_number(value: object) -> float | None:
    """A finite float, or None for empty cells and non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def outside(published: float, computed: float, tol: float) -> bool:
    """True when published and computed differ by more than ``tol`` (float noise allowed)."""
    return abs(published - computed) > tol + 1e-9
