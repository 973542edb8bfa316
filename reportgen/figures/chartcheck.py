"""Chart problems found while a chart is drawn, from matplotlib's own text and artist extents.

(Interface first; the checks are filled in by the chart check work.)
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartProblem:
    """One problem in a drawn chart; ``kind`` is a key of checks.findings.KINDS."""

    kind: str
    message: str
    #: (x0, y0, x1, y1) as fractions of the figure's width and height, from its top-left.
    box: tuple[float, float, float, float] | None = None


def check_figure(fig: Figure) -> list[ChartProblem]:
    """Every problem a reader would see in ``fig`` as drawn."""
    return []
