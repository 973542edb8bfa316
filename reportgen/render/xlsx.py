"""Table exhibits as Excel workbooks: the data behind each table, beside the report's PDF.

Each displayed cell that is a number ("1,234.5", "(12.3)", "12.3%", "2.0x", "US$1.74") is
written as that number with an Excel number format that displays the very same text, so a
client sees the table as printed and can still compute with it; every other cell stays text.
``display`` renders a value with a number format as Excel does (for the formats made here),
and a cell is written as a number only when it shows its text back exactly.

The bytes depend only on the table and the report (fixed document dates and zip entry times),
so the same inputs give the same workbook, as they give the same PDF.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

#: Where a report's workbooks go, under build/: one folder per report, named by its slug.
SUFFIX = ".xlsx"
#: Zip entry times (the earliest a zip can hold): nothing in the file depends on the clock.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: Currency prefixes a money cell may carry (formatting.money's symbols, longest first).
CURRENCIES = ("US$", "HK$", "Rmb", "$", "€", "£", "¥")
#: Significant digits a value is read to before it is rounded for display (as a spreadsheet
#: does; formatting.SIGNIFICANT is the same rule for the report's own formatters).
SIGNIFICANT = 15

_NUMBER = re.compile(
    r"^(?P<open>\()?(?P<sign>[+-])?(?P<cur>"
    + "|".join(re.escape(c) for c in CURRENCIES)
    + r")?(?P<int>0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.(?P<dec>\d+))?"
    r"(?P<suffix>[%x])?(?P<close>\))?$"
)


@dataclass(frozen=True)
class NumberCell:
    """A displayed number read back: the value and the Excel number format showing it."""

    value: float
    number_format: str


def parse_cell(text: str, parens: bool = False) -> NumberCell | None:
    """The number a displayed cell shows, with a format that displays it the same way;
    None when the text is not one number as the house formatters print them (a label,
    a dash, NM, "128K" tokens, "7nm").

    ``parens``: the table shows negatives in parentheses, so a positive number or
    percentage gets a negative section in parentheses too (an edited value then reads as
    the table's others do).
    """
    match = _NUMBER.match(text)
    if match is None:
        return None
    opened, closed = match["open"] is not None, match["close"] is not None
    sign, cur, suffix = match["sign"], match["cur"] or "", match["suffix"] or ""
    if opened != closed or (opened and sign) or (cur and suffix):
        return None
    digits = match["int"].replace(",", "") + ("." + match["dec"] if match["dec"] else "")
    magnitude = Decimal(digits)
    if suffix == "%":
        magnitude /= 100  # a percentage is a fraction in a spreadsheet, shown with %
    negative = opened or sign == "-"
    value = float(-magnitude if negative else magnitude) + 0.0
    grouped = "," in match["int"] or (
        suffix == "" and Decimal(match["int"].replace(",", "")) < 1000
    )
    body = _body(grouped, len(match["dec"] or ""), cur, suffix)
    if sign == "+":
        number_format = f"+{body};-{body};+{body}"
    elif opened or (parens and not cur and suffix != "x"):
        number_format = f"{body};({body})"
    else:
        number_format = body
    return NumberCell(value, number_format)


def _body(grouped: bool, dp: int, currency: str, suffix: str) -> str:
    """One section of a number format: currency, digits, decimals, then % or x."""
    digits = ("#,##0" if grouped else "0") + ("." + "0" * dp if dp else "")
    prefix = f'"{currency}"' if currency else ""
    after = {"%": "%", "x": '"x"', "": ""}[suffix]
    return prefix + digits + after


# --- display: a number format applied as a spreadsheet applies it ------------------------------


def _sections(number_format: str) -> list[str]:
    """The format's sections (positive; negative; zero), split on semicolons outside quotes."""
    sections, current, quoted = [], "", False
    for char in number_format:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            sections.append(current)
            current = ""
        else:
            current += char
    return [*sections, current]


def _tokens(section: str) -> Iterable[tuple[str, str]]:
    """(kind, text) pieces of a section: a digit pattern, a quoted or escaped literal, % or
    another literal character."""
    i = 0
    while i < len(section):
        char = section[i]
        if char == '"':
            end = section.index('"', i + 1)
            yield "literal", section[i + 1 : end]
            i = end + 1
        elif char == "\\":
            yield "literal", section[i + 1]
            i += 2
        elif char in "#0,.":
            j = i
            while j < len(section) and section[j] in "#0,.":
                j += 1
            yield "digits", section[i:j]
            i = j
        elif char == "%":
            yield "percent", "%"
            i += 1
        else:
            yield "literal", char
            i += 1


def display(value: float, number_format: str) -> str:
    """``value`` shown with ``number_format`` as Excel shows it, for the formats parse_cell
    makes: up to three sections, quoted literals, ``#,##0`` grouping, fixed decimals, %.
    Rounds half away from zero on the value read to 15 significant digits, as Excel does."""
    sections = _sections(number_format)
    minus = ""
    if value < 0 and len(sections) >= 2:
        section = sections[1]
    elif value == 0 and len(sections) >= 3:
        section = sections[2]
    else:
        section = sections[0]
        minus = "-" if value < 0 else ""
    tokens = list(_tokens(section))
    amount = abs(Decimal(format(value, f".{SIGNIFICANT}g")))
    if any(kind == "percent" for kind, _ in tokens):
        amount *= 100
    out = []
    for kind, text in tokens:
        if kind == "digits":
            dp = len(text.partition(".")[2])
            shown = amount.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)
            out.append(f"{shown:,.{dp}f}" if "," in text.partition(".")[0] else f"{shown:.{dp}f}")
        else:
            out.append(text)
    return minus + "".join(out)


