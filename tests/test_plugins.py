"""Plug-ins: a project's own exhibits (reportgen.yaml ``plugins:``) and an installed package's
(entry points) render in real builds, rebuild when their code changes, and fail located."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen import plugins, runner
from reportgen.build import load_definitions
from reportgen.errors import ReportgenError
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.options import BuildOptions
from reportgen.plan import make_plan
from reportgen.plugins import Layered
from reportgen.project import Project
from reportgen.reports.base import load_report_types
from reportgen.runner import run_build
from tests.conftest import run_cli
from tests.tools import REPO, copy_sample

NOTE = """type: sector-note
title: {title}
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{{name: A. Analyst}}]
summary: summary.md
sections:
  - title: Support
    prose: body.md
    exhibits:
{exhibits}"""

#: A project's own exhibits: a chart and a table counting the Day-0 table's models by vendor.
LOCAL = '''"""Exhibits of this project only."""

from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, TableRow, exhibit
from reportgen.figures.style import house_style, new_figure


def counts(ds):
    table = ds.table("day0")
    return table.groupby("vendor")["model"].count().sort_index()


@exhibit("local-models-chart", kind="chart", title="Models per vendor (local plug-in)",
         source="Source: the Day-0 table", tables=("day0",))
def models_chart(ds, params):
    found = counts(ds)
    with house_style():
        fig, ax = new_figure(height=2.2)
        ax.bar(range(len(found)), list(found.values), color="#1F3A5F")
        ax.set_xticks(range(len(found)), list(found.index), fontsize=6)
    return fig


@exhibit("local-models-table", kind="table", title="Models per vendor, counted LOCALTABLE",
         source="Source: the Day-0 table", tables=("day0",))
def models_table(ds, params):
    rows = tuple(TableRow((vendor, str(n))) for vendor, n in counts(ds).items())
    return TableExhibit(
        columns=(TableColumn("Vendor", align="left"), TableColumn("Models")),
        groups=(TableGroup("Vendors", rows),),
    )
'''

#: A second plug-in file, used by another report: untouched by an edit of the first.
OTHER = """from reportgen.figures.registry import (
    TableColumn, TableExhibit, TableGroup, TableRow, exhibit,
)


@exhibit("other-families", kind="table", title="Model families OTHERTABLE",
         source="Source: the Day-0 table", tables=("day0",))
def families(ds, params):
    names = sorted(set(ds.table("day0")["family"]))
    return TableExhibit(
        columns=(TableColumn("Family", align="left"),),
        groups=(TableGroup("Families", tuple(TableRow((n,)) for n in names)),),
    )
