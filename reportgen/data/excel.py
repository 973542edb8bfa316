"""Company tables read from the analyst's own workbook, as excel.yaml maps them to cells.

A company folder may hold a workbook (``model.xlsx``) and ``excel.yaml``, which maps each
line item and period of a company table (statements, estimates, residual-income inputs) to a
cell, by row number and column letter, by row label and column header, by a cell reference
or by a defined name (README, "Excel models"). Values are the workbook's computed values as
the spreadsheet last saved them: reportgen never evaluates a formula nor follows an external
link. The workbook's bytes are read once through ``read_bytes`` (the build records them, so
editing the workbook rebuilds what reads it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol
from xml.etree import ElementTree

import pandas as pd

from reportgen.data.numbers import MAX_MAGNITUDE
from reportgen.data.schemas import TableSchema
from reportgen.data.sources import LocDict, line_of, read_bytes, read_yaml
from reportgen.data.validate import LINE
from reportgen.errors import Problem

#: The mapping file of a company folder.
MAPPING_FILE = "excel.yaml"
#: A workbook may be 50 MB on disk and unpack to 500 MB of XML (a ZIP bomb is refused
#: before openpyxl reads it); analysts' models are a few MB.
MAX_WORKBOOK_BYTES = 50_000_000
MAX_UNPACKED_BYTES = 500_000_000

_TOP_KEYS = ("workbook", "tables")
_TABLE_KEYS = ("sheet", "rows", "columns", "label_column", "header_row", "cells")
_ITEM = re.compile(r"^[a-z][a-z0-9_]*$")
_COLUMN_LETTERS = re.compile(r"^[A-Za-z]{1,3}$")
#: A cell reference, optionally with its sheet: D14, $D$14, IS!D14, 'P&L 2026'!D14.
_CELL_REF = re.compile(r"^(?:(?:'((?:[^']|'')+)'|([^'!:\s]+))!)?\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_FORMATS = {
    ".xlsm": "a macro-enabled workbook (.xlsm)",
    ".xltm": "a macro-enabled template (.xltm)",
    ".xlsb": "a binary workbook (.xlsb)",
    ".xls": "an Excel 97-2003 workbook (.xls)",
    ".ods": "an OpenDocument spreadsheet (.ods)",
}


#: What openpyxl raises reading a damaged package: XML cut short, a part missing or corrupt.
_BROKEN = (ElementTree.ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError)


class PeriodSpec(Protocol):
    """What this module needs of companies.PeriodTableSpec: the CSV name, the period names."""

    @property
    def path(self) -> str: ...

    @property
    def columns(self) -> re.Pattern[str]: ...


@dataclass(frozen=True)
class Ref:
    """One mapped value: the table cell (item, period) and where it is in the workbook."""

    table: str
    item: str  # a line item, or a column of a keyed table (net profit)
    period: str  # a period column, or a key value of a keyed table (2026)
    line: int | None  # line in excel.yaml
    sheet: str | None = None
    cell: str | None = None  # "D14", once known
    name: str | None = None  # a defined name, resolved to sheet and cell
    row: int | None = None  # the grid form: row number, or the label found in label_column
    row_label: Any = None
    column: str | None = None  # column letters, or the header found in header_row
    column_header: Any = None

    def where(self) -> str:
        """How a message names the cell: sheet 'IS'!D14 (and the defined name if any)."""
        named = f"name '{self.name}' = " if self.name else ""
        return f"{named}sheet '{self.sheet}'!{self.cell}"


@dataclass(frozen=True)
class TableMap:
    """One table's mapping: its items and periods in order and a Ref for each value."""

    name: str
    line: int | None
    items: tuple[str, ...]
    periods: tuple[str, ...]
    refs: tuple[Ref, ...]


# --- cell references ---------------------------------------------------------------------


