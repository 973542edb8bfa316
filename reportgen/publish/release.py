"""`reportgen publish`: an immutable release of one report, made only from a fresh strict build.

The release folder is written whole under a staging name, made read-only, renamed into place,
and only then recorded in the registry: a registry row always has its files. What an
interrupted publish leaves (a staging folder, or a renamed folder whose row was never
committed) is removed by the next publish. Everything runs under the project lock the build
takes (runner.acquire), so a build and a publish never run together.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportgen.errors import BuildError, DataError, Problem, ReportgenError
from reportgen.progress import Reporter
from reportgen.project import Project
from reportgen.publish.model import (
    HISTORY_FILE,
    MANIFEST_NAME,
    RELEASES_DIR,
    STAGING_PREFIX,
    RecipientCopy,
    Release,
    release_id,
)

#: Beside a release folder renamed into place whose registry row is not committed yet: the
#: next publish removes the folder if the row never came (and only then: a folder without
#: this marker may be recorded in another registry, and is never deleted).
PENDING_PREFIX = ".pending-"
#: Tests only: names a folder; publish writes ``<slug>.publishing`` there once the release PDF
#: is in the staging folder and waits for ``<slug>.resume`` (tests kill it meanwhile).
PAUSE_ENV = "REPORTGEN_TEST_PUBLISH_PAUSE"
#: Seconds to wait for a build or publish of the same project to finish.
WAIT_SECONDS = 600.0
GIT_SECONDS = 10.0


@dataclass(frozen=True)
class Published:
    """What a publish made: the release (its registry row), its folder and recipient copies,
    what it cleaned up first, and the copies it could not send (retried next time)."""

    release: Release
    folder: Path
    copies: tuple[RecipientCopy, ...] = ()
    cleaned: tuple[str, ...] = ()
    mail_failures: tuple[str, ...] = ()
    attachments: int = 0
    attachment_bytes: int = 0


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs_digest(inputs: Mapping[str, str]) -> str:
    """One hash over what a build read (name and hash of each input, sorted), the registry's
    history left out: two releases with the same digest were made from the same inputs."""
    lines = sorted(f"{key}\0{value}\n" for key, value in inputs.items() if key != HISTORY_FILE)
    return sha256("".join(lines).encode("utf-8"))


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """The release's manifest.json: sorted keys, one space indent, a final newline."""
    return (json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def utc_now() -> str:
    """The time of publication, ISO 8601 UTC to the second ('2026-04-26T09:30:00Z')."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publishing_user() -> str:
    """The login name of whoever publishes (the uid when the system knows no name)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def git_state(root: Path) -> tuple[str | None, bool | None]:
    """(HEAD commit, whether the work tree differs from it) of the git work tree holding
    ``root``; (None, None) outside one, without git, or when git does not answer in time."""
    git = shutil.which("git")
    if git is None:
        return None, None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}

    def run(*args: str) -> str | None:
        try:
            done = subprocess.run(
                [git, *args],
                cwd=root,
                capture_output=True,
                text=True,
                timeout=GIT_SECONDS,
                env=env,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    head = run("rev-parse", "--verify", "HEAD")
    if head is None or not head.strip():
        return None, None
    # Releases themselves are not the work tree's state (a publish adds one).
    status = run("status", "--porcelain", "--", ".", f":(exclude){RELEASES_DIR}")
    return head.strip(), (None if status is None else bool(status.strip()))


def _problem(where: str, message: str) -> Problem:
    return Problem(where, None, None, message)


# --- files ---------------------------------------------------------------------------------


def _write_file(path: Path, data: bytes) -> None:
    """Write a new file (never over an existing one), synced to disk."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_read_only(folder: Path) -> None:
    """Every file in ``folder`` read-only (0444), folders synced (a release is written once)."""
    for root, _dirs, files in os.walk(folder):
        for name in files:
            os.chmod(Path(root) / name, 0o444)
        _sync_dir(Path(root))


def _remove_tree(path: Path) -> None:
    """Remove a folder reportgen wrote (its read-only files included); never follow a link."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)


def release_folder(project: Project, slug: str, rid: str) -> Path:
    return project.root / RELEASES_DIR / slug / rid


def refuse_links(project: Project, slug: str) -> None:
    """Refuse releases/ or releases/<slug>/ as a symbolic link: nothing is written (or
    removed) outside the project."""
    for rel in (RELEASES_DIR, f"{RELEASES_DIR}/{slug}"):
        if (project.root / rel).is_symlink():
            raise BuildError(
                [_problem(rel, "is a symbolic link: releases are kept only inside the project")]
            )


def clean_interrupted(project: Project, registered: Callable[[str], set[str]]) -> list[str]:
    """Remove what an interrupted publish left: staging folders, and release folders marked
    pending whose registry row never came. ``registered(slug)`` gives the ids the registry
    holds for a report. Returns the project-relative paths removed."""
    removed: list[str] = []
    base = project.root / RELEASES_DIR
    if not base.is_dir() or base.is_symlink():
        return removed
    for report in sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink()):
        for staging in sorted(report.glob(STAGING_PREFIX + "*")):
            _remove_tree(staging)
            removed.append(project.shown(staging))
        markers = sorted(report.glob(PENDING_PREFIX + "*"))
        if not markers:
            continue
        known = registered(report.name)
        for marker in markers:
            rid = marker.name.removeprefix(PENDING_PREFIX)
            if rid not in known:
                folder = report / rid
                if folder.exists():
                    _remove_tree(folder)
                    removed.append(project.shown(folder))
            marker.unlink(missing_ok=True)
    return removed


