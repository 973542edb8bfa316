"""Company tables from the analyst's workbook (reportgen/data/excel.py).

Workbooks are written with openpyxl holding formulas, then recalculated and saved by
LibreOffice headless (``recalculate``), so the values read are those a real spreadsheet
engine computed and cached, as in an analyst's file.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.workbook.defined_name import DefinedName

from reportgen.data import excel
from reportgen.data.companies import PERIOD_TABLES, RI_INPUTS, RI_PUBLISHED
from reportgen.data.excel import (
    column_letters,
    column_number,
    parse_ref,
    split_cell,
    workbook_tables,
)
from reportgen.errors import Problem
from tests.conftest import run_cli
from tests.tools import require_tool

#: Money is compared to the cent: every figure below is typed or hand-computed to 0.01.
TOLERANCE = 1e-9

SHOWN = "data/companies/acme"


def recalculate(source: Path, out_dir: Path, profile: Path) -> Path:
    """``source`` opened, recomputed and saved as .xlsx by LibreOffice headless (its cached
    values are then LibreOffice's); a private user profile keeps runs independent."""
    soffice = require_tool("soffice", package="libreoffice-calc-nogui")
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out_dir),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    result = out_dir / (source.stem + ".xlsx")
    assert done.returncode == 0 and result.is_file(), done.stderr + done.stdout
    return result


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One LibreOffice user profile for the session (made on first use, about 2 s)."""
    return tmp_path_factory.mktemp("lo-profile")


def write_model(path: Path) -> Path:
    """A small model with formulas: revenue = units x price on sheet IS, costs, and a
    balance sheet BS whose equity rolls forward with net profit. Also defined names."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "IS"
    sheet["B3"], sheet["D3"], sheet["E3"] = "Rmb mn", "FY25", "FY26E"
    rows = {
        5: ("Units (mn)", 120, 150),
        6: ("Price (Rmb)", 3.5, 4.0),
        7: ("Revenue", "=D5*D6", "=E5*E6"),  # 420.0, 600.0
        8: ("Cost of sales", -250.25, "=-E7*0.45"),  # -250.25, -270.0
        9: ("Gross profit", "=D7+D8", "=E7+E8"),  # 169.75, 330.0
        10: ("Note", "n/a", "=1/0"),  # text, and an error value
    }
    for row, (label, fy25, fy26) in rows.items():
        sheet[f"B{row}"], sheet[f"D{row}"], sheet[f"E{row}"] = label, fy25, fy26
    sheet["B12"] = "Gross profit"  # a label used twice (a memo line below the statement)
    bs = book.create_sheet("BS")
    bs["B2"], bs["C2"], bs["D2"] = "Year", 2025, 2026
    bs["B3"], bs["C3"], bs["D3"] = "Net profit", "=IS!D9*0.8", "=IS!E9*0.8"  # 135.8, 264.0
    bs["B4"], bs["C4"], bs["D4"] = "Total equity", 1000, "=C4+D3"  # 1000, 1264.0
    book.defined_names["NetProfit2026"] = DefinedName("NetProfit2026", attr_text="BS!$D$3")
    book.defined_names["Equity2026"] = DefinedName("Equity2026", attr_text="BS!$D$4")
    book.defined_names["Block"] = DefinedName("Block", attr_text="BS!$C$3:$D$4")
    book.defined_names["Elsewhere"] = DefinedName("Elsewhere", attr_text="Gone!$A$1")
    sheet.defined_names["Sales25"] = DefinedName("Sales25", attr_text="IS!$D$7")  # IS's own
    book.save(path)
    return path


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory, lo_profile: Path) -> Path:
    """write_model's workbook as LibreOffice computed and saved it."""
    folder = tmp_path_factory.mktemp("model")
    (folder / "written").mkdir()
    return recalculate(write_model(folder / "written" / "model.xlsx"), folder, lo_profile)


def company(tmp_path: Path, workbook: Path | None, mapping: str, name: str = "model.xlsx") -> Path:
    """A company folder holding ``workbook`` (as ``name``) and excel.yaml."""
    folder = tmp_path / "acme"
    folder.mkdir()
    if workbook is not None:
        shutil.copy2(workbook, folder / name)
    (folder / "excel.yaml").write_text(mapping, encoding="utf-8")
    return folder


