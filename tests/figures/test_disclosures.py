"""Disclosures from the release history: the rating-history chart, the rating distribution,
the stocks a sector note mentions, and the optional share price file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from pypdf import PdfReader

from reportgen.checks.findings import findings_from_json
from reportgen.data.dataset import load_dataset
from reportgen.errors import DataError
from reportgen.figures.chartcheck import check_figure
from reportgen.figures.registry import get_exhibit
from reportgen.figures.save import svg_bytes
from reportgen.figures.style import GREY
from reportgen.project import Project
from reportgen.publish.model import HISTORY_FILE, CoveredCompany, History, Release
from reportgen.publish.registry import open_registry
from reportgen.render.templates import template_env
from reportgen.reports.disclosures import Disclosures, with_history_exhibits
from tests.conftest import REPO, run_cli
from tests.tools import copy_sample

PRICES = "data/companies/metax/prices.csv"
#: (release id, company, rating, target): two earlier MetaX releases with different ratings
#: and targets, and the other companies' latest ratings for the distribution.
RELEASES = (
    ("2025-06-02-01", "metax", "Overweight", 640.0),
    ("2025-09-01-01", "iluvatar", "Equal-weight", 500.0),
    ("2025-11-14-01", "metax", "Underweight", 600.0),
    ("2025-12-01-01", "cambricon", "Overweight", 1500.0),
    ("2026-01-10-01", "iluvatar", "Overweight", 560.0),
)
#: Latest release per company, counted by hand: MetaX Underweight, Cambricon Overweight,
#: Iluvatar Overweight (its Equal-weight was replaced): 2 / 0 / 1 of 3.
SHARES = {"Overweight": (2, "66.7%"), "Equal-weight": (0, "0.0%"), "Underweight": (1, "33.3%")}


def release(rid: str, company: str, rating: str, target: float) -> Release:
    date = rid[:10]
    return Release(
        release_id=rid,
        slug=company,
        report_type="company-initiation",
        title="Earlier note",
        report_date=date,
        published_at=f"{date}T09:00:00Z",
        user="analyst",
        analysts=("Alex Morgan",),
        reportgen_version="0",
        git_commit=None,
        inputs_digest=f"inputs-{rid}-{company}",
        pdf_sha256="0" * 64,
        html_sha256="0" * 64,
        manifest_sha256="0" * 64,
        sample=True,
        companies=(
            CoveredCompany(company, company, "T", rating, target * 0.9, date, target, "Rmb"),
        ),
    )


def copy_project(root: Path) -> Path:
    copy_sample(root)
    return root


def write_history(root: Path) -> None:
    """HISTORY_FILE as the build reads it (a builder test reads it without a plan)."""
    path = root / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(History(tuple(release(*r) for r in RELEASES)).to_bytes())


def write_prices(root: Path) -> list[float]:
    closes = [520.0, 610.0, 455.5, 702.25]
    days = ["2025-05-02", "2025-08-01", "2025-12-01", "2026-04-24"]
    body = "".join(f"{d},{c}\n" for d, c in zip(days, closes, strict=True))
    (root / PRICES).write_text("# closing prices, a test's own\ndate,close\n" + body)
    return closes


def draw(root: Path) -> Figure:
    ds = load_dataset(root / "data")
    return get_exhibit("rating-history").build(ds, {"company": "metax", "date": "2026-04-26"})


# --- the chart, drawn by its builder -------------------------------------------------------


@pytest.fixture(scope="module")
def with_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("history") / "project")
    write_history(root)
    return root


def test_chart_has_steps_and_markers(with_history: Path) -> None:
    fig = draw(with_history)
    ax = fig.axes[0]
    steps = [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]
    assert len(steps) == 1
    # 640 then 600 published, 758 now (company.yaml), held to the report date
    assert list(steps[0].get_ydata()) == [640.0, 600.0, 758.0, 758.0]
    marks = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [list(m.get_ydata()) for m in marks] == [[640.0], [600.0], [758.0]]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["Overweight\nRmb640.00", "Underweight\nRmb600.00", "Equal-weight\nRmb758.00"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "This report" in legend and "Share price" not in legend
    # without prices.csv: no price line
    assert not [line for line in ax.get_lines() if to_hex(line.get_color()) == GREY.lower()]
    svg_bytes(fig)
    assert check_figure(fig) == []


def test_price_file_draws_the_price_line(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    write_history(root)
    closes = write_prices(root)
    fig = draw(root)
    grey = [line for line in fig.axes[0].get_lines() if to_hex(line.get_color()) == GREY.lower()]
    assert len(grey) == 1
    assert list(grey[0].get_ydata()) == closes
    assert "Share price" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    svg_bytes(fig)
    assert check_figure(fig) == []


def test_no_release_draws_the_current_point_alone(tmp_path: Path) -> None:
    fig = draw(copy_project(tmp_path / "project"))
    marks = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert [list(m.get_ydata()) for m in marks] == [[758.0]]
    assert any(t.get_text().startswith("First publication") for t in fig.axes[0].texts)
    svg_bytes(fig)
    assert check_figure(fig) == []


def test_bad_price_file_is_located(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    (root / PRICES).write_text("date,close\n2026-01-05,600\n2026-02-02,six hundred\n")
    with pytest.raises(DataError) as caught:
        load_dataset(root / "data")
    shown = [str(p) for p in caught.value.problems]
    assert any(s.startswith(f"{PRICES}:3: column 'close': ") for s in shown), shown
    result = run_cli(["build", "metax"], root)  # the command: exit 2, the same line
    assert result.exit_code == 2, result.output
    assert f"{PRICES}:3: column 'close': " in result.output
    assert "Traceback" not in result.output


# --- the disclosures of built reports ---------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MetaX and the sector note, built --strict against a registry holding RELEASES."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    registry = open_registry(Project(root), {}, create=True)
    assert registry is not None
    try:
        for r in RELEASES:
            registry.add_release(release(*r))
    finally:
        registry.close()
    write_prices(root)
    result = run_cli(["build", "--strict", "--jobs", "2", "metax", "deepseek-v4-pricing"], root)
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    return root


def pdf_text(root: Path, slug: str) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(root / "build" / f"{slug}.pdf").pages]


def disclosures_text(root: Path, slug: str) -> str:
    pages = pdf_text(root, slug)
    first = next(i for i, text in enumerate(pages) if "Analyst certification" in text)
    return "\n".join(pages[first:])


@pytest.mark.parametrize("slug", ["metax", "deepseek-v4-pricing"])
def test_strict_build_has_no_findings(built: Path, slug: str) -> None:
    found = findings_from_json((built / ".reportgen-cache/findings" / f"{slug}.json").read_text())
    assert found == [], [str(f) for f in found]


@pytest.mark.parametrize("slug", ["metax", "deepseek-v4-pricing"])
def test_distribution_shows_the_shares_counted_by_hand(built: Path, slug: str) -> None:
    text = disclosures_text(built, slug)
    assert "Rating distribution" in text
    lines = [" ".join(line.split()) for line in text.splitlines()]
    for rating, (count, share) in SHARES.items():
        assert f"{rating} {count} {share}" in lines, (rating, lines)


def test_initiation_places_the_history_chart_in_its_disclosures(built: Path) -> None:
    text = disclosures_text(built, "metax")
    assert "MetaX: rating and price target history" in text
    svg = (built / "figures/metax/rating-history-metax.svg").read_text()
    assert "Underweight" in svg and "Rmb600.00" in svg and "Share price" in svg
    # the sector note rates no company: no history chart
    assert not list((built / "figures/deepseek-v4-pricing").glob("rating-history-*.svg"))


def test_sector_note_lists_the_stocks_it_mentions(built: Path) -> None:
    pages = pdf_text(built, "deepseek-v4-pricing")
    at = next(i for i, text in enumerate(pages) if "Stocks mentioned" in text)
    assert at < next(i for i, text in enumerate(pages) if "Analyst certification" in text) or (
        pages[at].index("Stocks mentioned") < pages[at].index("Analyst certification")
    )
    text = " ".join(pages[at].split())
    ds = load_dataset(built / "data")
    for slug in ("cambricon", "metax", "iluvatar"):  # all three are in the Day-0 matrix
        company = ds.companies[slug]
        cur = company.listing_currency
        row = (
            f"{company.name} {company.ticker} {company.rating} {cur}{company.price:,.2f} "
            f"{cur}{company.price_target:,.2f}"
        )
        assert row in text, (row, text)


def test_no_release_says_so_in_house_words() -> None:
    env = template_env(REPO / "reportgen" / "templates")
    house = {
        "name": "Meridian Research",
        "address": "1 Example Quay",
        "certification": "Certified.",
        "disclaimer": ["Not advice."],
        "ratings": {"stock": [{"rating": "Overweight", "meaning": "Beats."}]},
    }
    report = type("Report", (), {"date": dt.date(2026, 4, 26)})()
    html = env.get_template("partials/disclosures.html.j2").render(
        house=house, report=report, disclosures=Disclosures((), (), 0)
    )
    assert "Meridian Research has not yet published a stock rating" in html
    assert '<table class="ratings distribution">' not in html
    assert "Rating and price target history" not in html


# --- a republication on the report's own date -----------------------------------------------


def history_of(root: Path, *releases: Release) -> None:
    path = root / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(History(releases).to_bytes())


def placed(root: Path) -> list[str]:
    """Names of the disclosures' placements in the MetaX initiation as the build makes them."""
    from reportgen.build import load_definitions

    ds = load_dataset(root / "data")
    definition = load_definitions(Project(root), ["metax"])[0]
    return [r.name for r in with_history_exhibits(ds, definition).disclosure_exhibits]


def test_same_view_released_today_is_this_report_and_places_no_chart(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    history_of(root, release("2026-04-26-01", "metax", "Equal-weight", 758.0))
    assert placed(root) == []  # the release is this build, published: nothing earlier


def test_new_target_on_the_same_day_shows_both(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "project")
    history_of(root, release("2026-04-26-01", "metax", "Equal-weight", 758.0))
    yaml = root / "data/companies/metax/company.yaml"
    yaml.write_text(yaml.read_text().replace("price_target: 758\n", "price_target: 785\n"))
    assert placed(root) == ["rating-history-metax"]
    fig = draw(root)
    marks = [line for line in fig.axes[0].get_lines() if line.get_marker() == "o"]
    assert [list(m.get_ydata()) for m in marks] == [[758.0], [785.0]]
    assert [t.get_text() for t in fig.axes[0].texts] == [
        "Equal-weight\nRmb758.00",
        "Equal-weight\nRmb785.00",
    ]
    svg_bytes(fig)
    assert check_figure(fig) == []
