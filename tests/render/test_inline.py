"""Charts inline in the HTML file: same drawing, unique ids, references kept intact."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reportgen.figures.save import svg_bytes
from reportgen.figures.style import house_style, new_figure
from reportgen.render.inline import inline_charts, inline_svg
from reportgen.render.templates import svg_data_uri


def chart(title: str) -> bytes:
    with house_style():
        fig, ax = new_figure(3.0, 1.5)
        ax.plot([1, 2, 3], [1, 4, 2], marker="o")  # markers are <use href="#m...">
        ax.set_title(title)
    return svg_bytes(fig)


def img(svg: bytes, alt: str) -> str:
    return f'<img class="chart" src="{svg_data_uri(svg)}" alt="{alt}">'


def test_inline_svg_prefixes_ids_and_their_references() -> None:
    svg = chart("One")
    out = inline_svg(svg, "c1-", "Figure 1: One")
    assert out.startswith('<svg class="chart" role="img" aria-label="Figure 1: One"')
    assert "<?xml" not in out and "<!DOCTYPE" not in out and "<metadata>" not in out
    ids = re.findall(r'\bid="([^"]+)"', out)
    assert ids and all(i.startswith("c1-") for i in ids)
    refs = re.findall(r'(?:url\(#|href="#)([^)"]+)', out)
    assert refs and set(refs) <= set(ids)  # every reference points at a prefixed id
    root = ET.fromstring(out.replace("xlink:href", "href"))  # well-formed XML
    assert root.tag.endswith("svg")
    assert len(re.findall(r"<text\b", out)) == len(re.findall(rb"<text\b", svg))


def test_inline_charts_replaces_every_chart_image_with_unique_ids() -> None:
    one, two = chart("One"), chart("Two")
    second = img(two, "Figure 2: &#34;Two&#34;")
    page = f"<p>before</p>{img(one, 'Figure 1: One')}<p>mid</p>{second}"
    out = inline_charts(page)
    assert "data:image/svg+xml" not in out
    assert out.count('<svg class="chart"') == 2
    assert 'aria-label="Figure 2: &#34;Two&#34;"' in out  # escaped text stays escaped
    ids = re.findall(r'\bid="([^"]+)"', out)
    assert len(ids) == len(set(ids))
    assert "<p>before</p>" in out and "<p>mid</p>" in out


def test_a_page_without_charts_is_unchanged() -> None:
    page = '<img src="logo.png" alt="x"><p>text</p>'
    assert inline_charts(page) == page
