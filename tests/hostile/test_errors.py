"""The error boundary: the user's mistakes (and a machine that refuses: a full disk, a
read-only folder, a busy port) are exit 2 with a located message and no traceback; a bug in
reportgen's own code is exit 1, says it is ours, and names a crash log holding the traceback.
Where a build ran before, the previous outputs must come through unchanged."""

from __future__ import annotations

import errno
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from reportgen.errors import write_crash_log
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.outputs import TMP_SUFFIX
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[2]
SLUG = "deepseek-v4-pricing"
REPORT = f"data/reports/{SLUG}/report.yaml"
PRICING = "data/market/llm_pricing.csv"
OUTPUT_DIRS = ("build", "figures")


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--project", str(root), *args])


def outputs(root: Path) -> dict[str, bytes]:
    """Every file under build/ and figures/, by path: what a failed build must not change."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for folder in OUTPUT_DIRS
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


def strays(root: Path) -> list[Path]:
    return [p for p in root.rglob(f"*{TMP_SUFFIX}")]


def edit(root: Path, rel: str, old: str, new: str) -> int:
    """Replace the one occurrence of ``old`` in a project file; returns its 1-based line."""
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {rel}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the sector note built once (copied by each test that needs outputs)."""
    root = tmp_path_factory.mktemp("built") / "p"
    copy_sample(root)
    result = run(root, "build", "-q", SLUG)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(built: Path, tmp_path: Path) -> Path:
    """A copy of the built project whose sector note is stale (one price changed)."""
    root = tmp_path / "p"
    shutil.copytree(built, root)
    # DeepSeek V4 Pro's input price: drawn in several of the note's charts.
    edit(root, PRICING, "DeepSeek V4 Pro,Y,Y,1.74,", "DeepSeek V4 Pro,Y,Y,1.75,")
    assert "stale    " + SLUG in run(root, "status").output
    return root


@pytest.fixture
def broken_builder(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The day-0 chart's builder replaced by one with a bug of its own (not a data problem)."""
    load_builders()

    def day0_with_a_bug(ds: Any, params: Mapping[str, Any]) -> Any:
        return {"vendors": []}["models"]  # a KeyError in our code, whatever the input

    monkeypatch.setitem(
        EXHIBITS, "day0-matrix", replace(EXHIBITS["day0-matrix"], build=day0_with_a_bug)
    )
    # The replaced builder lives only in this process: workers must inherit it (fork), as a
    # spawned worker imports reportgen's own builder afresh.
    monkeypatch.setattr("reportgen.procs.START_METHOD", "fork")  # workers, renderer's child
    yield "day0_with_a_bug"


# --- a bug in reportgen is ours: exit 1, a crash log, no traceback on the terminal ----------------


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "in-a-worker"])
def test_a_builder_bug_is_reported_as_ours_with_a_crash_log(
    project: Path, broken_builder: str, jobs: str
) -> None:
    before = outputs(project)
    result = run(project, "build", "-q", "-j", jobs, SLUG)
    assert result.exit_code == 1, result.output
    assert "bug in reportgen, not a problem with your input" in result.stderr
    assert "report.yaml" not in result.stderr  # the analyst's definition is not blamed
    assert "Traceback" not in result.output
    (log,) = (project / ".reportgen-cache").glob("crash-*.log")
    assert f"the full traceback is in .reportgen-cache/{log.name}" in result.stderr
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert f"in {broken_builder}" in text  # the frame of the bug, from the worker if there
    assert "KeyError: 'models'" in text
    assert outputs(project) == before
    assert strays(project) == []
    assert "stale    " + SLUG in run(project, "status").output


def test_debug_shows_the_traceback_on_the_terminal(project: Path, broken_builder: str) -> None:
    result = run(project, "--debug", "build", "-q", "-j", "1", SLUG)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert broken_builder in result.stderr
    assert "bug in reportgen" in result.stderr


def test_the_crash_log_falls_back_to_a_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / ".reportgen-cache").write_text("a file where the cache folder should be")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    try:
        raise ValueError("a bug")
    except ValueError as exc:
        log = write_crash_log(exc, root, ["reportgen", "build"])
    assert log is not None and log.parent == tmp_path / "tmp" / "reportgen-crashes"
    text = log.read_text(encoding="utf-8")
    assert "command: reportgen build" in text and "ValueError: a bug" in text


