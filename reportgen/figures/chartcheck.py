"""Chart problems found while a chart is drawn, from matplotlib's own text and artist extents.

Every text a reader sees (tick labels, axis titles, titles, annotations and data labels, legend
entries) is measured on the drawn layout and tested against: the other texts (rotated texts by
their own rotated rectangles) and any legend box (chart-overlap); the figure's edge, its clip
box, its own plot frame and other panels' plot areas (chart-frame); every stroked line drawn
across it - data lines, gridlines, reference lines - unless the text sits on an opaque box
drawn above the line (chart-crossed). Legends are tested for entries whose mark is missing or
too faint to see on white (legend-mark) and bar containers for a logarithmic value axis
(log-bars). figures.save.svg_bytes runs the checks on its own draw, so the build pays for
the measuring only, not for a second layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import DrawEvent, RendererBase
from matplotlib.collections import Collection, LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from reportgen.figures.style import house_style


@dataclass(frozen=True)
class ChartProblem:
    """One problem in a drawn chart; ``kind`` is a key of checks.findings.KINDS."""

    kind: str
    message: str
    #: (x0, y0, x1, y1) as fractions of the figure's width and height, from its top-left.
    box: tuple[float, float, float, float] | None = None


#: Overlaps smaller than this (in points, each way) are glyph bounding boxes touching, which a
#: reader does not see: a text's extent includes its line's ascent and descent.
TOLERANCE_PT = 1.0
#: A label's background box hides the lines under it when it is at least this opaque.
OPAQUE = 0.75
#: A legend mark is visible when its colour's contrast ratio against white (WCAG's formula)
#: is at least this: the house LIGHT grey (#D9DEE5, 1.35) is, a near-white #F2F4F7 (1.1) is not.
MIN_CONTRAST = 1.25


@dataclass
class _Text:
    """One visible text: its artist, extent in display pixels, role and the axes it belongs to."""

    artist: Text
    box: Bbox
    role: str  # "tick", "axis title", "title", "label", "legend"
    ax: Axes | None
    legend: Legend | None = None

    @property
    def shown(self) -> str:
        text = " ".join(self.artist.get_text().split())
        return f'{self.role} "{text[:40]}{"..." if len(text) > 40 else ""}"'


def check_figure(fig: Figure) -> list[ChartProblem]:
    """Every problem a reader would see in ``fig`` as drawn.

    When ``fig`` was just saved by figures.save.svg_bytes, the problems found during that
    save's own draw are returned (once) rather than laying the figure out a second time.
    """
    found = fig.__dict__.pop(_FOUND, None)
    if found is not None:
        return list(found)
    with house_style():
        # Private, as Figure.draw_without_rendering uses it: the renderer a draw would use.
        renderer = fig._get_renderer()  # type: ignore[attr-defined]  # noqa: SLF001
        with renderer._draw_disabled():  # lay out and "draw" with no output, as
            fig.draw(renderer)  # Figure.draw_without_rendering does, keeping its renderer
        return _analyse(fig, renderer)  # whose text measurements are now cached


#: The figure attribute that carries the problems found while the figure was saved.
_FOUND = "_reportgen_chart_problems"


@contextmanager
def checked_while_drawn(fig: Figure) -> Iterator[None]:
    """Check ``fig`` as it is drawn inside this block (e.g. by savefig), for check_figure."""

    def on_draw(event: DrawEvent) -> None:
        fig.__dict__[_FOUND] = tuple(_analyse(fig, event.renderer))

    fig.__dict__.pop(_FOUND, None)
    handler = fig.canvas.mpl_connect("draw_event", on_draw)
    try:
        yield
    finally:
        fig.canvas.mpl_disconnect(handler)


def _analyse(fig: Figure, renderer: Any) -> list[ChartProblem]:
    """The checks, on a figure laid out and drawn (or about to be) with ``renderer``."""
    try:
        texts = list(_texts(fig, renderer))
        pad = TOLERANCE_PT * fig.dpi / 72
        problems: list[ChartProblem] = []
        problems += _overlaps(fig, texts, pad, renderer)
        problems += _under_legends(fig, texts, pad, renderer)
        problems += _frames(fig, texts, pad)
        problems += _crossings(fig, texts, pad)
        problems += _legend_marks(fig, renderer)
        problems += _log_bars(fig)
        return problems
    finally:
        for ax in fig.axes:
            ax.__dict__.pop(_TICKS, None)


# ---------------------------------------------------------------------------- gathering texts


def _shown(artist: Text) -> bool:
    """Whether the text is drawn with something in it."""
    return bool(
        artist.get_visible()
        and artist.get_text().strip()
        and ((alpha := artist.get_alpha()) is None or alpha > 0)
        and to_rgba(artist.get_color())[3] > 0
    )


def _drawn_ticks(ax: Axes) -> list[tuple[str, Text, Line2D | None]]:
    """Each drawn tick label of ``ax`` and each drawn gridline (only ticks inside the view are
    drawn); computed once per check (the Axes carries it while the check runs)."""
    cached = ax.__dict__.get(_TICKS)
    if cached is None:
        cached = ax.__dict__[_TICKS] = list(_find_ticks(ax))
    return cached


#: The Axes attribute holding its drawn ticks during one check.
_TICKS = "_reportgen_drawn_ticks"


def _find_ticks(ax: Axes) -> Iterator[tuple[str, Text, Line2D | None]]:
    """The drawn tick labels ("tick", label, None) and gridlines ("grid", label, line)."""
    if not ax.axison:
        return  # axis("off"): no ticks, tick labels or gridlines are drawn
    for axis in ax._axis_map.values():  # noqa: SLF001 - the axes' own x/y axis objects
        if not axis.get_visible():
            continue
        # Private (not in matplotlib's stubs): the ticks a draw would draw.
        for tick in axis._update_ticks():  # type: ignore[attr-defined]  # noqa: SLF001
            grid = tick.gridline if tick.gridline.get_visible() else None
            for label in (tick.label1, tick.label2):
                if _shown(label):
                    yield "tick", label, None
            if grid is not None:
                yield "grid", tick.label1, grid


#: How _texts makes a gathered text: (artist, role, its Axes, its Legend) -> _Text.
_Make = Callable[[Text, str, Axes | None, Legend | None], _Text]


def _texts(fig: Figure, renderer: RendererBase) -> Iterator[_Text]:
    """Every visible text of the figure with its extent in display pixels."""

    def make(artist: Text, role: str, ax: Axes | None, legend: Legend | None = None) -> _Text:
        return _Text(artist, artist.get_window_extent(renderer), role, ax, legend)

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for role, label, grid in _drawn_ticks(ax):
            if grid is None:
                yield make(label, role, ax)
        for label in (ax.xaxis.label, ax.yaxis.label):
            if _shown(label):
                yield make(label, "axis title", ax)
        # The left and right titles are private attributes (not in matplotlib's stubs).
        sides = (ax._left_title, ax._right_title)  # type: ignore[attr-defined]  # noqa: SLF001
        for title in (ax.title, *sides):
            if _shown(title):
                yield make(title, "title", ax)
        for text in ax.texts:
            if _shown(text):
                yield make(text, "label", ax)
        if (own := ax.get_legend()) is not None:
            yield from _legend_texts(own, ax, make)
    for legend in fig.legends:
        yield from _legend_texts(legend, None, make)
    for text in fig.texts:
        if _shown(text):
            yield make(text, "title" if text is getattr(fig, "_suptitle", None) else "label", None)


def _legend_texts(legend: Legend, ax: Axes | None, make: _Make) -> Iterator[_Text]:
    """A legend's entry texts and title, if it is drawn."""
    if not legend.get_visible():
        return
    for text in [*legend.get_texts(), legend.get_title()]:
        if _shown(text):
            yield make(text, "legend", ax, legend)


