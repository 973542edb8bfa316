"""The command line as a user meets it: --version, --help of every command, `list`, and every
command refused outside a project (exit 2, nothing left behind)."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from reportgen.cli import aligned, main
from reportgen.figures.registry import EXHIBITS
from reportgen.project import PROJECT_FILE
from tests.tools import REPO

#: Arguments that make each command that needs a project get past its own argument checks:
#: every command but `new` must be listed here (a test below enforces it).
PROJECT_COMMANDS: dict[str, list[str]] = {
    "build": [],
    "check": [],
    "list": [],
    "proof": ["deepseek-v4-pricing"],
    "publish": ["deepseek-v4-pricing"],
    "releases": [],
    "serve": ["--no-open", "--port", "0"],
    "status": [],
    "verify": ["2026-05-01-01"],
}

#: Words each command's help must say (what it does, in the user's terms).
HELP_SAYS: dict[str, str] = {
    "build": "Build what is stale",
    "check": "Validate all data",
    "list": "List the report types, the exhibits",
    "proof": "draw every page",
    "publish": "immutable release",
    "releases": "List the releases",
    "serve": "rebuild and reload on every change",
    "status": "List what is stale and why",
    "verify": "Re-hash RELEASE",
    "new": "Create a project in DIRECTORY",
}


def invoke(args: list[str]) -> Result:
    """Run `reportgen <args>` in-process (stdout and stderr kept apart)."""
    return CliRunner().invoke(main, args, prog_name="reportgen")


def tree(root: Path) -> list[str]:
    """Every path under ``root`` (relative, sorted): what a command left behind."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder with no reportgen.yaml at or above it; crash logs (which go
    to the temporary folder outside a project) would land in tmp_path/tmp, to be seen."""
    here = tmp_path / "empty"
    here.mkdir()
    assert not any((p / PROJECT_FILE).exists() for p in (here, *here.parents))
    monkeypatch.chdir(here)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    return here


# --- --version and --help ----------------------------------------------------------------------


def test_version_is_the_installed_distributions(nowhere: Path) -> None:
    result = invoke(["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"reportgen {importlib.metadata.version('reportgen')}\n"
    assert tree(nowhere.parent) == ["empty"]


def test_main_help_lists_every_command_and_option(nowhere: Path) -> None:
    result = invoke(["--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: reportgen [OPTIONS] COMMAND [ARGS]...\n")
    assert "research reports from data/" in result.output
    assert "`reportgen new DIR` starts a project" in " ".join(result.output.split())
    for option in ("--project", "--debug", "--version", "--help"):
        assert option in result.output
    commands = result.output.split("Commands:\n", 1)[1]
    assert isinstance(main, click.Group)
    for name in main.commands:
        assert f"\n  {name} " in f"\n{commands}", f"{name} is not listed in --help"
    assert "..." not in commands  # each command's one-line help fits, not cut short
    assert tree(nowhere.parent) == ["empty"]


@pytest.mark.parametrize("name", sorted(HELP_SAYS))
def test_each_command_help_says_what_it_does_and_lists_its_options(
    name: str, nowhere: Path
) -> None:
    assert isinstance(main, click.Group)
    command = main.commands[name]
    result = invoke([name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: reportgen {name} [OPTIONS]")
    for arg in (p for p in command.params if isinstance(p, click.Argument)):
        assert (arg.human_readable_name or "").upper() in result.output.splitlines()[0]
    for option in (p for p in command.params if isinstance(p, click.Option)):
        for flag in (*option.opts, *option.secondary_opts):
            assert flag in result.output, f"{name} --help does not list {flag}"
        assert option.help, f"{name} {option.opts[0]} has no help text"
    assert "--help" in result.output
    assert command.help and HELP_SAYS[name] in " ".join(result.output.split())
    assert tree(nowhere.parent) == ["empty"]


def test_no_command_or_an_unknown_one_is_a_usage_error(nowhere: Path) -> None:
    alone = invoke([])
    assert alone.exit_code == 2 and alone.output.startswith("Usage: reportgen [OPTIONS] COMMAND")
    unknown = invoke(["bogus"])
    assert unknown.exit_code == 2 and "No such command 'bogus'" in unknown.stderr
    assert tree(nowhere.parent) == ["empty"]


# --- outside a project -------------------------------------------------------------------------


def test_every_command_is_in_the_tables_above() -> None:
    assert isinstance(main, click.Group)
    assert set(main.commands) - {"new"} == set(PROJECT_COMMANDS)
    assert set(main.commands) == set(HELP_SAYS)


@pytest.mark.parametrize("name", sorted(PROJECT_COMMANDS))
def test_outside_a_project_every_command_says_so_and_leaves_nothing(
    name: str, nowhere: Path
) -> None:
    result = invoke([name, *PROJECT_COMMANDS[name]])
    assert result.exit_code == 2, result.output
    assert f"error: {PROJECT_FILE}: not found in {nowhere} or any folder above it" in (
        result.stderr
    )
    assert "not a reportgen project" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert tree(nowhere.parent) == ["empty"]  # no lock, cache, build/, figures/ or crash log


@pytest.mark.parametrize("name", sorted(PROJECT_COMMANDS))
def test_project_option_without_a_project_file_is_refused(
    name: str, project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--project names the root itself: a folder inside a project (here its data/) is not
    one, even though a folder above it is, and a missing folder is not made."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    before = tree(tmp_path)
    for folder in (project_copy / "data", tmp_path / "missing"):
        result = invoke(["--project", str(folder), name, *PROJECT_COMMANDS[name]])
        assert result.exit_code == 2, result.output
        assert f"error: {PROJECT_FILE}: not found in {folder}: not a reportgen project" in (
            result.stderr
        )
    assert tree(tmp_path) == before


def test_the_installed_command_refuses_outside_a_project(tmp_path: Path) -> None:
    """The real entry point in its own process: one message, exit 2, no traceback."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "reportgen.cli", "build"],
        cwd=tmp_path / "tmp",
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"error: {PROJECT_FILE}: not found in {tmp_path / 'tmp'} or any folder above it: not a "
        "reportgen project; run the command in a project folder, name one with --project DIR, "
        "or create one with `reportgen new DIR`",
        "1 problem found; nothing was changed.",
    ]
    assert tree(tmp_path) == ["tmp"]


