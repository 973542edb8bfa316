"""The declared schema of report.yaml against the sample definitions (no rendering)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reportgen.errors import SpecError
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.reports.base import load_report_types
from reportgen.reports.definition import DEFINITION, Record, discover, load_definition
from tests.conftest import REPO

REPORTS = REPO / "data" / "reports"


def load(folder: Path):
    load_builders()
    return load_definition(folder, "data/reports", set(load_report_types()), set(EXHIBITS))


def test_every_sample_loads_and_keeps_its_section_parts() -> None:
    defs = {d.slug: d for d in map(load, discover(REPORTS))}
    assert set(defs) == {
        "cambricon",
        "china-ai-accelerators",
        "deepseek-v4-pricing",
        "iluvatar",
        "metax",
    }
    industry = defs["china-ai-accelerators"]
    assert industry.companies == ("cambricon", "iluvatar", "metax")
    covers = [s for s in industry.sections if s.part == "company-cover"]
    assert [s.company for s in covers] == ["cambricon", "iluvatar", "metax"]
    assert covers[0].prose == "../cambricon/summary.md"  # shared prose of a sibling report
    note = defs["deepseek-v4-pricing"]
    assert note.facts["v4_release"] == {"value": "2026-04-24", "source": "DeepSeek"}
    assert note.analysts[0].phone == "+852 0000 0001"


def test_the_schema_declares_the_keys_the_report_types_read() -> None:
    """initiation.py reads part: and company: on sections; build.py reads the options."""
    sections = DEFINITION.key("sections")
    assert sections is not None
    section = sections.shape.item  # type: ignore[union-attr]
    assert isinstance(section, Record)
    assert {"title", "prose", "exhibits", "part", "company"} == {k.name for k in section.keys}
    options = DEFINITION.key("options")
    assert options is not None and isinstance(options.shape, Record)
    assert {"pdf_variant", "render_seconds", "render_memory_mb", "lang"} == {
        k.name for k in options.shape.keys
    }


def test_an_empty_optional_key_is_as_if_absent(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "deepseek-v4-pricing"
    shutil.copytree(REPORTS / "deepseek-v4-pricing", folder)
    path = folder / "report.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("rating_action: Maintain", "rating_action:"), encoding="utf-8")
    assert load(folder).rating_action == ""


def test_an_empty_required_key_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "reports" / "deepseek-v4-pricing"
    shutil.copytree(REPORTS / "deepseek-v4-pricing", folder)
    path = folder / "report.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("type: sector-note", "type:"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load(folder)
    assert [str(p) for p in info.value.problems] == [
        "data/reports/deepseek-v4-pricing/report.yaml:3: column 'type': "
        "expected a report type, found nothing"
    ]