# ---------------------------------------------------------------------------- the checks


def _inner(box: Bbox, pad: float) -> Bbox:
    """``box`` shrunk by ``pad`` on every side (touching glyph boxes are not overlaps)."""
    return Bbox.from_extents(box.x0 + pad, box.y0 + pad, box.x1 - pad, box.y1 - pad)


def _frac(fig: Figure, *boxes: Bbox) -> tuple[float, float, float, float]:
    """The union of ``boxes`` as fractions of the figure, from its top-left corner."""
    box = Bbox.union(list(boxes))
    w, h = fig.bbox.width, fig.bbox.height
    x0, x1 = max(0.0, box.x0 / w), min(1.0, box.x1 / w)
    y0, y1 = max(0.0, 1 - box.y1 / h), min(1.0, 1 - box.y0 / h)
    return tuple(round(float(v), 4) for v in (x0, y0, max(x0, x1), max(y0, y1)))  # type: ignore[return-value]


def _corners(t: _Text, pad: float, renderer: Any) -> np.ndarray | None:
    """The four corners of a rotated text's own rectangle (shrunk by ``pad``), or None when the
    text is upright and its extent is already that rectangle."""
    angle = t.artist.get_rotation() % 180
    if angle in (0, 90):
        return None
    t.artist.set_rotation(0)  # the unrotated size; its rotated rectangle shares the centre
    try:
        flat = t.artist.get_window_extent(renderer)
    finally:
        t.artist.set_rotation(angle)
    w, h = max(flat.width / 2 - pad, 0), max(flat.height / 2 - pad, 0)
    theta = np.deg2rad(angle)
    c, s = np.cos(theta), np.sin(theta)
    local = np.array([[-w, -h], [w, -h], [w, h], [-w, h]])
    rot = np.array([[c, -s], [s, c]])
    centre = np.array([(t.box.x0 + t.box.x1) / 2, (t.box.y0 + t.box.y1) / 2])
    return local @ rot.T + centre


