"""Per-company exhibit builders: risk-reward, financials, estimates and the valuation.

Every builder takes ``params["company"]``, a folder name under data/companies. Values come
from the company's tables or from reportgen.models.company (computed), never from code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from reportgen import formatting as fmt
from reportgen.data.companies import Company
from reportgen.data.dataset import Dataset
from reportgen.data.schemas import Column, TableSchema
from reportgen.data.sources import read_csv
from reportgen.data.validate import validate_table
from reportgen.errors import DataError
from reportgen.figures.registry import (
    TableColumn,
    TableExhibit,
    TableGroup,
    TableRow,
    exhibit,
)
from reportgen.figures.style import (
    FULL_WIDTH_IN,
    GOLD,
    GREEN,
    GREY,
    LIGHT,
    NAVY,
    RED,
    TEAL,
    house_style,
    new_figure,
)
from reportgen.models.company import CompanyValuation, value_company
from reportgen.models.pricing import within_rounding

SOURCE = "Company data, Meridian Research estimates"
LABEL_SIZE = 6.5
SCENARIO_COLOURS = {"bull": GREEN, "base": NAVY, "bear": RED}
STATEMENTS = ("income_statement", "balance_sheet", "cash_flow", "ratios")
INTERIM_TABLES = ("estimates_half_year", "estimates_quarterly")
#: Year end of the covered companies' accounts unless company.yaml says otherwise (year_end).
DEFAULT_YEAR_END = "Dec"

ANNUAL = re.compile(r"^(\d{4})(E?)$")
INTERIM = re.compile(r"^([12])H(\d{2})(E?)$|^([1-4])Q(\d{2})(E?)$")
VERSUS = re.compile(r"^(house|consensus|diff_pct)_(\d{4})e(_published)?$")

PRICES = TableSchema(
    name="prices",
    path="prices.csv",
    description="Closing price history of a covered company (listing currency).",
    key=("date",),
    columns=(
        Column("date", "date", nullable=False),
        Column("close", "number", nullable=False, minimum=0),
    ),
)


# --- parameters and labels ---------------------------------------------------------------------


def _company(ds: Dataset, params: Mapping[str, Any]) -> Company:
    """The company named by ``params['company']``; KeyError listing the known slugs."""
    known = ", ".join(sorted(ds.companies)) or "none"
    if "company" not in params:
        raise KeyError(f"missing parameter 'company' (a folder under data/companies: {known})")
    slug = params["company"]
    if not isinstance(slug, str) or slug not in ds.companies:
        raise KeyError(f"unknown company {slug!r}; known: {known}")
    return ds.companies[slug]


def _table(company: Company, name: str) -> pd.DataFrame:
    """One of the company's tables; KeyError naming the file and what the folder has."""
    if not company.has(name):
        have = ", ".join(sorted(company.tables))
        raise KeyError(
            f"company '{company.slug}' has no {name} ({company.folder}/{name}.csv); "
            f"its tables: {have}"
        )
    return company.table(name)


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
#: Subtotals and totals, shown in bold by the template's "subtotal" mark.
SUBTOTALS = frozenset(
    {
        "net_sales",
        "total_revenues",
        "gross_profit",
        "total_opex",
        "operating_income",
        "pre_tax_income",
        "profit_before_taxes",
        "reported_net_income",
        "net_income_to_parent",
        "current_assets",
        "total_assets",
        "total_liabilities",
        "total_equity",
        "total_liabilities_and_equity",
        "cashflow_from_operations",
        "cashflow_from_investing",
        "cashflow_from_financing",
        "net_change_in_cash",
    }
)


def _base_item(line_item: str) -> str:
    """The line item without the ``_published`` suffix."""
    return line_item.removesuffix("_published")


def row_kind(line_item: str) -> str:
    """How a line's values are shown: 'money', 'pct', 'x' or 'days' (from its name)."""
    item = _base_item(line_item)
    for ending, _, kind in UNIT_ENDINGS:
        if item.endswith(ending):
            return kind
    return "money"


