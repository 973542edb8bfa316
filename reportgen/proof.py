"""The proof sheet: every page of a built report as a thumbnail, each finding outlined and
numbered, in one PNG a reviewer skims before sign-off (``reportgen proof SLUG``).

The report is brought up to date through the build's own path (runner.run_build), then the
findings the build recorded (.reportgen-cache/findings/<slug>.json) are drawn over the pages
of build/<slug>.pdf, rendered with pypdfium2 and drawn with Pillow.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from reportgen.checks.findings import Finding, findings_from_json
from reportgen.errors import BuildError, Problem
from reportgen.outputs import write_atomic
from reportgen.project import Project

#: The outline and label colour: pure magenta, which no house chart colour or text uses.
OUTLINE = (255, 0, 255)
LABEL_TEXT = (255, 255, 255)
INK = (20, 20, 20)
PAPER = (236, 236, 236)
THUMB_WIDTH = 300  # px of one page's thumbnail
COLUMNS = 5  # thumbnails per row (fewer when the report has fewer pages)
GAP = 28  # px between thumbnails, and the page label's band under each
MARGIN = 24
LINE_WIDTH = 3
FONT_SIZE = 14
CSS_PX_TO_PT = 0.75  # 1 CSS px = 1/96 in = 0.75 pt (WeasyPrint's layout unit)
FINDINGS_DIR = ".reportgen-cache/findings"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class Proof:
    """What ``reportgen proof`` made: the sheet's path, its size and the numbered findings."""

    path: Path
    size: tuple[int, int]
    findings: tuple[Finding, ...]  # in the sheet's numbering (1 first)
    lines: tuple[str, ...]  # the numbered list, as printed


def findings_path(project: Project, slug: str) -> Path:
    """Where the build records a report's findings (checks/findings.py findings_to_json)."""
    return project.root / FINDINGS_DIR / f"{slug}.json"


def default_output(project: Project, slug: str) -> Path:
    """build/<slug>.proof.png: beside the PDF, never taken for a report (.pdf/.html) by the
    build's orphan cleanup or the preview's index."""
    return project.build / f"{slug}.proof.png"