"""


def pdf_text(path: Path) -> str:
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(path).pages))


def add_report(root: Path, slug: str, *ids: str) -> None:
    folder = root / "data" / "reports" / slug
    folder.mkdir(parents=True)
    exhibits = "".join(f"      - id: {i}\n" for i in ids)
    text = NOTE.format(title=slug.title(), exhibits=exhibits)
    (folder / "report.yaml").write_text(text, encoding="utf-8")
    (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
    (folder / "body.md").write_text("Support by vendor.\n", encoding="utf-8")


def plugin_project(root: Path, files: dict[str, str], folder: str = "exhibits") -> Project:
    """The sample data with small reports of its own, and plug-in ``files`` in ``folder``."""
    copy_sample(root, templates=False)
    shutil.rmtree(root / "data" / "reports")
    (root / folder).mkdir(parents=True)
    for name, text in files.items():
        (root / folder / name).write_text(text, encoding="utf-8")
    with (root / "reportgen.yaml").open("a", encoding="utf-8") as f:
        f.write(f"plugins: [{folder}]\n")
    return Project(root)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def local(tmp_path: Path) -> Project:
    """alpha: the local chart and table; beta: a built-in chart; gamma: the other plug-in."""
    project = plugin_project(tmp_path / "p", {"local.py": LOCAL, "other.py": OTHER})
    add_report(project.root, "alpha", "local-models-chart", "local-models-table")
    add_report(project.root, "beta", "gpgpu-localization")
    add_report(project.root, "gamma", "other-families")
    return project


def test_workers_are_never_forked_from_the_build() -> None:
    """Nothing a worker needs is inherited (macOS and Windows have no safe fork, and a fork
    after threads started is unsafe anywhere): spawn, or on Linux a fresh fork server."""
    expected = "forkserver" if sys.platform.startswith("linux") else "spawn"
    assert runner.START_METHOD is None and runner.start_method() == expected


def test_a_project_exhibit_renders_and_rebuilds_when_its_code_changes(
    local: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two spawned workers: each loads the project's plug-ins itself to draw the local chart.
    monkeypatch.setattr(runner, "START_METHOD", "spawn")
    first = run_build(local, None, BuildOptions(jobs=2), lambda _m: None)
    assert sorted(first.built) == ["alpha", "beta", "gamma"]
    text = pdf_text(local.build / "alpha.pdf")
    assert "Models per vendor (local plug-in)" in text
    assert "counted LOCALTABLE" in text and "Huawei Ascend" in text
    assert "OTHERTABLE" in pdf_text(local.build / "gamma.pdf")
    svg = local.figures / "alpha" / "local-models-chart.svg"
    before = svg.read_bytes()
    assert make_plan(local).nothing_to_do
    unchanged = {s: (local.build / f"{s}.pdf").stat().st_mtime_ns for s in ("beta", "gamma")}

    edit(local.root / "exhibits/local.py", 'color="#1F3A5F"', 'color="#8A1538"')
    plan = make_plan(local)
    assert plan.stale == {"alpha": ["exhibits/local.py: changed"]}
    again = run_build(local, None, BuildOptions(jobs=1), lambda _m: None)
    assert again.built == ["alpha"] and sorted(again.skipped) == ["beta", "gamma"]
    assert again.drawn == 2  # the chart redrawn, the table made again
    assert svg.read_bytes() != before
    assert {s: (local.build / f"{s}.pdf").stat().st_mtime_ns for s in unchanged} == unchanged
    assert make_plan(local).nothing_to_do


def test_a_helper_file_of_the_plugins_is_code_of_every_plugin_exhibit(local: Project) -> None:
    """A file registering nothing (a helper) may be imported by any plug-in: editing it
    makes every report using a plug-in exhibit stale, not the built-in ones."""
    (local.root / "exhibits/_shared.py").write_text("UNIT = 'models'\n", encoding="utf-8")
    run_build(local, None, BuildOptions(jobs=1), lambda _m: None)
    edit(local.root / "exhibits/_shared.py", "'models'", "'count'")
    stale = make_plan(local).stale
    assert sorted(stale) == ["alpha", "gamma"], stale
    assert stale["gamma"] == ["exhibits/_shared.py: changed"]


def test_plugins_of_one_project_are_not_seen_by_another(local: Project, tmp_path: Path) -> None:
    load_definitions(local)
    assert "local-models-chart" in EXHIBITS
    other = Project(copy_sample(tmp_path / "plain", templates=False))
    load_builders(other)
    assert "local-models-chart" not in EXHIBITS and "day0-matrix" in EXHIBITS
    add_report(other.root, "alpha", "local-models-chart")
    with pytest.raises(ReportgenError, match="unknown exhibit 'local-models-chart'"):
        load_definitions(other)
    load_builders(local)  # and back: the same modules, not imported again
    assert EXHIBITS["local-models-chart"].build.__module__.startswith(plugins.NAMESPACE)


def test_an_edited_plugin_is_imported_again_in_a_warm_process(local: Project) -> None:
    """``serve`` keeps one process: the next build after an edit runs the edited code."""
    assert (
        load_builders(local)["local-models-table"].title == "Models per vendor, counted LOCALTABLE"
    )
    assert plugins.plugin_folders(local) == [(local.root / "exhibits").resolve()]
    edit(local.root / "exhibits/local.py", "counted LOCALTABLE", "counted AGAIN")
    assert load_builders(local)["local-models-table"].title == "Models per vendor, counted AGAIN"


def test_a_project_report_type_is_registered_and_its_code_tracked(local: Project) -> None:
    (local.root / "exhibits/brief.py").write_text(
        "from reportgen.reports.base import ReportType, report_type\n"
        "from reportgen.reports.sector_note import SectorNote\n\n\n"
        "@report_type\n"
        "class Brief(SectorNote):\n"
        '    name = "brief"\n'
        '    description = "A sector note under another name (a project plug-in)."\n',
        encoding="utf-8",
    )
    edit(local.reports / "gamma/report.yaml", "type: sector-note", "type: brief")
    assert "brief" in load_report_types(local)
    run_build(local, ["gamma"], BuildOptions(jobs=1), lambda _m: None)
    edit(local.root / "exhibits/brief.py", "under another name", "renamed")
    assert "exhibits/brief.py: changed" in make_plan(local).stale["gamma"]


def test_plugins_show_in_reportgen_list(local: Project) -> None:
    result = run_cli(["list"], local.root)
    assert result.exit_code == 0, result.output
    assert "local-models-table" in result.output


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("x = 1\ndef broken(:\n", "exhibits/bad.py:2", "SyntaxError"),
        ("import os\nimport no_such_module_anywhere\n", "exhibits/bad.py:2", "ModuleNotFoundError"),
        ("\n\nraise RuntimeError('plug-in failed')\n", "exhibits/bad.py:3", "RuntimeError"),
    ],
    ids=["syntax-error", "import-error", "exception"],
)
def test_a_bad_plugin_is_a_located_error(
    local: Project, text: str, where: str, message: str
) -> None:
    (local.root / "exhibits/bad.py").write_text(text, encoding="utf-8")
    for command in ("build", "check"):
        result = run_cli([command], local.root)
        assert result.exit_code == 2, result.output
        assert f"{where}: {message}" in result.stderr
        assert "Traceback" not in result.output
    assert not local.build.exists()


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "in-a-worker"])
def test_a_plugin_builder_that_fails_is_located_in_the_plugin(local: Project, jobs: str) -> None:
    """The project's code, not reportgen's: exit 2 at the plug-in's line, no crash log."""
    edit(local.root / "exhibits/local.py", "    found = counts(ds)\n", "    found = {}['x']\n")
    line = (local.root / "exhibits/local.py").read_text().splitlines().index("    found = {}['x']")
    result = run_cli(["build", "-q", "-j", jobs, "alpha"], local.root)
    assert result.exit_code == 2, result.output
    assert (
        f"exhibits/local.py:{line + 1}: KeyError: 'x' (exhibit 'local-models-chart', a plug-in)"
        in result.stderr
    )
    assert "Traceback" not in result.output
    assert not list(local.root.glob(".reportgen-cache/crash-*.log"))