def load(folder: Path) -> tuple[dict[str, Any], list[Problem]]:
    return workbook_tables(folder, SHOWN, (RI_INPUTS, RI_PUBLISHED), PERIOD_TABLES)


def messages(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def value(frame: Any, item: str, period: str) -> float:
    return float(frame.loc[frame["line_item"] == item, period].iloc[0])


# --- pure functions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("letters", "number"), [("A", 1), ("Z", 26), ("AA", 27), ("AZ", 52), ("XFD", 16384)]
)
def test_column_letters_and_numbers(letters: str, number: int) -> None:
    assert column_number(letters) == number
    assert column_number(letters.lower()) == number
    assert column_letters(number) == letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D14", (None, "D14")),
        ("$d$14", (None, "D14")),
        ("IS!D14", ("IS", "D14")),
        ("'P&L 2026'!$E$7", ("P&L 2026", "E7")),
        ("'Bob''s'!A1", ("Bob's", "A1")),
        ("Revenue_2025", None),  # a defined name
        ("NetProfit", None),
        ("XFE1", None),  # beyond the last column: a name, as Excel reads it
    ],
)
def test_parse_ref(text: str, expected: tuple[str | None, str] | None) -> None:
    assert parse_ref(text) == expected


def test_split_cell() -> None:
    assert split_cell("D14") == (14, 4)
    assert split_cell("$AA$3") == (3, 27)


# --- reading values LibreOffice computed -------------------------------------------------


def test_rows_and_columns_read_the_computed_values(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        "workbook: model.xlsx\n"
        "tables:\n"
        "  income_statement:\n"
        "    sheet: IS\n"
        "    rows: {net_sales: 7, cogs: 8, gross_profit: 9}\n"
        "    columns: {2025: D, 2026E: E}\n",
    )
    tables, problems = load(folder)
    assert problems == []
    frame = tables["income_statement"]
    assert list(frame.columns) == ["_line", "line_item", "2025", "2026E"]
    assert list(frame["line_item"]) == ["net_sales", "cogs", "gross_profit"]
    # 120 x 3.5 = 420; 150 x 4.0 = 600; -600 x 0.45 = -270; 420 - 250.25 = 169.75.
    expected = {
        ("net_sales", "2025"): 420.0,
        ("net_sales", "2026E"): 600.0,
        ("cogs", "2025"): -250.25,
        ("cogs", "2026E"): -270.0,
        ("gross_profit", "2025"): 169.75,
        ("gross_profit", "2026E"): 330.0,
    }
    for (item, period), figure in expected.items():
        assert math.isclose(value(frame, item, period), figure, abs_tol=TOLERANCE)
    assert str(frame["2025"].dtype) == "float64"
    assert frame.attrs["workbook"] == f"{SHOWN}/model.xlsx"
    assert frame.attrs["cells"][("gross_profit", "2026E")] == "IS!E9"


def test_labels_and_headers_find_rows_and_columns(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        "workbook: model.xlsx\n"
        "tables:\n"
        "  income_statement:\n"
        "    sheet: IS\n"
        "    label_column: B\n"
        "    rows: {net_sales: revenue, cogs: '  Cost   OF sales'}\n"
        "    header_row: 3\n"
        "    columns: {2025: FY25, 2026E: fy26e}\n",
    )
    tables, problems = load(folder)
    assert problems == []
    frame = tables["income_statement"]
    assert math.isclose(value(frame, "net_sales", "2026E"), 600.0, abs_tol=TOLERANCE)
    assert math.isclose(value(frame, "cogs", "2025"), -250.25, abs_tol=TOLERANCE)


