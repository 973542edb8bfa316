"""`reportgen verify RELEASE`: re-hash a release folder against its manifest, the PDF's
attachments against the manifest's, and the manifest against the registry's row."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from reportgen.errors import ReportgenError
from reportgen.project import Project
from reportgen.publish.model import MANIFEST_NAME, RELEASES_DIR

#: A release id: the report date and a two-digit (or longer) sequence number.
RELEASE_ID = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2,}$")


@dataclass
class Verification:
    """The result of verifying one release: its folder, how many files were hashed, the
    problems found (empty: verified) and notes (what could not be checked, and why)."""

    folder: Path | None
    files: int = 0
    attachments: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    registry_checked: bool = False


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def find_release(project: Project, target: str) -> Path | None:
    """The release folder ``target`` names: a folder holding manifest.json (as given, or
    relative to the project), else a release id looked up as releases/<slug>/<id>."""
    given = Path(target)
    for candidate in (given, project.root / given):
        if candidate.is_dir() and (candidate / MANIFEST_NAME).exists():
            return candidate
    if RELEASE_ID.match(target):
        found = sorted(p for p in (project.root / RELEASES_DIR).glob(f"*/{target}") if p.is_dir())
        if len(found) == 1:
            return found[0]
    return None


def _safe_name(name: str) -> bool:
    """A manifest entry names a file inside the release (no absolute path, no '..')."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def changed_line(name: str, expected: str, found: str) -> str:
    return f"{name}: changed (sha256 expected {expected}, found {found})"


def compare_files(folder: Path, expected: Mapping[str, str]) -> tuple[list[str], int]:
    """Problems (changed, missing, added: one line per file) of ``folder`` against
    ``expected`` ({relative path: sha256}; manifest.json itself is not listed), and how many
    listed files were hashed."""
    problems: list[str] = []
    hashed = 0
    present: set[str] = set()
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            rel = (Path(root) / name).relative_to(folder).as_posix()
            if rel != MANIFEST_NAME:
                present.add(rel)
        for name in dirs:
            path = Path(root) / name
            if path.is_symlink():
                present.add(path.relative_to(folder).as_posix())
    for name, digest in sorted(expected.items()):
        if not _safe_name(name):
            problems.append(f"{MANIFEST_NAME}: lists '{name}', which is not a file in a release")
            continue
        path = folder / name
        if name not in present or path.is_symlink() or not path.is_file():
            problems.append(f"{name}: missing")
            continue
        hashed += 1
        found = sha256(path.read_bytes())
        if found != digest:
            problems.append(changed_line(name, digest, found))
    for name in sorted(present - set(expected)):
        problems.append(f"{name}: added (not in {MANIFEST_NAME})")
    return problems, hashed


def compare_attachments(
    pdf_name: str, pdf_bytes: bytes, expected: Mapping[str, str]
) -> tuple[list[str], int]:
    """Problems of the PDF's embedded files against the manifest's attachments (and against
    the catalog's /AF list, which PDF/A-3 requires), and how many were checked."""
    import pikepdf

    from reportgen.publish.attach import af_names, attached

    try:
        found = attached(pdf_bytes)
        listed = set(af_names(pdf_bytes))
    except pikepdf.PdfError as exc:
        return [f"{pdf_name}: not a readable PDF ({' '.join(str(exc).split())[:200]})"], 0
    problems: list[str] = []
    for name, digest in sorted(expected.items()):
        if name not in found:
            problems.append(f"{pdf_name}: attachment {name}: missing")
            continue
        now = sha256(found[name])
        if now != digest:
            problems.append(changed_line(f"{pdf_name}: attachment {name}", digest, now))
        if name not in listed:
            problems.append(f"{pdf_name}: attachment {name}: not listed in the catalog /AF")
    for name in sorted(set(found) - set(expected)):
        problems.append(f"{pdf_name}: attachment {name}: added (not in {MANIFEST_NAME})")
    return problems, len(found)


def _load_manifest(folder: Path) -> tuple[bytes | None, dict[str, Any] | None, str | None]:
    path = folder / MANIFEST_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, None, f"{MANIFEST_NAME}: missing; nothing to verify against"
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return raw, None, f"{MANIFEST_NAME}: not valid JSON ({exc})"
    if not isinstance(manifest, dict) or not all(
        isinstance(manifest.get(k), dict) for k in ("outputs", "attachments")
    ):
        return raw, None, f"{MANIFEST_NAME}: not a release manifest (no outputs or attachments)"
    return raw, manifest, None


def _hashes(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def check_release(project: Project, target: str) -> Verification:
    """Verify the release ``target`` (a folder or a release id); see the module docstring."""
    folder = find_release(project, target)
    if folder is None:
        return Verification(
            None,
            problems=[
                f"{target}: no release folder or release id "
                f"(expected a folder holding {MANIFEST_NAME}, or an id under "
                f"{RELEASES_DIR}/<report>/)"
            ],
        )
    result = Verification(folder)
    raw, manifest, problem = _load_manifest(folder)
    if problem is not None or manifest is None or raw is None:
        result.problems.append(problem or f"{MANIFEST_NAME}: unreadable")
        return result
    outputs = _hashes(manifest.get("outputs"))
    expected = {**outputs, **_hashes(manifest.get("copies"))}
    problems, hashed = compare_files(folder, expected)
    result.problems += problems
    result.files = hashed + 1  # and the manifest
    pdf_name = f"{manifest.get('report', '')}.pdf"
    pdf_path = folder / pdf_name
    if pdf_name in outputs and pdf_path.is_file() and not pdf_path.is_symlink():
        problems, count = compare_attachments(
            pdf_name, pdf_path.read_bytes(), _hashes(manifest.get("attachments"))
        )
        result.problems += problems
        result.attachments = count
    _check_registry(project, manifest, raw, result)
    return result


def _check_registry(
    project: Project, manifest: Mapping[str, Any], raw: bytes, result: Verification
) -> None:
    """The manifest's hash against the registry's row, where the registry can be opened."""
    from reportgen.publish.registry import open_registry
    from reportgen.publish.snapshot import read_house

    rid, slug = str(manifest.get("release", "")), str(manifest.get("report", ""))
    try:
        # The house file as far as the registry needs it (no heavy build imports).
        registry = open_registry(project, read_house(project))
    except ReportgenError as exc:
        result.notes.append(f"note: the registry was not checked: {exc.problems[0]}")
        return
    if registry is None:
        result.notes.append("note: the registry was not checked: this project has none")
        return
    try:
        row = next((r for r in registry.releases(slug) if r.release_id == rid), None)
    except ReportgenError as exc:
        result.notes.append(f"note: the registry was not checked: {exc.problems[0]}")
        return
    finally:
        registry.close()
    result.registry_checked = True
    if row is None:
        result.problems.append(
            f"{MANIFEST_NAME}: release {rid} of {slug or '?'} has no row in the registry "
            f"{registry.url_shown}"
        )
        return
    found = sha256(raw)
    if found != row.manifest_sha256:
        result.problems.append(
            f"{MANIFEST_NAME}: changed (sha256 expected {row.manifest_sha256}, found {found}; "
            "the registry's record)"
        )


def verify_release(project: Project, target: str) -> list[str]:
    """The problems of the release ``target`` (a folder path or a release id); empty when every
    file, attachment and the registry's record agree with its manifest."""
    return check_release(project, target).problems