def _pause_for_test(slug: str) -> None:
    folder = os.environ.get(PAUSE_ENV)
    if not folder:
        return
    Path(folder, f"{slug}.publishing").touch()
    deadline = time.monotonic() + 120
    while not Path(folder, f"{slug}.resume").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


class Terminated(KeyboardInterrupt):
    """SIGTERM while a release is being written: unwinds like Ctrl-C, so it is cleaned up."""


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While writing a release, SIGTERM raises (as Ctrl-C does) so the staging folder is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: Any) -> None:
        raise Terminated("terminated")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- publish -------------------------------------------------------------------------------


def publish_report(
    project: Project,
    slug: str,
    recipients: Path | None,
    progress: Reporter | Callable[[str], None],
) -> Published:
    """Build ``slug`` strictly, then write its release folder and record it in the registry.

    Refused (a ReportgenError, exit 2) when the build fails or warns, its outputs are not the
    ones built, a published difference it read is not acknowledged, or nothing changed since
    the report's last release. Copies that could not be e-mailed are in ``mail_failures``.
    """
    from reportgen.runner import acquire, as_reporter

    reporter = as_reporter(progress)
    lock = acquire(project, reporter, WAIT_SECONDS)
    try:
        return _publish_locked(project, slug, recipients, reporter)
    finally:
        lock.release()


def _publish_locked(
    project: Project, slug: str, recipients: Path | None, reporter: Reporter
) -> Published:
    from reportgen.build import load_definitions, load_house
    from reportgen.publish.registry import open_registry

    house = load_house(project)
    refuse_links(project, slug)
    # Opened first, so an unreachable database fails before anything is built or written.
    registry = _Registry(project, house, open_registry(project, house))
    try:
        definition = load_definitions(project, [slug])[0]
        people = _read_recipients(project, recipients)
        failures = _send_pending(project, registry.opened, house, reporter)
        cleaned = clean_interrupted(project, registry.ids)
        for path in cleaned:
            reporter.note(f"removed {path} (left by an interrupted publish; never registered)")
        try:
            made = _publish_checked(project, definition, house, registry, people, reporter)
        except ReportgenError as exc:
            # The copies retried first are reported with the refusal.
            unsent = [_unsent(project, failure) for failure in failures]
            raise type(exc)([*exc.problems, *unsent]) from exc
        if made.copies:  # the new copies (and any still waiting: one more try)
            failures += _send_pending(project, registry.opened, house, reporter)
    finally:
        registry.close()
    return Published(
        release=made.release,
        folder=made.folder,
        copies=made.copies,
        cleaned=tuple(cleaned),
        mail_failures=tuple(dict.fromkeys(failures)),
        attachments=made.attachments,
        attachment_bytes=made.attachment_bytes,
    )