def _box_corners(box: Bbox) -> np.ndarray:
    return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])


def _quads_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex quadrilaterals overlap (separating-axis test)."""
    for quad in (a, b):
        edges = np.roll(quad, -1, axis=0) - quad
        for nx, ny in np.column_stack([-edges[:, 1], edges[:, 0]]):
            pa, pb = a @ (nx, ny), b @ (nx, ny)
            if pa.max() <= pb.min() or pb.max() <= pa.min():
                return False
    return True


def _overlaps(fig: Figure, texts: list[_Text], pad: float, renderer: Any) -> list[ChartProblem]:
    """Texts whose extents overlap by more than the tolerance (rotated texts by their own
    rotated rectangles, not the upright boxes around them)."""
    found: list[ChartProblem] = []
    if not texts:
        return found
    inner = [_inner(t.box, pad) for t in texts]
    ext = np.array([[b.x0, b.y0, b.x1, b.y1] for b in inner])
    quads: dict[int, np.ndarray | None] = {}
    for i in range(len(texts)):
        hits = np.nonzero(
            (ext[i + 1 :, 0] < ext[i, 2])
            & (ext[i + 1 :, 2] > ext[i, 0])
            & (ext[i + 1 :, 1] < ext[i, 3])
            & (ext[i + 1 :, 3] > ext[i, 1])
        )[0]
        for j in (int(k) for k in hits + i + 1):
            a, b = texts[i], texts[j]
            if inner[i].width <= 0 or inner[j].width <= 0:
                continue
            if (a.legend is None) != (b.legend is None):
                continue  # a text under a legend is reported once, by _under_legends
            for k in (i, j):
                if k not in quads:
                    quads[k] = _corners(texts[k], pad, renderer)
            qi, qj = quads[i], quads[j]
            if qi is not None or qj is not None:
                qa = qi if qi is not None else _box_corners(inner[i])
                qb = qj if qj is not None else _box_corners(inner[j])
                if not _quads_overlap(qa, qb):
                    continue
            found.append(
                ChartProblem(
                    "chart-overlap", f"{a.shown} overlaps {b.shown}", _frac(fig, a.box, b.box)
                )
            )
    return found


def _legends(fig: Figure) -> Iterator[tuple[Legend, list[Axes]]]:
    """Each drawn legend with the axes whose data it may cover."""
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None and legend.get_visible() and ax.get_visible():
            yield legend, [ax, *(o for o in fig.axes if o is not ax and o.bbox.overlaps(ax.bbox))]
    for legend in fig.legends:
        if legend.get_visible():
            yield legend, [ax for ax in fig.axes if ax.get_visible()]


def _under_legends(
    fig: Figure, texts: list[_Text], pad: float, renderer: Any
) -> list[ChartProblem]:
    """Texts, data lines, points and bars that a legend's box lies over (hidden or cluttered)."""
    found: list[ChartProblem] = []
    for legend, axes in _legends(fig):
        box = legend.get_window_extent(renderer)
        inner = _inner(box, pad)
        if inner.width <= 0 or inner.height <= 0:
            continue
        for t in texts:
            if t.legend is legend or not _inner(t.box, pad).overlaps(inner):
                continue
            found.append(
                ChartProblem("chart-overlap", f"{t.shown} is under the legend", _frac(fig, t.box))
            )
        covered: list[str] = []
        for ax in axes:
            for what in _data_under(ax, inner):
                if what not in covered:
                    covered.append(what)
        if covered:
            found.append(
                ChartProblem(
                    "chart-overlap",
                    f"the legend covers {' and '.join(covered)}",
                    _frac(fig, box),
                )
            )
    return found


