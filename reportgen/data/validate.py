"""Turn a RawTable into a typed pandas DataFrame under its schema, collecting every problem."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Set
from typing import Any

import pandas as pd

from reportgen.data.numbers import MAX_MAGNITUDE, NumberFormatError, parse_number
from reportgen.data.schemas import Column, TableSchema
from reportgen.data.sources import RawTable
from reportgen.data.text import control_problem, glyph_problem
from reportgen.errors import Problem

LINE = "_line"  # every validated table keeps the source line of each row in this column


def parse_cell(col: Column, text: str) -> Any:
    """Parse one cell by its column's declared kind; raise ValueError with what was expected."""
    if col.kind == "str":
        if col.pattern and text and not re.match(col.pattern, text):
            raise ValueError(f"'{text}' does not match the expected form {col.pattern}")
        return text or None
    if col.kind == "number":
        try:
            value = parse_number(text, col.rule)
        except NumberFormatError as exc:
            raise ValueError(str(exc)) from exc
    elif col.kind == "int":
        if text == "":
            return None
        if not re.fullmatch(r"[-+]?\d+", text):
            raise ValueError(f"'{text}' is not a whole number")
        if len(text.lstrip("+-").lstrip("0")) > 15:  # 16 digits reach MAX_MAGNITUDE
            shown = text if len(text) <= 24 else f"{text[:12]}... ({len(text)} characters)"
            raise ValueError(
                f"'{shown}' is too large; expected a whole number below {MAX_MAGNITUDE:,.0f}"
            )
        value = int(text)
    elif col.kind == "flag":
        if text not in ("", "Y"):
            raise ValueError(f"'{text}' is not a flag; expected 'Y' or empty")
        return text == "Y"
    elif col.kind == "enum":
        if text == "" and col.nullable:
            return None
        if text not in col.choices:
            raise ValueError(f"'{text}' is not one of: {', '.join(col.choices)}")
        return text
    elif col.kind == "date":
        if text == "":
            return None
        try:
            return dt.date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a date; expected YYYY-MM-DD") from exc
    else:  # pragma: no cover - schemas are declared in code
        raise AssertionError(col.kind)
    if value is not None and col.minimum is not None and value < col.minimum:
        raise ValueError(f"{text} is below the minimum {col.minimum:g}")
    return value


def text_problem(col: Column, text: str, glyphs: Set[int] | None) -> str | None:
    """A control character in any cell, or (in a text cell) a character no font can draw."""
    problem = control_problem(text)
    if problem is None and col.kind in ("str", "enum"):
        problem = glyph_problem(text, glyphs)
    return problem


def validate_table(
    raw: RawTable,
    schema: TableSchema,
    extra: Column | None = None,
    glyphs: Set[int] | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns and every cell; return the typed table (with _line) and all problems.

    ``extra`` types any column not named in the schema (used by wide matrices whose
    column names are checked against a catalogue elsewhere); without it, an unknown
    column is a problem. ``glyphs`` is the shipped fonts' coverage (reportgen.glyphs):
    a text cell or column name holding a character outside it is a problem at that cell,
    not later in the rendered page. Control characters are refused in every cell.
    """
    problems: list[Problem] = []
    for name in raw.header:
        problem = text_problem(Column(name), name, glyphs)
        if problem is not None:
            problems.append(Problem(raw.path, raw.header_line, name, f"column name: {problem}"))
    if problems:
        return pd.DataFrame(), problems
    declared = [c.name for c in schema.columns]
    for name in declared:
        if name not in raw.header:
            problems.append(
                Problem(
                    raw.path, raw.header_line, name, "required column is missing from the header"
                )
            )
    if extra is None:
        for name in raw.header:
            if name not in declared:
                problems.append(
                    Problem(
                        raw.path,
                        raw.header_line,
                        name,
                        f"unknown column; expected only: {', '.join(declared)}",
                    )
                )
    if problems:
        return pd.DataFrame(), problems
    problems.extend(raw.shape_problems)

    columns = {c.name: c for c in schema.columns}
    records: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row in raw.rows:
        record: dict[str, Any] = {LINE: row.line}
        for name in raw.header:
            col = columns.get(name) or Column(name, extra.kind, choices=extra.choices)  # type: ignore[union-attr]
            text = row.cells[name]
            problem = text_problem(col, text, glyphs)
            if problem is not None:
                problems.append(Problem(raw.path, row.line, name, problem))
                record[name] = None
                continue
            if text == "" and not col.nullable:
                problems.append(
                    Problem(raw.path, row.line, name, "empty cell; a value is required")
                )
                record[name] = None
                continue
            try:
                record[name] = parse_cell(col, text)
            except ValueError as exc:
                problems.append(Problem(raw.path, row.line, name, str(exc)))
                record[name] = None
        if schema.key:
            key = tuple(record.get(k) for k in schema.key)
            if key in seen:
                problems.append(
                    Problem(
                        raw.path,
                        row.line,
                        ",".join(schema.key),
                        f"duplicate key {key if len(key) > 1 else key[0]!r} "
                        f"(first on line {seen[key]})",
                    )
                )
            else:
                seen[key] = row.line
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[LINE, *raw.header])
    for col in schema.columns:
        if col.kind == "number":
            frame[col.name] = pd.to_numeric(frame[col.name]).astype("float64")
    return frame, problems
