"""Command line: `reportgen build`, `check`, `list`, `serve`, `proof`, `publish` and the rest.

Every command but `new` works on a project: the folder given with --project, else the
nearest folder at or above the current one holding reportgen.yaml; outside a project such a
command stops with exit 2 before it touches anything (no lock, cache or output folder).

Exit codes: 0 done; 2 bad input or a machine that refuses (every problem listed as
path:line: column: message, no traceback unless --debug); 1 a bug in reportgen: one line says
so and names the crash log that holds the full traceback (on the terminal too with --debug).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import traceback
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from reportgen.errors import (
    BuildError,
    Problem,
    ReportgenError,
    environment_problem,
    write_crash_log,
)
from reportgen.project import NotAProjectError, Project, find_project

if TYPE_CHECKING:
    from reportgen.plan import Plan

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
        except BrokenPipeError:
            # The reader of our output went away (`reportgen list | head`): stop quietly, as
            # a shell tool does, with the shell's code for SIGPIPE; stdout is closed for good.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
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


def _with_project(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Call ``fn`` with the project as its first argument, inside the error boundary; outside
    a project, stop with exit 2 before ``fn`` runs (so nothing is written anywhere)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        found = click.get_current_context().find_root().obj
        if isinstance(found, NotAProjectError):
            raise found
        return fn(found, *args, **kwargs)

    return _fail_cleanly(wrapper)


@click.group()
@click.version_option(
    package_name="reportgen", prog_name="reportgen", message="%(prog)s %(version)s"
)
@click.option(
    "--project",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Project folder, holding reportgen.yaml (default: the nearest folder at or above "
    "the current one that holds it).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.pass_context
def main(ctx: click.Context, project_dir: Path | None, debug: bool) -> None:
    """reportgen: research reports from data/, as PDF and HTML in build/.

    Run a command in a project folder (one holding reportgen.yaml, or any folder below it),
    or name the project with --project DIR; `reportgen new DIR` starts a project.
    """
    # Found here, refused only by a command that needs it: `new` and every --help run anywhere.
    try:
        ctx.obj = (
            find_project(project_dir, search_parents=False)
            if project_dir is not None
            else find_project(Path.cwd())
        )
    except NotAProjectError as exc:
        ctx.obj = exc


@main.command(short_help="Build what is stale into build/ (PDF and HTML).")
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
@_with_project
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


def _print_plan(plan: Plan) -> None:
    stale = plan.stale
    for slug, reasons in stale.items():
        click.echo(f"stale    {slug}: " + "; ".join(reasons))
    for slug in plan.fresh:
        click.echo(f"fresh    {slug}")
    for slug in plan.orphans:
        click.echo(f"orphan   {slug}: its outputs will be removed")
    if plan.validate:
        click.echo("data     changed since the last validation: it will be validated")
    if plan.nothing_to_do:
        click.echo("everything is up to date")


@main.command(short_help="Live preview: build, serve, rebuild on every change.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.option("--open/--no-open", "open_browser", default=True, help="Open the browser.")
@_with_project
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


@main.command(short_help="List what is stale and why (as build --dry-run).")
@click.argument("reports", nargs=-1)
@_with_project
def status(project: Project, reports: tuple[str, ...]) -> None:
    """List what is stale and why (same as build --dry-run)."""
    from reportgen.plan import make_plan

    _print_plan(make_plan(project, list(reports) or None))


@main.command(short_help="Validate the data; list published values that differ.")
@_with_project
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
    types = load_report_types(project)
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


#: A column of `reportgen list` is as wide as its widest cell up to this many characters; a
#: longer cell runs past the column on its own line instead of widening every other line.
LIST_COLUMN_CAP = 32


def aligned(rows: Sequence[Sequence[str]], cap: int = LIST_COLUMN_CAP) -> list[str]:
    """``rows`` as lines of columns two spaces apart, each column as wide as its widest cell
    of at most ``cap`` characters (the last column is never padded; no trailing spaces)."""
    if not rows:
        return []
    ncols = max(len(row) for row in rows)
    widths = [
        max((len(row[i]) for row in rows if i < len(row) and len(row[i]) <= cap), default=0)
        for i in range(ncols)
    ]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + list(row[-1:])
        lines.append("  ".join(cells).rstrip())
    return lines


def _section(title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    """One titled block of `reportgen list`: a header line, then one aligned line per row."""
    click.echo(f"{title} ({len(rows)})")
    for line in aligned([header, *rows]) if rows else ["  (none)"]:
        click.echo(f"  {line}" if rows else line)


@main.command(name="list", short_help="List report types, exhibits and report definitions.")
@_with_project
def list_(project: Project) -> None:
    """List the report types, the exhibits (kind, module and the tables each reads) and the
    project's report definitions."""
    from reportgen.build import load_definitions
    from reportgen.config import load_config
    from reportgen.figures.registry import ExhibitSpec, load_builders
    from reportgen.modules import module_of
    from reportgen.reports.base import load_report_types

    enabled = set(load_config(project).modules)
    exhibits = load_builders(project)  # reportgen's, installed plug-ins and the project's
    types = sorted(load_report_types(project).items())
    definitions = load_definitions(project)

    def module(spec: ExhibitSpec) -> str:
        """The exhibit module it belongs to ("-": none), marked when the project is without it."""
        found = module_of(spec.tables)
        if found is None:
            return "-"
        return found.name if found.name in enabled else f"{found.name} (off)"

    _section("report types", ("NAME", "DESCRIPTION"), [(n, c.description) for n, c in types])
    click.echo()
    rows = [
        (ex_id, spec.kind, module(spec), ", ".join(spec.tables) or "-", spec.title)
        for ex_id, spec in sorted(exhibits.items())
    ]
    _section("exhibits", ("ID", "KIND", "MODULE", "READS", "TITLE"), rows)
    if any(row[2].endswith(" (off)") for row in rows):
        click.echo(
            "  (off): a module this project does not enable in reportgen.yaml (modules:); "
            "its exhibits cannot be used"
        )
    click.echo()
    _section(
        f"reports in {project.shown(project.reports)}",
        ("SLUG", "TYPE", "TITLE"),
        [(d.slug, d.type, d.title) for d in definitions],
    )


