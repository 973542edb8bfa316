"""Run a build: take the project lock, plan from content hashes, build what is stale in parallel."""

from __future__ import annotations

import copyreg
import multiprocessing as mp
import os
import shutil
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from reportgen.deps import DIR_PREFIX, key_of, recording
from reportgen.errors import BuildError, DataError, Problem, ProblemList, ReportgenError, SpecError
from reportgen.outputs import clean_stray_temporaries, confine
from reportgen.plan import (
    BUILDER_MODULES,
    Manifest,
    Plan,
    data_files,
    findings_path,
    make_plan,
    manifest_path,
)
from reportgen.procs import context as procs_context
from reportgen.procs import die_with_parent, exit_with
from reportgen.procs import start_method as procs_start_method
from reportgen.progress import Reporter
from reportgen.project import PROJECT_FILE, Project

LOCK_FILE = ".reportgen.lock"
#: How worker processes start. Never a plain fork (unsafe once threads run, as in ``serve``;
#: absent on Windows, unsafe on macOS): a worker inherits nothing from the build, is handed its
#: state (``_init_worker``) and loads the project's plug-ins itself. On Linux a fork server
#: (a fresh interpreter that has imported the build code once, see ``start_method``) hands out
#: the workers, so each does not import pandas, matplotlib and WeasyPrint again; elsewhere
#: "spawn". None: that choice; tests set "spawn" to prove a spawned worker needs nothing more.
START_METHOD: str | None = None
#: What the fork server imports before it forks any worker: the code every task runs, and
#: reportgen's own builders and report types (plan.BUILDER_MODULES).
PRELOAD = [
    "reportgen.build",
    "reportgen.reports.initiation",
    "reportgen.reports.sector_note",
    *("reportgen." + m.removesuffix(".py").replace("/", ".") for m in BUILDER_MODULES),
]


def start_method() -> str:
    """The start method workers use: START_METHOD, else reportgen.procs's policy (its
    START_METHOD, else forkserver on Linux, else spawn), which the bounded renderer follows."""
    return procs_start_method(START_METHOD)


def warm_workers() -> None:
    """Start the fork server now (it imports the build code while this process reads the
    data), when workers will come from one; a no-op otherwise and when it already runs."""
    if start_method() == "forkserver":
        procs_context(PRELOAD, "forkserver")


def _mapping_proxy(items: dict[Any, Any]) -> types.MappingProxyType[Any, Any]:
    """Rebuild a read-only mapping in a worker (pickle has no rule for mappingproxy)."""
    return types.MappingProxyType(items)


# The Dataset and definitions hold read-only mappings; a spawned worker receives them pickled.
copyreg.pickle(types.MappingProxyType, lambda m: (_mapping_proxy, (dict(m),)))


@dataclass
class BuildSummary:
    """What a run did: reports built (with results), skipped as up to date, and removed."""

    plan: Plan
    results: list[Any] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    drawn: int = 0
    reused: int = 0


class _CallableReporter(Reporter):
    """A Reporter that forwards every message to a plain callable (library use, tests)."""

    def __init__(self, fn: Callable[[str], None]):
        super().__init__(live=False, quiet=True)
        self.fn = fn

    def _line(self, text: str) -> None:
        self.fn(text)

    def task(self, message: str) -> None:
        self.fn(message)

    def summary(self) -> str:
        return ""


def as_reporter(progress: Reporter | Callable[[str], None]) -> Reporter:
    return progress if isinstance(progress, Reporter) else _CallableReporter(progress)


def acquire(project: Project, reporter: Reporter, wait_seconds: float) -> FileLock:
    """One build at a time per project: wait for the other one, then proceed."""
    # One lock object per project in a process (is_singleton): publish holds it around its
    # build, which takes it again.
    lock = FileLock(str(project.root / LOCK_FILE), is_singleton=True)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        reporter.note(
            f"note: another build of this project is running; waiting up to {wait_seconds:.0f}s"
        )
        try:
            lock.acquire(timeout=wait_seconds)
        except Timeout as exc:
            raise BuildError(
                [
                    Problem(
                        LOCK_FILE,
                        None,
                        None,
                        "another build still holds the project lock; try again when it finishes",
                    )
                ]
            ) from exc
    return lock


