"""Number formatting used by tables, figures and templates alike (one set of rules).

Every formatter rounds half up on the decimal digits of the value (``rounded``), and, while a
``printed_numbers()`` recorder is active in the current context, records what it printed
(``Printed``) so that one quantity printed at two precisions in a report can be found
(``reportgen/checks/precision.py``).
"""

from __future__ import annotations

import contextvars
import math
import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from reportgen.data.provenance import origin_of, where_now, with_origin

DASH = "–"  # shown for a missing value
NM = "NM"  # shown for a ratio that means nothing (a multiple on a loss or negative equity)


class NotMeaningful(float):
    """A ratio that means nothing (P/E on a loss, P/B on negative equity, EV/EBITDA on a
    negative EBITDA): a NaN that formatters print as NM, not a dash or a negative multiple."""

    def __new__(cls) -> NotMeaningful:
        return super().__new__(cls, "nan")

    def __reduce__(self) -> tuple[type[NotMeaningful], tuple[()]]:
        return (NotMeaningful, ())

    def __repr__(self) -> str:
        return "NM"


NOT_MEANINGFUL = NotMeaningful()


def is_nm(value: object) -> bool:
    """Whether a value is the not-meaningful marker (compared by type: it survives pickling)."""
    return isinstance(value, NotMeaningful)


#: Largest magnitude formatted: beyond it a float no longer holds every whole number
#: (2**53 is about 9.0e15), so the digits shown would be noise.
MAX_FORMATTED = 1e15
#: Most decimal places a value is shown with.
MAX_DP = 10
#: Significant digits a float is read to before rounding (as a spreadsheet shows it): binary
#: noise past them is dropped, so a computed 0.175 * 3 (0.5249999999999999) is 0.525.
SIGNIFICANT = 15


@dataclass(frozen=True)
class Printed:
    """One number as a formatter printed it.

    ``value`` is the quantity before rounding, in the units printed (percent for ``pct`` and
    ``frac_pct`` alike, so a cost of equity cited either way is one quantity); ``kind`` is the
    family of formatter (number, money, pct, multiple); ``unit`` tells quantities of one kind
    apart (the currency sign of money).
    """

    value: float
    kind: str
    dp: int
    text: str
    unit: str = ""
    #: Where it was printed and the data it came from (data/provenance.py), for the report's
    #: provenance file; not part of the quantity.
    where: str = field(default="", compare=False)
    origin: Any = field(default=None, compare=False)


#: The lists every formatter appends to in this context (one per active recorder). A context
#: variable, so threads (the preview server's) and worker processes each record their own.
_RECORDERS: contextvars.ContextVar[tuple[list[Printed], ...]] = contextvars.ContextVar(
    "printed_numbers", default=()
)


@contextmanager
def printed_numbers() -> Iterator[list[Printed]]:
    """Record every number formatted in this context while the block runs (nested recorders
    each receive every number)."""
    printed: list[Printed] = []
    token = _RECORDERS.set((*_RECORDERS.get(), printed))
    try:
        yield printed
    finally:
        _RECORDERS.reset(token)


def _record(value: float, kind: str, dp: int, text: str, unit: str = "") -> str:
    """``text``, recorded by each active recorder."""
    recorders = _RECORDERS.get()
    if recorders:
        item = Printed(float(value), kind, dp, text, unit, where_now(), origin_of(value))
        for printed in recorders:
            printed.append(item)
    return text


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


def as_decimal(value: float) -> Decimal:
    """The decimal a float stands for, read to SIGNIFICANT digits (0.175 * 3 -> 0.525)."""
    return Decimal(format(value, f".{SIGNIFICANT}g"))


def rounded(value: float, dp: int) -> float:
    """Round half up on the decimal digits as written (2.175 -> 2.18), as analysts and Excel do.

    Python's round() works on the binary value and rounds half to even, so 2.175 would print
    as 2.17 while the source and any spreadsheet print 2.18; and a computed value carries
    binary noise (0.175 * 3 is 0.5249999999999999), so it is read to SIGNIFICANT digits first,
    as a spreadsheet does, and prints 0.53.
    """
    value = _checked(value, dp)
    quantum = Decimal(1).scaleb(-dp)
    result = float(as_decimal(value).quantize(quantum, rounding=ROUND_HALF_UP))
    return result + 0.0  # -0.0 + 0.0 is 0.0: a value that rounds to zero shows no sign


