"""A company's residual-income table, summary, cost of equity and scenarios, recomputed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from reportgen.checks import statements as st
from reportgen.checks.mismatch import Mismatch, as_number, outside
from reportgen.data.companies import Company, FxRate, model_per_listing, parse_fx_key
from reportgen.data.locate import value_place
from reportgen.data.sources import line_of
from reportgen.data.validate import LINE
from reportgen.models import company as cm
from reportgen.models.pricing import within_rounding

#: RI rows are printed to the mn (0.5) from explicit inputs printed to the mn, whose
#: rounding compounds through the roll-forward: up to 0.05% of the value (for residual
#: income, of that year's net profit). Argued in tests/models/test_valuation.py.
RI_MONEY_HALF = 0.5
RI_INPUT_REL = 0.0005
#: ROAE and spread: printed to 0.1pt (0.05) plus 0.01pt for the inputs' rounding.
RI_RATE_PT = 0.06
#: Summary PVs and equity value: within 0.05% of the published equity value (the input
#: rounding above, carried into the perpetuity).
SUMMARY_REL = 0.0005
#: The source prints a cost of equity to one decimal (8.4%, 8.3%, 6.5%); the stated value is
#: compared with CAPM at that precision, so Cambricon's 8.4 against 8.36 is within rounding
#: (and its table used the unrounded 8.36), while MetaX's 6.5 against 6.875 is reported.
COST_OF_EQUITY_DECIMALS = 1
#: The source states payout ratios as whole percentages (26%, 33%, 50%).
PAYOUT_DECIMALS = 0
#: Scenario upside is printed to 2 dp; implied multiples as whole numbers.
UPSIDE_DECIMALS = 2
MULTIPLE_DECIMALS = 0
#: ri_published.csv column -> RIYear attribute.
RI_COLUMNS = (
    ("total_equity_mn", "total_equity"),
    ("net_profit_mn", "net_profit"),
    ("residual_income_mn", "residual_income"),
    ("roae_pct", "roae"),
    ("spread_pct", "spread"),
)
#: ri_summary_published.yaml key -> RIValuation attribute (within SUMMARY_REL).
SUMMARY_KEYS = (
    ("pv_of_forecast_period_mn", "pv_forecast"),
    ("pv_of_continuing_value_mn", "pv_continuing_value"),
    ("equity_value_mn", "equity_value"),
)


def ri_row_mismatches(company: Company, cv: cm.CompanyValuation) -> list[Mismatch]:
    """Each printed RI table cell against the row rebuilt from ri_inputs and company.yaml."""
    mine = {r.year: r for r in cv.ri.rows}
    found: list[Mismatch] = []
    for row in company.tables["ri_published"].to_dict("records"):
        year = mine.get(int(row["year"]))
        for column, attr in RI_COLUMNS:
            published = as_number(row[column])
            value = None if year is None else getattr(year, attr)
            if published is None or value is None or year is None:
                continue  # not printed, or not computable (no opening equity)
            if attr in ("roae", "spread"):
                computed, tol, text = 100.0 * value, RI_RATE_PT, f"within {RI_RATE_PT:g}pt"
            else:
                base = abs(year.net_profit) if attr == "residual_income" else abs(published)
                computed, tol = value, RI_MONEY_HALF + RI_INPUT_REL * base
                text = f"printed to {company.currency} mn, inputs rounded: within {tol:.3g}"
            if outside(published, computed, tol):
                # The cell as read: ri_published.csv's line, or the workbook's cell.
                place = value_place(company, "ri_published", column, str(year.year), row[LINE])
                found.append(
                    Mismatch.at(
                        place,
                        str(year.year),
                        column,
                        published,
                        computed,
                        text,
                    )
                )
    return found


def printed_model_per_listing(company: Company, node: object) -> float | None:
    """The summary's printed ``fx: {<currency> per <currency>: rate}`` as reporting-currency
    units per listing unit (as company.yaml's is read), or None if absent or unreadable."""
    if not isinstance(node, Mapping):
        return None
    rates = [(k, r) for k, r in node.items() if k != "note" and isinstance(r, (int, float))]
    if len(rates) != 1:
        return None
    try:
        per, unit = parse_fx_key(str(rates[0][0]))
        return model_per_listing(
            FxRate(per, unit, float(rates[0][1])), company.currency, company.listing_currency
        )
    except ValueError:
        return None


def ri_summary_mismatches(
    company: Company, cv: cm.CompanyValuation, root: Path | None
) -> list[Mismatch]:
    """The printed RI summary (PVs, equity value, shares, target) against the computed one."""
    summary = company.ri_summary_published
    name = "ri_summary_published.yaml"
    checks: list[tuple[str, float, float, str]] = []
    ending = as_number(summary.get("ending_equity_capital_mn"))
    if ending is not None:
        checks.append(
            (
                "ending_equity_capital_mn",
                cv.ri.ending_equity,
                RI_MONEY_HALF,
                f"printed to {company.currency} mn",
            )
        )
    equity = as_number(summary.get("equity_value_mn"))
    for key, attr in SUMMARY_KEYS if equity is not None else ():
        checks.append(
            (
                key,
                getattr(cv.ri, attr),
                SUMMARY_REL * abs(equity or 0.0),
                f"within {100 * SUMMARY_REL:g}% of the equity value",
            )
        )
    checks.append(("shares_mn", company.shares_mn, 0.0, "company.yaml shares_mn"))
    printed_fx = printed_model_per_listing(company, summary.get("fx"))
    if printed_fx is not None:
        summary = {**summary, "fx": printed_fx}
        checks.append(("fx", company.valuation.model_per_listing, 1e-12, "company.yaml fx"))
    for key in summary:
        if key == "price_target":
            tol = cm.TARGET_TOLERANCE * abs(as_number(summary[key]) or 0.0)
            checks.append(
                (key, cv.model_value, tol, f"model value within {100 * cm.TARGET_TOLERANCE:g}%")
            )
    found: list[Mismatch] = []
    for key, computed, tol, text in checks:
        published = as_number(summary.get(key))
        if published is not None and outside(published, computed, tol):
            line = cm.yaml_key_line(company, key, root, name)
            found.append(
                Mismatch(
                    f"{company.folder}/{name}", line, "summary", key, published, computed, text
                )
            )
    return found


def cost_of_equity_mismatches(company: Company, cv: cm.CompanyValuation) -> list[Mismatch]:
    """The stated cost of equity against rf + beta x ERP, at the printed precision."""
    stated, capm = cv.cost_of_equity_stated_pct, cv.cost_of_equity_capm_pct
    if within_rounding(stated, capm, COST_OF_EQUITY_DECIMALS):
        return []
    key = "cost_of_equity_pct_stated"
    return [
        Mismatch(
            f"{company.folder}/company.yaml",
            line_of(company.raw.get("valuation"), key),
            "valuation",
            key,
            stated,
            capm,
            f"CAPM rf + beta x ERP, printed to {COST_OF_EQUITY_DECIMALS} dp; "
            f"the table used {cv.cost_of_equity_used_pct:g}",
        )
    ]


def payout_mismatches(company: Company) -> list[Mismatch]:
    """The stated payout against the one the model uses, where the published table's equity
    roll-forward needs another (fitted) payout: the report must state the difference."""
    val = company.valuation
    used = val.payout_for_model
    if within_rounding(val.payout_pct, used, PAYOUT_DECIMALS):
        return []
    key = "payout_pct"
    return [
        Mismatch(
            f"{company.folder}/company.yaml",
            line_of(company.raw.get("valuation"), key),
            "valuation",
            key,
            val.payout_pct,
            used,
            f"the payout the published equity roll-forward implies (payout_pct_fitted), "
            f"which the model uses; printed to {PAYOUT_DECIMALS} dp",
        )
    ]


#: The risk-reward page's driver line: which printed line item each stated growth follows,
#: by the metric's name in company.yaml (the statements' name, then the consensus table's).
DRIVER_LINES: dict[str, tuple[str, ...]] = {
    "gross profit growth, % YoY": ("gross_profit", "gross_profit_rmb_mn"),
    "operating profit growth, % YoY": ("operating_income", "operating_profit_rmb_mn"),
}


def _driver_series(company: Company, items: tuple[str, ...]) -> tuple[str, dict[str, float]]:
    """The first of ``items`` a company table prints, with its annual values by period."""
    for item in items:
        for name in sorted(company.tables):
            frame = company.tables[name]
            if name.startswith("ri_") or "line_item" not in frame.columns:
                continue
            if (frame["line_item"] == item).any():
                return item, cm.annual_series(frame, item)
    return "", {}


def driver_mismatches(company: Company) -> list[Mismatch]:
    """The driver line's printed growth (company.yaml driver_metric) against the growth of the
    line it names, like a statement's growth row: within the inputs' printed rounding, and
    NM where the year before is a loss."""
    raw = company.raw.get("driver_metric")
    if not isinstance(raw, Mapping) or not isinstance(raw.get("values_published"), Mapping):
        return []
    items = DRIVER_LINES.get(str(raw.get("metric")))
    item, series = _driver_series(company, items) if items else ("", {})
    if not series:
        return []
    published = raw["values_published"]
    labels = {int(str(p).rstrip("E")): p for p in series}
    shown: dict[str, float] = {}
    for year, value in published.items():
        number = as_number(value)
        label = labels.get(int(year))
        if number is not None and label is not None:
            shown[label] = number
    path = f"{company.folder}/company.yaml"
    decimals = st.printed_decimals(list(shown.values()))
    lines = {
        item: st.Line(item, series, st.printed_decimals(list(series.values())), path, None),
        "growth": st.Line("growth", shown, decimals, path, line_of(raw, "values_published")),
    }
    return [
        Mismatch(
            m.path,
            m.line,
            "driver_metric",
            f"values_published {m.column}",
            m.published,
            m.computed,
            f"{raw.get('metric')} of {item}: {m.tolerance}",
        )
        for m in st.rule_mismatches([st.growth("growth", item)], lines)
    ]


def scenario_mismatches(company: Company, cv: cm.CompanyValuation) -> list[Mismatch]:
    """Each scenario's printed upside and implied multiple against the computed ones."""
    found: list[Mismatch] = []
    raw = company.raw.get("scenarios")
    path = f"{company.folder}/company.yaml"
    for name, sc in cv.scenarios.items():
        node = raw.get(name) if isinstance(raw, Mapping) else None
        pairs = [
            (
                "upside_pct_published",
                company.scenarios[name].upside_pct_published,
                100.0 * sc.upside,
                UPSIDE_DECIMALS,
                "value / price - 1",
            ),
            (
                "multiple_published",
                sc.multiple_published,
                sc.implied_multiple,
                MULTIPLE_DECIMALS,
                f"implied {sc.multiple_basis or 'multiple'}",
            ),
        ]
        for key, published, computed, decimals, what in pairs:
            if published is None or computed is None:
                continue
            if not within_rounding(float(published), computed, decimals):
                found.append(
                    Mismatch(
                        path,
                        line_of(node, key),
                        f"scenarios.{name}",
                        key,
                        float(published),
                        computed,
                        f"{what}, printed to {decimals} dp",
                    )
                )
    base = company.scenarios.get("base")
    if base is not None and base.value != company.price_target:
        found.append(
            Mismatch(
                path,
                line_of(raw.get("base") if isinstance(raw, Mapping) else None, "value"),
                "scenarios.base",
                "value",
                base.value,
                company.price_target,
                "the base case is the published price target",
            )
        )
    return found
