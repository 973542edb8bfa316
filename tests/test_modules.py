"""Exhibit modules: which tables and exhibits each brings, and how a project enables one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportgen.build import load_definitions
from reportgen.config import load_config
from reportgen.data.schemas import SCHEMAS
from reportgen.errors import DataError, SpecError
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.modules import AI_SECTOR, MODULES, disabled_exhibits, module_of, module_tables
from reportgen.plan import make_plan
from reportgen.project import Project
from tests.conftest import run_cli


def test_every_module_table_is_a_declared_schema() -> None:
    for module in MODULES.values():
        assert set(module.tables) <= set(SCHEMAS), module.name


def test_ai_sector_holds_every_built_in_table() -> None:
    # Today every built-in table is the sample's market data: all of it one module.
    assert module_tables({"ai_sector"}) == frozenset(SCHEMAS)
    assert module_tables(set()) == frozenset()
    assert module_tables(None) == frozenset(SCHEMAS)  # a folder without reportgen.yaml


def test_exhibits_belong_to_the_module_whose_tables_they_read() -> None:
    load_builders()
    owned = {ex for ex, spec in EXHIBITS.items() if module_of(spec.tables) is AI_SECTOR}
    # The sector note's and the industry initiation's exhibits...
    assert {"v4-vs-overseas-flagships", "day0-matrix", "shipment-share-2025"} <= owned
    assert {"chip-cost-table", "sensitivity-grid", "unit-products"} <= owned
    # ...and none of the company exhibits (their data are per company, no module's).
    company = {ex for ex, spec in EXHIBITS.items() if any("<slug>" in t for t in spec.tables)}
    assert company and not company & owned


def test_disabled_exhibits_lists_a_module_exhibit_only_when_its_module_is_off() -> None:
    exhibits = {"a": ("chips",), "b": ("companies/<slug>/company.yaml",), "c": ("day0",)}
    assert disabled_exhibits(exhibits, {"ai_sector"}) == {}
    assert disabled_exhibits(exhibits, None) == {}
    assert disabled_exhibits(exhibits, set()) == {"a": "ai_sector", "c": "ai_sector"}


def test_an_unknown_module_is_located_in_reportgen_yaml(project_copy: Path) -> None:
    config = project_copy / "reportgen.yaml"
    text = config.read_text(encoding="utf-8")
    assert text.count("modules: [ai_sector]") == 1
    config.write_text(text.replace("[ai_sector]", "[ai_sector, banks]"), encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_config(Project(project_copy))
    (problem,) = exc.value.problems
    line = text[: text.index("modules:")].count("\n") + 1
    assert (problem.path, problem.line, problem.column) == ("reportgen.yaml", line, "modules")
    assert problem.message == "unknown module 'banks'; known: ai_sector"


def test_an_exhibit_of_a_module_not_enabled_is_located_at_its_line(project_copy: Path) -> None:
    config = project_copy / "reportgen.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("modules: [ai_sector]", "modules: []"), encoding="utf-8")
    definition = project_copy / "data" / "reports" / "deepseek-v4-pricing" / "report.yaml"
    lines = definition.read_text(encoding="utf-8").splitlines()
    line = lines.index("      - id: price-ranges") + 1
    with pytest.raises(SpecError) as exc:
        load_definitions(Project(project_copy), ["deepseek-v4-pricing"])
    found = {(p.path, p.line): p.message for p in exc.value.problems}
    shown = "data/reports/deepseek-v4-pricing/report.yaml"
    assert found[(shown, line)].endswith(
        "exhibit 'price-ranges' belongs to module ai_sector; add it to modules in reportgen.yaml"
    )
    # The company initiations place no module exhibit: they still load.
    assert load_definitions(Project(project_copy), ["metax"])


def test_check_refuses_an_unknown_module_with_exit_2(project_copy: Path) -> None:
    config = project_copy / "reportgen.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("[ai_sector]", "[banks]"), encoding="utf-8")
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 2, result.output
    assert "reportgen.yaml:4: column 'modules': unknown module 'banks'" in result.output
    assert "Traceback" not in result.output


def test_a_change_of_modules_makes_the_reports_stale(project_copy: Path) -> None:
    reports = project_copy / "data" / "reports"
    for folder in reports.iterdir():
        if folder.name != "metax":
            shutil.rmtree(folder)
    built = run_cli(["build"], project_copy)
    assert built.exit_code == 0, built.output
    assert make_plan(Project(project_copy)).nothing_to_do
    config = project_copy / "reportgen.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("modules: [ai_sector]", "modules: []"), encoding="utf-8")
    # The modules decide which exhibits a definition may place: every report read them.
    assert make_plan(Project(project_copy)).stale["metax"] == ["reportgen.yaml: changed"]
    again = run_cli(["build"], project_copy)
    assert again.exit_code == 0, again.output
    assert make_plan(Project(project_copy)).nothing_to_do