def test_cells_and_defined_names_make_a_keyed_table(tmp_path: Path, computed: Path) -> None:
    profit, equity = [c.name for c in RI_INPUTS.columns if c.kind == "number"][:2]
    folder = company(
        tmp_path,
        computed,
        "workbook: model.xlsx\n"
        "tables:\n"
        "  ri_inputs:\n"
        "    sheet: BS\n"
        "    cells:\n"
        f"      {profit}: {{2025: C3, 2026: NetProfit2026}}\n"
        f"      {equity}: {{2025: \"'BS'!$C$4\", 2026: equity2026}}\n",
    )
    tables, problems = load(folder)
    assert problems == []
    frame = tables["ri_inputs"]
    assert list(frame["year"]) == [2025, 2026]
    # Net profit = gross profit x 0.8: 169.75 x 0.8 = 135.8; 330 x 0.8 = 264.
    # Equity 2026 = 1,000 + 264 = 1,264.
    assert list(frame[profit]) == pytest.approx([135.8, 264.0], abs=TOLERANCE)
    assert list(frame[equity]) == pytest.approx([1000.0, 1264.0], abs=TOLERANCE)
    assert frame["source"].isna().all()


def test_a_name_local_to_a_sheet(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        "workbook: model.xlsx\n"
        "tables:\n"
        "  income_statement:\n"
        "    cells:\n"
        "      net_sales: {2025: sales25, 2026E: IS!E7}\n"
        "      cogs: {2025: IS!Sales25}\n",
    )
    tables, problems = load(folder)
    assert problems == []
    frame = tables["income_statement"]
    assert value(frame, "net_sales", "2025") == pytest.approx(420.0, abs=TOLERANCE)
    assert value(frame, "net_sales", "2026E") == pytest.approx(600.0, abs=TOLERANCE)
    assert value(frame, "cogs", "2025") == pytest.approx(420.0, abs=TOLERANCE)
    assert math.isnan(value(frame, "cogs", "2026E"))  # not mapped: an empty cell, as in CSV


def test_workbook_tables_ignore_a_folder_without_a_mapping(tmp_path: Path) -> None:
    assert load(tmp_path) == ({}, [])


# --- located errors ----------------------------------------------------------------------


def mapping_of(cells: str, table: str = "income_statement", sheet: str = "IS") -> str:
    return f"workbook: model.xlsx\ntables:\n  {table}:\n    sheet: {sheet}\n{cells}"


def test_a_cell_that_is_not_a_number(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        mapping_of("    rows: {net_sales: 10}\n    columns: {2025: D, 2026E: E}\n"),
    )
    tables, problems = load(folder)
    assert tables == {"income_statement": None}
    assert messages(problems) == [
        f"{SHOWN}/model.xlsx: sheet 'IS'!D10: expected a number, found 'n/a' "
        "(income_statement: net_sales, 2025)",
        f"{SHOWN}/model.xlsx: sheet 'IS'!E10: expected a number, found the error #DIV/0! "
        "(income_statement: net_sales, 2026E)",
    ]


def test_a_workbook_saved_without_computed_values(tmp_path: Path) -> None:
    # openpyxl writes formulas and no computed values (as a script or some converters do).
    written = write_model(tmp_path / "model.xlsx")
    folder = company(
        tmp_path, written, mapping_of("    rows: {net_sales: 7, cogs: 8}\n    columns: {2025: D}\n")
    )
    _tables, problems = load(folder)
    assert messages(problems) == [
        f"{SHOWN}/model.xlsx: sheet 'IS'!D7 (=D5*D6): a formula without its computed value; "
        "the workbook was saved without computed values; open and save it in Excel/LibreOffice"
    ]


def test_a_workbook_saved_without_computed_values_is_one_problem(tmp_path: Path) -> None:
    written = write_model(tmp_path / "model.xlsx")
    folder = company(
        tmp_path,
        written,
        mapping_of(
            "    rows: {net_sales: 7, cogs: 8, gross_profit: 9}\n    columns: {2025: D, 2026E: E}\n"
        ),
    )
    _tables, problems = load(folder)
    assert messages(problems) == [
        f"{SHOWN}/model.xlsx: sheet 'IS'!D7 (=D5*D6); sheet 'IS'!E7 (=E5*E6); sheet 'IS'!E8 "
        "(=-E7*0.45) and 2 more: a formula without its computed value; the workbook was saved "
        "without computed values; open and save it in Excel/LibreOffice"
    ]


