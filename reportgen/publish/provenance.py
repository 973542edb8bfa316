"""The provenance file of a report: every number printed as text, the page it lands on, where
it was printed and the data cell (or formula and input cells) it came from.

Origins are carried with the values (``reportgen/data/provenance.py``) and recorded by the
formatters (``formatting.Printed``); nothing is inferred from a number's text. A value that
carries no origin is looked up among the cells of the files the report read: a hit is
reported as ``matched`` with every candidate cell (never as certain), a miss as
``unresolved`` with the reason. Pure and light: the build calls it with its layout summary.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reportgen.formatting import Printed, as_decimal
from reportgen.render.layout import Layout

VERSION = 1
#: Statuses of an origin that is not a carried cell or formula.
MATCHED, UNRESOLVED = "matched", "unresolved"
#: At most this many candidate cells are listed for a matched value (the count is given).
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Line:
    """One laid-out line: its page, the exhibit holding it ("" outside) and its text."""

    page: int
    exhibit: str
    text: str


def laid_lines(layout: Layout) -> list[Line]:
    """Every line of the report in document order."""
    return [
        Line(page.number, box.exhibit, box.text)
        for page in layout.pages
        for box in page.boxes
        if box.role == "line"
    ]


class _Finder:
    """Finds ``text`` as printed, not inside a longer number (as checks/collect.py locate:
    "8.4%" is not found in "18.4%"); a plain substring search where the text has no spaces."""

    def __init__(self, text: str):
        words = text.split()
        self.text = text
        self.pattern: re.Pattern[str] | None = None
        if len(words) != 1 or words[0] != text:
            body = r"\s+".join(re.escape(w) for w in words)
            self.pattern = re.compile(rf"(?<![\w.,]){body}(?![\w]|[.,]\d)")

    def search(self, line: str, start: int = 0) -> int:
        """Offset of the first occurrence at or after ``start``, or -1."""
        if self.pattern is not None:
            match = self.pattern.search(line, start)
            return match.start() if match else -1
        at = line.find(self.text, start)
        while at >= 0:
            end = at + len(self.text)
            before = line[at - 1] if at else " "
            after = line[end : end + 2]
            number_goes_on = after[:1] in (".", ",") and after[1:2].isdigit()
            if not (before.isalnum() or before in "_.,") and not (
                (after[:1].isalnum() or after[:1] == "_") or number_goes_on
            ):
                return at
            at = line.find(self.text, at + 1)
        return -1


def _cursor_key(where: str) -> str:
    """Numbers printed from one place follow each other in the page: one search cursor per
    exhibit, page template or prose file (not per prose line)."""
    if where.startswith(("exhibit ", "template ")):
        return where
    return where.rpartition(":")[0] or where


def place(lines: Sequence[Line], printed: Sequence[Printed]) -> list[tuple[int, int] | None]:
    """For each printed number, (line index, offset) where it lands, or None when no line
    shows its text (drawn in a chart, split across lines, or not shown).

    Each place's numbers are sought in order from where its previous number was found, in
    its exhibit's lines first (outside exhibits for prose and templates), then anywhere.
    """
    groups: dict[str, list[int]] = {}
    for i, line in enumerate(lines):
        groups.setdefault(line.exhibit, []).append(i)
    everywhere = list(range(len(lines)))
    finders: dict[str, _Finder] = {}
    cursors: dict[str, tuple[int, int]] = {}
    found: list[tuple[int, int] | None] = []
    for item in printed:
        if not item.text.strip():
            found.append(None)
            continue
        pattern = finders.get(item.text) or finders.setdefault(item.text, _Finder(item.text))
        key = _cursor_key(item.where)
        exhibit = item.where.removeprefix("exhibit ") if item.where.startswith("exhibit ") else ""
        own = groups.get(exhibit, [])
        start = cursors.get(key, (0, 0))
        hit = (
            _search(lines, own, pattern, start)
            or _search(lines, own, pattern, (0, 0))
            or _search(lines, everywhere, pattern, (0, 0))
        )
        if hit is not None:
            cursors[key] = (hit[0], hit[1] + 1)
        found.append(hit)
    return found


def _search(
    lines: Sequence[Line], indices: Sequence[int], pattern: _Finder, start: tuple[int, int]
) -> tuple[int, int] | None:
    """The first match at or after ``start`` among the lines ``indices`` (ascending)."""
    index, offset = start
    for i in indices[bisect.bisect_left(indices, index) :]:
        at = pattern.search(lines[i].text, offset if i == index else 0)
        if at >= 0:
            return i, at
    return None


# --- the secondary resolver: cells holding the printed value ----------------------------------


def value_key(value: float) -> Decimal:
    """A value as compared with cells: its decimal digits read as formatting reads them."""
    return as_decimal(value).normalize()


class CellIndex:
    """Cells of the files a report read, by value (the secondary resolver's candidates)."""

    def __init__(self, cells: Iterable[tuple[float, Mapping[str, Any]]]):
        self._by_value: dict[Decimal, list[Mapping[str, Any]]] = {}
        for value, origin in cells:
            self._by_value.setdefault(value_key(value), []).append(origin)

    def candidates(self, item: Printed) -> list[Mapping[str, Any]]:
        """Cells equal to the printed value (or, for a percentage, to its fraction)."""
        keys = [value_key(item.value)]
        if item.kind == "pct":
            keys.append(value_key(item.value / 100.0))
        found: list[Mapping[str, Any]] = []
        for key in dict.fromkeys(keys):
            found += self._by_value.get(key, [])
        return found


def origin_entry(item: Printed, index: CellIndex | None) -> Mapping[str, Any]:
    """The origin a printed number carried, else matched candidates, else unresolved."""
    if item.origin is not None:
        return item.origin
    candidates = index.candidates(item) if index is not None else []
    if candidates:
        entry: dict[str, Any] = {
            "status": MATCHED,
            "reason": "no origin carried; cells of the files read holding this value",
            "count": len(candidates),
            "candidates": [dict(c) for c in candidates[:MAX_CANDIDATES]],
        }
        return entry
    return {
        "status": UNRESOLVED,
        "reason": "computed without a carried origin, and no cell of the files read holds "
        "this value",
    }


def entries(
    printed: Sequence[Printed], layout: Layout, index: CellIndex | None
) -> list[dict[str, Any]]:
    """One entry per printed number, by page then order of appearance (numbers no line shows
    last, in the order printed)."""
    lines = laid_lines(layout)
    placed = place(lines, printed)
    rows = []
    for order, (item, at) in enumerate(zip(printed, placed, strict=True)):
        page = lines[at[0]].page if at is not None else None
        sort = (0, at[0], at[1], order) if at is not None else (1, 0, 0, order)
        entry = {
            "text": item.text,
            "value": item.value,
            "page": page,
            "where": item.where,
            "origin": origin_entry(item, index),
        }
        rows.append((sort, entry))
    return [entry for _, entry in sorted(rows, key=lambda r: r[0])]


def status_of(origin: Mapping[str, Any]) -> str:
    """'cell', 'formula', 'matched' or 'unresolved'."""
    if "status" in origin:
        return str(origin["status"])
    return "formula" if "formula" in origin else "cell"


def summary(numbers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """How many numbers have a carried origin (resolved), a value match, or none."""
    counts = {"cell": 0, "formula": 0, MATCHED: 0, UNRESOLVED: 0}
    for entry in numbers:
        counts[status_of(entry["origin"])] += 1
    total = len(numbers)
    resolved = counts["cell"] + counts["formula"]
    return {
        "numbers": total,
        "resolved": resolved,
        **counts,
        "resolved_share": round(resolved / total, 4) if total else 1.0,
    }


def provenance_json(
    report: str, printed: Sequence[Printed], layout: Layout, index: CellIndex | None = None
) -> bytes:
    """The provenance file's bytes: deterministic (same inputs, same bytes)."""
    numbers = entries(printed, layout, index)
    head = {"version": VERSION, "report": report, "summary": summary(numbers)}

    def dump(value: Any) -> str:  # compact (json's C encoder), keys sorted: same bytes each time
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    rows = ",\n".join(f" {dump(n)}" for n in numbers)
    text = dump(head)[:-1] + ',"numbers":[\n' + rows + ("\n" if rows else "") + "]}\n"
    return text.encode("utf-8")


# --- the cells of a dataset --------------------------------------------------------------------


def _numbers(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            import numpy as np  # the tables' own number types

            if isinstance(value, np.integer | np.floating):
                value = value.item()
            else:
                return None
        except ImportError:  # pragma: no cover
            return None
    number = float(value)
    return None if number != number else number


def yaml_cells(doc: Any, file: str, path: str = "") -> Iterator[tuple[float, dict[str, Any]]]:
    """Every number of a YAML document read with line locators (data/sources.py), with its
    line and key path."""
    if isinstance(doc, dict):
        items: Iterable[tuple[Any, Any]] = doc.items()
        lines = getattr(doc, "lines", {})
    elif isinstance(doc, list):
        items = enumerate(doc)
        lines = dict(enumerate(getattr(doc, "lines", [])))
    else:
        return
    for key, value in items:
        sub = f"{path}.{key}" if path and not isinstance(key, int) else f"{path}[{key}]"
        if not path:
            sub = str(key) if not isinstance(key, int) else f"[{key}]"
        number = _numbers(value)
        if number is not None:
            yield number, {"file": file, "row": lines.get(key), "column": sub}
        else:
            yield from yaml_cells(value, file, sub)


def frame_cells(
    frame: Any, file: str, columns: Collection[str]
) -> Iterator[tuple[float, dict[str, Any]]]:
    """Every number of a validated table's ``columns`` (as read from ``file``), with the
    CSV line each row kept (``_line``)."""
    if "_line" not in frame.columns:
        return
    wanted = [c for c in frame.columns if c in columns]
    for record in frame[["_line", *wanted]].to_dict("records"):
        line = _numbers(record["_line"])
        if line is None:
            continue  # a derived row (no line in the file)
        for column in wanted:
            number = _numbers(record[column])
            if number is not None:
                yield number, {"file": file, "row": int(line), "column": column}


def dataset_index(ds: Any, read: Collection[str]) -> CellIndex:
    """The cells of the data files a report read (project-relative paths, as the manifest
    names them): declared tables' own columns and every number of a company's files (a
    table read from the analyst's workbook: each value's cell, when the workbook was read)."""
    from reportgen.data.companies import PERIOD_TABLES, RI_INPUTS, RI_PUBLISHED
    from reportgen.data.locate import workbook_values
    from reportgen.data.schemas import SCHEMAS

    cells: list[tuple[float, Mapping[str, Any]]] = []
    tables = ds._tables  # the loaded tables themselves: nothing here counts as a new read
    for name, frame in sorted(tables.items()):
        schema = SCHEMAS.get(name)
        file = ds.files.get(name)
        if schema is None or file is None or file not in read:
            continue
        cells += frame_cells(frame, file, {c.name for c in schema.columns})
    companies = getattr(ds.companies, "_companies", ds.companies)
    paths = {n: s.path for n, s in PERIOD_TABLES.items()}
    paths.update({RI_INPUTS.name: RI_INPUTS.path, RI_PUBLISHED.name: RI_PUBLISHED.path})
    for _slug, company in sorted(companies.items()):
        yaml_file = f"{company.folder}/company.yaml"
        if yaml_file in read:
            cells += yaml_cells(company.raw, yaml_file)
        for name, frame in sorted(company.tables.items()):
            if frame.attrs.get("workbook"):
                cells += (
                    (number, place.origin())
                    for number, place in workbook_values(company, name)
                    if place.file in read
                )
                continue
            file = f"{company.folder}/{paths.get(name, name)}"
            if file in read:
                cells += frame_cells(frame, file, [c for c in frame.columns if c != "_line"])
    return CellIndex(cells)
