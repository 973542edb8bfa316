"""LLM API pricing arithmetic: blended prices, output-to-input ratios, spreads."""

from __future__ import annotations

from collections.abc import Iterable
from statistics import median

#: The source's blended price weights input 3:1 against output.
BLEND_INPUT_WEIGHT = 3.0
BLEND_OUTPUT_WEIGHT = 1.0


def blended_3_1(input_usd: float, output_usd: float) -> float:
    """Blended price per 1M tokens at a 3:1 input:output token mix: (3 x in + out) / 4."""
    total = BLEND_INPUT_WEIGHT + BLEND_OUTPUT_WEIGHT
    return (BLEND_INPUT_WEIGHT * input_usd + BLEND_OUTPUT_WEIGHT * output_usd) / total


def io_ratio(input_usd: float, output_usd: float) -> float:
    """Output price over input price (the source labels it "I/O ratio")."""
    if input_usd <= 0:
        raise ValueError("input price must be positive to form an output/input ratio")
    return output_usd / input_usd


def discounted(price: float, discount_pct: float) -> float:
    """A list price after a percentage discount."""
    return price * (1.0 - discount_pct / 100.0)


def price_ratio(numerator: float, denominator: float) -> float:
    """How many times one price is another (e.g. overseas over domestic)."""
    if denominator <= 0:
        raise ValueError("denominator price must be positive")
    return numerator / denominator


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean of a non-empty sequence."""
    items = list(values)
    if not items:
        raise ValueError("mean of no values")
    return sum(items) / len(items)


def middle(values: Iterable[float]) -> float:
    """Median of a non-empty sequence."""
    items = list(values)
    if not items:
        raise ValueError("median of no values")
    return float(median(items))


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate between two values ``years`` apart (as a fraction)."""
    if start <= 0 or years <= 0:
        raise ValueError("CAGR needs a positive start value and a positive span")
    return (end / start) ** (1.0 / years) - 1.0


def grow(value: float, rate: float, years: float) -> float:
    """A value compounded at ``rate`` (fraction) for ``years``."""
    return value * (1.0 + rate) ** years


def within_rounding(published: float, computed: float, decimals: int, slack: float = 0.0) -> bool:
    """True when ``published`` is ``computed`` rounded to ``decimals`` places (plus slack)."""
    return abs(published - computed) <= 0.5 * 10.0 ** (-decimals) + slack + 1e-12


def growth(new: float, old: float) -> float:
    """Relative change from ``old`` to ``new`` as a fraction (0.6 = +60%)."""
    if old == 0:
        raise ValueError("growth from zero is undefined")
    return new / old - 1.0
