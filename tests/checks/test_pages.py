"""The page check: each kind planted in a small document laid out by the real WeasyPrint, and
seen at the right page; then through a real build (warning printed, ``--strict`` fails)."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pytest

from reportgen.checks.collect import chart_findings, report_findings
from reportgen.checks.findings import Finding, findings_from_json
from reportgen.checks.pages import check_pages
from reportgen.figures.chartcheck import ChartProblem
from reportgen.render.layout import Layout
from reportgen.render.pdf import (
    SandboxedFetcher,
    _source_date,
    html_to_pdf,
    html_to_pdf_and_layout,
)
from reportgen.render.weasy import HTML
from reportgen.reports.base import RenderedExhibit
from tests.conftest import run_cli
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[2]
FONTS = REPO / "reportgen" / "templates" / "fonts"

#: A small page: 400 x 300 px with 20 px margins, so the content box is 360 x 260 px.
STYLE = f"""
@font-face {{ font-family: H; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); }}
@page {{ size: 400px 300px; margin: 20px; }}
html {{ font-family: H; font-size: 10px; line-height: 12px; }}
body {{ margin: 0; }}
p {{ margin: 0; }}
.exhibit {{ margin: 0; break-inside: avoid; }}
.exhibit-table {{ break-inside: auto; }}
.exhibit-title {{ break-after: avoid; }}
.chart {{ display: block; width: 100%; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ padding: 0; height: 20px; }}
"""


def lay_out(body: str, tmp_path: Path, style: str = "") -> Layout:
    """``body`` laid out on small pages with the real WeasyPrint (as a build does)."""
    html = f"<html><head><style>{STYLE}{style}</style></head><body>{body}</body></html>"
    _, layout = html_to_pdf_and_layout(html, tmp_path, [FONTS], "t.pdf", dt.date(2026, 5, 1))
    return layout


def lines(n: int, word: str = "text") -> str:
    """``n`` paragraphs of one line each (12 px high)."""
    return "".join(f"<p>{word} {i}</p>" for i in range(n))


def chart(exhibit: str, height: int, number: int = 1, source: bool = True) -> str:
    """A chart exhibit as templates/partials/exhibit.html.j2 makes it, ``height`` px tall."""
    svg = (
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' width='360' "
        f"height='{height}'><rect width='360' height='{height}' fill='grey'/></svg>"
    )
    return (
        f'<figure class="exhibit exhibit-chart" id="exhibit-{exhibit}">'
        f'<figcaption class="exhibit-title"><span class="exhibit-number">Figure {number}:'
        f"</span> A chart</figcaption>"
        f'<img class="chart" src="{svg}" style="height: {height}px">'
        + ('<p class="exhibit-source">Source: ours</p>' if source else "")
        + "</figure>"
    )


def table(exhibit: str, rows: int, number: int = 1, note: bool = False) -> str:
    """A table exhibit: caption, header, ``rows`` rows of 20 px, optional note, source line."""
    body = "".join(f"<tr><td>row {i}</td><td>{i}</td></tr>" for i in range(rows))
    return (
        f'<figure class="exhibit exhibit-table" id="exhibit-{exhibit}">'
        f'<figcaption class="exhibit-title"><span class="exhibit-number">Figure {number}:'
        f"</span> A table</figcaption>"
        f'<table class="data-table"><thead><tr><th>Name</th><th>Value</th></tr></thead>'
        f"<tbody>{body}</tbody></table>"
        + ('<p class="table-note">A note.</p>' if note else "")
        + '<p class="exhibit-source">Source: ours</p></figure>'
    )


def kinds(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return [(f.kind, f.page) for f in findings]


def test_a_full_layout_has_no_findings(tmp_path: Path) -> None:
    layout = lay_out(lines(8) + chart("a", 80) + lines(3), tmp_path)
    assert len(layout.pages) == 1
    assert check_pages(layout, "r") == []


def test_layout_and_pdf_come_from_one_pass(tmp_path: Path) -> None:
    """The layout is taken from the document that writes the PDF: the bytes do not change."""
    html = f"<html><head><style>{STYLE}</style></head><body>{lines(30)}</body></html>"
    args = (html, tmp_path, [FONTS], "t.pdf", dt.date(2026, 5, 1))
    pdf, layout = html_to_pdf_and_layout(*args)
    assert pdf == html_to_pdf(*args)
    # The same bytes as WeasyPrint's one-call HTML.write_pdf (how PDFs were written before).
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    epoch = int(dt.datetime(2026, 5, 1, tzinfo=dt.UTC).timestamp())
    with _source_date(epoch):
        one_call = HTML(
            string=html, base_url=str(tmp_path) + "/", url_fetcher=SandboxedFetcher([FONTS])
        ).write_pdf(pdf_variant=None, pdf_identifier=identifier)
    assert pdf == one_call
    assert len(layout.pages) == 2
    assert "text 0" in layout.pages[0].text and "text 29" in layout.pages[1].text


def test_a_nearly_empty_page_is_found_but_not_the_last(tmp_path: Path) -> None:
    body = lines(15) + '<p style="break-before: page">alone</p>' + lines(1, "last")
    body += '<p style="break-before: page">the end</p>'
    findings = check_pages(lay_out(body, tmp_path), "r")
    assert kinds(findings) == [("empty-page", 2)]
    assert findings[0].report == "r"
    assert "page 2 is nearly empty" in findings[0].message


def test_a_hole_before_an_exhibit_that_did_not_fit(tmp_path: Path) -> None:
    """Ten lines (120 of 260 px), then a 200 px chart that moves to page 2: a 54% hole."""
    findings = check_pages(lay_out(lines(10) + chart("big", 200, 3), tmp_path), "r")
    assert kinds(findings) == [("hole", 1)]
    assert "Figure 3 did not fit and starts page 2" in findings[0].message
    x, y, w, h = findings[0].box or (0, 0, 0, 0)
    assert y == pytest.approx(20 + 120, abs=2) and h == pytest.approx(140, abs=2)


def test_a_small_gap_before_an_exhibit_is_not_a_hole(tmp_path: Path) -> None:
    """18 lines (216 of 260 px) leave 17% empty: under the hole threshold."""
    assert check_pages(lay_out(lines(18) + chart("big", 200), tmp_path), "r") == []


def test_a_caption_cut_off_from_its_chart(tmp_path: Path) -> None:
    body = lines(5) + chart("c", 100, 2)
    style = ".exhibit { break-inside: auto } .exhibit-title { break-after: auto }"
    style += " .chart { break-before: page }"
    findings = check_pages(lay_out(body, tmp_path, style), "r")
    assert ("separated", 1) in kinds(findings)
    sep = next(f for f in findings if f.kind == "separated")
    assert sep.message == "the caption of Figure 2 is on page 1, its chart is on page 2"


def test_a_source_line_and_note_cut_off_from_their_table(tmp_path: Path) -> None:
    body = table("t", 3, 4, note=True)
    style = ".exhibit-table { break-inside: auto } .table-note { break-before: page }"
    findings = check_pages(lay_out(body, tmp_path, style), "r")
    assert kinds(findings) == [("separated", 2), ("separated", 2)]
    messages = sorted(f.message for f in findings if f.kind == "separated")
    assert messages == [
        "the note of Figure 4 is on page 2, its table is on page 1",
        "the source line of Figure 4 is on page 2, its table is on page 1",
    ]


def test_a_table_header_left_without_rows(tmp_path: Path) -> None:
    """A header drawn as a table of its own, its rows' table pushed to the next page."""
    body = lines(3) + table("t", 3, 5).replace(
        "</thead>", '</thead></table><table style="break-before: page">'
    )
    findings = check_pages(lay_out(body, tmp_path), "r")
    assert kinds(findings) == [("separated", 1), ("separated", 1)]
    assert sorted(f.message for f in findings) == [
        "the caption of Figure 5 is on page 1, its table is on page 2",
        "the table header of Figure 5 is on page 1, with none of its rows",
    ]