def column_number(letters: str) -> int:
    """1-based column number of column letters: A -> 1, Z -> 26, AA -> 27."""
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """Column letters of a 1-based column number (inverse of column_number)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def split_cell(cell: str) -> tuple[int, int]:
    """(row, column) numbers of a reference like D14 or $D$14."""
    found = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", cell)
    if found is None:
        raise ValueError(cell)
    return int(found.group(2)), column_number(found.group(1))


def parse_ref(text: str) -> tuple[str | None, str] | None:
    """(sheet or None, cell) of a reference like D14, IS!D14 or 'P&L'!$D$14; None if the
    text is not one (then it is read as a defined name: Excel forbids names that look like
    cell references)."""
    found = _CELL_REF.match(text.strip())
    if found is None:
        return None
    sheet = found.group(1).replace("''", "'") if found.group(1) else found.group(2)
    row, column = int(found.group(4)), column_number(found.group(3))
    if row < 1 or column > 16384 or row > 1_048_576:
        return None
    return sheet, f"{column_letters(column)}{row}"


# --- the mapping file --------------------------------------------------------------------


def _label(value: Any) -> str:
    """A row label or column header as compared: text without case or repeated spaces,
    whole numbers without '.0' (a header cell 2025 matches the label 2025)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):  # a header typed as a date: 2025-12-31
        value = value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return " ".join(str(value).split()).casefold()


def _period_problem(
    table: str, period: str, spec: PeriodSpec | None, schema: TableSchema | None
) -> str | None:
    """Why ``period`` cannot be a column of the table (None if it can)."""
    if spec is not None and not spec.columns.match(period):
        return f"'{period}' is not a period column of {table} ({spec.path})"
    if schema is not None and not re.fullmatch(r"\d{4}", period):
        return f"'{period}' is not a year; {table} is keyed by year (e.g. 2026)"
    return None


def _item_problem(table: str, item: str, schema: TableSchema | None) -> str | None:
    """Why ``item`` cannot be a row of the table (None if it can)."""
    if schema is None:
        if not _ITEM.match(item):
            return f"'{item}' is not a line item name (lower case, digits and _)"
        return None
    numbers = [c.name for c in schema.columns if c.kind == "number"]
    if item not in numbers:
        return f"'{item}' is not a number column of {table}; expected: {', '.join(numbers)}"
    return None


