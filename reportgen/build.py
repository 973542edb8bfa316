"""Build reports: gather data, draw every exhibit, render HTML, then write PDF (atomically)."""

from __future__ import annotations

import hashlib
import os
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from matplotlib.figure import Figure

from reportgen.checks.acknowledged import ack_path, read_files, unacknowledged
from reportgen.checks.collect import precision_findings, report_findings
from reportgen.checks.findings import Finding, findings_to_json
from reportgen.checks.precision import precision_conflicts
from reportgen.checks.words import check_house_words
from reportgen.data.companies import COMPANIES_DIR
from reportgen.data.dataset import Dataset
from reportgen.data.provenance import printing_in
from reportgen.data.sources import line_of, read_yaml
from reportgen.deps import digest, key_of, read_bytes, record_all, recording, watch
from reportgen.errors import (
    BuildError,
    DataError,
    ExhibitDataError,
    Problem,
    ProblemList,
    ReportgenError,
    SpecError,
    TemplateError,
)
from reportgen.figures.chartcheck import ChartProblem, check_figure
from reportgen.figures.registry import EXHIBITS, TableExhibit, check_params, load_builders
from reportgen.figures.save import svg_bytes
from reportgen.formatting import Printed, printed_numbers
from reportgen.options import DEFAULT_OPTIONS, BuildOptions
from reportgen.outputs import confine, write_all_atomic
from reportgen.pdfvariant import HOUSE_KEY as HOUSE_VARIANT_KEY
from reportgen.pdfvariant import effective_variant, house_variant_problems
from reportgen.plan import (
    DIR_PREFIX,
    ExhibitRecord,
    ReportRecord,
    builder_module_key,
    code_hashes,
    exhibit_reasons,
    findings_path,
    fingerprint,
    input_key,
    params_key,
    provenance_path,
)
from reportgen.plugins import code_reads, plugin_failure
from reportgen.project import Project
from reportgen.publish.provenance import dataset_index, provenance_json
from reportgen.publish.snapshot import check_registry_key
from reportgen.render.bounded import start_bounded
from reportgen.render.fontembed import embed_fonts
from reportgen.render.inline import inline_charts
from reportgen.render.pdf import html_to_pdf_and_layout
from reportgen.render.prose import decode_prose, render_prose
from reportgen.render.templates import template_env
from reportgen.render.verify import chart_glyph_problems, glyph_problems, verify_pdf
from reportgen.render.xlsx import SUFFIX as XLSX_SUFFIX
from reportgen.render.xlsx import report_workbooks, workbook_href
from reportgen.reports.base import RenderedExhibit, ReportType, load_report_types
from reportgen.reports.definition import ReportDefinition, discover, load_definition
from reportgen.reports.disclosures import disclosures

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    """What one report build wrote and how long it took."""

    slug: str
    html: Path
    pdf: Path
    figures: tuple[Path, ...]
    seconds: float
    #: The table exhibits' workbooks, build/<slug>/<slug>-<exhibit>.xlsx (render/xlsx.py).
    workbooks: tuple[Path, ...] = ()


def load_house(project: Project) -> dict[str, Any]:
    """The house settings (name, disclosures, rating definitions) from data/house.yaml."""
    shown = project.shown(project.house)
    if not project.house.is_file():
        raise DataError([Problem(shown, None, None, "file not found: the house settings")])
    doc = read_yaml(project.house, shown)
    problems = ProblemList()
    for key in ("name", "disclaimer", "certification", "ratings"):
        if not isinstance(doc, dict) or key not in doc:
            problems.add(shown, getattr(doc, "line", None), key, "required key is missing")
    if isinstance(doc, dict):
        # The keys the word check reads (forbidden_words, allowed_words, sample).
        problems.extend(check_house_words(doc, shown))
        problems.extend(check_registry_key(doc, shown))  # registry: {url: ...}
        problems.extend(house_variant_problems(doc, shown, line_of(doc, HOUSE_VARIANT_KEY)))
    problems.raise_if_any(DataError)
    return dict(doc)