def _read_recipients(project: Project, path: Path | None) -> list[Any]:
    """The recipients file's rows (none without one), read before anything is built."""
    if path is None:
        return []
    from reportgen.publish.recipients import read_recipients

    return read_recipients(path, project.shown(path), project.fonts)


@dataclass
class _Registry:
    """The release registry as a publish uses it: opened at once where it exists; the default
    SQLite file made only when a release is about to be recorded, so a project's first
    publish finds the build made before it still fresh (no registry: no history file)."""

    project: Project
    house: Mapping[str, Any]
    opened: Any | None

    def get(self) -> Any:
        if self.opened is None:
            from reportgen.publish.registry import open_registry

            self.opened = open_registry(self.project, self.house, create=True)
        return self.opened

    def ids(self, slug: str) -> set[str]:
        """The release ids the registry holds for ``slug`` (none without a registry)."""
        if self.opened is None:
            return set()
        return {r.release_id for r in self.opened.releases(slug)}

    def close(self) -> None:
        if self.opened is not None:
            self.opened.close()


def _unsent(project: Project, failure: str) -> Problem:
    return Problem(
        project.shown(project.house),
        None,
        "smtp",
        f"copy not sent: {failure}; the next publish tries again",
    )


def _send_pending(
    project: Project, registry: Any, house: Mapping[str, Any], reporter: Reporter
) -> list[str]:
    """E-mail the copies not sent yet, where house.yaml names an SMTP server; the failures."""
    from reportgen.publish import mail

    if registry is None or mail.smtp_settings(house, project.shown(project.house)) is None:
        return []
    return list(mail.send_pending(project, registry, house, reporter.note))


@dataclass(frozen=True)
class _Made:
    release: Release
    folder: Path
    copies: tuple[RecipientCopy, ...]
    attachments: int
    attachment_bytes: int


def _build_strict(project: Project, slug: str, reporter: Reporter) -> None:
    from reportgen.options import BuildOptions
    from reportgen.runner import run_build

    try:
        run_build(project, [slug], BuildOptions(strict=True), reporter)
    except ReportgenError as exc:
        refusal = _problem(
            f"build/{slug}.pdf",
            f"not published: {slug} must build with --strict without a warning or finding",
        )
        raise type(exc)([*exc.problems, refusal]) from exc


def _checked_output(project: Project, key: str, record_outputs: Mapping[str, str]) -> bytes:
    """An output of the last build, read once and refused unless it is the one built."""
    path = project.root / key
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise BuildError([_problem(key, "missing: build the report again")]) from exc
    expected = record_outputs.get(key)
    if expected is None or sha256(data) != expected:
        raise BuildError(
            [_problem(key, "modified since it was built (or never built): not published")]
        )
    return data


