"""The HTML file's charts inline, so browsers draw chart text in the page's own fonts.

The PDF is rendered from HTML whose charts are <img> data: URLs (WeasyPrint draws those with
the report's fonts). A browser cannot give an <img> SVG the page's @font-face fonts, so the
HTML written to build/ carries each chart as inline <svg> instead: same drawing, chart text in
the house fonts and selectable. Ids are prefixed per chart so the page has no duplicate ids.
"""

from __future__ import annotations

import base64
import re

_CHART_IMG = re.compile(
    r'<img class="chart" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="([^"]*)">'
)
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def inline_svg(svg: bytes, prefix: str, label: str) -> str:
    """``svg`` as an inline <svg> element: no XML prolog or metadata, ids prefixed, labelled."""
    text = svg.decode("utf-8")
    text = _METADATA.sub("", text[text.index("<svg") :])
    text = _ID.sub(lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{prefix}{m.group(2)}", text)
    return f'<svg class="chart" role="img" aria-label="{label}"' + text[len("<svg") :]


def inline_charts(page: str) -> str:
    """Replace every chart <img> of a rendered page with the same chart inline."""
    count = 0

    def swap(match: re.Match[str]) -> str:
        nonlocal count
        count += 1
        svg = base64.b64decode(match.group(1))
        # The alt text is already escaped in the page; keep it as it is.
        return inline_svg(svg, f"c{count}-", match.group(2))

    return _CHART_IMG.sub(swap, page)
