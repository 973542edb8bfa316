"""Chip cost build-up, cost efficiency and power efficiency (industry initiation, Exhibit 21).

Every function is a single step of the source's table; ``chip_costs`` runs them all for one
chip. Percentages are passed as printed (70 for 70%); money is US$ per chip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Wafer diameter the gross-die formula assumes (a standard 300 mm wafer).
WAFER_DIAMETER_MM = 300.0

#: Packaging-and-test cost = CoWoS wafer price / chips per CoWoS wafer x this factor.
#: NOT stated by the source: it is the factor that reproduces every printed row of
#: Exhibit 21 (e.g. 10,000 / 30 x 1.7 = 567; 7,000 / 15 x 1.7 = 793).
PACKAGING_TEST_FACTOR = 1.7

#: Rmb per US$ used to turn the Rmb market price into US$. NOT stated by the source: it is
#: the rate that reproduces every printed "Market price (US$)" (e.g. 85,000 / 7.0 = 12,143).
RMB_PER_USD = 7.0


@dataclass(frozen=True)
class ChipInputs:
    """One chip's printed assumptions (one column of Exhibit 21)."""

    brand: str
    product: str
    die_size_mm2: float
    dies_per_package: int
    yield_pct: float
    wafer_price_usd: float
    memory_gb: float
    usd_per_16gb: float
    chips_per_cowos_wafer: float
    cowos_wafer_price_usd: float
    gross_margin_pct: float
    market_price_rmb: float | None
    import_markup_pct: float
    fp16_tflops: float | None
    fp8_tflops: float | None
    power_w: float
    #: Only where the source prints a US$ market price without an Rmb one (the A100).
    market_price_usd: float | None = None
    #: True when the market price is the original (list) price with the import mark-up
    #: added on top; False when the mark-up is taken off the market price (the row's
    #: ``markup_added`` flag in market/chips.csv: the source mixes the two rules).
    markup_added: bool = False


@dataclass(frozen=True)
class ChipCosts:
    """Every derived row of Exhibit 21 for one chip, unrounded."""

    gross_dies_per_wafer: int
    die_cost_usd: float
    memory_cost_usd: float
    packaging_test_cost_usd: float
    manufacturing_cost_usd: float
    market_price_usd: float
    original_price_usd: float
    estimated_cost_usd: float
    other_overheads_usd: float
    performance_tflops: float
    perf_per_cost: float
    perf_per_watt: float


def gross_dies_per_wafer(die_size_mm2: float, wafer_diameter_mm: float = WAFER_DIAMETER_MM) -> int:
    """Gross dies: floor(pi x r^2 / S - pi x d / sqrt(2 S)), S = die area, d = wafer diameter."""
    if die_size_mm2 <= 0:
        raise ValueError("die size must be positive")
    radius = wafer_diameter_mm / 2.0
    area_term = math.pi * radius**2 / die_size_mm2
    edge_term = math.pi * wafer_diameter_mm / math.sqrt(2.0 * die_size_mm2)
    return math.floor(area_term - edge_term)


def die_cost(wafer_price_usd: float, gross_dies: float, yield_pct: float, dies: int) -> float:
    """Die cost per chip: wafer price / (gross dies x yield) x dies per package."""
    good = gross_dies * yield_pct / 100.0
    if good <= 0:
        raise ValueError("gross dies and yield must be positive")
    return wafer_price_usd / good * dies


def memory_cost(memory_gb: float, usd_per_16gb: float) -> float:
    """Memory cost: capacity in 16 GB units x price per 16 GB."""
    return memory_gb / 16.0 * usd_per_16gb


def packaging_test_cost(
    cowos_wafer_price_usd: float,
    chips_per_cowos_wafer: float,
    factor: float = PACKAGING_TEST_FACTOR,
) -> float:
    """Packaging and test: CoWoS wafer price / chips per CoWoS wafer x factor (1.7, unstated)."""
    if chips_per_cowos_wafer <= 0:
        raise ValueError("chips per CoWoS wafer must be positive")
    return cowos_wafer_price_usd / chips_per_cowos_wafer * factor


