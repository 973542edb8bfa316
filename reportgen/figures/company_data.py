"""Company lookups, period and line-item labels both company builder modules use (shared code)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportgen import formatting as fmt
from reportgen.data.companies import PRICES, Company
from reportgen.data.dataset import Dataset
from reportgen.errors import ExhibitDataError

SOURCE = "Company data, Meridian Research estimates"
INTERIM_TABLES = ("estimates_half_year", "estimates_quarterly")

ANNUAL = re.compile(r"^(\d{4})(E?)$")
INTERIM = re.compile(r"^([12])H(\d{2})(E?)$|^([1-4])Q(\d{2})(E?)$")
VERSUS = re.compile(r"^(house|consensus|diff_pct)_(\d{4})e(_published)?$")


# --- the company and its tables ----------------------------------------------------------------


def named_company(ds: Dataset, params: Mapping[str, Any]) -> Company:
    """The company named by ``params['company']``; ExhibitDataError listing the known slugs."""
    known = ", ".join(sorted(ds.companies)) or "none"
    if "company" not in params:
        raise ExhibitDataError(
            f"missing parameter 'company' (a folder under data/companies: {known})"
        )
    slug = params["company"]
    if not isinstance(slug, str) or slug not in ds.companies:
        raise ExhibitDataError(f"unknown company {slug!r}; known: {known}")
    return ds.companies[slug]


def company_table(company: Company, name: str) -> pd.DataFrame:
    """One of the company's tables; ExhibitDataError naming the file and what the folder has."""
    if not company.has(name):
        have = ", ".join(sorted(company.tables))
        raise ExhibitDataError(
            f"company '{company.slug}' has no {name} ({company.folder}/{name}.csv); "
            f"its tables: {have}"
        )
    return company.table(name)


def price_history(company: Company) -> list[tuple[dt.date, float]]:
    """The optional share price history (prices.csv: date, close), oldest first; empty
    without one (data/companies.py validates and sorts it with the folder)."""
    if not company.has(PRICES.name):
        return []
    frame = company.table(PRICES.name)
    return [(d, float(c)) for d, c in zip(frame["date"], frame["close"], strict=True)]


def interim_table(company: Company) -> tuple[str, pd.DataFrame]:
    """The half-year or quarterly estimates table; ExhibitDataError if there is neither."""
    for name in INTERIM_TABLES:
        if company.has(name):
            return name, company.table(name)
    raise ExhibitDataError(
        f"company '{company.slug}' has no interim estimates: neither "
        f"{' nor '.join(f'{company.folder}/{n}.csv' for n in INTERIM_TABLES)}"
    )


# --- line-item labels ----------------------------------------------------------------------------


#: Whole line items (after dropping ``_published``) whose label is not the words spelled out.
LABELS = {
    "cogs": "Cost of goods sold",
    "ar_nr": "Receivables",
    "ap_np": "Payables",
    "mkt_securities": "Marketable securities",
    "retained_earning": "Retained earnings",
    "adj_wtd_avg_shares_mn": "Adjusted weighted average shares (mn)",
    "net_profits": "Net profit",
    "cashflow_from_operations": "Cash flow from operations",
    "cashflow_from_investing": "Cash flow from investing",
    "cashflow_from_financing": "Cash flow from financing",
    "change_of_lt_investment": "Change in long-term investments",
    "change_of_st_investment": "Change in short-term investments",
    "other_adjustments_operating": "Other adjustments (operating)",
    "other_adjustments_investing": "Other adjustments (investing)",
    "other_adjustments_financing": "Other adjustments (financing)",
    "ar_nr_turnover_days": "Receivable days",
    "inventory_turnover_days": "Inventory days",
    "ap_turnover_days": "Payable days",
    "cash_conversion_days": "Cash conversion cycle (days)",
    "selling": "Selling expenses",
    "gna": "G&A expenses",
    "rnd": "R&D expenses",
    "total_opex": "Total opex",
    "taxes": "Taxes",
    "non_operating_income": "Non-operating income",
    "pre_tax_income": "Pre-tax income",
    "long_term_investments": "Long-term investments",
    "other_shareholders_equity": "Other shareholders' equity",
}
#: Abbreviations inside line items, spelled out word by word.
WORDS = {
    "rnd": "R&D",
    "gna": "G&A",
    "eps": "EPS",
    "roae": "ROAE",
    "roaa": "ROAA",
    "pbt": "profit before tax",
    "st": "short-term",
    "lt": "long-term",
    "qq": "Q/Q",
    "yy": "Y/Y",
    "hh": "H/H",
    "rev": "revenue",
    "ar": "receivables",
    "ap": "payables",
    "mkt": "marketable",
    "wtd": "weighted",
    "avg": "average",
    "adj": "adjusted",
    "opex": "opex",
    "pretax": "pre-tax",
    "profits": "profit",
}
#: Line-item endings that name a unit: (ending, how the label shows it, cell kind).
UNIT_ENDINGS = (
    ("_pct_rev", " (% of revenue)", "pct"),
    ("_pct_sales", " (% of sales)", "pct"),
    ("_pct", "", "pct"),
    ("_x", "", "x"),
    ("_days", " (days)", "days"),
    ("_rmb_mn", "", "money"),
    ("_rmb", " (Rmb)", "money"),
    ("_mn", " (mn)", "money"),
)


def base_item(line_item: str) -> str:
    """The line item without the ``_published`` suffix."""
    return line_item.removesuffix("_published")


