"""From a Company to its computed valuation: RI model, upside, scenarios, implied multiples.

Conventions (exhibits.md section 4): the residual-income table discounts the first
explicit year's residual income by (1 + k)^0 (undiscounted) and year ``first + i`` by
(1 + k)^i; the last year (2037E) goes to the continuing value, discounted by
(1 + k)^(last - first). Rates are fractions unless a name ends in ``_pct``.

Where revenue, gross profit and net profit are kept is declared in each company.yaml
(``financials:``), e.g. ``revenue: {table: income_statement, line_item: net_sales}``.
Only annual periods are read: columns ``2025`` and ``2026E``, and for
estimates_vs_consensus the ``house_2026e`` columns (mapped to ``2026E``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from reportgen.data.companies import Company
from reportgen.data.dataset import Dataset
from reportgen.data.provenance import derived
from reportgen.data.sources import line_of
from reportgen.data.transcribed import retired
from reportgen.errors import DataError, Problem
from reportgen.formatting import is_nm
from reportgen.models import valuation as v
from reportgen.models.valuation import RIValuation

#: Model value vs published target: warn beyond 0.5% (the issue's bound; the remaining gap
#: comes from inputs and share counts printed rounded).
TARGET_TOLERANCE: float = 0.005

#: The financials block: metric -> required? (total_equity only when the first year's RI
#: is computed from the opening equity).
FINANCIAL_KEYS: dict[str, bool] = {
    "revenue": True,
    "gross_profit": True,
    "net_profit": True,
    "total_equity": False,
    "book_value": False,  # for P/B: shareholders' equity without minorities, if it differs
    "ebitda": False,  # for EV/EBITDA
    "net_debt": False,  # for EV bases: debt less cash (negative for net cash)
    "minorities": False,  # minority interests on the balance sheet, added to EV if declared
}
#: Annual period columns: "2025", "2026E"; estimates-vs-consensus house columns "house_2026e".
_ANNUAL = re.compile(r"^(\d{4})(E?)$")
_HOUSE = re.compile(r"^house_(\d{4})e$")
#: A scenario's multiple basis: a name of BASES and a year, e.g. "P/B 2026e", "EV/EBITDA 2027e".
_BASIS = re.compile(r"^\s*(\S+)\s+(\d{4})[eE]?\s*$")
#: Multiple bases: name -> (the financials metric divided into, on enterprise value?).
#: P/x divide the equity value (value per share x shares); EV/x divide the enterprise value,
#: equity value + net debt + minorities (see enterprise_value_mn).
BASES: dict[str, tuple[str, bool]] = {
    "P/E": ("net_profit", False),
    "P/S": ("revenue", False),
    "P/B": ("total_equity", False),
    "EV/EBITDA": ("ebitda", True),
    "EV/S": ("revenue", True),
}


@dataclass(frozen=True)
class ScenarioValue:
    """One scenario's value per share with its computed upside and implied P/S."""

    name: str  # bull | base | bear
    value: float  # per share, listing currency (as published in company.yaml)
    upside: float  # value / price - 1 (fraction), computed
    # The multiple its basis names (P/E, P/S, P/B, EV/EBITDA, EV/S) at the value; NM
    # (formatting.NOT_MEANINGFUL) on a loss, negative book or EBITDA; None without a basis.
    implied_multiple: float | None
    multiple_published: float | None
    multiple_basis: str
    assumptions: str
    on_ev: bool = False  # the basis divides the enterprise value (EV/EBITDA, EV/S)

    @property
    def nm(self) -> bool:
        """Whether the implied multiple means nothing (a loss, negative book or EBITDA)."""
        return is_nm(self.implied_multiple)