def _parse_table(
    name: str,
    node: Any,
    line: int | None,
    shown: str,
    spec: PeriodSpec | None,
    schema: TableSchema | None,
    problems: list[Problem],
) -> TableMap | None:
    """One table's mapping, checked; None (with problems) if it cannot be used."""
    start = len(problems)

    def add(at: int | None, key: str, message: str) -> None:
        problems.append(Problem(shown, at, f"tables.{name}{key}", message))

    if not isinstance(node, LocDict):
        add(line, "", "expected a mapping with sheet, rows and columns, or cells")
        return None
    for key in node:
        if key not in _TABLE_KEYS:
            add(line_of(node, key), f".{key}", f"unknown key; expected: {', '.join(_TABLE_KEYS)}")
    sheet = node.get("sheet")
    if sheet is not None and (not isinstance(sheet, str) or not sheet.strip()):
        add(line_of(node, "sheet"), ".sheet", f"expected a sheet name, found {sheet!r}")
        sheet = None
    grid = "rows" in node or "columns" in node
    if grid == ("cells" in node):
        add(line, "", "give either rows and columns, or cells")
        return None
    refs: list[Ref] = []
    items: list[str] = []
    periods: list[str] = []
    if grid:
        for key in ("sheet", "rows", "columns"):
            if node.get(key) is None:
                add(line, f".{key}", "required key is missing")
        for key in ("rows", "columns"):
            if key in node and not isinstance(node[key], LocDict):
                add(line_of(node, key), f".{key}", "expected a mapping")
        if len(problems) > start:
            return None
        rows, columns = node["rows"], node["columns"]
        labels = node.get("label_column")
        header = node.get("header_row")
        if labels is not None and not (isinstance(labels, str) and _COLUMN_LETTERS.match(labels)):
            add(line_of(node, "label_column"), ".label_column", "expected column letters (B)")
        if header is not None and (not isinstance(header, int) or header < 1):
            add(line_of(node, "header_row"), ".header_row", "expected a row number (3)")
        for item, row in rows.items():
            at = line_of(rows, item)
            if labels is None and (not isinstance(row, int) or isinstance(row, bool) or row < 1):
                add(at, f".rows.{item}", f"expected a row number, found {row!r}")
            elif labels is not None and (row is None or isinstance(row, bool | dict | list)):
                add(at, f".rows.{item}", f"expected the row's label in column {labels}")
            items.append(item)
        for period, column in columns.items():
            at = line_of(columns, period)
            if header is None and not (isinstance(column, str) and _COLUMN_LETTERS.match(column)):
                add(at, f".columns.{period}", f"expected column letters (D), found {column!r}")
            elif header is not None and (column is None or isinstance(column, bool | dict | list)):
                add(at, f".columns.{period}", f"expected the column's header in row {header}")
            periods.append(period)
        for item, row in rows.items():
            for period, column in columns.items():
                # Labels and headers are found in the sheet later (_locate).
                refs.append(
                    Ref(
                        name,
                        item,
                        period,
                        line_of(rows, item),
                        sheet,
                        row=None if labels is not None else row,
                        row_label=row if labels is not None else None,
                        column=None if header is not None else str(column).upper(),
                        column_header=column if header is not None else None,
                    )
                )
    else:
        cells = node["cells"]
        if not isinstance(cells, LocDict):
            add(line_of(node, "cells"), ".cells", "expected a mapping of line items")
            return None
        for item, by_period in cells.items():
            items.append(item)
            if not isinstance(by_period, LocDict):
                add(line_of(cells, item), f".cells.{item}", "expected a mapping of periods")
                continue
            for period, target in by_period.items():
                at = line_of(by_period, period)
                if period not in periods:
                    periods.append(period)
                if not isinstance(target, str) or not target.strip():
                    add(at, f".cells.{item}.{period}", "expected a cell (D14) or a defined name")
                    continue
                parsed = parse_ref(target)
                if parsed is None:
                    refs.append(Ref(name, item, period, at, sheet, name=target.strip()))
                    continue
                ref_sheet = parsed[0] or sheet
                if ref_sheet is None:
                    add(at, f".cells.{item}.{period}", f"{target}: which sheet? write IS!{target}")
                    continue
                refs.append(Ref(name, item, period, at, ref_sheet, parsed[1]))
    for item in items:
        problem = _item_problem(name, item, schema)
        if problem:
            where = "rows" if grid else "cells"
            add(line_of(node.get(where), item), f".{where}.{item}", problem)
    for period in periods:
        problem = _period_problem(name, period, spec, schema)
        if problem:
            add(line, "", problem)
    if schema is not None:
        for column in schema.columns:
            if column.kind == "number" and not column.nullable and column.name not in items:
                add(line, "", f"{column.name} is required: map it")
    if len(problems) > start:
        return None
    return TableMap(name, line, tuple(items), tuple(periods), tuple(refs))


# --- the workbook ------------------------------------------------------------------------


def _format_problem(data: bytes, suffix: str) -> str | None:
    """Why the bytes are not an .xlsx workbook reportgen reads (None if they are one)."""
    if suffix in _FORMATS:
        return f"{_FORMATS[suffix]}: save it as an Excel workbook (.xlsx) without macros"
    if suffix != ".xlsx":
        return "not an Excel workbook (.xlsx): save the model as .xlsx"
    if len(data) > MAX_WORKBOOK_BYTES:
        return f"{len(data):,} bytes; a workbook may be at most {MAX_WORKBOOK_BYTES:,} bytes"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return (
            "not an .xlsx workbook: an Excel 97-2003 (.xls) or password-protected file; "
            "save it as an Excel workbook (.xlsx) without a password"
        )
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return "not an .xlsx workbook (not a ZIP package); save the model as .xlsx"
    if "xl/workbook.xml" not in names:
        if "mimetype" in names:
            return "an OpenDocument spreadsheet, not .xlsx; save it as an Excel workbook (.xlsx)"
        return "not an .xlsx workbook (no xl/workbook.xml); save the model as .xlsx"
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return "the workbook holds macros; save a copy as an Excel workbook (.xlsx) without them"
    if unpacked > MAX_UNPACKED_BYTES:
        return (
            f"unpacks to {unpacked:,} bytes; a workbook may unpack to at most "
            f"{MAX_UNPACKED_BYTES:,} bytes"
        )
    return None


