"""Derived columns, computed from validated tables with the pure functions in models/."""

from __future__ import annotations

import pandas as pd

from reportgen.data.validate import LINE
from reportgen.errors import Problem
from reportgen.models import chipcost, pricing

#: Prices are printed to the cent: each printed price stands for an interval of +/- this.
PRICE_HALF_CENT = 0.005

_CHIP_INPUTS = (
    *("die_size_mm2", "dies_per_package", "yield_pct", "wafer_price_usd", "memory_gb"),
    *("usd_per_16gb", "chips_per_cowos_wafer", "cowos_wafer_price_usd", "gross_margin_pct"),
    *("market_price_rmb", "import_markup_pct", "fp16_tflops", "fp8_tflops", "power_w"),
    "market_price_usd_published",
    "markup_added",
)
#: Each derived column a printed number may cite: its formula and the same row's columns it
#: reads (Dataset.records tags values with them: data/provenance.py).
FORMULAS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "llm_pricing": {
        "blended_3_1_usd": ("(3 * input_usd + output_usd) / 4", ("input_usd", "output_usd")),
        "io_ratio": ("output_usd / input_usd", ("input_usd", "output_usd")),
    },
    "chips": {
        key: (f"models/chipcost.py chip_costs(row).{key}", _CHIP_INPUTS)
        for key in (
            *("die_cost_usd", "memory_cost_usd", "packaging_test_cost_usd"),
            *("manufacturing_cost_usd", "market_price_usd", "original_price_usd"),
            *("estimated_cost_usd", "other_overheads_usd", "performance_tflops"),
            *("perf_per_cost", "perf_per_watt"),
        )
    },
}


def add_pricing_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """Blended 3:1 price and output/input ratio for every priced row, with rounding bounds."""
    out = frame.copy()
    pairs = list(zip(out["input_usd"], out["output_usd"], strict=True))
    h = PRICE_HALF_CENT
    out["blended_3_1_usd"] = [pricing.blended_3_1(i, o) for i, o in pairs]
    out["blended_3_1_usd_low"] = [
        pricing.blended_3_1(max(i - h, 0), max(o - h, 0)) for i, o in pairs
    ]
    out["blended_3_1_usd_high"] = [pricing.blended_3_1(i + h, o + h) for i, o in pairs]
    nan = float("nan")
    out["io_ratio"] = [pricing.io_ratio(i, o) if i > 0 else nan for i, o in pairs]
    out["io_ratio_low"] = [pricing.io_ratio(i + h, max(o - h, 0)) for i, o in pairs]
    out["io_ratio_high"] = [pricing.io_ratio(i - h, o + h) if i > h else nan for i, o in pairs]
    return out


def add_shipment_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """Each vendor group's share of the year's total, plus the unstated remainder (derived)."""
    out = frame.copy()
    out["derived"] = False
    rows = []
    for year, group in out.groupby("year", sort=True):
        total = group.loc[group["vendor_group"] == "Total", "units_mn"]
        if total.empty:
            continue
        named = group.loc[group["vendor_group"] != "Total", "units_mn"].sum()
        rest = float(total.iloc[0]) - float(named)
        if rest > 1e-9:
            rows.append(
                {
                    LINE: None,
                    "year": year,
                    "vendor_group": "Other (derived remainder)",
                    "units_mn": rest,
                    "share_pct_published": float("nan"),
                    "source": "derived: total less the groups stated",
                    "derived": True,
                }
            )
    if rows:
        out = pd.concat([out, pd.DataFrame(rows)], ignore_index=True)
    totals = out[out["vendor_group"] == "Total"].set_index("year")["units_mn"]
    out["share_pct"] = [
        100.0 * u / totals[y] if y in totals.index else float("nan")
        for y, u in zip(out["year"], out["units_mn"], strict=True)
    ]
    return out