@dataclass(frozen=True)
class CompanyValuation:
    """A company's computed valuation next to the analyst's published target."""

    slug: str
    ri: RIValuation
    cost_of_equity_used_pct: float  # what the published table used
    cost_of_equity_stated_pct: float
    cost_of_equity_capm_pct: float  # rf + beta x ERP
    target: float  # the analyst's published target (listing currency): what reports show
    model_value: float  # ri.value_per_share (listing currency), computed
    model_vs_target: float  # model_value / target - 1
    upside: float  # target / price - 1
    scenarios: Mapping[str, ScenarioValue]  # bull, base, bear in that order
    implied_ps: float | None  # target-implied P/S on the first explicit year's revenue
    implied_pe: float | None  # target-implied P/E on the first explicit year's net profit
    revenue: Mapping[str, float]  # annual revenue, model currency mn, by period label
    net_profit: Mapping[str, float]  # annual net profit, model currency mn, by period label
    gross_margin: Mapping[str, float]  # annual gross margin (fraction), computed
    payout_used_pct: float = 0.0  # the payout the roll-forward uses (stated or fitted)
    # Decimals every page prints these rates with, so each prints one way throughout: the
    # cost of equity with as many as the value the model uses carries (8.36 -> 2, 8.3 -> 1);
    # payouts with one at least, as a fitted payout needs (32.5; 26 prints 26.0).
    cost_of_equity_dp: int = 1
    payout_dp: int = 1


def carried_decimals(value: float, most: int = 4) -> int:
    """The decimals a rate as given carries: 8.36 -> 2, 8.30 (read as 8.3) -> 1, 26.0 -> 0."""
    for dp in range(most + 1):
        if abs(round(value, dp) - value) < 1e-9:
            return dp
    return most


# --- reading the declared financials --------------------------------------------------------


def _yaml_path(company: Company) -> str:
    """The company.yaml path as shown in messages."""
    return f"{company.folder}/company.yaml"


def _error(company: Company, line: int | None, key: str, message: str) -> DataError:
    """A DataError located in the company's company.yaml."""
    return DataError([Problem(_yaml_path(company), line, key, message)])


def _financials_block(company: Company) -> Mapping[str, Any]:
    """The financials: block of company.yaml (DataError if missing or not a mapping)."""
    block = company.raw.get("financials")
    if not isinstance(block, Mapping):
        raise _error(
            company,
            None,
            "financials",
            "expected a mapping naming, for revenue, gross_profit and net_profit, the table "
            "and line_item holding them, e.g. revenue: {table: income_statement, "
            "line_item: net_sales}",
        )
    return block


def annual_label(column: str) -> str | None:
    """'2026E' -> '2026E', '2025' -> '2025', 'house_2026e' -> '2026E'; else None."""
    match = _ANNUAL.match(column)
    if match:
        return match.group(1) + match.group(2)
    match = _HOUSE.match(column)
    if match:
        return f"{match.group(1)}E"
    return None


def annual_series(frame: pd.DataFrame, line_item: str) -> dict[str, float]:
    """One line item's annual values by period label (empty cells left out)."""
    rows = frame.loc[frame["line_item"] == line_item]
    if rows.empty:
        raise KeyError(line_item)
    row = rows.iloc[0]
    out: dict[str, float] = {}
    for column in frame.columns:
        label = annual_label(str(column))
        value = row[column]
        if label is not None and value is not None and not pd.isna(value):
            out[label] = float(value)
    return out


def financial_series(company: Company, metric: str) -> dict[str, float]:
    """Annual values of a declared metric (revenue, gross_profit, net_profit, total_equity)."""
    block = _financials_block(company)
    spec = block.get(metric)
    key = f"financials.{metric}"
    if spec is None:
        if FINANCIAL_KEYS.get(metric, False):
            raise _error(company, line_of(block), key, "required key is missing")
        return {}
    line = line_of(block, metric)
    if not isinstance(spec, Mapping) or not {"table", "line_item"} <= set(spec):
        raise _error(
            company, line, key, f"expected {{table: <name>, line_item: <name>}}, found {spec!r}"
        )
    table, item = str(spec["table"]), str(spec["line_item"])
    if not company.has(table) or "line_item" not in company.tables[table].columns:
        raise _error(
            company,
            line,
            f"{key}.table",
            f"table '{table}' is not in {company.folder}; expected one of "
            f"{', '.join(n for n in sorted(company.tables) if not n.startswith('ri_'))}",
        )
    try:
        series = annual_series(company.tables[table], item)
    except KeyError:
        raise _error(
            company, line, f"{key}.line_item", f"line_item '{item}' is not in table '{table}'"
        ) from None
    if not series:
        raise _error(
            company,
            line,
            key,
            f"'{table}' / '{item}' has no annual values (columns like 2025, 2026E, house_2026e)",
        )
    return series


