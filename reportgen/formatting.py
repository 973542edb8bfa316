"""Number formatting used by tables, figures and templates alike (one set of rules)."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

DASH = "–"  # shown for a missing value


def rounded(value: float, dp: int) -> float:
    """Round half up on the decimal digits as written (2.175 -> 2.18), as analysts and Excel do.

    Python's round() works on the binary value and rounds half to even, so 2.175 would print
    as 2.17 while the source and any spreadsheet print 2.18.
    """
    quantum = Decimal(1).scaleb(-dp)
    result = float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))
    return result + 0.0  # -0.0 + 0.0 is 0.0: a value that rounds to zero shows no sign


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, dp: int = 1, parens: bool = False) -> str:
    """Thousands separators, fixed decimals; negatives in parentheses when ``parens``."""
    if _missing(value):
        return DASH
    value = rounded(value, dp)  # type: ignore[arg-type]
    text = f"{abs(value) if parens else value:,.{dp}f}"
    if parens and value < 0 and text.strip("0.,") != "":  # type: ignore[operator]
        return f"({text})"
    return text


def money(value: float | None, symbol: str = "US$", dp: int = 2) -> str:
    """A price with its currency sign: US$1.74, Rmb1,588, HK$600."""
    if _missing(value):
        return DASH
    shown = rounded(value, dp)  # type: ignore[arg-type]
    sign = "-" if shown < 0 else ""
    return f"{sign}{symbol}{abs(shown):,.{dp}f}"


def usd(value: float | None, dp: int = 2) -> str:
    """US dollars with the house prefix."""
    return money(value, "US$", dp)


def pct(value: float | None, dp: int = 1, signed: bool = False) -> str:
    """A value already in percent units: 41.25 -> '41.3%' (one decimal by house rule)."""
    if _missing(value):
        return DASH
    value = rounded(value, dp)  # type: ignore[arg-type]
    return f"{value:+.{dp}f}%" if signed else f"{value:.{dp}f}%"


def frac_pct(value: float | None, dp: int = 1, signed: bool = False) -> str:
    """A fraction shown as a percentage: 0.4125 -> '41.3%'."""
    return pct(None if _missing(value) else value * 100.0, dp, signed)  # type: ignore[operator]


def multiple(value: float | None, dp: int = 1) -> str:
    """A ratio as a multiple: 2.0 -> '2.0x'."""
    if _missing(value):
        return DASH
    return f"{rounded(value, dp):.{dp}f}x"  # type: ignore[arg-type]


def count_word(n: int) -> str:
    """Small counts in words for prose (house style spells out one to ten)."""
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else f"{n:,}"
