"""Command line: `reportgen build`, `reportgen check`, `reportgen list`, `reportgen serve`.

Exit codes: 0 done; 2 bad input or a machine that refuses (every problem listed as
path:line: column: message, no traceback unless --debug); 1 a bug in reportgen: one line says
so and names the crash log that holds the full traceback (on the terminal too with --debug).
"""

from __future__ import annotations

import errno
import socket
import sys
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from reportgen.errors import (
    BuildError,
    Problem,
    ReportgenError,
    environment_problem,
    write_crash_log,
)
from reportgen.project import Project, find_project

F = TypeVar("F", bound=Callable[..., Any])


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    n = len(problems)
    click.echo(f"{n} problem{'s' if n != 1 else ''} found; nothing was changed.", err=True)


def _report_bug(exc: BaseException, project: Project | None, debug: bool) -> None:
    """Say it is our bug, not the user's input, and where the full traceback was written."""
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    log = write_crash_log(exc, project.root if project is not None else None)
    where = (
        f"the full traceback is in {project.shown(log) if project is not None else log}"
        if log is not None
        else "no crash log could be written; rerun with --debug for the traceback"
    )
    click.echo(
        f"internal error: this is a bug in reportgen, not a problem with your input "
        f"({type(exc).__name__}: {str(exc)[:200]}).\n{where}; please report it with that file.",
        err=True,
    )


def _fail_cleanly(fn: F) -> F:
    """The one error boundary: a ReportgenError (bad input) or an OSError the user can fix
    (full disk, read-only or unwritable folder) is listed and exits 2; anything else is a
    bug in reportgen: exit 1, traceback to a crash log (and to the terminal with --debug)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        debug = ctx.find_root().params.get("debug", False)
        project = ctx.find_object(Project)
        try:
            return fn(*args, **kwargs)
        except ReportgenError as exc:
            if debug:
                traceback.print_exc()
            _report_problems(exc.problems)
            sys.exit(2)
        except (click.exceptions.Exit, click.exceptions.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            shown = project.shown(Path(exc.filename)) if project and exc.filename else None
            problem = environment_problem(exc, shown)
            if problem is None:
                _report_bug(exc, project, debug)
                sys.exit(1)
            if debug:
                traceback.print_exc()
            _report_problems([problem])
            sys.exit(2)
        except Exception as exc:  # noqa: BLE001 - the one place a crash becomes exit 1
            _report_bug(exc, project, debug)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project folder (default: the nearest one holding data/).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, debug: bool) -> None:
    """reportgen: research reports from data/, as PDF and HTML in build/."""
    ctx.obj = Project(project_dir.resolve()) if project_dir else find_project(Path.cwd())


@main.command()
@click.argument("reports", nargs=-1)
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings, errors and the summary.")
@click.option("-v", "--verbose", is_flag=True, help="Print every task and why reports rebuild.")
@click.option("--force", is_flag=True, help="Rebuild everything, stale or not.")
@click.option("--dry-run", is_flag=True, help="List what is stale and why; build nothing.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=0),
    default=0,
    help="Worker processes (default 0: one per core).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Treat warnings (e.g. a model value far from the published target) as errors.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/a-3b", "pdf/a-2b", "pdf/ua-1"]),
    default=None,
    help="Write an archival / accessible PDF variant.",
)
@click.pass_obj
@_fail_cleanly
def build(
    project: Project,
    reports: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    force: bool,
    dry_run: bool,
    jobs: int,
    strict: bool,
    pdf_variant: str | None,
) -> None:
    """Build what is stale (or the named reports) into build/<slug>.pdf and .html."""
    from reportgen.options import BuildOptions
    from reportgen.progress import Reporter
    from reportgen.runner import run_build

    reporter = Reporter(quiet=quiet, verbose=verbose or dry_run)
    options = BuildOptions(strict=strict, pdf_variant=pdf_variant, force=force, jobs=jobs)
    summary = run_build(project, reports or None, options, reporter, dry_run=dry_run)
    if dry_run:
        _print_plan(summary.plan)
        return
    reporter.summary()


def _print_plan(plan: object) -> None:
    stale = plan.stale
    for slug, reasons in stale.items():
        click.echo(f"stale    {slug}: " + "; ".join(reasons))
    for slug in plan.fresh:
        click.echo(f"fresh    {slug}")
    for slug in plan.orphans:
        click.echo(f"orphan   {slug}: its outputs will be removed")
    if plan.validate:
        click.echo("data     changed since the last validation: it will be validated")
    if plan.nothing_to_do:  # type: ignore[attr-defined]
        click.echo("everything is up to date")


@main.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the browser.")
@click.pass_obj
@_fail_cleanly
def serve(project: Project, port: int, open_browser: bool) -> None:
    """Preview: build, serve build/ on 127.0.0.1, rebuild and reload on every change."""
    import webbrowser

    from reportgen.serve import serve as run_server

    def ready(url: str) -> None:
        click.echo(f"serving {project.shown(project.build)} on {url} (Ctrl-C to stop)", err=True)
        if open_browser:
            webbrowser.open(url)

    _check_port(port)  # before the first build: a busy port should not cost a build to learn
    try:
        run_server(project, port, lambda m: click.echo(m, err=True), ready)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        raise _port_error(port, exc) from exc


HOST = "127.0.0.1"


def _port_error(port: int, exc: OSError) -> BuildError:
    """The located message for a port the server cannot bind."""
    reason = "is in use" if exc.errno == errno.EADDRINUSE else "needs privileges to bind"
    return BuildError(
        [Problem("--port", None, None, f"port {port} on {HOST} {reason}; pick another with --port")]
    )


def _check_port(port: int) -> None:
    """Refuse a port another program listens on, as the server would (same address reuse)."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as http.server does
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise _port_error(port, exc) from exc
            raise