def gross_margins(
    revenue: Mapping[str, float], gross_profit: Mapping[str, float]
) -> dict[str, float]:
    """Gross profit / revenue for each period with both (fractions)."""
    return {
        p: gross_profit[p] / revenue[p] for p in revenue if p in gross_profit and revenue[p] != 0
    }


def period_value(series: Mapping[str, float], year: int) -> float | None:
    """The value of ``year`` as an estimate ('2026E') or an actual ('2026'), if given."""
    for label in (f"{year}E", str(year)):
        if label in series:
            return series[label]
    return None


# --- the valuation ---------------------------------------------------------------------------


def ri_rows(company: Company) -> tuple[tuple[int, float, float], ...]:
    """Explicit rows from ri_inputs, rolled forward with the stated growth and used payout."""
    inputs = company.tables["ri_inputs"]
    val = company.valuation
    return v.roll_forward_ri_inputs(
        [int(y) for y in inputs["year"]],
        [float(p) for p in inputs["net_profit_mn"]],
        [float(e) for e in inputs["total_equity_mn"]],
        growth=val.medium_term_growth_pct / 100.0,
        payout=val.payout_for_model / 100.0,
        through_year=val.through_year,
    )


def _first_year_args(company: Company, first_year: int) -> dict[str, float]:
    """Opening equity or supplied first-year RI, as valuation.first_year_ri says."""
    basis = company.valuation.first_year_ri
    vline = line_of(company.raw.get("valuation"), "first_year_ri")
    if basis == "omitted":
        return {}
    if basis == "published":
        published = company.tables["ri_published"]
        row = published.loc[published["year"] == first_year]
        value = row["residual_income_mn"].iloc[0] if not row.empty else None
        if value is None or pd.isna(value):
            raise _error(
                company,
                vline,
                "valuation.first_year_ri",
                f"'published' needs the {first_year} residual income in ri_published.csv",
            )
        return {"first_year_ri": float(value)}
    if basis == "computed":
        opening = period_value(financial_series(company, "total_equity"), first_year - 1)
        if opening is None:
            raise _error(
                company,
                vline,
                "valuation.first_year_ri",
                f"'computed' needs the {first_year - 1} equity: declare "
                "financials.total_equity {table, line_item} holding it",
            )
        return {"opening_equity": opening}
    raise _error(
        company,
        vline,
        "valuation.first_year_ri",
        f"'{basis}' is not a basis; expected computed, published or omitted",
    )


def ri_valuation(company: Company) -> RIValuation:
    """The residual-income valuation at the cost of equity the published table used."""
    val = company.valuation
    rows = ri_rows(company)
    return v.residual_income_valuation(
        rows,
        val.cost_of_equity_pct_used / 100.0,
        val.terminal_growth_pct / 100.0,
        company.shares_mn,
        explicit_years=len(val.explicit_years),
        model_per_listing=val.model_per_listing,
        **_first_year_args(company, rows[0][0]),
    )


def basis_year(basis: str) -> tuple[str, int]:
    """(name, year) of a multiple basis: 'P/B 2026e' -> ('P/B', 2026), 'ev/ebitda 2027' ->
    ('EV/EBITDA', 2027); ValueError naming the bases known for anything else."""
    match = _BASIS.match(basis or "")
    name = match.group(1).upper() if match else None
    if match is None or name not in BASES:
        raise ValueError(
            f"'{basis}' is not a multiple basis; expected one of {', '.join(BASES)} and a "
            "year, e.g. 'P/B 2026e'"
        )
    return name, int(match.group(2))


def implied_on(
    company: Company, value: float, series: Mapping[str, float], year: int
) -> float | None:
    """Value per share (listing currency) x shares / the metric of ``year``; None if <= 0."""
    metric = period_value(series, year)
    if metric is None or metric <= 0:
        return None
    return v.implied_multiple(value, company.shares_mn, metric, company.valuation.model_per_listing)