def line_label(line_item: str) -> str:
    """A readable label: 'net_sales' -> 'Net sales', 'cogs' -> 'Cost of goods sold'."""
    item = base_item(line_item)
    if item in LABELS:
        return LABELS[item]
    suffix = ""
    for ending, shown, _ in UNIT_ENDINGS:
        if item.endswith(ending) and item != ending.lstrip("_"):
            item, suffix = item[: -len(ending)], shown
            break
    if item in LABELS:
        return LABELS[item] + suffix
    if item.startswith("growth_"):  # growth_net_profits -> Net profit growth
        return line_label(item.removeprefix("growth_")) + " growth" + suffix
    text = " ".join(WORDS.get(word, word) for word in item.split("_")) + suffix
    return text[:1].upper() + text[1:]


def pct_cell(value: float | None, dp: int = 1) -> str:
    """A percentage with negatives in parentheses: -6.3 -> '(6.3%)' (recorded as a
    percentage, so it is never taken for the same quantity as a plain number)."""
    return fmt.pct(value, dp, parens=True)


# --- periods -----------------------------------------------------------------------------------


def period_columns(frame: pd.DataFrame) -> list[str]:
    """The period columns of a wide company table, in the file's order."""
    return [c for c in frame.columns if ANNUAL.match(str(c)) or INTERIM.match(str(c))]


def is_estimate(label: str) -> bool:
    """Whether a period label is an estimate: '2026E', '1H26E' (an actual has no E)."""
    return label.endswith("E")


def sort_key(label: str) -> tuple[int, int]:
    """Chronological order of '2025', '2026E', '1H26E', '3Q25'."""
    annual = ANNUAL.match(label)
    if annual:
        return int(annual.group(1)), 9
    interim = INTERIM.match(label)
    if interim is None:
        raise ValueError(f"not a period label: {label!r}")
    if interim.group(1):
        return 2000 + int(interim.group(2)), 2 * int(interim.group(1))
    return 2000 + int(interim.group(5)), int(interim.group(4))


def fx_text(company: Company) -> str:
    """The conversion as company.yaml states it: 'Rmb0.88 per HK$1', 'HK$7.80 per US$1'."""
    fx = company.valuation.fx
    if fx is None:
        return f"{company.listing_currency}1.00 per {company.currency}1"
    return f"{fx.per}{fmt.number(fx.rate, 2)} per {fx.unit}1"


def year_label(company: Company, year: int) -> str:
    """'2025' where a company table holds the year as an actual, else '2026E'."""
    for frame in company.tables.values():
        if str(year) in frame.columns:
            return str(year)
    return f"{year}E"


def versus_columns(frame: pd.DataFrame) -> list[str]:
    """Estimate years of an estimates-vs-consensus table, as '2026E', in column order."""
    years = []
    for column in frame.columns:
        match = VERSUS.match(str(column))
        if match and match.group(1) == "house":
            years.append(match.group(2))
    return [f"{y}E" for y in years]


# --- growth on a loss --------------------------------------------------------------------------

#: Shown where a growth rate or a difference has no meaning: the base is a loss or the sign
#: changes between the two values (growth "from" a loss reads as a number but says nothing).
NM = "NM"

#: growth_<what> rows -> the line items (first one a company has) holding what grows.
GROWTH_BASES: dict[str, tuple[str, ...]] = {
    "revenue": ("net_sales", "total_revenues"),
    "operating_profits": ("operating_income",),
    "pretax_profits": ("pre_tax_income", "profit_before_taxes"),
    "net_profits": ("reported_net_income", "net_income_to_parent"),
    "eps": ("reported_eps_rmb_published", "eps_for_consensus_rmb_published"),
}


def not_meaningful(current: float | None, prior: float | None) -> bool:
    """Whether growth from ``prior`` to ``current`` is NM: either is a loss (or zero)."""
    return current is not None and prior is not None and (current <= 0 or prior <= 0)


def _number(value: Any) -> float | None:
    """A cell as a float, None when empty."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)


def growth_base(company: Company, line_item: str) -> dict[str, float | None] | None:
    """Period -> value of what a ``growth_*`` row grows, from the company's own tables."""
    name = base_item(line_item).removeprefix("growth_")
    for ending in ("_pct",):
        name = name.removesuffix(ending)
    for item in GROWTH_BASES.get(name, ()):
        for frame in company.tables.values():
            if "line_item" not in frame.columns:
                continue
            rows = frame[frame["line_item"] == item]
            if not rows.empty:
                rec = rows.iloc[0]
                return {p: _number(rec[p]) for p in period_columns(frame)}
    return None


def nm_periods(
    periods: list[str], growth: Mapping[Any, Any], base: Mapping[str, float | None]
) -> set[str]:
    """The periods whose growth cell must read NM: the value grown, or the one it grew from,
    is a loss. The earlier value is the previous annual column when the table has it, else
    the one the published rate implies (value / (1 + rate)), whose sign is all that matters."""
    annual = sorted((p for p in base if ANNUAL.match(p)), key=sort_key)
    found: set[str] = set()
    for period in periods:
        current = base.get(period)
        if current is None:
            continue
        prior: float | None = None
        if period in annual and annual.index(period) > 0:
            prior = base.get(annual[annual.index(period) - 1])
        if prior is None:
            rate = _number(growth.get(period))
            if rate is not None and rate != -100.0:
                prior = current / (1.0 + rate / 100.0)
        if prior is None and current <= 0:
            prior = current  # a loss now: growth on or into it means nothing either way
        if not_meaningful(current, prior):
            found.add(period)
    return found
