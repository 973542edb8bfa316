"""Every PDF is checked before it is called built; glyph coverage is checked before rendering."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pikepdf
import pytest

from reportgen.render.pdf import html_to_pdf
from reportgen.render.verify import glyph_problems, verify_pdf

REPO = Path(__file__).resolve().parents[2]
FONTS = REPO / "reportgen" / "templates" / "fonts"


@pytest.fixture(scope="module")
def good_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    html = (
        "<html><head><style>"
        f'@font-face {{ font-family: H; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); }}'
        "body { font-family: H }</style></head><body><p>Target Rmb1,588 and 17.4%</p></body></html>"
    )
    return html_to_pdf(html, tmp_path_factory.mktemp("v"), [FONTS], "t.pdf", dt.date(2026, 4, 26))


def test_a_good_pdf_passes(good_pdf: bytes) -> None:
    assert verify_pdf(good_pdf, "t.pdf", ["Rmb1,588", "17.4%"]) == []


def test_a_missing_key_figure_is_reported(good_pdf: bytes) -> None:
    problems = verify_pdf(good_pdf, "t.pdf", ["HK$600"])
    assert [p.message for p in problems] == ["key figure 'HK$600' not found in the text"]


def test_a_truncated_pdf_fails(good_pdf: bytes) -> None:
    problems = verify_pdf(good_pdf[: len(good_pdf) // 2], "t.pdf")
    assert any("%%EOF" in p.message for p in problems)


def test_a_font_that_is_not_embedded_fails(good_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(good_pdf)) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.Font.values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                del descendant.FontDescriptor["/FontFile2"]
        out = io.BytesIO()
        pdf.save(out)
    problems = verify_pdf(out.getvalue(), "t.pdf")
    assert any("is not embedded" in p.message for p in problems)


def test_a_type3_font_fails(good_pdf: bytes) -> None:
    with pikepdf.open(io.BytesIO(good_pdf)) as pdf:
        for page in pdf.pages:
            for font in page.obj.Resources.Font.values():
                font.Subtype = pikepdf.Name.Type3
        out = io.BytesIO()
        pdf.save(out)
    assert any("Type 3" in p.message for p in verify_pdf(out.getvalue(), "t.pdf"))


def test_pdf_a_3b_declares_its_conformance(tmp_path: Path) -> None:
    pdf = html_to_pdf(
        "<p>archive</p>", tmp_path, [FONTS], "t.pdf", dt.date(2026, 5, 1), variant="pdf/a-3b"
    )
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        meta = doc.open_metadata()
        assert meta.get("pdfaid:part") == "3"
        assert meta.get("pdfaid:conformance") == "B"


def test_characters_without_a_glyph_are_named() -> None:
    html = "<html><head><style>p{}</style></head><body><p>ok 真武 and \ua000 here</p></body></html>"
    problems = glyph_problems(html, FONTS, "build/x.html")
    assert len(problems) == 1
    assert "U+A000" in problems[0].message and "ok 真武 and" in problems[0].message


def test_chinese_names_in_the_data_are_covered() -> None:
    assert (
        glyph_problems("<p>GLM-4.7 输出长度 真武 810E 含光 倚天 镇岳 玄铁 羽阵</p>", FONTS, "x")
        == []
    )