def _data_under(ax: Axes, box: Bbox) -> Iterator[str]:
    """What data of ``ax`` (lines, points, bars) has a part inside ``box``."""
    clip = ax.bbox
    for line in ax.lines:
        if not line.get_visible():
            continue
        pts = line.get_transform().transform(line.get_xydata())
        hit_box = _clip_box(box, clip if line.get_clip_on() else None)
        if hit_box is None:
            continue
        label = str(line.get_label())
        name = f'the line "{label}"' if label and not label.startswith("_") else "a plotted line"
        if _stroked(line) and _segments_hit(pts, hit_box):
            yield name
        elif line.get_marker() not in (None, "None", "none", "", " ") and _points_in(pts, hit_box):
            yield name.replace("line", "points", 1) if "line" in name else name
    for coll in ax.collections:
        if (
            isinstance(coll, PathCollection)
            and coll.get_visible()
            and len(np.asarray(coll.get_offsets()))
        ):
            pts = coll.get_offset_transform().transform(coll.get_offsets())
            if _points_in(pts, box):
                yield "plotted points"
    for container in ax.containers:
        if isinstance(container, BarContainer):
            for bar in container.patches:
                if bar.get_visible() and bar.get_window_extent().overlaps(box):
                    yield "a bar"
                    break


def _points_in(pts: np.ndarray, box: Bbox) -> bool:
    """Whether any point lies inside ``box``."""
    return bool(
        (
            (pts[:, 0] > box.x0)
            & (pts[:, 0] < box.x1)
            & (pts[:, 1] > box.y0)
            & (pts[:, 1] < box.y1)
        ).any()
    )


def _frames(fig: Figure, texts: list[_Text], pad: float) -> list[ChartProblem]:
    """Texts past the figure's edge (clipped on the page), cut by their clip box, straddling
    the plot frame of their axes, or running into another panel's plot area."""
    found = []
    edge = fig.bbox
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    for t in texts:
        box = t.box
        if (
            box.x0 < edge.x0 - pad
            or box.y0 < edge.y0 - pad
            or box.x1 > edge.x1 + pad
            or box.y1 > edge.y1 + pad
        ):
            found.append(
                ChartProblem(
                    "chart-frame", f"{t.shown} runs past the figure's edge", _frac(fig, box)
                )
            )
            continue
        clip = t.artist.get_clip_box() if t.artist.get_clip_on() else None
        if clip is not None and not _inside(box, clip, pad):
            found.append(
                ChartProblem("chart-frame", f"{t.shown} is clipped by the plot", _frac(fig, box))
            )
            continue
        if t.role == "label" and t.ax is not None and t.ax.axison:
            frame = t.ax.bbox
            if _straddles(box, frame, pad):
                found.append(
                    ChartProblem(
                        "chart-frame", f"{t.shown} crosses the plot frame", _frac(fig, box, frame)
                    )
                )
                continue
        if t.role != "legend":
            inner = _inner(box, pad)
            for other in panels:
                own = t.ax is not None and np.allclose(other.bbox.bounds, t.ax.bbox.bounds)
                if not own and inner.overlaps(other.bbox):  # (a twin shares its frame)
                    found.append(
                        ChartProblem(
                            "chart-frame",
                            f"{t.shown} runs into the plot of another panel",
                            _frac(fig, box, other.bbox),
                        )
                    )
                    break
    return found


def _inside(box: Bbox, outer: Bbox, pad: float) -> bool:
    """Whether ``box`` lies within ``outer`` (give or take ``pad``)."""
    return (
        box.x0 >= outer.x0 - pad
        and box.y0 >= outer.y0 - pad
        and box.x1 <= outer.x1 + pad
        and box.y1 <= outer.y1 + pad
    )


def _straddles(box: Bbox, frame: Bbox, pad: float) -> bool:
    """Whether ``box`` lies partly inside and partly outside ``frame`` (by more than ``pad``)."""
    inner = _inner(box, pad)
    overlaps = (
        inner.x0 < frame.x1 and inner.x1 > frame.x0 and inner.y0 < frame.y1 and inner.y1 > frame.y0
    )
    return overlaps and not _inside(box, frame, pad)