def _open(data: bytes, data_only: bool) -> Any:
    """The workbook from its bytes, read-only; external links are not loaded."""
    import openpyxl  # imported on use: a project without workbooks never loads it

    with warnings.catch_warnings():
        # openpyxl warns of parts it drops (data validation, conditional formats): noise
        # here, since only cell values are read.
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=data_only, keep_links=False
        )


def _defined_name(book: Any, name: str, sheet: str | None) -> tuple[str, str] | str:
    """(sheet, cell) a defined name refers to, or why it cannot be used. A name is looked up
    in the workbook, then among the names local to the table's ``sheet``, then among those
    of any sheet (if only one has it); ``IS!Name`` names a sheet's local name."""

    def get(names: Any) -> Any:
        return next((names[k] for k in names if k.casefold() == wanted.casefold()), None)

    scope, _, wanted = name.rpartition("!")
    scope = scope.strip("'").replace("''", "'")
    locals_ = {ws.title: getattr(ws, "defined_names", {}) for ws in book.worksheets}
    if scope:
        found = get(locals_[scope]) if scope in locals_ else None
    else:
        found = get(book.defined_names)
        if found is None and sheet in locals_:
            found = get(locals_[sheet])
        if found is None:
            hits = [f for f in (get(n) for n in locals_.values()) if f is not None]
            found = hits[0] if len(hits) == 1 else None
    if found is None:
        return f"no defined name '{name}' in the workbook"
    try:
        destinations = list(found.destinations)
    except Exception:  # noqa: BLE001 - openpyxl raises plain errors on odd name text
        destinations = []
    if len(destinations) != 1 or ":" in destinations[0][1]:
        return f"defined name '{name}' = {found.attr_text} is not a single cell"
    target, cell = destinations[0]
    return target, cell.replace("$", "")


def _values(sheet: Any, cells: Iterable[tuple[int, int]]) -> dict[tuple[int, int], Any]:
    """The values of the wanted (row, column) cells, read in one pass over their rows."""
    wanted = set(cells)
    if not wanted:
        return {}
    rows = [r for r, _ in wanted]
    columns = [c for _, c in wanted]
    low_col, high_col = min(columns), max(columns)
    found: dict[tuple[int, int], Any] = {}
    for r, values in enumerate(
        sheet.iter_rows(
            min_row=min(rows),
            max_row=max(rows),
            min_col=low_col,
            max_col=high_col,
            values_only=True,
        ),
        start=min(rows),
    ):
        for offset, value in enumerate(values):
            if (r, low_col + offset) in wanted:
                found[(r, low_col + offset)] = value
    return found


def _find_label(sheet: Any, label: Any, row: int | None, column: int | None) -> list[int]:
    """Rows (when ``column`` is given) or columns (``row`` given) whose cell reads ``label``."""
    wanted = _label(label)
    hits: list[int] = []
    if column is not None:
        for r, (value,) in enumerate(
            sheet.iter_rows(min_col=column, max_col=column, values_only=True), start=1
        ):
            if value is not None and _label(value) == wanted:
                hits.append(r)
    else:
        for values in sheet.iter_rows(min_row=row, max_row=row, values_only=True):
            hits += [
                c for c, v in enumerate(values, start=1) if v is not None and _label(v) == wanted
            ]
    return hits