def manufacturing_cost(die_usd: float, memory_usd: float, packaging_usd: float) -> float:
    """Manufacturing cost: die + memory + packaging and test (unrounded parts)."""
    return die_usd + memory_usd + packaging_usd


def market_price_usd(market_price_rmb: float, rmb_per_usd: float = RMB_PER_USD) -> float:
    """Market price in US$: the Rmb price / Rmb per US$ (7.0, unstated)."""
    return market_price_rmb / rmb_per_usd


def original_price_before_markup(market_usd: float, markup_pct: float) -> float:
    """Original price when the mark-up was added on top: market / (1 + mark-up)."""
    return market_usd / (1.0 + markup_pct / 100.0)


def original_price_less_markup(market_usd: float, markup_pct: float) -> float:
    """Original price with the mark-up taken off the market price: market x (1 - mark-up)."""
    return market_usd * (1.0 - markup_pct / 100.0)


def original_price(market_usd: float, markup_pct: float, markup_added: bool) -> float:
    """Original price by the row's rule: divide by (1 + mark-up) where the mark-up was added
    to a list price, else multiply by (1 - mark-up)."""
    if markup_added:
        return original_price_before_markup(market_usd, markup_pct)
    return original_price_less_markup(market_usd, markup_pct)


def estimated_cost(original_price_usd: float, gross_margin_pct: float) -> float:
    """Estimated chip cost: original price x (1 - gross margin)."""
    return original_price_usd * (1.0 - gross_margin_pct / 100.0)


def overheads(estimated_cost_usd: float, manufacturing_cost_usd: float) -> float:
    """Other overheads: estimated chip cost less manufacturing cost (the balancing item)."""
    return estimated_cost_usd - manufacturing_cost_usd


def performance(fp16_tflops: float | None, fp8_tflops: float | None) -> float:
    """Headline performance: FP8 TFLOPS where the source gives it, else FP16."""
    if fp8_tflops is not None:
        return fp8_tflops
    if fp16_tflops is None:
        raise ValueError("need an FP8 or an FP16 figure")
    return fp16_tflops


def perf_per_dollar(performance_tflops: float, market_usd: float) -> float:
    """Cost efficiency: performance TFLOPS / market price in US$."""
    if market_usd <= 0:
        raise ValueError("market price must be positive")
    return performance_tflops / market_usd


def perf_per_watt(performance_tflops: float, power_w: float) -> float:
    """Power efficiency: performance TFLOPS / power in W."""
    if power_w <= 0:
        raise ValueError("power must be positive")
    return performance_tflops / power_w


def chip_costs(chip: ChipInputs) -> ChipCosts:
    """Every derived row of Exhibit 21 for one chip, from its printed inputs."""
    gross = gross_dies_per_wafer(chip.die_size_mm2)
    die = die_cost(chip.wafer_price_usd, gross, chip.yield_pct, chip.dies_per_package)
    memory = memory_cost(chip.memory_gb, chip.usd_per_16gb)
    packaging = packaging_test_cost(chip.cowos_wafer_price_usd, chip.chips_per_cowos_wafer)
    making = manufacturing_cost(die, memory, packaging)
    if chip.market_price_rmb is not None:
        market = market_price_usd(chip.market_price_rmb)
    elif chip.market_price_usd is not None:
        market = chip.market_price_usd
    else:
        raise ValueError(f"{chip.product}: no market price in Rmb or US$")
    original = original_price(market, chip.import_markup_pct, chip.markup_added)
    estimate = estimated_cost(original, chip.gross_margin_pct)
    perf = performance(chip.fp16_tflops, chip.fp8_tflops)
    return ChipCosts(
        gross_dies_per_wafer=gross,
        die_cost_usd=die,
        memory_cost_usd=memory,
        packaging_test_cost_usd=packaging,
        manufacturing_cost_usd=making,
        market_price_usd=market,
        original_price_usd=original,
        estimated_cost_usd=estimate,
        other_overheads_usd=overheads(estimate, making),
        performance_tflops=perf,
        perf_per_cost=perf_per_dollar(perf, market),
        perf_per_watt=perf_per_watt(perf, chip.power_w),
    )