def test_a_missing_sheet_and_a_missing_name(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        "workbook: model.xlsx\n"
        "tables:\n"
        "  income_statement:\n"
        "    sheet: P&L\n"
        "    rows: {net_sales: 7}\n"
        "    columns: {2025: D}\n"
        "  ri_inputs:\n"
        "    cells:\n"
        "      net_profit_placeholder: {}\n",
    )
    # The ri_inputs column names are the schema's: fill them in.
    profit, equity = [c.name for c in RI_INPUTS.columns if c.kind == "number"][:2]
    text = (folder / "excel.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "      net_profit_placeholder: {}\n",
        f"      {profit}: {{2026: NoSuchName}}\n      {equity}: {{2026: Block}}\n",
    )
    text += "  estimates_half_year:\n    cells:\n      total_revenues: {1H25: Elsewhere}\n"
    (folder / "excel.yaml").write_text(text, encoding="utf-8")
    _tables, problems = load(folder)
    shown = f"{SHOWN}/excel.yaml"
    assert messages(problems) == [
        f"{shown}:4: column 'tables.income_statement.sheet': no sheet 'P&L' in the workbook; "
        "it has: IS, BS",
        f"{shown}:9: column 'tables.ri_inputs.cells.{profit}.2026': no defined name "
        "'NoSuchName' in the workbook",
        f"{shown}:10: column 'tables.ri_inputs.cells.{equity}.2026': defined name 'Block' = "
        "BS!$C$3:$D$4 is not a single cell",
        # LibreOffice saves the name's sheet as 'gone' (its case of an unknown sheet).
        f"{shown}:13: column 'tables.estimates_half_year.cells.total_revenues.1H25': defined "
        "name 'Elsewhere' refers to sheet 'gone', which the workbook does not have",
    ]


def test_a_label_not_found_or_found_twice(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        mapping_of(
            "    label_column: B\n    rows: {gross_profit: Gross profit, cogs: Sales}\n"
            "    header_row: 3\n    columns: {2025: FY24}\n"
        ),
    )
    _tables, problems = load(folder)
    shown = f"{SHOWN}/excel.yaml"
    assert messages(problems) == [
        f"{shown}:6: column 'tables.income_statement.rows.gross_profit': 'Gross profit' is in "
        "rows 9, 12 of column B of sheet 'IS'; give the row itself",
        f"{shown}:8: column 'tables.income_statement.columns.2025': no cell reads 'FY24' in "
        "row 3 of sheet 'IS'",
        f"{shown}:6: column 'tables.income_statement.rows.cogs': no cell reads 'Sales' in "
        "column B of sheet 'IS'",
    ]


def test_the_mapping_is_checked_before_the_workbook_is_read(tmp_path: Path) -> None:
    folder = company(
        tmp_path,
        None,
        "workbook: ../model.xlsx\n"
        "tables:\n"
        "  income_statement:\n"
        "    sheet: IS\n"
        "    rows: {Net Sales: 7, cogs: x}\n"
        "    columns: {FY2025: D, 2026E: 5}\n"
        "  balance:\n"
        "    sheet: BS\n"
        "  cash_flow:\n"
        "    sheet: CF\n"
        "  ri_inputs: {sheet: RI, rows: {roe: 3}, columns: {2026E: D}}\n",
    )
    _tables, problems = load(folder)
    shown = f"{SHOWN}/excel.yaml"
    found = messages(problems)
    expected = [
        f"{shown}:1: column 'workbook': '../model.xlsx': the workbook must be in the company "
        f"folder ({SHOWN})",
        f"{shown}:5: column 'tables.income_statement.rows.cogs': expected a row number, found 'x'",
        f"{shown}:6: column 'tables.income_statement.columns.2026E': expected column letters "
        "(D), found 5",
        f"{shown}:5: column 'tables.income_statement.rows.Net Sales': 'Net Sales' is not a "
        "line item name",
        f"{shown}:3: column 'tables.income_statement': 'FY2025' is not a period column",
        f"{shown}:7: column 'tables.balance': unknown table; expected one of",
        f"{shown}:9: column 'tables.cash_flow': give either rows and columns, or cells",
        f"{shown}:11: column 'tables.ri_inputs.rows.roe': 'roe' is not a number column of "
        "ri_inputs; expected:",
        f"{shown}:11: column 'tables.ri_inputs': '2026E' is not a year; ri_inputs is keyed by "
        "year (e.g. 2026)",
        *(
            f"{shown}:11: column 'tables.ri_inputs': {c.name} is required: map it"
            for c in RI_INPUTS.columns
            if c.kind == "number" and not c.nullable
        ),
    ]
    assert len(found) == len(expected), found
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start), (message, start)


