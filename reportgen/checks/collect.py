"""Every finding of one rendered report, placed on its pages: the page check, the chart check
(each chart problem drawn on its exhibit's image), forbidden words and placeholders, and
quantities printed at two precisions.

Pure and light (no WeasyPrint, no matplotlib): the build calls it with the layout summary the
rendering child returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reportgen.checks.findings import Finding
from reportgen.checks.pages import check_pages
from reportgen.render.layout import Layout, Rect, page_texts


def chart_findings(layout: Layout, report: str, exhibits: Iterable[Any]) -> list[Finding]:
    """Each chart problem (figures.chartcheck.ChartProblem) on the page and box of its chart:
    the problem's box is a fraction of the figure, scaled to the image as laid out."""
    found: list[Finding] = []
    for exhibit in exhibits:
        if not exhibit.problems:
            continue
        placed = _chart_box(layout, exhibit.id)
        label = f"Figure {exhibit.number}"
        for problem in exhibit.problems:
            page, box = placed if placed else (None, None)
            if placed and problem.box is not None:
                x, y, w, h = placed[1]
                x0, y0, x1, y1 = problem.box
                box = (x + x0 * w, y + y0 * h, (x1 - x0) * w, (y1 - y0) * h)
            found.append(Finding(report, page, problem.kind, f"{label}: {problem.message}", box))
    return found


def _chart_box(layout: Layout, exhibit_id: str) -> tuple[int, Rect] | None:
    for page in layout.pages:
        for box in page.boxes:
            if box.role == "chart" and box.exhibit == exhibit_id:
                return page.number, box.rect
    return None


_QUOTED = re.compile(r"'([^']+)'")


def place_text(layout: Layout, finding: Finding) -> Finding:
    """A text finding without a box, boxed at the first line of its page holding the quoted
    text of its message (kept as it is when no line holds it)."""
    match = _QUOTED.search(finding.message)
    if finding.box is not None or finding.page is None or match is None:
        return finding
    if not 1 <= finding.page <= len(layout.pages):
        return finding
    words = match.group(1).split()
    if not words:
        return finding
    # The whole text on one line, else the line where it starts (a phrase may wrap).
    lines = [b for b in layout.pages[finding.page - 1].boxes if b.role == "line"]
    for wanted in (" ".join(words), words[0]):
        pattern = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)", re.IGNORECASE)
        for box in lines:
            if pattern.search(box.text):
                return Finding(
                    finding.report, finding.page, finding.kind, finding.message, box.rect
                )
    return finding


def locate(layout: Layout, text: str) -> tuple[int, Rect | None] | None:
    """The first page showing ``text`` as printed (not inside a longer number: "8.4%" is not
    found in "18.4%") and the box of the line holding it, if one line does."""
    words = text.split()
    if not words:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    pattern = re.compile(rf"(?<![\w.,]){body}(?![\w]|[.,]\d)")
    for page in layout.pages:
        if pattern.search(page.text):
            line = next(
                (b for b in page.boxes if b.role == "line" and pattern.search(b.text)), None
            )
            return page.number, line.rect if line else None
    return None


def precision_findings(layout: Layout, report: str, conflicts: Iterable[Any]) -> list[Finding]:
    """Each precision conflict (checks.precision.PrecisionConflict) on the page where a reader
    meets the quantity at its second precision, naming the page of each text."""
    found = []
    for conflict in conflicts:
        places = sorted(
            ((text, locate(layout, text)) for text in conflict.texts),
            key=lambda p: (p[1] is None, p[1][0] if p[1] else 0),
        )
        where = "; ".join(
            f'"{text}" on page {at[0]}' if at else f'"{text}" in a chart or split across lines'
            for text, at in places
        )
        shown = [at for _, at in places if at is not None]
        page, box = shown[min(1, len(shown) - 1)] if shown else (None, None)
        found.append(Finding(report, page, "precision", f"{conflict.message} ({where})", box))
    return found


def report_findings(
    layout: Layout,
    report: str,
    exhibits: Sequence[Any],
    house: Mapping[str, Any],
    extra: Iterable[Finding] = (),
) -> list[Finding]:
    """Every finding of a report: pages, charts, words, plus ``extra`` (e.g. precision)."""
    from reportgen.checks.words import word_findings

    words = word_findings(
        report,
        page_texts(layout),
        house,
        exhibit_count=max((e.number for e in exhibits), default=0),
    )
    found = [
        *check_pages(layout, report),
        *chart_findings(layout, report, exhibits),
        *(place_text(layout, f) for f in words),
        *extra,
    ]
    return sorted(found, key=lambda f: (f.page is None, f.page or 0, f.kind, f.message))