def remove_outputs(project: Project, slug: str) -> None:
    """Delete a report's outputs (its definition is gone); only inside the output folders,
    never through a symlink that leads out of them."""
    for path in (
        project.build / f"{slug}.pdf",
        project.build / f"{slug}.html",
        findings_path(project, slug),
    ):
        confine(path, project.root)
        path.unlink(missing_ok=True)
    # Its charts (figures/<slug>/) and its tables' workbooks (build/<slug>/, render/xlsx.py).
    for folder in (project.figures / slug, project.build / slug):
        confine(folder, project.root)
        if folder.is_symlink():
            folder.unlink()  # the link only, never what it points to
        else:
            shutil.rmtree(folder, ignore_errors=True)


# The build's state: set just before the tasks run; handed to each worker (_init_worker),
# read-only there.
_STATE: dict[str, Any] = {}
#: The keys of _STATE a worker receives (the reporter stays here: workers report on the queue).
WORKER_STATE = ("project", "ds", "definitions", "house", "options", "manifest", "preread")


def _init_worker(
    state: dict[str, Any], queue: Any, env: dict[str, str], cwd: str, build_pid: int
) -> None:
    """Start a worker: die with the build, take its state, environment and folder (a fork
    server has those of its own start), load the project's plug-ins (imported here, as
    nothing is inherited); a plug-in that no longer loads fails each task with its problems
    instead of breaking the pool."""
    die_with_parent()
    exit_with(build_pid)  # a fork server's child: its parent is the server, not the build
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    _STATE.clear()
    _STATE.update(state, queue=queue)
    from reportgen.figures.registry import load_builders
    from reportgen.reports.base import load_report_types

    try:
        load_builders(state["project"])
        load_report_types(state["project"])
    except ReportgenError as exc:
        _STATE["error"] = exc.problems


def _progress(message: str) -> None:
    queue = _STATE.get("queue")
    if queue is not None:
        queue.put(message)
    else:
        _STATE["reporter"].task(message)


def _build_one(slug: str, predrawn: dict[str, Any] | None = None) -> tuple[str, Any]:
    """Task: build one report; user errors come back as problems, not exceptions."""
    from reportgen.build import build_report
    from reportgen.render.bounded import warm

    st = _STATE
    if "error" in st:
        return slug, st["error"]
    warm()  # the renderer's fork server imports WeasyPrint while the task makes the HTML
    try:
        outcome = build_report(
            st["project"],
            st["ds"],
            st["definitions"][slug],
            st["house"],
            _progress,
            st["options"],
            st["manifest"].reports.get(slug),
            predrawn,
            st["preread"].get(slug),
        )
    except ReportgenError as exc:
        return slug, exc.problems
    return slug, outcome


def _draw_one(slug: str, name: str) -> tuple[str, str, Any]:
    """Task: draw one chart of a report (returned, not written: the report task writes it)."""
    from reportgen.build import draw_exhibit

    st = _STATE
    if "error" in st:
        return slug, name, st["error"]
    definition = st["definitions"][slug]
    _progress(f"{slug}: drawing {name}")
    try:
        drawn = draw_exhibit(st["project"], st["ds"], definition, name)
    except ReportgenError as exc:
        return slug, name, exc.problems
    return slug, name, drawn


def run_build(
    project: Project,
    only: Sequence[str] | None,
    options: Any,
    progress: Reporter | Callable[[str], None],
    wait_seconds: float = 600.0,
    dry_run: bool = False,
) -> BuildSummary:
    """Plan, then build the stale reports (in parallel workers), keeping the manifest true."""
    reporter = as_reporter(progress)
    lock = acquire(project, reporter, wait_seconds)
    try:
        return _run_locked(project, list(only) if only else None, options, reporter, dry_run)
    finally:
        lock.release()