def test_line_items_and_periods_are_checked(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path,
        computed,
        mapping_of("    rows: {Net Sales: 7}\n    columns: {FY2025: D}\n"),
    )
    _tables, problems = load(folder)
    assert messages(problems) == [
        f"{SHOWN}/excel.yaml:5: column 'tables.income_statement.rows.Net Sales': 'Net Sales' "
        "is not a line item name (lower case, digits and _)",
        f"{SHOWN}/excel.yaml:3: column 'tables.income_statement': 'FY2025' is not a period "
        "column of income_statement (income_statement.csv)",
    ]


def test_a_table_in_the_workbook_and_in_a_csv_file(tmp_path: Path, computed: Path) -> None:
    folder = company(
        tmp_path, computed, mapping_of("    rows: {net_sales: 7}\n    columns: {2025: D}\n")
    )
    (folder / "income_statement.csv").write_text("line_item,2025\nnet_sales,420\n")
    tables, problems = load(folder)
    assert tables == {}
    assert messages(problems) == [
        f"{SHOWN}/excel.yaml:3: column 'tables.income_statement': income_statement is mapped "
        f"here from the workbook and also given by {SHOWN}/income_statement.csv: keep one of them"
    ]


def _refused(tmp_path: Path, name: str, data: bytes) -> list[str]:
    folder = tmp_path / "acme"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    (folder / "excel.yaml").write_text(
        mapping_of("    rows: {net_sales: 7}\n    columns: {2025: D}\n").replace("model.xlsx", name)
    )
    return messages(load(folder)[1])


def _with_macros(computed: Path) -> bytes:
    out = computed.parent / "macros.xlsx"
    with zipfile.ZipFile(computed) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, source.read(item))
        target.writestr("xl/vbaProject.bin", b"\x00" * 16)
    return out.read_bytes()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("model.xlsx", lambda c: b"revenue,420\n", "not an .xlsx workbook (not a ZIP package)"),
        (
            "model.xlsx",
            lambda c: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "not an .xlsx workbook: an Excel 97-2003 (.xls) or password-protected file",
        ),
        ("model.xlsm", lambda c: c.read_bytes(), "a macro-enabled workbook (.xlsm): save it as"),
        ("model.xls", lambda c: c.read_bytes(), "an Excel 97-2003 workbook (.xls): save it as"),
        ("model.ods", lambda c: c.read_bytes(), "an OpenDocument spreadsheet (.ods)"),
        ("model.xlsx", _with_macros, "the workbook holds macros; save a copy"),
    ],
)
def test_other_formats_are_refused(
    tmp_path: Path, computed: Path, name: str, data: Callable[[Path], bytes], message: str
) -> None:
    found = _refused(tmp_path, name, data(computed))
    assert len(found) == 1
    assert found[0].startswith(f"{SHOWN}/{name}: {message}"), found


def test_a_damaged_workbook(tmp_path: Path, computed: Path) -> None:
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(computed) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # the sheet's XML cut short
            target.writestr(item, data)
    found = _refused(tmp_path, "model.xlsx", damaged.read_bytes())
    assert len(found) == 1
    assert found[0].startswith(f"{SHOWN}/model.xlsx: cannot be read as a workbook ("), found
    assert found[0].endswith("); re-save it"), found


