"""A plain summary of how WeasyPrint laid a report out: pages, exhibits and their parts, lines.

It is made in the rendering child from the same laid-out document that writes the PDF (one
layout pass), and is small and picklable, so the page check (checks/pages.py) runs in the
parent without WeasyPrint. Every box is (x, y, width, height) in CSS px from the page's
top-left corner, as WeasyPrint positions boxes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Rect = tuple[float, float, float, float]

#: What a box is to a reader. ``exhibit`` is one page's fragment of a ``figure.exhibit``;
#: ``caption``, ``chart``, ``thead``, ``row``, ``source`` and ``note`` are its parts.
ROLES = (
    "exhibit",
    "caption",
    "chart",
    "thead",
    "row",
    "source",
    "note",
    "heading",
    "para",
    "item",
    "line",
    "image",
)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass(frozen=True, slots=True)
class LaidBox:
    """One box on a page: its role, where it is, and the exhibit it belongs to."""

    role: str
    rect: Rect
    #: Id of the exhibit (``figure.exhibit``) holding the box; "" outside exhibits.
    exhibit: str = ""
    #: A line's text (other roles: "").
    text: str = ""
    #: Lines and images: the innermost role of the block holding them (``para``, ``caption``...).
    within: str = ""
    #: Lines and images: the box they must stay inside when it is narrower than the page's
    #: content box (a table cell, or a block that clips its overflow), and which of the two.
    limit: Rect | None = None
    limit_kind: str = ""


@dataclass(frozen=True, slots=True)
class PageLayout:
    """One page: its size, its content box, its boxes in document order and its text."""

    number: int  # 1-based
    width: float
    height: float
    content: Rect
    boxes: tuple[LaidBox, ...]
    #: Every line on the page, the running header and footer too, one per line.
    text: str


@dataclass(frozen=True, slots=True)
class ExhibitInfo:
    """An exhibit as the reader names it."""

    id: str
    kind: str  # "chart" or "table" (from the figure's exhibit-<kind> class)
    label: str  # "Figure 3" (the caption's number), or the id when there is none


@dataclass(frozen=True, slots=True)
class Layout:
    """Every page of a rendered report, and the exhibits placed in it."""

    pages: tuple[PageLayout, ...]
    exhibits: tuple[ExhibitInfo, ...]

    def exhibit(self, exhibit_id: str) -> ExhibitInfo:
        """The exhibit with ``exhibit_id`` (a plain one when the layout never saw it)."""
        for info in self.exhibits:
            if info.id == exhibit_id:
                return info
        return ExhibitInfo(exhibit_id, "", exhibit_id)


def _classes(box: Any) -> list[str]:
    element = getattr(box, "element", None)
    if element is None or not hasattr(element, "get"):
        return []
    return (element.get("class") or "").split()


def _role(box: Any, boxes: Any, exhibit: str, head: bool) -> str:
    """The role of a block-level box (its element's own box, not a pseudo-element)."""
    tag = box.element_tag or ""
    if "::" in tag or isinstance(box, boxes.LineBox | boxes.InlineLevelBox):
        return ""
    classes = _classes(box)
    if tag == "figure" and "exhibit" in classes:
        return "exhibit"
    if isinstance(box, boxes.ReplacedBox):
        return "chart" if "chart" in classes and exhibit else "image"
    if isinstance(box, boxes.TableRowGroupBox):
        return "thead" if box.is_header and exhibit else ""
    if isinstance(box, boxes.TableRowBox):
        return "row" if exhibit and not head else ""
    if isinstance(box, boxes.TableCellBox) or getattr(box, "is_table_wrapper", False):
        return ""
    if not isinstance(box, boxes.BlockLevelBox | boxes.BlockContainerBox):
        return ""
    if tag == "figcaption" and exhibit:
        return "caption"
    if tag == "p" and exhibit:
        return "source" if "exhibit-source" in classes else "note"
    if tag in _HEADINGS:
        return "heading"
    if tag == "p":
        return "para"
    if tag == "li":
        return "item"
    return ""


def _border_rect(box: Any) -> Rect:
    return (box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height())


def _line(line: Any, boxes: Any) -> tuple[Rect, str] | None:
    """A line's inked extent (its text and inline images, not the whole line box) and text."""
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    text: list[str] = []
    for box in line.descendants():
        if isinstance(box, boxes.TextBox):
            if not box.style["font_size"]:
                continue  # zero-size text (the running-header strings) is never seen
            text.append(box.text)
        elif not isinstance(box, boxes.AtomicInlineLevelBox):
            continue
        x0, x1 = min(x0, box.position_x), max(x1, box.position_x + box.margin_width())
        y0, y1 = min(y0, box.position_y), max(y1, box.position_y + box.margin_height())
    if x0 == float("inf") or not "".join(text).strip():
        return None
    return (x0, y0, x1 - x0, y1 - y0), "".join(text).strip()


def _walk(
    box: Any,
    boxes: Any,
    out: list[LaidBox],
    exhibits: dict[str, ExhibitInfo],
    exhibit: str,
    within: str,
    limit: tuple[Rect, str] | None,
    head: bool = False,
    owner: Any = None,
) -> None:
    """Record ``box`` and its descendants (document order) into ``out``."""
    if isinstance(box, boxes.LineBox):
        found = _line(box, boxes)
        if found is not None:
            rect, text = found
            lim, kind = limit if limit else (None, "")
            out.append(LaidBox("line", rect, exhibit, text, within, lim, kind))
        for child in box.descendants():  # inline images sit in lines
            if isinstance(child, boxes.InlineReplacedBox):
                lim, kind = limit if limit else (None, "")
                out.append(LaidBox("image", _border_rect(child), exhibit, "", within, lim, kind))
        return
    # An element's anonymous inner boxes (a list item's, a table's wrapper) share its role.
    role = "" if box.element is owner else _role(box, boxes, exhibit, head)
    head = head or role == "thead"
    if role == "exhibit":
        element = box.element
        exhibit = (element.get("id") or "").removeprefix("exhibit-")
        if exhibit not in exhibits:
            kind = next((c.removeprefix("exhibit-") for c in _classes(box) if c != "exhibit"), "")
            number = next(
                (
                    "".join(e.itertext()).strip().rstrip(":")
                    for e in element.iter()
                    if "exhibit-number" in (e.get("class") or "").split()
                ),
                "",
            )
            exhibits[exhibit] = ExhibitInfo(exhibit, kind, number or exhibit)
    if role:
        owner = box.element
        lim, kind = limit if limit and role in ("chart", "image") else (None, "")
        out.append(LaidBox(role, _border_rect(box), exhibit, "", within, lim, kind))
        if role not in ("exhibit", "thead", "row"):
            within = role
    if isinstance(box, boxes.TableCellBox):
        limit = (_border_rect(box), "cell")
    elif (
        isinstance(box, boxes.BlockContainerBox | boxes.ReplacedBox)
        and box.style["overflow"] != "visible"
        and box.element_tag not in ("html", "body")
    ):
        limit = (
            (box.padding_box_x(), box.padding_box_y(), box.padding_width(), box.padding_height()),
            "clip",
        )
    for child in getattr(box, "children", ()):
        _walk(child, boxes, out, exhibits, exhibit, within, limit, head, owner)


def _margin_text(page_box: Any, boxes: Any) -> Iterator[str]:
    for child in page_box.children:
        if isinstance(child, boxes.MarginBox):
            for line in child.descendants():
                if isinstance(line, boxes.LineBox):
                    found = _line(line, boxes)
                    if found is not None:
                        yield found[1]


def extract_layout(document: Any) -> Layout:
    """The layout summary of a rendered WeasyPrint ``Document`` (call in the rendering child)."""
    from weasyprint.formatting_structure import boxes

    pages: list[PageLayout] = []
    exhibits: dict[str, ExhibitInfo] = {}
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box  # the laid-out boxes; WeasyPrint has no public accessor
        out: list[LaidBox] = []
        for child in page_box.children:
            if not isinstance(child, boxes.MarginBox):
                _walk(child, boxes, out, exhibits, "", "", None)
        content = (
            page_box.content_box_x(),
            page_box.content_box_y(),
            page_box.width,
            page_box.height,
        )
        lines = [b.text for b in out if b.role == "line"]
        text = "\n".join([*lines, *_margin_text(page_box, boxes)])
        pages.append(PageLayout(number, page.width, page.height, content, tuple(out), text))
    return Layout(tuple(pages), tuple(exhibits.values()))


def page_texts(layout: Layout) -> list[str]:
    """The text of each page, one string per page (what a reader can read on it)."""
    return [page.text for page in layout.pages]
