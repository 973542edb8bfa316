"""Declared schemas: a project's table declaration read into the same TableSchema as ours."""

from __future__ import annotations

import pytest

from reportgen.data.numbers import NumberRule
from reportgen.data.schemas import SCHEMAS, Column, _data_path, declared_schemas
from reportgen.errors import Problem


def test_a_declaration_reads_into_the_built_in_shape() -> None:
    spec = {
        "file": "data/x/rates.csv",
        "key": ["year"],
        "columns": {
            "year": {"type": "year"},
            "rate_pct": {"type": "number", "unit": "%", "required": True},
            "price": {"type": "number", "unit": "US$"},
            "name": {"type": "text", "description": "who"},
            "day": {"type": "date"},
        },
    }
    schemas, problems = declared_schemas({"rates": spec}, "reportgen.yaml")
    assert problems == []
    schema = schemas["rates"]
    assert (schema.name, schema.path, schema.key) == ("rates", "x/rates.csv", ("year",))
    assert schema.column("year") == Column("year", "int", nullable=False, minimum=1000)
    assert schema.column("rate_pct").rule == NumberRule(percent=True)
    assert not schema.column("rate_pct").nullable
    assert schema.column("price").rule == NumberRule(currency=True)
    assert schema.column("name") == Column("name", "str", description="who")
    assert schema.column("day").kind == "date"
    assert schema.origin == "reportgen.yaml"  # no line: a plain dict, not read from YAML


@pytest.mark.parametrize(
    ("file", "path"),
    [
        ("data/a.csv", "a.csv"),
        ("data/a/b.csv", "a/b.csv"),
        ("a.csv", ""),
        ("data/../a.csv", ""),
        ("/data/a.csv", ""),
        ("data\\a.csv", ""),
        ("data/a.xlsx", ""),
        ("data//a.csv", ""),
        (3, ""),
    ],
)
def test_a_table_file_is_a_plain_csv_path_under_data(file: object, path: str) -> None:
    assert _data_path(file) == path


def test_every_problem_of_a_declaration_is_listed() -> None:
    spec = {"columns": {"Bad Name": {"type": "text"}, "v": {"type": "float"}}, "extra": 1}
    _, problems = declared_schemas({"t": spec}, "reportgen.yaml")
    columns = sorted(p.column or "" for p in problems)
    assert columns == ["t.columns", "t.extra", "t.file", "t.v.type"]
    assert all(isinstance(p, Problem) and p.path == "reportgen.yaml" for p in problems)


def test_a_built_in_name_is_reserved_when_asked() -> None:
    spec = {"file": "data/a.csv", "columns": {"a": {"type": "text"}}}
    reserved = {name: "a table of reportgen" for name in SCHEMAS}
    schemas, problems = declared_schemas({"chips": spec}, "reportgen.yaml", reserved)
    assert schemas == {}
    assert [p.message for p in problems] == [
        "table name 'chips' is taken by a table of reportgen; choose another name"
    ]
