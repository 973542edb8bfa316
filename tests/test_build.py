"""End to end: build the sample reports from a copy of the project and read the PDFs back."""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
import pytest
from pypdf import PdfReader

from reportgen import formatting
from reportgen.build import build_all
from reportgen.data.dataset import load_dataset
from reportgen.project import Project
from reportgen.reports.queries import Day0, Market
from tests.tools import copy_sample, run_tool

REPO = Path(__file__).resolve().parents[1]
SLUG = "deepseek-v4-pricing"


def copy_project(dest: Path) -> Project:
    """A throwaway copy of the project's inputs (data and templates)."""
    copy_sample(dest)
    return Project(dest)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = copy_project(tmp_path_factory.mktemp("e2e"))
    build_all(project, [SLUG])
    return project


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def test_pdf_has_pages_text_and_metadata(built: Project) -> None:
    pdf = built.build / f"{SLUG}.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) >= 5
    meta = reader.metadata
    assert meta is not None and meta.title and meta.title.startswith("DeepSeek V4 pricing")
    assert pdf.read_bytes().rstrip().endswith(b"%%EOF")
    outline_titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Disclosures" in outline_titles


def test_pdf_text_holds_the_key_numbers(built: Project) -> None:
    ds = load_dataset(built.data)
    market = Market(ds)
    v4 = market.model("DeepSeek V4 Pro")
    promo = market.promo("DeepSeek V4 Pro")
    text = pdf_text(built.build / f"{SLUG}.pdf")
    # Published figures from the source note, pinned: list and promo rates, blended prices.
    for expected in (
        "US$1.74",
        "US$3.48",
        "US$0.44",
        "US$0.87",
        "US$2.18",  # the blended 2.175, printed to the cent as Figure 1 prints it
        "US$10.00",
        "US$67.50",
        "OUTPERFORM",
        "2.0x",
    ):
        assert expected in text, expected
    # Sentences that cite computed values show them as the data give them.
    cn, os_ = market.blended("China"), market.blended("Overseas")
    assert formatting.frac_pct(market.ratio(cn.median, os_.median), 0) in text
    assert formatting.usd(v4.blended) in text
    assert formatting.pct(promo["discount_pct"], 0) in text
    vendors = Day0(ds).vendors_supporting("DeepSeek V4")
    assert f"{formatting.count_word(len(vendors)).capitalize()} of them" in text


def test_every_font_is_embedded_and_none_is_type3(built: Project) -> None:
    with pikepdf.open(built.build / f"{SLUG}.pdf") as pdf:
        fonts = {}
        for page in pdf.pages:
            for name, font in (page.resources.get("/Font") or {}).items():
                fonts[(str(font.get("/BaseFont")), name)] = font
        assert fonts
        for (base, _), font in fonts.items():
            assert font.get("/Subtype") != "/Type3", base
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get("/FontDescriptor")
            assert descriptor is not None, base
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), base


def test_html_is_self_contained(built: Project) -> None:
    html = (built.build / f"{SLUG}.html").read_text(encoding="utf-8")
    # Charts inline (browsers draw their text in the page's fonts), ids unique in the page.
    assert html.count('<svg class="chart" role="img" aria-label="Figure ') >= 7
    assert "data:image/svg+xml" not in html
    # Fonts embedded: the file needs nothing beside it.
    assert "templates/fonts" not in html
    assert html.count("url(data:font/woff2;base64,") == 5
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert "file://" not in html
    assert str(built.root) not in html  # no absolute paths: same bytes in every clone
    assert "Figure 8:" in html


def test_figures_written_as_svg(built: Project) -> None:
    svgs = sorted((built.figures / SLUG).glob("*.svg"))
    assert len(svgs) >= 7
    for svg in svgs:
        assert svg.read_bytes().lstrip().startswith(b"<?xml")


def test_system_readers_agree(built: Project) -> None:
    pdf = str(built.build / f"{SLUG}.pdf")
    assert "No syntax or stream encoding errors" in run_tool("qpdf", "--check", pdf)
    fonts = run_tool("pdffonts", pdf).splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts
    assert not any("Type 3" in line for line in fonts)
    # Charts draw their text with the report's own fonts: no other font is embedded.
    assert {line.split()[0].split("+")[-1] for line in fonts} == {
        "House-Sans",
        "House-Sans-Bold",
        "House-CJK",
    }
    text = run_tool("pdftotext", pdf, "-")
    assert "OUTPERFORM" in text
    assert "Promotional rate" in text  # a chart's legend, searchable like the prose


def test_a_changed_price_changes_every_sentence_citing_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    pricing = project.data / "market" / "llm_pricing.csv"
    text = pricing.read_text(encoding="utf-8")
    old = "1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,1.74,0.01,1.74,,3.48,"
    assert old in text
    pricing.write_text(
        text.replace(old, old.replace(",1.74,0.01,", ",1.90,0.01,")), encoding="utf-8"
    )
    build_all(project, [SLUG])
    out = pdf_text(project.build / f"{SLUG}.pdf")
    assert "US$1.90" in out
    # The blended price moves with it: (3 x 1.90 + 3.48) / 4 = 2.295, printed to the cent.
    assert "US$2.30" in out
    assert "US$2.18" not in out
