"""`reportgen new DIR`: a project that builds and checks on first try, from the skeleton whose
company data are the sample's own sourced files (a drift between the two fails here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.config import load_config
from reportgen.project import PROJECT_FILE, Project
from reportgen.scaffold import SKELETON, new_project
from tests.tools import REPO

#: Skeleton folders and files that are copies of the sample project's (same relative path).
COPIED = ("data/companies/iluvatar", "data/reports/iluvatar", "data/house.yaml")


def new(*args: str) -> Result:
    return CliRunner().invoke(main, ["new", *args])


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("copied", COPIED)
def test_the_skeletons_copies_equal_the_samples_files(copied: str) -> None:
    """The skeleton's company, its initiation and the house are the sample's files, byte for
    byte and file for file: update the skeleton with the sample (never invent numbers)."""
    ours, sample = SKELETON / copied, REPO / copied
    if sample.is_file():
        assert ours.read_bytes() == sample.read_bytes(), f"copy {copied} into {SKELETON}"
        return
    assert listing(ours) == listing(sample)
    for name in listing(sample):
        assert (ours / name).read_bytes() == (sample / name).read_bytes(), f"{copied}/{name}"


def test_the_skeleton_holds_one_company_one_initiation_and_one_sector_note() -> None:
    assert [p.name for p in (SKELETON / "data/companies").iterdir()] == ["iluvatar"]
    types = {
        p.parent.name: yaml.safe_load(p.read_text(encoding="utf-8"))["type"]
        for p in (SKELETON / "data/reports").glob("*/report.yaml")
    }
    assert types == {"iluvatar": "company-initiation", "first-sector-note": "sector-note"}


def test_the_skeletons_acknowledgements_are_the_samples_own() -> None:
    """Each published difference the skeleton accepts is accepted, word for word, by the
    sample's data/acknowledged.yaml (its company's block, copied with its data)."""
    ours = (SKELETON / "data/acknowledged.yaml").read_text(encoding="utf-8")
    sample = (REPO / "data/acknowledged.yaml").read_text(encoding="utf-8")
    block = ours[ours.index("# --- companies/") :]
    assert block in sample
    entries = yaml.safe_load(ours)
    assert entries and {e["file"] for e in entries} <= {
        f"data/companies/iluvatar/{p.name}"
        for p in (SKELETON / "data/companies/iluvatar").iterdir()
    }


def test_new_writes_the_project_named_after_its_folder(tmp_path: Path) -> None:
    dest = tmp_path / "Bank coverage"
    result = new(str(dest))
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    assert listing(dest) == sorted([*listing(SKELETON), ".gitignore"])
    config = load_config(Project(dest))
    assert config.name == "Bank coverage" and config.modules == ()
    assert "build/" in (dest / ".gitignore").read_text(encoding="utf-8")
    assert "\nreport:\n\t$(REPORTGEN) build\n" in (dest / "Makefile").read_text(encoding="utf-8")


def test_new_takes_a_name_and_an_empty_existing_folder(tmp_path: Path) -> None:
    dest = tmp_path / "p"
    dest.mkdir()
    new_project(dest, name='Consumer "staples": Asia')
    assert load_config(Project(dest)).name == 'Consumer "staples": Asia'


def test_new_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    dest = tmp_path / "p"
    dest.mkdir()
    (dest / PROJECT_FILE).write_text("name: mine\n", encoding="utf-8")
    result = new(str(dest))
    assert result.exit_code == 2
    assert "folder exists and is not empty" in result.output
    assert "Traceback" not in result.output
    assert listing(dest) == [PROJECT_FILE]  # nothing written, nothing overwritten
    assert (dest / PROJECT_FILE).read_text(encoding="utf-8") == "name: mine\n"


def test_new_refuses_a_file(tmp_path: Path) -> None:
    dest = tmp_path / "notes.txt"
    dest.write_text("x", encoding="utf-8")
    result = new(str(dest))
    assert result.exit_code == 2 and "is not a folder" in result.output
    assert dest.read_text(encoding="utf-8") == "x"


def test_a_new_project_passes_check(tmp_path: Path) -> None:
    dest = tmp_path / "p"
    new_project(dest)
    result = CliRunner().invoke(main, ["--project", str(dest), "check"])
    assert result.exit_code == 0, result.output
    assert "data valid;" in result.output and " 0 not acknowledged" in result.output


@pytest.mark.e2e
def test_a_new_project_builds_strictly_on_first_try(tmp_path: Path) -> None:
    """Both reports build under --strict (no warning, no page-check finding) in a project
    that has no templates/ of its own and no market tables; a second build has nothing to do."""
    dest = tmp_path / "p"
    new_project(dest)
    result = CliRunner().invoke(main, ["--project", str(dest), "build", "--strict", "-j", "1"])
    assert result.exit_code == 0, result.output
    for slug in ("iluvatar", "first-sector-note"):
        assert (dest / "build" / f"{slug}.pdf").read_bytes().startswith(b"%PDF-")
        assert (dest / "build" / f"{slug}.html").is_file()
    status = CliRunner().invoke(main, ["--project", str(dest), "status"])
    assert status.exit_code == 0, status.output
    # (others' edits to reportgen's code in a shared checkout are not this test's)
    reasons = [
        reason
        for line in status.output.splitlines()
        if line.startswith("stale")
        for reason in line.split(": ", 1)[1].split("; ")
        if "code changed" not in reason
    ]
    assert reasons == [], status.output
