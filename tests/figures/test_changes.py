"""The estimate-changes table and the first page's actions, built for MetaX with and without an
earlier release in the registry (a project copy; one build each, shared by the module)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import load_definitions, load_house
from reportgen.data.dataset import load_dataset
from reportgen.formatting import money, number, pct
from reportgen.models.actions import pct_change
from reportgen.project import Project
from reportgen.publish.model import CoveredCompany, Release
from reportgen.publish.registry import open_registry
from reportgen.reports.base import load_report_types
from reportgen.reports.history import CHANGES_TITLE
from tests.conftest import run_cli
from tests.tools import copy_sample

#: The earlier note's view of MetaX: a higher target (so this build lowers it), another
#: rating (so it downgrades) and other estimates.
EARLIER_TARGET = 800.0
EARLIER_RATING = "Overweight"
REVENUE_FACTOR = 0.9
NET_PROFIT_SHIFT = -5.0


def _copy(root: Path) -> Path:
    copy_sample(root)
    return root


def _text(pdf: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(pdf).pages)


def _current(root: Path) -> CoveredCompany:
    """MetaX as this build rates it (the release facts of the metax report)."""
    project = Project(root)
    ds = load_dataset(project.data)
    (definition,) = load_definitions(project, ["metax"])
    (company,) = load_report_types()[definition.type]().release_facts(ds, definition)
    return company


def _earlier(current: CoveredCompany) -> CoveredCompany:
    estimates = tuple(
        dataclasses.replace(
            e,
            value=e.value * REVENUE_FACTOR if e.metric == "revenue" else e.value + NET_PROFIT_SHIFT,
        )
        for e in current.estimates
    )
    return dataclasses.replace(
        current,
        rating=EARLIER_RATING,
        price_target=EARLIER_TARGET,
        price=650.0,
        price_date="2026-01-15",
        estimates=estimates,
    )


def _release(company: CoveredCompany) -> Release:
    return Release(
        release_id="2026-01-15-01",
        slug="metax",
        report_type="company-initiation",
        title="An earlier note",
        report_date="2026-01-15",
        published_at="2026-01-15T09:00:00Z",
        user="analyst",
        analysts=("Alex Morgan",),
        reportgen_version="0",
        git_commit=None,
        inputs_digest="earlier",
        pdf_sha256="0" * 64,
        html_sha256="0" * 64,
        manifest_sha256="0" * 64,
        sample=True,
        companies=(company,),
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """MetaX built --strict without a registry, then with one earlier release in it."""
    root = _copy(tmp_path_factory.mktemp("changes") / "project")
    first = run_cli(["build", "--strict", "metax"], root)
    assert first.exit_code == 0, first.output
    before = {
        "html": (root / "build/metax.html").read_text("utf-8"),
        "pdf": _text(root / "build/metax.pdf"),
    }
    current = _current(root)
    earlier = _earlier(current)
    project = Project(root)
    registry = open_registry(project, load_house(project), create=True)
    assert registry is not None
    try:
        registry.add_release(_release(earlier))
    finally:
        registry.close()
    second = run_cli(["build", "--strict", "metax"], root)
    assert second.exit_code == 0, second.output
    return {
        "before": before,
        "html": (root / "build/metax.html").read_text("utf-8"),
        "pdf": _text(root / "build/metax.pdf"),
        "current": current,
        "earlier": earlier,
    }


def test_without_history_the_first_page_says_initiation(builds: dict) -> None:
    before = builds["before"]
    assert "(Initiation of coverage)" in before["html"]
    assert "Initiation of coverage |" in before["html"]  # the kicker
    assert CHANGES_TITLE not in before["html"]
    assert "Target action" not in before["html"]


def test_first_page_marks_the_actions(builds: dict) -> None:
    html = builds["html"]
    assert f"(Downgrade from {EARLIER_RATING})" in html
    assert re.search(r"Target action</th><td>Lower</td>", html)
    assert f"Previous target</th><td>{money(EARLIER_TARGET, 'Rmb', 2)}</td>" in html
    assert "Company update |" in html and "Initiation of coverage" not in html


def test_changes_table_shows_both_values_and_the_change(builds: dict) -> None:
    text = builds["pdf"]
    current, earlier = builds["current"], builds["earlier"]
    assert CHANGES_TITLE in text
    caption = re.search(r"Figure (\d+): Rating, price target and key estimates", text)
    assert caption is not None
    # The residual income table follows it, numbered next (every later exhibit moved up one).
    assert f"Figure {int(caption.group(1)) + 1}: Residual income valuation" in text
    target_change = pct_change(EARLIER_TARGET, current.price_target)
    assert target_change is not None and target_change < 0
    assert f"Lower, {pct(target_change, 1, signed=True)}" in text
    shown = [e for e in current.estimates if e.year.endswith("E")]
    assert shown, "MetaX has forecast years on its first page"
    old = {(e.metric, e.year): e.value for e in earlier.estimates}
    for e in shown:
        change = pct_change(old[(e.metric, e.year)], e.value)
        cells = [number(old[(e.metric, e.year)], 1, parens=True), number(e.value, 1, parens=True)]
        cells.append("NM" if change is None else pct(change, 1, signed=True))
        assert " ".join([e.year, *cells]) in text, (e, cells)


def test_revenue_change_is_the_stated_factor(builds: dict) -> None:
    """Revenue was 0.9x in the earlier note: the table's change is 1/0.9 - 1 = +11.1%."""
    expected = pct(100.0 * (1 / REVENUE_FACTOR - 1), 1, signed=True)
    revenue = [e for e in builds["current"].estimates if e.metric == "revenue"]
    assert any(e.year.endswith("E") for e in revenue)
    assert expected in builds["pdf"]