@main.command(short_help="Draw every page of a report with its findings marked.")
@click.argument("report")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Where to write the PNG (default: build/<report>.proof.png).",
)
@_with_project
def proof(project: Project, report: str, output: Path | None) -> None:
    """Build REPORT if stale, then draw every page with each finding outlined and numbered
    (one PNG) and list the findings."""
    from reportgen.proof import make_proof

    made = make_proof(project, report, output)
    for line in made.lines:
        click.echo(line)
    click.echo(f"wrote {project.shown(made.path)} ({made.size[0]}x{made.size[1]} px)")


@main.command(short_help="List the releases in the registry, oldest first.")
@click.argument("slug", required=False)
@_with_project
def releases(project: Project, slug: str | None) -> None:
    """List the releases in the registry (of report SLUG, or all), oldest first."""
    from reportgen.publish.registry import release_lines

    for line in release_lines(project, slug):
        click.echo(line)


@main.command(short_help="Build a report strictly and release it immutably.")
@click.argument("slug")
@click.option(
    "--recipients",
    type=click.Path(path_type=Path),
    default=None,
    help="CSV of recipients (name,firm,email): one stamped copy each in the release's outbox/.",
)
@_with_project
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


@main.command(short_help="Re-hash a release against its manifest and registry.")
@click.argument("release")
@_with_project
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


@main.command(short_help="Create a new project in DIRECTORY, ready to build.")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--name", default=None, help="The project's name (default: the folder's name).")
@_fail_cleanly
def new(directory: Path, name: str | None) -> None:
    """Create a project in DIRECTORY (a new or empty folder): a placeholder house, one company,
    its initiation and a short sector note, a Makefile and a README; it builds as it is."""
    from reportgen.scaffold import new_project

    files = new_project(directory, name)
    click.echo(f"created {directory} ({len(files)} files); next:")
    click.echo(f"  cd {directory} && reportgen build   # PDF and HTML reports in build/")


if __name__ == "__main__":  # pragma: no cover
    main()