def test_a_duplicate_exhibit_names_both_sources(local: Project) -> None:
    (local.root / "exhibits/dup.py").write_text(
        "from reportgen.figures.registry import exhibit\n\n"
        '@exhibit("day0-matrix", kind="chart", title="t", source="s", tables=())\n'
        "def mine(ds, params):\n    return None\n\n"
        '@exhibit("local-models-table", kind="table", title="t", source="s", tables=())\n'
        "def again(ds, params):\n    return None\n",
        encoding="utf-8",
    )
    result = run_cli(["build"], local.root)
    assert result.exit_code == 2, result.output
    assert re.search(
        r"exhibits/dup\.py:3: exhibit 'day0-matrix' is registered twice: here and in "
        r"reportgen \(reportgen/figures/sector_day0\.py:\d+\)",
        result.stderr,
    ), result.stderr
    # dup.py imports before local.py (sorted): local.py's is the second registration
    assert re.search(
        r"exhibits/local\.py:\d+: exhibit 'local-models-table' is registered twice: here and "
        r"in exhibits/dup\.py:7",
        result.stderr,
    ), result.stderr


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("../outside", "is outside the project"),
        ("data/code", "is under data/, which holds data, never code"),
        ("missing", "not found"),
        ("linked", "is outside the project"),
    ],
)
def test_a_plugin_folder_must_be_a_folder_of_the_project(
    tmp_path: Path, folder: str, message: str
) -> None:
    root = copy_sample(tmp_path / "p", templates=False)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.py").write_text("raise SystemExit('must never run')\n")
    (root / "data" / "code").mkdir()
    (root / "linked").symlink_to(tmp_path / "outside")
    lines = (root / "reportgen.yaml").read_text(encoding="utf-8").count("\n")
    with (root / "reportgen.yaml").open("a", encoding="utf-8") as f:
        f.write(f"plugins: [{folder}]\n")
    result = run_cli(["build"], root)
    assert result.exit_code == 2, result.output
    assert f"reportgen.yaml:{lines + 1}: column 'plugins': plug-in folder '{folder}' " in (
        result.stderr
    )
    assert message in result.stderr


