"""Write a built chart as SVG: deterministic bytes, written atomically."""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from reportgen.figures.style import house_style
from reportgen.outputs import write_atomic


def svg_bytes(fig: Figure) -> bytes:
    """The figure as SVG bytes with no date or random ids (so equal inputs give equal bytes)."""
    buffer = io.BytesIO()
    # matplotlib reads svg.hashsalt while writing, so the house settings must be active here.
    with house_style():
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "reportgen"})
    return buffer.getvalue()


def save_svg(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` via a temporary file and rename."""
    write_atomic(path, svg_bytes(fig))
    return path