def test_a_short_table_split_across_pages(tmp_path: Path) -> None:
    """Six rows fit on one page, but starting low on page 1 they are split (header repeated)."""
    findings = check_pages(lay_out(lines(14) + table("t", 6, 6), tmp_path), "r")
    assert kinds(findings) == [("split", 1)]
    assert findings[0].message == "Figure 6 is split across pages 1-2 (it would fit on one page)"


def test_a_long_table_repeating_its_header_is_not_split(tmp_path: Path) -> None:
    layout = lay_out(table("t", 25, 7), tmp_path)
    assert len(layout.pages) >= 3
    assert check_pages(layout, "r") == []


def test_a_long_table_without_its_header_repeated_is_split(tmp_path: Path) -> None:
    layout = lay_out(table("t", 25, 7), tmp_path, "thead { display: table-row-group }")
    findings = check_pages(layout, "r")
    assert kinds(findings) == [("split", 1)]
    assert "(its header is not repeated)" in findings[0].message


def test_text_and_images_outside_their_boxes(tmp_path: Path) -> None:
    """A word wider than the page, text overflowing a cell, clipped text, a too-wide image."""
    body = (
        lines(1)
        + f"<p>{'W' * 60}</p>"
        + '<table style="table-layout: fixed; width: 100px"><tr>'
        + '<td style="width: 50px; white-space: nowrap">overflowing cell text</td>'
        + "<td>1</td></tr></table>"
        + '<div style="height: 12px; overflow: hidden"><p>hidden</p><p>clipped away</p></div>'
        + '<p style="break-before: page">page two</p>'
        + "<img src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' "
        + "width='10' height='10'/>\" style=\"display: block; width: 500px; height: 10px\">"
    )
    findings = check_pages(lay_out(body, tmp_path), "r")
    got = sorted((f.page, f.message) for f in findings if f.kind == "outside")
    assert got == [
        (1, f"text '{'W' * 39}…' runs outside the page's content box"),
        (1, "text 'clipped away' is clipped"),
        (1, "text 'overflowing cell text' overflows its table cell"),
        (2, "an image runs outside the page's content box"),
    ]