def _line_paths(ax: Axes) -> Iterator[tuple[str, np.ndarray, float, Bbox | None]]:
    """Each line drawn in ``ax``: (what it is, its vertices in display pixels, zorder, clip)."""
    clip = ax.bbox
    for role, _label, grid in _drawn_ticks(ax):
        if role == "grid" and grid is not None and _stroked(grid):
            yield "gridline", grid.get_transform().transform(grid.get_xydata()), grid.zorder, clip
    for line in ax.lines:
        if not _stroked(line):
            continue
        label = str(line.get_label())
        what = "line" if not label.startswith("_") else "reference line"
        if label and not label.startswith("_"):
            what = f'line "{label}"'
        pts = line.get_transform().transform(line.get_xydata())
        yield what, pts, line.zorder, clip if line.get_clip_on() else None
    for coll in ax.collections:
        if not isinstance(coll, LineCollection) or not coll.get_visible():
            continue
        widths = np.atleast_1d(coll.get_linewidth())  # get_linewidths is its alias
        colours = np.asarray(coll.get_colors())  # RGBA rows
        if len(widths) == 0 or max(widths) <= 0 or len(colours) == 0 or max(colours[:, 3]) <= 0:
            continue
        transform = coll.get_transform()
        for path in coll.get_paths():
            yield (
                "line",
                transform.transform(path.vertices),
                coll.zorder,
                clip if coll.get_clip_on() else None,
            )


def _stroked(line: Line2D) -> bool:
    """Whether a Line2D draws a visible stroke (not just markers)."""
    return bool(
        line.get_visible()
        and line.get_linestyle() not in ("None", "none", "", " ")
        and line.get_linewidth() > 0
        and to_rgba(line.get_color(), line.get_alpha())[3] > 0
    )


def _masked(t: _Text, zorder: float) -> bool:
    """Whether the text hides a line of ``zorder`` under an opaque background."""
    if t.legend is not None:
        frame = t.legend.get_frame()
        return bool(
            t.legend.get_frame_on()
            and t.legend.get_zorder() > zorder
            and to_rgba(frame.get_facecolor())[3] >= OPAQUE
        )
    patch = t.artist.get_bbox_patch()
    if patch is None or not patch.get_visible():
        return False
    return t.artist.get_zorder() > zorder and to_rgba(patch.get_facecolor())[3] >= OPAQUE


def _segments_hit(pts: np.ndarray, box: Bbox) -> bool:
    """Whether the polyline ``pts`` passes through ``box`` (Liang-Barsky on every segment)."""
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return False
    if len(pts) == 1:
        return bool(box.x0 < pts[0, 0] < box.x1 and box.y0 < pts[0, 1] < box.y1)
    p0, p1 = pts[:-1], pts[1:]
    d = p1 - p0
    t0 = np.zeros(len(d))
    t1 = np.ones(len(d))
    ok = np.ones(len(d), dtype=bool)
    for k, (lo, hi) in enumerate(((box.x0, box.x1), (box.y0, box.y1))):
        for p, q in ((-d[:, k], p0[:, k] - lo), (d[:, k], hi - p0[:, k])):
            parallel = p == 0
            ok &= ~(parallel & (q < 0))
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
            t0 = np.where(~parallel & (p < 0), np.maximum(t0, r), t0)
            t1 = np.where(~parallel & (p > 0), np.minimum(t1, r), t1)
    return bool((ok & (t0 < t1)).any())


def _clip_box(box: Bbox, clip: Bbox | None) -> Bbox | None:
    """The part of ``box`` inside ``clip`` (None if nothing is)."""
    if clip is None:
        return box
    (x0, y0), (x1, y1) = box.get_points()
    (cx0, cy0), (cx1, cy1) = clip.get_points()
    x0, y0, x1, y1 = max(x0, cx0), max(y0, cy0), min(x1, cx1), min(y1, cy1)
    return Bbox.from_extents(x0, y0, x1, y1) if x0 < x1 and y0 < y1 else None