_METHODS = {"common": ROUND_HALF_UP, "ceil": ROUND_CEILING, "floor": ROUND_FLOOR}


def round_filter(value: float, precision: int = 0, method: str = "common") -> float:
    """Jinja's ``round`` filter on the decimal digits: ``common`` rounds half up as every
    formatter does (Jinja's own uses Python's round(), so 2.175 | round(2) gave 2.17)."""
    if method not in _METHODS:
        raise ValueError("round's method must be common, ceil or floor")
    value = _checked(value, precision)
    quantum = Decimal(1).scaleb(-precision)
    return float(as_decimal(value).quantize(quantum, rounding=_METHODS[method])) + 0.0


def plain(value: float) -> str:
    """A number shown without a format filter: its decimal digits as written, free of binary
    noise (0.1 + 0.2 shows 0.3, not 0.30000000000000004), never in exponent form; recorded
    with the decimals it shows. Whole numbers keep Python's look (2 for an int, 2.0 for a float).
    """
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return str(value)
    digits = format(as_decimal(value), "f")
    if "." not in digits:
        digits += ".0"
    return _record(value, "number", len(digits.partition(".")[2]), digits)


# --- each quantity's precision, decided once --------------------------------------------------


@dataclass(frozen=True)
class Precision:
    """How one quantity prints in every report: the formatter family and decimal places."""

    kind: str  # number, money, pct (pct and frac_pct) or multiple
    dp: int
    what: str  # what the quantity is, for messages and the README


#: Every declared quantity's precision: the one place a quantity's decimals are decided. A
#: formatter given a quantity's name (``usd(v, "llm_price")``) or a ``Quantity`` value prints
#: it with these decimals, and refuses other ones.
PRECISIONS: dict[str, Precision] = {}


def declare_precision(name: str, kind: str, dp: int, what: str) -> Precision:
    """Declare how the quantity ``name`` prints; a second declaration is a programming error."""
    if name in PRECISIONS:
        raise ValueError(f"quantity {name!r} declared twice")
    if kind not in ("number", "money", "pct", "multiple") or not 0 <= dp <= MAX_DP:
        raise ValueError(f"quantity {name!r}: bad kind {kind!r} or decimals {dp!r}")
    PRECISIONS[name] = Precision(kind, dp, what)
    return PRECISIONS[name]


declare_precision("llm_price", "money", 2, "an LLM API price, US$ per 1M tokens")
declare_precision("io_ratio", "multiple", 1, "an output-to-input price ratio")
declare_precision("target_price", "money", 2, "a 12-month price target")
declare_precision("share_price", "money", 2, "a share price")
declare_precision("cost_of_equity", "pct", 1, "a cost of equity")
declare_precision(
    "statement_mn", "number", 1, "a financial statement line, mn (reporting currency)"
)


class Quantity(float):
    """A float that knows which declared quantity it is, so formatters print it with that
    quantity's decimals wherever it is cited. Arithmetic on it gives a plain float: a value
    derived from a quantity is a new quantity."""

    __slots__ = ("quantity", "origin")
    quantity: str
    origin: Any  # the data cell the value came from (data/provenance.py), if known

    def __new__(cls, value: float, quantity: str) -> Quantity:
        if quantity not in PRECISIONS:
            raise ValueError(f"unknown quantity {quantity!r}; declare it in formatting.py")
        self = super().__new__(cls, value)
        self.quantity = quantity
        self.origin = origin_of(value)
        return self

    def __reduce__(self) -> tuple[type[Quantity], tuple[float, str]]:
        return (Quantity, (with_origin(float(self), self), self.quantity))


def quantity(value: float | None, name: str) -> Quantity | None:
    """``value`` tagged as the declared quantity ``name`` (a missing value stays missing)."""
    if _missing(value):
        return None
    return Quantity(value, name)  # type: ignore[arg-type]


Places = int | str | None