def load_definitions(project: Project, only: Sequence[str] | None = None) -> list[ReportDefinition]:
    """Every report definition under data/reports (or the named ones), validated together."""
    types = load_report_types(project)  # with the project's plug-ins (reportgen/plugins.py)
    load_builders(project)
    folders = discover(project.reports)
    if only:
        known = {f.name for f in folders}
        missing = [s for s in only if s not in known]
        if missing:
            raise SpecError(
                [
                    Problem(
                        project.shown(project.reports),
                        None,
                        None,
                        f"no report '{s}'; known: {', '.join(sorted(known))}",
                    )
                    for s in missing
                ]
            )
        folders = [f for f in folders if f.name in only]
    problems = ProblemList()
    definitions = []
    for folder in folders:
        try:
            definitions.append(
                load_definition(folder, project.shown(project.reports), set(types), set(EXHIBITS))
            )
        except SpecError as exc:
            problems.extend(exc.problems)
    companies = _company_slugs(project)
    for definition in definitions:
        for ref in definition.exhibits:
            for message in check_params(ref.id, ref.params, companies):
                label = f"'{ref.name}'" if ref.name == ref.id else f"'{ref.name}' ({ref.id})"
                problems.add(definition.shown, ref.line, "params", f"exhibit {label}: {message}")
    problems.raise_if_any(SpecError)
    return definitions


def _company_slugs(project: Project) -> set[str]:
    """The covered companies: one folder each under data/companies (as load_companies reads)."""
    folder = project.data / COMPANIES_DIR
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()


def build_exhibit(ds: Dataset, definition: ReportDefinition, ref: Any) -> RenderedExhibit:
    """Run one registered builder and return it ready for a template (SVG bytes or a table)."""
    spec = EXHIBITS[ref.id]
    record_all(code_reads(spec.build.__module__))  # a plug-in's code is an input, like data
    try:
        built = spec.build(ds, ref.params)
    except ExhibitDataError as exc:
        # Raised on purpose: the data or parameters cannot make this exhibit. The parameters'
        # types were checked with the definition (check_params), so any other exception from
        # a builder is a bug in reportgen and goes on to the command line's crash log.
        raise _located(exc, definition, ref) from exc
    except Exception as exc:
        # ... unless the builder is a plug-in's: located in the plug-in's code (exit 2).
        failure = plugin_failure(spec.build.__module__, exc, f"exhibit '{ref.name}'")
        if failure is None:
            raise
        raise BuildError([failure]) from exc
    svg = None
    table = None
    problems: tuple[ChartProblem, ...] = ()
    if isinstance(built, Figure):
        svg = svg_bytes(built)  # a font outside the house fonts is a builder bug (ValueError)
        problems = tuple(check_figure(built))
    elif isinstance(built, TableExhibit):
        table = built
    else:  # pragma: no cover - a builder bug
        raise TypeError(f"exhibit {ref.id} returned {type(built).__name__}")
    return RenderedExhibit(
        id=ref.name,
        number=ref.number,
        kind=spec.kind,
        title=ref.title or spec.title,
        source=ref.source or spec.source,
        svg=svg,
        table=table,
        problems=problems,
        download=workbook_href(definition.slug, ref.name) if table is not None else "",
    )


def _located(exc: ExhibitDataError, definition: ReportDefinition, ref: Any) -> ReportgenError:
    """A builder's deliberate data error, located: at the data file's line when the builder
    named one, else at the exhibit's placement in report.yaml."""
    label = f"exhibit '{ref.name}'" if ref.name == ref.id else f"exhibit '{ref.name}' ({ref.id})"
    if exc.path is not None:
        return DataError([Problem(exc.path, exc.line, exc.column, f"{exc.message} ({label})")])
    return SpecError([Problem(definition.shown, ref.line, "exhibits", f"{label}: {exc.message}")])