def _crossings(fig: Figure, texts: list[_Text], pad: float) -> list[ChartProblem]:
    """Texts that a stroked line runs through and does not pass under an opaque background."""
    found = []
    lines = {ax: list(_line_paths(ax)) for ax in fig.axes if ax.get_visible()}
    order = {ax: (ax.get_zorder(), i) for i, ax in enumerate(fig.axes)}
    for t in texts:
        if t.role in ("tick", "axis title"):
            continue  # outside the plot by construction; the frame check places them
        inner = _inner(t.box, pad)
        if inner.width <= 0 or inner.height <= 0:
            continue
        crossing: list[str] = []
        for ax, paths in lines.items():
            if not ax.bbox.overlaps(t.box):
                continue
            for what, pts, zorder, clip in paths:
                hit_box = _clip_box(inner, clip)
                # A line of an axes drawn after the text's own axes is drawn over the text.
                later = t.ax is not None and t.ax is not ax and order[ax] > order[t.ax]
                if hit_box is None or (not later and _masked(t, zorder)):
                    continue
                if what not in crossing and _segments_hit(pts, hit_box):
                    crossing.append(what)
        if crossing:
            what = " and a ".join(crossing)
            found.append(
                ChartProblem(
                    "chart-crossed", f"{t.shown} is crossed by a {what}", _frac(fig, t.box)
                )
            )
    return found


def _has_mark(handle: object) -> bool:
    """Whether a legend handle draws something a reader can see next to its text."""
    if handle is None or not getattr(handle, "get_visible", lambda: False)():
        return False
    if isinstance(handle, Line2D):
        marker = handle.get_marker()
        has_marker = (
            marker not in (None, "None", "none", "", " ")
            and handle.get_markersize() > 0
            and _visible_colour(handle.get_markerfacecolor(), handle.get_markeredgecolor())
        )
        return (_stroked(handle) and _visible_colour(handle.get_color())) or bool(has_marker)
    if isinstance(handle, Patch):
        edge = handle.get_linewidth() > 0 and _visible_colour(handle.get_edgecolor())
        return bool(_visible_colour(handle.get_facecolor()) or edge)
    if isinstance(handle, PathCollection | Collection):
        # get_facecolor/get_edgecolor/get_linewidth are what the -s aliases call: RGBA rows
        faces = np.asarray(handle.get_facecolor())
        stroked = max(np.atleast_1d(handle.get_linewidth()), default=0) > 0
        edges = np.asarray(handle.get_edgecolor()) if stroked else np.empty((0, 4))
        return any(_visible_colour(c) for c in [*faces, *edges])
    return True  # an artist of another kind draws its own mark


def _visible_colour(*colours: object) -> bool:
    """Whether any colour stands out from the white page (contrast ratio at least
    MIN_CONTRAST once its transparency is blended with the white)."""
    for colour in colours:
        if isinstance(colour, str) and colour.lower() in ("none", ""):
            continue
        rgba = to_rgba(colour)  # type: ignore[arg-type]
        alpha = rgba[3]
        channels = [alpha * c + (1 - alpha) for c in rgba[:3]]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        if 1.05 / (luminance + 0.05) >= MIN_CONTRAST:
            return True
    return False


def _legend_marks(fig: Figure, renderer: Any) -> list[ChartProblem]:
    """Legend entries whose mark is missing, empty or invisible."""
    found = []
    legends = [legend for ax in fig.axes if (legend := ax.get_legend()) is not None]
    for legend in [*legends, *fig.legends]:
        if not legend.get_visible():
            continue
        handles = legend.legend_handles
        for text, handle in zip(legend.get_texts(), handles, strict=False):
            if _shown(text) and not _has_mark(handle):
                found.append(
                    ChartProblem(
                        "legend-mark",
                        f'legend entry "{text.get_text()}" has no visible mark',
                        _frac(fig, text.get_window_extent(renderer)),
                    )
                )
    return found


def _log_bars(fig: Figure) -> list[ChartProblem]:
    """Bar containers whose value axis is logarithmic (a bar's length means nothing there)."""
    found = []
    for ax in fig.axes:
        for container in ax.containers:
            if not isinstance(container, BarContainer) or not container.patches:
                continue
            horizontal = container.orientation == "horizontal"
            scale = ax.get_xscale() if horizontal else ax.get_yscale()
            if scale in ("log", "symlog", "logit"):
                label = container.get_label()
                named = f' "{label}"' if label and not label.startswith("_") else ""
                found.append(
                    ChartProblem(
                        "log-bars",
                        f"bars{named} drawn on a {scale} {'x' if horizontal else 'y'} axis"
                        f" (bar length means nothing there)",
                        _frac(fig, ax.bbox),
                    )
                )
    return found
