"""End to end: a company whose tables come from a LibreOffice-computed workbook builds the
same report as the same numbers in CSV, and editing the workbook makes the report stale."""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import openpyxl
import pytest

from reportgen.data.excel import column_letters
from tests.conftest import run_cli
from tests.data.test_excel import lo_profile, recalculate  # noqa: F401 - lo_profile: fixture
from tests.tools import copy_sample

pytestmark = pytest.mark.e2e

COMPANY = "iluvatar"
#: The sample company's tables moved into the workbook: half-year estimates (one sheet, in
#: grid form), the income statement (found by labels and headers) and the residual-income
#: inputs (years across, the model's way).
TABLES = ("estimates_half_year", "income_statement", "ri_inputs")


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a sample CSV file (its leading # comments skipped)."""
    text = path.read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines(keepends=True) if not line.startswith("#")]
    rows = [r for r in csv.reader(io.StringIO("".join(lines))) if r]
    return rows[0], rows[1:]


def half_year_formulas(header: list[str]) -> dict[str, tuple[str, str]]:
    """Annual column -> its two halves (2026E -> 1H26E, 2H26E) where the table has both."""
    pairs = {}
    for name in header:
        found = re.fullmatch(r"(\d{2})(\d{2})(E?)", name)
        if found:
            halves = (f"1H{found.group(2)}{found.group(3)}", f"2H{found.group(2)}{found.group(3)}")
            if all(h in header for h in halves):
                pairs[name] = halves
    return pairs


def equal(a: float, b: float) -> bool:
    """Two one-decimal figures equal (the workbook's ROUND(..., 1) reproduces the CSV's)."""
    return math.isclose(a, b, abs_tol=1e-9)


def write_workbook(folder: Path, path: Path) -> tuple[str, int]:
    """The company's TABLES as a model with formulas (annual = ROUND(1H + 2H, 1), equity
    rolled forward with net profit, net profit from the income statement) where they
    reproduce the CSV's figures exactly, typed values elsewhere; returns excel.yaml's text
    and the number of formulas written."""
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    mapping = ["workbook: model.xlsx", "tables:"]
    formulas = 0
    income_rows: dict[str, int] = {}
    income_columns: dict[str, str] = {}

    header, rows = read_table(folder / "estimates_half_year.csv")
    sheet = book.create_sheet("Estimates")
    periods = header[1:]
    letters = {p: column_letters(n) for n, p in enumerate(periods, start=3)}
    pairs = half_year_formulas(periods)
    for r, row in enumerate(rows, start=5):
        cells = dict(zip(periods, row[1:], strict=True))
        sheet[f"A{r}"] = row[0]
        for period, text in cells.items():
            if text == "":
                continue
            halves = pairs.get(period)
            if halves and all(cells[h] for h in halves):
                total = float(cells[halves[0]]) + float(cells[halves[1]])
                if equal(round(total, 1), float(text)):
                    first, second = letters[halves[0]], letters[halves[1]]
                    sheet[f"{letters[period]}{r}"] = f"=ROUND({first}{r}+{second}{r},1)"
                    formulas += 1
                    continue
            sheet[f"{letters[period]}{r}"] = float(text)
    mapping += [
        "  estimates_half_year:",
        "    sheet: Estimates",
        "    rows: {" + ", ".join(f"{row[0]}: {r}" for r, row in enumerate(rows, start=5)) + "}",
        "    columns: {" + ", ".join(f"{p}: {letters[p]}" for p in periods) + "}",
    ]

    header, rows = read_table(folder / "income_statement.csv")
    sheet = book.create_sheet("IS")
    sheet["A2"] = "Rmb mn"
    periods = header[1:]
    for n, period in enumerate(periods, start=2):
        income_columns[period] = column_letters(n)
        sheet[f"{column_letters(n)}2"] = period  # headers as text: 2025, 2026E
    for r, row in enumerate(rows, start=3):
        sheet[f"A{r}"] = row[0].replace("_", " ").capitalize()
        income_rows[row[0]] = r
        for period, text in zip(periods, row[1:], strict=True):
            if text != "":
                sheet[f"{income_columns[period]}{r}"] = float(text)
    mapping += [
        "  income_statement:",
        "    sheet: IS",
        "    label_column: A",
        "    rows: {"
        + ", ".join(f"{row[0]}: {row[0].replace('_', ' ').capitalize()}" for row in rows)
        + "}",
        "    header_row: 2",
        "    columns: {" + ", ".join(f"{p}: '{p}'" for p in periods) + "}",
    ]
    income = {row[0]: dict(zip(periods, row[1:], strict=True)) for row in rows}

    header, rows = read_table(folder / "ri_inputs.csv")
    sheet = book.create_sheet("RI")
    profit = next(c for c in header if c.startswith("net_profit"))
    equity = next(c for c in header if c.startswith("total_equity"))
    years = [row[header.index("year")] for row in rows]
    by_year = {row[header.index("year")]: row for row in rows}
    sheet["A3"], sheet["A4"] = "Net profit", "Total equity"
    for n, year in enumerate(years, start=2):
        col, before = column_letters(n), column_letters(n - 1)
        sheet[f"{col}2"] = int(year)
        value = float(by_year[year][header.index(profit)])
        annual = f"{year}E"
        reported = income.get("reported_net_income", {}).get(annual, "")
        if reported and equal(float(reported), value):
            row = income_rows["reported_net_income"]
            sheet[f"{col}3"] = f"=IS!{income_columns[annual]}{row}"
            formulas += 1
        else:
            sheet[f"{col}3"] = value
        total = float(by_year[year][header.index(equity)])
        previous = years[n - 3] if n > 2 else None
        if previous and equal(
            round(float(by_year[previous][header.index(equity)]) + value, 1), total
        ):
            sheet[f"{col}4"] = f"=ROUND({before}4+{col}3,1)"
            formulas += 1
        else:
            sheet[f"{col}4"] = total
    mapping += [
        "  ri_inputs:",
        "    sheet: RI",
        f"    rows: {{{profit}: 3, {equity}: 4}}",
        "    columns: {"
        + ", ".join(f"{y}: {column_letters(n)}" for n, y in enumerate(years, start=2))
        + "}",
    ]
    book.save(path)
    return "\n".join(mapping) + "\n", formulas


