"""validate_table: declared kinds, and every problem located by file, line and column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reportgen.data.dataset import load_dataset
from reportgen.data.schemas import Column, TableSchema
from reportgen.data.sources import RawRow, RawTable
from reportgen.data.validate import LINE, parse_cell, validate_table
from reportgen.errors import DataError, Problem

PRICING = "data/market/llm_pricing.csv"

SMALL = TableSchema(
    name="small",
    path="small.csv",
    key=("id",),
    columns=(
        Column("id", "int", nullable=False, minimum=1),
        Column("kind", "enum", nullable=False, choices=("a", "b")),
        Column("price", "number", minimum=0),
        Column("flag", "flag"),
        Column("day", "date"),
        Column("length", "str", pattern=r"^\d+K$"),
    ),
)


def table(header: tuple[str, ...], *rows: tuple[str, ...]) -> RawTable:
    """A RawTable as read_csv would return it: header on line 3 after two comment lines."""
    return RawTable(
        "data/small.csv",
        header,
        3,
        tuple(RawRow(4 + i, dict(zip(header, r, strict=True))) for i, r in enumerate(rows)),
    )


HEADER = ("id", "kind", "price", "flag", "day", "length")


# --- parse_cell and validate_table on small tables ------------------------------------------


def test_valid_rows_are_typed_and_keep_their_line() -> None:
    frame, problems = validate_table(
        table(HEADER, ("1", "a", "1,234.5", "Y", "2026-05-01", "128K"), ("2", "b", "", "", "", "")),
        SMALL,
    )
    assert problems == []
    assert list(frame.columns) == [LINE, *HEADER]
    assert frame[LINE].tolist() == [4, 5]
    assert frame["id"].tolist() == [1, 2]
    assert frame["price"].dtype == "float64"
    assert frame["price"].iloc[0] == 1234.5
    assert frame["price"].isna().iloc[1]
    assert frame["flag"].tolist() == [True, False]
    assert frame["day"].iloc[0] == dt.date(2026, 5, 1)
    assert frame["length"].iloc[0] == "128K"
    assert frame["length"].isna().iloc[1]


@pytest.mark.parametrize(
    ("column", "text", "phrase"),
    [
        (Column("n", "int"), "1.5", "not a whole number"),
        (Column("n", "int", minimum=1), "0", "below the minimum 1"),
        (Column("n", "number", minimum=0), "(2.5)", "below the minimum 0"),
        (Column("n", "number"), "abc", "expected a number such as"),
        (Column("n", "flag"), "y", "expected 'Y' or empty"),
        (
            Column("n", "enum", choices=("China", "Overseas")),
            "china",
            "not one of: China, Overseas",
        ),
        (Column("n", "date"), "01/05/2026", "expected YYYY-MM-DD"),
        (Column("n", "str", pattern=r"^\d+K$"), "128k", "does not match the expected form"),
    ],
)
def test_parse_cell_refuses_with_what_was_expected(column: Column, text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=phrase):
        parse_cell(column, text)


def test_every_problem_in_a_table_is_collected() -> None:
    _, problems = validate_table(
        table(
            HEADER,
            ("1", "c", "-1", "N", "2026-13-01", "12"),
            ("1", "", "x", "", "", ""),
        ),
        SMALL,
    )
    located = {(p.line, p.column) for p in problems}
    assert located == {
        (4, "kind"),
        (4, "price"),
        (4, "flag"),
        (4, "day"),
        (4, "length"),
        (5, "kind"),
        (5, "price"),
        (5, "id"),  # the duplicate key
    }
    assert all(p.path == "data/small.csv" for p in problems)


def test_header_problems_are_reported_on_the_header_line() -> None:
    _, problems = validate_table(
        table(("id", "kind", "price", "flag", "day", "colour"), ("1", "a", "", "", "", "red")),
        SMALL,
    )
    assert [(p.line, p.column) for p in problems] == [(3, "length"), (3, "colour")]
    assert "required column is missing" in problems[0].message
    assert (
        "unknown column; expected only: id, kind, price, flag, day, length" in problems[1].message
    )


def test_extra_column_kind_types_undeclared_columns() -> None:
    schema = TableSchema("m", "m.csv", (Column("vendor", "str", nullable=False),), key=("vendor",))
    status = Column("status", "enum", choices=("Day-0", "Day-0*"))
    frame, problems = validate_table(
        table(("vendor", "M1", "M2"), ("A", "Day-0", ""), ("B", "Day-0*", "Day-1")),
        schema,
        extra=status,
    )
    assert [(p.line, p.column) for p in problems] == [(5, "M2")]
    assert "'Day-1' is not one of: Day-0, Day-0*" in problems[0].message
    assert frame["M1"].tolist() == ["Day-0", "Day-0*"]
    assert frame["M2"].isna().iloc[0]


# --- the real pricing table, broken one way per test ----------------------------------------


def break_pricing(root: Path, model: str, column: str, value: str) -> int:
    """Set one cell of llm_pricing.csv by model name and column; return that row's file line."""
    path = root / "data/market/llm_pricing.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header_at = next(i for i, text in enumerate(lines) if text.startswith("row,"))
    header = lines[header_at].rstrip("\n").split(",")
    for i in range(header_at + 1, len(lines)):
        cells = lines[i].rstrip("\n").split(",")
        if cells[header.index("model")] == model:
            cells[header.index(column)] = value
            lines[i] = ",".join(cells) + "\n"
            path.write_text("".join(lines), encoding="utf-8")
            return i + 1
    raise AssertionError(f"no row for {model}")


