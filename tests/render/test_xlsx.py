"""render/xlsx.py: displayed cells read back as numbers with formats that show the same text,
and a table exhibit written as a workbook (openpyxl reads it back; LibreOffice shows it)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen import formatting as fmt
from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, TableRow
from reportgen.render.xlsx import (
    ZIP_TIME,
    TableDoc,
    cell_number,
    display,
    parse_cell,
    table_workbook,
    workbook_path,
)
from tests.tools import require_tool

#: Values are compared to the hand-computed ones within TOL, or REL of their size (they are the
#: nearest floats to the decimal shown; the tolerances only absorb the last bit of a % / 100).
TOL = 1e-12
REL = 1e-15

PAREN_ROWS = "#,##0.0;(#,##0.0)"


@pytest.mark.parametrize(
    ("text", "parens", "value", "number_format"),
    [
        ("1,234.5", False, 1234.5, "#,##0.0"),
        ("1,234.5", True, 1234.5, PAREN_ROWS),
        ("(12.3)", False, -12.3, PAREN_ROWS),
        ("(9,876.54)", False, -9876.54, "#,##0.00;(#,##0.00)"),
        ("-1,234.5", False, -1234.5, "#,##0.0"),
        ("0.00", False, 0.0, "#,##0.00"),
        ("425", False, 425.0, "#,##0"),
        ("674,433", True, 674433.0, "#,##0;(#,##0)"),
        ("2025", False, 2025.0, "0"),  # four digits without a separator: shown as typed
        ("12.3%", False, 0.123, "0.0%"),
        ("12.3%", True, 0.123, "0.0%;(0.0%)"),
        ("(6.3%)", False, -0.063, "0.0%;(0.0%)"),
        ("-6.3%", False, -0.063, "0.0%"),
        ("1234.5%", False, 12.345, "0.0%"),  # formatting.pct groups no thousands
        ("8.36%", False, 0.0836, "0.00%"),
        ("+5.0%", False, 0.05, "+0.0%;-0.0%;+0.0%"),
        ("+0.0%", False, 0.0, "+0.0%;-0.0%;+0.0%"),
        ("12.3x", True, 12.3, '0.0"x"'),  # a multiple keeps its minus sign (formatting.multiple)
        ("-2.0x", False, -2.0, '0.0"x"'),
        ("18x", False, 18.0, '0"x"'),
        ("US$1.74", True, 1.74, '"US$"#,##0.00'),
        ("-US$1.74", False, -1.74, '"US$"#,##0.00'),
        ("Rmb1,588", False, 1588.0, '"Rmb"#,##0'),
        ("HK$600.5", False, 600.5, '"HK$"#,##0.0'),
    ],
)
def test_parse_cell(text: str, parens: bool, value: float, number_format: str) -> None:
    cell = parse_cell(text, parens)
    assert cell is not None
    assert cell.value == pytest.approx(value, abs=TOL)
    assert cell.number_format == number_format
    assert display(cell.value, cell.number_format) == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        fmt.DASH,
        "-",
        "NM",
        "n.a.",
        "N/A",
        "128K",  # token counts as the price lists write them: text in the data
        "1M",
        "~200K",
        "7nm",
        "1,000 FP8",
        "◆ 18,000",
        "0123",  # a leading zero is a code, not a number the house formatters print
        "1,23",
        "12,3456",
        "(12.3",
        "12.3)",
        "(-12.3)",
        "US$12%",
        "12.3xx",
        "x",
        "1e5",
        "nan",
        "inf",
        " 12.3",
        "12.",
        ".5",
        "688256-SH",
        "=1+1",
    ],
)
def test_text_stays_text(text: str) -> None:
    assert parse_cell(text, parens=True) is None


@pytest.mark.parametrize(
    ("value", "number_format", "shown"),
    [
        (1234.5, "#,##0.0", "1,234.5"),
        (1234567.891, "#,##0.00", "1,234,567.89"),
        (1234567.891, "0.00", "1234567.89"),
        (-12.3, PAREN_ROWS, "(12.3)"),
        (0.0, PAREN_ROWS, "0.0"),
        (-1.74, '"US$"#,##0.00', "-US$1.74"),
        (0.125, "0.0%", "12.5%"),
        (-0.063, "0.0%;(0.0%)", "(6.3%)"),
        (0.0, "+0.0%;-0.0%;+0.0%", "+0.0%"),
        (-0.05, "+0.0%;-0.0%;+0.0%", "-5.0%"),
        (2.0, '0.0"x"', "2.0x"),
        # Half away from zero on the decimal digits, as Excel rounds: 2.175 is stored as
        # 2.17499999999999982236431605997495353221893310546875 and still shows 2.18.
        (2.175, "0.00", "2.18"),
        (-2.5, "0", "-3"),
        (0.175 * 3, "0.00", "0.53"),
    ],
)
def test_display(value: float, number_format: str, shown: str) -> None:
    assert display(value, number_format) == shown


values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
places = st.integers(min_value=0, max_value=4)


@given(values, places)
def test_every_house_number_reads_back(value: float, dp: int) -> None:
    """Whatever the house formatters print, the workbook shows again, as a number whose value
    is the one printed (to the decimals shown)."""
    printed = [
        (fmt.number(value, dp), False),
        (fmt.number(value, dp, parens=True), True),
        (fmt.pct(value, dp), False),
        (fmt.pct(value, dp, parens=True), True),
        (fmt.pct(value, dp, signed=True), False),
        (fmt.multiple(value, dp), False),
        (fmt.money(value, "US$", dp), True),
        (fmt.money(value, "Rmb", dp), False),
        (fmt.money(value, "HK$", dp), False),
    ]
    for text, parens in printed:
        if text == "NM":  # a negative multiple means nothing: text, as printed
            assert parse_cell(text) is None
            continue
        cell = cell_number(text, parens)
        assert cell is not None, text
        assert display(cell.value, cell.number_format) == text
        scale = 0.01 if "%" in text else 1.0
        assert cell.value == pytest.approx(fmt.rounded(value, dp) * scale, rel=REL, abs=TOL), text


def sample_table() -> TableExhibit:
    """A small table with every feature a workbook carries (numbers of each kind, text that
    looks like a formula, a spanning label, header groups, two group levels, notes)."""
    return TableExhibit(
        columns=(
            TableColumn("Rmb mn", "", "left"),
            TableColumn("2025", "Rmb mn"),
            TableColumn("2026E", "Rmb mn"),
            TableColumn("Margin", "%"),
            TableColumn("Note", "", "left"),
        ),
        groups=(
            TableGroup("China", (), level=1),
            TableGroup(
                "Cambricon",
                (
                    TableRow(("Revenue", "1,234.5", "(12.3)", "41.3%", "NM")),
                    TableRow(("EV/S", "12.3x", "–", "+5.0%", "=SUM(B1:B2)")),
                    TableRow(("Price", "US$1.74", "-US$1.74", "(6.3%)", "128K")),
                ),
                level=2,
            ),
            TableGroup("", (TableRow(("Value per share (Rmb)", "1,586.90"), span=4),)),
        ),
        notes=("Negatives in parentheses.", "E = estimate."),
        header_groups=(("", 1), ("Actual", 1), ("Estimates", 3)),
    )


DOC = TableDoc(
    title="Earnings estimates",
    source="Company data, Meridian Research estimates",
    number=7,
    report_title="Cambricon: an initiation",
    date=dt.date(2026, 4, 26),
    author="Meridian Research",
    sample=True,
)


def test_workbook_reads_back(tmp_path: Path) -> None:
    data = table_workbook(sample_table(), DOC)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.title == "Figure 7"
    assert ws["A1"].value == "Figure 7: Earnings estimates"
    assert ws["A2"].value == "Cambricon: an initiation, 2026-04-26 (SAMPLE)"
    # Header groups merged over their columns, labels, then units.
    assert [ws.cell(4, c).value for c in range(1, 6)] == [None, "Actual", "Estimates", None, None]
    assert "C4:E4" in {str(r) for r in ws.merged_cells.ranges}
    assert [ws.cell(5, c).value for c in range(1, 6)] == [
        "Rmb mn",
        "2025",
        "2026E",
        "Margin",
        "Note",
    ]
    assert [ws.cell(6, c).value for c in range(1, 6)] == [None, "Rmb mn", "Rmb mn", "%", None]
    assert ws.freeze_panes == "B7"
    assert ws["A7"].value == "China" and ws["A8"].value == "Cambricon"
    assert ws["A8"].alignment.indent == 1
    # Numbers with the formats that show them as printed; text stays text (never a formula).
    revenue = [ws.cell(9, c) for c in range(1, 6)]
    assert [c.value for c in revenue[:4]] == pytest.approx(["Revenue", 1234.5, -12.3, 0.413])
    assert [c.number_format for c in revenue[1:4]] == [PAREN_ROWS, PAREN_ROWS, "0.0%;(0.0%)"]
    assert revenue[4].value == "NM"
    assert ws["B10"].value == 12.3 and ws["B10"].number_format == '0.0"x"'
    assert ws["C10"].value == fmt.DASH
    assert ws["E10"].value == "=SUM(B1:B2)" and ws["E10"].data_type == "s"
    assert ws["C11"].value == -1.74 and ws["C11"].number_format == '"US$"#,##0.00'
    assert ws["E11"].value == "128K"
    # A label spanning four columns: merged, its value in the fifth.
    assert "A12:D12" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["E12"].value == 1586.9 and ws["E12"].number_format == "#,##0.00;(#,##0.00)"
    assert [ws.cell(r, 1).value for r in (14, 15, 16)] == [
        "Negatives in parentheses.",
        "E = estimate.",
        "Source: Company data, Meridian Research estimates",
    ]
    # Every number shows its table text again.
    for row in ws.iter_rows(min_row=7):
        for cell in row:
            if isinstance(cell.value, float):
                assert display(cell.value, cell.number_format) in {
                    "1,234.5", "(12.3)", "41.3%", "12.3x", "+5.0%", "US$1.74", "-US$1.74",
                    "(6.3%)", "1,586.90",
                }  # fmt: skip


def test_same_table_same_bytes() -> None:
    first, second = table_workbook(sample_table(), DOC), table_workbook(sample_table(), DOC)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {ZIP_TIME}
        core = archive.read("docProps/core.xml").decode()
    assert "2026-04-26T00:00:00Z" in core and "Meridian Research" in core
    other = table_workbook(sample_table(), DOC.__class__(**{**vars(DOC), "number": 8}))
    assert other != first


def test_workbook_path() -> None:
    assert workbook_path(Path("build"), "metax", "ri-valuation-metax") == Path(
        "build/metax/metax-ri-valuation-metax.xlsx"
    )


def shown_by_libreoffice(tmp_path: Path, books: list[Path]) -> dict[str, list[list[str]]]:
    """Each workbook's first sheet as LibreOffice shows it (CSV saved "as shown"), by stem."""
    soffice = require_tool("soffice", package="libreoffice-calc-nogui")
    out = tmp_path / "csv"
    done = subprocess.run(
        [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
            "--convert-to",
            # , separated, " quoted, UTF-8, from line 1, cell contents as shown (token 9).
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
            "--outdir",
            str(out),
            *map(str, books),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {
        book.stem: list(csv.reader((out / f"{book.stem}.csv").read_text("utf-8").splitlines()))
        for book in books
    }


def test_libreoffice_shows_the_table_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_bytes(table_workbook(sample_table(), DOC))
    rows = shown_by_libreoffice(tmp_path, [path])["t"]
    assert rows[8] == ["Revenue", "1,234.5", "(12.3)", "41.3%", "NM"]
    assert rows[9] == ["EV/S", "12.3x", "–", "+5.0%", "=SUM(B1:B2)"]
    assert rows[10] == ["Price", "US$1.74", "-US$1.74", "(6.3%)", "128K"]
    assert rows[11] == ["Value per share (Rmb)", "", "", "", "1,586.90"]
