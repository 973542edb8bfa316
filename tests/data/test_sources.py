"""Readers: CSV and YAML keep the file line of every value and refuse ambiguous input."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.data.sources import (
    LocDict,
    LocList,
    RawTable,
    line_of,
    load_yaml_text,
    read_csv,
    read_yaml,
)
from reportgen.errors import DataError


def write(tmp_path: Path, name: str, data: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def problems_of(exc: pytest.ExceptionInfo[DataError]) -> list[tuple[str, int | None, str | None]]:
    return [(p.path, p.line, p.column) for p in exc.value.problems]


class _Shape:
    """The shape problems of a RawTable, shaped like pytest's ExceptionInfo for these tests."""

    def __init__(self, raw: RawTable) -> None:
        self.value = DataError(list(raw.shape_problems))


def shape_of(raw: RawTable) -> _Shape:
    return _Shape(raw)


# --- CSV -----------------------------------------------------------------------------------


def test_csv_comments_are_kept_and_rows_carry_their_file_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "# source: broker\n# units: US$\nname,value\na,1\nb,2\nc,3\n")
    table = read_csv(path, "data/t.csv")
    assert table.comments == ("source: broker", "units: US$")
    assert table.header == ("name", "value")
    assert table.header_line == 3
    assert [(r.line, r.cells["name"]) for r in table.rows] == [(4, "a"), (5, "b"), (6, "c")]


def test_csv_cells_stay_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "ticker,value\nNA,(1.20)\n")
    (row,) = read_csv(path, "data/t.csv").rows
    assert row.cells == {"ticker": "NA", "value": "(1.20)"}


def test_csv_problem_on_third_data_row_reports_the_file_line(tmp_path: Path) -> None:
    # 2 comment lines + header = line 3; data rows are lines 4, 5, 6.
    path = write(tmp_path, "t.csv", "# one\n# two\nname,value\na,1\nb,2\nc,3,extra\n")
    # Rows of the wrong shape are kept aside: the schema step reports them after any
    # header problem (a wrong header would make every row look wrong).
    exc = shape_of(read_csv(path, "data/t.csv"))
    assert problems_of(exc) == [("data/t.csv", 6, None)]
    assert "expected 2 cells as in the header, found 3" in exc.value.problems[0].message


def test_csv_blank_lines_still_count_towards_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "# one\n\nname,value\n\na,1\nb\n")
    # Rows of the wrong shape are kept aside: the schema step reports them after any
    # header problem (a wrong header would make every row look wrong).
    exc = shape_of(read_csv(path, "data/t.csv"))
    assert problems_of(exc) == [("data/t.csv", 6, None)]


def test_csv_crlf_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", b"# c\r\nname,value\r\na,1\r\nb\r\n")
    # Rows of the wrong shape are kept aside: the schema step reports them after any
    # header problem (a wrong header would make every row look wrong).
    exc = shape_of(read_csv(path, "data/t.csv"))
    assert problems_of(exc) == [("data/t.csv", 4, None)]


def test_csv_too_few_cells_reported_with_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b,c\n1,2\n")
    # Rows of the wrong shape are kept aside: the schema step reports them after any
    # header problem (a wrong header would make every row look wrong).
    exc = shape_of(read_csv(path, "data/t.csv"))
    assert problems_of(exc) == [("data/t.csv", 2, None)]
    assert "expected 3 cells" in exc.value.problems[0].message
    assert "found 2" in exc.value.problems[0].message