def header_line(root: Path) -> int:
    text = (root / "data/market/llm_pricing.csv").read_text(encoding="utf-8")
    return next(i + 1 for i, line in enumerate(text.splitlines()) if line.startswith("row,"))


def problems_for(root: Path) -> list[Problem]:
    with pytest.raises(DataError) as exc:
        load_dataset(root / "data")
    return exc.value.problems


def only_problem(root: Path) -> Problem:
    problems = problems_for(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_wrong_type_in_numeric_column(project_copy: Path) -> None:
    line = break_pricing(project_copy, "Kimi K2.6", "input_usd", "abc")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PRICING, line, "input_usd")
    assert "'abc' is not a number; expected a number such as 1,234.5" in problem.message
    assert f"{PRICING}:{line}: column 'input_usd': 'abc'" in str(problem)


@pytest.mark.parametrize("price", ["-3.48", "(3.48)"])
def test_negative_price(project_copy: Path, price: str) -> None:
    line = break_pricing(project_copy, "DeepSeek V4 Pro", "output_usd", price)
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PRICING, line, "output_usd")
    assert "below the minimum 0" in problem.message


def test_missing_required_column(project_copy: Path) -> None:
    path = project_copy / "data/market/llm_pricing.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = header_line(project_copy) - 1
    index = lines[at].split(",").index("output_usd")
    for i in range(at, len(lines)):
        cells = lines[i].split(",")
        del cells[index]
        lines[i] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (
        PRICING,
        header_line(project_copy),
        "output_usd",
    )
    assert "required column is missing from the header" in problem.message


def test_unknown_column(project_copy: Path) -> None:
    path = project_copy / "data/market/llm_pricing.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = header_line(project_copy) - 1
    lines[at] += ",notes"
    for i in range(at + 1, len(lines)):
        lines[i] += ","
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PRICING, at + 1, "notes")
    assert "unknown column; expected only: row, region, provider" in problem.message


def test_empty_required_cell(project_copy: Path) -> None:
    line = break_pricing(project_copy, "Grok 4.2", "input_usd", "")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PRICING, line, "input_usd")
    assert "empty cell; a value is required" in problem.message