def _locate(
    book: Any, table: TableMap, node: Any, shown_yaml: str, problems: list[Problem]
) -> list[Ref]:
    """Every Ref of the table with its sheet and cell found (names, labels and headers)."""
    located: list[Ref] = []
    found_at: dict[tuple[str, str, str], int | str] = {}
    sheets = [ws.title for ws in book.worksheets]  # chart sheets hold no cells

    def find(sheet: str, kind: str, text: Any) -> int | str:
        """The row (kind "row") or column holding ``text``, or why there is not one."""
        key = (sheet, kind, _label(text))
        if key not in found_at:
            if kind == "row":
                letters = str(node["label_column"]).upper()
                hits = _find_label(book[sheet], text, None, column_number(letters))
                place = f"column {letters} of sheet '{sheet}'"
            else:
                hits = _find_label(book[sheet], text, int(node["header_row"]), None)
                place = f"row {node['header_row']} of sheet '{sheet}'"
            if len(hits) == 1:
                found_at[key] = hits[0]
            elif not hits:
                found_at[key] = f"no cell reads '{text}' in {place}"
            else:
                shown = ", ".join(str(h) if kind == "row" else column_letters(h) for h in hits)
                found_at[key] = f"'{text}' is in {kind}s {shown} of {place}; give the {kind} itself"
        return found_at[key]

    def refuse(at: int | None, key: str, message: str) -> None:
        problem = Problem(shown_yaml, at, f"tables.{table.name}{key}", message)
        if problem not in problems:
            problems.append(problem)

    for ref in table.refs:
        if ref.name is not None:
            target = _defined_name(book, ref.name, ref.sheet)
            if isinstance(target, str):
                refuse(ref.line, f".cells.{ref.item}.{ref.period}", target)
            elif target[0] not in sheets:
                refuse(
                    ref.line,
                    f".cells.{ref.item}.{ref.period}",
                    f"defined name '{ref.name}' "
                    f"refers to sheet '{target[0]}', which the workbook does not have",
                )
            else:
                located.append(dataclasses.replace(ref, sheet=target[0], cell=target[1]))
            continue
        assert ref.sheet is not None
        if ref.sheet not in sheets:
            at = ref.line if ref.cell is not None else line_of(node, "sheet")
            key = f".cells.{ref.item}.{ref.period}" if ref.cell is not None else ".sheet"
            refuse(
                at,
                key,
                f"no sheet '{ref.sheet}' in the workbook; it has: {', '.join(sheets)}",
            )
            continue
        if ref.cell is not None:
            located.append(ref)
            continue
        row = ref.row if ref.row is not None else find(ref.sheet, "row", ref.row_label)
        column: int | str = (
            column_number(ref.column)
            if ref.column is not None
            else find(ref.sheet, "column", ref.column_header)
        )
        if isinstance(row, str):
            refuse(ref.line, f".rows.{ref.item}", row)
        if isinstance(column, str):
            refuse(line_of(node["columns"], ref.period), f".columns.{ref.period}", column)
        if isinstance(row, int) and isinstance(column, int):
            located.append(dataclasses.replace(ref, cell=f"{column_letters(column)}{row}"))
    return located


def _number(value: Any) -> tuple[float | None, str | None]:
    """The cell's value as a float (None if empty), or why it is not a number."""
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        if isinstance(value, str) and value.startswith("#"):
            return None, f"expected a number, found the error {value}"
        return None, f"expected a number, found {value!r}"
    number = float(value)
    if not math.isfinite(number) or abs(number) >= MAX_MAGNITUDE:
        return None, f"expected a number below {MAX_MAGNITUDE:,.0f} in magnitude, found {value}"
    return number, None


def _frame(
    table: TableMap, values: Mapping[tuple[str, str], float | None], schema: TableSchema | None
) -> pd.DataFrame:
    """The table as the CSV loader makes it: _line, then line_item and one column per period
    (a period table), or the schema's columns with one row per year (a keyed table).
    _line is the item's (or year's) position in the mapping: no file line exists."""
    if schema is None:
        records = [
            {LINE: n, "line_item": item, **{p: values.get((item, p)) for p in table.periods}}
            for n, item in enumerate(table.items, start=1)
        ]
        frame = pd.DataFrame.from_records(records, columns=[LINE, "line_item", *table.periods])
        for period in table.periods:
            frame[period] = pd.to_numeric(frame[period]).astype("float64")
        return frame
    key = schema.key[0]
    records = []
    for n, period in enumerate(table.periods, start=1):
        record: dict[str, Any] = {LINE: n}
        for column in schema.columns:
            if column.name == key:
                record[key] = int(period)
            else:
                record[column.name] = values.get((column.name, period))
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=[LINE, *(c.name for c in schema.columns)])
    for column in schema.columns:
        if column.kind == "number":
            frame[column.name] = pd.to_numeric(frame[column.name]).astype("float64")
    return frame


