"""Number formatting used by tables, figures and templates alike (one set of rules)."""

from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal

DASH = "–"  # shown for a missing value
#: Largest magnitude formatted: beyond it a float no longer holds every whole number
#: (2**53 is about 9.0e15), so the digits shown would be noise.
MAX_FORMATTED = 1e15
#: Most decimal places a value is shown with.
MAX_DP = 10


def _checked(value: object, dp: object) -> float:
    """``value`` as a float fit to format with ``dp`` decimals, or a ValueError saying why."""
    if isinstance(dp, bool) or not isinstance(dp, int) or not 0 <= dp <= MAX_DP:
        raise ValueError(f"decimal places must be a whole number from 0 to {MAX_DP}, not {dp!r}")
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise ValueError(f"expected a number to format, found {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isinf(number) or abs(number) >= MAX_FORMATTED:
        shown = f"{value:.3g}" if isinstance(value, float) else f"{float(number):.3g}"
        if isinstance(value, int) and math.isinf(number):
            shown = f"a {len(str(abs(value)))}-digit number"
        raise ValueError(
            f"{shown} is too large to format (at most {MAX_FORMATTED:,.0f} in magnitude)"
        )
    return number


def rounded(value: float, dp: int) -> float:
    """Round half up on the decimal digits as written (2.175 -> 2.18), as analysts and Excel do.

    Python's round() works on the binary value and rounds half to even, so 2.175 would print
    as 2.17 while the source and any spreadsheet print 2.18.
    """
    value = _checked(value, dp)
    quantum = Decimal(1).scaleb(-dp)
    result = float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
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
    return pct(None if _missing(value) else _checked(value, dp) * 100.0, dp, signed)


def multiple(value: float | None, dp: int = 1) -> str:
    """A ratio as a multiple: 2.0 -> '2.0x'."""
    if _missing(value):
        return DASH
    return f"{rounded(value, dp):.{dp}f}x"  # type: ignore[arg-type]


def count_word(n: int) -> str:
    """Small counts in words for prose (house style spells out one to ten)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"expected a whole number to spell out, found {n!r}")
    n = int(n)
    if abs(n) >= MAX_FORMATTED:
        raise ValueError(f"a {len(str(abs(n)))}-digit number is too large to format")
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else f"{n:,}"
