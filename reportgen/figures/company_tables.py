"""Company table exhibits: financial statements, estimates, key products and the RI valuation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from reportgen import formatting as fmt
from reportgen.data.companies import Company
from reportgen.data.dataset import Dataset
from reportgen.data.locate import sourced_at, value_place
from reportgen.data.provenance import derived
from reportgen.errors import ExhibitDataError
from reportgen.figures.company_data import (
    ANNUAL,
    INTERIM,
    INTERIM_TABLES,
    NM,
    SOURCE,
    UNIT_ENDINGS,
    base_item,
    company_table,
    fx_text,
    growth_base,
    is_estimate,
    line_label,
    named_company,
    nm_periods,
    not_meaningful,
    pct_cell,
    period_columns,
    versus_columns,
    year_label,
)
from reportgen.figures.registry import (
    P,
    TableColumn,
    TableExhibit,
    TableGroup,
    TableRow,
    exhibit,
)
from reportgen.models.company import CompanyValuation, value_company
from reportgen.models.pricing import within_rounding

STATEMENTS = ("income_statement", "balance_sheet", "cash_flow", "ratios")
#: Year end of the covered companies' accounts unless company.yaml says otherwise (year_end).
DEFAULT_YEAR_END = "Dec"
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


# --- cells -------------------------------------------------------------------------------------


def row_kind(line_item: str) -> str:
    """How a line's values are shown: 'money', 'pct', 'x' or 'days' (from its name)."""
    item = base_item(line_item)
    for ending, _, kind in UNIT_ENDINGS:
        if item.endswith(ending):
            return kind
    return "money"


def cell(value: Any, kind: str, dp: int = 1) -> str:
    """One financial-table cell by row kind, negatives in parentheses; NM where the value
    means nothing (formatting.NOT_MEANINGFUL, e.g. ROAE on negative equity)."""
    if fmt.is_nm(value):
        return NM
    if value is None or (isinstance(value, float) and value != value):
        return fmt.DASH
    value = value if isinstance(value, float) else float(value)  # a Sourced keeps its cell
    if kind == "pct":
        return pct_cell(value, dp)
    if kind == "x":
        return fmt.multiple(value, dp)
    return fmt.number(value, dp, parens=True)


def _year_end(company: Company) -> str:
    return str(company.raw.get("year_end") or DEFAULT_YEAR_END)


# --- tables of period columns ------------------------------------------------------------------


def _placed(company: Company | None, table: str, rec: Mapping[Any, Any], column: str) -> Any:
    """``rec[column]`` carrying where it is: its CSV line or its workbook cell (data/locate.py);
    as it is without a company and table."""
    if company is None or not table:
        return rec[column]
    place = value_place(company, table, str(rec["line_item"]), column, rec["_line"])
    return sourced_at(rec[column], place)