@main.command()
@click.argument("reports", nargs=-1)
@click.pass_obj
@_fail_cleanly
def status(project: Project, reports: tuple[str, ...]) -> None:
    """List what is stale and why (same as build --dry-run)."""
    from reportgen.plan import make_plan

    _print_plan(make_plan(project, list(reports) or None))


@main.command()
@click.pass_obj
@_fail_cleanly
def check(project: Project) -> None:
    """Validate all data; list every published value that disagrees with its computed one,
    and every comparative sentence in prose that rests on no evaluated comparison."""
    from reportgen.build import load_definitions, load_house
    from reportgen.checks import find_mismatches
    from reportgen.data.dataset import load_dataset
    from reportgen.errors import DataError, SpecError
    from reportgen.reports.base import load_report_types

    ds = load_dataset(project.data)
    load_house(project)
    types = load_report_types()
    problems = [p for d in load_definitions(project) for p in types[d.type]().validate(ds, d)]
    if problems:
        raise SpecError(problems)
    mismatches = find_mismatches(ds)
    from reportgen.checks.acknowledged import review

    sorted_ = review(project, ds, mismatches)  # acknowledged with a reason, retired, or not
    for m in sorted_.unacknowledged:
        click.echo(f"mismatch: {m}")
    for m, ack in sorted_.acknowledged:
        click.echo(f"acknowledged: {m} ({ack.reason})")
    for m, gone in sorted_.retired:
        click.echo(f"retired: {m} (transcribed values retired {gone.retired}: {gone.reason})")
    from reportgen.checks.claims import prose_comparisons

    unbound = prose_comparisons(
        (d.folder / name, project.shown(d.folder / name))
        for d in load_definitions(project)
        for name in d.prose_files()
    )
    for u in unbound:
        click.echo(f"comparison: {u}")
    click.echo(
        f"data valid; {len(mismatches)} published value(s) differ from computed values "
        f"(reported, not changed: {len(sorted_.acknowledged)} acknowledged, "
        f"{len(sorted_.retired)} retired by an update, {len(sorted_.unacknowledged)} not "
        f"acknowledged); {len(unbound)} comparative sentence(s) cite a number but "
        "rest on no evaluated comparison (state them with claim() or {% if %})"
    )
    if sorted_.stale:
        raise DataError(list(sorted_.stale))