def _run_locked(
    project: Project, only: list[str] | None, options: Any, reporter: Reporter, dry_run: bool
) -> BuildSummary:
    plan = make_plan(project, only, options.force, getattr(options, "pdf_variant", None))
    summary = BuildSummary(plan=plan, skipped=list(plan.fresh))
    reporter.total = len(plan.stale) + len(plan.fresh)
    for slug, reasons in plan.stale.items():
        reporter.stale(slug, reasons)
    if dry_run:
        return summary
    for folder in (project.build, project.figures, project.root / ".reportgen-cache"):
        clean_stray_temporaries(folder)
    manifest = Manifest.load(manifest_path(project))
    for slug in plan.orphans:
        remove_outputs(project, slug)
        manifest.reports.pop(slug, None)
        summary.removed.append(slug)
        reporter.note(f"removed the outputs of {slug} (its definition is gone)")
    replayed: list[Problem] = []
    for slug in plan.fresh:
        reporter.skip(slug)
        record = manifest.reports.get(slug)
        for warning in record.warnings if record else []:
            reporter.note(f"warning: {warning}")
            replayed.append(Problem(f"build/{slug}.pdf", None, None, f"(up to date) {warning}"))
        for finding in record.findings if record else []:
            reporter.note(f"warning: {finding}")
            replayed.append(Problem(f"build/{slug}.pdf", None, None, f"(up to date) {finding}"))
    if replayed and options.strict:
        raise BuildError(replayed)
    if not plan.stale and not plan.validate:
        if plan.orphans:
            manifest.save(manifest_path(project))
        return summary

    if plan.stale and options.jobs != 1 and (os.cpu_count() or 1) > 1:
        warm_workers()
    from reportgen.build import load_definitions, load_house
    from reportgen.data.dataset import load_dataset

    problems = ProblemList()
    ds = house = None
    try:
        ds = load_dataset(project.data)
    except DataError as exc:
        problems.extend(exc.problems)
    # The house file and definitions are read here, before the report tasks: what was read
    # (and its hash) is handed to each task, so its record says what it used.
    with recording() as before:
        try:
            house = load_house(project)
        except DataError as exc:
            problems.extend(exc.problems)
        definitions = []
        try:
            definitions = load_definitions(project, list(plan.stale) or []) if plan.stale else []
        except SpecError as exc:
            problems.extend(exc.problems)
        if ds is not None:
            from reportgen.reports.base import load_report_types

            types = load_report_types()
            for definition in definitions:
                problems.extend(types[definition.type]().validate(ds, definition))
    if problems:
        raise DataError(problems.items)
    if ds is not None:  # the disclosures' rating-history charts, placed from the history
        from reportgen.reports.disclosures import with_history_exhibits
        from reportgen.reports.history import with_changes  # and the changes since the last note

        definitions = [with_history_exhibits(ds, with_changes(ds, d)) for d in definitions]
    if not plan.stale and not report_slugs_exist(project):
        raise BuildError(
            [
                Problem(
                    project.shown(project.reports),
                    None,
                    None,
                    "no report definitions (data/reports/<slug>/report.yaml)",
                )
            ]
        )
    # The data as it was before anything was read (the plan hashed it): a file changed since
    # is validated again next time.
    manifest.data_files = plan.data_hashes or data_files(project)
    manifest.save(manifest_path(project))
    by_slug = {d.slug: d for d in definitions}
    read_before = before.settle()
    preread = {d.slug: _read_for(project, d.folder, read_before) for d in definitions}
    failures: list[Problem] = []

    def accept(slug: str, outcome: Any) -> None:
        if isinstance(outcome, list):
            failures.extend(outcome)
            reporter.fail(slug)
            return
        manifest.reports[slug] = outcome.record
        manifest.save(manifest_path(project))
        summary.results.append(outcome.result)
        summary.built.append(slug)
        summary.drawn += outcome.drawn
        summary.reused += outcome.reused
        reporter.done(slug, outcome.result.seconds, outcome.drawn, outcome.reused)

    jobs = options.jobs or os.cpu_count() or 1
    draws: dict[str, list[str]] = {}
    if jobs > 1:
        from reportgen.build import charts_to_draw

        # Charts are tasks of their own: a lone stale report still uses every core.
        draws = {
            slug: charts_to_draw(project, d, manifest.reports.get(slug), options.force)
            for slug, d in by_slug.items()
        }
    jobs = min(jobs, len(by_slug) + sum(len(names) for names in draws.values()))
    _STATE.clear()
    _STATE.update(
        project=project,
        ds=ds,
        definitions=by_slug,
        house=house,
        options=options,
        manifest=manifest,
        reporter=reporter,
        queue=None,
        preread=preread,
    )
    try:
        if jobs <= 1:
            for slug in by_slug:
                accept(*_build_one(slug))
        else:
            _run_parallel(draws, jobs, reporter, accept)
    finally:
        _STATE.clear()
    summary.results.sort(key=lambda r: r.slug)
    if failures:
        raise BuildError(failures)
    return summary


