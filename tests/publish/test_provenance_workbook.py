"""Values read from the analyst's workbook are named by their cell wherever a company table
value is located: provenance origins, `reportgen check` mismatches, unacknowledged
differences; acknowledgements match them by the workbook or by the table's CSV name; values
read from CSV files keep their file, line and column."""

from __future__ import annotations

import json
import math
from pathlib import Path

import openpyxl
import pytest

from reportgen.checks import find_mismatches
from reportgen.checks.acknowledged import review, unacknowledged
from reportgen.checks.mismatch import Mismatch
from reportgen.data.dataset import Dataset, load_dataset
from reportgen.data.excel import column_letters
from reportgen.data.locate import Place, split_sheet_cell, table_shown, value_place
from reportgen.data.provenance import origin_of, printing_in
from reportgen.figures.company_tables import earnings_estimates, financial_statements
from reportgen.formatting import Printed, printed_numbers
from reportgen.plan import provenance_path
from reportgen.project import Project
from reportgen.publish.provenance import dataset_index
from reportgen.reports.initiation import Statements
from reportgen.reports.queries import QueryError
from tests.conftest import run_cli
from tests.test_excel_build import read_table
from tests.tools import REPO, copy_sample

COMPANY = "iluvatar"
FOLDER = f"data/companies/{COMPANY}"
BOOK = f"{FOLDER}/model.xlsx"
#: Two figures changed in the workbook (not in the sample data) so that each is a difference
#: `reportgen check` lists: Exhibit 33's 2026E gross margin (51.4 in the CSV; gross profit /
#: revenue = 1571.6 / 3060.0 = 51.36%) and the RI table's 2027 ROAE (23.5 in the CSV).
GROSS_MARGIN_2026E = 60.0
ROAE_2027 = 30.0
#: Where write_workbook puts them, worked out by hand: estimates rows from 5 in the CSV's
#: order (gross_margin_pct_published is the 7th line item: row 11), periods from column C
#: (1H25 C ... 2H28E J, 2025 K, 2026E L); RI rows 3-7 (roae_pct the 3rd column: row 5),
#: years from column B (2026 B, 2027 C).
MARGIN_CELL = ("Estimates", "L11")
ROAE_CELL = ("RI", "C5")
INCREMENTAL_2H25_CELL = ("Estimates", "D12")  # incremental_margin_pct_published, 2H25


