"""Release history queries, estimate changes, mentioned companies and the automatic
"changes since our last note" section (small histories made here; the sample data copied)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from reportgen.build import load_definitions
from reportgen.data.dataset import Dataset, load_dataset
from reportgen.errors import DataError
from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, TableRow
from reportgen.models.company import value_company
from reportgen.project import Project
from reportgen.publish.model import HISTORY_FILE, CoveredCompany, Estimate, History, Release
from reportgen.reports.base import RenderedExhibit, load_report_types
from reportgen.reports.history import (
    CHANGES_EXHIBIT,
    CHANGES_TITLE,
    ReleaseHistory,
    company_actions,
    estimate_changes,
    exhibit_texts,
    mentioned_companies,
    same_facts,
    with_changes,
)
from reportgen.reports.initiation import covered_company, key_estimates
from tests.conftest import REPO

ORDER = ("Overweight", "Equal-weight", "Underweight")
#: Percent changes are compared to the exact ratio within this (floating point only).
TOL = 1e-9


def entry(
    company: str = "metax",
    rating: str = "Equal-weight",
    target: float | None = 758.0,
    estimates: tuple[Estimate, ...] = (),
    currency: str = "Rmb",
) -> CoveredCompany:
    return CoveredCompany(
        company, "MetaX Integrated Circuits", "688802.SS", rating, 718.0, "2026-04-26", target,
        currency, estimates,
    )  # fmt: skip


def release(rid: str, *companies: CoveredCompany, slug: str = "metax") -> Release:
    date = rid[:10]
    return Release(
        rid, slug, "company-initiation", "A note", date, f"{date}T09:00:00Z", "analyst",
        ("Alex Morgan",), "0", None, f"in-{rid}", "0" * 64, "0" * 64, "0" * 64, True, companies,
    )  # fmt: skip


def est(metric: str, year: str, value: float) -> Estimate:
    return Estimate(metric, year, value, "Rmb mn")


# --- history queries ---------------------------------------------------------------------------


def test_previous_is_the_latest_release_covering_the_company_from_any_report() -> None:
    history = ReleaseHistory(
        History(
            (
                release("2026-03-01-01", entry(target=700.0), slug="metax"),
                release("2026-02-01-01", entry("cambricon"), slug="cambricon"),
                release("2026-04-01-01", entry(target=720.0), entry("iluvatar"), slug="industry"),
            )
        )
    )
    previous = history.previous("metax")
    assert previous is not None
    assert (previous.release_id, previous.slug, previous.company.price_target) == (
        "2026-04-01-01",
        "industry",
        720.0,
    )
    # As of a date before the industry note, the earlier company note is the previous one.
    earlier = history.previous("metax", dt.date(2026, 3, 15))
    assert earlier is not None and earlier.release_id == "2026-03-01-01"
    assert history.previous("nobody") is None
    assert [e.release_id for e in history.entries("metax")] == ["2026-03-01-01", "2026-04-01-01"]
    assert [c.company.company for c in history.latest()] == ["cambricon", "iluvatar", "metax"]


def test_a_published_build_is_not_its_own_previous_note() -> None:
    """Built again after publishing (same view), the report still compares with the note
    before: its first page says what the release said."""
    mine = entry(target=758.0, estimates=(est("revenue", "2026E", 4029.9),))
    history = ReleaseHistory(
        History((release("2026-01-15-01", entry(target=700.0)), release("2026-04-26-01", mine)))
    )
    previous = history.previous("metax", current=mine)
    assert previous is not None and previous.release_id == "2026-01-15-01"
    only = ReleaseHistory(History((release("2026-04-26-01", mine),)))
    assert only.previous("metax", current=mine) is None
    assert same_facts(mine, dataclasses.replace(mine))
    assert not same_facts(mine, dataclasses.replace(mine, price_target=758.01))


# --- actions and estimate changes --------------------------------------------------------------


def test_actions_initiate_without_previous() -> None:
    actions = company_actions(None, entry(), ORDER)
    assert (actions.rating_action, actions.target_action, actions.first) == (
        "Initiate",
        "Initiate",
        True,
    )
    assert actions.target_change_pct is None


def test_actions_against_the_previous_release() -> None:
    history = ReleaseHistory(
        History((release("2026-01-15-01", entry("metax", "Overweight", 800.0)),))
    )
    actions = company_actions(history.previous("metax"), entry(target=758.0), ORDER)
    assert (actions.rating_action, actions.target_action) == ("Downgrade", "Lower")
    assert (actions.previous_rating, actions.previous_target) == ("Overweight", 800.0)
    assert actions.previous_date == "2026-01-15"
    assert math.isclose(actions.target_change_pct or 0.0, (758 / 800 - 1) * 100, abs_tol=TOL)


def test_a_rating_outside_the_house_scale_is_located_at_the_history() -> None:
    history = ReleaseHistory(History((release("2026-01-15-01", entry(rating="Buy")),)))
    with pytest.raises(DataError) as info:
        company_actions(history.previous("metax"), entry(), ORDER)
    (problem,) = info.value.problems
    assert problem.path == HISTORY_FILE and "'Buy'" in problem.message
    assert "2026-01-15-01" in problem.message


def test_estimate_changes_rows_forecast_years_with_nm() -> None:
    old = entry(
        estimates=(
            est("revenue", "2025", 1600.0),
            est("revenue", "2026E", 3600.0),
            est("net_profit", "2026E", -10.0),
            est("net_profit", "2027E", 400.0),
        )
    )
    new = entry(
        estimates=(
            est("revenue", "2025", 1644.1),
            est("revenue", "2026E", 4029.9),
            est("revenue", "2027E", 7000.0),
            est("net_profit", "2026E", 21.6),
            Estimate("net_profit", "2027E", 0.5, "Rmb bn"),
        )
    )
    history = ReleaseHistory(History((release("2026-01-15-01", old),)))
    changes = estimate_changes(history.previous("metax"), new, ORDER)
    rows = {(r.metric, r.year): r for r in changes.rows}
    assert list(rows) == [
        ("revenue", "2026E"),
        ("revenue", "2027E"),
        ("net_profit", "2026E"),
        ("net_profit", "2027E"),
    ]  # forecast years only, revenue first
    revenue = rows[("revenue", "2026E")]
    assert (revenue.previous, revenue.new, revenue.label, revenue.unit) == (
        3600.0,
        4029.9,
        "Revenue",
        "Rmb mn",
    )
    assert math.isclose(revenue.change_pct or 0.0, (4029.9 / 3600 - 1) * 100, abs_tol=TOL)
    assert rows[("revenue", "2027E")].previous is None  # a year the last note had not
    assert rows[("net_profit", "2026E")].change_pct is None  # from a loss: NM
    assert rows[("net_profit", "2027E")].previous is None  # another unit: not compared


# --- mentioned companies -----------------------------------------------------------------------


def _named(name: str, short_name: str, ticker: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, short_name=short_name, ticker=ticker)


def _fake_ds() -> Dataset:
    companies = {
        "cambricon": _named("Cambricon Technologies", "Cambricon", "688256.SS"),
        "iluvatar": _named("Shanghai Iluvatar CoreX", "Iluvatar CoreX", "9903.HK"),
        "metax": _named("MetaX Integrated Circuits", "MetaX", "688802.SS"),
    }
    return SimpleNamespace(companies=companies)  # type: ignore[return-value]


def _definition(**kw: object) -> SimpleNamespace:
    return SimpleNamespace(company=kw.get("company"), companies=kw.get("companies", ()))


def test_mentioned_by_name_short_name_or_ticker_as_whole_words() -> None:
    ds = _fake_ds()
    texts = [
        "<p>GPGPU vendors such as <strong>Iluvatar CoreX</strong> and Biren.</p>",
        "MetaXs and Cambriconite are not names; 688256.SSX is not a ticker",
    ]
    assert mentioned_companies(ds, _definition(), texts) == ("iluvatar",)  # type: ignore[arg-type]
    assert mentioned_companies(ds, _definition(), ["688802.SS rose"]) == ("metax",)  # type: ignore[arg-type]
    # A company the definition covers counts even where the prose cites it through data.
    found = mentioned_companies(ds, _definition(company="cambricon"), ["no names"])  # type: ignore[arg-type]
    assert found == ("cambricon",)


def test_exhibit_texts_reads_tables_and_chart_text() -> None:
    table = TableExhibit(
        columns=(TableColumn("Vendor", "", "left"), TableColumn("Day-0")),
        groups=(TableGroup("GPGPU", (TableRow(("MetaX", "Yes")),)),),
        notes=("A note on Cambricon &amp; others",),
    )
    chart = b'<svg><text x="1">Iluvatar CoreX</text></svg>'
    exhibits = [
        RenderedExhibit("t", 1, "table", "A table", "Company data", table=table),
        RenderedExhibit("c", 2, "chart", "A chart", "Company data", svg=chart),
    ]
    found = mentioned_companies(_fake_ds(), _definition(), exhibit_texts(exhibits))  # type: ignore[arg-type]
    assert found == ("cambricon", "iluvatar", "metax")


# --- release facts and the automatic section (sample data) -------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("history") / "project"
    shutil.copytree(REPO / "data", root / "data")
    return root


def _load(root: Path, slug: str) -> tuple[Dataset, object]:
    project = Project(root)
    (definition,) = load_definitions(project, [slug])
    return load_dataset(project.data), definition


def test_release_facts_are_the_first_page_key_estimates(project: Path) -> None:
    ds, definition = _load(project, "china-ai-accelerators")
    facts = load_report_types()["industry-initiation"]().release_facts(ds, definition)  # type: ignore[arg-type]
    assert [c.company for c in facts] == ["cambricon", "iluvatar", "metax"]
    for fact in facts:
        company = ds.companies[fact.company]
        valuation = value_company(company)
        table = key_estimates(company, valuation)
        assert (fact.rating, fact.price, fact.currency) == (
            company.rating,
            company.price,
            company.listing_currency,
        )
        assert fact.price_target == valuation.target
        revenue = {e.year: e.value for e in fact.estimates if e.metric == "revenue"}
        assert revenue == {
            p: v for p, v in zip(table.periods, table.rows[0].values, strict=True) if v is not None
        }
        assert {e.unit for e in fact.estimates} == {f"{company.currency} mn"}
        assert fact == covered_company(company, valuation)


def test_sector_note_records_the_companies_it_cites(project: Path) -> None:
    """The DeepSeek note names Iluvatar CoreX in its key points and its Day-0 chart lists
    all three covered makers: a release records each as its company data rate it."""
    ds, note = _load(project, "deepseek-v4-pricing")
    facts = load_report_types()["sector-note"]().release_facts(ds, note)  # type: ignore[arg-type]
    assert [(c.company, c.rating) for c in facts] == [
        (slug, ds.companies[slug].rating) for slug in ("cambricon", "iluvatar", "metax")
    ]


def test_without_history_the_definition_is_unchanged(project: Path) -> None:
    ds, definition = _load(project, "metax")
    assert with_changes(ds, definition) is definition  # type: ignore[arg-type]


def test_changes_section_before_the_valuation_with_exhibits_renumbered(project: Path) -> None:
    ds, definition = _load(project, "china-ai-accelerators")
    metax = covered_company(ds.companies["metax"], value_company(ds.companies["metax"]))
    earlier = dataclasses.replace(metax, price_target=700.0)
    path = project / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(History((release("2026-01-15-01", earlier),)).to_bytes())
    try:
        placed = with_changes(ds, definition)  # type: ignore[arg-type]
    finally:
        path.unlink()
    added = [s for s in placed.sections if s.automatic]
    assert len(added) == 1 and added[0].title == f"MetaX: {CHANGES_TITLE.lower()}"
    (ref,) = added[0].exhibits
    assert (ref.id, ref.name, dict(ref.params)) == (
        CHANGES_EXHIBIT,
        f"{CHANGES_EXHIBIT}-metax",
        {"company": "metax", "date": definition.date.isoformat()},  # type: ignore[attr-defined]
    )
    index = placed.sections.index(added[0])
    following = placed.sections[index + 1]
    assert any(
        r.id == "ri-valuation" and r.params["company"] == "metax" for r in following.exhibits
    )
    numbers = [r.number for r in placed.exhibits]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) == len(definition.exhibits) + 1  # type: ignore[attr-defined]


def test_prose_reads_the_changes(project: Path) -> None:
    """Prose cites the actions and changes through the sandbox (plain values only)."""
    from reportgen.render.prose import render_prose

    ds, definition = _load(project, "metax")
    rtype = load_report_types()["company-initiation"]()
    metax = covered_company(ds.companies["metax"], value_company(ds.companies["metax"]))
    path = project / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    earlier = dataclasses.replace(metax, price_target=900.0, rating="Overweight")
    path.write_bytes(History((release("2026-01-15-01", earlier),)).to_bytes())
    try:
        context = rtype.prose_context(ds, definition)  # type: ignore[arg-type]
        text = (
            "We {{ changes.metax.actions.target_action | lower }} our target from "
            "{{ changes.metax.actions.previous_target | money('Rmb') }} and "
            "{{ changes.metax.actions.rating_action | lower }} to {{ report.title[:5] }}"
            " ({{ changes.metax.rows | length }} rows)."
        )
        html = str(render_prose(text, "data/reports/metax/x.md", context))
    finally:
        path.unlink()
    rows = sum(e.year.endswith("E") for e in metax.estimates)  # revenue and net profit 2026E
    assert f"We lower our target from Rmb900.00 and downgrade to MetaX ({rows} rows)." in html


def test_a_typed_rating_action_is_refused_for_a_company(project: Path) -> None:
    """The action is computed from the history: report.yaml may not state one."""
    root = project.parent / "typed"
    shutil.copytree(project / "data", root / "data")
    yaml = root / "data/reports/metax/report.yaml"
    text = yaml.read_text("utf-8")
    yaml.write_text(text.replace("\ntitle:", "\nrating_action: Maintain\ntitle:", 1), "utf-8")
    ds, definition = _load(root, "metax")
    problems = load_report_types()["company-initiation"]().validate(ds, definition)  # type: ignore[arg-type]
    (problem,) = [p for p in problems if p.column == "rating_action"]
    assert problem.path == "data/reports/metax/report.yaml" and problem.line is not None
    assert "computed from the company's earlier releases" in problem.message
