"""The layout summary the rendering child returns: what it holds, and that it travels."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from reportgen.render.bounded import run_bounded
from reportgen.render.layout import Layout, page_texts
from reportgen.render.pdf import html_to_pdf_and_layout

FONTS = Path(__file__).resolve().parents[2] / "reportgen" / "templates" / "fonts"
STYLE = f"""
@font-face {{ font-family: H; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); }}
@page {{ size: 400px 300px; margin: 20px; @bottom-right {{ content: "Page " counter(page) }} }}
html {{ font-family: H; font-size: 10px; line-height: 12px; }}
body {{ margin: 0; }} p, figure {{ margin: 0; }}
.hidden {{ height: 0; overflow: hidden; font-size: 0; }}
"""
BODY = (
    '<p class="hidden">running title</p><h2>Heading</h2><p>Body line</p>'
    "<ul><li>An item</li></ul>"
    '<figure class="exhibit exhibit-table" id="exhibit-costs">'
    '<figcaption class="exhibit-title"><span class="exhibit-number">Figure 2:</span> Costs'
    "</figcaption><table><thead><tr><th>Name</th></tr></thead>"
    "<tbody><tr><td>one</td></tr><tr><td>two</td></tr></tbody></table>"
    '<p class="table-note">A note.</p><p class="exhibit-source">Source: ours</p></figure>'
)


def render(tmp_path: Path) -> Layout:
    html = f"<html><head><style>{STYLE}</style></head><body>{BODY}</body></html>"
    return html_to_pdf_and_layout(html, tmp_path, [FONTS], "t.pdf", dt.date(2026, 5, 1))[1]


def test_roles_exhibits_and_text(tmp_path: Path) -> None:
    layout = render(tmp_path)
    (page,) = layout.pages
    assert (page.width, page.height) == (400, 300)
    assert page.content == (20, 20, 360, 260)
    roles = [(b.role, b.exhibit) for b in page.boxes if b.role != "line"]
    assert roles == [
        ("para", ""),
        ("heading", ""),
        ("para", ""),
        ("item", ""),
        ("exhibit", "costs"),
        ("caption", "costs"),
        ("thead", "costs"),
        ("row", "costs"),
        ("row", "costs"),
        ("note", "costs"),
        ("source", "costs"),
    ]
    assert [i.label for i in layout.exhibits] == ["Figure 2"]
    assert layout.exhibit("costs").kind == "table"
    lines = [(b.text, b.within) for b in page.boxes if b.role == "line"]
    assert ("Heading", "heading") in lines and ("A note.", "note") in lines
    assert all("running title" not in text for text, _ in lines)  # zero-size text is unseen
    cell = next(b for b in page.boxes if b.role == "line" and b.text == "one")
    assert cell.limit_kind == "cell" and cell.limit is not None
    # The page's text is what a reader sees on it, the margin boxes too.
    assert page_texts(layout)[0].splitlines()[-1] == "Page 1"


def test_the_layout_crosses_the_process_boundary(tmp_path: Path) -> None:
    """Made in the bounded rendering child, it comes back whole (it is plain and picklable)."""
    html = f"<html><head><style>{STYLE}</style></head><body>{BODY}</body></html>"
    pdf, layout = run_bounded(
        html_to_pdf_and_layout,
        html,
        tmp_path,
        [FONTS],
        "t.pdf",
        dt.date(2026, 5, 1),
        label="t.pdf",
        seconds=60,
        memory_mb=2048,
    )
    assert pdf.startswith(b"%PDF")
    assert layout == render(tmp_path)
    assert pickle.loads(pickle.dumps(layout)) == layout
