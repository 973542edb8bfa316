"""What every chart's SVG must be: text kept as text, in the report's own font families only."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from reportgen.figures.style import PAGE_FAMILIES

SVG = "{http://www.w3.org/2000/svg}"


def assert_chart_svg(data: bytes) -> None:
    """A chart SVG whose text is <text> in the house families (no glyph outlines, no others)."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG}svg"
    texts = [el for el in root.iter(f"{SVG}text")]
    assert texts, "a chart with no text (no title, ticks or labels)"
    families = set(re.findall(rb"font-family: ([^;\"]+)", data))
    wanted = ", ".join(f"'{f}'" if " " in f else f for f in PAGE_FAMILIES).encode()
    assert families == {wanted}, families
    assert b"DejaVuSans-" not in data  # no glyph outline definitions
