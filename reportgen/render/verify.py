"""Checks every PDF must pass before it is called built, and a glyph check before rendering."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium

from reportgen.data.sources import split_lines
from reportgen.errors import Problem
from reportgen.glyphs import FONT_SUFFIXES, covered_codepoints, font_codepoints, no_glyph

__all__ = ["FONT_SUFFIXES", "covered_codepoints", "font_codepoints"]  # re-exported


def _fonts_of(resources: pikepdf.Object, seen: set[tuple[int, int]]) -> Iterable[pikepdf.Object]:
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


def glyph_problems(
    html: str,
    fonts_dir: Path,
    shown: str,
    sources: Iterable[str | Path] = (),
    root: Path | None = None,
) -> list[Problem]:
    """Characters in the report's text that no shipped font has (they would print as boxes).

    Each is reported where it was typed when one of ``sources`` (the files the report read)
    holds it; only otherwise at the page ``shown``.
    """
    parser = _Text()
    parser.feed(html)
    return missing_glyphs("".join(parser.parts), fonts_dir, shown, sources, root)


_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


def chart_glyph_problems(
    svg: bytes,
    fonts_dir: Path,
    shown: str,
    sources: Iterable[str | Path] = (),
    root: Path | None = None,
) -> list[Problem]:
    """The same check for a chart's text (inside the page it hides in a data: URL)."""
    texts = _SVG_TEXT.findall(svg.decode("utf-8"))
    return missing_glyphs(
        "\n".join(html.unescape(re.sub(r"<[^>]+>", "", t)) for t in texts),
        fonts_dir,
        shown,
        sources,
        root,
    )


def missing_glyphs(
    text: str,
    fonts_dir: Path,
    shown: str,
    sources: Iterable[str | Path] = (),
    root: Path | None = None,
) -> list[Problem]:
    """One problem per character of ``text`` that no font in ``fonts_dir`` can draw.

    The problem names the file, line and column (CSV) or key (YAML) of every place among
    ``sources`` that holds the character; the page ``shown`` and the text around the
    character when none does (e.g. a character a template computes).
    """
    have = covered_codepoints(fonts_dir)
    missing: dict[str, str] = {}
    for match in re.finditer(r"\S", text):
        ch = match.group(0)
        if ord(ch) not in have and ch not in missing:
            start = max(0, match.start() - 20)
            missing[ch] = " ".join(text[start : match.end() + 20].split())
    files = _text_files(sources)
    problems: list[Problem] = []
    for ch, context in missing.items():
        what = no_glyph(ch)
        found = [
            Problem(
                _display(path, root),
                line,
                column,
                f"{what}; use another character or add a font that has it",
            )
            for path, text_of in files
            for line, column in _places(ch, path, text_of)
        ]
        problems.extend(found or [Problem(shown, None, None, f'{what}; in: "{context}"')])
    return problems


#: Files a report reads whose text can reach the page (data, definitions, prose, templates).
_TEXT_SUFFIXES = (".csv", ".yaml", ".yml", ".md", ".html", ".j2", ".jinja", ".txt")
_YAML_KEY = re.compile(r"^\s*(?:-\s+)?([^\s:#'\"][^:#]*?)\s*:(?:\s|$)")


def _text_files(sources: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """The readable UTF-8 text files among ``sources`` (others, and folders, are skipped)."""
    files: list[tuple[Path, str]] = []
    for source in sorted({Path(s) for s in sources}):
        if source.suffix not in _TEXT_SUFFIXES or not source.is_file():
            continue
        try:
            files.append((source, source.read_text(encoding="utf-8-sig")))
        except (OSError, UnicodeDecodeError):
            continue
    return files


def _places(ch: str, path: Path, text: str) -> list[tuple[int, str | None]]:
    """(line, column or key) of each line of ``text`` that holds ``ch``."""
    if ch not in text:
        return []
    places: list[tuple[int, str | None]] = []
    if path.suffix == ".csv":
        lines = split_lines(text)
        start = 0
        while start < len(lines) and (lines[start].startswith("#") or not lines[start].strip()):
            start += 1
        reader = csv.reader(io.StringIO("".join(lines[start:])))
        header: list[str] = []
        try:
            for record in reader:
                if not header:
                    header = record
                    if any(ch in cell for cell in record):
                        places.append((start + reader.line_num, None))
                    continue
                for name, cell in zip(header, record, strict=False):
                    if ch in cell:
                        places.append((start + reader.line_num, name.strip()))
        except csv.Error:
            pass
        if places:
            return places
    for number, line in enumerate(text.split("\n"), start=1):
        if ch in line:
            key = _YAML_KEY.match(line) if path.suffix in (".yaml", ".yml") else None
            places.append((number, key.group(1) if key else None))
    return places


def _display(path: Path, root: Path | None) -> str:
    """``path`` relative to the project root, when it is inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)