def _publish_checked(
    project: Project,
    definition: Any,
    house: Mapping[str, Any],
    registry_holder: _Registry,
    people: Sequence[Any],
    reporter: Reporter,
) -> _Made:
    """Steps c to h of a publish: build, check, then write and record the release."""
    import reportgen
    from reportgen.checks.acknowledged import unacknowledged
    from reportgen.data.dataset import load_dataset
    from reportgen.plan import Manifest, make_plan, manifest_path, provenance_path
    from reportgen.publish.attach import DATA, PROVENANCE_NAME, Attachment, attach, pdfa_part
    from reportgen.reports.base import load_report_types

    slug = definition.slug
    pdf_key, html_key = f"build/{slug}.pdf", f"build/{slug}.html"
    _build_strict(project, slug, reporter)
    plan = make_plan(project, [slug])
    if slug not in plan.fresh:
        reasons = "; ".join(plan.stale.get(slug, ["not built"]))
        raise BuildError([_problem(pdf_key, f"not published: the build is not fresh ({reasons})")])
    record = Manifest.load(manifest_path(project)).reports.get(slug)
    if record is None:
        raise BuildError([_problem(pdf_key, "not published: no record of its build")])
    if record.warnings or record.findings:
        raise BuildError(
            [_problem(pdf_key, f"not published: the build warned: {w}") for w in record.warnings]
            + [_problem(pdf_key, f"not published: finding: {f}") for f in record.findings]
        )
    pdf = _checked_output(project, pdf_key, record.outputs)
    html = _checked_output(project, html_key, record.outputs)
    # The tables' workbooks go with the HTML, which links them as <slug>/<file>.xlsx
    # (render/xlsx.py): each must be the one built, like the PDF.
    books = {
        key.removeprefix("build/"): _checked_output(project, key, record.outputs)
        for key in sorted(record.outputs)
        if key.startswith(f"build/{slug}/") and key.endswith(".xlsx")
    }
    prov_path = provenance_path(project, slug)
    prov_key = prov_path.relative_to(project.root).as_posix()
    if not prov_path.is_file():
        raise BuildError(
            [_problem(prov_key, "missing: the build wrote no provenance map; not published")]
        )
    provenance = (
        _checked_output(project, prov_key, record.outputs)
        if prov_key in record.outputs
        else prov_path.read_bytes()
    )
    part = _pdfa(pdf, pdfa_part)
    if part != ("3", "B"):
        raise BuildError(
            [
                _problem(
                    pdf_key,
                    f"declares {_declared(part)}, not PDF/A-3b: a release PDF is archival "
                    "(set pdf_variant: pdf/a-3b in data/house.yaml or the report's options)",
                )
            ]
        )

    ds = load_dataset(project.data)
    open_problems = unacknowledged(project, ds, list(record.inputs))
    if open_problems:
        raise DataError(
            [
                *open_problems,
                _problem(
                    project.shown(definition.folder / "report.yaml"),
                    f"not published: {len(open_problems)} published difference(s) in the data "
                    f"{slug} reads are not acknowledged with a reason",
                ),
            ]
        )
    rtype = load_report_types()[definition.type]()
    facts_of = getattr(rtype, "release_facts", None)
    facts = tuple(facts_of(ds, definition)) if facts_of is not None else ()

    digest = inputs_digest(record.inputs)
    registry = registry_holder.get()
    latest = registry.latest(slug)
    if latest is not None and latest.inputs_digest == digest:
        raise BuildError(
            [
                _problem(
                    f"{RELEASES_DIR}/{slug}/{latest.release_id}",
                    f"{slug} is already published as {latest.release_id} with the same inputs; "
                    "change the data or the prose first",
                )
            ]
        )
    files = _attachments(project, record.inputs)
    files.append(
        Attachment(PROVENANCE_NAME, provenance, DATA, "Where each printed number came from")
    )

    date = definition.date.isoformat()
    rid = release_id(date, registry.next_sequence(slug, date))
    final = release_folder(project, slug, rid)
    if final.exists() or final.is_symlink():
        raise BuildError(
            [
                _problem(
                    project.shown(final),
                    f"exists, but the registry at {registry.url_shown} has no release {rid}: "
                    "is it another registry's? Move the folder away or use that registry",
                )
            ]
        )
    release_pdf = attach(pdf, files, definition.date)
    copies: list[tuple[RecipientCopy, bytes]] = []
    if people:
        from reportgen.publish.stamp import stamp_copies

        reporter.note(f"stamping {len(people)} recipient copies")
        copies = stamp_copies(release_pdf, people, slug, rid, project.fonts)
    commit, dirty = git_state(project.root)
    manifest: dict[str, Any] = {
        "release": rid,
        "report": slug,
        "type": definition.type,
        "title": definition.title,
        "date": date,
        "published_at": utc_now(),
        "user": publishing_user(),
        "reportgen_version": reportgen.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "sample": bool(house.get("sample", False)),
        "inputs_digest": digest,
        "outputs": {
            f"{slug}.pdf": sha256(release_pdf),
            f"{slug}.html": sha256(html),
            **{name: sha256(data) for name, data in books.items()},
        },
        "inputs": {k: v for k, v in sorted(record.inputs.items()) if not k.startswith("dir:")},
        "attachments": {f.name: f.sha256 for f in sorted(files, key=lambda f: f.name)},
        "copies": {c.file: c.sha256 for c, _ in copies},
    }
    raw_manifest = manifest_bytes(manifest)
    release = Release(
        release_id=rid,
        slug=slug,
        report_type=definition.type,
        title=definition.title,
        report_date=date,
        published_at=manifest["published_at"],
        user=manifest["user"],
        analysts=tuple(a.name for a in definition.analysts),
        reportgen_version=reportgen.__version__,
        git_commit=None if commit is None else commit + ("-dirty" if dirty else ""),
        inputs_digest=digest,
        pdf_sha256=manifest["outputs"][f"{slug}.pdf"],
        html_sha256=manifest["outputs"][f"{slug}.html"],
        manifest_sha256=sha256(raw_manifest),
        sample=manifest["sample"],
        companies=facts,
    )
    contents = [
        (f"{slug}.pdf", release_pdf),
        (f"{slug}.html", html),
        *books.items(),
        *((c.file, data) for c, data in copies),
        (MANIFEST_NAME, raw_manifest),
    ]
    _write_release(project, slug, rid, contents)
    marker = final.parent / (PENDING_PREFIX + rid)
    try:
        registry.add_release(release)
    except BaseException:
        # No row, no release: the folder goes (a kill here is the next publish's to clean).
        _remove_tree(final)
        marker.unlink(missing_ok=True)
        raise
    marker.unlink(missing_ok=True)
    if copies:
        registry.add_copies([c for c, _ in copies])
    from reportgen.publish.snapshot import sync_history

    sync_history(project)
    return _Made(
        release=release,
        folder=final,
        copies=tuple(c for c, _ in copies),
        attachments=len(files),
        attachment_bytes=sum(len(f.data) for f in files),
    )