def cell_number(text: str, parens: bool = False) -> NumberCell | None:
    """``text`` as a number cell, only if its number format shows exactly ``text`` again."""
    parsed = parse_cell(text, parens)
    if parsed is None or display(parsed.value, parsed.number_format) != text:
        return None
    return parsed


# --- the workbook -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TableDoc:
    """What a workbook says about its table besides the cells: caption, source, report."""

    title: str
    source: str
    number: int | None
    report_title: str
    date: dt.date
    author: str = ""
    sample: bool = False


def workbook_name(slug: str, exhibit: str) -> str:
    """The file name of an exhibit's workbook: report slug and placement name, so a file
    downloaded on its own still says where it came from."""
    return f"{slug}-{exhibit}{SUFFIX}"


def workbook_href(slug: str, exhibit: str) -> str:
    """The workbook's address relative to the report's HTML (both under build/)."""
    return f"{slug}/{workbook_name(slug, exhibit)}"


def workbook_path(build: Path, slug: str, exhibit: str) -> Path:
    """Where an exhibit's workbook is written: build/<slug>/<slug>-<exhibit>.xlsx."""
    return build / slug / workbook_name(slug, exhibit)


def _uses_parens(table: Any) -> bool:
    """Whether the table shows negatives in parentheses (one such cell is enough)."""
    return any(
        text.startswith("(") and parse_cell(text) is not None
        for group in table.groups
        for row in group.rows
        for text in row.cells
    )