def test_chart_problems_are_placed_on_their_chart(tmp_path: Path) -> None:
    """A chart problem's fractional box lands on the page and image of its exhibit."""
    layout = lay_out(lines(20) + chart("fig-a", 100, 1), tmp_path)
    problem = ChartProblem("chart-overlap", 'label "A" overlaps label "B"', (0.5, 0.0, 1.0, 0.5))
    exhibit = RenderedExhibit("fig-a", 1, "chart", "A chart", "ours", b"", problems=(problem,))
    (finding,) = chart_findings(layout, "r", [exhibit])
    img = next(b for b in layout.pages[1].boxes if b.role == "chart")
    x, y, w, h = img.rect
    assert finding.page == 2 and finding.kind == "chart-overlap"
    assert finding.message == 'Figure 1: label "A" overlaps label "B"'
    assert finding.box == pytest.approx((x + w / 2, y, w / 2, h / 2))


def test_word_findings_are_boxed_at_their_line(tmp_path: Path) -> None:
    """The word check gives a page; the layout gives the line the word is on."""
    body = lines(3) + '<p style="break-before: page">narrow text</p><p>made by reportgen</p>'
    layout = lay_out(body, tmp_path)
    (finding,) = [f for f in report_findings(layout, "r", [], {}) if f.kind == "forbidden-word"]
    line = next(b for b in layout.pages[1].boxes if b.role == "line" and "reportgen" in b.text)
    assert (finding.page, finding.box) == (2, line.rect)