def render_report_html(
    project: Project,
    ds: Dataset,
    definition: ReportDefinition,
    exhibits: Sequence[RenderedExhibit],
    house: dict[str, Any],
) -> str:
    """Prose first (it may cite exhibit numbers), then the report type's template."""
    rtype: ReportType = load_report_types()[definition.type]()
    numbers = {e.id: e.number for e in exhibits}

    def fig(exhibit_id: str) -> str:
        if exhibit_id not in numbers:
            raise KeyError(f"prose cites exhibit '{exhibit_id}', which this report does not place")
        return f"Figure {numbers[exhibit_id]}"

    prose_ctx = {**rtype.prose_context(ds, definition), "fig": fig}

    def prose(name: str | None) -> Any:
        if not name:
            return None
        path = definition.folder / name
        shown = project.shown(path)
        return render_prose(decode_prose(read_bytes(path), shown), shown, prose_ctx)

    by_id = {e.id: e for e in exhibits}
    sections = [
        {
            "title": s.title,
            "html": prose(s.prose),
            "exhibits": [by_id[r.name] for r in s.exhibits],
        }
        for s in definition.sections
    ]
    summary, key_points = prose(definition.summary), prose(definition.key_points)
    texts = [summary, key_points, *(s["html"] for s in sections)]
    context = {
        "report": definition,
        "house": house,
        "summary": summary,
        "key_points": key_points,
        "sections": sections,
        "fonts_url": "../templates/fonts",  # relative to build/: same bytes in every clone
        "disclosures": disclosures(ds, definition, house, by_id, texts),
        **rtype.page_context(ds, definition),
    }
    env = template_env(project.template_dirs)  # per file: the project's, else the package's
    try:
        return env.get_template(rtype.template).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            [
                Problem(
                    f"templates/{exc.name or rtype.template}", exc.lineno, None, exc.message or ""
                )
            ]
        ) from exc
    except jinja2.TemplateError as exc:
        where, line = _template_frame(exc, project) or (f"templates/{rtype.template}", None)
        raise TemplateError([Problem(where, line, None, f"{type(exc).__name__}: {exc}")]) from exc


def _template_frame(exc: BaseException, project: Project) -> tuple[str, int] | None:
    """The template file and line where a rendering error happened (innermost .j2 frame)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(".j2") and frame.lineno:
            return project.shown(Path(frame.filename)), frame.lineno
    return None


@dataclass(frozen=True)
class ReportOutcome:
    """A built report, plus what it read and wrote (the manifest record of this build)."""

    result: BuildResult
    record: ReportRecord
    drawn: int
    reused: int


def _reusable(
    project: Project,
    definition: ReportDefinition,
    ref: Any,
    previous: ReportRecord | None,
    builder_code: dict[str, str],
    force: bool,
) -> ExhibitRecord | None:
    """The previous record of a chart whose SVG still stands: nothing it read, ran or was
    asked has changed since it was drawn (None when the chart must be drawn)."""
    spec = EXHIBITS[ref.id]
    if spec.kind != "chart" or force or previous is None:
        return None
    old = previous.exhibits.get(ref.name)
    code = builder_code.get(builder_module_key(spec.build.__module__), "")
    params = params_key(ref.id, dict(ref.params))
    if old is None or exhibit_reasons(project, old, code, params):
        return None
    return old


def charts_to_draw(
    project: Project,
    definition: ReportDefinition,
    previous: ReportRecord | None,
    force: bool = False,
) -> list[str]:
    """Names of the report's charts that must be drawn (the runner may draw them in parallel)."""
    _, builder_code = code_hashes()
    return [
        ref.name
        for ref in definition.exhibits
        if EXHIBITS[ref.id].kind == "chart"
        and _reusable(project, definition, ref, previous, builder_code, force) is None
    ]


Drawn = tuple[RenderedExhibit, ExhibitRecord]


def draw_exhibit(
    project: Project,
    ds: Dataset,
    definition: ReportDefinition,
    name: str,
    builder_code: dict[str, str] | None = None,
) -> Drawn:
    """Build one exhibit and the record of what it read (a task of its own: pure, no writes)."""
    ref = next(r for r in definition.exhibits if r.name == name)
    spec = EXHIBITS[ref.id]
    if builder_code is None:
        _, builder_code = code_hashes()
    with recording() as reads:
        exhibit = build_exhibit(ds, definition, ref)
    rec = ExhibitRecord(
        inputs=fingerprint(project, reads.settle()),
        code=builder_code.get(builder_module_key(spec.build.__module__), ""),
        params=params_key(ref.id, dict(ref.params)),
        output=f"figures/{definition.slug}/{ref.name}.svg" if exhibit.svg is not None else None,
        output_hash=hashlib.sha256(exhibit.svg).hexdigest() if exhibit.svg is not None else "",
        problems=[
            {"kind": p.kind, "message": p.message, "box": list(p.box) if p.box else None}
            for p in exhibit.problems
        ],
    )
    return exhibit, rec


