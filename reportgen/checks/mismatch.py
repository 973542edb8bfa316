"""What a check reports (a Mismatch) and the small number helpers every check shares."""

from __future__ import annotations

import math
from dataclasses import dataclass

from reportgen.data.locate import Place


@dataclass(frozen=True)
class Mismatch:
    """A published value outside the rounding its source printed it with (``computed`` is
    NaN where the value means nothing, e.g. growth from a loss: shown as NM).

    A value read from the analyst's workbook has ``path`` the workbook, no ``line``, its
    ``cell`` (sheet 'IS'!D14) and ``table_file``, the table's CSV name (data/locate.py)."""

    path: str
    line: int | None
    row: str
    column: str
    published: float
    computed: float
    tolerance: str
    cell: str | None = None
    table_file: str | None = None

    @classmethod
    def at(
        cls, place: Place, row: str, column: str, published: float, computed: float, tolerance: str
    ) -> Mismatch:
        """A mismatch of the value at ``place`` (data/locate.value_place); one of a CSV file
        is the same Mismatch as before workbooks (no cell, no table_file)."""
        return cls(
            place.file,
            place.line,
            row,
            column,
            published,
            computed,
            tolerance,
            place.where(),
            place.table_file if place.in_workbook else None,
        )

    @property
    def located(self) -> str:
        """The file with its line, or the workbook with its cell."""
        if self.cell:
            return f"{self.path}: {self.cell}"
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        where = self.located
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
