"""The provenance file: origins carried with values, where each number was printed, the page
it lands on, the value-match resolver (never certain) and the file a build writes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from reportgen.data.provenance import Sourced, cell, derived, origin_of, printing_in, sourced
from reportgen.data.sources import load_yaml_text
from reportgen.formatting import Printed, frac_pct, printed_numbers, quantity, usd
from reportgen.plan import Manifest, manifest_path, provenance_path
from reportgen.publish.provenance import (
    CellIndex,
    origin_entry,
    place,
    provenance_json,
    summary,
    yaml_cells,
)
from reportgen.render.layout import LaidBox, Layout, PageLayout
from reportgen.render.prose import render_prose
from tests.conftest import REPO, run_cli
from tests.tools import copy_sample

PRICE = cell("data/companies/x/company.yaml", 7, "price")
TARGET = cell("data/companies/x/company.yaml", 8, "price_target")


def test_a_sourced_value_is_its_float_and_keeps_its_cell_through_pickle() -> None:
    value = Sourced(1.5, PRICE)
    assert value == 1.5 and f"{value:.2f}" == "1.50" and repr(value) == "1.5"
    again = pickle.loads(pickle.dumps(value))
    assert again == 1.5 and again.origin == PRICE
    assert origin_of(value + 1) is None  # arithmetic makes a plain float


def test_sourced_leaves_missing_and_non_floats_alone() -> None:
    assert sourced(None, "f", 1, "c") is None
    assert sourced("text", "f", 1, "c") == "text"
    assert sourced(float("nan"), "f", 1, "c") != sourced(float("nan"), "f", 1, "c")
    assert origin_of(sourced(2.0, "f", 3, "c")) == {"file": "f", "row": 3, "column": "c"}


def test_derived_needs_every_input_origin() -> None:
    target, price = Sourced(12.0, TARGET), Sourced(10.0, PRICE)
    upside = derived(0.2, "price_target / price - 1", target, price)
    assert upside.origin == {"formula": "price_target / price - 1", "inputs": [TARGET, PRICE]}
    assert origin_of(derived(0.2, "price_target / price - 1", target, 10.0)) is None


def test_formatters_record_origin_and_where() -> None:
    with printed_numbers() as printed, printing_in("exhibit key-data"):
        usd(Sourced(1.5, PRICE))
        frac_pct(derived(0.2, "t / p - 1", Sourced(12.0, TARGET), Sourced(10.0, PRICE)))
        usd(quantity(Sourced(3.25, PRICE), "share_price"))
        usd(2.0)
    assert [p.text for p in printed] == ["US$1.50", "20.0%", "US$3.25", "US$2.00"]
    assert {p.where for p in printed} == {"exhibit key-data"}
    assert printed[0].origin == PRICE
    assert printed[1].origin["formula"] == "t / p - 1"
    assert printed[2].origin == PRICE  # a declared quantity keeps its cell
    assert printed[3].origin is None
    # Where and origin are not part of the quantity (the precision check compares them).
    assert printed[0] == Printed(1.5, "money", 2, "US$1.50", "US$")


def test_prose_numbers_are_placed_at_their_file_and_line() -> None:
    text = "Intro.\n\nPrice {{ c.price | usd }} and {{ c.target }}.\n"
    with printed_numbers() as printed, printing_in("template page.html.j2"):
        render_prose(
            text,
            "data/reports/x/summary.md",
            {"c": {"price": Sourced(1.5, PRICE), "target": Sourced(2.25, TARGET)}},
        )
    assert [(p.text, p.where, p.origin) for p in printed] == [
        ("US$1.50", "data/reports/x/summary.md:3", PRICE),
        ("2.25", "data/reports/x/summary.md:3", TARGET),
    ]


def _layout(*pages: list[tuple[str, str]]) -> Layout:
    return Layout(
        pages=tuple(
            PageLayout(
                number=n,
                width=100,
                height=100,
                content=(0, 0, 100, 100),
                boxes=tuple(LaidBox("line", (0, 0, 1, 1), ex, text) for ex, text in lines),
                text="\n".join(text for _, text in lines),
            )
            for n, lines in enumerate(pages, start=1)
        ),
        exhibits=(),
    )


def _printed(text: str, where: str, value: float = 1.0, origin: object = None) -> Printed:
    return Printed(value, "number", 1, text, "", where, origin)


def test_numbers_land_on_their_pages_in_order() -> None:
    layout = _layout(
        [("", "Price 1.5 and 18.4 in the summary"), ("tab", "1.5 2.0")],
        [("", "Again 1.5 and 8.4"), ("tab", "2.0")],
    )
    printed = [
        _printed("1.5", "exhibit tab"),
        _printed("2.0", "exhibit tab"),
        _printed("2.0", "exhibit tab"),
        _printed("1.5", "data/reports/x/a.md:1"),
        _printed("1.5", "data/reports/x/a.md:4"),
        _printed("8.4", "data/reports/x/a.md:5"),
        _printed("9.9", "data/reports/x/a.md:6"),
    ]
    spots = place(
        [line for page in layout.pages for line in _lines(page)],
        printed,
    )
    pages = [None if s is None else (1 if s[0] < 2 else 2) for s in spots]
    # A table's second 2.0 is the next one in the table; 8.4 is not read inside 18.4.
    assert pages == [1, 1, 2, 1, 2, 2, None]


def _lines(page: PageLayout) -> list:
    from reportgen.publish.provenance import Line

    return [Line(page.number, b.exhibit, b.text) for b in page.boxes]


def test_a_value_match_is_reported_with_every_candidate_never_as_certain() -> None:
    index = CellIndex([(1.5, PRICE), (1.5, TARGET), (0.25, cell("f.csv", 4, "share"))])
    matched = origin_entry(_printed("1.5", "x", 1.5), index)
    assert matched["status"] == "matched" and matched["candidates"] == [PRICE, TARGET]
    pct = origin_entry(Printed(25.0, "pct", 1, "25.0%", "%"), index)
    assert pct["candidates"] == [cell("f.csv", 4, "share")]
    missing = origin_entry(_printed("7.0", "x", 7.0), index)
    assert missing["status"] == "unresolved" and missing["reason"]
    carried = origin_entry(_printed("9.0", "x", 9.0, PRICE), index)
    assert carried == PRICE


def test_yaml_cells_carry_line_and_key_path() -> None:
    doc = load_yaml_text("name: X\nvaluation:\n  beta: 1.2\n  years: [2026, 2027]\n", "f.yaml")
    cells = list(yaml_cells(doc, "f.yaml"))
    assert (1.2, {"file": "f.yaml", "row": 3, "column": "valuation.beta"}) in cells
    assert (2027.0, {"file": "f.yaml", "row": 4, "column": "valuation.years[1]"}) in cells


def test_the_file_is_deterministic_and_sorted_by_page() -> None:
    layout = _layout([("", "first 2.0")], [("", "second 1.0")])
    printed = [_printed("1.0", "a.md:1", 1.0, PRICE), _printed("2.0", "a.md:2", 2.0)]
    data = provenance_json("r", printed, layout, CellIndex([]))
    assert data == provenance_json("r", printed, layout, CellIndex([]))
    doc = json.loads(data)
    assert doc["version"] == 1 and doc["report"] == "r"
    assert [(n["text"], n["page"]) for n in doc["numbers"]] == [("2.0", 1), ("1.0", 2)]
    assert summary(doc["numbers"])["resolved"] == 1 == doc["summary"]["cell"]


# --- a real build ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The metax initiation built once in a copy of the sample project."""
    root = tmp_path_factory.mktemp("provenance") / "project"
    copy_sample(root)
    result = run_cli(["build", "metax"], root)
    assert result.exit_code == 0, result.output
    return root