def excel_project(root: Path, out: Path, profile: Path) -> tuple[Path, Path]:
    """A sample copy whose COMPANY reads TABLES from a LibreOffice-computed workbook;
    returns the project and the workbook LibreOffice wrote."""
    project = copy_sample(root)
    folder = project / "data" / "companies" / COMPANY
    (out / "written").mkdir(parents=True)
    mapping, formulas = write_workbook(folder, out / "written" / "model.xlsx")
    assert formulas >= 20, formulas  # the engine computed a good share of the figures
    computed = recalculate(out / "written" / "model.xlsx", out / "computed", profile)
    (folder / "model.xlsx").write_bytes(computed.read_bytes())
    (folder / "excel.yaml").write_text(mapping, encoding="utf-8")
    for name in TABLES:
        (folder / f"{name}.csv").unlink()
    return project, computed


def test_a_workbook_company_builds_the_same_pdf_as_csv(tmp_path: Path, lo_profile: Path) -> None:  # noqa: F811
    csv_project = copy_sample(tmp_path / "csv")
    xlsx_project, computed = excel_project(tmp_path / "xlsx", tmp_path / "lo", lo_profile)
    # The workbook's cells hold the engine's values: a formula cell's cached value is there.
    cached = openpyxl.load_workbook(computed, data_only=True)["RI"]["C4"].value
    assert isinstance(cached, float)

    for project in (csv_project, xlsx_project):
        result = run_cli(["build", COMPANY], project)
        assert result.exit_code == 0, result.output
    same = (csv_project / "build" / f"{COMPANY}.pdf").read_bytes()
    assert (xlsx_project / "build" / f"{COMPANY}.pdf").read_bytes() == same
    html = (csv_project / "build" / f"{COMPANY}.html").read_bytes()
    assert (xlsx_project / "build" / f"{COMPANY}.html").read_bytes() == html

    # The checks read the workbook's tables as they read the CSV files.
    check = run_cli(["check"], xlsx_project)
    assert check.exit_code == 0, check.output
    assert "mismatch" not in check.output, check.output

    # Built and unchanged: up to date. The workbook edited (one typed figure changed and
    # recomputed): the report that reads it is stale, naming the workbook.
    status = run_cli(["status", COMPANY], xlsx_project)
    assert status.exit_code == 0, status.output
    assert "stale" not in status.output, status.output
    book = openpyxl.load_workbook(tmp_path / "lo" / "written" / "model.xlsx")
    book["RI"]["B3"] = 0.0
    book.save(tmp_path / "lo" / "edited.xlsx")
    edited = recalculate(tmp_path / "lo" / "edited.xlsx", tmp_path / "lo" / "again", lo_profile)
    folder = xlsx_project / "data" / "companies" / COMPANY
    (folder / "model.xlsx").write_bytes(edited.read_bytes())
    status = run_cli(["status", COMPANY], xlsx_project)
    assert status.exit_code == 0, status.output
    assert f"stale    {COMPANY}" in status.output, status.output
    assert "model.xlsx" in status.output, status.output