def test_a_plugin_file_linked_out_of_its_folder_is_refused(local: Project, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.py").write_text("raise SystemExit('must never run')\n")
    (local.root / "exhibits/linked.py").symlink_to(tmp_path / "elsewhere.py")
    result = run_cli(["build"], local.root)
    assert result.exit_code == 2, result.output
    assert "exhibits/linked.py: a plug-in file must be a regular file inside its folder" in (
        result.stderr
    )


# --- an installed package's exhibit, found through its entry point ----------------------------

ENTRY = '''"""An installed package's exhibit (test distribution)."""

from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, TableRow, exhibit


@exhibit("installed-vendors", kind="table", title="Vendors ENTRYTABLE",
         source="Source: the Day-0 table", tables=("day0",))
def vendors(ds, params):
    names = sorted(set(ds.table("day0")["vendor"]))
    return TableExhibit(
        columns=(TableColumn("Vendor", align="left"),),
        groups=(TableGroup("Vendors", tuple(TableRow((n,)) for n in names)),),
    )
'''


def installed_dist(site: Path) -> Path:
    """A tiny distribution as pip would leave it: a module and its .dist-info."""
    site.mkdir()
    (site / "rg_test_exhibits.py").write_text(ENTRY, encoding="utf-8")
    info = site / "rg_test_exhibits-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rg-test-exhibits\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[reportgen.exhibits]\nvendors = rg_test_exhibits\n", encoding="utf-8"
    )
    return site / "rg_test_exhibits.py"


def cli(root: Path, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m reportgen.cli`` in a fresh process that has the distribution on its path."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    return subprocess.run(
        [sys.executable, "-m", "reportgen.cli", "--project", str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_an_entry_point_exhibit_renders_and_rebuilds_when_its_code_changes(
    tmp_path: Path,
) -> None:
    module = installed_dist(tmp_path / "site")
    root = copy_sample(tmp_path / "p", templates=False)
    shutil.rmtree(root / "data" / "reports")
    add_report(root, "alpha", "installed-vendors")
    add_report(root, "beta", "gpgpu-localization")
    listed = cli(root, tmp_path / "site", "list")
    assert "installed-vendors" in listed.stdout, listed.stderr
    done = cli(root, tmp_path / "site", "build", "-q")
    assert done.returncode == 0, done.stderr
    assert "Vendors ENTRYTABLE" in pdf_text(root / "build" / "alpha.pdf")
    assert cli(root, tmp_path / "site", "status").stdout.count("up to date") >= 1

    edit(module, "Vendors ENTRYTABLE", "Vendors ENTRYEDITED")
    status = cli(root, tmp_path / "site", "status").stdout
    assert f"{module.resolve().as_posix()}: changed" in status, status
    assert "beta" not in status.split("stale", 1)[-1].split("\n")[0]
    again = cli(root, tmp_path / "site", "build", "-v")
    assert again.returncode == 0, again.stderr
    assert "Vendors ENTRYEDITED" in pdf_text(root / "build" / "alpha.pdf")
    assert "1 built, 1 up to date" in again.stdout + again.stderr


def test_a_broken_entry_point_is_a_located_error(tmp_path: Path) -> None:
    module = installed_dist(tmp_path / "site")
    module.write_text("import os\nraise ImportError('missing piece')\n", encoding="utf-8")
    root = copy_sample(tmp_path / "p", templates=False)
    done = cli(root, tmp_path / "site", "build", "-q")
    assert done.returncode == 2, done.stderr
    assert f"{module.resolve().as_posix()}:2: ImportError: missing piece" in done.stderr
    assert "Traceback" not in done.stderr


# --- the layered registry --------------------------------------------------------------------


def test_a_layered_registry_reads_its_own_entries_then_the_active_layers() -> None:
    reg: Layered[int] = Layered()
    reg["a"] = 1
    reg.extra = ({"b": 2}, {"c": 3, "a": 9})
    assert dict(reg) == {"a": 1, "b": 2, "c": 3} and len(reg) == 3
    assert reg["c"] == 3 and "b" in reg and "z" not in reg
    reg.extra = ()
    assert dict(reg) == {"a": 1}
    del reg["a"]
    assert len(reg) == 0