def line_label(line_item: str) -> str:
    """A readable label: 'net_sales' -> 'Net sales', 'cogs' -> 'Cost of goods sold'."""
    item = _base_item(line_item)
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
    """A percentage with negatives in parentheses: -6.3 -> '(6.3%)'."""
    text = fmt.number(value, dp, parens=True)
    if text == fmt.DASH:
        return text
    return f"({text[1:-1]}%)" if text.startswith("(") else f"{text}%"


def cell(value: Any, kind: str, dp: int = 1) -> str:
    """One financial-table cell by row kind, negatives in parentheses."""
    if value is None or (isinstance(value, float) and value != value):
        return fmt.DASH
    if kind == "pct":
        return pct_cell(float(value), dp)
    if kind == "x":
        return fmt.multiple(float(value), dp)
    return fmt.number(float(value), dp, parens=True)


def _period_columns(frame: pd.DataFrame) -> list[str]:
    """The period columns of a wide company table, in the file's order."""
    return [c for c in frame.columns if ANNUAL.match(str(c)) or INTERIM.match(str(c))]


def _is_estimate(label: str) -> bool:
    return label.endswith("E")


def _sort_key(label: str) -> tuple[int, int]:
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


def year_label(company: Company, year: int) -> str:
    """'2025' where a company table holds the year as an actual, else '2026E'."""
    for frame in company.tables.values():
        if str(year) in frame.columns:
            return str(year)
    return f"{year}E"


def _year_end(company: Company) -> str:
    return str(company.raw.get("year_end") or DEFAULT_YEAR_END)


# --- tables of period columns ------------------------------------------------------------------


def _period_exhibit(frame: pd.DataFrame, heading: str) -> TableExhibit:
    """A wide table as an exhibit: readable labels, period columns, parentheses for negatives."""
    periods = _period_columns(frame)
    columns = (TableColumn(heading, "", "left"), *(TableColumn(p) for p in periods))
    rows = []
    for rec in frame.sort_values("_line", kind="stable").to_dict("records"):
        item = str(rec["line_item"])
        kind = row_kind(item)
        marks = {"subtotal"} if item in SUBTOTALS else set()
        if item.endswith("_published"):
            marks.add("published")
        cells = [cell(rec[p], kind) for p in periods]
        rows.append(TableRow((line_label(item), *cells), frozenset(marks)))
    interim = [p for p in periods if INTERIM.match(p)]
    annual = [p for p in periods if ANNUAL.match(p)]
    header_groups: tuple[tuple[str, int], ...] = ()
    if interim and annual:
        kind = "Half-year" if INTERIM.match(interim[0]).group(1) else "Quarter"  # type: ignore[union-attr]
        header_groups = (("", 1), (kind, len(interim)), ("Year", len(annual)))
    elif any(_is_estimate(p) for p in periods) and not all(_is_estimate(p) for p in periods):
        actual = sum(1 for p in periods if not _is_estimate(p))
        if all(not _is_estimate(p) for p in periods[:actual]):
            header_groups = (("", 1), ("Actual", actual), ("Estimates", len(periods) - actual))
    all_notes = ["E = estimate. Negatives in parentheses."]
    if any(str(r).endswith("_published") for r in frame["line_item"]):
        all_notes.append(
            "Ratios, margins, growth rates and per-share rows are as published in the source."
        )
    return TableExhibit(
        columns=columns,
        groups=(TableGroup("", tuple(rows)),),
        notes=tuple(all_notes),
        header_groups=header_groups,
    )