def balance_at(series: Mapping[str, float], year: int) -> float | None:
    """A balance for an EV at ``year``: the latest actual (reported) year-end at or before
    it, else the earliest estimate; None if the series is empty."""
    actual = sorted(int(p) for p in series if p.isdigit() and int(p) <= year)
    if actual:
        return series[str(actual[-1])]
    estimates = sorted(p for p in series if p.endswith("E"))
    return series[estimates[0]] if estimates else None


def enterprise_value_mn(company: Company, value: float, year: int) -> float:
    """EV at a value per share, reporting currency mn: equity value (value x shares,
    converted) + net debt + minorities, each balance the latest reported year-end at or
    before ``year`` (else the earliest estimate). Net debt must be declared
    (financials.net_debt); minorities are added where declared (financials.minorities)."""
    net_debt = balance_at(financial_series(company, "net_debt"), year)
    if net_debt is None:
        block = _financials_block(company)
        raise _error(
            company,
            line_of(block),
            "financials.net_debt",
            "an EV basis needs net debt: declare financials.net_debt {table, line_item} "
            "(debt less cash, negative for net cash)",
        )
    minorities = balance_at(financial_series(company, "minorities"), year) or 0.0
    equity = value * company.shares_mn * company.valuation.model_per_listing
    return v.enterprise_value(equity, net_debt, minorities)


def implied_basis_multiple(company: Company, value: float, basis: str, year: int) -> float:
    """The multiple ``basis`` names at a value per share (listing currency): the equity
    value (or EV) / the metric of ``year`` (financials, reporting currency mn); NM
    (formatting.NOT_MEANINGFUL) where the metric is a loss, zero or negative, or the EV is
    not positive. DataError (company.yaml, financials) when the metric is not declared or
    has no value for the year."""
    metric_name, on_ev = BASES[basis]
    series = book_value_series(company) if metric_name == "total_equity" else None
    if series is None:
        series = financial_series(company, metric_name)
    metric = period_value(series, year)
    if metric is None:
        block = company.raw.get("financials")
        raise _error(
            company,
            line_of(block, metric_name) if isinstance(block, Mapping) else None,
            f"financials.{metric_name}",
            f"{basis} {year} needs the {year} {metric_name.replace('_', ' ')}: declare "
            f"financials.{metric_name} {{table, line_item}} with a {year} or {year}E column",
        )
    if on_ev:
        return v.ev_multiple(enterprise_value_mn(company, value, year), metric)
    return v.equity_multiple(value, company.shares_mn, metric, company.valuation.model_per_listing)


def book_value_series(company: Company) -> dict[str, float]:
    """Year-end shareholders' equity for P/B: financials.book_value where declared (equity
    without minorities, which EV bases add separately), else financials.total_equity, else
    ri_inputs' total_equity_mn (the explicit years, as estimates)."""
    for metric in ("book_value", "total_equity"):
        declared = financial_series(company, metric)
        if declared:
            return declared
    inputs = company.tables["ri_inputs"]
    return {
        f"{int(y)}E": float(e)
        for y, e in zip(inputs["year"], inputs["total_equity_mn"], strict=True)
    }


def scenario_values(company: Company) -> dict[str, ScenarioValue]:
    """Bull, base and bear with computed upside and the multiple their basis names.

    An unknown basis is a located error (company.yaml, scenarios.<name>.multiple_basis),
    never read as another basis.
    """
    out: dict[str, ScenarioValue] = {}
    raw = company.raw.get("scenarios")
    for name in ("bull", "base", "bear"):
        sc = company.scenarios[name]
        implied: float | None = None
        on_ev = False
        if sc.multiple_basis.strip():
            try:
                basis, year = basis_year(sc.multiple_basis)
            except ValueError as exc:
                node = raw.get(name) if isinstance(raw, Mapping) else None
                raise _error(
                    company,
                    line_of(node, "multiple_basis"),
                    f"scenarios.{name}.multiple_basis",
                    str(exc),
                ) from None
            implied = implied_basis_multiple(company, sc.value, basis, year)
            on_ev = BASES[basis][1]
        out[name] = ScenarioValue(
            name=name,
            value=sc.value,
            upside=derived(
                v.upside(company.price, sc.value), "value / price - 1", sc.value, company.price
            ),
            implied_multiple=implied,
            multiple_published=(
                None if sc.multiple_published is None else float(sc.multiple_published)
            ),
            multiple_basis=sc.multiple_basis,
            assumptions=sc.assumptions,
            on_ev=on_ev,
        )
    return out


