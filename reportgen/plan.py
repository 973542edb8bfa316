"""The build plan: content hashes of every input decide what is stale (no timestamps).

This module is deliberately light (no pandas, matplotlib or WeasyPrint), so that a build
with nothing to do finishes in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.deps import CHANGED, DIR_PREFIX, dir_hash, file_hash
from reportgen.outputs import write_atomic
from reportgen.pdfvariant import configured_variant
from reportgen.project import Project
from reportgen.publish.snapshot import sync_history

#: 2: input hashes are those of the bytes the build read (CHANGED when an input moved under
#: it), no longer of the files as they were when it ended; a version 1 manifest rebuilds all.
#: 3: a report's record holds the PDF variant it was written as (a version 2 record, without
#: it, would pass a PDF/A-3b build off as fresh): a version 2 manifest rebuilds all.
MANIFEST_VERSION = 3
PACKAGE = Path(__file__).resolve().parent
#: Modules holding exhibit builders: a change to one redraws only its own exhibits. Every other
#: module is shared code (a change redraws everything), so a helper that two builder modules use
#: lives in a non-builder module (figures/company_data.py, figures/sector_style.py), never in one
#: builder module imported by another. Plug-in code (a project's folders, installed entry
#: points) is not hashed here: a build records each plug-in file it ran as an input of what used
#: it (plugins.code_reads), so planning imports no plug-in and names the file that changed.
BUILDER_MODULES = (
    "figures/changes.py",
    "figures/company_charts.py",
    "figures/company_tables.py",
    "figures/disclosures.py",
    "figures/industry.py",
    "figures/sector_day0.py",
    "figures/sector_market.py",
    "figures/sector_pricing.py",
)


def input_key(project: Project, key: str) -> str:
    """How an input is named in the manifest: project-relative, folders prefixed with dir:.

    ``key`` is as deps.Reads names it (an absolute path, dir: for a folder).
    """
    prefix = DIR_PREFIX if key.startswith(DIR_PREFIX) else ""
    path = Path(key.removeprefix(DIR_PREFIX))
    try:
        rel = path.relative_to(project.root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return prefix + rel


def current_hash(project: Project, key: str) -> str:
    """The hash an input has now (file content, or folder listing for dir: keys)."""
    if key.startswith(DIR_PREFIX):
        return dir_hash(project.root / key[len(DIR_PREFIX) :])
    return file_hash(project.root / key)


def fingerprint(project: Project, digests: Mapping[str, str]) -> dict[str, str]:
    """The settled readings of a task (deps.Reads.settle), keyed as in the manifest, sorted.

    Nothing is read here: each hash is that of the bytes the task used (or CHANGED).
    """
    keyed: dict[str, str] = {}
    for key, value in digests.items():
        name = input_key(project, key)
        old = keyed.get(name)
        keyed[name] = value if old is None or old == value else CHANGED
    return dict(sorted(keyed.items()))


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
    #: The chart check's problems as drawn ({"kind", "message", "box"}): a reused chart
    #: keeps them.
    problems: list[dict[str, Any]] = field(default_factory=list)


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
    #: The page check's findings of that build, as printed (all of them are also in
    #: findings_path, for `reportgen proof`), replayed like the warnings.
    findings: list[str] = field(default_factory=list)
    #: The PDF variant written (pdfvariant.effective_variant): another one asked makes it stale.
    pdf_variant: str = ""


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
                findings=list(r.get("findings", [])),
                pdf_variant=str(r.get("pdf_variant", "")),
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
                    "findings": r.findings,
                    "pdf_variant": r.pdf_variant,
                }
                for slug, r in sorted(self.reports.items())
            },
        }
        write_atomic(path, json.dumps(payload, indent=1, sort_keys=True).encode("utf-8"))


def manifest_path(project: Project) -> Path:
    return project.root / ".reportgen-cache" / "manifest.json"


def findings_path(project: Project, slug: str) -> Path:
    """Where a build records a report's findings (checks/findings.py findings_to_json)."""
    return project.root / ".reportgen-cache" / "findings" / f"{slug}.json"


def provenance_path(project: Project, slug: str) -> Path:
    """Where a build records where each printed number came from (publish/provenance.py)."""
    return project.root / ".reportgen-cache" / "provenance" / f"{slug}.json"


def data_files(project: Project) -> dict[str, str]:
    """Every file under data/ with its hash (a change means: validate again)."""
    found: dict[str, str] = {}
    for root, dirs, files in os.walk(project.data):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            # Only regular files: a FIFO would block the read, a symlink loop cannot be read.
            if not name.startswith(".") and path.is_file():
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
    #: Every file under data/ with its hash, taken before the build reads anything: what a
    #: successful validation records (a file changed after this is validated again next time).
    data_hashes: dict[str, str] = field(default_factory=dict)

    @property
    def nothing_to_do(self) -> bool:
        return not self.stale and not self.orphans and not self.validate


def report_reasons(
    project: Project,
    record: ReportRecord | None,
    report_code: str,
    builder_code: dict[str, str] | None = None,
    pdf_variant: str | None = None,
) -> list[str]:
    """Why a report must be rebuilt (empty when its last build still stands).

    ``pdf_variant``: the variant a build would write now (None: not compared).
    """
    if record is None:
        return ["new report (never built)"]
    reasons: list[str] = []
    if pdf_variant is not None and record.pdf_variant != pdf_variant:
        reasons.append(
            f"PDF variant changed ({record.pdf_variant or 'none recorded'} -> {pdf_variant})"
        )
    if builder_code is not None:
        current = set(builder_code.values())
        changed = sorted(n for n, e in record.exhibits.items() if e.code and e.code not in current)
        if changed:
            reasons.append("figure builder code changed: " + ", ".join(changed))
    for key, old in record.inputs.items():
        now = current_hash(project, key)
        if now != old:
            if old == CHANGED:
                what = "changed while the last build read it"
            elif not now:
                what = "removed"
            else:
                what = "files added or removed" if key.startswith(DIR_PREFIX) else "changed"
            reasons.append(f"{key.removeprefix(DIR_PREFIX)}: {what}")
    if record.code != report_code:
        reasons.append("reportgen code changed")
    for key, old in record.outputs.items():
        now = file_hash(project.root / key)
        if now != old:
            reasons.append(f"{key}: {'missing' if not now else 'modified since built'}")
    return reasons


def make_plan(
    project: Project,
    only: list[str] | None = None,
    force: bool = False,
    pdf_variant: str | None = None,
) -> Plan:
    """Compare the manifest with the files as they are now (``pdf_variant``: the command
    line's choice, else each report's configured one, pdfvariant.configured_variant)."""
    sync_history(project)  # the registry as HISTORY_FILE, hashed below like any input
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
            else report_reasons(
                project,
                manifest.reports.get(slug),
                report_code,
                builder_code,
                configured_variant(
                    project.reports / slug / "report.yaml", project.house, pdf_variant
                ),
            )
        )
        if reasons:
            stale[slug] = reasons
        else:
            fresh.append(slug)
    orphans = [] if only else sorted(set(manifest.reports) - set(report_slugs(project)))
    hashes = data_files(project)
    validate = force or hashes != manifest.data_files
    return Plan(stale=stale, fresh=fresh, orphans=orphans, validate=validate, data_hashes=hashes)


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
