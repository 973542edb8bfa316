"""Staleness rules: what a build redoes after each kind of change, and that a no-op does nothing."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reportgen import build as build_module
from reportgen import plan as plan_module
from reportgen.errors import BuildError
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.options import BuildOptions
from reportgen.plan import make_plan
from reportgen.project import Project
from reportgen.runner import BuildSummary, run_build
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[1]

ALPHA = """type: sector-note
title: Alpha
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Shipments
    prose: body.md
    exhibits:
      - id: shipment-share-2025
      - id: day0-matrix
"""
BETA = """type: sector-note
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
    """The real data and templates with two small reports (fast to render)."""
    copy_sample(root)
    shutil.rmtree(root / "data" / "reports")
    for slug, text, prose in (
        ("alpha", ALPHA, 'Domestic share {{ shipments.share("Domestic vendors", 2025) | pct }}.'),
        ("beta", BETA, 'Localization {{ gpgpu.localization("total", "2029E") | pct }}.'),
    ):
        folder = root / "data" / "reports" / slug
        folder.mkdir(parents=True)
        (folder / "report.yaml").write_text(text, encoding="utf-8")
        (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
        (folder / "body.md").write_text(prose + "\n", encoding="utf-8")
    return Project(root)


def run(project: Project, **options: object) -> BuildSummary:
    return run_build(project, None, BuildOptions(jobs=1, **options), lambda _m: None)  # type: ignore[arg-type]


@pytest.fixture
def built(tmp_path: Path) -> Project:
    project = small_project(tmp_path / "p")
    first = run(project)
    assert sorted(first.built) == ["alpha", "beta"] and first.drawn == 3
    return project


def outputs(project: Project) -> dict[str, tuple[int, bytes]]:
    files = [*project.build.iterdir(), *project.figures.rglob("*.svg")]
    return {str(p.relative_to(project.root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in files}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_no_op_build_renders_nothing_and_touches_nothing(built: Project) -> None:
    before = outputs(built)
    summary = run(built)
    assert summary.built == [] and summary.drawn == 0
    assert sorted(summary.skipped) == ["alpha", "beta"]
    assert outputs(built) == before
    assert make_plan(built).nothing_to_do


def test_a_no_op_build_process_loads_no_engine(built: Project) -> None:
    # The no-op's 0.15 s depends on it: pandas, matplotlib and WeasyPrint stay unloaded.
    code = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "try:\n"
        f"    main(['--project', {str(built.root)!r}, 'build', '-q'])\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "heavy = ('pandas', 'matplotlib', 'weasyprint', 'pikepdf')\n"
        "print([name for name in heavy if name in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"


def test_a_changed_data_file_rebuilds_only_the_reports_and_exhibits_that_read_it(
    built: Project,
) -> None:
    edit(built.data / "market/china_ai_shipments.csv", "2025,Nvidia,2.2,", "2025,Nvidia,2.1,")
    plan = make_plan(built)
    assert list(plan.stale) == ["alpha"]
    assert plan.stale["alpha"] == ["data/market/china_ai_shipments.csv: changed"]
    summary = run(built)
    assert summary.built == ["alpha"] and summary.skipped == ["beta"]
    assert (summary.drawn, summary.reused) == (1, 1)  # the shipment chart; Day-0 reused


def test_a_data_change_no_report_reads_validates_but_builds_nothing(built: Project) -> None:
    edit(
        built.data / "market/chips.csv", "Nvidia,H20,GPGPU,814,1,50,", "Nvidia,H20,GPGPU,814,1,51,"
    )
    plan = make_plan(built)
    assert plan.stale == {} and plan.validate
    assert run(built).built == []
    assert make_plan(built).nothing_to_do


def test_a_broken_data_file_is_reported_even_if_no_report_reads_it(built: Project) -> None:
    edit(built.data / "market/chips.csv", "Nvidia,H20,GPGPU,814,1,50,", "Nvidia,H20,GPGPU,814,1,x,")
    with pytest.raises(Exception) as info:
        run(built)
    assert "chips.csv" in str(info.value)


def test_changed_prose_rebuilds_its_report_without_redrawing(built: Project) -> None:
    edit(built.reports / "beta/body.md", "Localization", "The localization rate")
    summary = run(built)
    assert summary.built == ["beta"] and summary.drawn == 0 and summary.reused == 1


def test_an_added_and_a_removed_prose_file_make_the_report_stale(built: Project) -> None:
    extra = built.reports / "alpha" / "notes.md"
    extra.write_text("draft\n", encoding="utf-8")
    assert "dir:" not in " ".join(make_plan(built).stale.get("alpha", []))
    assert "data/reports/alpha: files added or removed" in make_plan(built).stale["alpha"]
    run(built)
    extra.unlink()
    assert "data/reports/alpha: files added or removed" in make_plan(built).stale["alpha"]


def test_a_changed_template_rebuilds_the_reports_using_it(built: Project) -> None:
    edit(built.templates / "partials/analysts.html.j2", "<h3>Analysts</h3>", "<h3>Authors</h3>")
    summary = run(built)
    assert sorted(summary.built) == ["alpha", "beta"] and summary.drawn == 0


def test_a_changed_builder_redraws_its_exhibits(
    built: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    report_code, builders = plan_module.code_hashes()
    changed = {**builders, "figures/sector_market.py": "edited"}
    monkeypatch.setattr(build_module, "code_hashes", lambda: (report_code, changed))
    monkeypatch.setattr(plan_module, "code_hashes", lambda: (report_code, changed))
    plan = make_plan(built)
    assert plan.stale["alpha"] == ["figure builder code changed: shipment-share-2025"]
    assert plan.stale["beta"] == ["figure builder code changed: gpgpu-localization"]
    summary = run(built)
    # day0-matrix (figures/sector_day0.py) is reused: only the edited module's exhibits redraw
    assert sorted(summary.built) == ["alpha", "beta"] and summary.drawn == 2
    assert summary.reused == 1


def test_every_builder_module_is_hashed_for_its_own_exhibits() -> None:
    """Each module registering exhibits is in BUILDER_MODULES, and imports no other such module
    (a change to a helper it imported from one would not redraw its exhibits)."""
    load_builders()
    # reportgen's own (EXHIBITS.own): a project's plug-ins are hashed as inputs (plugins.py)
    registering = {
        plan_module.builder_module_key(s.build.__module__) for s in EXHIBITS.own.values()
    }
    assert registering == set(plan_module.BUILDER_MODULES)
    builder_names = {"reportgen." + m.removesuffix(".py").replace("/", ".") for m in registering}
    for module in plan_module.BUILDER_MODULES:
        tree = ast.parse((plan_module.PACKAGE / module).read_text(encoding="utf-8"))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
        assert not imported & builder_names, module


def test_force_redraws_every_exhibit(built: Project) -> None:
    assert run(built, force=True).drawn == 3


def test_a_removed_template_makes_its_users_stale(built: Project) -> None:
    (built.templates / "partials/analysts.html.j2").unlink()
    assert "templates/partials/analysts.html.j2: removed" in make_plan(built).stale["alpha"]


def test_a_new_company_folder_is_validated_but_rebuilds_nothing(built: Project) -> None:
    shutil.copytree(built.data / "companies/metax", built.data / "companies/newco")
    plan = make_plan(built)
    assert plan.stale == {} and plan.validate
    assert run(built).built == []


def test_a_deleted_output_is_rebuilt(built: Project) -> None:
    (built.build / "beta.pdf").unlink()
    assert make_plan(built).stale == {"beta": ["build/beta.pdf: missing"]}
    assert run(built).built == ["beta"]


def test_a_removed_report_leaves_no_orphan_output(built: Project) -> None:
    shutil.rmtree(built.reports / "beta")
    summary = run(built)
    assert summary.removed == ["beta"]
    assert not (built.build / "beta.pdf").exists()
    assert not (built.figures / "beta").exists()
    assert (built.build / "alpha.pdf").exists()


def test_a_removed_exhibit_leaves_no_orphan_svg(built: Project) -> None:
    edit(built.reports / "alpha/report.yaml", "      - id: day0-matrix\n", "")
    assert run(built).built == ["alpha"]
    assert sorted(p.name for p in (built.figures / "alpha").iterdir()) == [
        "shipment-share-2025.svg"
    ]


def test_force_rebuilds_everything(built: Project) -> None:
    summary = run(built, force=True)
    assert sorted(summary.built) == ["alpha", "beta"]


def test_parallel_workers_build_the_same_bytes(built: Project, tmp_path: Path) -> None:
    other = small_project(tmp_path / "q")
    summary = run_build(other, None, BuildOptions(jobs=2), lambda _m: None)
    assert sorted(summary.built) == ["alpha", "beta"]
    for name in ("alpha.pdf", "beta.pdf", "alpha.html"):
        assert (other.build / name).read_bytes() == (built.build / name).read_bytes()


def test_a_lone_stale_report_draws_its_charts_as_parallel_tasks(built: Project) -> None:
    before = outputs(built)
    messages: list[str] = []
    summary = run_build(built, ["alpha"], BuildOptions(jobs=2, force=True), messages.append)
    assert summary.built == ["alpha"] and summary.drawn == 2
    drawing = sorted(m for m in messages if ": drawing " in m)
    assert drawing == ["alpha: drawing day0-matrix", "alpha: drawing shipment-share-2025"]
    after = outputs(built)
    same = {k: v[1] for k, v in after.items()} == {k: v[1] for k, v in before.items()}
    assert same  # the same bytes as the serial build


def test_a_chart_task_error_fails_its_report_and_keeps_its_outputs(built: Project) -> None:
    before = outputs(built)
    edit(
        built.reports / "alpha" / "report.yaml",
        "      - id: day0-matrix\n",
        # valid parameters, but a model the pricing table lacks: the chart task fails
        "      - id: day0-matrix\n"
        "      - id: io-ratios\n        params: {domestic: [No Such Model], overseas: []}\n",
    )
    edit(built.data / "market/gpgpu_market.csv", "2029E", "2029E")  # beta stays up to date
    with pytest.raises(BuildError) as info:
        run_build(built, None, BuildOptions(jobs=2), lambda _m: None)
    assert [p.path for p in info.value.problems] == ["data/reports/alpha/report.yaml"]
    assert "io-ratios" in info.value.problems[0].message
    assert outputs(built) == before


def test_strict_fails_on_the_warnings_of_an_up_to_date_report(tmp_path: Path) -> None:
    """A target far from the model warns; --strict must fail even when nothing is stale."""
    project = small_project(tmp_path / "p")
    shutil.copytree(REPO / "data/reports/metax", project.reports / "metax")
    edit(project.data / "companies/metax/company.yaml", "price_target: 758", "price_target: 785")
    notes: list[str] = []
    run_build(project, ["metax"], BuildOptions(jobs=1), notes.append)
    assert any("price_target" in n and n.startswith("warning:") for n in notes)
    with pytest.raises(Exception) as info:
        run_build(project, ["metax"], BuildOptions(jobs=1, strict=True), notes.append)
    assert "(up to date)" in str(info.value) and "price_target" in str(info.value)