def test_a_command_in_a_folder_inside_a_project_finds_it(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project_copy / "data" / "reports")
    result = invoke(["list"])
    assert result.exit_code == 0, result.output
    assert "reports in data/reports (5)" in result.output


# --- list ----------------------------------------------------------------------------------------


def test_aligned_pads_every_column_but_the_last() -> None:
    rows = [("ID", "KIND", "TITLE"), ("a", "chart", "One"), ("bbb", "table", "Two")]
    assert aligned(rows) == [
        "ID   KIND   TITLE",
        "a    chart  One",
        "bbb  table  Two",
    ]


def test_aligned_lets_a_cell_over_the_cap_run_past_its_column() -> None:
    rows = [("ID", "READS", "TITLE"), ("a", "x" * 12, "One"), ("b", "y", "Two")]
    assert aligned(rows, cap=8) == [
        "ID  READS  TITLE",
        "a   xxxxxxxxxxxx  One",
        "b   y      Two",
    ]
    assert aligned([]) == []
    assert aligned([("only", "")]) == ["only"]  # an empty last cell leaves no trailing space


def test_list_shows_types_exhibits_with_their_tables_and_kind_and_reports(
    project_copy: Path,
) -> None:
    before = tree(project_copy)
    result = invoke(["--project", str(project_copy), "list"])
    assert result.exit_code == 0, result.output
    assert tree(project_copy) == before  # list writes nothing
    lines = result.output.splitlines()
    blocks = [i for i, line in enumerate(lines) if line and not line.startswith(" ")]
    assert [lines[i].split(" (")[0] for i in blocks] == [
        "report types",
        "exhibits",
        "reports in data/reports",
    ]
    assert lines[blocks[0] + 1].split() == ["NAME", "DESCRIPTION"]
    assert lines[blocks[1] + 1].split() == ["ID", "KIND", "MODULE", "READS", "TITLE"]
    assert lines[blocks[2] + 1].split() == ["SLUG", "TYPE", "TITLE"]
    for name in ("company-initiation", "industry-initiation", "sector-note"):
        assert any(line.split()[:1] == [name] for line in lines[blocks[0] : blocks[1]])

    exhibits = lines[blocks[1] + 2 : blocks[2] - 1]
    assert len(exhibits) == len(EXHIBITS) > 20
    assert lines[blocks[1]] == f"exhibits ({len(EXHIBITS)})"
    kind_at = lines[blocks[1] + 1].index("KIND")
    for line in exhibits:
        ex_id = line.split()[0]
        spec = EXHIBITS[ex_id]
        assert line[kind_at:].startswith(f"{spec.kind} "), line  # aligned under KIND
        assert f"  {', '.join(spec.tables)}  " in line and line.endswith(f"  {spec.title}")
    pricing = next(line for line in exhibits if line.split()[0] == "pricing-matrix")
    assert pricing.split()[:4] == ["pricing-matrix", "table", "ai_sector", "llm_pricing"]
    company = next(line for line in exhibits if line.split()[0] == "key-products")
    assert company.split()[:3] == ["key-products", "table", "-"]  # reportgen's own: no module
    assert "(off)" not in result.output  # the sample enables ai_sector

    reports = lines[blocks[2] + 2 :]
    assert [line.split()[:2] for line in reports] == [
        ["cambricon", "company-initiation"],
        ["china-ai-accelerators", "industry-initiation"],
        ["deepseek-v4-pricing", "sector-note"],
        ["iluvatar", "company-initiation"],
        ["metax", "company-initiation"],
    ]
    assert all(line == line.rstrip() for line in lines)