def workbook_tables(
    folder: Path,
    shown: str,
    keyed: Sequence[TableSchema],
    periods: Mapping[str, PeriodSpec],
) -> tuple[dict[str, pd.DataFrame | None], list[Problem]]:
    """The company tables excel.yaml maps from the workbook, and every problem found.

    ``keyed``: tables with one row per year (residual-income inputs); ``periods``: tables
    with one row per line item and a column per period. A table mapped here whose CSV file
    is also in the folder is a problem naming both (and is not returned: the caller reads its
    CSV). A table mapped here whose cells have a problem is returned as None: its CSV file is
    not looked for.
    """
    mapping_path = folder / MAPPING_FILE
    if not mapping_path.is_file():
        return {}, []
    yaml_shown = f"{shown}/{MAPPING_FILE}"
    problems: list[Problem] = []
    doc = read_yaml(mapping_path, yaml_shown)
    if not isinstance(doc, LocDict):
        return {}, [Problem(yaml_shown, 1, None, "expected a mapping with workbook and tables")]
    for key in doc:
        if key not in _TOP_KEYS:
            problems.append(
                Problem(
                    yaml_shown, line_of(doc, key), key, "unknown key; expected workbook, tables"
                )
            )
    workbook = doc.get("workbook")
    tables_node = doc.get("tables")
    if not isinstance(workbook, str) or not workbook.strip():
        problems.append(
            Problem(
                yaml_shown,
                line_of(doc, "workbook"),
                "workbook",
                f"expected the workbook's file name in {shown} (model.xlsx), found {workbook!r}",
            )
        )
        workbook = None
    elif (
        PurePosixPath(workbook).is_absolute()
        or ".." in PurePosixPath(workbook).parts
        or "\\" in workbook
    ):
        problems.append(
            Problem(
                yaml_shown,
                line_of(doc, "workbook"),
                "workbook",
                f"'{workbook}': the workbook must be in the company folder ({shown})",
            )
        )
        workbook = None
    if not isinstance(tables_node, LocDict) or not tables_node:
        problems.append(
            Problem(
                yaml_shown,
                line_of(doc, "tables"),
                "tables",
                "expected a mapping of table names to their cells",
            )
        )
        tables_node = LocDict()
    schemas = {s.name: s for s in keyed}
    maps: list[TableMap] = []
    wanted: list[str] = []  # tables taken from the workbook (None where a problem is)
    for name, node in tables_node.items():
        at = line_of(tables_node, name)
        if name not in schemas and name not in periods:
            known = ", ".join([*schemas, *periods])
            problems.append(
                Problem(yaml_shown, at, f"tables.{name}", f"unknown table; expected one of {known}")
            )
            continue
        csv = schemas[name].path if name in schemas else periods[name].path
        if (folder / csv).exists():
            problems.append(
                Problem(
                    yaml_shown,
                    at,
                    f"tables.{name}",
                    f"{name} is mapped here from the workbook and also given by {shown}/{csv}: "
                    "keep one of them",
                )
            )
            continue
        wanted.append(name)
        parsed = _parse_table(
            name, node, at, yaml_shown, periods.get(name), schemas.get(name), problems
        )
        if parsed is not None:
            maps.append(parsed)
    read: dict[str, pd.DataFrame] = {}
    if workbook is not None and maps:
        read = _read_tables(
            folder / workbook, f"{shown}/{workbook}", doc, maps, schemas, yaml_shown, problems
        )
    return {name: read.get(name) for name in wanted}, problems


