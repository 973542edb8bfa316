"""Declared exhibit parameters: report.yaml's params are checked against each builder's
declaration (type, choices, required, unknown names, company folders) before it runs."""

from __future__ import annotations

import inspect
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from reportgen.data.dataset import load_dataset
from reportgen.errors import ExhibitDataError
from reportgen.figures import industry
from reportgen.figures.registry import EXHIBITS, check_params, load_builders, param_problems

REPO = Path(__file__).resolve().parents[2]
COMPANIES = {"cambricon", "iluvatar", "metax"}

load_builders()


def _placements() -> list[tuple[str, str, dict[str, Any]]]:
    """(report, exhibit id, params) of every exhibit the sample reports place."""
    found = []
    for path in sorted((REPO / "data" / "reports").glob("*/report.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for section in doc["sections"]:
            for ex in section.get("exhibits") or []:
                ex = {"id": ex} if isinstance(ex, str) else ex
                found.append((path.parent.name, ex["id"], ex.get("params") or {}))
    return found


def test_every_sample_placement_fits_its_declaration() -> None:
    placements = _placements()
    assert len(placements) > 40
    for report, exhibit_id, params in placements:
        assert check_params(exhibit_id, params, COMPANIES) == [], (report, exhibit_id, params)


# Keys a builder reads: params["k"], params.get("k"), helper(params, "k").
READS = re.compile(r"""params(?:\.get\(|\[|,\s*)["'](\w+)["']""")


@pytest.mark.parametrize("exhibit_id", sorted(EXHIBITS))
def test_every_parameter_a_builder_reads_is_declared(exhibit_id: str) -> None:
    spec = EXHIBITS[exhibit_id]
    source = inspect.getsource(spec.build)
    read = set(READS.findall(source))
    if "named_company(ds, params)" in source:
        read.add("company")
    assert read <= set(spec.params), f"{exhibit_id} reads undeclared {read - set(spec.params)}"


def test_the_reads_pattern_sees_reads() -> None:
    """The pattern above must match how builders read params, or the test above is empty."""
    assert set(READS.findall('year = int(params.get("year", 2025))')) == {"year"}
    assert set(READS.findall('_name(params, "subject") params["x"]')) == {"subject", "x"}
    assert EXHIBITS["shipment-share-2025"].params  # a declaration the test above relies on


@pytest.mark.parametrize(
    ("exhibit_id", "params", "message"),
    [
        (
            "shipment-share-2025",
            {"year": [2025]},
            "parameter 'year': expected a year such as 2025, found [2025]",
        ),
        ("shipment-share-2025", {"year": "2025"}, "expected a year such as 2025, found '2025'"),
        ("shipment-share-2025", {"year": True}, "expected a year such as 2025, found true"),
        ("shipment-share-2025", {"yaer": 2025}, "unknown parameter 'yaer'; expected one of: year"),
        ("day0-matrix", {"year": 2025}, "unknown parameter 'year'; expected no parameters"),
        (
            "v4-vs-overseas-flagships",
            {"peers": []},
            "missing parameter 'subject' (a model name in market/llm_pricing.csv)",
        ),
        (
            "v4-vs-overseas-flagships",
            {"subject": "DeepSeek V4 Pro", "peers": "Grok 4.2"},
            "parameter 'peers': expected a list of model names",
        ),
        (
            "v4-vs-overseas-flagships",
            {"subject": ["DeepSeek V4 Pro"], "peers": []},
            "parameter 'subject': expected a model name",
        ),
        ("gpgpu-localization", {"show_derived": "no"}, "expected true or false, found 'no'"),
        (
            "financial-statements",
            {"company": "iluvatar", "statement": "p_and_l"},
            "parameter 'statement': expected one of income_statement, balance_sheet, "
            "cash_flow, ratios, found 'p_and_l'",
        ),
        ("financial-statements", {"company": "iluvatar"}, "missing parameter 'statement'"),
        (
            "risk-reward",
            {"company": "nvidia"},
            "parameter 'company': expected a company folder under data/companies, found "
            "'nvidia'; known: cambricon, iluvatar, metax",
        ),
        ("risk-reward", {}, "missing parameter 'company'"),
        ("risk-reward", {"company": None}, "found nothing"),
        ("sensitivity-grid", {"unit": "t_head", "grid": "ev"}, "expected one of market_cap"),
        ("unit-products", {"unit": 5}, "parameter 'unit': expected a unit"),
        ("estimates-vs-consensus", {"company": "metax", "line_items": [1]}, "found [1]"),
    ],
)
def test_bad_params_are_named(exhibit_id: str, params: dict[str, Any], message: str) -> None:
    problems = check_params(exhibit_id, params, COMPANIES)
    assert any(message in p for p in problems), problems


def test_problems_name_the_parameter() -> None:
    assert param_problems("shipment-share-2025", {"year": [2025], "x": 1}) == [
        ("x", "unknown parameter 'x'; expected one of: year"),
        ("year", "parameter 'year': expected a year such as 2025, found [2025]"),
    ]


def test_company_is_not_checked_without_the_list_of_companies() -> None:
    assert check_params("risk-reward", {"company": "nvidia"}) == []
    assert check_params("risk-reward", {"company": "nvidia"}, set()) != []


def test_params_that_are_not_a_mapping_and_unknown_exhibits() -> None:
    assert check_params("risk-reward", [1, 2]) == [  # type: ignore[arg-type]
        "expected a mapping of parameters, found [1, 2]"
    ]
    assert check_params("no-such-exhibit", {}) == ["unknown exhibit 'no-such-exhibit'"]


def test_a_long_value_is_shortened_in_the_message() -> None:
    (message,) = check_params("shipment-share-2025", {"year": list(range(100))})
    assert len(message) < 160 and message.endswith("...")


def test_a_malformed_grid_is_located_in_the_data_file(tmp_path: Path) -> None:
    """The grids file is read by its builder, so its builder checks it, on purpose."""
    shutil.copytree(REPO / "data", tmp_path / "data")
    grids = tmp_path / "data" / industry.GRIDS_FILE
    text = grids.read_text(encoding="utf-8")
    row = "  ps_x: [24, 21, 18, 15, 12]\n"  # t_head's comes first (and kunlunxin's is the same)
    grids.write_text(text.replace(row, "  ps_x: 24\n", 1), "utf-8")
    ds = load_dataset(tmp_path / "data")
    with pytest.raises(ExhibitDataError) as caught:
        EXHIBITS["sensitivity-grid"].build(ds, {"unit": "t_head", "grid": "market_cap"})
    err = caught.value
    assert err.path == "data/market/sensitivity_grids.yaml"
    assert err.line == text.splitlines().index("t_head:") + 1
    assert "unit 't_head': 'ps_x' must be a list of numbers" in err.message
