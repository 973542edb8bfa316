"""The sector-note exhibit builders, run against the real data/ folder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from reportgen.data.dataset import Dataset, load_dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures import sector_day0, sector_market, sector_pricing
from reportgen.figures.registry import EXHIBITS, TableExhibit, load_builders
from reportgen.figures.save import svg_bytes
from reportgen.figures.style import house_style
from tests.figures.svgcheck import assert_chart_svg

DATA = Path(__file__).resolve().parents[2] / "data"
SVG = "{http://www.w3.org/2000/svg}"

PARAMS: dict[str, dict[str, Any]] = {
    "v4-vs-overseas-flagships": {
        "subject": "DeepSeek V4 Pro",
        "peers": [
            "Claude Opus 4.7",
            "GPT-5.5 Pro (Short Context)",
            "Gemini 3.1 Pro Preview Input (0_200k)",
        ],
    },
    "price-ranges": {},
    "pricing-matrix": {},
    "shipment-share-2025": {"year": 2025},
    "gpgpu-localization": {},
    "day0-matrix": {},
    "io-ratios": {
        "domestic": [
            "DeepSeek V4 Pro",
            "MiniMax-M2.7",
            "GLM-5.1 Input (32k)",
            "Kimi K2.6",
            "Qwen3.6 Max Preview Input(0_128K)",
            "MiMo-V2.5-Pro Input(0_256K)",
            "doubao-seed-2.0-pro Input (0_32)",
            "Hunyuan 2.0 Think Input (32k_128k)",
        ],
        "overseas": [
            "GPT-5.5 Pro (Short Context)",
            "GPT-5.5 Pro (Long Context)",
            "Claude Opus 4.7",
            "Gemini 3.1 Pro Preview Input (0_200k)",
            "Gemini 3.1 Pro Preview Input (200k_*)",
            "Grok 4.2",
            "Llama 4 Maverick",
            "Command A",
        ],
    },
    "flagship-blended-ranked": {"highlight": "DeepSeek V4 Pro"},
}

load_builders()
SECTOR_MODULES = {m.__name__ for m in (sector_pricing, sector_market, sector_day0)}
SECTOR_IDS = sorted(k for k, spec in EXHIBITS.items() if spec.build.__module__ in SECTOR_MODULES)
CHART_IDS = [k for k in SECTOR_IDS if EXHIBITS[k].kind == "chart"]


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(DATA)


def build(ds: Dataset, exhibit_id: str, params: Mapping[str, Any] | None = None) -> Any:
    spec = EXHIBITS[exhibit_id]
    return spec.build(ds, PARAMS[exhibit_id] if params is None else params)


def svg(fig: Figure) -> bytes:
    """Save as the build step does, with the house rcParams (fixed hash salt) in force."""
    with house_style():
        return svg_bytes(fig)


@pytest.fixture(scope="module")
def charts(ds: Dataset) -> dict[str, bytes]:
    """Each chart built once and saved, shared by the tests below."""
    return {k: svg(build(ds, k)) for k in CHART_IDS}


def test_every_sector_exhibit_is_registered() -> None:
    assert sorted(PARAMS) == SECTOR_IDS
    assert EXHIBITS["pricing-matrix"].kind == "table"
    for k in SECTOR_IDS:
        spec = EXHIBITS[k]
        # The template prints "Source:" before the line, so a builder must not repeat it.
        assert spec.title and spec.source and not spec.source.startswith("Source")
        assert "Meridian Research" in spec.source
        assert spec.tables and spec.build.__doc__


@pytest.mark.parametrize("exhibit_id", CHART_IDS)
def test_chart_is_svg_with_text_in_house_fonts(charts: dict[str, bytes], exhibit_id: str) -> None:
    assert_chart_svg(charts[exhibit_id])


@pytest.mark.parametrize("exhibit_id", CHART_IDS)
def test_chart_is_deterministic(ds: Dataset, charts: dict[str, bytes], exhibit_id: str) -> None:
    assert svg(build(ds, exhibit_id)) == charts[exhibit_id]


def test_svg_bytes_is_deterministic_outside_house_style(ds: Dataset) -> None:
    a = svg_bytes(build(ds, "shipment-share-2025"))
    b = svg_bytes(build(ds, "shipment-share-2025"))
    assert a == b


def test_builders_return_their_kind(ds: Dataset) -> None:
    for k in SECTOR_IDS:
        out = build(ds, k)
        assert isinstance(out, TableExhibit if EXHIBITS[k].kind == "table" else Figure), k


# --- pricing matrix --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix(ds: Dataset) -> TableExhibit:
    out = build(ds, "pricing-matrix")
    assert isinstance(out, TableExhibit)
    return out


def test_matrix_has_one_row_per_pricing_row(ds: Dataset, matrix: TableExhibit) -> None:
    prices = ds.table("llm_pricing")
    rows = [r for g in matrix.groups for r in g.rows]
    assert len(rows) == len(prices)
    assert [r.cells[0] for r in rows] == list(prices["model"])
    assert all(len(r.cells) == len(matrix.columns) for r in rows)
    assert sum(span for _, span in matrix.header_groups) == len(matrix.columns)


def test_matrix_groups_region_then_provider(ds: Dataset, matrix: TableExhibit) -> None:
    prices = ds.table("llm_pricing")
    assert [g.label for g in matrix.groups if g.level == 1] == ["China", "Overseas"]
    level2 = [g.label for g in matrix.groups if g.level == 2]
    assert level2 == list(dict.fromkeys(prices["provider"]))
    assert all(not g.rows for g in matrix.groups if g.level == 1)


def test_matrix_marks(ds: Dataset, matrix: TableExhibit) -> None:
    prices = ds.table("llm_pricing")
    rows = [r for g in matrix.groups for r in g.rows]
    flagged = [r.cells[0] for r in rows if "flagship" in r.marks]
    assert len(flagged) == int(prices["flagship"].sum())
    assert "DeepSeek V4 Pro" in flagged and "DeepSeek V4 Flash" not in flagged
    differs = {r.cells[0] for r in rows if "differs" in r.marks}
    assert "MiniMax-M2.7" in differs
    assert "DeepSeek V4 Pro" not in differs
    note = next(n for n in matrix.notes if n.startswith("Published value differs from computed"))
    assert all(name in note for name in differs)


def test_matrix_formats_numbers(matrix: TableExhibit) -> None:
    first = matrix.groups[1].rows[0]  # DeepSeek V4 Pro, the file's first row
    labels = [c.label for c in matrix.columns]
    cell = dict(zip(labels, first.cells, strict=True))
    assert cell["Input"] == "1.74" and cell["Output"] == "3.48"
    assert cell["I/O ratio (computed)"] == "2.0x"
    assert cell["Storage"] == "–"  # empty in the file
    assert matrix.columns[labels.index("Input")].unit == "US$/1M"


# --- what the charts draw ----------------------------------------------------------------------


def test_flagship_chart_draws_dataset_prices(ds: Dataset) -> None:
    fig = build(ds, "v4-vs-overseas-flagships")
    params = PARAMS["v4-vs-overseas-flagships"]
    prices = ds.table("llm_pricing")
    chosen = prices[prices["model"].isin([params["subject"], *params["peers"]])]
    assert len(chosen) == 1 + len(params["peers"])
    for ax, column in zip(fig.axes, ("input_usd", "output_usd", "blended_3_1_usd"), strict=True):
        widths = sorted(p.get_width() for p in ax.patches)
        assert widths == pytest.approx(sorted(chosen[column]))


def test_shipment_remainder_is_hatched_and_labelled(ds: Dataset) -> None:
    fig = build(ds, "shipment-share-2025")
    ships = ds.table("china_ai_shipments")
    derived = ships[ships["derived"]]
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == len(derived) == 1
    assert hatched[0].get_width() == pytest.approx(float(derived["share_pct"].iloc[0]))
    assert sum(p.get_width() for p in fig.axes[0].patches) == pytest.approx(100.0)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("derived" in t and "Other" in t for t in texts)


def test_day0_row_totals(ds: Dataset) -> None:
    fig = build(ds, "day0-matrix")
    long = ds.table("day0")
    counts = long[long["status"].notna()].groupby("vendor").size()
    expected = [str(int(counts.get(v, 0))) for v in ds.day0_catalogue.vendors]
    texts = fig.axes[0].texts
    n_models = len(ds.day0_catalogue.models)
    totals = [t.get_text() for t in texts if t.get_position()[0] == pytest.approx(n_models - 0.1)]
    assert totals[: len(expected)] == expected


# --- bad parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exhibit_id", "params"),
    [
        ("v4-vs-overseas-flagships", {"subject": "DeepSeek V9", "peers": ["Claude Opus 4.7"]}),
        ("v4-vs-overseas-flagships", {"subject": "DeepSeek V4 Pro", "peers": ["Claude Opus 9"]}),
        ("io-ratios", {"domestic": ["Grok 4.2"], "overseas": []}),  # overseas row as domestic
        ("price-ranges", {"promo_model": "No Such Model"}),
        ("flagship-blended-ranked", {"highlight": "DeepSeek V4 Flash"}),  # not a flagship
        ("v4-vs-overseas-flagships", {"peers": []}),  # missing subject
    ],
)
def test_unknown_model_raises_exhibit_data_error(
    ds: Dataset, exhibit_id: str, params: dict[str, Any]
) -> None:
    with pytest.raises(ExhibitDataError):
        build(ds, exhibit_id, params)


def test_unknown_model_message_names_it(ds: Dataset) -> None:
    with pytest.raises(ExhibitDataError, match="DeepSeek V9"):
        build(ds, "v4-vs-overseas-flagships", {"subject": "DeepSeek V9", "peers": []})


def test_ambiguous_model_raises_exhibit_data_error(ds: Dataset) -> None:
    params = {"subject": "doubao-seed-1.8 Input (32_128)", "peers": []}  # two rows share it
    with pytest.raises(ExhibitDataError, match="ambiguous"):
        build(ds, "v4-vs-overseas-flagships", params)


def test_peers_must_be_a_list(ds: Dataset) -> None:
    with pytest.raises(ExhibitDataError):
        build(ds, "v4-vs-overseas-flagships", {"subject": "DeepSeek V4 Pro", "peers": "Grok 4.2"})
