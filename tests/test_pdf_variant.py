"""Builds write PDF/A-3b unless asked otherwise, and the variant is part of a report's record:
asking for another one makes an up-to-date report stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from reportgen.cli import main
from reportgen.options import BuildOptions
from reportgen.pdfvariant import (
    DEFAULT_PDF_VARIANT,
    PDF_VARIANTS,
    configured_variant,
    effective_variant,
    house_variant_problems,
)
from reportgen.plan import Manifest, make_plan, manifest_path
from reportgen.project import Project
from reportgen.reports.definition import PDF_VARIANTS as DEFINITION_VARIANTS
from reportgen.runner import run_build
from tests.tools import copy_sample, run_tool

REPO = Path(__file__).resolve().parents[1]
SLUG = "beta"
REPORT = """type: sector-note
title: Beta
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: B. Analyst}]
summary: summary.md
sections:
  - title: Localization
    prose: body.md
    exhibits:
      - id: gpgpu-localization
"""


def small_project(root: Path) -> Project:
    """The real data and templates with one small report (one chart: fast to render)."""
    copy_sample(root)
    shutil.rmtree(root / "data" / "reports")
    folder = root / "data" / "reports" / SLUG
    folder.mkdir(parents=True)
    (folder / "report.yaml").write_text(REPORT, encoding="utf-8")
    (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
    body = 'Localization {{ gpgpu.localization("total", "2029E") | pct }}.\n'
    (folder / "body.md").write_text(body, encoding="utf-8")
    return Project(root)


def build(project: Project, variant: str | None = None) -> list[str]:
    """Build (nothing when up to date); the slugs built."""
    options = BuildOptions(jobs=1, pdf_variant=variant)
    return run_build(project, None, options, lambda _m: None).built


def pdfa(path: Path) -> tuple[str | None, str | None]:
    """(pdfaid:part, pdfaid:conformance) of a PDF's XMP metadata."""
    with pikepdf.open(path) as doc:
        meta = doc.open_metadata()
        return meta.get("pdfaid:part"), meta.get("pdfaid:conformance")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    built = small_project(tmp_path_factory.mktemp("variant"))
    assert build(built) == [SLUG]
    return built


# --- the choice ---------------------------------------------------------------------------


def test_the_command_line_wins_then_the_report_then_the_house() -> None:
    house = {"pdf_variant": "pdf/ua-1"}
    assert effective_variant("pdf/a-2b", {"pdf_variant": "pdf/ua-1"}, house) == "pdf/a-2b"
    assert effective_variant(None, {"pdf_variant": "pdf/a-2b"}, house) == "pdf/a-2b"
    assert effective_variant(None, {}, house) == "pdf/ua-1"
    assert effective_variant(None, None, {}) == DEFAULT_PDF_VARIANT == "pdf/a-3b"


def test_the_variants_are_those_a_definition_may_name() -> None:
    assert PDF_VARIANTS == DEFINITION_VARIANTS


def test_a_bad_house_variant_is_located() -> None:
    assert house_variant_problems({}, "data/house.yaml", None) == []
    assert house_variant_problems({"pdf_variant": "pdf/a-2b"}, "data/house.yaml", 3) == []
    (problem,) = house_variant_problems({"pdf_variant": "pdf/x-4"}, "data/house.yaml", 7)
    assert (problem.path, problem.line, problem.column) == ("data/house.yaml", 7, "pdf_variant")
    assert "'pdf/x-4' is not one of: pdf/a-3b, pdf/a-2b, pdf/ua-1" in problem.message


def test_the_plan_reads_the_configured_variant(tmp_path: Path) -> None:
    report, house = tmp_path / "report.yaml", tmp_path / "house.yaml"
    assert configured_variant(report, house) == "pdf/a-3b"  # neither file: the default
    house.write_text("name: H\npdf_variant: pdf/ua-1\n", encoding="utf-8")
    assert configured_variant(report, house) == "pdf/ua-1"
    report.write_text("title: R\noptions: {pdf_variant: pdf/a-2b}\n", encoding="utf-8")
    assert configured_variant(report, house) == "pdf/a-2b"
    assert configured_variant(report, house, "pdf/a-3b") == "pdf/a-3b"
    report.write_text("title: [unclosed\n", encoding="utf-8")  # the build reports it, located
    assert configured_variant(report, house) == "pdf/ua-1"


def test_a_bad_house_variant_fails_the_build_at_its_line(tmp_path: Path) -> None:
    from click.testing import CliRunner

    root = small_project(tmp_path / "p").root
    house = root / "data" / "house.yaml"
    text = house.read_text(encoding="utf-8").rstrip("\n") + "\npdf_variant: pdf/x-4\n"
    house.write_text(text, encoding="utf-8")
    line = text.count("\n")
    result = CliRunner().invoke(main, ["--project", str(root), "build"])
    assert result.exit_code == 2, result.output
    assert f"data/house.yaml:{line}: column 'pdf_variant': 'pdf/x-4' is not one of" in (
        result.output
    )
    assert not (root / "build").exists()


# --- the build ----------------------------------------------------------------------------


def test_a_default_build_is_pdf_a_3b_and_passes_qpdf(project: Project) -> None:
    pdf = project.build / f"{SLUG}.pdf"
    assert pdfa(pdf) == ("3", "B")
    run_tool("qpdf", "--check", str(pdf))
    with pikepdf.open(pdf) as doc:
        assert "/OutputIntents" in doc.Root  # PDF/A's colour profile
    record = Manifest.load(manifest_path(project)).reports[SLUG]
    assert record.pdf_variant == "pdf/a-3b"
    raw = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    assert raw["reports"][SLUG]["pdf_variant"] == "pdf/a-3b"


def test_another_variant_makes_an_up_to_date_report_stale(project: Project) -> None:
    assert make_plan(project).fresh == [SLUG]
    assert make_plan(project, pdf_variant="pdf/a-3b").fresh == [SLUG]
    stale = make_plan(project, pdf_variant="pdf/a-2b").stale
    assert stale == {SLUG: ["PDF variant changed (pdf/a-3b -> pdf/a-2b)"]}


def test_a_record_without_a_variant_is_stale(project: Project) -> None:
    from reportgen.plan import code_hashes, report_reasons

    record = Manifest.load(manifest_path(project)).reports[SLUG]
    record.pdf_variant = ""  # as a record written before variants were recorded
    code, builders = code_hashes()
    reasons = report_reasons(project, record, code, builders, "pdf/a-3b")
    assert reasons == ["PDF variant changed (none recorded -> pdf/a-3b)"]


def test_building_another_variant_and_back(project: Project) -> None:
    pdf = project.build / f"{SLUG}.pdf"
    assert build(project, "pdf/a-2b") == [SLUG]
    assert pdfa(pdf) == ("2", "B")
    assert build(project, "pdf/a-2b") == []  # now up to date as PDF/A-2b
    assert build(project) == [SLUG]  # the configured (default) variant again
    assert pdfa(pdf) == ("3", "B")
    assert build(project) == []
