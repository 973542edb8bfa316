"""One quantity printed at two precisions in one report (8.4% on one page, 8.36% on another).

A pure function over the numbers a report's rendering printed (``formatting.printed_numbers``):
the same value of the same kind and unit printed with different decimal places is a conflict.
Zero is skipped (a dash-like 0.0 and 0.00 say nothing), and so are whole-number counts (a
``number`` whose value is whole, e.g. a year or a count of models), which coincide by chance.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal

from reportgen.formatting import Printed, as_decimal


@dataclass(frozen=True)
class PrecisionConflict:
    """One quantity printed with different decimal places: what was printed, and why it matters."""

    value: float
    kind: str
    unit: str
    dps: tuple[int, ...]  # the decimal places used, ascending
    texts: tuple[str, ...]  # each distinct text printed, in the order first printed
    message: str


def _short(value: Decimal) -> str:
    """A value for a message: six significant digits, or its whole part if longer."""
    return format(Context(prec=max(6, value.adjusted() + 1)).plus(value).normalize(), ",f")


def _skipped(item: Printed, value: Decimal) -> bool:
    """Zero, and whole-number counts (a ``number`` with a whole value)."""
    return value == 0 or (item.kind == "number" and value == value.to_integral_value())


def precision_conflicts(printed: Iterable[Printed]) -> list[PrecisionConflict]:
    """Every quantity (same value read to formatting.SIGNIFICANT digits, same kind and unit)
    printed with more than one number of decimal places, in the order first printed."""
    groups: dict[tuple[Decimal, str, str], list[Printed]] = {}
    for item in printed:
        value = as_decimal(item.value).normalize()
        if _skipped(item, value):
            continue
        groups.setdefault((value, item.kind, item.unit), []).append(item)
    conflicts = []
    for (value, kind, unit), items in groups.items():
        dps = tuple(sorted({i.dp for i in items}))
        if len(dps) < 2:
            continue
        texts = tuple(dict.fromkeys(i.text for i in items))
        shown = " and ".join(f'"{t}"' for t in texts)
        places = " and ".join(str(d) for d in dps)
        message = (
            f"one quantity ({_short(value)}) printed as {shown} ({places} decimals): "
            "print it at one precision throughout the report"
        )
        conflicts.append(PrecisionConflict(float(value), kind, unit, dps, texts, message))
    return conflicts