def test_a_build_writes_the_provenance_file_as_an_output(built: Path) -> None:
    class P:
        root = built

    path = provenance_path(P, "metax")  # type: ignore[arg-type]
    data = path.read_bytes()
    record = Manifest.load(manifest_path(P)).reports["metax"]  # type: ignore[arg-type]
    assert path.relative_to(built).as_posix() in record.outputs
    doc = json.loads(data)
    assert doc["report"] == "metax" and doc["numbers"]
    pages = [n["page"] for n in doc["numbers"] if n["page"] is not None]
    assert pages == sorted(pages)


def test_cells_named_are_the_cells_in_the_files(built: Path) -> None:
    doc = json.loads(provenance_path(type("P", (), {"root": built}), "metax").read_bytes())
    cells = [n for n in doc["numbers"] if "file" in n["origin"]]
    assert len(cells) > len(doc["numbers"]) / 2
    for entry in cells:
        origin = entry["origin"]
        line = (built / origin["file"]).read_text(encoding="utf-8").split("\n")[origin["row"] - 1]
        if origin["file"].endswith(".yaml"):
            assert line.strip().startswith(origin["column"].rpartition(".")[2] + ":"), entry
        else:
            header = next(
                h for h in (built / origin["file"]).read_text().split("\n") if not h.startswith("#")
            )
            column = header.split(",").index(origin["column"])
            shown = entry["value"]
            assert float(line.split(",")[column].strip('"').replace("(", "-").rstrip(")")) in (
                pytest.approx(shown),
                pytest.approx(shown / 100),
            ), entry
    wheres = {n["where"].rpartition(":")[0] or n["where"] for n in doc["numbers"]}
    assert "data/reports/metax/summary.md" in wheres
    assert any(w.startswith("exhibit ") for w in wheres)
    assert any(w.startswith("template ") for w in wheres)


def test_dataset_records_carry_cells_and_formulas() -> None:
    from reportgen.data.dataset import load_dataset

    ds = load_dataset(REPO / "data")
    rows = ds.records("llm_pricing")
    first = rows[0]
    origin = origin_of(first["input_usd"])
    assert origin is not None and origin["file"] == "data/market/llm_pricing.csv"
    line = (REPO / origin["file"]).read_text(encoding="utf-8").split("\n")[origin["row"] - 1]
    assert str(first["model"]) in line
    blended = origin_of(first["blended_3_1_usd"])
    assert blended is not None and blended["formula"] == "(3 * input_usd + output_usd) / 4"
    assert [i["column"] for i in blended["inputs"]] == ["input_usd", "output_usd"]
    # The values are the table's own.
    assert [r["input_usd"] for r in rows] == list(
        ds.table("llm_pricing").sort_values("_line", kind="stable")["input_usd"]
    )