@exhibit(
    "financial-statements",
    kind="table",
    title="Financial summary",
    source=SOURCE,
    tables=("companies/<slug>/income_statement", "balance_sheet", "cash_flow", "ratios"),
)
def financial_statements(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """One statement of a company (income, balance sheet, cash flow or ratios) by period."""
    company = _company(ds, params)
    statement = params.get("statement")
    if statement not in STATEMENTS:
        raise KeyError(
            f"parameter 'statement' must be one of {', '.join(STATEMENTS)}, got {statement!r}"
        )
    frame = _table(company, str(statement))
    unit = "" if statement == "ratios" else f"{company.currency} mn, "
    return _period_exhibit(frame, f"{unit}YE {_year_end(company)}")


def _interim_table(company: Company) -> tuple[str, pd.DataFrame]:
    """The half-year or quarterly estimates table; KeyError if the company has neither."""
    for name in INTERIM_TABLES:
        if company.has(name):
            return name, company.table(name)
    raise KeyError(
        f"company '{company.slug}' has no interim estimates: neither "
        f"{' nor '.join(f'{company.folder}/{n}.csv' for n in INTERIM_TABLES)}"
    )


def _versus_columns(frame: pd.DataFrame) -> list[str]:
    """Estimate years of an estimates-vs-consensus table, as '2026E', in column order."""
    years = []
    for column in frame.columns:
        match = VERSUS.match(str(column))
        if match and match.group(1) == "house":
            years.append(match.group(2))
    return [f"{y}E" for y in years]


def _versus_exhibit(company: Company, frame: pd.DataFrame) -> TableExhibit:
    """House, consensus and computed difference for each estimate year."""
    years = [y[:4] for y in _versus_columns(frame)]
    columns = [TableColumn(f"{company.currency} mn unless stated", "", "left")]
    for _ in years:
        columns += [TableColumn("House"), TableColumn("Consensus"), TableColumn("Diff.", "%")]
    rows = []
    differs: list[str] = []
    for rec in frame.sort_values("_line", kind="stable").to_dict("records"):
        item = str(rec["line_item"])
        kind = row_kind(item)
        dp = 2 if _base_item(item).endswith("_rmb") else (1 if kind == "pct" else 0)
        cells = [line_label(item)]
        marks: set[str] = set()
        for year in years:
            house, consensus = rec[f"house_{year}e"], rec[f"consensus_{year}e"]
            cells += [cell(house, kind, dp), cell(consensus, kind, dp)]
            diff = None
            if kind != "pct" and house == house and consensus == consensus and consensus:
                diff = 100.0 * (float(house) / float(consensus) - 1.0)
            cells.append(pct_cell(diff, 1))
            printed = rec.get(f"diff_pct_{year}e_published")
            known = diff is not None and printed is not None and printed == printed
            if known and not within_rounding(float(printed), diff, 0):  # type: ignore[arg-type]
                marks.add("differs")
                differs.append(
                    f"{line_label(item)} {year}E: printed {pct_cell(printed, 0)}, "
                    f"computed {pct_cell(diff, 1)}"
                )
        rows.append(TableRow(tuple(cells), frozenset(marks)))
    notes = [
        "Diff. = house / consensus - 1, computed. Margins as published. Negatives in parentheses."
    ]
    if differs:
        notes.append("Published difference disagrees with computed: " + "; ".join(differs) + ".")
    return TableExhibit(
        columns=tuple(columns),
        groups=(TableGroup("", tuple(rows)),),
        notes=tuple(notes),
        header_groups=(("", 1), *((f"{y}E", 3) for y in years)),
    )


@exhibit(
    "earnings-estimates",
    kind="table",
    title="Earnings estimates",
    source=SOURCE,
    tables=("estimates_half_year", "estimates_quarterly", "estimates_vs_consensus"),
)
def earnings_estimates(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Interim and annual estimates, or house against consensus, for one company."""
    company = _company(ds, params)
    wanted = params.get("table")
    choices = (*INTERIM_TABLES, "estimates_vs_consensus")
    if wanted is not None and wanted not in choices:
        raise KeyError(f"parameter 'table' must be one of {', '.join(choices)}, got {wanted!r}")
    names = [wanted] if wanted else [n for n in choices if company.has(n)]
    if not names:
        raise KeyError(
            f"company '{company.slug}' has no estimates table ({', '.join(choices)}) in "
            f"{company.folder}"
        )
    name = str(names[0])
    frame = _table(company, name)
    if name == "estimates_vs_consensus":
        return _versus_exhibit(company, frame)
    return _period_exhibit(frame, f"{company.currency} mn, YE {_year_end(company)}")


@exhibit(
    "key-products",
    kind="table",
    title="Key products",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml",),
)
def key_products(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """The company's key products: name, category and any further attributes given."""
    company = _company(ds, params)
    products = company.key_products
    if not products:
        raise KeyError(f"company '{company.slug}' lists no key_products in its company.yaml")
    keys = [
        k
        for k in dict.fromkeys(k for p in products for k in p)
        if k not in ("name", "source") and any(p.get(k) is not None for p in products)
    ]
    labels = {"manufacture": "Foundry", "node": "Process node"}
    columns = (
        TableColumn("Product", "", "left"),
        *(TableColumn(labels.get(k, k.replace("_", " ").capitalize()), "", "left") for k in keys),
    )
    rows = tuple(
        TableRow((str(p["name"]), *(str(p[k]) if p.get(k) is not None else fmt.DASH for k in keys)))
        for p in products
    )
    sources = list(dict.fromkeys(str(p["source"]) for p in products if p.get("source")))
    notes = (f"Sources: {'; '.join(sources)}.",) if sources else ()
    return TableExhibit(columns=columns, groups=(TableGroup("", rows),), notes=notes)


# --- the residual-income table -------------------------------------------------------------------


def _ri_notes(company: Company, val: CompanyValuation) -> list[str]:
    """Notes on how the first year and the cost of equity were taken."""
    first = year_label(company, val.ri.rows[0].year)
    notes = [
        "Computed from the explicit forecasts, rolled forward at the stated growth and "
        "payout; ROAE on average equity; spread = ROAE - cost of equity; residual income = "
        "spread x opening equity. Negatives in parentheses."
    ]
    if val.ri.first_year_basis == "supplied":
        notes.append(
            f"{first} residual income as published: the opening equity it needs is not given."
        )
    elif val.ri.first_year_basis == "omitted":
        notes.append(f"{first} residual income is left out, as in the source.")
    if abs(val.cost_of_equity_used_pct - val.cost_of_equity_stated_pct) > 1e-9:
        notes.append(
            f"The table uses a cost of equity of {fmt.pct(val.cost_of_equity_used_pct, 2)} "
            f"(stated {fmt.pct(val.cost_of_equity_stated_pct, 1)}; CAPM "
            f"{fmt.pct(val.cost_of_equity_capm_pct, 2)})."
        )
    return notes


@exhibit(
    "ri-valuation",
    kind="table",
    title="Residual income valuation",
    source=SOURCE,
    tables=("companies/<slug>/ri_inputs", "company.yaml"),
)
def ri_valuation(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """The computed residual-income table (years as columns) and its valuation summary."""
    company = _company(ds, params)
    val = value_company(company)
    ri = val.ri
    cur, listing = company.currency, company.listing_currency
    years = [year_label(company, r.year) for r in ri.rows]
    columns = (
        TableColumn(f"{cur} mn", "", "left"),
        *(TableColumn(y) for y in years),
    )
    lines = (
        ("Total equity, year end", [r.total_equity for r in ri.rows], "money"),
        ("Net profit", [r.net_profit for r in ri.rows], "money"),
        ("ROAE", [None if r.roae is None else 100 * r.roae for r in ri.rows], "pct"),
        ("Spread", [None if r.spread is None else 100 * r.spread for r in ri.rows], "pct"),
        ("Residual income", [r.residual_income for r in ri.rows], "money"),
    )
    body = tuple(
        TableRow((label, *(cell(v, kind, 0 if kind == "money" else 1) for v in values)))
        for label, values, kind in lines
    )
    blank = ("",) * (len(years) - 1)
    first, last = years[0], years[-1]
    summary = [
        ("Cost of equity", pct_cell(100 * ri.cost_of_equity, 1)),
        ("Terminal growth", pct_cell(100 * ri.terminal_growth, 1)),
        (f"Equity, end-{first} ({cur} mn)", cell(ri.ending_equity, "money", 0)),
        (
            f"PV of residual income, {first}-{years[-2]} ({cur} mn)",
            cell(ri.pv_forecast, "money", 0),
        ),
        (
            f"PV of continuing value from {last} ({cur} mn)",
            cell(ri.pv_continuing_value, "money", 0),
        ),
        (f"Equity value ({cur} mn)", cell(ri.equity_value, "money", 0)),
        ("Shares (mn)", cell(ri.shares_mn, "money", 0)),
        (f"Value per share ({cur})", cell(ri.value_per_share_model, "money", 2)),
    ]
    if listing != cur:
        summary.append(
            (
                f"Value per share ({listing}), at {cur}{fmt.number(ri.model_per_listing, 2)} "
                f"per {listing}1",
                cell(ri.value_per_share, "money", 2),
            )
        )
    summary.append((f"Published price target ({listing})", cell(val.target, "money", 2)))
    summary.append(("Model value vs target", pct_cell(100 * val.model_vs_target, 1)))
    rows = tuple(
        TableRow((label, value, *blank), frozenset({"summary"})) for label, value in summary
    )
    explicit = sum(1 for r in ri.rows if r.explicit)
    return TableExhibit(
        columns=columns,
        groups=(TableGroup("", body), TableGroup("Valuation", rows)),
        notes=tuple(_ri_notes(company, val)),
        header_groups=(
            ("", 1),
            ("Explicit forecast", explicit),
            ("Rolled forward", len(years) - explicit),
        ),
    )


# --- charts ----------------------------------------------------------------------------------


def _spread(values: Sequence[float], gap: float) -> list[float]:
    """Label positions for ``values`` nudged apart to at least ``gap``, order kept."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    placed = [0.0] * len(values)
    last = float("-inf")
    for i in order:
        placed[i] = max(values[i], last + gap)
        last = placed[i]
    return placed


def _price_history(ds: Dataset, company: Company) -> list[tuple[dt.date, float]]:
    """The optional data/companies/<slug>/prices.csv (date, close), oldest first."""
    path = ds.root / "companies" / company.slug / PRICES.path
    if not path.is_file():
        return []
    shown = f"{company.folder}/{PRICES.path}"
    frame, problems = validate_table(read_csv(path, shown), PRICES)
    if problems:
        raise DataError(problems)
    frame = frame.sort_values("date", kind="stable")
    return [(d, float(c)) for d, c in zip(frame["date"], frame["close"], strict=True)]


@exhibit(
    "risk-reward",
    kind="chart",
    title="Risk-reward: bull, base and bear values against the current price",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml",),
)
def risk_reward(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Current price, scenario values with computed up/downside, the published target."""
    company = _company(ds, params)
    val = value_company(company)
    cur = company.listing_currency
    history = _price_history(ds, company)
    scenarios = [val.scenarios[name] for name in ("bull", "base", "bear")]
    top = max([company.price, company.price_target, *(s.value for s in scenarios)])
    top = max([top, *(c for _, c in history)])
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 3.0)
        if history:
            xs = [mdates.date2num(d) for d, _ in history]
            ax.plot(xs, [c for _, c in history], color=GREY, lw=1.0, label="Share price")
            x0 = float(mdates.date2num(company.price_date))
            x1 = x0 + 365.0
            ax.xaxis_date()
        else:
            x0, x1 = 0.0, 1.0
        span = x1 - x0
        for sc in scenarios:
            colour = SCENARIO_COLOURS[sc.name]
            ax.plot([x0, x1], [company.price, sc.value], color=colour, lw=1.0, ls="--")
            ax.plot([x1], [sc.value], "o", color=colour, ms=6, zorder=3)
        spots = _spread([s.value for s in scenarios], top * 0.075)
        for sc, spot in zip(scenarios, spots, strict=True):
            multiple = (
                f", {fmt.multiple(sc.implied_ps, 0)} {sc.multiple_basis}"
                if sc.implied_ps is not None
                else ""
            )
            ax.annotate(
                f"{sc.name.capitalize()}: {fmt.money(sc.value, cur)} "
                f"({fmt.pct(100 * sc.upside, 1, signed=True)}{multiple})",
                (x1, sc.value),
                xytext=(x1 + 0.04 * span, spot),
                va="center",
                ha="left",
                fontsize=LABEL_SIZE,
                color=SCENARIO_COLOURS[sc.name],
                fontweight="bold",
            )
        left = min(xs[0], x0) if history else x0 - 0.55 * span
        target = company.price_target
        ax.plot([left, x1], [target, target], color=GOLD, lw=0.9, ls=":", zorder=1)
        ax.plot([x1], [target], "D", color=GOLD, ms=8, mfc="none", mew=1.2, zorder=4)
        ax.plot([x0], [company.price], "o", color=TEAL, ms=7, zorder=4)
        ax.annotate(
            f"Price {fmt.money(company.price, cur)}\n{company.price_date.day} "
            f"{company.price_date:%b %Y}",
            (x0, company.price),
            xytext=(-6, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=LABEL_SIZE,
            color=TEAL,
            fontweight="bold",
        )
        ax.set_xlim(left, x1 + 0.95 * span)
        ax.set_ylim(0, top * 1.15)
        ax.set_ylabel(f"{cur} per share")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
        if not history:
            ax.set_xticks([])
            ax.spines["bottom"].set_visible(False)
        handles = [
            Line2D([], [], marker="o", ls="", color=TEAL, label="Current price"),
            *([Line2D([], [], color=GREY, lw=1.0, label="Share price history")] if history else []),
            Line2D(
                [],
                [],
                marker="D",
                ls=":",
                mfc="none",
                color=GOLD,
                label=f"Price target (published): {fmt.money(target, cur)}",
            ),
        ]
        ax.legend(handles=handles, loc="upper left")
    return fig


def _bars_with_margin(
    ax: Axes,
    periods: Sequence[str],
    revenue: Sequence[float],
    margin: Sequence[float | None],
    currency: str,
) -> None:
    """Revenue bars (estimates hatched and lighter) with gross margin on a second axis."""
    xs = list(range(len(periods)))
    estimate = [_is_estimate(p) for p in periods]
    bars = ax.bar(
        xs,
        revenue,
        width=0.62,
        color=[LIGHT if e else NAVY for e in estimate],
        edgecolor=NAVY,
        linewidth=0.6,
        hatch=None,
    )
    for bar, e in zip(bars, estimate, strict=True):
        if e:
            bar.set_hatch("////")
    for x, v in zip(xs, revenue, strict=True):
        ax.annotate(
            fmt.number(v, 0, parens=True),
            (x, max(v, 0)),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=LABEL_SIZE,
            color="#333333",
        )
    high = max([*revenue, 0.0])
    ax.set_ylim(0, high * 1.9 if high > 0 else 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
    ax.set_xticks(xs, list(periods))
    ax.set_ylabel(f"Revenue, {currency} mn")
    bx = ax.twinx()
    points = [(x, 100 * m) for x, m in zip(xs, margin, strict=True) if m is not None]
    if points:
        bx.plot([x for x, _ in points], [m for _, m in points], "-o", color=GOLD, lw=1.4, ms=4)
        for x, m in points:
            bx.annotate(
                pct_cell(m, 1),
                (x, m),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
                color=GOLD,
                fontweight="bold",
            )
        low = min(0.0, *(m for _, m in points))
        peak = max(0.0, *(m for _, m in points))
        reach = (peak - low) or 1.0
        bx.set_ylim(low - 0.9 * reach, peak + 0.45 * reach)  # the line above the bars
        bx.set_yticks([t for t in bx.get_yticks() if low <= t <= peak + 0.45 * reach])
    bx.spines["right"].set_visible(True)
    bx.grid(False)
    bx.set_ylabel("Gross margin (%)")
    ax.legend(
        handles=[
            Patch(facecolor=NAVY, edgecolor=NAVY, label="Revenue, actual"),
            Patch(facecolor=LIGHT, edgecolor=NAVY, hatch="////", label="Revenue, estimate (E)"),
            Line2D([], [], color=GOLD, marker="o", label="Gross margin (rhs)"),
        ],
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=3,
    )


@exhibit(
    "revenue-margin",
    kind="chart",
    title="Revenue and gross margin",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml financials",),
)
def revenue_margin(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Annual revenue (estimates hatched) with the computed gross margin on a second axis."""
    company = _company(ds, params)
    val = value_company(company)
    periods = sorted(val.revenue, key=_sort_key)
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 2.8)
        _bars_with_margin(
            ax,
            periods,
            [val.revenue[p] for p in periods],
            [val.gross_margin.get(p) for p in periods],
            company.currency,
        )
    return fig


REVENUE_ITEMS = ("total_revenues", "net_sales", "revenue")


def _line(frame: pd.DataFrame, items: Sequence[str], shown: str) -> pd.Series:
    """The first of ``items`` present in a wide table, as a row; KeyError otherwise."""
    for item in items:
        rows = frame[frame["line_item"] == item]
        if not rows.empty:
            return rows.iloc[0]
    raise KeyError(f"{shown} has no line_item {' or '.join(items)}")


@exhibit(
    "interim-estimates",
    kind="chart",
    title="Interim revenue and gross margin",
    source=SOURCE,
    tables=("estimates_half_year", "estimates_quarterly"),
)
def interim_estimates(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Half-year or quarterly revenue (estimates hatched) and computed gross margin."""
    company = _company(ds, params)
    name, frame = _interim_table(company)
    shown = f"{company.folder}/{name}.csv"
    periods = [p for p in _period_columns(frame) if INTERIM.match(p)]
    revenue = _line(frame, REVENUE_ITEMS, shown)
    gross = _line(frame, ("gross_profit",), shown)
    values = [float(revenue[p]) for p in periods]
    margins = [
        float(gross[p]) / float(revenue[p]) if revenue[p] and gross[p] == gross[p] else None
        for p in periods
    ]
    with house_style():
        fig, ax = new_figure(FULL_WIDTH_IN, 2.8)
        _bars_with_margin(ax, periods, values, margins, company.currency)
    return fig


@exhibit(
    "estimates-vs-consensus",
    kind="chart",
    title="House estimates against consensus",
    source="Company data, consensus data, Meridian Research estimates",
    tables=("companies/<slug>/estimates_vs_consensus",),
)
def estimates_vs_consensus(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """House and consensus by year for net sales and net income, with computed differences."""
    company = _company(ds, params)
    frame = _table(company, "estimates_vs_consensus")
    shown = f"{company.folder}/estimates_vs_consensus.csv"
    items = params.get("line_items") or ["net_sales_rmb_mn", "net_income_rmb_mn"]
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise KeyError(f"parameter 'line_items' must be a list of line items, got {items!r}")
    rows = [_line(frame, (item,), shown) for item in items]
    years = [y[:4] for y in _versus_columns(frame)]
    with house_style():
        fig, ax0 = new_figure(FULL_WIDTH_IN, 2.6)
        ax0.remove()
        axes = list(fig.subplots(1, len(rows), squeeze=False).flat)
        for ax, item, row in zip(axes, items, rows, strict=True):
            xs = list(range(len(years)))
            house = [float(row[f"house_{y}e"]) for y in years]
            cons = [float(row[f"consensus_{y}e"]) for y in years]
            width = 0.36
            ax.bar([x - width / 2 for x in xs], house, width, color=NAVY, label="House")
            ax.bar([x + width / 2 for x in xs], cons, width, color=GREY, label="Consensus")
            for x, h, c in zip(xs, house, cons, strict=True):
                for dx, v in ((-width / 2, h), (width / 2, c)):
                    ax.annotate(
                        fmt.number(v, 0, parens=True),
                        (x + dx, max(v, 0)),
                        xytext=(0, 2),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=5.8,
                        color="#333333",
                    )
                if c:
                    ax.annotate(
                        pct_cell(100 * (h / c - 1), 1),
                        (x, max(h, c, 0)),
                        xytext=(0, 12),
                        textcoords="offset points",
                        ha="center",
                        va="bottom",
                        fontsize=LABEL_SIZE,
                        color=TEAL,
                        fontweight="bold",
                    )
            high = max([*house, *cons, 0.0])
            ax.set_ylim(0, high * 1.3 if high > 0 else 1)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
            ax.set_xticks(xs, [f"{y}E" for y in years])
            ax.set_title(
                f"{line_label(item)}, {company.currency} mn", loc="left", fontweight="bold"
            )
        axes[0].legend(loc="upper left")
        fig.supxlabel(
            "Teal: house / consensus - 1 (computed)", fontsize=LABEL_SIZE, color="#555555"
        )
    return fig


@exhibit(
    "valuation-bridge",
    kind="chart",
    title="Residual income valuation: from equity to value per share",
    source=SOURCE,
    tables=("companies/<slug>/ri_inputs", "company.yaml"),
)
def valuation_bridge(ds: Dataset, params: Mapping[str, Any]) -> Figure:
    """Waterfall to equity value (computed), then value per share against the target."""
    company = _company(ds, params)
    val = value_company(company)
    ri = val.ri
    cur, listing = company.currency, company.listing_currency
    years = [year_label(company, r.year) for r in ri.rows]
    steps = [
        (f"Equity,\nend-{years[0]}", ri.ending_equity),
        (f"PV of RI,\n{years[0]}-{years[-2]}", ri.pv_forecast),
        (f"PV of continuing\nvalue ({years[-1]})", ri.pv_continuing_value),
    ]
    with house_style():
        fig, ax0 = new_figure(FULL_WIDTH_IN, 2.8)
        ax0.remove()
        ax, bx = fig.subplots(1, 2, width_ratios=[2.6, 1])
        level = 0.0
        for i, (_, amount) in enumerate(steps):
            bottom = level if amount >= 0 else level + amount
            colour = NAVY if i == 0 else (TEAL if amount >= 0 else RED)
            ax.bar([i], [abs(amount)], bottom=bottom, width=0.6, color=colour)
            ax.annotate(
                fmt.number(amount, 0, parens=True),
                (i, bottom + abs(amount)),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
            )
            new = level + amount
            ax.plot([i + 0.3, i + 0.7], [new, new], color=GREY, lw=0.6)
            level = new
        total = len(steps)
        ax.bar([total], [ri.equity_value], width=0.6, color=GOLD)
        ax.annotate(
            fmt.number(ri.equity_value, 0, parens=True),
            (total, ri.equity_value),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=LABEL_SIZE,
            fontweight="bold",
        )
        ax.set_xticks(range(total + 1), [s for s, _ in steps] + ["Equity\nvalue"], fontsize=6.5)
        ax.set_ylim(min(0.0, level) * 1.1, max(ri.equity_value, level) * 1.15)
        ax.set_ylabel(f"{cur} mn")
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.number(v, 0)))
        ax.set_title("Equity value", loc="left", fontweight="bold")
        values = [ri.value_per_share, val.target]
        colours = [GOLD, GREY]
        bx.bar([0, 1], values, width=0.6, color=colours)
        for x, v in zip((0, 1), values, strict=True):
            bx.annotate(
                fmt.money(v, listing),
                (x, v),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=LABEL_SIZE,
            )
        bx.set_xticks([0, 1], ["Model", "Published\ntarget"], fontsize=6.5)
        bx.set_ylim(0, max(values) * 1.35)
        per = f"/ {fmt.number(ri.shares_mn, 0)}mn shares"
        if listing != cur:
            per += f"\n/ {cur}{fmt.number(ri.model_per_listing, 2)} per {listing}1"
        bx.set_title(f"Per share, {listing}", loc="left", fontweight="bold")
        bx.text(
            0.5,
            0.97,
            f"{per}\nmodel vs target {pct_cell(100 * val.model_vs_target, 1)}",
            transform=bx.transAxes,
            ha="center",
            va="top",
            fontsize=6,
            color="#555555",
        )
    return fig