def test_empty_optional_cell_is_fine(project_copy: Path) -> None:
    break_pricing(project_copy, "Grok 4.2", "cache_read_usd", "")
    assert load_dataset(project_copy / "data").table("llm_pricing")["cache_read_usd"].isna().any()


def test_duplicate_key_row(project_copy: Path) -> None:
    first = break_pricing(project_copy, "Kimi K2.6", "row", "19")
    line = break_pricing(project_copy, "Kimi K2.5", "row", "19")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PRICING, line, "row")
    assert f"duplicate key 19 (first on line {first})" in problem.message


def test_several_problems_in_one_file_are_all_reported(project_copy: Path) -> None:
    a = break_pricing(project_copy, "Kimi K2.6", "input_usd", "abc")
    b = break_pricing(project_copy, "Command R", "region", "Europe")
    c = break_pricing(project_copy, "Grok 4.2", "context_length", "2 million")
    problems = problems_for(project_copy)
    assert {(p.line, p.column) for p in problems} == {
        (a, "input_usd"),
        (b, "region"),
        (c, "context_length"),
    }
    assert all(p.path == PRICING for p in problems)


# --- control characters, characters no font has, whole numbers too large ----------------

GLYPHS = frozenset(range(0x20, 0x7F))  # a font set that has printable ASCII only


@pytest.mark.parametrize(
    ("column", "text", "code"),
    [
        ("length", "12\x0cK", "U+000C"),
        ("kind", "a\x00", "U+0000"),
        ("price", "1.5\x1b", "U+001B"),  # numeric cells too: the message says why
        ("length", "\x85", "U+0085"),
        ("length", "12\u202eK", "U+202E"),
    ],
)
def test_a_control_character_is_refused_at_its_cell(column: str, text: str, code: str) -> None:
    row = dict(zip(HEADER, ("1", "a", "1", "", "", "12K"), strict=True))
    row[column] = text
    _, problems = validate_table(table(HEADER, tuple(row.values())), SMALL, glyphs=GLYPHS)
    assert [(p.path, p.line, p.column) for p in problems] == [("data/small.csv", 4, column)]
    assert f"character {code} not allowed (only tab and line breaks are)" in problems[0].message


def test_a_character_no_font_has_is_refused_in_text_cells_and_column_names() -> None:
    schema = TableSchema("t", "t.csv", (Column("name", "str"), Column("n", "number")))
    _, problems = validate_table(
        table(("name", "n"), ("caf\u00e9", "1"), ("tab\there", "2")), schema, glyphs=GLYPHS
    )
    assert [(p.line, p.column) for p in problems] == [(4, "name")]
    assert problems[0].message.startswith(
        "character '\u00e9' (U+00E9) has no glyph in templates/fonts/ and would print as a box"
    )
    extra = Column("x", "enum", choices=("A\ue000",))
    _, problems = validate_table(table(("name", "M\ue000"), ("a", "")), schema, extra, GLYPHS)
    assert [(p.line, p.column) for p in problems] == [(3, "M\ue000")]
    assert problems[0].message.startswith("column name: character '\ue000' (U+E000)")
    # without a coverage (no fonts given) only control characters are checked
    assert validate_table(table(("name", "n"), ("caf\u00e9", "1")), schema)[1] == []


@pytest.mark.parametrize("text", ["1" + "0" * 15, "9" * 5000, "-" + "9" * 16])
def test_a_whole_number_of_1e15_or_more_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is too large; expected a whole number below 1,000,"):
        parse_cell(Column("n", "int"), text)
    assert parse_cell(Column("n", "int"), "0" * 20 + "7") == 7


def test_the_sample_data_passes_the_shipped_fonts() -> None:
    """Every text cell of the samples has a glyph (load_dataset checks templates/fonts)."""
    ds = load_dataset(Path(__file__).resolve().parents[2] / "data")
    assert "llm_pricing" in ds.names