def _read_for(project: Project, folder: Path, before: Mapping[str, str]) -> dict[str, str]:
    """What was read before the tasks for the report in ``folder``: its files, the house and
    reportgen.yaml (its modules decide which exhibits the definition may place)."""
    mine = key_of(folder)
    shared = {key_of(project.house), key_of(project.root / PROJECT_FILE)}
    return {
        k: v
        for k, v in before.items()
        if k in shared or k.startswith(mine + "/") or k.removeprefix(DIR_PREFIX) == mine
    }


def report_slugs_exist(project: Project) -> bool:
    return any(project.reports.glob("*/report.yaml")) if project.reports.is_dir() else False


def _run_parallel(
    draws: dict[str, list[str]],
    jobs: int,
    reporter: Reporter,
    accept: Callable[[str, Any], None],
) -> None:
    """Run chart and report tasks in workers; a report starts once its charts are drawn.

    Reports with the most charts go first (they are the largest), so the longest chain of
    tasks starts early. Progress messages come back on a queue.
    """
    warm_workers()
    ctx = mp.get_context(start_method())
    queue = ctx.SimpleQueue()
    state = {key: _STATE[key] for key in WORKER_STATE}
    stop = threading.Event()

    def pump() -> None:
        while not stop.is_set() or not queue.empty():
            if queue.empty():
                stop.wait(0.05)
                continue
            reporter.task(queue.get())

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    waiting = {slug: set(names) for slug, names in draws.items()}
    drawn: dict[str, dict[str, Any]] = {slug: {} for slug in draws}
    failed: dict[str, list[Problem]] = {}
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(state, queue, dict(os.environ), os.getcwd(), os.getpid()),
        ) as pool:
            running: dict[Future[Any], str] = {}

            def start_report(slug: str) -> None:
                if slug in failed:
                    accept(slug, failed[slug])
                else:
                    running[pool.submit(_build_one, slug, drawn[slug])] = "report"

            for slug in sorted(draws, key=lambda s: -len(draws[s])):
                for name in draws[slug]:
                    running[pool.submit(_draw_one, slug, name)] = "chart"
                if not draws[slug]:
                    start_report(slug)
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    kind = running.pop(future)
                    if kind == "report":
                        accept(*future.result())
                        continue
                    slug, name, result = future.result()
                    if isinstance(result, list):
                        failed.setdefault(slug, []).extend(result)
                    else:
                        drawn[slug][name] = result
                    waiting[slug].discard(name)
                    if not waiting[slug]:
                        start_report(slug)
    finally:
        stop.set()
        thread.join(timeout=5)