def _pdfa(
    pdf: bytes, part_of: Callable[[Any], tuple[str | None, str | None]]
) -> tuple[str | None, str | None]:
    """The PDF/A part and conformance the PDF declares ((None, None) if it cannot be read)."""
    import io

    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            return part_of(doc)
    except pikepdf.PdfError:
        return (None, None)


def _declared(part: tuple[str | None, str | None]) -> str:
    if part[0] is None:
        return "no PDF/A part in its XMP metadata"
    return f"PDF/A-{part[0]}{(part[1] or '').lower()}"


def _attachments(project: Project, inputs: Mapping[str, str]) -> list[Any]:
    """Every data file the build read, as it read it (a file changed since is refused)."""
    from reportgen.publish.attach import Attachment, relationship_of

    files = []
    changed = []
    for key, expected in sorted(inputs.items()):
        if not key.startswith("data/"):
            continue
        try:
            data = (project.root / key).read_bytes()
        except OSError:
            changed.append(_problem(key, "removed since the build read it; publish again"))
            continue
        if sha256(data) != expected:
            changed.append(_problem(key, "changed since the build read it; publish again"))
            continue
        what = "report source" if relationship_of(key) == "Source" else "data"
        files.append(Attachment(key, data, relationship_of(key), f"The {what} file {key}"))
    if changed:
        raise BuildError(changed)
    return files


def _write_release(
    project: Project, slug: str, rid: str, contents: Sequence[tuple[str, bytes]]
) -> None:
    """Write the release under a staging name, read-only, then rename it into place whole.

    A pending marker beside it says the registry row is still to come. Any exception, Ctrl-C
    or SIGTERM before the rename removes the staging folder; after kill -9, the next publish
    does (clean_interrupted).
    """
    parent = project.root / RELEASES_DIR / slug
    staging = parent / (STAGING_PREFIX + rid)
    final = parent / rid
    refuse_links(project, slug)
    parent.mkdir(parents=True, exist_ok=True)
    with _terminate_as_interrupt():
        try:
            staging.mkdir()
            for n, (name, data) in enumerate(contents):
                _write_file(staging / name, data)
                if n == 0:
                    _pause_for_test(slug)
            _make_read_only(staging)
            _write_file(parent / (PENDING_PREFIX + rid), b"")
            os.rename(staging, final)
        except BaseException:
            _remove_tree(staging)
            (parent / (PENDING_PREFIX + rid)).unlink(missing_ok=True)
            raise
    _sync_dir(parent)  # a failure here leaves the marker: the next publish cleans up