def _places(value: object, dp: Places, kind: str, default: int) -> int:
    """The decimals to print ``value`` with: its declared quantity's (named by ``dp`` or
    carried by a Quantity), else ``dp``, else the formatter's default."""
    name = dp if isinstance(dp, str) else value.quantity if isinstance(value, Quantity) else None
    if name is None:
        return default if dp is None else dp  # type: ignore[return-value]
    declared = PRECISIONS.get(name)
    if declared is None:
        raise ValueError(f"unknown quantity {name!r} (declared: {', '.join(sorted(PRECISIONS))})")
    if declared.kind != kind:
        raise ValueError(f"{name} ({declared.what}) prints as {declared.kind}, not {kind}")
    if isinstance(dp, int) and not isinstance(dp, bool) and dp != declared.dp:
        raise ValueError(
            f"{name} ({declared.what}) prints with {declared.dp} decimals everywhere "
            f"(declared once in formatting.py), not {dp}: leave the decimals out"
        )
    return declared.dp


# --- the formatters ----------------------------------------------------------------------------


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, dp: Places = None, parens: bool = False) -> str:
    """Thousands separators, fixed decimals (one by default); negatives in parentheses when
    ``parens``."""
    if is_nm(value):
        return NM
    if _missing(value):
        return DASH
    dp = _places(value, dp, "number", 1)
    shown = rounded(value, dp)  # type: ignore[arg-type]
    text = f"{abs(shown) if parens else shown:,.{dp}f}"
    if parens and shown < 0 and text.strip("0.,") != "":
        text = f"({text})"
    return _record(value, "number", dp, text)  # type: ignore[arg-type]


def money(value: float | None, symbol: str = "US$", dp: Places = None) -> str:
    """A price with its currency sign (two decimals by default): US$1.74, Rmb1,588, HK$600."""
    if is_nm(value):
        return NM
    if _missing(value):
        return DASH
    dp = _places(value, dp, "money", 2)
    shown = rounded(value, dp)  # type: ignore[arg-type]
    sign = "-" if shown < 0 else ""
    text = f"{sign}{symbol}{abs(shown):,.{dp}f}"
    return _record(value, "money", dp, text, symbol)  # type: ignore[arg-type]


def usd(value: float | None, dp: Places = None) -> str:
    """US dollars with the house prefix."""
    return money(value, "US$", dp)


def pct(value: float | None, dp: Places = None, signed: bool = False, parens: bool = False) -> str:
    """A value already in percent units: 41.25 -> '41.3%' (one decimal by house rule);
    negatives in parentheses when ``parens`` (financial tables: -6.3 -> '(6.3%)')."""
    if is_nm(value):
        return NM
    if _missing(value):
        return DASH
    dp = _places(value, dp, "pct", 1)
    shown = rounded(value, dp)  # type: ignore[arg-type]
    if parens and shown < 0:
        text = f"({-shown:.{dp}f}%)"
    else:
        text = f"{shown:+.{dp}f}%" if signed else f"{shown:.{dp}f}%"
    return _record(value, "pct", dp, text, "%")  # type: ignore[arg-type]


def frac_pct(
    value: float | None, dp: Places = None, signed: bool = False, parens: bool = False
) -> str:
    """A fraction shown as a percentage: 0.4125 -> '41.3%'."""
    if is_nm(value):
        return NM
    if _missing(value):
        return DASH
    dp = _places(value, dp, "pct", 1)
    return pct(with_origin(_checked(value, dp) * 100.0, value), dp, signed, parens)


def multiple(value: float | None, dp: Places = None) -> str:
    """A ratio as a multiple (one decimal by default): 2.0 -> '2.0x'; NM for a ratio that
    means nothing, including a negative multiple (a loss or negative book or EBITDA)."""
    if is_nm(value) or (not _missing(value) and value < 0):  # type: ignore[operator]
        return NM
    if _missing(value):
        return DASH
    dp = _places(value, dp, "multiple", 1)
    text = f"{rounded(value, dp):.{dp}f}x"  # type: ignore[arg-type]
    return _record(value, "multiple", dp, text, "x")  # type: ignore[arg-type]


def count_word(n: int) -> str:
    """Small counts in words for prose (house style spells out one to ten)."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"expected a whole number to spell out, found {n!r}")
    n = int(n)
    if abs(n) >= MAX_FORMATTED:
        raise ValueError(f"a {len(str(abs(n)))}-digit number is too large to format")
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return words[n] if 0 <= n < len(words) else f"{n:,}"