def _period_exhibit(
    frame: pd.DataFrame, heading: str, company: Company | None = None, table: str = ""
) -> TableExhibit:
    """A wide table as an exhibit: readable labels, period columns, parentheses for negatives;
    a growth row reads NM where what grows (from ``company``'s statements) is a loss."""
    periods = period_columns(frame)
    any_nm = False
    columns = (TableColumn(heading, "", "left"), *(TableColumn(p) for p in periods))
    rows = []
    for rec in frame.sort_values("_line", kind="stable").to_dict("records"):
        item = str(rec["line_item"])
        kind = row_kind(item)
        marks = {"subtotal"} if item in SUBTOTALS else set()
        if item.endswith("_published"):
            marks.add("published")
        cells = [cell(_placed(company, table, rec, p), kind) for p in periods]
        base = (
            growth_base(company, item)
            if company and base_item(item).startswith("growth_")
            else None
        )
        if base is not None:
            nm = nm_periods(periods, rec, base)
            cells = [NM if p in nm else c for p, c in zip(periods, cells, strict=True)]
            any_nm = any_nm or bool(nm)
        rows.append(TableRow((line_label(item), *cells), frozenset(marks)))
    interim = [p for p in periods if INTERIM.match(p)]
    annual = [p for p in periods if ANNUAL.match(p)]
    header_groups: tuple[tuple[str, int], ...] = ()
    if interim and annual:
        kind = "Half-year" if INTERIM.match(interim[0]).group(1) else "Quarter"  # type: ignore[union-attr]
        header_groups = (("", 1), (kind, len(interim)), ("Year", len(annual)))
    elif any(is_estimate(p) for p in periods) and not all(is_estimate(p) for p in periods):
        actual = sum(1 for p in periods if not is_estimate(p))
        if all(not is_estimate(p) for p in periods[:actual]):
            header_groups = (("", 1), ("Actual", actual), ("Estimates", len(periods) - actual))
    all_notes = ["E = estimate. Negatives in parentheses."]
    nm_note = "growth measured from or into a loss shows NM (not meaningful)"
    if any(str(r).endswith("_published") for r in frame["line_item"]):
        published = "Ratios, margins, growth rates and per-share rows are as published"
        all_notes.append(f"{published}; {nm_note}." if any_nm else f"{published}.")
    elif any_nm:
        all_notes.append(nm_note[:1].upper() + nm_note[1:] + ".")
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
    params={"company": P.company(), "statement": P.choice(*STATEMENTS, required=True)},
)
def financial_statements(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """One statement of a company (income, balance sheet, cash flow or ratios) by period."""
    company = named_company(ds, params)
    statement = params.get("statement")
    if statement not in STATEMENTS:
        raise ExhibitDataError(
            f"parameter 'statement' must be one of {', '.join(STATEMENTS)}, got {statement!r}"
        )
    frame = company_table(company, str(statement))
    unit = "" if statement == "ratios" else f"{company.currency} mn, "
    return _period_exhibit(frame, f"{unit}YE {_year_end(company)}", company, str(statement))


def _versus_exhibit(
    company: Company, frame: pd.DataFrame, table: str = "estimates_vs_consensus"
) -> TableExhibit:
    """House, consensus and computed difference for each estimate year."""
    years = [y[:4] for y in versus_columns(frame)]
    columns = [TableColumn(f"{company.currency} mn unless stated", "", "left")]
    for _ in years:
        columns += [TableColumn("House"), TableColumn("Consensus"), TableColumn("Diff.", "%")]
    rows = []
    differs: list[str] = []
    for rec in frame.sort_values("_line", kind="stable").to_dict("records"):
        item = str(rec["line_item"])
        kind = row_kind(item)
        dp = 2 if base_item(item).endswith("_rmb") else (1 if kind == "pct" else 0)
        cells = [line_label(item)]
        marks: set[str] = set()
        for year in years:
            house = _placed(company, table, rec, f"house_{year}e")
            consensus = _placed(company, table, rec, f"consensus_{year}e")
            cells += [cell(house, kind, dp), cell(consensus, kind, dp)]
            diff = None
            known_pair = house == house and consensus == consensus
            if kind != "pct" and known_pair and not_meaningful(float(house), float(consensus)):
                cells.append(NM)  # a loss on either side: the difference says nothing
                continue
            if kind != "pct" and known_pair and consensus:
                diff = derived(
                    100.0 * (float(house) / float(consensus) - 1.0),
                    "100 * (house / consensus - 1)",
                    house,
                    consensus,
                )
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
    params={
        "company": P.company(),
        "table": P.choice(*INTERIM_TABLES, "estimates_vs_consensus"),
    },
)
def earnings_estimates(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """Interim and annual estimates, or house against consensus, for one company."""
    company = named_company(ds, params)
    wanted = params.get("table")
    choices = (*INTERIM_TABLES, "estimates_vs_consensus")
    if wanted is not None and wanted not in choices:
        raise ExhibitDataError(
            f"parameter 'table' must be one of {', '.join(choices)}, got {wanted!r}"
        )
    names = [wanted] if wanted else [n for n in choices if company.has(n)]
    if not names:
        raise ExhibitDataError(
            f"company '{company.slug}' has no estimates table ({', '.join(choices)}) in "
            f"{company.folder}"
        )
    name = str(names[0])
    frame = company_table(company, name)
    if name == "estimates_vs_consensus":
        return _versus_exhibit(company, frame, name)
    return _period_exhibit(frame, f"{company.currency} mn, YE {_year_end(company)}", company, name)


@exhibit(
    "key-products",
    kind="table",
    title="Key products",
    source=SOURCE,
    tables=("companies/<slug>/company.yaml",),
    params={"company": P.company()},
)
def key_products(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """The company's key products: name, category and any further attributes given."""
    company = named_company(ds, params)
    products = company.key_products
    if not products:
        raise ExhibitDataError(
            f"company '{company.slug}' lists no key_products in its company.yaml"
        )
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


def _pct_of(rate: float | None) -> float | None:
    """A rate as a percentage; missing and NM stay as they are."""
    return rate if rate is None or fmt.is_nm(rate) else 100 * rate


def _ri_notes(company: Company, val: CompanyValuation) -> list[str]:
    """Notes on how the first year and the cost of equity were taken."""
    first = year_label(company, val.ri.rows[0].year)
    notes = [
        "Computed from the explicit forecasts, rolled forward at the stated growth and "
        "payout; ROAE on average equity; spread = ROAE - cost of equity; residual income = "
        "spread x opening equity. Negatives in parentheses."
    ]
    if any(fmt.is_nm(r.roae) for r in val.ri.rows):
        notes.append(
            "NM: average equity is negative; residual income there is net profit - cost of "
            "equity x opening equity."
        )
    if val.ri.first_year_basis == "supplied":
        notes.append(
            f"{first} residual income as published: the opening equity it needs is not given."
        )
    elif val.ri.first_year_basis == "omitted":
        notes.append(f"{first} residual income is left out of the valuation.")
    if abs(val.cost_of_equity_used_pct - val.cost_of_equity_stated_pct) > 1e-9:
        notes.append(
            f"The table uses a cost of equity of "
            f"{fmt.pct(val.cost_of_equity_used_pct, val.cost_of_equity_dp)} "
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
    params={"company": P.company()},
)
def ri_valuation(ds: Dataset, params: Mapping[str, Any]) -> TableExhibit:
    """The computed residual-income table (years as columns) and its valuation summary."""
    company = named_company(ds, params)
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
        ("ROAE", [_pct_of(r.roae) for r in ri.rows], "pct"),
        ("Spread", [_pct_of(r.spread) for r in ri.rows], "pct"),
        ("Residual income", [r.residual_income for r in ri.rows], "money"),
    )
    body = tuple(
        TableRow((label, *(cell(v, kind, 1) for v in values)))  # as the statements print them
        for label, values, kind in lines
    )
    first, last = years[0], years[-1]
    summary = [
        ("Cost of equity", pct_cell(100 * ri.cost_of_equity, val.cost_of_equity_dp)),
        ("Terminal growth", pct_cell(100 * ri.terminal_growth, 1)),
        (f"Equity, end-{first} ({cur} mn)", cell(ri.ending_equity, "money", 1)),
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
                f"Value per share ({listing}), at {fx_text(company)}",
                cell(ri.value_per_share, "money", 2),
            )
        )
    summary.append((f"Published price target ({listing})", cell(val.target, "money", 2)))
    summary.append(("Model value vs target", pct_cell(100 * val.model_vs_target, 1)))
    # Summary labels span the first columns (up to four), the value sits under the next year.
    span = min(4, len(years))
    rest = ("",) * (len(years) - span)
    rows = tuple(
        TableRow((label, value, *rest), frozenset({"summary"}), span=span)
        for label, value in summary
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
