"""Read-only questions prose may ask of the market tables; all arithmetic is in models/."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

import pandas as pd

from reportgen.data.dataset import Dataset, Day0Catalogue
from reportgen.data.provenance import derived, sourced
from reportgen.data.validate import LINE
from reportgen.models import pricing
from reportgen.prose_api import prose_api


class QueryError(KeyError):
    """Prose asked for something the data do not hold (unknown model, vendor, year...)."""

    def __str__(self) -> str:
        return str(self.args[0])


def plain(value: Any) -> Any:
    """A table cell as a plain Python value: numpy numbers as int/float, a timestamp as a date
    (or datetime), pandas' missing markers as None; NaN stays NaN (shown as a dash)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        stamp = value.to_pydatetime()
        return stamp.date() if stamp.time() == dt.time() and stamp.tzinfo is None else stamp
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return math.nan
    return value


def plain_row(row: Mapping[Hashable, Any]) -> Mapping[str, Any]:
    """A table row (keyed by column labels) as a read-only mapping of plain values by column
    name, without internal ``_`` columns."""
    return MappingProxyType(
        {str(k): plain(v) for k, v in row.items() if not str(k).startswith("_")}
    )


@prose_api()
@dataclass(frozen=True)
class ModelPrice:
    """One priced model: list prices and the metrics derived from them."""

    model: str
    provider: str
    region: str
    flagship: bool
    input: float
    output: float
    blended: float
    io_ratio: float
    #: The output price as printed where it was a misprint (output is the corrected one).
    output_published: float | None = None


@prose_api("spread")
@dataclass(frozen=True)
class Stats:
    """Summary of a set of priced models: count, mean, median, extremes and who holds them."""

    n: int
    mean: float
    median: float
    low: float
    high: float
    low_model: str
    high_model: str

    @property
    def spread(self) -> float:
        """Highest over lowest (how many times)."""
        return pricing.price_ratio(self.high, self.low)


def _stats(values: list[float], models: list[str]) -> Stats:
    if not values:
        raise QueryError("no models match")
    lo = min(range(len(values)), key=lambda i: (values[i], models[i]))
    hi = max(range(len(values)), key=lambda i: (values[i], models[i]))
    return Stats(
        n=len(values),
        mean=pricing.mean(values),
        median=pricing.middle(values),
        low=values[lo],
        high=values[hi],
        low_model=models[lo],
        high_model=models[hi],
    )


def _number_or_none(value: Any) -> float | None:
    """A cell as a float, or None when it is empty (None or NaN)."""
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


#: What ``Market.prices`` may summarise: a ModelPrice attribute each.
PRICE_MEASURES = ("input", "output", "blended", "io_ratio")


def _check_measure(measure: str) -> None:
    """Refuse a measure prose names that is not a price column (it would reach getattr)."""
    if measure not in PRICE_MEASURES:
        raise QueryError(f"unknown price measure '{measure}'; known: {', '.join(PRICE_MEASURES)}")


@prose_api("model", "models", "blended", "io", "prices", "rivals", "corrected", "ratio", "promo")
class Market:
    """Pricing questions: a model's prices, flagship sets, statistics by region, promotions."""

    def __init__(self, ds: Dataset):
        self._ds = ds

    # Tables are read on first use, so a report depends only on the tables its prose asks for.
    @cached_property
    def _prices(self) -> pd.DataFrame:
        return self._ds.table("llm_pricing")

    @cached_property
    def _promos(self) -> pd.DataFrame:
        return self._ds.table("llm_promotions")

    def _row(self, row: pd.Series) -> ModelPrice:
        file, line = self._ds.files["llm_pricing"], int(row[LINE])
        price_in = sourced(float(row["input_usd"]), file, line, "input_usd")
        price_out = sourced(float(row["output_usd"]), file, line, "output_usd")
        return ModelPrice(
            model=row["model"],
            provider=row["provider"],
            region=row["region"],
            flagship=bool(row["flagship"]),
            input=price_in,
            output=price_out,
            blended=derived(
                float(row["blended_3_1_usd"]),
                "(3 * input_usd + output_usd) / 4",
                price_in,
                price_out,
            ),
            io_ratio=derived(float(row["io_ratio"]), "output_usd / input_usd", price_in, price_out),
            output_published=_number_or_none(row.get("output_usd_published")),
        )

    def model(self, name: str) -> ModelPrice:
        """The first matrix row whose model is ``name``."""
        rows = self._prices[self._prices["model"] == name]
        if rows.empty:
            raise QueryError(f"unknown model '{name}': not in market/llm_pricing.csv")
        return self._row(rows.iloc[0])

    def models(self, region: str | None = None, flagship: bool | None = None) -> list[ModelPrice]:
        """Priced rows in file order, optionally one region and flagships only."""
        frame = self._prices
        if region is not None:
            if region not in set(frame["region"]):
                raise QueryError(f"unknown region '{region}'")
            frame = frame[frame["region"] == region]
        if flagship is not None:
            frame = frame[frame["flagship"] == flagship]
        return [self._row(r) for _, r in frame.iterrows()]

    def blended(self, region: str, flagship: bool = True) -> Stats:
        """Blended 3:1 price statistics over a region's (flagship) rows."""
        rows = self.models(region, flagship or None)
        return _stats([r.blended for r in rows], [r.model for r in rows])

    def io(self, region: str, flagship: bool = True) -> Stats:
        """Output/input ratio statistics over a region's (flagship) rows."""
        rows = self.models(region, flagship or None)
        return _stats([r.io_ratio for r in rows], [r.model for r in rows])

    def prices(self, region: str, measure: str = "input", flagship: bool = True) -> Stats:
        """Statistics of one price measure (input, output, blended or io_ratio) over a
        region's (flagship) rows, so prose can compare a price with the range it sits in."""
        _check_measure(measure)
        rows = self.models(region, flagship or None)
        return _stats([getattr(r, measure) for r in rows], [r.model for r in rows])

    def rivals(self, provider: str, measure: str = "io_ratio", flagship: bool = True) -> Stats:
        """Statistics of one measure over every region's (flagship) rows of providers other
        than ``provider``: what a provider's own models are compared against."""
        _check_measure(measure)
        if provider not in set(self._prices["provider"]):
            raise QueryError(f"unknown provider '{provider}'")
        rows = [r for r in self.models(None, flagship or None) if r.provider != provider]
        return _stats([getattr(r, measure) for r in rows], [r.model for r in rows])

    def corrected(self) -> list[ModelPrice]:
        """Rows whose printed output price was a misprint the data correct, in file order."""
        return [m for m in self.models() if m.output_published is not None]

    def ratio(self, numerator: float, denominator: float) -> float:
        """How many times ``numerator`` is ``denominator`` (as a fraction when below one)."""
        return pricing.price_ratio(numerator, denominator)

    def promo(self, name: str) -> Mapping[str, Any]:
        """A promotion row: promo prices, discount, list prices and dates."""
        rows = self._promos[self._promos["model"] == name]
        if rows.empty:
            raise QueryError(f"no promotion for '{name}' in market/llm_promotions.csv")
        return plain_row(rows.iloc[0].to_dict())


