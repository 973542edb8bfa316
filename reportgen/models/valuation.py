"""Valuation arithmetic: CAPM, residual income, upside, implied multiples, P/S grids.

Rates are fractions (0.0836, not 8.36) unless a name ends in ``_pct``. Money is in the
model (reporting) currency, mn, unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reportgen.formatting import NOT_MEANINGFUL
from reportgen.models import pricing

FirstYearBasis = Literal["computed", "supplied", "omitted"]


@dataclass(frozen=True)
class RIYear:
    """One year of a residual-income table (money in the model currency, rates as fractions)."""

    year: int
    net_profit: float
    total_equity: float
    opening_equity: float | None
    roae: float | None
    spread: float | None
    residual_income: float | None
    explicit: bool


@dataclass(frozen=True)
class RIValuation:
    """A residual-income valuation: every row and the summary the source tables print."""

    rows: tuple[RIYear, ...]
    cost_of_equity: float
    terminal_growth: float
    first_year_basis: FirstYearBasis
    ending_equity: float
    pv_forecast: float
    pv_continuing_value: float
    equity_value: float
    shares_mn: float
    value_per_share_model: float
    model_per_listing: float
    value_per_share: float


@dataclass(frozen=True)
class SensitivityGrid:
    """Market cap, value to the parent and per parent share over a P/S x revenue grid."""

    ps: tuple[float, ...]
    revenue: tuple[float, ...]
    market_cap: tuple[tuple[float, ...], ...]
    to_parent: tuple[tuple[float, ...], ...]
    per_parent_share: tuple[tuple[float, ...], ...] | None


def capm_cost_of_equity(risk_free: float, beta: float, erp: float) -> float:
    """Cost of equity by CAPM: risk-free rate + beta x equity risk premium (same units in/out)."""
    return risk_free + beta * erp


def roll_forward_ri_inputs(
    years: Sequence[int],
    net_profit: Sequence[float],
    total_equity: Sequence[float],
    growth: float,
    payout: float,
    through_year: int,
) -> tuple[tuple[int, float, float], ...]:
    """Explicit (year, net profit, equity) rows, then profit x (1 + g) and equity + retained."""
    if not (len(years) == len(net_profit) == len(total_equity)) or not years:
        raise ValueError("years, net profit and equity need the same, non-zero length")
    if list(years) != list(range(years[0], years[0] + len(years))):
        raise ValueError("explicit years must be consecutive")
    rows = [
        (int(y), float(p), float(e))
        for y, p, e in zip(years, net_profit, total_equity, strict=True)
    ]
    year, profit, equity = rows[-1]
    while year < through_year:
        year += 1
        profit *= 1.0 + growth
        equity += profit * (1.0 - payout)
        rows.append((year, profit, equity))
    return tuple(rows)


def roae(net_profit: float, opening_equity: float, closing_equity: float) -> float:
    """Return on average equity: net profit / mean of opening and closing equity."""
    average = (opening_equity + closing_equity) / 2.0
    if average <= 0:
        raise ValueError("average equity must be positive")
    return net_profit / average


def spread(return_on_equity: float, cost_of_equity: float) -> float:
    """Excess return: ROAE less the cost of equity."""
    return return_on_equity - cost_of_equity


def residual_income(excess_return: float, opening_equity: float) -> float:
    """Residual income: the spread earned on the opening (prior year-end) equity."""
    return excess_return * opening_equity


def pv_forecast(residual_incomes: Sequence[float | None], cost_of_equity: float) -> float:
    """PV of the forecast period: sum of RI_i / (1 + k)^i, i = 0 for the first explicit year.

    The source's tables (Exhibits 27, 34, 40) take the first year's residual income
    undiscounted and discount year ``first + i`` by ``(1 + k)^i``; they sum 2026E-2036E this
    way and leave the last year (2037E) to the continuing value. Pass the forecast-period
    values only; ``None`` is a year the table leaves out (counted as zero).
    """
    return sum(
        ri / (1.0 + cost_of_equity) ** i for i, ri in enumerate(residual_incomes) if ri is not None
    )


def continuing_value(
    final_residual_income: float, cost_of_equity: float, growth: float, periods: int
) -> float:
    """PV of a growing perpetuity: RI_last x (1 + g) / (k - g), discounted by (1 + k)^periods."""
    if cost_of_equity <= growth:
        raise ValueError("cost of equity must exceed terminal growth")
    value = final_residual_income * (1.0 + growth) / (cost_of_equity - growth)
    return value / (1.0 + cost_of_equity) ** periods


def residual_income_valuation(
    rows: Sequence[tuple[int, float, float]],
    cost_of_equity: float,
    terminal_growth: float,
    shares_mn: float,
    *,
    explicit_years: int = 3,
    opening_equity: float | None = None,
    first_year_ri: float | None = None,
    model_per_listing: float = 1.0,
) -> RIValuation:
    """Value equity as first-year equity + PV of forecast RI + PV of continuing value.

    ``rows`` are (year, net profit, year-end equity), e.g. from ``roll_forward_ri_inputs``.
    The first year's residual income is computed when ``opening_equity`` is given, taken
    as supplied when ``first_year_ri`` is given (the source does not print the opening
    equity), and otherwise omitted (as Exhibit 34 does). ``model_per_listing`` converts the
    value per share into the listing currency: model-currency units per listing unit
    (Iluvatar: Rmb 0.88 per HK$1, so HK$ = Rmb / 0.88).
    """
    if len(rows) < 2:
        raise ValueError("need at least a forecast year and a final year")
    if opening_equity is not None and first_year_ri is not None:
        raise ValueError("give the opening equity or the first-year RI, not both")
    basis: FirstYearBasis = (
        "computed"
        if opening_equity is not None
        else "supplied"
        if first_year_ri is not None
        else "omitted"
    )
    table: list[RIYear] = []
    previous = opening_equity
    for index, (year, profit, equity) in enumerate(rows):
        ratio: float | None = None
        excess: float | None = None
        ri: float | None = None
        if previous is None:
            if index == 0 and first_year_ri is not None:
                ri = first_year_ri
        elif previous + equity <= 0:
            # Negative (or zero) average equity: ROAE and the spread mean nothing (NM); the
            # residual income is the profit less the charge on opening equity, NI - k x B.
            ratio, excess = NOT_MEANINGFUL, NOT_MEANINGFUL
            ri = profit - cost_of_equity * previous
        else:
            ratio = roae(profit, previous, equity)
            excess = spread(ratio, cost_of_equity)
            ri = residual_income(excess, previous)
        table.append(
            RIYear(year, profit, equity, previous, ratio, excess, ri, index < explicit_years)
        )
        previous = equity
    last = table[-1]
    if last.residual_income is None:
        raise ValueError("the final year's residual income is needed for the continuing value")
    pv_fc = pv_forecast([r.residual_income for r in table[:-1]], cost_of_equity)
    pv_cv = continuing_value(
        last.residual_income, cost_of_equity, terminal_growth, last.year - table[0].year
    )
    equity_value = table[0].total_equity + pv_fc + pv_cv
    per_share = equity_value / shares_mn
    return RIValuation(
        rows=tuple(table),
        cost_of_equity=cost_of_equity,
        terminal_growth=terminal_growth,
        first_year_basis=basis,
        ending_equity=table[0].total_equity,
        pv_forecast=pv_fc,
        pv_continuing_value=pv_cv,
        equity_value=equity_value,
        shares_mn=shares_mn,
        value_per_share_model=per_share,
        model_per_listing=model_per_listing,
        value_per_share=per_share / model_per_listing,
    )


def upside(price: float, value: float) -> float:
    """Upside (downside if negative) from a price to a value per share: value / price - 1."""
    if price <= 0:
        raise ValueError("price must be positive")
    return value / price - 1.0


def implied_multiple(
    value_per_share: float, shares_mn: float, metric: float, model_per_listing: float = 1.0
) -> float:
    """Implied multiple: value per share x shares (in the metric's currency) / the metric."""
    if metric == 0:
        raise ValueError("metric must be non-zero")
    return value_per_share * model_per_listing * shares_mn / metric


def enterprise_value(equity_value: float, net_debt: float, minorities: float = 0.0) -> float:
    """Enterprise value: equity value (market cap at a value per share) + net debt (debt less
    cash; negative for net cash) + minority interests, all in one currency."""
    return equity_value + net_debt + minorities


def equity_multiple(
    value_per_share: float, shares_mn: float, metric: float, model_per_listing: float = 1.0
) -> float:
    """P/E, P/S or P/B: value per share x shares (in the metric's currency) / the metric;
    NM (formatting.NOT_MEANINGFUL) on a loss, zero or negative sales or book value."""
    if metric <= 0:
        return NOT_MEANINGFUL
    return implied_multiple(value_per_share, shares_mn, metric, model_per_listing)


def ev_multiple(ev: float, metric: float) -> float:
    """EV/EBITDA or EV/S: EV / the metric; NM where the metric or the EV is not positive."""
    if metric <= 0 or ev <= 0:
        return NOT_MEANINGFUL
    return ev / metric


def cagr(start: float, end: float, years: float) -> float:
    """Compound annual growth rate between two values ``years`` apart (as a fraction)."""
    return pricing.cagr(start, end, years)


def grid_market_cap(revenue_rmb_mn: float, ps: float, rmb_per_usd: float) -> float:
    """Market cap in US$ mn: revenue (Rmb mn) x P/S / (Rmb per US$)."""
    if rmb_per_usd <= 0:
        raise ValueError("exchange rate must be positive")
    return revenue_rmb_mn * ps / rmb_per_usd


def holdco_factor(stake: float, holdco_discount: float) -> float:
    """Share of a unit's value counted for its parent: stake x (1 - holding-company discount)."""
    return stake * (1.0 - holdco_discount)


def value_to_parent(market_cap: float, factor: float) -> float:
    """Value attributable to the parent: market cap x (stake x (1 - discount), or a factor)."""
    return market_cap * factor


def per_parent_share(value: float, parent_shares_mn: float) -> float:
    """Value per parent share: value (US$ mn) / parent shares (mn)."""
    if parent_shares_mn <= 0:
        raise ValueError("share count must be positive")
    return value / parent_shares_mn


def sensitivity_grid(
    ps: Sequence[float],
    revenue_rmb_mn: Sequence[float],
    rmb_per_usd: float,
    factor: float,
    parent_shares_mn: float | None = None,
) -> SensitivityGrid:
    """The three P/S x revenue grids (rows follow ``ps``, columns follow ``revenue``)."""
    caps = tuple(tuple(grid_market_cap(r, m, rmb_per_usd) for r in revenue_rmb_mn) for m in ps)
    parent = tuple(tuple(value_to_parent(c, factor) for c in row) for row in caps)
    shares = (
        None
        if parent_shares_mn is None
        else tuple(tuple(per_parent_share(v, parent_shares_mn) for v in row) for row in parent)
    )
    return SensitivityGrid(tuple(ps), tuple(revenue_rmb_mn), caps, parent, shares)


def feasible_scale(
    bases: Sequence[float], printed: Sequence[float], decimals: int
) -> tuple[float, float]:
    """Interval of s with base x s rounding to each printed value (empty if low > high)."""
    half = 0.5 * 10.0 ** (-decimals)
    low, high = float("-inf"), float("inf")
    for base, shown in zip(bases, printed, strict=True):
        if base <= 0:
            raise ValueError("bases must be positive")
        low = max(low, (shown - half) / base)
        high = min(high, (shown + half) / base)
    return low, high
