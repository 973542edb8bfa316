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


# --- YAML: numbers, anchors, nesting, size and control characters are bounded ------------


def refused(text: str) -> tuple[int | None, str | None, str]:
    """The one problem load_yaml_text reports for ``text``: (line, key, message)."""
    with pytest.raises(DataError) as exc:
        load_yaml_text(text, "data/t.yaml")
    (problem,) = exc.value.problems
    assert problem.path == "data/t.yaml"
    return problem.line, problem.column, problem.message


@pytest.mark.parametrize(
    "literal", ["1e400", "-1.0E400", "1e15", "1_000_000_000_000_000", "9" * 400, "-" + "9" * 16]
)
def test_yaml_numbers_beyond_1e15_or_infinite_are_refused(literal: str) -> None:
    line, key, message = refused(f"a: 1\nprice: {literal}\n")
    assert (line, key) == (2, "price")
    assert "is too large; expected a number below 1,000,000,000,000,000" in message
    assert len(message) < 160  # a 400-digit number is shortened in the message


def test_yaml_number_that_would_be_held_as_zero_is_refused() -> None:
    assert refused("x:\n  y: [1, 1e-400]\n") == (
        2,
        "y",
        "number 1e-400 is too close to zero to be held; expected 0 or a larger number",
    )


@pytest.mark.parametrize(
    ("literal", "expected"),
    [("999999999999999", 999999999999999), ("-1.5e14", -1.5e14), ("0e9", 0.0), (".inf", ".inf")],
)
def test_yaml_numbers_within_bounds_load(literal: str, expected: object) -> None:
    value = load_yaml_text(f"v: {literal}\n", "data/t.yaml")["v"]
    assert value == expected and type(value) is type(expected)


def test_yaml_anchor_and_alias_are_refused_before_any_expansion() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n"
        for p, k in zip("abcdefgh", "bcdefghi", strict=True)
    )
    line, key, message = refused(laughs)
    assert (line, key) == (1, "a")
    assert message.startswith("anchor &a: anchors and aliases are not accepted")
    assert refused("a: [1]\nb: *a\n")[:2] == (2, "b")  # an alias to an unknown anchor


@pytest.mark.parametrize("depth", [101, 5000])
def test_yaml_nesting_is_bounded(depth: int) -> None:
    line, key, message = refused(f"k: 1\nextra: {'[' * depth}{']' * depth}\n")
    assert (line, key) == (2, "extra")
    assert message == "lists and mappings nested more than 100 deep"


def test_yaml_nesting_of_100_loads() -> None:
    doc = load_yaml_text("extra: " + "{a: " * 99 + "1" + "}" * 99 + "\n", "data/t.yaml")
    for _ in range(100):  # the top mapping, then 99 nested ones
        doc = doc["extra" if "extra" in doc else "a"]
    assert doc == 1


def test_yaml_over_one_megabyte_is_refused() -> None:
    text = "# " + "x" * 1_000_000 + "\n"
    line, key, message = refused(text)
    assert (line, key) == (None, None)
    assert message == (
        "1,000,003 characters; a YAML file may hold at most 1,000,000 characters (1 MB)"
    )


@pytest.mark.parametrize(
    ("text", "line", "key", "code"),
    [
        ("a: 1\nname: x\x0cy\n", 2, "name", "U+000C"),  # raw: refused by YAML's reader
        ('a: 1\nname: "x\\fy"\n', 2, "name", "U+000C"),  # escaped: refused by the loader
        ('list:\n  - ok\n  - "\\e[2J"\n', 3, "list", "U+001B"),
        ('t: "\\x7f"\n', 1, "t", "U+007F"),
        ('t: "\\x9b"\n', 1, "t", "U+009B"),
        ('t: "abc\\u202Edef"\n', 1, "t", "U+202E"),
        ('t: "\\u2066x"\n', 1, "t", "U+2066"),
    ],
)
def test_yaml_control_characters_are_refused_at_their_key(
    text: str, line: int, key: str, code: str
) -> None:
    found_line, found_key, message = refused(text)
    assert (found_line, found_key) == (line, key)
    assert f"character {code} not allowed (only tab and line breaks are)" in message


def test_yaml_tab_and_line_breaks_in_strings_load() -> None:
    doc = load_yaml_text('a: "x\\ty"\nb: |\n  one\n  two\n', "data/t.yaml")
    assert doc == {"a": "x\ty", "b": "one\ntwo\n"}


def test_csv_over_twenty_megabytes_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "name,value\n" + "a,1\n" * 5_000_001)
    with pytest.raises(DataError) as exc:
        read_csv(path, "data/t.csv")
    (problem,) = exc.value.problems
    assert (problem.path, problem.line) == ("data/t.csv", None)
    assert "a CSV file may hold at most 20,000,000 characters (20 MB)" in problem.message


@pytest.mark.parametrize("separator", ["\x0c", "\x85", "\u2028", "\x1c"])
def test_csv_comment_holding_a_unicode_line_separator_stays_one_comment(
    tmp_path: Path, separator: str
) -> None:
    path = write(tmp_path, "t.csv", f"# page one{separator}page two\nname,value\na,1\nb,2,3\n")
    raw = read_csv(path, "data/t.csv")
    assert raw.comments == (f"page one{separator}page two",)
    assert (raw.header, raw.header_line) == (("name", "value"), 2)
    assert problems_of(shape_of(raw)) == [("data/t.csv", 4, None)]
