"""The build plan: content hashes of every input decide what is stale (no timestamps).

This module is deliberately light (no pandas, matplotlib or WeasyPrint), so that a build
with nothing to do finishes in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.outputs import write_atomic
from reportgen.project import Project

MANIFEST_VERSION = 1
PACKAGE = Path(__file__).resolve().parent
#: Modules holding exhibit builders: a change to one redraws only its own exhibits. Every other
#: module is shared code (a change redraws everything), so a helper that two builder modules use
#: lives in a non-builder module (figures/company_data.py, figures/sector_style.py), never in one
#: builder module imported by another.
BUILDER_MODULES = (
    "figures/company_charts.py",
    "figures/company_tables.py",
    "figures/industry.py",
    "figures/sector_day0.py",
    "figures/sector_market.py",
    "figures/sector_pricing.py",
)
DIR_PREFIX = "dir:"


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it does not exist)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""


def dir_hash(path: Path) -> str:
    """A folder's listing (names only): adding or removing a file changes it."""
    try:
        names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return ""
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def input_key(project: Project, path: Path) -> str:
    """How an input is named in the manifest: project-relative, folders prefixed with dir:."""
    resolved = path.resolve()
    try:
        rel = resolved.relative_to(project.root.resolve()).as_posix()
    except ValueError:
        rel = resolved.as_posix()
    return DIR_PREFIX + rel if resolved.is_dir() else rel


def current_hash(project: Project, key: str) -> str:
    """The hash an input has now (file content, or folder listing for dir: keys)."""
    if key.startswith(DIR_PREFIX):
        return dir_hash(project.root / key[len(DIR_PREFIX) :])
    return file_hash(project.root / key)


def fingerprint(project: Project, paths: set[Path]) -> dict[str, str]:
    """Hashes of the given inputs, keyed as in the manifest, sorted."""
    keys = sorted({input_key(project, p) for p in paths})
    return {k: current_hash(project, k) for k in keys}


def _hash_files(files: list[Path], contents: dict[Path, bytes]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files):
        digest.update(f.relative_to(PACKAGE).as_posix().encode())
        digest.update(contents[f])
    return digest.hexdigest()


def code_hashes() -> tuple[str, dict[str, str]]:
    """(hash of the code every report runs, {builder module: hash of it + shared code})."""
    everything = sorted(PACKAGE.rglob("*.py"))
    contents = {f: f.read_bytes() for f in everything}  # each file read once, hashed per key
    builders = {m: PACKAGE / m for m in BUILDER_MODULES}
    shared = [f for f in everything if f not in builders.values()]
    report_code = _hash_files(shared, contents)
    return report_code, {
        m: _hash_files([*shared, path], contents)
        for m, path in builders.items()
        if path in contents
    }


def builder_module_key(module: str) -> str:
    """'reportgen.figures.industry' -> 'figures/industry.py' (the key used in code_hashes)."""
    return module.removeprefix("reportgen.").replace(".", "/") + ".py"


@dataclass
class ExhibitRecord:
    """What an exhibit was last drawn from and what it wrote."""

    inputs: dict[str, str]
    code: str
    params: str
    output: str | None = None
    output_hash: str = ""


@dataclass
class ReportRecord:
    """What a report was last built from and what it wrote."""

    inputs: dict[str, str]
    code: str
    outputs: dict[str, str]
    exhibits: dict[str, ExhibitRecord] = field(default_factory=dict)
    #: Warnings of that build (e.g. model value vs target), replayed while the report is fresh
    #: so `--strict` cannot pass just because nothing changed.
    warnings: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """The last successful build of every report, and the data it validated."""

    data_files: dict[str, str] = field(default_factory=dict)
    reports: dict[str, ReportRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return cls()
        if raw.get("version") != MANIFEST_VERSION:
            return cls()
        reports = {
            slug: ReportRecord(
                inputs=r["inputs"],
                code=r["code"],
                outputs=r["outputs"],
                exhibits={n: ExhibitRecord(**e) for n, e in r["exhibits"].items()},
                warnings=list(r.get("warnings", [])),
            )
            for slug, r in raw.get("reports", {}).items()
        }
        return cls(data_files=raw.get("data_files", {}), reports=reports)

    def save(self, path: Path) -> None:
        payload: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            "data_files": dict(sorted(self.data_files.items())),
            "reports": {
                slug: {
                    "inputs": r.inputs,
                    "code": r.code,
                    "outputs": r.outputs,
                    "exhibits": {n: vars(e) for n, e in sorted(r.exhibits.items())},
                    "warnings": r.warnings,
                }
                for slug, r in sorted(self.reports.items())
            },
        }
        write_atomic(path, json.dumps(payload, indent=1, sort_keys=True).encode("utf-8"))


