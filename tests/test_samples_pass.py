"""End to end: the five sample reports pass the page check with --strict and zero findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.checks.findings import findings_from_json
from tests.conftest import run_cli
from tests.tools import copy_sample

SAMPLES = ("deepseek-v4-pricing", "cambricon", "iluvatar", "metax", "china-ai-accelerators")


@pytest.mark.e2e
def test_the_sample_reports_build_strict_with_no_finding(tmp_path: Path) -> None:
    root = tmp_path / "project"
    copy_sample(root, templates=False)
    result = run_cli(["build", "--strict", "--jobs", "2"], root)
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output
    for slug in SAMPLES:
        found = findings_from_json(
            (root / ".reportgen-cache/findings" / f"{slug}.json").read_text()
        )
        assert found == [], [str(f) for f in found]
        # Ours is a sample house: every page of every report says so.
        pages = PdfReader(root / "build" / f"{slug}.pdf").pages
        assert all("SAMPLE" in (page.extract_text() or "") for page in pages), slug
