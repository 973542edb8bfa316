"""The page check: what a reader would see as wrong on the laid-out pages of a report.

Pure functions from a layout summary (render/layout.py) to Findings: nearly empty pages,
holes left before an exhibit that did not fit, captions/sources/notes/headers separated from
their exhibit, exhibits split across pages, and text or images outside where they belong.
"""

from __future__ import annotations

from collections.abc import Iterable

from reportgen.checks.findings import Finding
from reportgen.render.layout import LaidBox, Layout, PageLayout, Rect

#: A page other than the last is nearly empty when its content (lines, images, table rows)
#: covers less than this fraction of the content box's height.
EMPTY_PAGE_FILL = 0.15
#: A page has a hole when more than this fraction of its content height is left empty at
#: the bottom and the next page starts with an exhibit that is not on this page.
HOLE_FRACTION = 0.25
#: How far (CSS px) text or an image may pass its box before it counts as outside: anti-
#: aliasing and rounding, not a visible overflow.
OUTSIDE_TOLERANCE = 1.0

#: Roles whose boxes hold ink a reader sees (what "used" means on a page).
_INK = ("line", "image", "chart", "row", "thead")
_BODY = ("chart", "row")


def check_pages(layout: Layout, report: str) -> list[Finding]:
    """Every page finding of one report, in page order."""
    findings = [
        *empty_pages(layout, report),
        *holes(layout, report),
        *separated(layout, report),
        *splits(layout, report),
        *outside(layout, report),
    ]
    return sorted(findings, key=lambda f: (f.page or 0, f.kind, f.message))


def _union_height(spans: Iterable[tuple[float, float]]) -> float:
    """The total length covered by the (start, end) spans, overlaps counted once."""
    total = 0.0
    end = float("-inf")
    for start, stop in sorted(spans):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _ink(page: PageLayout) -> list[LaidBox]:
    return [b for b in page.boxes if b.role in _INK]


def _fill(page: PageLayout) -> float:
    """The fraction of the content box's height covered by ink."""
    top, height = page.content[1], page.content[3]
    spans = [
        (max(b.rect[1], top), min(b.rect[1] + b.rect[3], top + height))
        for b in _ink(page)
        if b.rect[3] > 0
    ]
    return _union_height(s for s in spans if s[1] > s[0]) / height if height else 1.0


def _is_empty(layout: Layout, page: PageLayout) -> bool:
    return page.number < len(layout.pages) and _fill(page) < EMPTY_PAGE_FILL


def empty_pages(layout: Layout, report: str) -> list[Finding]:
    """Pages other than the last whose content covers less than EMPTY_PAGE_FILL."""
    found = []
    for page in layout.pages:
        if _is_empty(layout, page):
            ink = _ink(page)
            box = _bounds([b.rect for b in ink]) if ink else page.content
            found.append(
                Finding(
                    report,
                    page.number,
                    "empty-page",
                    f"page {page.number} is nearly empty ({_fill(page):.0%} of its height used; "
                    f"under {EMPTY_PAGE_FILL:.0%})",
                    box,
                )
            )
    return found


def _first_content(page: PageLayout) -> LaidBox | None:
    """The first thing a reader meets on a page, past any heading kept with it."""
    return next(
        (b for b in page.boxes if b.role in ("line", "image", "chart") and b.within != "heading"),
        None,
    )


def holes(layout: Layout, report: str) -> list[Finding]:
    """Pages left more than HOLE_FRACTION empty because the next page starts with an exhibit
    that did not fit here (a nearly empty page is reported as such, not also as a hole)."""
    found = []
    for page, following in zip(layout.pages, layout.pages[1:], strict=False):
        first = _first_content(following)
        if first is None or not first.exhibit or _is_empty(layout, page):
            continue
        if any(b.exhibit == first.exhibit for b in page.boxes):
            continue  # the exhibit starts here: a split, not a hole
        ink = _ink(page)
        x, top, width, height = page.content
        bottom = max((b.rect[1] + b.rect[3] for b in ink), default=top)
        gap = top + height - bottom
        if height and gap / height > HOLE_FRACTION:
            label = layout.exhibit(first.exhibit).label
            found.append(
                Finding(
                    report,
                    page.number,
                    "hole",
                    f"page {page.number} is {gap / height:.0%} empty at the bottom: {label} "
                    f"did not fit and starts page {following.number}",
                    (x, bottom, width, gap),
                )
            )
    return found