def manifest_path(project: Project) -> Path:
    return project.root / ".reportgen-cache" / "manifest.json"


def data_files(project: Project) -> dict[str, str]:
    """Every file under data/ with its hash (a change means: validate again)."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(project.data):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = Path(root) / name
                found[path.relative_to(project.root).as_posix()] = file_hash(path)
    return found


def report_slugs(project: Project) -> list[str]:
    """Reports defined now (folders under data/reports holding a report.yaml)."""
    if not project.reports.is_dir():
        return []
    return sorted(p.parent.name for p in project.reports.glob("*/report.yaml"))


@dataclass(frozen=True)
class Plan:
    """What a build has to do, and why."""

    stale: dict[str, list[str]]  # slug -> reasons
    fresh: list[str]
    orphans: list[str]  # reports built before whose definitions are gone
    validate: bool  # data changed since the last successful validation

    @property
    def nothing_to_do(self) -> bool:
        return not self.stale and not self.orphans and not self.validate


def report_reasons(
    project: Project,
    record: ReportRecord | None,
    report_code: str,
    builder_code: dict[str, str] | None = None,
) -> list[str]:
    """Why a report must be rebuilt (empty when its last build still stands)."""
    if record is None:
        return ["new report (never built)"]
    reasons: list[str] = []
    if builder_code is not None:
        current = set(builder_code.values())
        changed = sorted(n for n, e in record.exhibits.items() if e.code and e.code not in current)
        if changed:
            reasons.append("figure builder code changed: " + ", ".join(changed))
    for key, old in record.inputs.items():
        now = current_hash(project, key)
        if now != old:
            what = (
                "removed"
                if not now
                else ("files added or removed" if key.startswith(DIR_PREFIX) else "changed")
            )
            reasons.append(f"{key.removeprefix(DIR_PREFIX)}: {what}")
    if record.code != report_code:
        reasons.append("reportgen code changed")
    for key, old in record.outputs.items():
        now = file_hash(project.root / key)
        if now != old:
            reasons.append(f"{key}: {'missing' if not now else 'modified since built'}")
    return reasons


def make_plan(project: Project, only: list[str] | None = None, force: bool = False) -> Plan:
    """Compare the manifest with the files as they are now."""
    manifest = Manifest.load(manifest_path(project))
    report_code, builder_code = code_hashes()
    slugs = report_slugs(project)
    if only:
        slugs = [s for s in slugs if s in only] + [s for s in only if s not in slugs]
    stale: dict[str, list[str]] = {}
    fresh: list[str] = []
    for slug in slugs:
        reasons = (
            ["--force"]
            if force
            else report_reasons(project, manifest.reports.get(slug), report_code, builder_code)
        )
        if reasons:
            stale[slug] = reasons
        else:
            fresh.append(slug)
    orphans = [] if only else sorted(set(manifest.reports) - set(report_slugs(project)))
    validate = force or data_files(project) != manifest.data_files
    return Plan(stale=stale, fresh=fresh, orphans=orphans, validate=validate)


def exhibit_reasons(
    project: Project, record: ExhibitRecord | None, code: str, params: str
) -> list[str]:
    """Why an exhibit must be redrawn (empty when its SVG on disk still stands)."""
    if record is None:
        return ["new exhibit"]
    reasons = [
        f"{k.removeprefix(DIR_PREFIX)} changed"
        for k, old in record.inputs.items()
        if current_hash(project, k) != old
    ]
    if record.code != code:
        reasons.append("builder code changed")
    if record.params != params:
        reasons.append("parameters changed")
    if record.output is None or file_hash(project.root / record.output) != record.output_hash:
        reasons.append("output missing or modified")
    return reasons


def params_key(exhibit_id: str, params: Any) -> str:
    """A stable text of an exhibit's id and parameters."""
    return hashlib.sha256(
        json.dumps([exhibit_id, params], sort_keys=True, default=str).encode()
    ).hexdigest()
