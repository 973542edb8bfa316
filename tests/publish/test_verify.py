"""`reportgen verify`: a release re-hashed against its manifest (changed, missing and added
files named), the PDF's attachments against the manifest's, the manifest against the registry."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pikepdf
import pytest

from reportgen.options import BuildOptions
from reportgen.project import Project
from reportgen.publish.model import MANIFEST_NAME
from reportgen.publish.snapshot import ENV_VAR
from reportgen.publish.verify import (
    compare_attachments,
    compare_files,
    find_release,
    verify_release,
)
from reportgen.runner import run_build
from tests.conftest import run_cli
from tests.tools import copy_sample

SLUG = "cambricon"
RID = "2026-04-26-01"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy with cambricon built and published once (each test copies it)."""
    root = tmp_path_factory.mktemp("verify") / "project"
    copy_sample(root)
    run_build(Project(root), [SLUG], BuildOptions(strict=True), lambda _m: None)
    result = run_cli(["publish", SLUG], root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(published: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(published, tmp_path / "project", symlinks=True))


def folder_of(root: Path) -> Path:
    return root / "releases" / SLUG / RID


def writable(path: Path) -> Path:
    path.chmod(0o644)
    return path


def test_an_untouched_release_verifies(project: Path) -> None:
    result = run_cli(["verify", RID], project)
    assert result.exit_code == 0, result.output
    # PDF, HTML, manifest and the workbooks of cambricon's three table exhibits.
    assert "verified: 6 files" in result.output and "registry record" in result.output
    assert verify_release(Project(project), RID) == []
    # A release folder is found by its path too (as given, or relative to the project).
    assert verify_release(Project(project), str(folder_of(project))) == []
    assert find_release(Project(project), f"releases/{SLUG}/{RID}") == folder_of(project)


def test_one_changed_byte_is_named(project: Path) -> None:
    path = writable(folder_of(project) / f"{SLUG}.html")
    data = bytearray(path.read_bytes())
    expected = hashlib.sha256(data).hexdigest()
    data[1000] ^= 0x01
    path.write_bytes(bytes(data))
    result = run_cli(["verify", RID], project)
    assert result.exit_code == 2, result.output
    found = hashlib.sha256(bytes(data)).hexdigest()
    assert f"{SLUG}.html: changed (sha256 expected {expected}, found {found})" in result.output
    assert "1 problem found" in result.output and "Traceback" not in result.output


def test_a_removed_and_an_added_file_are_named(project: Path) -> None:
    folder = folder_of(project)
    (folder / f"{SLUG}.html").unlink()
    (folder / "notes.txt").write_text("added later\n", encoding="utf-8")
    (folder / "outbox").mkdir()
    (folder / "outbox" / "extra.pdf").write_bytes(b"%PDF-1.7\n")
    problems = verify_release(Project(project), RID)
    assert problems == [
        f"{SLUG}.html: missing",
        f"notes.txt: added (not in {MANIFEST_NAME})",
        f"outbox/extra.pdf: added (not in {MANIFEST_NAME})",
    ]
    assert run_cli(["verify", RID], project).exit_code == 2


def test_a_changed_attachment_is_named_inside_the_pdf(project: Path) -> None:
    path = writable(folder_of(project) / f"{SLUG}.pdf")
    name = f"data/companies/{SLUG}/company.yaml"
    with pikepdf.open(io.BytesIO(path.read_bytes())) as pdf:
        stream = pdf.attachments[name].get_file().obj
        stream.write(stream.read_bytes() + b"# edited\n")
        out = io.BytesIO()
        pdf.save(out)
    path.write_bytes(out.getvalue())
    problems = verify_release(Project(project), RID)
    assert problems[0].startswith(f"{SLUG}.pdf: changed (sha256 expected ")
    assert problems[1].startswith(f"{SLUG}.pdf: attachment {name}: changed (sha256 expected ")
    assert len(problems) == 2


def test_a_manifest_rewritten_to_match_is_caught_by_the_registry(project: Path) -> None:
    folder = folder_of(project)
    html = writable(folder / f"{SLUG}.html")
    html.write_bytes(html.read_bytes() + b"<!-- edited -->")
    manifest_path = writable(folder / MANIFEST_NAME)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["outputs"][f"{SLUG}.html"] = hashlib.sha256(html.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    (problem,) = verify_release(Project(project), RID)
    assert problem.startswith(f"{MANIFEST_NAME}: changed (sha256 expected ")
    assert problem.endswith("the registry's record)")


def test_without_the_registry_the_files_are_still_verified(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "postgresql+psycopg://u:secret@127.0.0.1:1/x")
    result = run_cli(["verify", RID], project)
    assert result.exit_code == 0, result.output
    assert "note: the registry was not checked" in result.output
    assert "secret" not in result.output
    assert "verified: 6 files" in result.output and "registry record" not in result.output


def test_an_unknown_release_and_a_broken_manifest(project: Path) -> None:
    result = run_cli(["verify", "2026-04-26-09"], project)
    assert result.exit_code == 2
    assert "2026-04-26-09: no release folder or release id" in result.output
    assert verify_release(Project(project), "../../etc")[0].startswith("../../etc: no release")
    manifest = writable(folder_of(project) / MANIFEST_NAME)
    manifest.write_text("{not json", encoding="utf-8")
    (problem,) = verify_release(Project(project), RID)
    assert problem.startswith(f"{MANIFEST_NAME}: not valid JSON")


def test_compare_files_refuses_names_outside_the_release(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"a")
    digest = hashlib.sha256(b"a").hexdigest()
    problems, hashed = compare_files(tmp_path, {"a.pdf": digest, "../secret": digest})
    assert problems == [f"{MANIFEST_NAME}: lists '../secret', which is not a file in a release"]
    assert hashed == 1


def test_compare_attachments_of_an_unreadable_pdf() -> None:
    problems, count = compare_attachments("x.pdf", b"not a pdf", {"a": "b"})
    assert problems[0].startswith("x.pdf: not a readable PDF") and count == 0
