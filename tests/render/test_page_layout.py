"""The house layout rules, laid out by the real WeasyPrint with the real templates and CSS:
the SAMPLE mark of a sample house on every page (and none without it), exhibits kept with
their captions, notes and source lines, long tables breaking with their header repeated,
headings never last on a page, tall charts capped in height with their aspect kept."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pypdf import PdfReader

from reportgen.render.templates import template_env
from reportgen.render.weasy import HTML
from reportgen.reports.base import RenderedExhibit
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "reportgen" / "templates"
PX_PER_MM = 96 / 25.4

# --- the SAMPLE mark, through a real build --------------------------------------------------

NOTE = """type: sector-note
title: Layout probe
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Background
    prose: body.md
"""
#: Enough plain prose for the body to run over two pages before the disclosures page.
BODY = "\n\n".join(
    f"Paragraph {i}: domestic accelerators ship in volume and prices keep falling. " * 6
    for i in range(40)
)


def sample_project(root: Path, sample: bool | None) -> Path:
    """The real house and templates with one prose-only note; ``sample`` as house.yaml says
    (None: no key at all)."""
    shutil.copytree(REPO / "data", root / "data")
    shutil.copy2(REPO / "reportgen.yaml", root / "reportgen.yaml")  # the CLI needs a project
    shutil.copytree(TEMPLATES, root / "templates")
    shutil.rmtree(root / "data" / "reports")
    house = root / "data" / "house.yaml"
    text = re.sub(r"(?m)^sample:.*\n", "", house.read_text(encoding="utf-8"))
    if sample is not None:
        text += f"sample: {'true' if sample else 'false'}\n"
    house.write_text(text, encoding="utf-8")
    folder = root / "data" / "reports" / "probe"
    folder.mkdir(parents=True)
    (folder / "report.yaml").write_text(NOTE, encoding="utf-8")
    (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
    (folder / "body.md").write_text(BODY + "\n", encoding="utf-8")
    return root


def built_pages(root: Path) -> tuple[list[str], str]:
    """Build the probe note; the text of each PDF page and the HTML file."""
    result = run_cli(["build", "probe"], root)
    assert result.exit_code == 0, result.output
    pages = [page.extract_text() or "" for page in PdfReader(root / "build" / "probe.pdf").pages]
    return pages, (root / "build" / "probe.html").read_text(encoding="utf-8")


def test_a_sample_house_marks_every_page_sample(tmp_path: Path) -> None:
    pages, html = built_pages(sample_project(tmp_path / "p", sample=True))
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        assert re.search(r"\bSAMPLE\b", text), f"page {number} has no SAMPLE mark"
    assert '<div class="sample-banner">SAMPLE</div>' in html


@pytest.mark.parametrize("sample", [False, None], ids=["sample-false", "no-key"])
def test_a_house_that_is_not_a_sample_shows_no_mark(tmp_path: Path, sample: bool | None) -> None:
    pages, html = built_pages(sample_project(tmp_path / "p", sample=sample))
    assert len(pages) >= 3
    assert not any(re.search(r"\bSAMPLE\b", text) for text in pages)
    assert "sample-banner" not in html


# --- exhibits and headings laid out with the house CSS ----------------------------------------


def house_css() -> str:
    """The CSS every report page carries: fonts, house style, initiation additions."""
    env = template_env(TEMPLATES)
    fonts = env.get_template("css/fonts.css.j2").render(
        fonts_url=TEMPLATES.joinpath("fonts").as_uri()
    )
    return fonts + (TEMPLATES / "css" / "report.css").read_text(encoding="utf-8")


def table_exhibit(ident: str, rows: int, notes: int = 1) -> str:
    """A table exhibit as templates/partials/exhibit.html.j2 renders it: row i reads 'r<i>'."""
    table = SimpleNamespace(
        header_groups=[],
        columns=[
            SimpleNamespace(label="Item", unit="", align="left"),
            SimpleNamespace(label="Value", unit="US$", align="right"),
        ],
        groups=[
            SimpleNamespace(
                label="",
                level=1,
                rows=[SimpleNamespace(marks=[], cells=[f"r{i}", f"{i}.0"]) for i in range(rows)],
            )
        ],
        notes=[f"Note {n}: computed from the rows above." for n in range(notes)],
    )
    exhibit = RenderedExhibit(
        id=ident, number=1, kind="table", title=f"Table {ident}", source="Company data", table=table
    )
    template = template_env(TEMPLATES).get_template("partials/exhibit.html.j2")
    return template.render(exhibit=exhibit)


def spacer(mm: float) -> str:
    """A block of ``mm`` height that starts a new page: moves what follows down the page."""
    return f'<div class="spacer" style="break-before: page; height: {mm}mm"></div>'


def render(body: str) -> Any:
    html = (
        f"<html><head><style>{house_css()}</style></head><body class='report'>{body}</body></html>"
    )
    return HTML(string=html, base_url=str(TEMPLATES) + "/").render()


def _walk(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _walk(child)


def placed(document: Any) -> list[tuple[int, str, str, Any]]:
    """(page, tag, class, box) of every element box, in document order, page by page."""
    out = []
    for number, page in enumerate(document.pages, 1):
        for box in _walk(page._page_box):
            element = getattr(box, "element", None)
            if element is not None and box.element_tag != "html":
                out.append((number, box.element_tag, element.get("class") or "", box))
    return out


def exhibit_boxes(
    boxes: list[tuple[int, str, str, Any]], ident: str
) -> list[tuple[int, str, str, Any]]:
    """The boxes of the exhibit ``ident`` (its figure and everything inside it), every page."""
    mine = []
    inside = False
    for number, tag, cls, box in boxes:
        if tag in ("body", "figure") or cls == "spacer":
            inside = box.element.get("id") == f"exhibit-{ident}"
        if inside:
            mine.append((number, tag, cls, box))
    return mine


def text_of(box: Any) -> str:
    return "".join(box.element.itertext()).strip()


#: Spacer heights (mm) that leave the exhibit every amount of room, from all to almost none.
SWEEP = [float(mm) for mm in range(0, 250, 9)]


def test_source_line_notes_and_caption_stay_with_a_breaking_tables_rows(tmp_path: Path) -> None:
    """A long table (45 rows) breaks wherever it must, but its caption is on the page of its
    first rows, its header repeats on each page, and its notes and source line are on the page
    of its last rows, however much room the page has."""
    body = "".join(
        spacer(mm) + table_exhibit(f"t{i}", rows=45, notes=2) for i, mm in enumerate(SWEEP)
    )
    boxes = placed(render(body))
    for i, mm in enumerate(SWEEP):
        mine = exhibit_boxes(boxes, f"t{i}")
        rows_by_page: dict[int, list[str]] = {}
        for n, tag, _, b in mine:
            if tag == "tr" and b.element[0].tag == "td":
                rows_by_page.setdefault(n, []).append(b.element[0].text)
        pages = sorted(rows_by_page)
        first, last = pages[0], pages[-1]
        captions = {n for n, tag, _, _ in mine if tag == "figcaption"}
        sources = {n for n, _, cls, _ in mine if "exhibit-source" in cls}
        notes = {n for n, _, cls, _ in mine if "table-note" in cls}
        heads = {n for n, tag, _, _ in mine if tag == "thead"}
        assert captions == {first}, f"spacer {mm}mm: caption on {captions}, first rows on {first}"
        assert sources == {last}, f"spacer {mm}mm: source on {sources}, last rows on {last}"
        assert notes == {last}, f"spacer {mm}mm: notes on {notes}, last rows on {last}"
        assert heads == set(pages), f"spacer {mm}mm: header on {heads}, rows on {pages}"
        for n in pages:  # at least three rows on each side of a break
            assert len(rows_by_page[n]) >= 3, f"spacer {mm}mm: page {n} has {rows_by_page[n]}"


def test_a_short_table_is_never_split(tmp_path: Path) -> None:
    """A table under 40 rows moves whole to the next page rather than breaking."""
    body = "".join(spacer(mm) + table_exhibit(f"s{i}", rows=20) for i, mm in enumerate(SWEEP))
    boxes = placed(render(body))
    for i, mm in enumerate(SWEEP):
        pages = {number for number, *_ in exhibit_boxes(boxes, f"s{i}")}
        assert len(pages) == 1, f"spacer {mm}mm: the 20-row table spans pages {sorted(pages)}"


def test_a_heading_is_never_last_on_a_page(tmp_path: Path) -> None:
    """Wherever a section heading falls (every 2 mm down the page), at least its first lines
    of text are on its page."""
    para = "<p>" + "Prices keep falling as domestic accelerators ship in volume. " * 8 + "</p>"
    sweep = [float(mm) for mm in range(150, 250, 2)]
    body = "".join(spacer(mm) + f"<h2>Heading {i}</h2>" + para * 2 for i, mm in enumerate(sweep))
    boxes = placed(render(body))
    for number, tag, _, box in boxes:
        if tag == "h2":
            after = [
                b
                for n, t, _, b in boxes
                if n == number and t == "p" and b.position_y > box.position_y
            ]
            assert after, f"{text_of(box)} is the last thing on page {number}"


def test_a_tall_chart_is_capped_in_height_and_keeps_its_aspect(tmp_path: Path) -> None:
    """A chart drawn taller than 110 mm is shown 110 mm high, its drawing not stretched."""
    svg = (
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='400pt' "
        "height='800pt' viewBox='0 0 400 800'><rect width='400' height='800' fill='grey'/></svg>"
    )
    short = svg.replace("800", "200")
    body = (
        f'<figure class="exhibit exhibit-chart"><img class="chart" src="{svg}"></figure>'
        f'<figure class="exhibit exhibit-chart"><img class="chart" src="{short}"></figure>'
    )
    images = [b for _, tag, _, b in placed(render(body)) if tag == "img"]
    tall, wide = images
    assert tall.height == pytest.approx(110 * PX_PER_MM, abs=0.5)
    assert tall.style["object_fit"] == "contain"
    # the short chart is drawn at 90% of the measure (178 mm), its height from its aspect
    assert wide.width == pytest.approx(0.9 * 178 * PX_PER_MM, abs=0.5)
    assert wide.height == pytest.approx(wide.width / 2, abs=0.5)