def add_promotion_checks(
    promos: pd.DataFrame, prices: pd.DataFrame, shown: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """List price x (1 - discount) for each promotion, to compare with the printed promo rate."""
    problems: list[Problem] = []
    out = promos.copy()
    by_model = prices.set_index("model")
    computed_in, computed_out, list_in, list_out = [], [], [], []
    for _, row in out.iterrows():
        if row["model"] not in by_model.index:
            problems.append(
                Problem(
                    shown,
                    int(row[LINE]),
                    "model",
                    f"unknown model '{row['model']}': not in market/llm_pricing.csv",
                )
            )
            computed_in.append(float("nan"))
            computed_out.append(float("nan"))
            list_in.append(float("nan"))
            list_out.append(float("nan"))
            continue
        base = by_model.loc[row["model"]]
        if isinstance(base, pd.DataFrame):
            base = base.iloc[0]
        list_in.append(float(base["input_usd"]))
        list_out.append(float(base["output_usd"]))
        computed_in.append(pricing.discounted(base["input_usd"], row["discount_pct"]))
        computed_out.append(pricing.discounted(base["output_usd"], row["discount_pct"]))
    out["list_input_usd"] = list_in
    out["list_output_usd"] = list_out
    out["input_usd_computed"] = computed_in
    out["output_usd_computed"] = computed_out
    return out, problems


def _num(value: object) -> float | None:
    return None if value is None or value != value else float(value)  # type: ignore[arg-type]


def add_chip_costs(frame: pd.DataFrame) -> pd.DataFrame:
    """Every derived row of the chip cost build-up, from each chip's printed inputs.

    Where the source gives a US$ market price only (no Rmb price), that US$ price is the
    chip's input price.
    """
    out = frame.copy()
    derived: list[dict[str, float]] = []
    for row in out.to_dict("records"):
        has_rmb = _num(row["market_price_rmb"]) is not None
        chip = chipcost.ChipInputs(
            brand=row["brand"],
            product=row["product"],
            die_size_mm2=row["die_size_mm2"],
            dies_per_package=int(row["dies_per_package"]),
            yield_pct=row["yield_pct"],
            wafer_price_usd=row["wafer_price_usd"],
            memory_gb=row["memory_gb"],
            usd_per_16gb=row["usd_per_16gb"],
            chips_per_cowos_wafer=row["chips_per_cowos_wafer"],
            cowos_wafer_price_usd=row["cowos_wafer_price_usd"],
            gross_margin_pct=row["gross_margin_pct"],
            market_price_rmb=_num(row["market_price_rmb"]),
            import_markup_pct=row["import_markup_pct"],
            fp16_tflops=_num(row["fp16_tflops"]),
            fp8_tflops=_num(row["fp8_tflops"]),
            power_w=row["power_w"],
            market_price_usd=None if has_rmb else _num(row["market_price_usd_published"]),
            markup_added=bool(row["markup_added"]),
        )
        costs = chipcost.chip_costs(chip)
        derived.append({k: float(v) for k, v in vars(costs).items()})
    for key in derived[0] if derived else ():
        out[key] = [d[key] for d in derived]
    return out


def add_range_checks(ranges: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """Each published range end recomputed: min or max over the region's flagship rows."""
    out = ranges.copy()
    flagships = prices[prices["flagship"]]
    values: list[float] = []
    models: list[str | None] = []
    for row in out.to_dict("records"):
        rows = flagships[flagships["region"] == row["region"]]
        column = f"{row['measure']}_usd"
        if rows.empty:
            values.append(float("nan"))
            models.append(None)
            continue
        pick = rows[column].idxmin() if row["end"] == "low" else rows[column].idxmax()
        values.append(float(rows.loc[pick, column]))
        models.append(str(rows.loc[pick, "model"]))
    out["usd_computed"] = values
    out["model_computed"] = models
    return out


def derive_all(
    tables: dict[str, pd.DataFrame], files: dict[str, str]
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Every derived column of every table; cross-table references are checked here."""
    out = dict(tables)
    problems: list[Problem] = []
    if "llm_pricing" in tables:
        out["llm_pricing"] = add_pricing_metrics(tables["llm_pricing"])
    if "china_ai_shipments" in tables:
        out["china_ai_shipments"] = add_shipment_shares(tables["china_ai_shipments"])
    if "llm_price_ranges_published" in tables and "llm_pricing" in out:
        out["llm_price_ranges_published"] = add_range_checks(
            tables["llm_price_ranges_published"], out["llm_pricing"]
        )
    if "chips" in tables:
        out["chips"] = add_chip_costs(tables["chips"])
    if "llm_promotions" in tables and "llm_pricing" in out:
        out["llm_promotions"], problems = add_promotion_checks(
            tables["llm_promotions"], out["llm_pricing"], files["llm_promotions"]
        )
    return out, problems
