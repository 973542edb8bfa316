"""`reportgen publish`: a release folder from a fresh strict build, written once and read-only,
its PDF/A-3b with attachments and provenance, the registry row after the files; refusals
(same inputs, unreachable database, unacknowledged difference) and interrupted publishes."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from reportgen.build import load_house
from reportgen.errors import BuildError, Problem
from reportgen.options import BuildOptions
from reportgen.project import Project
from reportgen.publish.attach import (
    DATA,
    PROVENANCE_NAME,
    SOURCE,
    Attachment,
    af_names,
    attach,
    attached,
    mime_type,
    pdfa_part,
    relationship_of,
)
from reportgen.publish.model import HISTORY_FILE, MANIFEST_NAME
from reportgen.publish.registry import open_registry
from reportgen.publish.release import (
    PAUSE_ENV,
    PENDING_PREFIX,
    _checked_output,
    clean_interrupted,
    git_state,
    inputs_digest,
)
from reportgen.publish.snapshot import ENV_VAR
from reportgen.runner import run_build
from tests.conftest import run_cli
from tests.publish.conftest import free_port
from tests.tools import copy_sample, require_tool

SLUG = "metax"
METAX = "data/companies/metax"
FIRST = "2026-04-26-01"


def copy_project(source: Path, target: Path) -> Path:
    """A copy of a whole project folder (outputs and build records included: still fresh)."""
    shutil.copytree(source, target, symlinks=True)
    return target


def rows(root: Path) -> list[str]:
    """The release ids the project's registry holds ([] without a registry)."""
    project = Project(root)
    registry = open_registry(project, load_house(project))
    if registry is None:
        return []
    try:
        return [r.release_id for r in registry.releases()]
    finally:
        registry.close()


def release_dirs(root: Path) -> list[str]:
    folder = root / "releases" / SLUG
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture(scope="module")
def smtp_port() -> int:
    """The port of the house's SMTP server: nothing listens there until a test starts one."""
    return free_port()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, smtp_port: int) -> Path:
    """A project copy with metax built strictly once (each test copies it); its house names
    an SMTP server on 127.0.0.1 (down unless a test starts it)."""
    root = tmp_path_factory.mktemp("built") / "project"
    copy_sample(root)
    house = root / "data/house.yaml"
    house.write_text(
        house.read_text(encoding="utf-8")
        + f"smtp:\n  host: 127.0.0.1\n  port: {smtp_port}\n  from: research@example.com\n"
        "  starttls: false\n",
        encoding="utf-8",
    )
    run_build(Project(root), [SLUG], BuildOptions(strict=True), lambda _m: None)
    return root