def _tiny_project(root: Path, section: str = "") -> Path:
    """The repository's data and templates with one report of our own: a sector note whose
    single short section leaves page 2 nearly empty before the disclosures, and which prints
    its cost of equity as 8.4% on page 1 and 8.36% on page 2."""
    copy_sample(root)
    reports = root / "data" / "reports"
    for folder in reports.iterdir():
        shutil.rmtree(folder)
    tiny = reports / "tiny"
    tiny.mkdir()
    (tiny / "report.yaml").write_text(
        "type: sector-note\ntitle: A tiny note\nsubtitle: One short section\n"
        "date: 2026-05-01\nsector: China Semiconductors\nrating: OUTPERFORM\n"
        "rating_action: Maintain\nanalysts:\n  - {name: Alex Morgan, role: Lead analyst}\n"
        "keywords: [test]\nsummary: summary.md\nkey_points: key_points.md\n"
        "facts:\n  coe: {value: 8.36, unit: '%', source: ours}\n"
        "sections:\n  - title: A short section\n    prose: body.md\n" + section
    )
    (tiny / "summary.md").write_text("Cost of equity {{ facts.coe.value | pct(1) }}.\n")
    (tiny / "key_points.md").write_text("- One point.\n")
    (tiny / "body.md").write_text("We discount at {{ facts.coe.value | pct(2) }}.\n")
    return root


def _outputs(root: Path) -> dict[str, str]:
    files = [*(root / "build").glob("tiny.*"), root / ".reportgen-cache/findings/tiny.json"]
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_a_build_prints_page_findings_and_strict_fails(tmp_path: Path) -> None:
    root = _tiny_project(tmp_path / "project")
    built = run_cli(["build", "-j", "1"], root)
    assert built.exit_code == 0, built.output
    warning = "warning: tiny: page 2: page 2 is nearly empty"
    assert warning in built.output
    stored = findings_from_json((root / ".reportgen-cache/findings/tiny.json").read_text())
    assert [(f.kind, f.page) for f in stored] == [("empty-page", 2), ("precision", 2)]
    assert stored[1].message.endswith('("8.4%" on page 1; "8.36%" on page 2)')
    assert stored[1].box is not None
    before = _outputs(root)
    assert set(before) == {"tiny.pdf", "tiny.html", "tiny.json"}
    # Up to date: the stored findings are printed again, and --strict fails on them.
    again = run_cli(["build", "--strict"], root)
    assert again.exit_code == 2, again.output
    assert warning in again.output and "(up to date)" in again.output
    # Rebuilt under --strict: exit 2, the previous outputs left as they were.
    strict = run_cli(["build", "--strict", "--force", "-j", "1"], root)
    assert strict.exit_code == 2, strict.output
    assert "page 2 is nearly empty" in strict.output
    assert _outputs(root) == before


def test_a_reused_chart_keeps_its_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chart problem is placed on the chart's page, and stays when the chart is reused."""
    section = "    exhibits:\n      - id: shipment-share-2025\n        params: {year: 2025}\n"
    root = _tiny_project(tmp_path / "project", section)
    planted = ChartProblem("chart-overlap", "planted overlap", (0.0, 0.0, 0.5, 0.5))
    monkeypatch.setattr("reportgen.build.check_figure", lambda fig: [planted])
    first = run_cli(["build", "-j", "1"], root)
    assert first.exit_code == 0, first.output
    assert "warning: tiny: page 2: Figure 1: planted overlap [chart-overlap]" in first.output
    monkeypatch.undo()
    body = root / "data/reports/tiny/body.md"
    body.write_text(body.read_text() + "One more sentence.\n")
    again = run_cli(["build", "-j", "1"], root)
    assert again.exit_code == 0, again.output
    assert "0 exhibit(s) drawn, 1 reused" in again.output
    assert "warning: tiny: page 2: Figure 1: planted overlap [chart-overlap]" in again.output
    stored = findings_from_json((root / ".reportgen-cache/findings/tiny.json").read_text())
    chart = next(f for f in stored if f.kind == "chart-overlap")
    assert chart.box is not None and chart.box[2] > 100  # half the chart's laid-out width


def test_a_bad_house_word_key_is_located(tmp_path: Path) -> None:
    root = _tiny_project(tmp_path / "project")
    house = root / "data" / "house.yaml"
    house.write_text(house.read_text() + "forbidden_words: nope\n")
    done = run_cli(["build"], root)
    assert done.exit_code == 2, done.output
    assert "data/house.yaml" in done.output and "forbidden_words" in done.output
    assert not (root / "build" / "tiny.pdf").exists()