def _exhibit(
    project: Project,
    ds: Dataset,
    definition: ReportDefinition,
    ref: Any,
    previous: ReportRecord | None,
    builder_code: dict[str, str],
    force: bool,
    predrawn: Mapping[str, Drawn],
) -> tuple[RenderedExhibit, ExhibitRecord, bool]:
    """An exhibit for the page: drawn by another task, reused from disk, or drawn here."""
    if ref.name in predrawn:
        exhibit, rec = predrawn[ref.name]
        _record_inputs(project, rec)
        return exhibit, rec, True
    old = _reusable(project, definition, ref, previous, builder_code, force)
    svg = _read_output(project, old)
    if old is not None and svg is not None:
        spec = EXHIBITS[ref.id]
        _record_inputs(project, old)
        exhibit = RenderedExhibit(
            id=ref.name,
            number=ref.number,
            kind=spec.kind,
            title=ref.title or spec.title,
            source=ref.source or spec.source,
            svg=svg,
            problems=tuple(
                ChartProblem(p["kind"], p["message"], tuple(p["box"]) if p.get("box") else None)
                for p in old.problems
            ),
        )
        return exhibit, old, False
    exhibit, rec = draw_exhibit(project, ds, definition, ref.name, builder_code)
    return exhibit, rec, True  # its reads were recorded as it ran


def _read_output(project: Project, old: ExhibitRecord | None) -> bytes | None:
    """A reusable chart's SVG, read once: None (draw it again) unless it is still the drawn one."""
    if old is None or old.output is None:
        return None
    try:
        data = (project.root / old.output).read_bytes()
    except OSError:
        return None
    return data if digest(data) == old.output_hash else None


def _record_inputs(project: Project, rec: ExhibitRecord) -> None:
    """Count an exhibit drawn elsewhere (or earlier) as read by this report: files and folders,
    with the hashes they had when it was drawn."""
    record_all(
        {
            key_of(project.root / k.removeprefix(DIR_PREFIX), k.startswith(DIR_PREFIX)): v
            for k, v in rec.inputs.items()
        }
    )


#: Tests only: names a folder; build_report then writes ``<slug>.paused`` there once it has
#: read every input and waits for ``<slug>.resume`` before recording them, so a test can
#: change an input mid-build without racing a timer (tests/hostile/test_freshness.py).
PAUSE_ENV = "REPORTGEN_TEST_PAUSE"


def _pause_for_test(slug: str) -> None:
    folder = os.environ.get(PAUSE_ENV)
    if not folder:
        return
    Path(folder, f"{slug}.paused").touch()
    deadline = time.monotonic() + 120
    while not Path(folder, f"{slug}.resume").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


