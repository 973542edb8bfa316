"""What the page check reports: one finding per thing a reader would see as wrong on a page.

Findings come from the laid-out pages (checks/pages.py), from charts as they are drawn
(figures/chartcheck.py) and from the numbers a report prints (checks/precision.py); the
build prints them as warnings and ``--strict`` fails on them; ``reportgen proof`` draws them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

#: Every kind of finding, with the one-line meaning the README's table repeats.
KINDS: dict[str, str] = {
    "empty-page": "a page other than the last is nearly empty",
    "hole": "a page left partly empty because the exhibit that follows did not fit",
    "separated": "a caption, source line, note or table header on another page than its exhibit",
    "split": "an exhibit split across pages (other than a long table repeating its header)",
    "outside": "text or an image outside the page's content box, clipped or overflowing a cell",
    "chart-overlap": "chart text overlapping other chart text",
    "chart-frame": "chart text crossing the plot frame or the figure's edge",
    "chart-crossed": "chart text crossed by a plotted line (data, gridline or reference line)",
    "legend-mark": "a legend entry with no visible mark",
    "log-bars": "bars drawn on a logarithmic axis",
    "forbidden-word": "a word the house forbids in client-facing text",
    "placeholder": "a placeholder detail (example address, 0000 phone number, 'placeholder')",
    "precision": "one quantity printed at different precisions within a report",
}


@dataclass(frozen=True)
class Finding:
    """One problem a reader would see: where (report, page, box) and what."""

    report: str
    page: int | None  # 1-based page of the PDF; None when it cannot be placed on a page
    kind: str  # a key of KINDS
    message: str
    #: (x, y, width, height) in CSS px (1/96 in) from the page's top-left corner, for the proof.
    box: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown finding kind {self.kind!r}")

    def __str__(self) -> str:
        where = f"page {self.page}" if self.page is not None else "no page"
        return f"{self.report}: {where}: {self.message} [{self.kind}]"


def findings_to_json(findings: Iterable[Finding]) -> str:
    """Findings as JSON text (sorted keys: same findings, same bytes)."""
    return json.dumps([asdict(f) for f in findings], sort_keys=True, indent=1)


def findings_from_json(text: str) -> list[Finding]:
    """The inverse of findings_to_json."""
    items: list[dict[str, Any]] = json.loads(text)
    return [
        Finding(
            report=i["report"],
            page=i["page"],
            kind=i["kind"],
            message=i["message"],
            box=tuple(i["box"]) if i.get("box") is not None else None,
        )
        for i in items
    ]