def write_workbook(folder: Path) -> str:
    """Iluvatar's half-year estimates and published RI table as typed figures in model.xlsx
    (grid form; no formulas, so no spreadsheet engine is needed), with the two changed
    figures above; returns excel.yaml's text."""
    book = openpyxl.Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    header, rows = read_table(folder / "estimates_half_year.csv")
    sheet = book.create_sheet("Estimates")
    periods = header[1:]
    letters = {p: column_letters(n) for n, p in enumerate(periods, start=3)}
    for r, row in enumerate(rows, start=5):
        sheet[f"A{r}"] = row[0]
        for period, text in zip(periods, row[1:], strict=True):
            if text:
                changed = row[0] == "gross_margin_pct_published" and period == "2026E"
                sheet[f"{letters[period]}{r}"] = GROSS_MARGIN_2026E if changed else float(text)
    mapping = [
        "workbook: model.xlsx",
        "tables:",
        "  estimates_half_year:",
        "    sheet: Estimates",
        "    rows: {" + ", ".join(f"{row[0]}: {r}" for r, row in enumerate(rows, start=5)) + "}",
        "    columns: {" + ", ".join(f"{p}: {letters[p]}" for p in periods) + "}",
    ]
    header, rows = read_table(folder / "ri_published.csv")
    sheet = book.create_sheet("RI")
    columns = header[1:]  # year first, then the published columns
    years = [row[0] for row in rows]
    for r, column in enumerate(columns, start=3):
        sheet[f"A{r}"] = column
        for n, row in enumerate(rows, start=2):
            text = row[header.index(column)]
            if text:
                changed = column == "roae_pct" and row[0] == "2027"
                sheet[f"{column_letters(n)}{r}"] = ROAE_2027 if changed else float(text)
    mapping += [
        "  ri_published:",
        "    sheet: RI",
        "    rows: {" + ", ".join(f"{c}: {r}" for r, c in enumerate(columns, start=3)) + "}",
        "    columns: {"
        + ", ".join(f"{y}: {column_letters(n)}" for n, y in enumerate(years, start=2))
        + "}",
    ]
    book.save(folder / "model.xlsx")
    (folder / "estimates_half_year.csv").unlink()
    (folder / "ri_published.csv").unlink()
    return "\n".join(mapping) + "\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample copy whose iluvatar reads two tables from model.xlsx (data/acknowledged.yaml
    as the sample has it: its entries name estimates_half_year.csv)."""
    root = copy_sample(tmp_path_factory.mktemp("workbook") / "project", templates=False)
    folder = root / FOLDER
    (folder / "excel.yaml").write_text(write_workbook(folder), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def ds(project: Path) -> Dataset:
    return load_dataset(project / "data")


@pytest.fixture(scope="module")
def sample() -> Dataset:
    return load_dataset(REPO / "data")


def cell_value(project: Path, sheet: str, cell: str) -> float:
    value = openpyxl.load_workbook(project / BOOK, data_only=True)[sheet][cell].value
    assert isinstance(value, int | float)  # 60.0 is saved as 60 and read back as an int
    return float(value)


# --- the locator -------------------------------------------------------------------------


def test_a_place_names_a_workbook_cell_or_a_csv_line() -> None:
    book = Place(BOOK, None, "2026E", f"{FOLDER}/estimates_half_year.csv", "IS", "D14")
    assert str(book) == f"{BOOK}: sheet 'IS'!D14"
    assert book.origin() == {"file": BOOK, "sheet": "IS", "cell": "D14"}
    csv = Place(f"{FOLDER}/cash_flow.csv", 24, "2025", f"{FOLDER}/cash_flow.csv")
    assert str(csv) == f"{FOLDER}/cash_flow.csv:24: column '2025'"
    assert csv.origin() == {"file": f"{FOLDER}/cash_flow.csv", "row": 24, "column": "2025"}
    assert csv.where() is None and not csv.in_workbook and book.in_workbook
    # excel.py records "IS!D14"; a sheet name may hold '!', a cell reference never does.
    assert split_sheet_cell("IS!D14") == ("IS", "D14")
    assert split_sheet_cell("P&L 2026!Q!D14") == ("P&L 2026!Q", "D14")


def test_value_place_is_the_workbook_cell_holding_the_value(project: Path, ds: Dataset) -> None:
    company = ds.companies[COMPANY]
    where = value_place(company, "estimates_half_year", "gross_margin_pct_published", "2026E", 3)
    assert (where.file, where.line, (where.sheet, where.cell)) == (BOOK, None, MARGIN_CELL)
    assert where.table_file == f"{FOLDER}/estimates_half_year.csv"
    assert cell_value(project, *MARGIN_CELL) == GROSS_MARGIN_2026E
    frame = company.tables["estimates_half_year"]
    row = frame.loc[frame["line_item"] == "gross_margin_pct_published"].iloc[0]
    assert row["2026E"] == GROSS_MARGIN_2026E
    # A keyed table: the item is its column, the period its year.
    ri = value_place(company, "ri_published", "roae_pct", "2027")
    assert (ri.file, ri.sheet, ri.cell, ri.column) == (BOOK, *ROAE_CELL, "roae_pct")
    assert cell_value(project, *ROAE_CELL) == ROAE_2027
    # A value the mapping does not give is in the workbook still, at no CSV line.
    unmapped = value_place(company, "ri_published", "roae_pct", "1999", 5)
    assert (unmapped.file, unmapped.line, unmapped.cell) == (BOOK, None, None)
    # A table still read from CSV: its file, the row's line, the period column.
    cash = value_place(company, "cash_flow", "net_change_in_cash", "2025", 24.0)
    assert cash == Place(f"{FOLDER}/cash_flow.csv", 24, "2025", f"{FOLDER}/cash_flow.csv")
    assert table_shown(company, "cash_flow") == f"{FOLDER}/cash_flow.csv"
    assert table_shown(company, "ri_published") == (
        f"{BOOK} (tables.ri_published of {FOLDER}/excel.yaml)"
    )


# --- reportgen check and acknowledgements -----------------------------------------------


def named(found: list[Mismatch], row: str, column: str) -> Mismatch:
    (m,) = [m for m in found if (m.row, m.column) == (row, column)]
    return m


def test_a_check_mismatch_of_a_workbook_value_names_its_cell(ds: Dataset) -> None:
    found = find_mismatches(ds)
    margin = named(found, "gross_margin_pct_published", "2026E")
    assert str(margin).startswith(
        f"{BOOK}: sheet 'Estimates'!L11: gross_margin_pct_published: column '2026E': "
        "published 60, computed 51.3595"  # 100 x 1571.6 / 3060.0 = 51.3595
    ), margin
    assert margin.line is None and margin.cell == "sheet 'Estimates'!L11"
    roae = named(found, "2027", "roae_pct")
    assert str(roae).startswith(f"{BOOK}: sheet 'RI'!C5: 2027: column 'roae_pct': published 30,")
    # Every difference in the moved tables names the workbook, none a CSV line.
    moved = [m for m in found if m.table_file is not None]
    assert {m.table_file for m in moved} == {
        f"{FOLDER}/estimates_half_year.csv",
        f"{FOLDER}/ri_published.csv",
    }
    assert all(m.path == BOOK and m.cell for m in moved)
    assert not [m for m in found if "estimates_half_year.csv" in str(m)]
    assert not [m for m in found if "ri_published.csv" in str(m)]


def test_csv_mismatches_are_unchanged(ds: Dataset, sample: Dataset) -> None:
    def csv_mismatches(dataset: Dataset) -> list[str]:
        moved = (f"{FOLDER}/estimates_half_year.csv", f"{FOLDER}/ri_published.csv")
        return sorted(str(m) for m in find_mismatches(dataset) if m.path not in (*moved, BOOK))

    before = csv_mismatches(sample)
    assert before == csv_mismatches(ds)
    # The sample's cash flow difference, at its CSV line as before.
    assert any(s.startswith(f"{FOLDER}/cash_flow.csv:24: net_change_in_cash:") for s in before)
    assert all(m.cell is None and m.table_file is None for m in find_mismatches(sample))


def test_acknowledgements_match_a_workbook_table_by_the_workbook_or_the_csv_name(
    project: Path, ds: Dataset
) -> None:
    found = find_mismatches(ds)
    sorted_ = review(Project(project), ds, found)
    # The sample's entry names estimates_half_year.csv: it still covers the table's values
    # now read from the workbook, and is not stale.
    incremental = named(found, "incremental_margin_pct_published", "2H25")
    assert incremental.cell == "sheet '{}'!{}".format(*INCREMENTAL_2H25_CELL)
    covered = {(m.row, m.column): ack for m, ack in sorted_.acknowledged}
    ack = covered[("incremental_margin_pct_published", "2H25")]
    assert ack.file == f"{FOLDER}/estimates_half_year.csv"
    assert not sorted_.stale
    assert {(m.row, m.column) for m in sorted_.unacknowledged} == {
        ("gross_margin_pct_published", "2026E"),
        ("2027", "roae_pct"),
    }

    # A build that read the workbook lists both, named by their cells (the workbook is what
    # the build read: a CSV name would not be among its files).
    read = [BOOK, f"{FOLDER}/excel.yaml", f"{FOLDER}/company.yaml"]
    problems = sorted(str(p) for p in unacknowledged(Project(project), ds, read))
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        f"{BOOK}: sheet 'Estimates'!L11: gross_margin_pct_published: column '2026E': "
        "published 60 differs from computed 51.3595"
    ), problems
    assert problems[1].startswith(f"{BOOK}: sheet 'RI'!C5: 2027: column 'roae_pct':"), problems

    # Acknowledged by the workbook's name (as check prints it) or the table's CSV name.
    ack_file = project / "data" / "acknowledged.yaml"
    original = ack_file.read_text(encoding="utf-8")
    try:
        ack_file.write_text(
            original + f"- file: {BOOK}\n  row: gross_margin_pct_published\n  column: 2026E\n"
            "  published: 60\n  reason: a test figure\n"
            f"- file: {FOLDER}/ri_published.csv\n  row: 2027\n  column: roae_pct\n"
            "  reason: a test figure\n",
            encoding="utf-8",
        )
        again = review(Project(project), ds, found)
        assert not again.unacknowledged and not again.stale
        assert unacknowledged(Project(project), ds, read) == []
    finally:
        ack_file.write_text(original, encoding="utf-8")


# --- provenance --------------------------------------------------------------------------


def test_a_table_exhibit_records_the_workbook_cell_of_each_value(
    project: Path, ds: Dataset
) -> None:
    with printed_numbers() as printed, printing_in("exhibit earnings-estimates"):
        earnings_estimates(ds, {"company": COMPANY, "table": "estimates_half_year"})
    origins = [p.origin for p in printed if p.origin is not None]
    assert len(origins) > 100  # 16 line items x 12 periods, less the empty cells
    assert all(set(o) == {"file", "sheet", "cell"} and o["file"] == BOOK for o in origins)
    margin = [p for p in printed if p.origin == {"file": BOOK, "sheet": "Estimates", "cell": "L11"}]
    assert [(p.value, p.text) for p in margin] == [(60.0, "60.0%")]
    # Each origin names the cell that holds the printed value.
    book = openpyxl.load_workbook(project / BOOK, data_only=True)
    for p in printed:
        if p.origin is not None:
            assert math.isclose(book[p.origin["sheet"]][p.origin["cell"]].value, p.value)


def test_csv_values_keep_their_file_line_and_column(ds: Dataset, sample: Dataset) -> None:
    def origins(dataset: Dataset) -> list[object]:
        with printed_numbers() as printed, printing_in("exhibit financial-statements"):
            financial_statements(dataset, {"company": COMPANY, "statement": "cash_flow"})
        return [p.origin for p in printed]

    mine = origins(ds)
    assert mine == origins(sample)
    # Hand-checked: net change in cash 2025 (1,197.1) is line 24, column 2025.
    assert {"file": f"{FOLDER}/cash_flow.csv", "row": 24, "column": "2025"} in mine


def test_a_prose_query_carries_the_workbook_cell(ds: Dataset, sample: Dataset) -> None:
    value = Statements(ds.companies[COMPANY]).value(
        "estimates_half_year", "gross_margin_pct_published", "2026E"
    )
    assert value == GROSS_MARGIN_2026E
    assert origin_of(value) == {"file": BOOK, "sheet": "Estimates", "cell": "L11"}
    csv = Statements(sample.companies[COMPANY]).value(
        "estimates_half_year", "gross_margin_pct_published", "2026E"
    )
    # Line 21 of the CSV: 13 comment lines, the header, then the 7th line item.
    assert origin_of(csv) == {
        "file": f"{FOLDER}/estimates_half_year.csv",
        "row": 21,
        "column": "2026E",
    }
    with pytest.raises(QueryError, match=r"no line_item 'nope' in .*model\.xlsx \(tables\."):
        Statements(ds.companies[COMPANY]).value("estimates_half_year", "nope", "2026E")


def test_value_matches_name_workbook_cells_of_a_workbook_the_report_read(ds: Dataset) -> None:
    wanted = {"file": BOOK, "sheet": "RI", "cell": "C5"}
    roae = Printed(ROAE_2027, "pct", 1, "30.0%", "%")
    read = {BOOK}
    assert wanted in dataset_index(ds, read).candidates(roae)
    # Not read: not a candidate; and no candidate names a CSV file that was not read.
    assert wanted not in dataset_index(ds, {f"{FOLDER}/company.yaml"}).candidates(roae)
    found = dataset_index(ds, read | {f"{FOLDER}/ri_published.csv"}).candidates(roae)
    assert all(c["file"] == BOOK for c in found)


# --- end to end --------------------------------------------------------------------------


@pytest.mark.e2e
def test_a_build_and_check_name_the_workbook_cells(project: Path) -> None:
    result = run_cli(["build", COMPANY], project)
    assert result.exit_code == 0, result.output
    # The build's difference gate sees the workbook's values (it read the workbook).
    assert f"warning: {BOOK}: sheet 'Estimates'!L11: gross_margin_pct_published" in (
        result.output
    ), result.output
    doc = json.loads(provenance_path(type("P", (), {"root": project}), COMPANY).read_bytes())
    origins = [n["origin"] for n in doc["numbers"]]
    margin = {"file": BOOK, "sheet": "Estimates", "cell": "L11"}
    assert any(n["origin"] == margin and n["text"] == "60.0%" for n in doc["numbers"])
    in_book = [o for o in origins if o.get("file") == BOOK]
    assert len(in_book) > 100, len(in_book)
    # No origin, carried or matched, names a moved table's CSV file.
    text = json.dumps(doc)
    assert "estimates_half_year.csv" not in text and "ri_published.csv" not in text
    # Values still read from CSV keep their file and line.
    assert {"file": f"{FOLDER}/cash_flow.csv", "row": 24, "column": "2025"} in origins

    check = run_cli(["check"], project)
    assert f"mismatch: {BOOK}: sheet 'Estimates'!L11: gross_margin_pct_published" in (
        check.output
    ), check.output
    assert f"mismatch: {BOOK}: sheet 'RI'!C5: 2027: column 'roae_pct'" in check.output
    assert f"acknowledged: {BOOK}: sheet 'Estimates'!D12: incremental_margin" in check.output
    assert "stale" not in check.output, check.output
