"""The per-company exhibit builders, run against the real data/ folder."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from reportgen import formatting as fmt
from reportgen.data.dataset import Dataset, load_dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures import company_charts, company_data, company_tables
from reportgen.figures.registry import EXHIBITS, TableExhibit, load_builders
from reportgen.figures.save import svg_bytes
from reportgen.models.company import value_company
from tests.figures.svgcheck import assert_chart_svg

DATA = Path(__file__).resolve().parents[2] / "data"
SVG = "{http://www.w3.org/2000/svg}"
COMPANIES = ("cambricon", "iluvatar", "metax")
STATEMENTS = ("income_statement", "balance_sheet", "cash_flow", "ratios")

#: Which companies each builder applies to (by the tables their folders hold).
APPLIES: dict[str, tuple[str, ...]] = {
    "risk-reward": COMPANIES,
    "revenue-margin": COMPANIES,
    "interim-estimates": ("iluvatar", "metax"),
    "estimates-vs-consensus": ("cambricon",),
    "valuation-bridge": COMPANIES,
    "ri-valuation": COMPANIES,
    "financial-statements": ("iluvatar",),
    "earnings-estimates": COMPANIES,
    "key-products": COMPANIES,
}

load_builders()
#: The company builder modules and the one kind of exhibit each holds.
COMPANY_MODULES = {company_tables.__name__: "table", company_charts.__name__: "chart"}
COMPANY_IDS = sorted(k for k, s in EXHIBITS.items() if s.build.__module__ in COMPANY_MODULES)


def _cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for exhibit_id, slugs in sorted(APPLIES.items()):
        for slug in slugs:
            if exhibit_id == "financial-statements":
                cases += [(exhibit_id, {"company": slug, "statement": s}) for s in STATEMENTS]
            else:
                cases.append((exhibit_id, {"company": slug}))
    return cases


CASES = _cases()
CHART_CASES = [(k, p) for k, p in CASES if EXHIBITS[k].kind == "chart"]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    return "-".join([case[0], *map(str, case[1].values())])


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(DATA)


def build(ds: Dataset, exhibit_id: str, params: Mapping[str, Any]) -> Any:
    return EXHIBITS[exhibit_id].build(ds, params)


def rows_of(table: TableExhibit) -> list[Any]:
    return [r for g in table.groups for r in g.rows]


def texts_of(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.fixture(scope="module")
def charts(ds: Dataset) -> dict[str, bytes]:
    """Each chart case built once and saved."""
    return {_case_id(c): svg_bytes(build(ds, *c)) for c in CHART_CASES}


def test_every_company_exhibit_is_registered() -> None:
    assert sorted(APPLIES) == COMPANY_IDS
    for k in COMPANY_IDS:
        spec = EXHIBITS[k]
        assert spec.title and spec.source and not spec.source.startswith("Source")
        assert "Meridian Research" in spec.source
        assert spec.tables and spec.build.__doc__
        assert spec.kind == COMPANY_MODULES[spec.build.__module__]


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_builder_returns_its_kind(ds: Dataset, case: tuple[str, dict[str, Any]]) -> None:
    out = build(ds, *case)
    assert isinstance(out, TableExhibit if EXHIBITS[case[0]].kind == "table" else Figure)
    if isinstance(out, TableExhibit):
        for row in rows_of(out):
            assert len(row.cells) + row.span - 1 == len(out.columns)
        if out.header_groups:
            assert sum(span for _, span in out.header_groups) == len(out.columns)


@pytest.mark.parametrize("case", CHART_CASES, ids=_case_id)
def test_chart_is_svg_with_text_in_house_fonts(
    ds: Dataset, charts: dict[str, bytes], case: tuple[str, dict[str, Any]]
) -> None:
    data = charts[_case_id(case)]
    assert_chart_svg(data)
    assert svg_bytes(build(ds, *case)) == data  # same inputs, same bytes


@pytest.mark.parametrize("exhibit_id", sorted(APPLIES))
def test_unknown_company_raises_exhibit_data_error(ds: Dataset, exhibit_id: str) -> None:
    with pytest.raises(ExhibitDataError, match="known: cambricon, iluvatar, metax"):
        build(ds, exhibit_id, {"company": "nvidia", "statement": "ratios"})
    with pytest.raises(ExhibitDataError, match="missing parameter 'company'"):
        build(ds, exhibit_id, {})


@pytest.mark.parametrize(
    ("exhibit_id", "params", "message"),
    [
        ("interim-estimates", {"company": "cambricon"}, "no interim estimates"),
        ("estimates-vs-consensus", {"company": "metax"}, "no estimates_vs_consensus"),
        ("financial-statements", {"company": "cambricon", "statement": "ratios"}, "no ratios"),
        ("financial-statements", {"company": "iluvatar", "statement": "p_and_l"}, "statement"),
        ("earnings-estimates", {"company": "metax", "table": "nope"}, "table"),
    ],
)
def test_missing_table_raises_exhibit_data_error(
    ds: Dataset, exhibit_id: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ExhibitDataError, match=message):
        build(ds, exhibit_id, params)


# --- labels and cells ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "label"),
    [
        ("net_sales", "Net sales"),
        ("cogs", "Cost of goods sold"),
        ("ar_nr", "Receivables"),
        ("gross_margin_pct_published", "Gross margin"),
        ("eps_for_consensus_rmb_published", "EPS for consensus (Rmb)"),
        ("rnd_pct_rev_published", "R&D expenses (% of revenue)"),
        ("growth_net_profits_pct_published", "Net profit growth"),
        ("st_borrowings", "Short-term borrowings"),
    ],
)
def test_line_labels(item: str, label: str) -> None:
    assert company_data.line_label(item) == label
    assert "published" not in company_data.line_label(item)


def test_cells_put_negatives_in_parentheses() -> None:
    assert company_tables.cell(-1049.5, "money") == "(1,049.5)"
    assert company_tables.cell(-6.3, "pct") == "(6.3%)"
    assert company_tables.cell(3.1, "x") == "3.1x"
    assert company_tables.cell(float("nan"), "money") == fmt.DASH


# --- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", STATEMENTS)
def test_financial_statement_rows_and_periods(ds: Dataset, statement: str) -> None:
    company = ds.companies["iluvatar"]
    frame = company.table(statement)
    out = build(ds, "financial-statements", {"company": "iluvatar", "statement": statement})
    rows = rows_of(out)
    assert len(rows) == len(frame)
    labels = [c.label for c in out.columns]
    assert labels[1:] == ["2025", "2026E", "2027E", "2028E"]
    assert labels[0].endswith("YE Dec")
    assert ("Rmb mn" in labels[0]) == (statement != "ratios")
    assert dict(out.header_groups)["Estimates"] == 3
    cells = [c for r in rows for c in r.cells[1:]]
    assert not [c for c in cells if c.startswith("-")]  # never a minus sign
    assert all("_" not in r.cells[0] and "published" not in r.cells[0] for r in rows)


def test_financial_negatives_in_parentheses(ds: Dataset) -> None:
    out = build(
        ds, "financial-statements", {"company": "iluvatar", "statement": "income_statement"}
    )
    frame = ds.companies["iluvatar"].table("income_statement").set_index("line_item")
    by_label = {r.cells[0]: r for r in rows_of(out)}
    cogs = by_label["Cost of goods sold"]
    assert cogs.cells[1:] == tuple(
        fmt.number(v, 1, parens=True)
        for v in frame.loc["cogs", ["2025", "2026E", "2027E", "2028E"]]
    )
    assert all(c.startswith("(") and c.endswith(")") for c in cogs.cells[1:])
    assert "subtotal" in by_label["Gross profit"].marks


def test_ratio_rows_show_their_units(ds: Dataset) -> None:
    out = build(ds, "financial-statements", {"company": "iluvatar", "statement": "ratios"})
    by_label = {r.cells[0]: r for r in rows_of(out)}
    assert all(c.endswith("%") for c in by_label["Gross margin"].cells[1:])
    assert all(c.endswith("%)") for c in by_label["ROAA"].cells[1:3])  # losses in 2025-26E
    assert all(c.endswith("x") for c in by_label["Current ratio"].cells[1:])
    assert "Cash conversion cycle (days)" in by_label


@pytest.mark.parametrize(
    ("slug", "table", "interim", "count"),
    [
        ("iluvatar", "estimates_half_year", "Half-year", 8),
        ("metax", "estimates_quarterly", "Quarter", 8),
    ],
)
def test_interim_estimates_table(
    ds: Dataset, slug: str, table: str, interim: str, count: int
) -> None:
    out = build(ds, "earnings-estimates", {"company": slug})
    assert len(rows_of(out)) == len(ds.companies[slug].table(table))
    assert dict(out.header_groups)[interim] == count
    assert any(c.label.endswith("E") for c in out.columns)
    operating = next(r for r in rows_of(out) if r.cells[0] == "Operating income")
    assert operating.cells[1].startswith("(")


def test_estimates_vs_consensus_table(ds: Dataset) -> None:
    out = build(ds, "earnings-estimates", {"company": "cambricon"})
    frame = ds.companies["cambricon"].table("estimates_vs_consensus").set_index("line_item")
    rows = rows_of(out)
    assert len(rows) == len(frame)
    assert [label for label, _ in out.header_groups[1:]] == ["2026E", "2027E", "2028E"]
    sales = rows[0]
    assert sales.cells[0] == "Net sales"
    for i, year in enumerate(("2026", "2027", "2028")):
        house = frame.loc["net_sales_rmb_mn", f"house_{year}e"]
        cons = frame.loc["net_sales_rmb_mn", f"consensus_{year}e"]
        assert sales.cells[3 + 3 * i] == company_data.pct_cell(100 * (house / cons - 1), 1)
    assert not [r for r in rows if "differs" in r.marks]  # every printed diff within rounding


@pytest.mark.parametrize("slug", COMPANIES)
def test_ri_valuation_table_is_computed(ds: Dataset, slug: str) -> None:
    val = value_company(ds.companies[slug])
    out = build(ds, "ri-valuation", {"company": slug})
    body, summary = out.groups
    assert len(body.rows) == 5
    assert [c.label for c in out.columns[1:]] == [f"{r.year}E" for r in val.ri.rows]
    ri_row = body.rows[4]
    assert ri_row.cells[0] == "Residual income"
    assert ri_row.cells[1:] == tuple(
        company_tables.cell(r.residual_income, "money", 1) for r in val.ri.rows
    )
    labels = [r.cells[0] for r in summary.rows]
    assert any(label.startswith("Published price target") for label in labels)
    assert all("summary" in r.marks for r in summary.rows)
    equity = next(r for r in summary.rows if r.cells[0].startswith("Equity value"))
    assert equity.cells[1] == fmt.number(val.ri.equity_value, 0, parens=True)


def test_ri_valuation_negative_residual_income_in_parentheses(ds: Dataset) -> None:
    out = build(ds, "ri-valuation", {"company": "metax"})
    ri_row = out.groups[0].rows[4]
    negative = [c for c in ri_row.cells[1:] if c.startswith("(")]
    assert negative and all(c.endswith(")") for c in negative)


def test_ri_valuation_listing_currency_row(ds: Dataset) -> None:
    out = build(ds, "ri-valuation", {"company": "iluvatar"})
    labels = [r.cells[0] for r in out.groups[1].rows]
    assert any("HK$" in label for label in labels)
    assert any("left out" in note for note in out.notes)


@pytest.mark.parametrize("slug", COMPANIES)
def test_key_products(ds: Dataset, slug: str) -> None:
    company = ds.companies[slug]
    out = build(ds, "key-products", {"company": slug})
    rows = rows_of(out)
    assert [r.cells[0] for r in rows] == [str(p["name"]) for p in company.key_products]
    assert out.columns[1].label == "Category"
    for i in range(1, len(out.columns)):  # no column left empty
        assert any(r.cells[i] != fmt.DASH for r in rows)


# --- charts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", COMPANIES)
def test_risk_reward_labels_computed_upside(ds: Dataset, slug: str) -> None:
    company = ds.companies[slug]
    fig = build(ds, "risk-reward", {"company": slug})
    texts = texts_of(fig)
    for name, scenario in company.scenarios.items():
        change = fmt.pct(100 * (scenario.value / company.price - 1), 1, signed=True)
        shown = fmt.money(scenario.value, company.listing_currency)
        assert any(t.startswith(name.capitalize()) and shown in t and change in t for t in texts)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(fmt.money(company.price_target, company.listing_currency) in t for t in legend)
    # no prices.csv: no price history is drawn (every line is a 1- or 2-point mark)
    assert all(len(line.get_xdata()) <= 2 for line in fig.axes[0].get_lines())


def test_risk_reward_draws_price_history_when_given(project_copy: Path) -> None:
    prices = project_copy / "data" / "companies" / "metax" / "prices.csv"
    prices.write_text("# test prices\ndate,close\n2026-01-05,600\n2026-02-02,650\n2026-03-02,700\n")
    ds = load_dataset(project_copy / "data")
    fig = build(ds, "risk-reward", {"company": "metax"})
    history = [line for line in fig.axes[0].get_lines() if len(line.get_xdata()) == 3]
    assert len(history) == 1
    assert list(history[0].get_ydata()) == [600.0, 650.0, 700.0]


@pytest.mark.parametrize("slug", COMPANIES)
def test_revenue_margin_draws_computed_values(ds: Dataset, slug: str) -> None:
    val = value_company(ds.companies[slug])
    fig = build(ds, "revenue-margin", {"company": slug})
    ax = fig.axes[0]
    periods = sorted(val.revenue, key=company_data.sort_key)
    assert [p.get_height() for p in ax.patches] == pytest.approx([val.revenue[p] for p in periods])
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == sum(p.endswith("E") for p in periods)
    assert [t.get_text() for t in ax.get_xticklabels()] == periods
    margins = [t.get_text() for t in fig.axes[1].texts]
    assert margins == [company_data.pct_cell(100 * val.gross_margin[p], 1) for p in periods]


@pytest.mark.parametrize("slug", ["iluvatar", "metax"])
def test_interim_chart_bars(ds: Dataset, slug: str) -> None:
    company = ds.companies[slug]
    name = "estimates_half_year" if company.has("estimates_half_year") else "estimates_quarterly"
    frame = company.table(name).set_index("line_item")
    fig = build(ds, "interim-estimates", {"company": slug})
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels and all(re.match(r"^[1-4][HQ]\d{2}E?$", x) for x in labels)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == pytest.approx([frame.loc["total_revenues", p] for p in labels])


def test_estimates_vs_consensus_chart(ds: Dataset) -> None:
    frame = ds.companies["cambricon"].table("estimates_vs_consensus").set_index("line_item")
    fig = build(ds, "estimates-vs-consensus", {"company": "cambricon"})
    assert len(fig.axes) == 2
    house = frame.loc["net_income_rmb_mn", "house_2027e"]
    cons = frame.loc["net_income_rmb_mn", "consensus_2027e"]
    assert company_data.pct_cell(100 * (house / cons - 1), 1) in [
        t.get_text() for t in fig.axes[1].texts
    ]


@pytest.mark.parametrize("slug", COMPANIES)
def test_valuation_bridge_adds_up(ds: Dataset, slug: str) -> None:
    val = value_company(ds.companies[slug])
    fig = build(ds, "valuation-bridge", {"company": slug})
    bars = fig.axes[0].patches
    assert bars[-1].get_height() == pytest.approx(val.ri.equity_value)
    assert bars[0].get_height() == pytest.approx(val.ri.ending_equity)
    per_share = [p.get_height() for p in fig.axes[1].patches]
    assert per_share == pytest.approx([val.ri.value_per_share, val.target])
    assert any(
        company_data.pct_cell(100 * val.model_vs_target, 1) in t
        for t in texts_of(fig)
        if "target" in t
    )
