"""Chart text is text: dollar signs in data are drawn as written, never read as mathtext."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib

from reportgen.figures.save import svg_bytes
from reportgen.figures.style import house_style, new_figure
from reportgen.render.verify import pdf_text
from tests.conftest import run_cli
from tests.figures.svgcheck import SVG, assert_chart_svg
from tests.test_plan import edit

#: Two model names that mathtext would mangle: "plan 5to10" in italics, and both dollars lost.
PLAN = "plan $5 to $10"
FX = "US$0.13 per HK$1"


def svg_texts(data: bytes) -> list[str]:
    """The text of every <text> element of an SVG, as a reader of the file would see it."""
    root = ET.fromstring(data)
    return ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]


def test_house_style_turns_mathtext_off() -> None:
    with house_style():
        fig, ax = new_figure(3.0, 1.5)
        ax.bar([PLAN, FX], [1.0, 2.0])
        ax.set_title(r"cost $\alpha$ per $x^2$")
        ax.set_ylabel("US$ per 1M tokens")
    data = svg_bytes(fig)
    assert_chart_svg(data)
    texts = svg_texts(data)
    for label in (PLAN, FX, r"cost $\alpha$ per $x^2$", "US$ per 1M tokens"):
        assert label in texts, texts
    assert b"italic" not in data
    assert matplotlib.rcParams["text.parse_math"] is True  # only inside the house style


def test_dollar_signs_in_model_names_reach_the_chart_and_the_pdf_as_written(
    project_copy: Path,
) -> None:
    """Renamed flagship models in the pricing data, drawn by the real builders of the note."""
    for path in (
        project_copy / "data/market/llm_pricing.csv",
        project_copy / "data/reports/deepseek-v4-pricing/report.yaml",
    ):
        edit(path, "Kimi K2.6", f'"{PLAN}"' if path.suffix == ".yaml" else PLAN)
        edit(path, "MiniMax-M2.7,", f'"{FX}",' if path.suffix == ".yaml" else f"{FX},")
    result = run_cli(["build", "deepseek-v4-pricing"], project_copy)
    assert result.exit_code == 0, result.output
    figures = project_copy / "figures/deepseek-v4-pricing"
    for chart in ("flagship-blended-ranked", "io-ratios"):
        data = (figures / f"{chart}.svg").read_bytes()
        assert_chart_svg(data)
        texts = svg_texts(data)
        assert PLAN in texts, (chart, texts)
        assert FX in texts, (chart, texts)
        assert "plan 5to10" not in "".join(texts)
    text = pdf_text((project_copy / "build/deepseek-v4-pricing.pdf").read_bytes())
    assert PLAN in text
    assert FX in text