def _parts(layout: Layout) -> dict[str, list[tuple[int, LaidBox]]]:
    """Every exhibit's parts with the page each is on, in document order."""
    parts: dict[str, list[tuple[int, LaidBox]]] = {}
    for page in layout.pages:
        for box in page.boxes:
            if box.exhibit and box.role in ("caption", "thead", "source", "note", *_BODY):
                parts.setdefault(box.exhibit, []).append((page.number, box))
    return parts


_PART_NAMES = {
    "caption": "caption",
    "source": "source line",
    "note": "note",
    "thead": "table header",
}


def separated(layout: Layout, report: str) -> list[Finding]:
    """Captions not on the page where the exhibit's body starts; source lines and notes not
    on the page where it ends; a table header on a page without any of its rows."""
    found = []
    for exhibit, parts in _parts(layout).items():
        body_pages = sorted({n for n, b in parts if b.role in _BODY})
        if not body_pages:
            continue
        label = layout.exhibit(exhibit).label
        seen: set[tuple[int, str]] = set()
        for number, box in parts:
            if box.role == "caption":
                where = body_pages[0]
            elif box.role in ("source", "note"):
                where = body_pages[-1]
            elif box.role == "thead":
                where = number if number in body_pages else -1
            else:
                continue
            if number == where or (number, box.role) in seen:
                continue
            seen.add((number, box.role))
            there = (
                "with none of its rows"
                if box.role == "thead"
                else f"its {'chart' if any(b.role == 'chart' for _, b in parts) else 'table'} "
                f"is on page {where}"
            )
            found.append(
                Finding(
                    report,
                    number,
                    "separated",
                    f"the {_PART_NAMES[box.role]} of {label} is on page {number}, {there}",
                    box.rect,
                )
            )
    return found


def splits(layout: Layout, report: str) -> list[Finding]:
    """Exhibits whose body spans pages, unless a table too long for one page repeats its
    header on every page it spans."""
    found = []
    for exhibit, parts in _parts(layout).items():
        body_pages = sorted({n for n, b in parts if b.role in _BODY})
        if len(body_pages) < 2:
            continue
        info = layout.exhibit(exhibit)
        heads = {n for n, b in parts if b.role == "thead"}
        fragments = [
            (page, box)
            for page in layout.pages
            for box in page.boxes
            if box.role == "exhibit" and box.exhibit == exhibit
        ]
        height = sum(box.rect[3] for _, box in fragments)
        content_height = layout.pages[body_pages[0] - 1].content[3]
        repeats = all(n in heads for n in body_pages)
        if repeats and height > content_height:
            continue  # a long table, its header on every page: as it should be
        why = "its header is not repeated" if not repeats else "it would fit on one page"
        first = next(box for page, box in fragments if page.number == body_pages[0])
        found.append(
            Finding(
                report,
                body_pages[0],
                "split",
                f"{info.label} is split across pages {body_pages[0]}-{body_pages[-1]} ({why})",
                first.rect,
            )
        )
    return found


def _beyond(rect: Rect, limit: Rect) -> bool:
    x, y, w, h = rect
    lx, ly, lw, lh = limit
    t = OUTSIDE_TOLERANCE
    return x < lx - t or y < ly - t or x + w > lx + lw + t or y + h > ly + lh + t


def outside(layout: Layout, report: str) -> list[Finding]:
    """Text and images past the page's content box, clipped by their block, or overflowing
    their table cell."""
    found = []
    for page in layout.pages:
        for box in page.boxes:
            if box.role not in ("line", "image", "chart"):
                continue
            what = f"text '{_short(box.text)}'" if box.role == "line" else "an image"
            if box.exhibit and box.role == "chart":
                what = f"the chart of {layout.exhibit(box.exhibit).label}"
            if box.limit is not None and _beyond(box.rect, box.limit):
                how = "overflows its table cell" if box.limit_kind == "cell" else "is clipped"
            elif _beyond(box.rect, page.content):
                how = "runs outside the page's content box"
            else:
                continue
            found.append(Finding(report, page.number, "outside", f"{what} {how}", box.rect))
    return found


def _short(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _bounds(rects: list[Rect]) -> Rect:
    x0 = min(r[0] for r in rects)
    y0 = min(r[1] for r in rects)
    x1 = max(r[0] + r[2] for r in rects)
    y1 = max(r[1] + r[3] for r in rects)
    return (x0, y0, x1 - x0, y1 - y0)