def test_an_unexpected_os_error_is_a_bug_not_a_user_error(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the OSErrors a user can fix (space, permissions, a file in the way) are exit 2."""
    load_builders()

    def bad_descriptor(ds: Any, params: Mapping[str, Any]) -> Any:
        raise OSError(errno.EBADF, "Bad file descriptor")

    spec = replace(EXHIBITS["day0-matrix"], build=bad_descriptor)
    monkeypatch.setitem(EXHIBITS, "day0-matrix", spec)
    result = run(project, "build", "-q", "-j", "1", SLUG)
    assert result.exit_code == 1, result.output
    assert "bug in reportgen" in result.stderr


# --- the analyst's mistakes are theirs: exit 2, located ------------------------------------------


def test_bad_params_are_located_before_anything_is_drawn(project: Path) -> None:
    before = outputs(project)
    line = edit(project, REPORT, "params: {year: 2025}", "params: {year: [2025], colour: red}")
    for command in ("check", "build"):
        result = run(project, command, *(["-q", SLUG] if command == "build" else []))
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        where = f"error: {REPORT}:{line - 1}: column 'params': exhibit 'shipment-share-2025': "
        assert where + "parameter 'year': expected a year such as 2025, found [2025]" in (
            result.stderr
        )
        assert where + "unknown parameter 'colour'; expected one of: year" in result.stderr
    assert outputs(project) == before


def test_a_company_with_no_folder_is_located(project: Path) -> None:
    report = "data/reports/cambricon/report.yaml"
    text = (project / report).read_text(encoding="utf-8")
    line = text.splitlines().index("      - id: key-products") + 1
    edit(
        project,
        report,
        "      - id: key-products\n        params: {company: cambricon}",
        ("      - id: key-products\n        params: {company: cambricorn}"),
    )
    result = run(project, "check")
    assert result.exit_code == 2, result.output
    assert (
        f"{report}:{line}: column 'params': exhibit 'key-products-cambricorn' (key-products): "
        "parameter 'company': "
        "expected a company folder under data/companies, found 'cambricorn'; "
        "known: cambricon, iluvatar, metax"
    ) in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "in-a-worker"])
def test_a_data_error_a_builder_raises_on_purpose_is_located(project: Path, jobs: str) -> None:
    """A model that is not in the pricing table: the builder says so, the exhibit's line is
    named, and it stays exit 2 when the chart is drawn in a worker process."""
    before = outputs(project)
    line = edit(project, REPORT, "subject: DeepSeek V4 Pro", "subject: DeepSeek V9")
    result = run(project, "build", "-q", "-j", jobs, SLUG)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        f"error: {REPORT}:{line - 2}: column 'exhibits': exhibit 'v4-vs-overseas-flagships': "
        "unknown model 'DeepSeek V9': not a model in data/market/llm_pricing.csv"
    ) in result.stderr
    assert outputs(project) == before


# --- the machine refuses: a full disk, a read-only folder, a file in the way ----------------------


def _under(path: str | os.PathLike[str], root: Path) -> bool:
    return any(Path(path).is_relative_to(root / folder) for folder in OUTPUT_DIRS)


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["in-process", "in-a-worker"])
def test_a_full_disk_leaves_the_previous_outputs(
    project: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    """The disk fills while the report's outputs are written: a write under build/ or
    figures/ fails with ENOSPC at fsync (the way a real full disk surfaces on many file
    systems), deterministically, in this process and in forked workers."""
    before = outputs(project)
    real_fsync = os.fsync
    hits: list[str] = []

    def full(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        if _under(target, project):
            hits.append(target)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    monkeypatch.setattr("reportgen.procs.START_METHOD", "fork")  # workers inherit the full disk
    result = run(project, "build", "-q", "-j", jobs, SLUG)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(("error: figures/deepseek-v4-pricing/", "error: build/"))
    assert errors[0].endswith(": no space left on device; free some space, then build again")
    monkeypatch.undo()
    assert outputs(project) == before
    assert strays(project) == []
    assert "stale    " + SLUG in run(project, "status").output  # nothing recorded as built
    assert run(project, "build", "-q", SLUG).exit_code == 0  # space again: it builds
    assert outputs(project) != before


def _read_only(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make build/ and figures/ read-only: chmod where that binds, else (as root, which
    chmod does not stop) refuse new files there with EROFS, as a read-only mount would."""
    monkeypatch.setattr("reportgen.procs.START_METHOD", "fork")  # workers inherit the refusal
    for folder in OUTPUT_DIRS:
        for d in [root / folder, *(p for p in (root / folder).rglob("*") if p.is_dir())]:
            d.chmod(0o555)
    probe = root / "build" / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return
    probe.unlink()
    real_mkstemp = tempfile.mkstemp

    def read_only(*args: Any, **kwargs: Any) -> Any:
        folder = kwargs.get("dir")
        if folder is not None and _under(Path(folder) / "x", root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)


def test_a_read_only_output_folder_leaves_the_previous_outputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = outputs(project)
    _read_only(project, monkeypatch)
    try:
        result = run(project, "build", "-q", SLUG)
    finally:
        for folder in OUTPUT_DIRS:
            for d in [project / folder, *(p for p in (project / folder).rglob("*") if p.is_dir())]:
                d.chmod(0o755)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(("error: figures/deepseek-v4-pricing/", "error: build/"))
    assert errors[0].endswith(
        ("read-only file system; ", "permission denied; ")[0 if os.geteuid() == 0 else 1]
        + "reportgen must be able to write there: fix the folder's permissions or mount"
    )
    assert outputs(project) == before
    assert strays(project) == []


def test_a_file_where_build_should_be_is_located(tmp_path: Path) -> None:
    """No simulation: a real file named build/ (a real refusal, root or not)."""
    root = tmp_path / "p"
    copy_sample(root)
    (root / "build").write_text("not a folder")
    result = run(root, "build", "-q", "-j", "1", SLUG)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        f"error: build/{SLUG}.html: a file is where a folder should be; "
        "move what is in the way, then build again"
    ) in result.stderr
    assert (root / "build").read_text() == "not a folder"
    assert list((root / "figures").rglob("*.svg")) == []  # nor the charts
    assert strays(root) == []


# --- a busy port ----------------------------------------------------------------------------------


def test_serve_on_a_busy_port_says_so_before_building(tmp_path: Path) -> None:
    root = tmp_path / "p"
    copy_sample(root)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run(root, "serve", "--port", str(port), "--no-open")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        f"error: --port: port {port} on 127.0.0.1 is in use; pick another with --port"
        in result.stderr
    )
    assert not (root / "build").exists()  # refused at once, not after a build