def _read_tables(
    path: Path,
    book_shown: str,
    doc: LocDict,
    maps: list[TableMap],
    schemas: Mapping[str, TableSchema],
    yaml_shown: str,
    problems: list[Problem],
) -> dict[str, pd.DataFrame]:
    """Open the workbook once and read every mapped table's values (see workbook_tables);
    problems are added to ``problems``. Only numbers are read: no text of the workbook
    reaches a page (line items and periods are the mapping's names)."""
    if not path.is_file():
        problems.append(
            Problem(
                yaml_shown, line_of(doc, "workbook"), "workbook", f"{book_shown}: file not found"
            )
        )
        return {}
    data = read_bytes(path)
    refused = _format_problem(data, path.suffix.lower())
    if refused is not None:
        problems.append(Problem(book_shown, None, None, refused))
        return {}
    try:
        book = _open(data, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        problems.append(
            Problem(book_shown, None, None, f"cannot be read as a workbook ({exc}); re-save it")
        )
        return {}
    result: dict[str, pd.DataFrame] = {}
    uncomputed: list[str] = []
    formulas: list[Any] = []  # the workbook's formulas, opened on first need
    try:
        for table in maps:
            start = len(problems)
            refs = _locate(book, table, doc["tables"][table.name], yaml_shown, problems)
            if len(problems) > start:
                continue
            values = _table_values(book, data, formulas, refs, book_shown, problems, uncomputed)
            if len(problems) == start and not uncomputed:
                _required(table, values, schemas.get(table.name), yaml_shown, problems)
            if len(problems) == start and not uncomputed:
                frame = _frame(table, values, schemas.get(table.name))
                # Where each value came from, for messages and provenance that want the
                # cell rather than the table's CSV name: {(item, period): "IS!D14"}.
                frame.attrs["workbook"] = book_shown
                frame.attrs["cells"] = {(r.item, r.period): f"{r.sheet}!{r.cell}" for r in refs}
                result[table.name] = frame
    except _BROKEN as exc:  # a part of the package missing or cut short
        problems.append(
            Problem(book_shown, None, None, f"cannot be read as a workbook ({exc}); re-save it")
        )
        return {}
    finally:
        for opened in (book, *formulas):
            opened.close()
    if uncomputed:
        more = f" and {len(uncomputed) - 3} more" if len(uncomputed) > 3 else ""
        problems.append(
            Problem(
                book_shown,
                None,
                None,
                f"{'; '.join(uncomputed[:3])}{more}: a formula without its computed value; "
                "the workbook was saved without computed values; open and save it in "
                "Excel/LibreOffice",
            )
        )
    return result


def _table_values(
    book: Any,
    data: bytes,
    formulas: list[Any],
    refs: Sequence[Ref],
    book_shown: str,
    problems: list[Problem],
    uncomputed: list[str],
) -> dict[tuple[str, str], float | None]:
    """{(item, period): number or None} of located refs, reading each sheet once. A cell
    that is not a number is a problem; an empty cell holding a formula goes to
    ``uncomputed`` (the workbook was saved without computed values)."""
    by_sheet: dict[str, list[Ref]] = {}
    for ref in refs:
        by_sheet.setdefault(str(ref.sheet), []).append(ref)
    values: dict[tuple[str, str], float | None] = {}
    for sheet, sheet_refs in sorted(by_sheet.items()):
        cells = {ref: split_cell(str(ref.cell)) for ref in sheet_refs}
        read = _values(book[sheet], cells.values())
        empty = [ref for ref in sheet_refs if read.get(cells[ref]) is None]
        if empty:
            if not formulas:
                formulas.append(_open(data, data_only=False))
            written = _values(formulas[0][sheet], (cells[r] for r in empty))
            for ref in empty:
                source = written.get(cells[ref])
                if isinstance(source, str) and source.startswith("="):
                    shown = source if len(source) <= 40 else source[:37] + "..."
                    uncomputed.append(f"{ref.where()} ({shown})")
        for ref in sheet_refs:
            number, problem = _number(read.get(cells[ref]))
            if problem is not None:
                problems.append(
                    Problem(
                        book_shown,
                        None,
                        None,
                        f"{ref.where()}: {problem} ({ref.table}: {ref.item}, {ref.period})",
                    )
                )
            values[(ref.item, ref.period)] = number
    return values


def _required(
    table: TableMap,
    values: Mapping[tuple[str, str], float | None],
    schema: TableSchema | None,
    yaml_shown: str,
    problems: list[Problem],
) -> None:
    """A keyed table's required columns must have a value in every year."""
    for column in schema.columns if schema is not None else ():
        if column.kind != "number" or column.nullable:
            continue
        for period in table.periods:
            if values.get((column.name, period)) is None:
                problems.append(
                    Problem(
                        yaml_shown,
                        table.line,
                        f"tables.{table.name}",
                        f"{column.name} {period}: no value (the cell is empty or not mapped); "
                        "a value is required",
                    )
                )
