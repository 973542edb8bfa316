"""The industry-initiation exhibit builders and the CJK font fallback, against the real data/."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from matplotlib import font_manager
from matplotlib.figure import Figure

from reportgen import formatting as fmt
from reportgen.checks import find_mismatches
from reportgen.data.dataset import Dataset, load_dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures import industry
from reportgen.figures.registry import EXHIBITS, TableExhibit, load_builders
from reportgen.figures.save import svg_bytes
from reportgen.figures.style import CJK_FAMILY, PAGE_FAMILY_OF, RC, house_style, new_figure
from reportgen.render.verify import chart_glyph_problems
from tests.figures.svgcheck import assert_chart_svg

DATA = Path(__file__).resolve().parents[2] / "data"
SVG = "{http://www.w3.org/2000/svg}"
GRIDS = ("market_cap", "to_parent", "per_parent_share")
UNITS = ("kunlunxin", "t_head")

CASES: list[tuple[str, dict[str, Any]]] = [
    ("perf-per-watt", {}),
    ("perf-per-dollar", {}),
    ("chip-cost-table", {}),
    ("accelerator-comparison", {}),
    ("gpgpu-vs-asic", {}),
    *(("sensitivity-grid", {"unit": u, "grid": g}) for u in UNITS for g in GRIDS),
    ("unit-products", {"unit": "T-Head"}),
]

load_builders()
INDUSTRY_IDS = sorted(k for k, s in EXHIBITS.items() if s.build.__module__ == industry.__name__)
CHART_IDS = [k for k in INDUSTRY_IDS if EXHIBITS[k].kind == "chart"]


def _case_id(case: tuple[str, dict[str, Any]]) -> str:
    return "-".join([case[0], *map(str, case[1].values())])


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(DATA)


def build(ds: Dataset, exhibit_id: str, params: Mapping[str, Any] | None = None) -> Any:
    return EXHIBITS[exhibit_id].build(ds, params or {})


def rows_of(table: TableExhibit) -> list[Any]:
    return [r for g in table.groups for r in g.rows]


def test_every_industry_exhibit_is_registered() -> None:
    assert sorted({k for k, _ in CASES}) == INDUSTRY_IDS
    for k in INDUSTRY_IDS:
        spec = EXHIBITS[k]
        assert spec.title and spec.source and "Meridian Research" in spec.source
        assert spec.tables and spec.build.__doc__


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_builder_returns_its_kind(ds: Dataset, case: tuple[str, dict[str, Any]]) -> None:
    out = build(ds, *case)
    assert isinstance(out, TableExhibit if EXHIBITS[case[0]].kind == "table" else Figure)
    if isinstance(out, TableExhibit):
        assert all(len(r.cells) == len(out.columns) for r in rows_of(out))
        if out.header_groups:
            assert sum(span for _, span in out.header_groups) == len(out.columns)


@pytest.mark.parametrize("exhibit_id", CHART_IDS)
def test_chart_is_deterministic_svg_with_text_in_house_fonts(ds: Dataset, exhibit_id: str) -> None:
    data = svg_bytes(build(ds, exhibit_id))
    assert_chart_svg(data)
    assert svg_bytes(build(ds, exhibit_id)) == data


# --- efficiency charts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exhibit_id", "column"),
    [("perf-per-watt", "perf_per_watt"), ("perf-per-dollar", "perf_per_cost")],
)
def test_efficiency_bars_are_computed_and_sorted(ds: Dataset, exhibit_id: str, column: str) -> None:
    chips = ds.table("chips")
    fig = build(ds, exhibit_id)
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda p: -p.get_y())  # top to bottom
    widths = [p.get_width() for p in bars]
    assert len(widths) == len(chips)
    assert widths == pytest.approx(sorted(chips[column], reverse=True))
    colours = {p.get_facecolor() for p in bars}
    assert len(colours) == 2  # Nvidia against domestic
    label = ax.get_xlabel()
    assert "FP8" in label and "FP16" in label
    fp16 = int(chips["fp8_tflops"].isna().sum())
    assert sum("(FP16)" in t.get_text() for t in ax.texts) == fp16


# --- cost build-up ----------------------------------------------------------------------------


def test_chip_cost_table(ds: Dataset) -> None:
    chips = ds.table("chips").sort_values("_line")
    out = build(ds, "chip-cost-table")
    rows = rows_of(out)
    assert len(rows) == len(chips)
    assert [g.label for g in out.groups] == list(dict.fromkeys(chips["brand"]))
    assert [r.cells[0] for r in rows] == list(chips["product"])
    labels = [c.label for c in out.columns]
    die = labels.index("Die")
    assert [r.cells[die] for r in rows] == [fmt.number(v, 0) for v in chips["die_cost_usd"]]
    path = ds.files["chips"]
    lines = {m.line for m in find_mismatches(ds) if m.path == path}
    expected = set(chips.loc[chips["_line"].isin(lines), "product"])
    assert expected  # the source's known BI-V100*/BI-V200* mismatches
    assert {r.cells[0] for r in rows if "differs" in r.marks} == expected
    note = next(n for n in out.notes if n.startswith("Published value differs"))
    assert all(product in note for product in expected)


# --- comparison tables -----------------------------------------------------------------------


def test_accelerator_comparison(ds: Dataset) -> None:
    frame = ds.table("accelerator_comparison")
    out = build(ds, "accelerator-comparison")
    assert [c.label for c in out.columns[1:]] == list(frame["company"])
    rows = rows_of(out)
    assert len(rows) == len(industry.COMPARISON_ROWS)
    revenue = next(r for r in rows if r.cells[0].startswith("2025 revenue"))
    assert revenue.cells[1:] == tuple(fmt.number(v, 0) for v in frame["revenue_2025_rmb_mn"])
    assert not revenue.marks  # Iluvatar and MetaX agree with their own tables
    assert set(rows[4].cells[1:]) <= {"Yes", "No"}


def test_gpgpu_vs_asic_flags_the_type_mismatch(ds: Dataset) -> None:
    out = build(ds, "gpgpu-vs-asic")
    assert [c.label for c in out.columns[1:]] == ["Nvidia H200", "Huawei Ascend 950PR"]
    assert len(rows_of(out)) == len(industry.ASIC_ROWS)
    assert any("950PR" in n and "GPGPU" in n for n in out.notes)


def test_new_market_tables_load(ds: Dataset) -> None:
    assert len(ds.table("accelerator_comparison")) == 3
    assert len(ds.table("gpgpu_vs_asic")) == 2


# --- sensitivity grids -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def grids() -> dict[str, Any]:
    return yaml.safe_load((DATA / "market" / "sensitivity_grids.yaml").read_text())


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("grid", GRIDS)
def test_sensitivity_grid_as_published(
    ds: Dataset, grids: dict[str, Any], unit: str, grid: str
) -> None:
    spec = grids[unit]
    key, _, dp, _, _ = industry.GRIDS[grid]
    out = build(ds, "sensitivity-grid", {"unit": unit, "grid": grid})
    rows = rows_of(out)
    assert len(rows) == len(spec["ps_x"])
    assert len(out.columns) == 1 + len(spec["revenue_rmb_mn"])
    assert [r.cells[0] for r in rows] == [fmt.multiple(m, 0) for m in spec["ps_x"]]
    i = spec["ps_x"].index(spec["base_case"]["ps_x"])
    j = spec["revenue_rmb_mn"].index(spec["base_case"]["revenue_rmb_mn"])
    marked = [
        (a, b) for a, r in enumerate(rows) for b, c in enumerate(r.cells) if industry.BASE_MARK in c
    ]
    assert marked == [(i, j + 1)]
    assert "base-case" in rows[i].marks
    for r, printed in zip(rows, spec[key], strict=True):
        cells = [c.replace(industry.BASE_MARK, "").strip() for c in r.cells[1:]]
        assert cells == [fmt.number(v, dp) for v in printed]
    assert any("as published" in n and "not stated" in n for n in out.notes)
    assert not any("source" in n or "Exhibit" in n for n in out.notes)  # client-facing words


def test_kunlunxin_grid_notes_the_implied_factor(ds: Dataset) -> None:
    out = build(ds, "sensitivity-grid", {"unit": "kunlunxin", "grid": "to_parent"})
    assert any("0.4162" in n and "0.4200" in n for n in out.notes)


@pytest.mark.parametrize(
    "params",
    [{"unit": "cambricon", "grid": "market_cap"}, {"unit": "t_head", "grid": "ev"}, {"grid": "x"}],
)
def test_sensitivity_grid_bad_params(ds: Dataset, params: dict[str, Any]) -> None:
    with pytest.raises(ExhibitDataError):
        build(ds, "sensitivity-grid", params)


# --- CJK glyphs ----------------------------------------------------------------------------

FONTS = Path(__file__).resolve().parents[2] / "reportgen" / "templates" / "fonts"


def _labelled_bar(label: str) -> bytes:
    with house_style():
        fig, ax = new_figure(3.0, 1.5)
        ax.barh([0], [1.0])
        ax.set_yticks([0], [label])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unknown glyphs warn, by design
        return svg_bytes(fig)


def test_cjk_font_is_registered() -> None:
    assert CJK_FAMILY == "Noto Sans CJK SC"
    assert CJK_FAMILY in {f.name for f in font_manager.fontManager.ttflist}
    assert RC["font.family"] == ["DejaVu Sans", CJK_FAMILY]
    assert RC["svg.fonttype"] == "none"
    assert PAGE_FAMILY_OF == {"DejaVu Sans": "House Sans", CJK_FAMILY: "House CJK"}


def test_house_families_are_the_pages_font_faces() -> None:
    css = (FONTS.parent / "css" / "fonts.css.j2").read_text(encoding="utf-8")
    declared = set(re.findall(r'font-family: "([^"]+)"', css))
    assert set(PAGE_FAMILY_OF.values()) <= declared


def test_chinese_label_is_text_in_the_house_cjk_font() -> None:
    chinese = _labelled_bar("真武 810E")
    assert_chart_svg(chinese)
    assert "真武 810E" in chinese.decode("utf-8")
    assert chart_glyph_problems(chinese, FONTS, "c.svg") == []
    assert _labelled_bar("真武 810E") == chinese


def test_chart_character_without_a_glyph_is_reported() -> None:
    unknown = _labelled_bar("\ue000 810E")  # a private-use character no font has
    problems = chart_glyph_problems(unknown, FONTS, "figures/x/c.svg")
    assert [p.path for p in problems] == ["figures/x/c.svg"]
    assert "U+E000" in problems[0].message and "810E" in problems[0].message


def test_chart_text_in_another_font_is_refused() -> None:
    with house_style():
        fig, ax = new_figure(3.0, 1.5)
        ax.set_title("Serif title", fontfamily="DejaVu Serif")
    with pytest.raises(ValueError, match="DejaVu Serif"):
        svg_bytes(fig)


def test_unit_products_show_chinese_names() -> None:
    from pathlib import Path

    from reportgen.data.dataset import load_dataset
    from reportgen.figures.registry import EXHIBITS, TableExhibit, load_builders

    load_builders()
    ds = load_dataset(Path(__file__).resolve().parents[2] / "data")
    table = EXHIBITS["unit-products"].build(ds, {"unit": "T-Head"})
    assert isinstance(table, TableExhibit)
    cells = [row.cells[0] for group in table.groups for row in group.rows]
    assert len(cells) == 7
    assert cells[0] == "真武 810E (Zhenwu 810E PPU)"
    with pytest.raises(ExhibitDataError, match="known: T-Head"):
        EXHIBITS["unit-products"].build(ds, {"unit": "Nobody"})


# --- the first page's stock calls: each price with its own date --------------------------------


def _coverage(dates: Mapping[str, str]) -> str:
    """The industry first page's stock-call table rendered for companies priced on ``dates``."""
    import datetime as dt
    from types import SimpleNamespace

    from reportgen.render.templates import template_env

    env = template_env(DATA.parent / "reportgen" / "templates")
    key_data = {
        slug: SimpleNamespace(
            short_name=slug.capitalize(),
            ticker=f"{slug[:3].upper()}.HK",
            rating="Overweight",
            price=100.0,
            target=120.0,
            upside=0.2,
            listing_currency="HK$",
            price_date=dt.date.fromisoformat(day),
        )
        for slug, day in dates.items()
    }
    report = SimpleNamespace(companies=list(dates))
    template = env.get_template("partials/company_coverage.html.j2")
    return re.sub(r"\s+", " ", template.render(report=report, key_data=key_data))


def test_coverage_dates_each_price_with_its_own_date() -> None:
    html = _coverage({"alpha": "2026-04-24", "beta": "2026-04-26"})
    assert "Price date" in html
    assert "24 April 2026" in html and "26 April 2026" in html
    assert "Each price is as of its own date." in html
    assert "Prices as of" not in html


def test_coverage_with_one_price_date_states_it_once() -> None:
    html = _coverage({"alpha": "2026-04-26", "beta": "2026-04-26"})
    assert "Prices as of 26 April 2026." in html
    assert "Price date" not in html