@pytest.fixture(scope="module")
def published(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built project after one `reportgen publish metax`."""
    root = copy_project(built, tmp_path_factory.mktemp("published") / "project")
    before = (root / "build/metax.pdf").stat().st_mtime_ns
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 0, result.output
    # The build made before there was a registry is the one published (not built again).
    assert (root / "build/metax.pdf").stat().st_mtime_ns == before
    assert f"published {SLUG} as {FIRST}: releases/{SLUG}/{FIRST}/" in result.output
    return root


# --- the release folder -------------------------------------------------------------------


def test_publish_writes_a_read_only_release_recorded_after_its_files(published: Path) -> None:
    folder = published / "releases" / SLUG / FIRST
    assert sorted(p.name for p in folder.iterdir()) == [
        MANIFEST_NAME,
        SLUG,  # the tables' workbooks, as the HTML links them (render/xlsx.py)
        f"{SLUG}.html",
        f"{SLUG}.pdf",
    ]
    books = sorted((published / "build" / SLUG).glob("*.xlsx"))
    assert len(books) == 3
    for book in books:
        assert (folder / SLUG / book.name).read_bytes() == book.read_bytes()
    assert all((p.stat().st_mode & 0o777) == 0o444 for p in folder.rglob("*") if p.is_file())
    assert release_dirs(published) == [FIRST]  # no staging folder, no pending marker
    raw = (folder / MANIFEST_NAME).read_bytes()
    manifest = json.loads(raw)
    assert manifest["release"] == FIRST and manifest["report"] == SLUG
    assert manifest["type"] == "company-initiation" and manifest["date"] == "2026-04-26"
    assert manifest["sample"] is True and manifest["user"]
    assert manifest["git_commit"] is None  # the copy is no git work tree
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    # The HTML is the build's, byte for byte; every input the build read is hashed.
    assert (folder / f"{SLUG}.html").read_bytes() == (published / "build/metax.html").read_bytes()
    for name in (f"{METAX}/company.yaml", "data/reports/metax/report.yaml", HISTORY_FILE):
        assert name in manifest["inputs"]
    company = (published / METAX / "company.yaml").read_bytes()
    assert manifest["inputs"][f"{METAX}/company.yaml"] == hashlib.sha256(company).hexdigest()
    project = Project(published)
    registry = open_registry(project, load_house(project))
    assert registry is not None
    try:
        (release,) = registry.releases(SLUG)
    finally:
        registry.close()
    assert release.release_id == FIRST
    assert release.manifest_sha256 == hashlib.sha256(raw).hexdigest()
    assert release.pdf_sha256 == manifest["outputs"][f"{SLUG}.pdf"]
    assert release.inputs_digest == manifest["inputs_digest"]
    assert [c.company for c in release.companies] == [SLUG]
    # The build history now holds the release (builds read it).
    history = json.loads((published / HISTORY_FILE).read_text(encoding="utf-8"))
    assert [r["release_id"] for r in history["releases"]] == [FIRST]


def test_the_release_pdf_is_pdfa3b_with_its_attachments_and_provenance(published: Path) -> None:
    folder = published / "releases" / SLUG / FIRST
    data = (folder / f"{SLUG}.pdf").read_bytes()
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdfa_part(pdf) == ("3", "B")
        specs = {name: spec.obj for name, spec in pdf.attachments.items()}
        assert str(specs[PROVENANCE_NAME].AFRelationship) == "/Data"
        assert str(specs[f"{METAX}/company.yaml"].AFRelationship) == "/Data"
        assert str(specs["data/reports/metax/report.yaml"].AFRelationship) == "/Source"
        stream = specs[f"{METAX}/ri_inputs.csv"].EF.F
        assert str(stream.Subtype) == "/text/csv" and "/ModDate" in stream.Params
        # Pages and the build's document information are kept.
        build = pikepdf.open(published / "build/metax.pdf")
        assert len(pdf.pages) == len(build.pages)
        assert str(pdf.docinfo.Title) == str(build.docinfo.Title)
    # A sample house's release says SAMPLE on its pages, as its builds do.
    assert all(
        "SAMPLE" in (page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages
    )
    files = attached(data)
    assert set(files) == set(manifest["attachments"]) == set(af_names(data))
    assert {f"{METAX}/company.yaml", "data/house.yaml", PROVENANCE_NAME} <= set(files)
    assert not any(name.startswith(("templates/", ".reportgen-cache/")) for name in files)
    for name, content in files.items():
        assert hashlib.sha256(content).hexdigest() == manifest["attachments"][name]
    provenance = json.loads(files[PROVENANCE_NAME])
    assert provenance["report"] == SLUG and provenance["numbers"]
    assert files[f"{METAX}/company.yaml"] == (published / METAX / "company.yaml").read_bytes()
    qpdf = require_tool("qpdf", package="qpdf")
    done = subprocess.run([qpdf, "--check", str(folder / f"{SLUG}.pdf")], capture_output=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_same_inputs_are_not_published_twice(published: Path, tmp_path: Path) -> None:
    root = copy_project(published, tmp_path / "project")
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert (
        f"{SLUG} is already published as {FIRST} with the same inputs; "
        "change the data or the prose first"
    ) in result.output
    assert "Traceback" not in result.output
    assert release_dirs(root) == [FIRST] and rows(root) == [FIRST]


# --- a second release across a data change --------------------------------------------------

RETIRE = (
    "transcribed:\n"
    "  source: seed 001, industry initiation dated 26 Apr 2026\n"
    "  retired: 2026-06-15\n"
    "  reason: our own update of the estimates, price target and scenario values\n"
)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def update_metax(root: Path) -> None:
    """As an analyst would: a new target and scenario values, new 2027E-2028E estimates,
    the transcribed source values retired (tests/checks/test_acknowledged.py does the same)."""
    yaml = root / METAX / "company.yaml"
    replace(yaml, "price_target: 758\n", "price_target: 785\n")
    replace(yaml, "    value: 1500.00\n", "    value: 1550.00\n")
    replace(yaml, "    value: 758.00\n", "    value: 785.00\n")
    replace(yaml, "    value: 380.00\n", "    value: 390.00\n")
    yaml.write_text(yaml.read_text(encoding="utf-8") + RETIRE, encoding="utf-8")
    inputs = root / METAX / "ri_inputs.csv"
    replace(inputs, "2027,533,13706,Ex 40\n", "2027,600,13773,house update\n")
    replace(inputs, "2028,1001,14706,Ex 40\n", "2028,1100,14873,house update\n")


def test_a_data_change_publishes_a_second_release_with_recipient_copies(
    published: Path, tmp_path: Path, smtp_port: int
) -> None:
    root = copy_project(published, tmp_path / "project")
    update_metax(root)
    recipients = tmp_path / "recipients.csv"
    recipients.write_text(
        "name,firm,email\nJane Doe,Example Capital,jane@example.com\nWei Zhang,,wei@example.org\n",
        encoding="utf-8",
    )
    result = run_cli(["publish", SLUG, "--recipients", str(recipients)], root)
    second = "2026-04-26-02"
    # The house's SMTP server is down: the release is made, the copies wait (exit 2).
    assert result.exit_code == 2, result.output
    assert f"published {SLUG} as {second}: releases/{SLUG}/{second}/" in result.output
    assert f"error: jane@example.com: cannot reach 127.0.0.1:{smtp_port}" in result.output
    assert "the release was made, and the next publish will try to send them again" in (
        " ".join(result.output.split())
    )
    assert release_dirs(root) == [FIRST, second] and rows(root) == [FIRST, second]
    folder = root / "releases" / SLUG / second
    manifest = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    copies = sorted(manifest["copies"])
    assert copies == [f"outbox/{SLUG}-{second}-01.pdf", f"outbox/{SLUG}-{second}-02.pdf"]
    for name in copies:
        data = (folder / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == manifest["copies"][name]
        assert (folder / name).stat().st_mode & 0o777 == 0o444
        assert set(attached(data)) == set(manifest["attachments"])  # the release's own
    project = Project(root)
    registry = open_registry(project, load_house(project))
    assert registry is not None
    try:
        first_row, second_row = registry.releases(SLUG)
        recorded = registry.copies(second)
    finally:
        registry.close()
    assert first_row.companies[0].price_target == 758
    assert second_row.companies[0].price_target == 785
    assert first_row.inputs_digest != second_row.inputs_digest
    assert sorted(c.email for c in recorded) == ["jane@example.com", "wei@example.org"]
    assert {c.file for c in recorded} == set(copies)
    assert all(c.sent_at is None and c.last_error for c in recorded)
    # The first release is untouched by the second.
    assert run_cli(["verify", FIRST], root).exit_code == 0
    verified = run_cli(["verify", second], root)
    assert verified.exit_code == 0, verified.output
    # PDF, HTML, two copies, manifest and a workbook per table: metax's three, and the
    # estimate changes since the first release.
    books = sorted(p.name for p in (folder / SLUG).iterdir())
    tables = ("earnings-estimates", "estimate-changes", "key-products", "ri-valuation")
    assert books == [f"{SLUG}-{n}-{SLUG}.xlsx" for n in tables]
    assert "verified: 9 files" in verified.output

    # The next publish sends what waits first (then refuses: nothing changed); never twice.
    from aiosmtpd.controller import Controller

    received: list[list[str]] = []

    class Handler:
        async def handle_DATA(self, _server: object, _session: object, envelope: Any) -> str:
            received.append(list(envelope.rcpt_tos))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        again = run_cli(["publish", SLUG], root)
        assert again.exit_code == 2 and "already published as 2026-04-26-02" in again.output
        assert sorted(received) == [["jane@example.com"], ["wei@example.org"]]
        assert run_cli(["publish", SLUG], root).exit_code == 2
        assert len(received) == 2
    finally:
        controller.stop()
    registry = open_registry(project, load_house(project))
    assert registry is not None
    try:
        assert all(c.sent_at for c in registry.copies(second))
    finally:
        registry.close()


# --- refusals: nothing is written ----------------------------------------------------------


def test_an_unreachable_database_fails_first_without_its_password(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_project(built, tmp_path / "project")
    build_before = {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()}
    monkeypatch.setenv(ENV_VAR, "postgresql+psycopg://u:secret@127.0.0.1:1/x")
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert "secret" not in result.output
    assert "127.0.0.1:1" in result.output and "Traceback" not in result.output
    assert not (root / "releases").exists()
    assert {p: p.read_bytes() for p in (root / "build").rglob("*") if p.is_file()} == build_before


def test_a_bad_recipients_file_refuses_before_anything_is_built(
    built: Path, tmp_path: Path
) -> None:
    root = copy_project(built, tmp_path / "project")
    bad = tmp_path / "recipients.csv"
    bad.write_text("name,firm,email\nJane Doe,Example Capital,not-an-address\n", encoding="utf-8")
    for path in (bad, tmp_path / "missing.csv"):
        result = run_cli(["publish", SLUG, "--recipients", str(path)], root)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert not (root / "releases" / SLUG).exists() and rows(root) == []
    assert (
        "recipients.csv:2: column 'email'"
        in run_cli(["publish", SLUG, "--recipients", str(bad)], root).output
    )


def test_publish_records_in_postgresql(
    built: Path, tmp_path: Path, registry_url_postgres: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A team's registry on a real PostgreSQL server (skipped where none is installed)."""
    root = copy_project(built, tmp_path / "project")
    monkeypatch.setenv(ENV_VAR, registry_url_postgres)
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 0, result.output
    assert rows(root) == [FIRST] and release_dirs(root) == [FIRST]
    assert run_cli(["verify", FIRST], root).exit_code == 0
    monkeypatch.delenv(ENV_VAR)
    assert rows(root) == []  # the project's own SQLite file was not written


def test_an_unacknowledged_difference_refuses_the_publish(built: Path, tmp_path: Path) -> None:
    """The strict build already fails on it (the acknowledgements are checked in the build)."""
    root = copy_project(built, tmp_path / "project")
    acks = root / "data/acknowledged.yaml"
    text = acks.read_text(encoding="utf-8")
    start = text.index("- file: data/market/chips.csv\n  row: BI-V100*\n")
    end = text.index("- file:", start + 1)
    acks.write_text(text[:start] + text[end:], encoding="utf-8")
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert "data/market/chips.csv:" in result.output and "not acknowledged" in result.output
    assert "not published" in result.output
    assert not (root / "releases" / SLUG).exists() and rows(root) == []


def test_publish_checks_the_acknowledgements_itself(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Should a build ever pass with a difference open, the publish still refuses it (the
    check's result is replaced here: the sample data have none open)."""
    import reportgen.checks.acknowledged as acknowledged

    root = copy_project(built, tmp_path / "project")
    seen: list[list[str]] = []

    def open_difference(_project: Project, _ds: object, files: list[str]) -> list[Problem]:
        seen.append(list(files))
        return [Problem(f"{METAX}/ri_published.csv", 4, "eps_rmb", "published 1 differs")]

    monkeypatch.setattr(acknowledged, "unacknowledged", open_difference)
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert f"{METAX}/ri_published.csv:4: column 'eps_rmb'" in result.output
    assert "are not acknowledged with a reason" in result.output
    assert f"{METAX}/company.yaml" in seen[0]
    assert not (root / "releases" / SLUG).exists() and rows(root) == []


def test_a_release_folder_of_another_registry_is_never_removed(built: Path, tmp_path: Path) -> None:
    root = copy_project(built, tmp_path / "project")
    other = root / "releases" / SLUG / FIRST
    other.mkdir(parents=True)
    (other / "kept.txt").write_text("from another registry\n", encoding="utf-8")
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert f"releases/{SLUG}/{FIRST}: exists, but the registry at" in result.output
    assert (other / "kept.txt").is_file() and rows(root) == []
    assert release_dirs(root) == [FIRST]


# --- interrupted publishes -----------------------------------------------------------------


def _start_paused(root: Path, pause: Path) -> subprocess.Popen[bytes]:
    """`reportgen publish metax` in a child, paused inside the staging folder."""
    env = {**os.environ, PAUSE_ENV: str(pause)}
    env.pop(ENV_VAR, None)
    child = subprocess.Popen(
        [sys.executable, "-m", "reportgen.cli", "--project", str(root), "publish", SLUG],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not (pause / f"{SLUG}.publishing").exists():
        assert child.poll() is None, child.communicate()
        assert time.monotonic() < deadline, "the publish never reached its pause"
        time.sleep(0.05)
    (pause / f"{SLUG}.publishing").unlink()
    return child


def test_an_interrupted_publish_leaves_no_release_and_the_next_one_cleans_up(
    built: Path, tmp_path: Path
) -> None:
    root = copy_project(built, tmp_path / "project")
    pause = tmp_path / "pause"
    pause.mkdir()
    staging = root / "releases" / SLUG / f".staging-{FIRST}"

    # SIGTERM while writing: the staging folder is removed on the way out.
    child = _start_paused(root, pause)
    assert staging.is_dir() and (staging / f"{SLUG}.pdf").is_file()
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=60)
    assert child.returncode != 0
    assert release_dirs(root) == [] and rows(root) == []

    # kill -9: nothing can clean up; no release folder, no registry row.
    child = _start_paused(root, pause)
    child.kill()
    child.communicate(timeout=60)
    assert release_dirs(root) == [f".staging-{FIRST}"] and rows(root) == []

    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 0, result.output
    assert f"removed releases/{SLUG}/.staging-{FIRST}" in result.output
    assert release_dirs(root) == [FIRST] and rows(root) == [FIRST]
    assert run_cli(["verify", FIRST], root).exit_code == 0


def test_a_publish_waits_for_a_build_holding_the_project_lock(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    import reportgen.publish.release as release
    from reportgen.runner import LOCK_FILE

    root = copy_project(built, tmp_path / "project")
    monkeypatch.setattr(release, "WAIT_SECONDS", 0.2)
    with FileLock(str(root / LOCK_FILE)):  # as a build in another process holds it
        result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert "another build of this project is running" in result.output
    assert "another build still holds the project lock" in result.output
    assert not (root / "releases").exists()


def test_a_pdf_that_is_not_pdfa3b_is_refused(built: Path, tmp_path: Path) -> None:
    root = copy_project(built, tmp_path / "project")
    house = root / "data/house.yaml"
    house.write_text(house.read_text(encoding="utf-8") + "pdf_variant: pdf/a-2b\n")
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert "build/metax.pdf: declares PDF/A-2b, not PDF/A-3b" in result.output
    assert not (root / "releases").exists()


def test_a_linked_releases_folder_is_refused(built: Path, tmp_path: Path) -> None:
    root = copy_project(built, tmp_path / "project")
    outside = tmp_path / "outside"
    (outside / f".staging-{FIRST}").mkdir(parents=True)
    (root / "releases").mkdir()
    (root / "releases" / SLUG).symlink_to(outside, target_is_directory=True)
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 2, result.output
    assert f"releases/{SLUG}: is a symbolic link" in result.output
    assert sorted(p.name for p in outside.iterdir()) == [f".staging-{FIRST}"]
    assert rows(root) == []


def test_cleanup_removes_staging_and_unregistered_pending_folders(tmp_path: Path) -> None:
    project = Project(tmp_path)
    base = tmp_path / "releases" / SLUG
    for name in (".staging-2026-04-26-03", "2026-04-26-01", "2026-04-26-02", "2026-04-26-04"):
        (base / name).mkdir(parents=True)
        (base / name / "x.pdf").write_bytes(b"%PDF")
        (base / name / "x.pdf").chmod(0o444)
    # -01 was registered (killed before its marker went), -02 never was; -04 has no marker.
    for rid in ("2026-04-26-01", "2026-04-26-02"):
        (base / f"{PENDING_PREFIX}{rid}").touch()
    removed = clean_interrupted(project, lambda slug: {"2026-04-26-01"} if slug == SLUG else set())
    assert removed == [f"releases/{SLUG}/.staging-2026-04-26-03", f"releases/{SLUG}/2026-04-26-02"]
    assert sorted(p.name for p in base.iterdir()) == ["2026-04-26-01", "2026-04-26-04"]
    assert clean_interrupted(Project(tmp_path / "none"), lambda _s: set()) == []


# --- small pieces --------------------------------------------------------------------------


def test_inputs_digest_ignores_order_and_the_registry_history() -> None:
    inputs = {"data/a.csv": "1", "data/b.yaml": "2"}
    digest = inputs_digest(inputs)
    assert digest == inputs_digest(dict(reversed(list(inputs.items()))))
    assert digest == inputs_digest({**inputs, HISTORY_FILE: "anything"})
    assert digest != inputs_digest({**inputs, "data/b.yaml": "3"})
    assert digest != inputs_digest({"data/a.csv": "1"})


def test_a_modified_build_output_is_refused(tmp_path: Path) -> None:
    project = Project(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build/x.pdf").write_bytes(b"built")
    built = {"build/x.pdf": hashlib.sha256(b"built").hexdigest()}
    assert _checked_output(project, "build/x.pdf", built) == b"built"
    (tmp_path / "build/x.pdf").write_bytes(b"edited")
    with pytest.raises(BuildError, match="modified since it was built"):
        _checked_output(project, "build/x.pdf", built)
    with pytest.raises(BuildError, match="missing"):
        _checked_output(project, "build/y.pdf", built)


def test_attachments_are_deterministic_and_typed(built: Path) -> None:
    import datetime as dt

    pdf = (built / "build/metax.pdf").read_bytes()
    files = [
        Attachment("data/b.csv", b"a,b\n1,2\n", DATA, "b"),
        Attachment("data/reports/x/report.yaml", b"title: x\n", SOURCE, "x"),
    ]
    once = attach(pdf, files, dt.date(2026, 4, 26))
    assert once == attach(pdf, list(reversed(files)), dt.date(2026, 4, 26))
    assert attached(once) == {f.name: f.data for f in files}
    assert mime_type("data/x/company.yaml") == "application/yaml"
    assert mime_type("data/x/notes.md") == "text/markdown"
    assert mime_type("data/x/blob.bin") == "application/octet-stream"
    assert relationship_of("data/reports/metax/summary.md") == SOURCE
    assert relationship_of("data/house.yaml") == SOURCE
    assert relationship_of(f"{METAX}/ri_inputs.csv") == DATA
    with pikepdf.new() as plain:
        assert pdfa_part(plain) == (None, None)


def test_git_state(tmp_path: Path) -> None:
    git = require_tool("git", package="git")
    assert git_state(tmp_path) == (None, None)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [git, *args], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    run("init", "-q")
    (tmp_path / "data.csv").write_text("a\n", encoding="utf-8")
    run("add", "data.csv")
    run("commit", "-q", "-m", "x")
    head = run("rev-parse", "HEAD")
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases/new.txt").write_text("a release is not a change\n", encoding="utf-8")
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "data.csv").write_text("b\n", encoding="utf-8")
    assert git_state(tmp_path) == (head, True)