@main.command(name="list")
@click.pass_obj
@_fail_cleanly
def list_(project: Project) -> None:
    """List report types, registered exhibits and report definitions."""
    from reportgen.build import load_definitions
    from reportgen.figures.registry import EXHIBITS
    from reportgen.reports.base import load_report_types

    for name, cls in sorted(load_report_types().items()):
        click.echo(f"type     {name}: {cls.description}")
    for ex_id, spec in sorted(EXHIBITS.items()):
        click.echo(f"exhibit  {ex_id} ({spec.kind}): {spec.title}")
    for d in load_definitions(project):
        click.echo(f"report   {d.slug} ({d.type}): {d.title}")


@main.command()
@click.argument("report")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the PNG (default: build/<report>.proof.png).",
)
@click.pass_obj
@_fail_cleanly
def proof(project: Project, report: str, output: Path | None) -> None:
    """Build REPORT if stale, then draw every page with each finding outlined and numbered
    (one PNG) and list the findings."""
    from reportgen.proof import make_proof

    made = make_proof(project, report, output)
    for line in made.lines:
        click.echo(line)
    click.echo(f"wrote {project.shown(made.path)} ({made.size[0]}x{made.size[1]} px)")


@main.command()
@click.argument("slug", required=False)
@click.pass_obj
@_fail_cleanly
def releases(project: Project, slug: str | None) -> None:
    """List the releases in the registry (of report SLUG, or all), oldest first."""
    from reportgen.publish.registry import release_lines

    for line in release_lines(project, slug):
        click.echo(line)


@main.command()
@click.argument("slug")
@click.option(
    "--recipients",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV of recipients (name,firm,email): one stamped copy each in the release's outbox/.",
)
@click.pass_obj
@_fail_cleanly
def publish(project: Project, slug: str, recipients: Path | None) -> None:
    """Build SLUG strictly and write it as an immutable release in releases/SLUG/<id>/,
    recorded in the release registry."""
    from reportgen.progress import Reporter
    from reportgen.publish.release import publish_report

    made = publish_report(project, slug, recipients, Reporter(quiet=True))
    click.echo(f"published {slug} as {made.release.release_id}: {project.shown(made.folder)}/")
    for copy in made.copies:
        click.echo(f"copy     {copy.file} for {copy.email}")
    if made.mail_failures:
        for failure in made.mail_failures:
            click.echo(f"error: {failure}", err=True)
        click.echo(
            f"{len(made.mail_failures)} copy(ies) not sent; the release was made, and the next "
            "publish will try to send them again.",
            err=True,
        )
        sys.exit(2)


@main.command()
@click.argument("release")
@click.pass_obj
@_fail_cleanly
def verify(project: Project, release: str) -> None:
    """Re-hash RELEASE (a release folder or id) against its manifest, the PDF's attachments
    and the registry's record; list every changed, missing or added file."""
    from reportgen.publish.verify import check_release

    result = check_release(project, release)
    for note in result.notes:
        click.echo(note, err=True)
    if result.problems:
        for problem in result.problems:
            click.echo(f"error: {problem}", err=True)
        n = len(result.problems)
        click.echo(
            f"{n} problem{'s' if n != 1 else ''} found; the release is not as published.", err=True
        )
        sys.exit(2)
    registry = ", registry record" if result.registry_checked else ""
    click.echo(
        f"verified: {result.files} files, {result.attachments} attachments{registry} "
        f"({project.shown(result.folder) if result.folder else release})"
    )


if __name__ == "__main__":  # pragma: no cover
    main()
