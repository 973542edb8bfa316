"""Write a built chart as SVG: deterministic bytes, written atomically."""

from __future__ import annotations

import io
import re
from pathlib import Path

from matplotlib.figure import Figure

from reportgen.figures.chartcheck import checked_while_drawn
from reportgen.figures.style import PAGE_FAMILIES, PAGE_FAMILY_OF, house_style
from reportgen.outputs import write_atomic

_FAMILY = re.compile(rb"font-family: ([^;\"]+)")
_PAGE_FAMILIES = ", ".join(f"'{f}'" if " " in f else f for f in PAGE_FAMILIES).encode()


def _page_families(match: re.Match[bytes]) -> bytes:
    """Every chart font must be one of the report's own (else the PDF would need another)."""
    for name in (n.strip(" '\"") for n in match.group(1).decode("utf-8").split(",")):
        if name not in PAGE_FAMILY_OF:
            raise ValueError(
                f"chart text uses the font '{name}'; charts may use only "
                f"{' and '.join(PAGE_FAMILY_OF)} (the fonts in templates/fonts)"
            )
    return b"font-family: " + _PAGE_FAMILIES


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG with no date or random ids (equal inputs, equal bytes).

    Text is kept as SVG text in the report's font families, so WeasyPrint draws it with the
    fonts the PDF already embeds: it stays searchable and costs no glyph outlines to draw.
    """
    buffer = io.BytesIO()
    # matplotlib reads svg.hashsalt while writing, so the house settings must be active here.
    # The chart check runs on this draw's layout (check_figure then returns what it found).
    with house_style(), checked_while_drawn(fig):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "reportgen"})
    return _FAMILY.sub(_page_families, buffer.getvalue())


def save_svg(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` via a temporary file and rename."""
    write_atomic(path, svg_bytes(fig))
    return path