PLUGIN = """from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, exhibit


@exhibit("local-empty-table", kind="table", title="A project's own table",
         source="Source: none", tables=("day0", "chips"))
def empty_table(ds, params):
    return TableExhibit(columns=(TableColumn("Vendor"),), groups=(TableGroup("None", ()),))
"""


def test_list_shows_the_projects_own_exhibits_and_no_other_projects(
    project_copy: Path, tmp_path: Path
) -> None:
    (project_copy / "exhibits").mkdir()
    (project_copy / "exhibits" / "mine.py").write_text(PLUGIN, encoding="utf-8")
    config = project_copy / PROJECT_FILE
    config.write_text(config.read_text("utf-8") + "plugins: [exhibits]\n", "utf-8")
    result = invoke(["--project", str(project_copy), "list"])
    assert result.exit_code == 0, result.output
    (line,) = [x for x in result.output.splitlines() if x.split()[:1] == ["local-empty-table"]]
    assert line.startswith("  local-empty-table ")
    assert line.split()[1:5] == ["table", "ai_sector", "day0,", "chips"]
    assert line.endswith("  A project's own table")

    other = tmp_path / "other"
    shutil.copytree(project_copy / "data", other / "data")
    shutil.copy2(REPO / PROJECT_FILE, other / PROJECT_FILE)
    result = invoke(["--project", str(other), "list"])
    assert result.exit_code == 0, result.output
    assert "local-empty-table" not in result.output


def test_list_marks_the_exhibits_of_a_module_the_project_does_not_enable(tmp_path: Path) -> None:
    made = invoke(["new", str(tmp_path / "fresh")])  # reportgen new: modules: []
    assert made.exit_code == 0, made.output
    result = invoke(["--project", str(tmp_path / "fresh"), "list"])
    assert result.exit_code == 0, result.output
    pricing = next(x for x in result.output.splitlines() if x.split()[:1] == ["pricing-matrix"])
    assert pricing.split()[:4] == ["pricing-matrix", "table", "ai_sector", "(off)"]
    assert "  (off): a module this project does not enable in reportgen.yaml" in result.output


def test_a_reader_that_stops_early_ends_the_listing_quietly(tmp_path: Path) -> None:
    """`reportgen list | head -0`: output to a reader that has gone ends the command with the
    shell's SIGPIPE code and no message; it is not a bug, so no crash log is written."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy2(REPO / PROJECT_FILE, root / PROJECT_FILE)
    (root / "data" / "reports").mkdir(parents=True)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "reportgen.cli", "list"],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert done.stderr == ""
    assert not list(root.rglob("crash-*.log"))
