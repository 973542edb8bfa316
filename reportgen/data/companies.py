"""Company folders under data/companies/<slug>/: identity, valuation inputs, statements."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pandas as pd

from reportgen.data.excel import workbook_tables
from reportgen.data.numbers import NumberRule
from reportgen.data.provenance import sourced
from reportgen.data.schemas import Column, TableSchema
from reportgen.data.sources import LocDict, line_of, read_csv, read_yaml
from reportgen.data.transcribed import transcription_problems
from reportgen.data.validate import validate_table
from reportgen.errors import DataError, Problem, ProblemList

COMPANIES_DIR = "companies"
SCENARIOS = ("bull", "base", "bear")

# --- Schemas of the files in a company folder (declared once, here) -------------------------

_NUM = NumberRule(percent=True, currency=True)
#: Money columns carry no currency in their names: amounts are in the company's reporting
#: currency (company.yaml ``currency``), millions.
_MN = "mn (reporting currency)"

RI_INPUTS = TableSchema(
    name="ri_inputs",
    path="ri_inputs.csv",
    description="Explicit forecast years feeding the residual-income model.",
    key=("year",),
    columns=(
        Column("year", "int", nullable=False, minimum=2000),
        Column("net_profit_mn", "number", nullable=False, unit=_MN, rule=_NUM),
        Column("total_equity_mn", "number", nullable=False, unit=_MN, rule=_NUM),
        Column("source", "str"),
    ),
)

RI_PUBLISHED = TableSchema(
    name="ri_published",
    path="ri_published.csv",
    description="The residual-income table as the source printed it (checked, never used).",
    key=("year",),
    columns=(
        Column("year", "int", nullable=False, minimum=2000),
        Column("total_equity_mn", "number", unit=_MN, rule=_NUM),
        Column("net_profit_mn", "number", unit=_MN, rule=_NUM),
        Column("roae_pct", "number", unit="%", rule=_NUM),
        Column("residual_income_mn", "number", unit=_MN, rule=_NUM),
        Column("spread_pct", "number", unit="%", rule=_NUM),
    ),
)

#: ri_summary_published.yaml: the printed RI summary (checked, never used). Amounts in the
#: reporting currency, mn; fx as valuation.fx states it; price_target in the listing currency.
RI_SUMMARY_KEYS = (
    "ending_equity_capital_mn",
    "pv_of_forecast_period_mn",
    "pv_of_continuing_value_mn",
    "equity_value_mn",
    "shares_mn",
    "fx",
    "price_target",
)

#: Optional: the share price history the rating-history and risk-reward charts draw under
#: their marks (without it they draw the published values alone).
PRICES = TableSchema(
    name="prices",
    path="prices.csv",
    description="Closing price history of a covered company (listing currency).",
    key=("date",),
    columns=(
        Column("date", "date", nullable=False),
        Column("close", "number", nullable=False, minimum=0, rule=NumberRule(currency=True)),
    ),
)

#: Period column names of statement tables: 2025, 2026E, 1H25, 2H26E, 1Q25, 4Q26E.
PERIOD = re.compile(r"^(\d{4}|[12]H\d{2}|[1-4]Q\d{2})E?$")
#: Estimates-vs-consensus columns: house_2026e, consensus_2026e, diff_pct_2026e_published.
VERSUS = re.compile(r"^(house|consensus|diff_pct)_\d{4}e(_published)?$")


@dataclass(frozen=True)
class PeriodTableSpec:
    """A wide table: a line_item column, then one numeric column per period."""

    path: str
    columns: re.Pattern[str]
    description: str
    required: bool = False


PERIOD_TABLES: dict[str, PeriodTableSpec] = {
    "income_statement": PeriodTableSpec("income_statement.csv", PERIOD, "Income statement"),
    "balance_sheet": PeriodTableSpec("balance_sheet.csv", PERIOD, "Balance sheet"),
    "cash_flow": PeriodTableSpec("cash_flow.csv", PERIOD, "Cash flow statement"),
    "ratios": PeriodTableSpec("ratios.csv", PERIOD, "Financial ratios"),
    "estimates_half_year": PeriodTableSpec(
        "estimates_half_year.csv", PERIOD, "Half-year and annual estimates"
    ),
    "estimates_quarterly": PeriodTableSpec(
        "estimates_quarterly.csv", PERIOD, "Quarterly and annual estimates"
    ),
    "estimates_vs_consensus": PeriodTableSpec(
        "estimates_vs_consensus.csv", VERSUS, "Estimates against consensus"
    ),
}

#: company.yaml: required keys and their kinds (str, number, date, list, mapping).
COMPANY_KEYS: dict[str, str] = {
    "name": "str",
    "short_name": "str",
    "ticker": "str",
    "exchange": "str",
    "currency": "str",
    "listing_currency": "str",
    "shares_mn": "number",
    "price": "number",
    "price_date": "date",
    "rating": "str",
    "price_target": "number",
    "valuation": "mapping",
    "scenarios": "mapping",
    "drivers": "list",
    "risks_upside": "list",
    "risks_downside": "list",
    "positives": "list",
    "concerns": "list",
}
VALUATION_KEYS: dict[str, str] = {
    "risk_free_pct": "number",
    "beta": "number",
    "erp_pct": "number",
    "cost_of_equity_pct_stated": "number",
    "cost_of_equity_pct_used": "number",
    "payout_pct": "number",
    "medium_term_growth_pct": "number",
    "terminal_growth_pct": "number",
    "explicit_years": "list",
    "through_year": "number",
    "first_year_ri": "str",
}
SCENARIO_KEYS: dict[str, str] = {"value": "number", "assumptions": "str"}
RATINGS = ("Overweight", "Equal-weight", "Underweight", "Not rated")
#: Currencies as reports print them, each with the ISO code also accepted in company.yaml.
CURRENCY_CODES: dict[str, str] = {
    "Rmb": "CNY",
    "HK$": "HKD",
    "US$": "USD",
    "NT$": "TWD",
    "S$": "SGD",
    "A$": "AUD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
}
CURRENCIES = tuple(CURRENCY_CODES)
#: A currency as written -> as printed: 'CNY', 'RMB', 'rmb' and 'Rmb' -> 'Rmb'; 'USD' -> 'US$'.
_CURRENCY_NAMES: dict[str, str] = {
    **{code.casefold(): shown for shown, code in CURRENCY_CODES.items()},
    **{shown.casefold(): shown for shown in CURRENCY_CODES},
}
#: An FX rate key: '<currency> per <currency>', e.g. 'HK$ per US$' (HK$7.8 buy US$1).
_FX_KEY = re.compile(r"^\s*(\S+)\s+per\s+(\S+?)\s*(?:1)?\s*$", re.IGNORECASE)


def currency_of(text: str) -> str | None:
    """The printed form of a currency written as a symbol or an ISO code, or None if unknown."""
    return _CURRENCY_NAMES.get(text.strip().casefold())


@dataclass(frozen=True)
class FxRate:
    """A rate as company.yaml states it: ``rate`` units of ``per`` for one ``unit``."""

    per: str  # e.g. HK$
    unit: str  # e.g. US$
    rate: float  # HK$7.8 per US$1


def parse_fx_key(key: str) -> tuple[str, str]:
    """('HK$', 'US$') from 'HK$ per US$' or 'HKD per USD'; ValueError naming what is wrong."""
    match = _FX_KEY.match(key)
    if not match:
        raise ValueError(f"'{key}' does not name a rate; write '<currency> per <currency>'")
    names = []
    for written in match.groups():
        shown = currency_of(written)
        if shown is None:
            raise ValueError(
                f"unknown currency '{written}' in '{key}'; expected one of "
                f"{', '.join(f'{c} ({k})' for c, k in CURRENCY_CODES.items())}"
            )
        names.append(shown)
    return names[0], names[1]


def model_per_listing(fx: FxRate, reporting: str, listing: str) -> float:
    """Reporting-currency units per listing-currency unit, from a rate stated either way.

    'Rmb per HK$: 0.88' with Rmb financials and an HK$ listing gives 0.88; 'HK$ per US$: 7.8'
    with US$ financials and an HK$ listing gives 1 / 7.8. ValueError if the pair is not the
    company's two currencies or the rate is not positive.
    """
    if fx.rate <= 0:
        raise ValueError(f"the rate must be positive, found {fx.rate:g}")
    if (fx.per, fx.unit) == (reporting, listing):
        return fx.rate
    if (fx.per, fx.unit) == (listing, reporting):
        return 1.0 / fx.rate
    raise ValueError(
        f"'{fx.per} per {fx.unit}' does not convert between the reporting currency "
        f"({reporting}) and the listing currency ({listing})"
    )


@dataclass(frozen=True)
class Scenario:
    """Bull, base or bear: value per share (listing currency), multiple and assumptions."""

    name: str
    value: float
    assumptions: str
    multiple_published: float | None = None
    multiple_basis: str = ""
    upside_pct_published: float | None = None


@dataclass(frozen=True)
class ValuationInputs:
    """Inputs of the residual-income model, as company.yaml states them."""

    risk_free_pct: float
    beta: float
    erp_pct: float
    cost_of_equity_pct_stated: float
    cost_of_equity_pct_used: float
    payout_pct: float
    payout_pct_fitted: float | None
    payout_used: str  # "stated" or "fitted"
    medium_term_growth_pct: float
    terminal_growth_pct: float
    explicit_years: tuple[int, ...]
    through_year: int
    first_year_ri: str  # "computed", "published" or "omitted"
    model_per_listing: float  # model-currency units per listing-currency unit (1.0 if same)
    exhibit: str = ""
    fx: FxRate | None = None  # the rate as stated (valuation.fx), None if one currency

    @property
    def payout_for_model(self) -> float:
        """The payout the published table used (fitted where the source's table needs it)."""
        if self.payout_used == "fitted" and self.payout_pct_fitted is not None:
            return self.payout_pct_fitted
        return self.payout_pct


@dataclass(frozen=True)
class Company:
    """One covered company: identity, price and rating, valuation inputs, tables and prose."""

    slug: str
    folder: str  # as shown in messages, e.g. data/companies/iluvatar
    name: str
    short_name: str
    ticker: str
    exchange: str
    currency: str
    listing_currency: str
    shares_mn: float
    price: float
    price_date: dt.date
    rating: str
    price_target: float
    valuation: ValuationInputs
    scenarios: Mapping[str, Scenario]
    drivers: tuple[str, ...]
    risks_upside: tuple[str, ...]
    risks_downside: tuple[str, ...]
    positives: tuple[str, ...]
    concerns: tuple[str, ...]
    key_products: tuple[Mapping[str, Any], ...]
    tables: Mapping[str, pd.DataFrame]
    ri_summary_published: Mapping[str, Any]
    raw: Mapping[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pd.DataFrame:
        """A copy of one of the company's tables (KeyError if the folder lacks it)."""
        return self.tables[name].copy()

    def has(self, name: str) -> bool:
        return name in self.tables


def _check_kinds(
    doc: Mapping[str, Any],
    spec: Mapping[str, str],
    shown: str,
    problems: ProblemList,
    prefix: str = "",
) -> None:
    for key, kind in spec.items():
        if key not in doc or doc[key] is None:
            problems.add(shown, getattr(doc, "line", None), prefix + key, "required key is missing")
            continue
        value = doc[key]
        ok = {
            "str": isinstance(value, str) and bool(value.strip()),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "list": isinstance(value, list),
            "mapping": isinstance(value, dict),
            "date": isinstance(value, str) and _is_date(value),
        }[kind]
        if not ok:
            expected = {
                "str": "text",
                "number": "a number",
                "list": "a list",
                "mapping": "a mapping",
                "date": "a date YYYY-MM-DD",
            }[kind]
            problems.add(
                shown, line_of(doc, key), prefix + key, f"expected {expected}, found {value!r}"
            )


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


def _example(spec: PeriodTableSpec) -> str:
    if spec.columns is PERIOD:
        return "2025, 2026E, 1H25, 4Q26E"
    return "house_2026e, consensus_2026e"


def _period_table(
    path: Path, shown: str, spec: PeriodTableSpec, glyphs: Set[int] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    raw = read_csv(path, shown)
    periods = [h for h in raw.header if h != "line_item"]
    problems: list[Problem] = []
    if not raw.header or raw.header[0] != "line_item":
        problems.append(
            Problem(
                shown,
                raw.header_line,
                raw.header[0] if raw.header else None,
                "the first column must be 'line_item'",
            )
        )
    for name in periods:
        if not spec.columns.match(name):
            problems.append(
                Problem(
                    shown,
                    raw.header_line,
                    name,
                    f"not a period column; expected names like {_example(spec)}",
                )
            )
    if problems:
        return pd.DataFrame(), problems
    schema = TableSchema(
        name=spec.path,
        path=spec.path,
        key=("line_item",),
        columns=(
            Column("line_item", "str", nullable=False, pattern=r"^[a-z][a-z0-9_]*$"),
            *(Column(p, "number", rule=_NUM) for p in periods),
        ),
    )
    return validate_table(raw, schema, glyphs=glyphs)


def _table(
    path: Path, shown: str, schema: TableSchema, glyphs: Set[int] | None = None
) -> tuple[pd.DataFrame, list[Problem]]:
    return validate_table(read_csv(path, shown), schema, glyphs=glyphs)


def fx_of(
    val: Mapping[str, Any], reporting: str, listing: str, shown: str
) -> tuple[FxRate | None, float]:
    """valuation.fx as (the stated rate, reporting units per listing unit); DataError if wrong.

    The form is one key naming both currencies, e.g. ``fx: {HK$ per US$: 7.8}`` (optionally
    with a ``note``); it is required exactly when the two currencies differ.
    """
    node = val.get("fx")
    line = line_of(val, "fx")

    def wrong(message: str, key: str = "valuation.fx", at: int | None = line) -> DataError:
        return DataError([Problem(shown, at, key, message)])

    if node is None:
        if reporting == listing:
            return None, 1.0
        raise wrong(
            f"the listing currency ({listing}) differs from the reporting currency "
            f"({reporting}): give the rate naming both, e.g. fx: {{{reporting} per {listing}: "
            "<rate>}"
        )
    if not isinstance(node, Mapping):
        raise wrong(f"expected a mapping like {{{reporting} per {listing}: <rate>}}")
    rates = [k for k in node if k != "note"]
    if reporting == listing:
        raise wrong(f"reporting and listing currency are both {reporting}: no rate is needed")
    if len(rates) != 1:
        raise wrong(
            f"expected one rate naming both currencies, e.g. {reporting} per {listing}: <rate>; "
            f"found {', '.join(map(str, rates)) or 'none'}"
        )
    key = str(rates[0])
    at = line_of(node, rates[0]) or line
    value = node[rates[0]]
    try:
        per, unit = parse_fx_key(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError(f"expected a number, found {value!r}")
        stated = FxRate(per, unit, float(value))
        return stated, model_per_listing(stated, reporting, listing)
    except ValueError as exc:
        raise wrong(str(exc), f"valuation.fx.{key}", at) from None


def load_company(folder: Path, shown: str, glyphs: Set[int] | None = None) -> Company:
    """Read and validate one company folder; every problem in it is reported at once.

    ``glyphs``: the shipped fonts' coverage, checked in text cells (validate_table).
    """
    problems = ProblemList()
    yaml_shown = f"{shown}/company.yaml"
    if not (folder / "company.yaml").is_file():
        raise DataError([Problem(yaml_shown, None, None, "file not found")])
    doc = read_yaml(folder / "company.yaml", yaml_shown)
    if not isinstance(doc, LocDict):
        raise DataError([Problem(yaml_shown, 1, None, "expected a mapping at the top level")])
    _check_kinds(doc, COMPANY_KEYS, yaml_shown, problems)
    problems.extend(transcription_problems(doc, yaml_shown))  # an update's retirement
    if isinstance(doc.get("valuation"), dict):
        _check_kinds(doc["valuation"], VALUATION_KEYS, yaml_shown, problems, "valuation.")
    scenarios: dict[str, Scenario] = {}
    raw_sc = doc.get("scenarios")
    if isinstance(raw_sc, dict):
        for name in SCENARIOS:
            sc = raw_sc.get(name)
            if not isinstance(sc, dict):
                problems.add(
                    yaml_shown, line_of(raw_sc), f"scenarios.{name}", "scenario is missing"
                )
                continue
            before = len(problems.items)
            _check_kinds(sc, SCENARIO_KEYS, yaml_shown, problems, f"scenarios.{name}.")
            if len(problems.items) == before:
                scenarios[name] = Scenario(
                    name=name,
                    value=sourced(
                        float(sc["value"]),
                        yaml_shown,
                        line_of(sc, "value"),
                        f"scenarios.{name}.value",
                    ),
                    assumptions=" ".join(sc["assumptions"].split()),
                    multiple_published=sc.get("multiple_published"),
                    multiple_basis=str(sc.get("multiple_basis", "")),
                    upside_pct_published=sc.get("upside_pct_published"),
                )
        for name in raw_sc:
            if name not in SCENARIOS:
                problems.add(
                    yaml_shown,
                    line_of(raw_sc, name),
                    f"scenarios.{name}",
                    f"unknown scenario; expected {', '.join(SCENARIOS)}",
                )
    if isinstance(doc.get("rating"), str) and doc["rating"] not in RATINGS:
        problems.add(
            yaml_shown,
            line_of(doc, "rating"),
            "rating",
            f"'{doc['rating']}' is not a stock rating; expected one of {', '.join(RATINGS)}",
        )
    currencies: dict[str, str] = {}
    for key in ("currency", "listing_currency"):
        if isinstance(doc.get(key), str):
            shown_currency = currency_of(doc[key])
            if shown_currency is None:
                problems.add(
                    yaml_shown,
                    line_of(doc, key),
                    key,
                    f"unknown currency '{doc[key]}'; expected one of "
                    f"{', '.join(f'{c} ({k})' for c, k in CURRENCY_CODES.items())}",
                )
            else:
                currencies[key] = shown_currency
    for key in ("shares_mn", "price", "price_target"):
        value = doc.get(key)
        if isinstance(value, (int, float)) and value <= 0:
            problems.add(yaml_shown, line_of(doc, key), key, f"must be positive, found {value}")

    tables: dict[str, pd.DataFrame] = {}
    # Tables mapped from the analyst's workbook (excel.yaml, data/excel.py) stand in for
    # their CSV files; a table given both ways is a problem there.
    mapped, found = workbook_tables(folder, shown, (RI_INPUTS, RI_PUBLISHED), PERIOD_TABLES)
    problems.extend(found)
    tables.update({name: frame for name, frame in mapped.items() if frame is not None})
    for schema in (RI_INPUTS, RI_PUBLISHED):
        if schema.name in mapped:
            continue
        path = folder / schema.path
        if not path.is_file():
            problems.add(f"{shown}/{schema.path}", None, None, "file not found (required)")
            continue
        try:
            frame, found = _table(path, f"{shown}/{schema.path}", schema, glyphs)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(found)
        tables[schema.name] = frame
    if (folder / PRICES.path).is_file():
        try:
            frame, found = _table(folder / PRICES.path, f"{shown}/{PRICES.path}", PRICES, glyphs)
        except DataError as exc:
            problems.extend(exc.problems)
        else:
            problems.extend(found)
            tables[PRICES.name] = frame.sort_values("date", kind="stable")
    for name, spec in PERIOD_TABLES.items():
        path = folder / spec.path
        if not path.is_file():
            continue
        try:
            frame, found = _period_table(path, f"{shown}/{spec.path}", spec, glyphs)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(found)
        tables[name] = frame
    summary: Mapping[str, Any] = {}
    summary_path = folder / "ri_summary_published.yaml"
    if summary_path.is_file():
        loaded = read_yaml(summary_path, f"{shown}/ri_summary_published.yaml")
        summary = dict(loaded) if isinstance(loaded, dict) else {}
        for key in summary:
            if key not in RI_SUMMARY_KEYS:
                problems.add(
                    f"{shown}/ri_summary_published.yaml",
                    line_of(loaded, key),
                    str(key),
                    f"unknown key; expected {', '.join(RI_SUMMARY_KEYS)} (amounts in the "
                    "reporting currency, mn; names carry no currency)",
                )
    problems.raise_if_any()

    val = doc["valuation"]
    reporting, listing = currencies["currency"], currencies["listing_currency"]
    fx, per_listing = fx_of(val, reporting, listing, yaml_shown)

    def cell(node: Any, key: str, path: str) -> Any:
        """A number of company.yaml, carrying its line and key path (data/provenance.py)."""
        return sourced(float(node[key]), yaml_shown, line_of(node, key), path)

    def vcell(key: str) -> Any:
        return cell(val, key, f"valuation.{key}")

    valuation = ValuationInputs(
        risk_free_pct=vcell("risk_free_pct"),
        beta=vcell("beta"),
        erp_pct=vcell("erp_pct"),
        cost_of_equity_pct_stated=vcell("cost_of_equity_pct_stated"),
        cost_of_equity_pct_used=vcell("cost_of_equity_pct_used"),
        payout_pct=vcell("payout_pct"),
        payout_pct_fitted=val.get("payout_pct_fitted"),
        payout_used=str(val.get("payout_used", "stated")),
        medium_term_growth_pct=vcell("medium_term_growth_pct"),
        terminal_growth_pct=vcell("terminal_growth_pct"),
        explicit_years=tuple(int(y) for y in val["explicit_years"]),
        through_year=int(val["through_year"]),
        first_year_ri=str(val["first_year_ri"]),
        model_per_listing=per_listing,
        exhibit=str(val.get("exhibit", "")),
        fx=fx,
    )
    return Company(
        slug=folder.name,
        folder=shown,
        name=doc["name"],
        short_name=doc["short_name"],
        ticker=doc["ticker"],
        exchange=doc["exchange"],
        currency=reporting,
        listing_currency=listing,
        shares_mn=cell(doc, "shares_mn", "shares_mn"),
        price=cell(doc, "price", "price"),
        price_date=dt.date.fromisoformat(doc["price_date"]),
        rating=doc["rating"],
        price_target=cell(doc, "price_target", "price_target"),
        valuation=valuation,
        scenarios=MappingProxyType(scenarios),
        drivers=tuple(doc["drivers"]),
        risks_upside=tuple(doc["risks_upside"]),
        risks_downside=tuple(doc["risks_downside"]),
        positives=tuple(" ".join(str(p).split()) for p in doc["positives"]),
        concerns=tuple(" ".join(str(p).split()) for p in doc["concerns"]),
        key_products=tuple(MappingProxyType(dict(p)) for p in doc.get("key_products") or []),
        tables=MappingProxyType(tables),
        ri_summary_published=MappingProxyType(summary),
        raw=MappingProxyType(dict(doc)),
    )


def load_companies(
    data_root: Path, shown_root: str, glyphs: Set[int] | None = None
) -> tuple[dict[str, Company], list[Problem]]:
    """Every company folder under data/companies, with all problems from all folders."""
    base = data_root / COMPANIES_DIR
    companies: dict[str, Company] = {}
    problems: list[Problem] = []
    if not base.is_dir():
        return companies, problems
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        try:
            companies[folder.name] = load_company(
                folder, f"{shown_root}/{COMPANIES_DIR}/{folder.name}", glyphs
            )
        except DataError as exc:
            problems.extend(exc.problems)
    return companies, problems
