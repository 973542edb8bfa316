"""Checks every PDF must pass before it is called built, and a glyph check before rendering."""

from __future__ import annotations

import functools
import html
import io
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
from fontTools.ttLib import TTFont

from reportgen.errors import Problem

FONT_SUFFIXES = (".ttf", ".otf")


def _fonts_of(
    resources: pikepdf.Dictionary, seen: set[tuple[int, int]]
) -> Iterable[pikepdf.Object]:
    """Every font in a resource dictionary, including those of nested form XObjects."""
    fonts = resources.get("/Font")
    if fonts is not None:
        yield from fonts.values()
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for xobj in xobjects.values():
            key = xobj.objgen
            if key in seen or xobj.get("/Subtype") != "/Form":
                continue
            seen.add(key)
            inner = xobj.get("/Resources")
            if inner is not None:
                yield from _fonts_of(inner, seen)


def font_problems(pdf: pikepdf.Pdf, shown: str) -> list[Problem]:
    """Fonts that are not embedded, or are Type 3 (bitmap-like, poor in print and search)."""
    problems: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    names: set[str] = set()
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        if resources is None:
            continue
        for font in _fonts_of(resources, seen):
            base = str(font.get("/BaseFont", "?"))
            if base in names:
                continue
            names.add(base)
            if font.get("/Subtype") == "/Type3":
                problems.append(Problem(shown, None, None, f"font {base} is Type 3"))
                continue
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get("/FontDescriptor")
            embedded = descriptor is not None and any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            if not embedded:
                problems.append(Problem(shown, None, None, f"font {base} is not embedded"))
    return problems


def pdf_text(data: bytes) -> str:
    """All text of a PDF, whitespace collapsed (what a reader's search or copy would find).

    PDFium (pypdfium2) extracts a ten-page report in about 0.06 s where pypdf needs 1.7 s;
    the tests read the PDFs back with pypdf and poppler as independent readers.
    """
    document = pdfium.PdfDocument(data)
    try:
        parts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
    finally:
        document.close()
    return re.sub(r"\s+", " ", " ".join(parts))


def verify_pdf(
    data: bytes, shown: str, key_texts: Sequence[str] = (), min_pages: int = 1
) -> list[Problem]:
    """Syntax as qpdf --check sees it, %%EOF, embedded non-Type-3 fonts, text with key figures."""
    problems: list[Problem] = []
    if not data.rstrip().endswith(b"%%EOF"):
        problems.append(Problem(shown, None, None, "PDF does not end with %%EOF (truncated)"))
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            for message in pdf.check_pdf_syntax():
                problems.append(Problem(shown, None, None, f"PDF syntax: {message}"))
            if len(pdf.pages) < min_pages:
                problems.append(
                    Problem(
                        shown, None, None, f"{len(pdf.pages)} pages, expected at least {min_pages}"
                    )
                )
            problems.extend(font_problems(pdf, shown))
    except pikepdf.PdfError as exc:
        return [*problems, Problem(shown, None, None, f"not a readable PDF: {exc}")]
    text = pdf_text(data)
    if not text.strip():
        problems.append(Problem(shown, None, None, "no extractable text"))
    for key in key_texts:
        if " ".join(key.split()) not in text:
            problems.append(Problem(shown, None, None, f"key figure '{key}' not found in the text"))
    return problems


class _Text(HTMLParser):
    """Collects the text a reader will see (not style, script or attribute values)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "title") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


@functools.lru_cache(maxsize=8)
def _covered(font_files: tuple[str, ...]) -> frozenset[int]:
    codepoints: set[int] = set()
    for name in font_files:
        font = TTFont(name, lazy=True)
        for table in font["cmap"].tables:
            if table.isUnicode():
                codepoints.update(table.cmap)
        font.close()
    return frozenset(codepoints)


def font_codepoints(font: Path) -> frozenset[int]:
    """Every character one font file can draw."""
    return _covered((str(font),))


def covered_codepoints(fonts_dir: Path) -> frozenset[int]:
    """Every character at least one of the shipped fonts can draw."""
    files = tuple(sorted(str(p) for p in fonts_dir.iterdir() if p.suffix in FONT_SUFFIXES))
    return _covered(files)


def glyph_problems(html: str, fonts_dir: Path, shown: str) -> list[Problem]:
    """Characters in the report's text that no shipped font has (they would print as boxes)."""
    parser = _Text()
    parser.feed(html)
    return missing_glyphs("".join(parser.parts), fonts_dir, shown)


_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def chart_glyph_problems(svg: bytes, fonts_dir: Path, shown: str) -> list[Problem]:
    """The same check for a chart's text (inside the page it hides in a data: URL)."""
    texts = _SVG_TEXT.findall(svg.decode("utf-8"))
    return missing_glyphs(
        "\n".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in texts), fonts_dir, shown
    )


def missing_glyphs(text: str, fonts_dir: Path, shown: str) -> list[Problem]:
    """One problem per character of ``text`` that no font in ``fonts_dir`` can draw."""
    have = covered_codepoints(fonts_dir)
    missing: dict[str, str] = {}
    for match in re.finditer(r"\S", text):
        ch = match.group(0)
        if ord(ch) not in have and ch not in missing:
            start = max(0, match.start() - 20)
            missing[ch] = " ".join(text[start : match.end() + 20].split())
    return [
        Problem(
            shown,
            None,
            None,
            f"character '{ch}' (U+{ord(ch):04X}) has no glyph in templates/fonts/ and would "
            f'print as a box; in: "{context}"',
        )
        for ch, context in missing.items()
    ]