def make_proof(
    project: Project,
    slug: str,
    output: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Proof:
    """Build ``slug`` if stale (as ``reportgen build SLUG`` does), then write its proof sheet."""
    from reportgen.options import BuildOptions
    from reportgen.runner import run_build

    # Warnings are not repeated here: every finding is in the list the caller prints.
    run_build(project, [slug], BuildOptions(), progress or (lambda _m: None))
    pdf = project.build / f"{slug}.pdf"
    recorded = findings_path(project, slug)
    if not recorded.is_file():
        raise BuildError(
            [
                Problem(
                    project.shown(recorded),
                    None,
                    None,
                    f"no findings recorded for '{slug}': build it again with --force",
                )
            ]
        )
    findings = numbered(findings_from_json(recorded.read_text(encoding="utf-8")))
    thumbs = render_pages(pdf.read_bytes())
    sheet = draw_sheet(thumbs, findings, slug, _font_file(project))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", optimize=False)
    target = output if output is not None else default_output(project, slug)
    if output is None:
        write_atomic(target, buffer.getvalue(), project.root)
    else:  # a path the user named: anywhere they may write, still atomically
        write_atomic(target, buffer.getvalue(), target.parent.resolve(), (".",))
    return Proof(target, sheet.size, tuple(findings), tuple(proof_lines(findings, len(thumbs))))


def numbered(findings: Sequence[Finding]) -> list[Finding]:
    """Findings in sheet order: by page (those without a page last), then as recorded."""
    return sorted(findings, key=lambda f: (f.page is None, f.page or 0))


def proof_lines(findings: Sequence[Finding], pages: int | None = None) -> list[str]:
    """The numbered list printed (and written under the grid): one line per finding."""
    if not findings:
        return ["no findings"]
    lines = []
    for n, f in enumerate(findings, start=1):
        if f.page is None:
            where = "no page"
        elif pages is not None and not 1 <= f.page <= pages:
            where = f"page {f.page} (not in the PDF)"
        else:
            where = f"page {f.page}"
        lines.append(f"{n}. {where}: {f.message} [{f.kind}]")
    return lines


def render_pages(pdf: bytes) -> list[tuple[Image.Image, float]]:
    """Every page of ``pdf`` as an RGB thumbnail THUMB_WIDTH px wide, with its px per pt."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        thumbs = []
        for i in range(len(document)):
            page = document[i]
            scale = THUMB_WIDTH / page.get_width()
            thumbs.append((page.render(scale=scale).to_pil().convert("RGB"), scale))
        return thumbs
    finally:
        document.close()


def draw_sheet(
    thumbs: Sequence[tuple[Image.Image, float]],
    findings: Sequence[Finding],
    title: str,
    font_file: Path | None = None,
) -> Image.Image:
    """The sheet: a title, every page's thumbnail (findings outlined and numbered), then the
    numbered list. ``findings`` are numbered in the order given (see ``numbered``)."""
    font = _font(font_file, FONT_SIZE)
    count = len(thumbs)
    columns = max(1, min(COLUMNS, count))
    rows = -(-count // columns) if count else 0
    cell_h = max((t.height for t, _ in thumbs), default=0) + GAP
    cell_w = THUMB_WIDTH + GAP
    width = 2 * MARGIN + columns * cell_w - GAP
    chars = max(20, (width - 2 * MARGIN) // (FONT_SIZE * 6 // 10))
    listed = [
        part
        for line in proof_lines(findings, count)
        for part in textwrap.wrap(line, chars, subsequent_indent="    ") or [""]
    ]
    head = MARGIN + 2 * FONT_SIZE + GAP // 2
    grid_h = rows * cell_h
    height = head + grid_h + (len(listed) + 1) * (FONT_SIZE + 6) + MARGIN
    sheet = Image.new("RGB", (width, height), PAPER)
    draw = ImageDraw.Draw(sheet)
    n = len(findings)
    heading = f"{title}: {n} finding{'s' if n != 1 else ''}" if n else f"{title}: no findings"
    draw.text((MARGIN, MARGIN), heading, fill=INK, font=_font(font_file, FONT_SIZE + 4))
    origins = []
    for i, (thumb, _) in enumerate(thumbs):
        x = MARGIN + (i % columns) * cell_w
        y = head + (i // columns) * cell_h
        sheet.paste(thumb, (x, y))
        draw.text((x, y + thumb.height + 4), f"page {i + 1}", fill=INK, font=font)
        origins.append((x, y))
    stacked: dict[tuple[int, int], int] = {}  # labels already at a point: stack the next below
    for number, finding in enumerate(findings, start=1):
        if finding.page is None or not 1 <= finding.page <= count:
            continue
        thumb, scale = thumbs[finding.page - 1]
        x0, y0 = origins[finding.page - 1]
        if finding.box is None:
            pad = LINE_WIDTH + 1
            rect = (x0 - pad, y0 - pad, x0 + thumb.width + pad - 1, y0 + thumb.height + pad - 1)
        else:
            rect = _box_rect(finding.box, scale, (x0, y0), thumb.size)
        draw.rectangle(rect, outline=OUTLINE, width=LINE_WIDTH)
        at = (int(rect[0]), int(rect[1]))
        _label(draw, at, str(number), font, stacked.get(at, 0))
        stacked[at] = stacked.get(at, 0) + 1
    y = head + grid_h
    for line in listed:
        draw.text((MARGIN, y), line, fill=INK, font=font)
        y += FONT_SIZE + 6
    return sheet


def _box_rect(
    box: tuple[float, float, float, float],
    scale: float,
    origin: tuple[int, int],
    size: tuple[int, int],
) -> tuple[int, int, int, int]:
    """A box in CSS px from the page's top-left as a rectangle on the sheet, kept on the
    thumbnail and at least a few px across so a tiny box still shows."""
    k = CSS_PX_TO_PT * scale
    x, y, w, h = box
    left = min(max(round(x * k), 0), size[0] - 1)
    top = min(max(round(y * k), 0), size[1] - 1)
    right = min(max(round((x + w) * k), left + 2 * LINE_WIDTH), size[0] - 1)
    bottom = min(max(round((y + h) * k), top + 2 * LINE_WIDTH), size[1] - 1)
    return (origin[0] + left, origin[1] + top, origin[0] + right, origin[1] + bottom)


def _label(draw: ImageDraw.ImageDraw, at: tuple[int, int], text: str, font: Font, n: int) -> None:
    """A finding's number, white on the outline colour, at the top-left of its rectangle."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    w, h = right - left + 6, bottom - top + 4
    x, y = at[0], at[1] + n * (h + 1)
    draw.rectangle((x, y, x + w, y + h), fill=OUTLINE)
    draw.text((x + 3 - left, y + 2 - top), text, fill=LABEL_TEXT, font=font)


def _font_file(project: Project) -> Path | None:
    """The house text font (DejaVu Sans ships in templates/fonts), if the project has it."""
    path = project.fonts / "DejaVuSans.ttf"
    return path if path.is_file() else None


def _font(path: Path | None, size: int) -> Font:
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass
    return ImageFont.load_default(size=size)