@prose_api(
    "as_of", "vendors", "vendors_supporting", "families_per_vendor", "median_families",
    "family_count",
)  # fmt: skip
class Day0:
    """Day-0 adaptation questions: who supports which family, and how widely."""

    def __init__(self, ds: Dataset):
        self._ds = ds

    @cached_property
    def _long(self) -> pd.DataFrame:
        return self._ds.table("day0")

    @cached_property
    def catalogue(self) -> Day0Catalogue:
        return self._ds.day0_catalogue

    @property
    def as_of(self) -> dt.date:
        return self.catalogue.as_of

    @property
    def vendors(self) -> tuple[str, ...]:
        return self.catalogue.vendors

    def _supported(self) -> pd.DataFrame:
        return self._long[self._long["status"].notna()]

    def vendors_supporting(self, family: str) -> list[str]:
        """Vendors with at least one marked cell in ``family``, in catalogue order."""
        families = {m["family"] for m in self.catalogue.models}
        if family not in families:
            raise QueryError(
                f"unknown model family '{family}'; known: {', '.join(sorted(families))}"
            )
        hit = set(self._supported().query("family == @family")["vendor"])
        return [v for v in self.vendors if v in hit]

    def families_per_vendor(self) -> dict[str, int]:
        """Number of model families each vendor supports on Day 0 (catalogue order)."""
        sup = self._supported()
        return {v: int(sup[sup["vendor"] == v]["family"].nunique()) for v in self.vendors}

    def median_families(self) -> float:
        """Median number of families supported, over every vendor in the matrix."""
        return pricing.middle(self.families_per_vendor().values())

    def family_count(self) -> int:
        """Number of distinct model families in the matrix."""
        return len({m["family"] for m in self.catalogue.models})


@prose_api("units", "share")
class Shipments:
    """Accelerator shipment questions: units and shares by vendor group."""

    def __init__(self, ds: Dataset):
        self._ds = ds

    @cached_property
    def _frame(self) -> pd.DataFrame:
        return self._ds.table("china_ai_shipments")

    def _get(self, group: str, year: int, column: str) -> float:
        rows = self._frame[(self._frame["vendor_group"] == group) & (self._frame["year"] == year)]
        if rows.empty:
            raise QueryError(f"no shipments for '{group}' in {year}")
        value = float(rows.iloc[0][column])
        if column == "share_pct":  # data/metrics.py add_shipment_shares
            units, total = self._get(group, year, "units_mn"), self._get("Total", year, "units_mn")
            return derived(value, "100 * units_mn / units_mn of the year's Total", units, total)
        line = rows.iloc[0][LINE]
        if line is None or line != line:
            return value  # the derived remainder (total less the groups stated): not carried
        return sourced(value, self._ds.files["china_ai_shipments"], int(line), column)

    def units(self, group: str, year: int) -> float:
        """Units shipped (mn)."""
        return self._get(group, year, "units_mn")

    def share(self, group: str, year: int) -> float:
        """Share of the year's total units, in percent (computed)."""
        return self._get(group, year, "share_pct")


@prose_api("value", "localization", "cagr")
class GpgpuMarket:
    """Stated market growth and localization rates."""

    def __init__(self, ds: Dataset):
        self._ds = ds

    @cached_property
    def _frame(self) -> pd.DataFrame:
        return self._ds.table("gpgpu_market")

    def value(self, metric: str, segment: str, year: str) -> float:
        """A stated rate in percent."""
        f = self._frame
        rows = f[(f["metric"] == metric) & (f["segment"] == segment) & (f["year"] == year)]
        if rows.empty:
            raise QueryError(f"no {metric} for {segment} in {year} in market/gpgpu_market.csv")
        file, line = self._ds.files["gpgpu_market"], int(rows.iloc[0][LINE])
        return sourced(float(rows.iloc[0]["value_pct"]), file, line, "value_pct")

    def localization(self, segment: str, year: str) -> float:
        """A stated localization rate in percent."""
        return self.value("localization_rate", segment, year)

    def cagr(self, segment: str, span: str) -> float:
        """A stated market CAGR in percent."""
        return self.value("cagr", segment, span)