def _text(value: str) -> str:
    """``value`` without the control characters a workbook cannot hold."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _put(ws: Any, row: int, column: int, text: str, parens: bool, number: bool) -> Any:
    """Write one cell: a number with its display format, or text (never a formula)."""
    cell = ws.cell(row=row, column=column)
    parsed = cell_number(text, parens) if number else None
    if parsed is not None:
        cell.value = parsed.value
        cell.number_format = parsed.number_format
    elif text:
        cell.value = _text(text)
        cell.data_type = "s"  # a cell reading "=..." stays text, never a formula
    return cell


def table_workbook(table: Any, doc: TableDoc) -> bytes:
    """A workbook of one table exhibit: caption and report, header groups (merged), column
    labels and units, group headings, rows (the first cell of each is its label, kept as
    text), notes and the source line."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):  # pragma: no cover - a new workbook has one sheet
        raise TypeError("a new workbook has no worksheet")
    ws.title = f"Figure {doc.number}" if doc.number is not None else "Table"
    columns = table.columns
    bold = Font(bold=True)
    caption = f"Figure {doc.number}: {doc.title}" if doc.number is not None else doc.title
    ws.cell(row=1, column=1, value=_text(caption)).font = Font(bold=True, size=12)
    about = f"{doc.report_title}, {doc.date.isoformat()}" + (" (SAMPLE)" if doc.sample else "")
    ws.cell(row=2, column=1, value=_text(about)).font = Font(italic=True, color="555555")
    row = 4
    if any(label for label, _ in table.header_groups):
        column = 1
        for label, span in table.header_groups:
            cell = ws.cell(row=row, column=column, value=_text(label) or None)
            cell.font = bold
            cell.alignment = Alignment(horizontal="center")
            if span > 1:
                ws.merge_cells(
                    start_row=row, start_column=column, end_row=row, end_column=column + span - 1
                )
            column += span
        row += 1
    for column, col in enumerate(columns, start=1):
        cell = _put(ws, row, column, col.label, False, False)
        cell.font = bold
        cell.alignment = Alignment(horizontal=col.align, wrap_text=True)
    row += 1
    if any(col.unit for col in columns):
        for column, col in enumerate(columns, start=1):
            cell = _put(ws, row, column, col.unit, False, False)
            cell.font = Font(italic=True)
            cell.alignment = Alignment(horizontal=col.align)
        row += 1
    ws.freeze_panes = f"B{row}"  # the labels and headers stay in view
    parens = _uses_parens(table)
    widths = [len(col.label) for col in columns]
    for group in table.groups:
        if group.label:
            cell = _put(ws, row, 1, group.label, False, False)
            cell.font = bold
            cell.alignment = Alignment(indent=group.level - 1)
            row += 1
        for body in group.rows:
            span = getattr(body, "span", 1)
            for i, text in enumerate(body.cells):
                column = 1 if i == 0 else i + span
                cell = _put(ws, row, column, str(text), parens, i > 0)
                cell.alignment = Alignment(horizontal=columns[column - 1].align)
                if i > 0 or span == 1:
                    widths[column - 1] = max(widths[column - 1], len(str(text)))
            if span > 1:
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=span)
            row += 1
    row += 1
    for note in table.notes:
        ws.cell(row=row, column=1, value=_text(note))
        row += 1
    ws.cell(row=row, column=1, value=_text(f"Source: {doc.source}")).font = Font(italic=True)
    for column, chars in enumerate(widths, start=1):
        limit = 60 if column == 1 else 24
        ws.column_dimensions[get_column_letter(column)].width = min(max(chars, 8), limit) + 2
    when = dt.datetime.combine(doc.date, dt.time())
    wb.properties.creator = doc.author or None
    wb.properties.title = caption
    wb.properties.created = when
    wb.properties.modified = when
    return _saved(wb)


def _saved(wb: Any) -> bytes:
    """The workbook's bytes, the same for the same workbook: openpyxl's writer (its
    save_workbook would stamp the time) into memory, then every zip entry written again
    with a fixed time, in the writer's order."""
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def report_workbooks(
    build: Path,
    slug: str,
    report_title: str,
    date: dt.date,
    exhibits: Sequence[Any],
    author: str = "",
    sample: bool = False,
) -> list[tuple[Path, bytes]]:
    """A workbook for every table exhibit of a report (build.RenderedExhibit-like: id,
    number, kind, title, source, table), with the path each is written to."""
    return [
        (
            workbook_path(build, slug, e.id),
            table_workbook(
                e.table, TableDoc(e.title, e.source, e.number, report_title, date, author, sample)
            ),
        )
        for e in exhibits
        if e.kind == "table" and e.table is not None
    ]