def build_report(
    project: Project,
    ds: Dataset,
    definition: ReportDefinition,
    house: dict[str, Any],
    progress: Progress = lambda _m: None,
    options: BuildOptions = DEFAULT_OPTIONS,
    previous: ReportRecord | None = None,
    predrawn: Mapping[str, Drawn] | None = None,
    preread: Mapping[str, str] | None = None,
) -> ReportOutcome:
    """Build one report: exhibits, HTML, then a checked PDF; outputs replaced atomically.

    Exhibits whose inputs, parameters and builder code are unchanged since ``previous``
    are not redrawn: their SVG on disk is reused. ``predrawn`` holds charts other tasks drew.
    ``preread`` holds the hashes (deps.Reads keys) of the inputs read for this report before
    the task (its definition, the house file): the record keeps what was used.
    """
    start = time.perf_counter()
    report_code, builder_code = code_hashes()
    rtype = load_report_types()[definition.type]()
    with recording() as reads:
        record_all(preread or {})
        record_all(code_reads(type(rtype).__module__))  # a plug-in report type's code
        # Read by others (prose and definition already loaded; fonts by WeasyPrint): hashed
        # now, before use, and checked again when the record is made.
        watch(
            [
                definition.folder,
                *definition.folder.iterdir(),
                project.house,
                *project.template_watch("fonts"),
                *project.template_watch("css"),
            ]
        )
        warnings = rtype.warnings(ds, definition)
        for problem in warnings:
            progress(f"warning: {problem}")
        exhibits = []
        records: dict[str, ExhibitRecord] = {}
        svgs: list[tuple[Path, bytes]] = []
        drawn = 0
        # Numbers the report prints as text (tables and prose; a chart's are drawn, and may
        # be drawn in another task or reused): one quantity at two precisions is a finding.
        printed: list[Printed] = []
        for ref in definition.exhibits:
            progress(f"{definition.slug}: exhibit {ref.number} ({ref.name})")
            with printed_numbers() as numbers, printing_in(f"exhibit {ref.name}"):
                exhibit, rec, fresh = _exhibit(
                    project,
                    ds,
                    definition,
                    ref,
                    previous,
                    builder_code,
                    options.force,
                    predrawn or {},
                )
            if EXHIBITS[ref.id].kind != "chart":
                printed += numbers
            drawn += fresh
            exhibits.append(exhibit)
            records[ref.name] = rec
            if exhibit.svg is not None:
                svgs.append((project.figures / definition.slug / f"{ref.name}.svg", exhibit.svg))
        progress(f"{definition.slug}: HTML")
        with printed_numbers() as numbers, printing_in(f"template {rtype.template}"):
            html = render_report_html(project, ds, definition, exhibits, house)
        printed += numbers
        watch([ack_path(project)])  # it decides which published differences warn
    # Published differences in the files read that the data neither acknowledge nor retire
    # (computed outside the recording: checking them reads no more inputs for the report).
    differences = unacknowledged(project, ds, read_files(project, reads.digests))
    for problem in differences:
        progress(f"warning: {problem}")
    warnings = [*warnings, *differences]
    if warnings and options.strict:  # all of them at once, the report's own and the data's
        raise BuildError(warnings)
    shown = f"build/{definition.slug}.pdf"
    # A character no font has is reported where it was typed, among the files read.
    inputs, root = list(reads.digests), project.root
    missing = glyph_problems(html, project.fonts, f"build/{definition.slug}.html", inputs, root)
    for path, data in svgs:
        missing += chart_glyph_problems(data, project.fonts, project.shown(path), inputs, root)
    if missing:
        raise BuildError(missing)
    progress(f"{definition.slug}: PDF")
    # PDF/A-3b unless the command line, report.yaml or house.yaml asks for another variant.
    variant = effective_variant(options.pdf_variant, definition.options, house)
    render = start_bounded(
        html_to_pdf_and_layout,
        html,
        base_dir=project.build,
        allowed_roots=[
            *(d / sub for d in project.template_dirs for sub in ("fonts", "css")),
            project.figures,
        ],
        aliases=[(project.own_templates, d) for d in project.template_dirs],
        shown=shown,
        date=definition.date,
        variant=variant,
        label=shown,
        seconds=float(definition.options.get("render_seconds", options.render_seconds)),
        memory_mb=int(definition.options.get("render_memory_mb", options.render_memory_mb)),
    )
    try:
        # While WeasyPrint lays out the PDF in its child, make the HTML file, which travels
        # alone: charts inline (chart text in the page's fonts), fonts embedded.
        fonts_cache = project.root / ".reportgen-cache" / "fonts"
        fonts = project.template_folder("fonts")
        page = embed_fonts(inline_charts(html), fonts, fonts_cache).encode("utf-8")
        # and every table exhibit's data as a workbook, written beside the PDF.
        books = report_workbooks(
            project.build,
            definition.slug,
            definition.title,
            definition.date,
            exhibits,
            str(house.get("name", "")),
            house.get("sample") is True,
        )
        pdf, layout = render.result()
    finally:
        render.close()
    problems = verify_pdf(pdf, shown, rtype.key_figures(ds, definition))
    if problems:
        raise BuildError(problems)
    conflicts = precision_findings(layout, definition.slug, precision_conflicts(printed))
    findings = report_findings(layout, definition.slug, exhibits, house, conflicts)
    for finding in findings:
        progress(f"warning: {finding}")
    if findings and options.strict:
        raise BuildError(finding_problems(definition.slug, findings))
    found_path = findings_path(project, definition.slug)
    found = findings_to_json(findings).encode("utf-8")
    prov_path = provenance_path(project, definition.slug)
    read = {input_key(project, k) for k in reads.digests}
    prov = provenance_json(definition.slug, printed, layout, dataset_index(ds, read))
    # Only a checked PDF replaces the previous outputs, all together: every file is written
    # in full before any is renamed, so a full disk leaves the previous set as it was.
    html_path = project.build / f"{definition.slug}.html"
    pdf_path = project.build / f"{definition.slug}.pdf"
    changed = [(p, d) for p, d in svgs if not p.exists() or p.read_bytes() != d]
    write_all_atomic(
        [
            *changed,
            (html_path, page),
            (pdf_path, pdf),
            *books,  # after the page: a folder problem under build/ names the HTML first
            (found_path, found),
            (prov_path, prov),
        ],
        project.root,
    )
    _remove_stale_workbooks(project, definition.slug, {path.name for path, _ in books})
    # A removed exhibit leaves no orphan SVG behind.
    keep = {path.name for path, _ in svgs}
    figure_dir = project.figures / definition.slug
    if figure_dir.is_dir():
        for stale in figure_dir.glob("*.svg"):
            if stale.name not in keep:
                confine(stale, project.root)
                stale.unlink()
    outputs = {
        f"build/{definition.slug}.html": hashlib.sha256(page).hexdigest(),
        f"build/{definition.slug}.pdf": hashlib.sha256(pdf).hexdigest(),
        found_path.relative_to(project.root).as_posix(): hashlib.sha256(found).hexdigest(),
        prov_path.relative_to(project.root).as_posix(): hashlib.sha256(prov).hexdigest(),
        **{
            path.relative_to(project.root).as_posix(): hashlib.sha256(data).hexdigest()
            for path, data in books
        },
    }
    result = BuildResult(
        definition.slug,
        html_path,
        pdf_path,
        tuple(p for p, _ in svgs),
        time.perf_counter() - start,
        tuple(p for p, _ in books),
    )
    _pause_for_test(definition.slug)
    report_rec = ReportRecord(
        inputs=fingerprint(project, reads.settle()),
        code=report_code,
        outputs=outputs,
        exhibits=records,
        warnings=[str(w) for w in warnings],
        findings=[str(f) for f in findings],
        pdf_variant=variant,
    )
    return ReportOutcome(result, report_rec, drawn, len(records) - drawn)


def _remove_stale_workbooks(project: Project, slug: str, keep: set[str]) -> None:
    """Remove the workbooks of table exhibits the report no longer places (and their
    folder once empty), so nothing stale is left in build/."""
    folder = project.build / slug
    if not folder.is_dir() or folder.is_symlink():
        return
    for stale in folder.glob(f"*{XLSX_SUFFIX}"):
        if stale.name not in keep:
            confine(stale, project.root)
            stale.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def finding_problems(slug: str, findings: Sequence[Finding]) -> list[Problem]:
    """Findings as the problems ``--strict`` fails with, located at the report's PDF."""
    return [Problem(f"build/{slug}.pdf", None, None, str(f)) for f in findings]


def build_all(
    project: Project,
    only: Sequence[str] | None = None,
    progress: Progress = lambda _m: None,
    wait_seconds: float = 600.0,
    options: BuildOptions = DEFAULT_OPTIONS,
) -> list[BuildResult]:
    """Build what is stale (everything with force=True in options), one build at a time."""
    from reportgen.runner import run_build

    summary = run_build(project, only, options, progress, wait_seconds=wait_seconds)
    return summary.results
