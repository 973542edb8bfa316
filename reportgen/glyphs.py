"""Which characters the shipped fonts can draw (read from their cmap tables).

Kept apart from reportgen/render so that data validation can refuse a character no font
has at the data cell that holds it, without importing the renderer (data flows one way).
"""

from __future__ import annotations

import functools
from pathlib import Path

FONT_SUFFIXES = (".ttf", ".otf")


@functools.lru_cache(maxsize=8)
def _covered(font_files: tuple[tuple[str, int, int], ...]) -> frozenset[int]:
    """Coverage of fonts named with their size and mtime (a replaced font is read again)."""
    from fontTools.ttLib import TTFont  # loaded only when a coverage is asked for

    codepoints: set[int] = set()
    for name, _size, _mtime in font_files:
        font = TTFont(name, lazy=True)
        for table in font["cmap"].tables:
            if table.isUnicode():
                codepoints.update(table.cmap)
        font.close()
    return frozenset(codepoints)


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def font_codepoints(font: Path) -> frozenset[int]:
    """Every character one font file can draw."""
    return _covered((_identity(font),))


def covered_codepoints(fonts_dir: Path) -> frozenset[int]:
    """Every character at least one of the shipped fonts in ``fonts_dir`` can draw."""
    files = sorted(p for p in fonts_dir.iterdir() if p.suffix in FONT_SUFFIXES)
    return _covered(tuple(_identity(p) for p in files))


def no_glyph(ch: str) -> str:
    """The message for a character no shipped font can draw."""
    return (
        f"character '{ch}' (U+{ord(ch):04X}) has no glyph in templates/fonts/ "
        "and would print as a box"
    )