def test_a_missing_workbook(tmp_path: Path) -> None:
    folder = company(
        tmp_path, None, mapping_of("    rows: {net_sales: 7}\n    columns: {2025: D}\n")
    )
    assert messages(load(folder)[1]) == [
        f"{SHOWN}/excel.yaml:1: column 'workbook': {SHOWN}/model.xlsx: file not found"
    ]


def test_a_bad_workbook_fails_the_check_with_exit_2(project_copy: Path, computed: Path) -> None:
    """Through the command line: located message, exit 2, no traceback."""
    folder = project_copy / "data" / "companies" / "iluvatar"
    (folder / "income_statement.csv").unlink()
    shutil.copy2(computed, folder / "model.xlsx")
    (folder / "excel.yaml").write_text(
        mapping_of("    rows: {net_sales: 10}\n    columns: {2025: D, 2026E: E}\n")
    )
    result = run_cli(["check"], project_root=project_copy)
    assert result.exit_code == 2, result.output
    assert (
        "data/companies/iluvatar/model.xlsx: sheet 'IS'!D10: expected a number, found 'n/a'"
        in result.output
    )
    assert "Traceback" not in result.output


# --- typed values round-trip; limits ------------------------------------------------------

#: Figures as analysts type them: whole numbers, and decimals of up to 15 significant digits
#: (openpyxl writes a float with 16, so a 17-digit one would not survive the writing).
NUMBERS = st.one_of(
    st.none(),
    st.integers(min_value=-(10**14), max_value=10**14),
    st.integers(min_value=-(10**14), max_value=10**14).map(lambda n: n / 10**4),
)


@settings(max_examples=40, deadline=None, database=None)
@given(grid=st.lists(st.lists(NUMBERS, min_size=3, max_size=3), min_size=1, max_size=4))
def test_typed_numbers_are_read_exactly(grid: list[list[float | int | None]]) -> None:
    """Any number a cell holds is read as the same float; an empty cell as NaN."""
    with tempfile.TemporaryDirectory() as tmp:
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "IS"
        for r, row in enumerate(grid, start=2):
            for c, number in enumerate(row, start=2):
                sheet.cell(row=r, column=c, value=number)
        book.save(Path(tmp) / "model.xlsx")
        rows = ", ".join(f"item_{r}: {r}" for r in range(2, len(grid) + 2))
        folder = company(
            Path(tmp),
            Path(tmp) / "model.xlsx",
            mapping_of(f"    rows: {{{rows}}}\n    columns: {{2025: B, 2026E: C, 2027E: D}}\n"),
        )
        tables, problems = load(folder)
    assert problems == []
    frame = tables["income_statement"]
    for r, row in enumerate(grid, start=2):
        for period, number in zip(("2025", "2026E", "2027E"), row, strict=True):
            read = value(frame, f"item_{r}", period)
            assert math.isnan(read) if number is None else read == float(number)


def test_a_workbook_over_the_limits_is_refused(
    tmp_path: Path, computed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = computed.stat().st_size
    monkeypatch.setattr(excel, "MAX_WORKBOOK_BYTES", size - 1)
    assert _refused(tmp_path / "a", "model.xlsx", computed.read_bytes()) == [
        f"{SHOWN}/model.xlsx: {size:,} bytes; a workbook may be at most {size - 1:,} bytes"
    ]
    monkeypatch.setattr(excel, "MAX_WORKBOOK_BYTES", size)
    monkeypatch.setattr(excel, "MAX_UNPACKED_BYTES", 1000)
    found = _refused(tmp_path / "b", "model.xlsx", computed.read_bytes())
    assert len(found) == 1 and "a workbook may unpack to at most 1,000 bytes" in found[0]


def test_a_number_too_large(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "IS"
    sheet["D7"] = 1e15
    book.save(tmp_path / "model.xlsx")
    folder = company(
        tmp_path,
        tmp_path / "model.xlsx",
        mapping_of("    rows: {net_sales: 7}\n    columns: {2025: D}\n"),
    )
    assert messages(load(folder)[1]) == [
        f"{SHOWN}/model.xlsx: sheet 'IS'!D7: expected a number below 1,000,000,000,000,000 in "
        "magnitude, found 1000000000000000 (income_statement: net_sales, 2025)"
    ]
