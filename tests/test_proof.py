"""`reportgen proof`: the sheet is read back with Pillow (size, the outline colour at each
finding's box and nowhere else) from a real build of a small report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image

from reportgen import proof
from reportgen.checks.findings import Finding, findings_from_json, findings_to_json
from reportgen.deps import file_hash
from reportgen.plan import Manifest, manifest_path
from reportgen.project import Project
from tests.conftest import run_cli
from tests.tools import copy_sample

SLUG = "alpha"
REPORT = """type: sector-note
title: Alpha
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Shipments
    prose: body.md
    exhibits:
      - id: shipment-share-2025
      - id: day0-matrix
  - title: Prices
    prose: body.md
    exhibits:
      - id: price-ranges
      - id: gpgpu-localization
"""


def small_project(root: Path) -> Path:
    """The real data and templates with one small report."""
    copy_sample(root)
    shutil.rmtree(root / "data" / "reports")
    folder = root / "data" / "reports" / SLUG
    folder.mkdir(parents=True)
    (folder / "report.yaml").write_text(REPORT, encoding="utf-8")
    (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
    body = 'Domestic share {{ shipments.share("Domestic vendors", 2025) | pct }}.\n'
    (folder / "body.md").write_text(body, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = small_project(tmp_path_factory.mktemp("proof") / "p")
    result = run_cli(["build", SLUG], root)
    assert result.exit_code == 0, result.output
    return root


def record(root: Path, findings: list[Finding]) -> None:
    """Replace the findings the build recorded with these, and their hash in the manifest as
    the build records it, so the report stays up to date and the sheet draws exactly these."""
    result = run_cli(["build", SLUG], root)
    assert result.exit_code == 0, result.output
    project = Project(root)
    path = proof.findings_path(project, SLUG)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(findings_to_json(findings), encoding="utf-8")
    manifest = Manifest.load(manifest_path(project))
    outputs = manifest.reports[SLUG].outputs
    key = path.relative_to(root).as_posix()
    if key in outputs:
        outputs[key] = file_hash(path)
        manifest.save(manifest_path(project))


def magenta(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels of the outline colour lie in ``box`` (left, top, right, bottom)."""
    region = image.crop(box).convert("RGB")
    return sum(1 for px in region.get_flattened_data() if px == proof.OUTLINE)


def layout(root: Path) -> tuple[int, int, float, int]:
    """Pages, columns, thumbnail px per pt and thumbnail height, from the PDF itself."""
    document = pdfium.PdfDocument(root / "build" / f"{SLUG}.pdf")
    try:
        width_pt, height_pt = document[0].get_size()
        pages = len(document)
        scale = proof.THUMB_WIDTH / width_pt
        thumb_h = document[0].render(scale=scale).to_pil().height  # pdfium rounds up
    finally:
        document.close()
    assert thumb_h in (int(height_pt * scale), int(height_pt * scale) + 1)
    return pages, min(proof.COLUMNS, pages), scale, thumb_h