def value_company(company: Company) -> CompanyValuation:
    """Compute a company's valuation from its data (the published target is kept as is)."""
    val = company.valuation
    revenue = financial_series(company, "revenue")
    gross = financial_series(company, "gross_profit")
    profit = financial_series(company, "net_profit")
    ri = ri_valuation(company)
    first = val.explicit_years[0]
    return CompanyValuation(
        slug=company.slug,
        ri=ri,
        cost_of_equity_used_pct=val.cost_of_equity_pct_used,
        cost_of_equity_stated_pct=val.cost_of_equity_pct_stated,
        cost_of_equity_capm_pct=v.capm_cost_of_equity(val.risk_free_pct, val.beta, val.erp_pct),
        target=company.price_target,
        model_value=ri.value_per_share,
        model_vs_target=ri.value_per_share / company.price_target - 1.0,
        upside=derived(
            v.upside(company.price, company.price_target),
            "price_target / price - 1",
            company.price_target,
            company.price,
        ),
        scenarios=MappingProxyType(scenario_values(company)),
        implied_ps=implied_on(company, company.price_target, revenue, first),
        implied_pe=implied_on(company, company.price_target, profit, first),
        revenue=MappingProxyType(revenue),
        net_profit=MappingProxyType(profit),
        gross_margin=MappingProxyType(gross_margins(revenue, gross)),
        payout_used_pct=val.payout_for_model,
        cost_of_equity_dp=carried_decimals(val.cost_of_equity_pct_used),
        payout_dp=max(1, carried_decimals(val.payout_for_model)),
    )


def value_all(ds: Dataset) -> dict[str, CompanyValuation]:
    """Every company's valuation, by slug in sorted order."""
    return {slug: value_company(ds.companies[slug]) for slug in sorted(ds.companies)}


# --- warnings ---------------------------------------------------------------------------------


def yaml_key_line(
    company: Company, key: str, root: Path | None = None, filename: str = "company.yaml"
) -> int | None:
    """File line of a top-level key of a YAML file in the company folder.

    Company.raw keeps no top-level positions, so the line is read from the file's text
    (under ``root``, the data folder) when it cannot be taken from positions.
    """
    if filename == "company.yaml":
        line = line_of(company.raw, key)
        if line is not None:
            return line
    if root is None:
        return None
    path = root / "companies" / company.slug / filename
    if not path.is_file():
        return None
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if pattern.match(text):
            return number
    return None


def target_warning(
    company: Company, valuation: CompanyValuation, root: Path | None = None
) -> Problem | None:
    """A located Problem when the model value is off the published target beyond tolerance
    (none once an analyst's update retired the transcribed source: the target is the house's)."""
    if abs(valuation.model_vs_target) <= TARGET_TOLERANCE or retired(company.raw) is not None:
        return None
    cur = company.listing_currency
    return Problem(
        _yaml_path(company),
        yaml_key_line(company, "price_target", root),
        "price_target",
        f"published target {cur}{valuation.target:,.2f} differs from the model value "
        f"{cur}{valuation.model_value:,.2f} by {100 * valuation.model_vs_target:+.2f}% "
        f"(tolerance {100 * TARGET_TOLERANCE:.1f}%); reports show the published target",
    )


def target_warnings(ds: Dataset) -> list[Problem]:
    """One located Problem per company whose model value is off its target beyond tolerance."""
    found: list[Problem] = []
    for slug, valuation in value_all(ds).items():
        problem = target_warning(ds.companies[slug], valuation, ds.root)
        if problem is not None:
            found.append(problem)
    return found
