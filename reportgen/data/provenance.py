"""Where a number came from: values that carry their data cell, and where one was printed.

A ``Sourced`` float carries the origin of its value (a data cell, or a formula and its input
cells), made where a value leaves the data layer (company.yaml, query objects). Formatting
records that origin with each printed number (``formatting.Printed``), and ``where_now()``
names where it was printed: an exhibit, a prose file and line, or a page template. Light on
purpose (no pandas): ``formatting`` imports it.
"""

from __future__ import annotations

import contextvars
import math
import sys
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

#: One origin as the provenance file writes it: {"file", "row", "column"} for a data cell,
#: {"formula", "inputs"} for a derived value.
Origin = Mapping[str, Any]


class Sourced(float):
    """A float that knows the data cell (or formula) it came from. Arithmetic on it gives a
    plain float: a derived value has an origin only where a formula tags it (``derived``)."""

    __slots__ = ("origin",)
    origin: Origin

    def __new__(cls, value: float, origin: Origin) -> Sourced:
        self = super().__new__(cls, value)
        self.origin = origin
        return self

    def __reduce__(self) -> tuple[type[Sourced], tuple[float, Origin]]:
        return (Sourced, (float(self), self.origin))


def cell(file: str, row: int | None, column: str) -> dict[str, Any]:
    """The origin of a data cell: project-relative file, line (CSV line or YAML key's line),
    column (CSV column or YAML key path)."""
    return {"file": file, "row": row, "column": column}


def origin_of(value: object) -> Origin | None:
    """The origin a value carries, if any."""
    return getattr(value, "origin", None) if isinstance(value, float) else None


def sourced(value: Any, file: str, row: int | None, column: str) -> Any:
    """``value`` as a Sourced float from the cell (file, row, column); other values (None, NaN,
    text, whole numbers) are returned as they are."""
    if isinstance(value, bool) or not isinstance(value, float) or math.isnan(value):
        return value
    return Sourced(value, cell(file, row, column))


def derived(value: Any, formula: str, *inputs: object) -> Any:
    """``value`` tagged with the formula that made it and its inputs' origins, when every
    input has one (else the value as it is: an origin is never partly known)."""
    if isinstance(value, bool) or not isinstance(value, float) or math.isnan(value):
        return value
    origins = [origin_of(i) for i in inputs]
    if not origins or any(o is None for o in origins):
        return value
    return Sourced(value, {"formula": formula, "inputs": [dict(o) for o in origins if o]})


def with_origin(value: float, like: object) -> float:
    """``value`` carrying the origin of ``like`` (a rescaled copy of the same cell)."""
    origin = origin_of(like)
    return Sourced(value, origin) if origin is not None else value


# --- where a number is printed -----------------------------------------------------------

#: What the build is rendering now ("exhibit <name>" or "template <name>"); a Jinja frame on
#: the stack (a prose file or a page template) names a finer place.
_WHERE: contextvars.ContextVar[str] = contextvars.ContextVar("printed_where", default="")


@contextmanager
def printing_in(where: str) -> Iterator[None]:
    """Numbers formatted in this block are printed in ``where`` (unless a Jinja frame on the
    stack names a finer place)."""
    token = _WHERE.set(where)
    try:
        yield
    finally:
        _WHERE.reset(token)


def where_now() -> str:
    """Where the number being formatted is printed: the innermost Jinja template on the stack
    (prose as "<file>:<line>", a page template as "template <name>"), else the block's place."""
    frame = sys._getframe(2)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            name = template.name or template.filename or "?"
            if name.endswith(".j2"):  # a page template (templates/*.j2); prose is Markdown
                return f"template {name}"
            return f"{name}:{template.get_corresponding_lineno(frame.f_lineno)}"
        frame = frame.f_back  # type: ignore[assignment]
    return _WHERE.get()


#: A derived column's formula and the columns of the same row it reads (data/metrics.py).
Formula = tuple[str, tuple[str, ...]]


def sourced_records(
    records: Iterable[Mapping[str, Any]],
    file: str,
    read: Collection[str],
    formulas: Mapping[str, Formula],
) -> list[dict[str, Any]]:
    """Table rows (dicts with their ``_line``) with each number of a column read from ``file``
    a Sourced float carrying its cell, and each derived column in ``formulas`` carrying its
    formula and input cells. A row the file does not hold (a derived row) is left plain."""
    out = []
    for record in records:
        row = dict(record)
        line = row.get("_line")
        if isinstance(line, (int, float)) and line == line:
            for column in read:
                if column in row:
                    row[column] = sourced(row[column], file, int(line), column)
            for column, (formula, inputs) in formulas.items():
                if column in row:
                    present = [row[c] for c in inputs if origin_of(row.get(c)) is not None]
                    row[column] = derived(row[column], formula, *present)
        out.append(row)
    return out