def origin(page: int, columns: int, thumb_h: int) -> tuple[int, int]:
    """Top-left of a page's thumbnail on the sheet (1-based page)."""
    head = proof.MARGIN + 2 * proof.FONT_SIZE + proof.GAP // 2
    i = page - 1
    return (
        proof.MARGIN + (i % columns) * (proof.THUMB_WIDTH + proof.GAP),
        head + (i // columns) * (thumb_h + proof.GAP),
    )


def test_each_finding_is_outlined_at_its_box_and_numbered(built: Path) -> None:
    box = (200.0, 300.0, 400.0, 200.0)  # CSS px: 150 x 225 pt from the top-left, 300 x 150 pt
    record(
        built,
        [
            Finding(SLUG, None, "precision", "8.4% here, 8.36% there"),
            Finding(SLUG, 2, "empty-page", "page 2 is nearly empty"),
            Finding(SLUG, 1, "hole", "a hole under Figure 1", box),
        ],
    )
    result = run_cli(["proof", SLUG], built)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[:3] == [
        "1. page 1: a hole under Figure 1 [hole]",
        "2. page 2: page 2 is nearly empty [empty-page]",
        "3. no page: 8.4% here, 8.36% there [precision]",
    ]
    sheet_path = built / "build" / f"{SLUG}.proof.png"
    assert f"wrote build/{SLUG}.proof.png" in result.output
    pages, columns, scale, thumb_h = layout(built)
    assert pages >= 3
    image = Image.open(sheet_path)
    assert image.width == 2 * proof.MARGIN + columns * (proof.THUMB_WIDTH + proof.GAP) - proof.GAP
    rows = -(-pages // columns)
    assert image.height > rows * (thumb_h + proof.GAP)

    # The box on page 1: 1 CSS px = 0.75 pt, so its edges sit at 0.75 * scale px per CSS px.
    x0, y0 = origin(1, columns, thumb_h)
    k = 0.75 * scale
    left, top = x0 + round(box[0] * k), y0 + round(box[1] * k)
    right, bottom = x0 + round((box[0] + box[2]) * k), y0 + round((box[1] + box[3]) * k)
    w = proof.LINE_WIDTH
    assert magenta(image, (left, top + 30, left + w, bottom)) == w * (bottom - top - 30)  # left
    assert magenta(image, (right - w + 1, top, right + 1, bottom)) == w * (bottom - top)  # right
    assert magenta(image, (left + 30, bottom - w + 1, right, bottom + 1)) == w * (right - left - 30)
    inside = (left + 30, top + 30, right - w - 2, bottom - w - 2)
    assert magenta(image, inside) == 0
    # Page 1 holds nothing else outlined: above and below the box, no outline colour.
    assert magenta(image, (x0, y0, x0 + proof.THUMB_WIDTH, top - 1)) == 0
    assert magenta(image, (x0, bottom + 2, x0 + proof.THUMB_WIDTH, y0 + thumb_h)) == 0

    # Page 2 (no box): the whole page is outlined, just outside its thumbnail.
    x2, y2 = origin(2, columns, thumb_h)
    assert magenta(image, (x2 - w - 1, y2 + 40, x2 - 1, y2 + thumb_h)) == w * (thumb_h - 40)
    under = (x2 + 40, y2 + thumb_h + 1, x2 + proof.THUMB_WIDTH, y2 + thumb_h + 1 + w)
    assert magenta(image, under) == w * (proof.THUMB_WIDTH - 40)
    assert magenta(image, (x2 + 40, y2 + 40, x2 + proof.THUMB_WIDTH - 1, y2 + thumb_h - 1)) == 0
    # Page 3 has no finding: no outline anywhere on or around it.
    x3, y3 = origin(3, columns, thumb_h)
    assert magenta(image, (x3 - 8, y3 - 8, x3 + proof.THUMB_WIDTH + 8, y3 + thumb_h + 8)) == 0


def test_zero_findings_still_write_the_sheet(built: Path) -> None:
    record(built, [])
    result = run_cli(["proof", SLUG], built)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "no findings"
    image = Image.open(built / "build" / f"{SLUG}.proof.png")
    pages, columns, _, thumb_h = layout(built)
    assert image.height > -(-pages // columns) * thumb_h
    assert magenta(image, (0, 0, image.width, image.height)) == 0
    # Not a report: a later build keeps it and does not count it as an output to rebuild.
    again = run_cli(["build", SLUG], built)
    assert again.exit_code == 0, again.output
    assert (built / "build" / f"{SLUG}.proof.png").is_file()
    assert "everything is up to date" in run_cli(["status"], built).output


def test_output_option_and_a_finding_off_the_pages(built: Path, tmp_path: Path) -> None:
    record(built, [Finding(SLUG, 99, "outside", "text outside the page", (1, 1, 5, 5))])
    target = tmp_path / "sheets" / "alpha.png"
    result = run_cli(["proof", SLUG, "--output", str(target)], built)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "1. page 99 (not in the PDF): text outside the page [outside]"
    )
    image = Image.open(target)
    assert image.format == "PNG"
    assert magenta(image, (0, 0, image.width, image.height)) == 0  # listed only, not drawn


def test_an_unknown_report_is_one_located_message(built: Path) -> None:
    result = run_cli(["proof", "nosuch"], built)
    assert result.exit_code == 2
    assert "data/reports: no report 'nosuch'; known: alpha" in result.output
    assert "Traceback" not in result.output


def test_a_planted_word_is_outlined_where_the_build_found_it(tmp_path: Path) -> None:
    root = small_project(tmp_path / "p")
    body = root / "data" / "reports" / SLUG / "body.md"
    body.write_text("Drawn by reportgen for this note.\n" + body.read_text(encoding="utf-8"))
    result = run_cli(["proof", SLUG], root)  # never built: proof builds it first
    assert result.exit_code == 0, result.output
    assert (root / "build" / f"{SLUG}.pdf").is_file()
    assert "everything is up to date" in run_cli(["status"], root).output
    recorded = findings_from_json(
        proof.findings_path(Project(root), SLUG).read_text(encoding="utf-8")
    )
    words = [f for f in recorded if f.kind == "forbidden-word" and "reportgen" in f.message]
    assert len(words) == 1 and words[0].page is not None, recorded
    found = words[0]
    assert f"page {found.page}: {found.message} [forbidden-word]" in result.output
    image = Image.open(root / "build" / f"{SLUG}.proof.png")
    _, columns, scale, thumb_h = layout(root)
    x0, y0 = origin(found.page, columns, thumb_h)
    if found.box is None:  # the whole page is outlined, just outside its thumbnail
        edge = (x0 - proof.LINE_WIDTH - 1, y0 + 40, x0 - 1, y0 + thumb_h)
    else:
        k = 0.75 * scale
        left, top = x0 + round(found.box[0] * k), y0 + round(found.box[1] * k)
        edge = (left, top, left + proof.LINE_WIDTH, top + max(6, round(found.box[3] * k)))
    assert magenta(image, edge) > 0