def test_csv_every_bad_row_is_reported_not_just_the_first(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1\n2,3\n4,5,6\n")
    # Rows of the wrong shape are kept aside: the schema step reports them after any
    # header problem (a wrong header would make every row look wrong).
    exc = shape_of(read_csv(path, "data/t.csv"))
    assert [p.line for p in exc.value.problems] == [2, 4]


def test_csv_duplicate_header_names(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "# note\nyear,units,year,share,units\n2025,1,2025,3,4\n")
    with pytest.raises(DataError) as exc:
        read_csv(path, "data/t.csv")
    assert problems_of(exc) == [("data/t.csv", 2, "units"), ("data/t.csv", 2, "year")]
    assert all("appears twice" in p.message for p in exc.value.problems)


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "name,value\ncafé,1\n".encode("latin-1"))
    with pytest.raises(DataError) as exc:
        read_csv(path, "data/t.csv")
    (problem,) = exc.value.problems
    assert problem.path == "data/t.csv"
    assert "not UTF-8" in problem.message


def test_csv_only_comments_is_an_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "# nothing here\n\n")
    with pytest.raises(DataError, match="empty"):
        read_csv(path, "data/t.csv")


def test_csv_malformed_quoting_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", '# c\na,b\n"x"y,2\n')
    with pytest.raises(DataError) as exc:
        read_csv(path, "data/t.csv")
    assert problems_of(exc) == [("data/t.csv", 3, None)]
    assert "malformed CSV" in exc.value.problems[0].message


def test_csv_byte_order_mark_is_not_part_of_the_first_column_name(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "\ufeffname,value\na,1\n".encode())
    assert read_csv(path, "data/t.csv").header == ("name", "value")


# --- YAML ----------------------------------------------------------------------------------


def test_yaml_duplicate_key_names_both_lines() -> None:
    text = "name: a\nvendors:\n  - x\nname: b\n"
    with pytest.raises(DataError) as exc:
        load_yaml_text(text, "data/t.yaml")
    (problem,) = exc.value.problems
    assert (problem.path, problem.line, problem.column) == ("data/t.yaml", 4, "name")
    assert "first defined on line 1" in problem.message


def test_yaml_duplicate_key_in_nested_mapping() -> None:
    text = "top:\n  inner:\n    a: 1\n    b: 2\n    a: 3\n"
    with pytest.raises(DataError) as exc:
        load_yaml_text(text, "data/t.yaml")
    (problem,) = exc.value.problems
    assert (problem.line, problem.column) == (5, "a")
    assert "first defined on line 3" in problem.message


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("off", "off"),
        ("0123", "0123"),
        ("007", "007"),
        ("2026-05-01", "2026-05-01"),
        ("1.5", 1.5),
        ("-2.25", -2.25),
        ("12", 12),
        ("true", True),
        ("false", False),
        ("~", None),
    ],
)
def test_yaml_scalars_are_typed_conservatively(literal: str, expected: object) -> None:
    value = load_yaml_text(f"v: {literal}\n", "data/t.yaml")["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_yaml_keys_and_list_items_remember_their_lines() -> None:
    text = (
        "# comment\nas_of: 2026-05-01\nvendors:\n  - Cambricon\n\n  - MetaX\n"
        "models:\n  - {name: A}\n"
    )
    doc = load_yaml_text(text, "data/t.yaml")
    assert isinstance(doc, LocDict)
    assert doc.lines == {"as_of": 2, "vendors": 3, "models": 7}
    assert isinstance(doc["vendors"], LocList)
    assert doc["vendors"].lines == [4, 6]
    assert line_of(doc, "models") == 7
    assert line_of(doc["vendors"], 1) == 6
    assert line_of(doc["models"][0], "name") == 8
    assert line_of(doc, "missing") == doc.line  # falls back to the node itself


def test_yaml_syntax_error_is_located() -> None:
    with pytest.raises(DataError) as exc:
        load_yaml_text("a: 1\nb: [1, 2\nc: 3\n", "data/t.yaml")
    (problem,) = exc.value.problems
    assert problem.path == "data/t.yaml"
    assert problem.line is not None and problem.line >= 2
    assert "invalid YAML" in problem.message


def test_read_yaml_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "name: café\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        read_yaml(path, "data/t.yaml")


def test_read_yaml_reads_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "# c\nticker: NA\nshares: 0123\n")
    assert read_yaml(path, "data/t.yaml") == {"ticker": "NA", "shares": "0123"}
