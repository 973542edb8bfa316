"""Where a value of a company table is: a CSV file's line and column, or a workbook's cell.

A company table is read from its CSV file or, when excel.yaml maps it, from the analyst's
workbook (data/excel.py), which records each value's cell in ``frame.attrs["cells"]``. Every
place that names where a company table value came from (provenance, `reportgen check`,
acknowledgements, prose queries) asks ``value_place`` here, so a workbook value is named by
its cell (``data/companies/x/model.xlsx: sheet 'IS'!D14``), never by a CSV line that does
not exist.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reportgen.data.companies import PERIOD_TABLES, PRICES, RI_INPUTS, RI_PUBLISHED, Company
from reportgen.data.provenance import Sourced
from reportgen.data.validate import LINE

#: Tables with one row per key value (a year), by name: their CSV column is the item.
KEYED = {s.name: s for s in (RI_INPUTS, RI_PUBLISHED, PRICES)}


@dataclass(frozen=True)
class Place:
    """One value's place. In a CSV file: ``file``, ``line`` and ``column``. In a workbook:
    ``file`` is the workbook, ``sheet`` and ``cell`` name the cell (``line`` is None).
    ``table_file`` is the table's CSV file name either way (what it was, or would be, read
    from), which acknowledgements written before a table moved to the workbook name."""

    file: str
    line: int | None
    column: str
    table_file: str
    sheet: str | None = None
    cell: str | None = None

    @property
    def in_workbook(self) -> bool:
        return self.cell is not None

    def where(self) -> str | None:
        """The cell as data/excel.py's messages name it (sheet 'IS'!D14); None in a CSV."""
        return f"sheet '{self.sheet}'!{self.cell}" if self.cell is not None else None

    def origin(self) -> dict[str, Any]:
        """The provenance origin (data/provenance.py): {"file","row","column"} of a CSV cell,
        {"file","sheet","cell"} of a workbook cell."""
        if self.cell is not None:
            return {"file": self.file, "sheet": self.sheet, "cell": self.cell}
        return {"file": self.file, "row": self.line, "column": self.column}

    def __str__(self) -> str:
        if self.cell is not None:
            return f"{self.file}: {self.where()}"
        line = f":{self.line}" if self.line is not None else ""
        return f"{self.file}{line}: column '{self.column}'"


def table_file(company: Company, table: str) -> str:
    """The table's CSV file as messages show it (data/companies/x/income_statement.csv)."""
    spec = PERIOD_TABLES.get(table)
    name = spec.path if spec is not None else KEYED[table].path if table in KEYED else table
    return f"{company.folder}/{name if name.endswith('.csv') else name + '.csv'}"


def table_shown(company: Company, table: str) -> str:
    """Where the table as a whole is, for messages: its CSV file, or the workbook and the
    excel.yaml entry that maps it."""
    frame = company.tables.get(table)
    if frame is not None and frame.attrs.get("workbook"):
        return f"{frame.attrs['workbook']} (tables.{table} of {company.folder}/excel.yaml)"
    return table_file(company, table)


def split_sheet_cell(text: str) -> tuple[str, str]:
    """('IS', 'D14') from the form excel.py records ("IS!D14"); a sheet name may hold '!',
    a cell reference never does."""
    sheet, _, cell = text.rpartition("!")
    return sheet, cell


def _line(value: object) -> int | None:
    """A row's ``_line`` (a Python or numpy number) as an int; None when missing."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
        return None
    return int(float(value))


def value_place(company: Company, table: str, item: str, period: str, line: object = None) -> Place:
    """Where value ``(item, period)`` of the company's ``table`` is: its workbook cell when
    the table was read from the workbook, else its CSV line (``line``, the row's ``_line``)
    and column. ``item`` is a line item (or a keyed table's column, e.g. net_profit_mn);
    ``period`` a period column (or a key value, e.g. "2026")."""
    csv = table_file(company, table)
    column = item if table in KEYED else period
    frame = company.tables.get(table)
    attrs: Mapping[Any, Any] = frame.attrs if frame is not None else {}
    cells = attrs.get("cells") or {}
    found = cells.get((item, str(period)))
    if found is not None:
        sheet, cell = split_sheet_cell(str(found))
        return Place(str(attrs["workbook"]), None, column, csv, sheet, cell)
    if attrs.get("workbook"):  # a value the mapping does not give (empty): no CSV line exists
        return Place(str(attrs["workbook"]), None, column, csv)
    return Place(csv, _line(line), column, csv)


def sourced_at(value: Any, place: Place) -> Any:
    """``value`` as a Sourced float carrying ``place`` as its origin; other values (None,
    NaN, text, whole numbers) as they are (as data/provenance.sourced does)."""
    if isinstance(value, bool) or not isinstance(value, float) or math.isnan(value):
        return value
    return Sourced(value, place.origin())


def workbook_values(company: Company, table: str) -> Iterator[tuple[float, Place]]:
    """Every number of a table read from the workbook with its cell (nothing for a table
    read from CSV): the secondary resolver's candidates (publish/provenance.py)."""
    frame = company.tables.get(table)
    if frame is None or not frame.attrs.get("cells"):
        return
    values: dict[tuple[str, str], Any] = {}
    if "line_item" in frame.columns:
        for record in frame.to_dict("records"):
            for column, value in record.items():
                if column not in (LINE, "line_item"):
                    values[(str(record["line_item"]), str(column))] = value
    elif table in KEYED:
        key = KEYED[table].key[0]
        for record in frame.to_dict("records"):
            for column, value in record.items():
                if column not in (LINE, key):
                    values[(str(column), str(record[key]))] = value
    for item, period in sorted(frame.attrs["cells"]):
        value = values.get((item, period))
        if isinstance(value, bool) or not isinstance(value, int | float) or pd.isna(value):
            continue
        yield float(value), value_place(company, table, item, period)
