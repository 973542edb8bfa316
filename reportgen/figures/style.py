"""The house style for every chart: fonts, palette, sizes, and deterministic SVG output."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.rcsetup import cycler  # noqa: E402 - matplotlib.cycler is this one

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: The CJK subset the PDFs embed (templates/fonts); the package root is one level above here.
CJK_FONT = (
    Path(__file__).resolve().parents[1] / "templates" / "fonts" / "NotoSansSC-Regular-GB2312.otf"
)


def register_cjk_font(path: Path = CJK_FONT) -> str | None:
    """Add the CJK font to matplotlib and return its family name (None if it cannot be read)."""
    if not path.is_file():
        return None
    try:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    except (OSError, RuntimeError, ValueError):
        return None


class _NoCJKBoldNotice(logging.Filter):
    """Drop matplotlib's notice that the CJK subset has no bold face (regular is used)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not (
            CJK_FAMILY
            and CJK_FAMILY in message
            and message.startswith("findfont: Failed to find font weight")
        )


#: Family names in fallback order: DejaVu Sans for Latin text, the CJK face for Chinese glyphs.
CJK_FAMILY = register_cjk_font()
if CJK_FAMILY:
    logging.getLogger("matplotlib.font_manager").addFilter(_NoCJKBoldNotice())
FONT_FAMILY = ["DejaVu Sans", *([CJK_FAMILY] if CJK_FAMILY else [])]

#: The families chart text is written in: the @font-face names of templates/css/fonts.css.j2
#: (the same font files as FONT_FAMILY), then a system name and a generic family for browsers,
#: which cannot use a page's fonts inside an <img> SVG.
PAGE_FAMILIES = ("House Sans", "House CJK", "DejaVu Sans", "sans-serif")
#: matplotlib's family name -> the report's name for the same font file.
PAGE_FAMILY_OF = {"DejaVu Sans": "House Sans", **({CJK_FAMILY: "House CJK"} if CJK_FAMILY else {})}

#: House palette: navy for our subject, then supporting colours; grey for context.
NAVY = "#1B2A4A"
TEAL = "#1F7A8C"
GOLD = "#C8963E"
RED = "#B23A48"
GREEN = "#3C8D5A"
GREY = "#8C96A3"
LIGHT = "#D9DEE5"
PALETTE = (NAVY, TEAL, GOLD, RED, GREEN, GREY)
#: Domestic (China) against overseas, used wherever the two are compared.
DOMESTIC = RED
OVERSEAS = NAVY

#: Page text width is about 170 mm; charts are drawn at their printed size.
FULL_WIDTH_IN = 6.7
HALF_WIDTH_IN = 3.25

#: A white box behind a chart label, so gridlines and reference lines pass under it rather
#: than through it (the chart check counts a line under an opaque box as hidden).
LABEL_BOX = {"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"}

RC: dict[RcKeyType, Any] = {
    # DejaVu ships with matplotlib; Chinese glyphs fall back to the bundled Noto Sans CJK SC.
    "font.family": FONT_FAMILY,
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "axes.edgecolor": GREY,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": LIGHT,
    "grid.linewidth": 0.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    # Legends sit on a borderless white box: gridlines and data pass under an entry, not through it.
    "legend.frameon": True,
    "legend.framealpha": 1.0,
    "legend.facecolor": "white",
    "legend.edgecolor": "none",
    "legend.fancybox": False,
    "figure.dpi": 100,
    # Chart text stays text (searchable in the PDF, drawn with the report's embedded fonts);
    # svg_bytes() renames the families to the report's @font-face names.
    "svg.fonttype": "none",
    # Chart text is text: a model named "plan $5 to $10" or a unit "US$0.13 per HK$1" is drawn
    # as written, never parsed as mathtext (which drops the dollars and sets the rest in
    # italics). No builder writes mathtext on purpose; log axes use plain tick formatters.
    "text.parse_math": False,
    "svg.hashsalt": "reportgen",  # fixed ids: same inputs, same bytes
    "path.simplify": True,
}


@contextmanager
def house_style() -> Iterator[None]:
    """Apply the house rcParams for the duration of one figure build."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(width: float = FULL_WIDTH_IN, height: float = 2.8) -> tuple[Figure, Axes]:
    """A figure at printed size with one axes, in the house style (call inside house_style)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot()
    return fig, ax


def spread_labels(values: Sequence[float], gap: float) -> list[float]:
    """Label positions for ``values`` nudged apart to at least ``gap``, order kept."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    placed = [0.0] * len(values)
    last = float("-inf")
    for i in order:
        placed[i] = max(values[i], last + gap)
        last = placed[i]
    return placed


def label_bars(ax: Axes, bars: object, fmt: str = "{:.2f}", inside: bool = False) -> None:
    """Write each bar's value at its end, so readers need not read the axis."""
    for bar in bars:  # type: ignore[attr-defined]
        height = bar.get_height()
        ax.annotate(
            fmt.format(height),
            (bar.get_x() + bar.get_width() / 2, height),
            xytext=(0, -10 if inside else 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="white" if inside else "#333333",
            bbox=None if inside else LABEL_BOX,
        )
