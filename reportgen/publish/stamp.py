"""Recipient copies of a release PDF: the same pages with one stamp line in the bottom margin.

A copy names its recipient and the release on every page (below the running footer, in the
house font) and in its metadata, so a copy that travels on says whom it was prepared for.
Everything else is the release PDF's own: its page content, attachments and PDF/A
declaration. The stamp is a one-page PDF laid out by WeasyPrint (fonts embedded, as PDF/A
asks) and drawn over each page as a form XObject (pikepdf Page.add_overlay).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path

import pikepdf

from reportgen.errors import BuildError, Problem
from reportgen.glyphs import font_codepoints
from reportgen.publish.model import OUTBOX, RecipientCopy
from reportgen.publish.recipients import Recipient
from reportgen.render.pdf import html_to_pdf

#: The house text font and its CJK companion (templates/css/fonts.css.j2).
TEXT_FONT = "DejaVuSans.ttf"
CJK_FONT = "NotoSansSC-Regular-GB2312.otf"
#: The stamp's size and colour: the running footer's grey (templates/css/report.css @page).
STAMP_PT = 6.5
#: A long name and firm shrink the line down to this size; longer still is refused.
MIN_STAMP_PT = 4.5
STAMP_COLOUR = "#8C96A3"
#: report.css @page: 16 mm side margins, 20 mm bottom margin whose running footer (7-7.5 pt,
#: centred in the margin) starts about 8.5 mm above the page's edge; the stamp's line box
#: (1.2 x 6.5 pt = 2.75 mm) sits at 4.5 mm, below the footer and clear of the content.
SIDE_MM = 16.0
BOTTOM_MM = 4.5
MM = 72 / 25.4


def stamp_line(recipient: Recipient, release_id: str) -> str:
    """'Prepared for Jane Doe, Example Capital · release 2026-04-26-01' (no firm: no comma)."""
    who = f"{recipient.name}, {recipient.firm}" if recipient.firm else recipient.name
    return f"Prepared for {who} · release {release_id}"


def copy_file_name(slug: str, release_id: str, number: int) -> str:
    """The copy's file in the release's outbox: 'metax-2026-04-26-01-03.pdf' for the third
    recipient (numbered in the recipients file's order; no personal data in file names)."""
    return f"{slug}-{release_id}-{number:02d}.pdf"


@functools.lru_cache(maxsize=8)
def _advances(font: str) -> tuple[dict[int, float], float]:
    """Advance widths by code point (in em) of one font file, and its mean (unknown glyphs)."""
    from fontTools.ttLib import TTFont

    ttf = TTFont(font, lazy=True)
    upem = ttf["head"].unitsPerEm
    metrics = ttf["hmtx"].metrics
    widths = {cp: metrics[name][0] / upem for cp, name in ttf.getBestCmap().items()}
    ttf.close()
    return widths, max(widths.values())


def text_width_em(text: str, fonts: Sequence[Path]) -> float:
    """Width of ``text`` in em, each character from the first font that has it (as the
    browser's fallback picks it); a character no font has counts as the widest glyph."""
    tables = [_advances(str(f)) for f in fonts if f.is_file()]
    total = 0.0
    for ch in text:
        cp = ord(ch)
        found = next((w[cp] for w, _ in tables if cp in w), None)
        total += found if found is not None else max((m for _, m in tables), default=1.0)
    return total


def stamp_size(width_em: float, page_width_pt: float) -> float | None:
    """The font size (pt, one decimal, at most STAMP_PT) at which a line ``width_em`` wide
    fits between the side margins, with 2% to spare for kerning; None below MIN_STAMP_PT."""
    room = page_width_pt - 2 * SIDE_MM * MM
    size = min(STAMP_PT, int(room * 0.98 / max(width_em, 1e-9) * 10) / 10)
    return size if size >= MIN_STAMP_PT else None


def _missing_glyph(text: str, fonts_dir: Path) -> str | None:
    covered = font_codepoints(fonts_dir / TEXT_FONT) | font_codepoints(fonts_dir / CJK_FONT)
    for ch in text:
        if not ch.isspace() and ord(ch) not in covered:
            return f"character '{ch}' (U+{ord(ch):04X}) has no glyph in templates/fonts/"
    return None


def stamp_html(line: str, width_pt: float, height_pt: float, size_pt: float) -> str:
    """A page of the given size holding only the stamp line, absolutely positioned."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><style>
@font-face {{ font-family: "House Sans"; src: url("{TEXT_FONT}"); }}
@font-face {{ font-family: "House CJK"; src: url("{CJK_FONT}"); }}
@page {{ size: {width_pt:.4f}pt {height_pt:.4f}pt; margin: 0; }}
html, body {{ margin: 0; padding: 0; }}
.stamp {{ position: absolute; left: {SIDE_MM}mm; right: {SIDE_MM}mm; bottom: {BOTTOM_MM}mm;
  font: {size_pt:.1f}pt/1.2 "House Sans", "House CJK"; color: {STAMP_COLOUR};
  white-space: nowrap; }}
</style></head><body><div class="stamp">{escape(line)}</div></body></html>
"""


def _release_date(release_id: str) -> dt.date:
    """The report date a release id starts with ('2026-04-26-01'); pins the stamp's bytes."""
    try:
        return dt.date.fromisoformat(release_id[:10])
    except ValueError:
        return dt.date(2000, 1, 1)


def _render_stamp(
    line: str, width_pt: float, height_pt: float, fonts_dir: Path, release_id: str
) -> bytes:
    fonts = [fonts_dir / TEXT_FONT, fonts_dir / CJK_FONT]
    size = stamp_size(text_width_em(line, fonts), width_pt)
    if size is None:
        raise BuildError(
            [
                Problem(
                    "recipients",
                    None,
                    None,
                    f"the stamp '{line}' does not fit the page's width even at "
                    f"{MIN_STAMP_PT} pt; shorten the recipient's name or firm",
                )
            ]
        )
    html = stamp_html(line, width_pt, height_pt, size)
    return html_to_pdf(
        html, fonts_dir, [fonts_dir], "recipient stamp", _release_date(release_id), None
    )


def _set_metadata(pdf: pikepdf.Pdf, recipient: Recipient, release_id: str, line: str) -> None:
    """DocInfo /Recipient and /ReleaseID, and the stamp line appended to the keywords in
    DocInfo and, where the PDF has one, its XMP (pdf:Keywords: a PDF/A-predefined property,
    so no extension schema is needed)."""
    info = pdf.docinfo
    old = str(info.get("/Keywords", "")).strip()
    keywords = f"{old}; {line}" if old else line
    info[pikepdf.Name.Keywords] = keywords
    who = f"{recipient.name}, {recipient.firm}" if recipient.firm else recipient.name
    info[pikepdf.Name("/Recipient")] = who
    info[pikepdf.Name("/ReleaseID")] = release_id
    if "/Metadata" in pdf.Root:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdf:Keywords"] = keywords


def _font_names(document: pikepdf.Pdf) -> set[str]:
    """Every font name (BaseFont, with its subset tag) in the document."""
    names = set()
    for obj in document.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            names.add(str(obj.get("/BaseFont", "")))
    return names


def _retag_fonts(document: pikepdf.Pdf, form: pikepdf.Object) -> None:
    """Give the stamp's font subsets tags no other font in the document has.

    WeasyPrint derives a subset's six-letter tag from the font alone, so the stamp's subset of
    DejaVu Sans would share the release's tag; ISO 32000 (9.6.4) asks different subsets of
    one file to carry different tags. The new tag comes from the subset's own bytes, so the
    copy's bytes stay the same for the same inputs.
    """
    resources = form.get("/Resources")
    fonts = resources.get("/Font") if resources is not None else None
    if fonts is None:
        return
    taken = _font_names(document)
    for key in sorted(fonts.keys()):
        font = fonts[key]
        base = str(font.get("/BaseFont", ""))
        if "+" not in base:
            continue
        name = base.split("+", 1)[1]
        descendants = font.get("/DescendantFonts")
        target = descendants[0] if descendants is not None else font
        descriptor = target.get("/FontDescriptor")
        program = b""
        if descriptor is not None:
            for k in ("/FontFile2", "/FontFile3", "/FontFile"):
                if k in descriptor:
                    program = descriptor[k].read_raw_bytes()
        digest = hashlib.sha256(program + base.encode()).digest()
        for n in range(100):
            letters = hashlib.sha256(digest + bytes([n])).digest()[:6]
            tag = "".join(chr(ord("A") + b % 26) for b in letters)
            if f"/{tag}+{name}" not in taken:
                break
        new = pikepdf.Name(f"/{tag}+{name}")
        taken.add(str(new))
        font.BaseFont = new
        if descendants is not None:
            target.BaseFont = new
        if descriptor is not None:
            descriptor.FontName = new


def _overlay(
    document: pikepdf.Pdf, page: pikepdf.Page, form: pikepdf.Object, box: tuple[float, ...]
) -> None:
    """Draw ``form`` over ``page``: its content streams kept as they are, wrapped in q/Q so
    their graphics state cannot leak into the stamp (what Page.add_overlay does, but with a
    fixed resource name: add_overlay's are random, and the copy's bytes must not be)."""
    resources = page.obj.get("/Resources")
    if resources is None:
        page.obj.Resources = resources = pikepdf.Dictionary()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        resources.XObject = xobjects = pikepdf.Dictionary()
    name, n = "/Stamp", 0
    while name in xobjects and xobjects[name].objgen != form.objgen:  # shared resources
        n += 1
        name = f"/Stamp{n}"
    xobjects[name] = form
    x0, y0 = box[0], box[1]
    page.contents_add(pikepdf.Stream(document, b"q\n"), prepend=True)
    tail = f"Q\nq 1 0 0 1 {x0:g} {y0:g} cm {name} Do Q\n".encode("ascii")
    page.contents_add(pikepdf.Stream(document, tail), prepend=False)


def stamp_copy(pdf: bytes, recipient: Recipient, release_id: str, fonts_dir: Path) -> bytes:
    """The release PDF ``pdf`` with the recipient's stamp line on every page and in its
    metadata; same inputs, same bytes. A name no house font can draw, or too long for the
    page even at MIN_STAMP_PT, is a BuildError (checked by read_recipients with fonts_dir)."""
    line = stamp_line(recipient, release_id)
    missing = _missing_glyph(line, fonts_dir)
    if missing is not None:
        raise BuildError([Problem("recipients", None, None, f"{missing}: '{line}'")])
    document = pikepdf.open(io.BytesIO(pdf))
    stamps: dict[tuple[float, ...], pikepdf.Object] = {}
    for page in document.pages:
        box = tuple(float(v) for v in page.mediabox)
        if box not in stamps:
            x0, y0, x1, y1 = box
            rendered = pikepdf.open(
                io.BytesIO(_render_stamp(line, x1 - x0, y1 - y0, fonts_dir, release_id))
            )
            stamps[box] = document.copy_foreign(rendered.pages[0].as_form_xobject())
            _retag_fonts(document, stamps[box])
        _overlay(document, page, stamps[box], box)
    _set_metadata(document, recipient, release_id, line)
    out = io.BytesIO()
    # deterministic_id: the file's second identifier from its content (the first, the
    # release's permanent identifier, is kept), so the same inputs give the same bytes.
    document.save(out, deterministic_id=True)
    return out.getvalue()


def stamp_copies(
    pdf: bytes,
    recipients: Sequence[Recipient],
    slug: str,
    release_id: str,
    fonts_dir: Path,
) -> list[tuple[RecipientCopy, bytes]]:
    """One stamped copy per recipient, in the recipients file's order, with its registry
    record (file 'outbox/<slug>-<release id>-<nn>.pdf' relative to the release folder)."""
    copies = []
    for number, recipient in enumerate(recipients, start=1):
        data = stamp_copy(pdf, recipient, release_id, fonts_dir)
        record = RecipientCopy(
            release_id=release_id,
            name=recipient.name,
            firm=recipient.firm,
            email=recipient.email,
            file=f"{OUTBOX}/{copy_file_name(slug, release_id, number)}",
            sha256=hashlib.sha256(data).hexdigest(),
        )
        copies.append((record, data))
    return copies
