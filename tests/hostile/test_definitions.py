"""Hostile and broken report definitions: everything a definition names stays inside the
project, and every key is type checked (one declared schema) before any value is used.

Each probe edits one report.yaml (and may plant a symlink, a FIFO or a file outside the
project) in a copy of a project whose sector note was built once, then runs `reportgen check`
and `reportgen build`: both must exit 2 with the located message, the previous build's
outputs must be unchanged, and nothing may appear outside the project.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reportgen.outputs import OutsideOutputs, write_atomic
from tests.conftest import REPO, run_cli
from tests.tools import copy_sample

NOTE = "deepseek-v4-pricing"
NOTE_YAML = f"data/reports/{NOTE}/report.yaml"
INDUSTRY = "china-ai-accelerators"
INDUSTRY_YAML = f"data/reports/{INDUSTRY}/report.yaml"
CAMB = "cambricon"
CAMB_YAML = f"data/reports/{CAMB}/report.yaml"
SECRET = "TOP-SECRET-OUTSIDE-THE-PROJECT"


def sub(old: str, new: str) -> Callable[[Path], None]:
    """An edit of the probe's report.yaml replacing ``old`` (which must occur once)."""

    def edit(path: Path) -> None:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        path.write_text(text.replace(old, new), encoding="utf-8")

    return edit


def plant(make: Callable[[Path, Path], None], then: Callable[[Path], None]) -> Callable:
    """A probe that first changes the disk (``make(project, outside)``), then edits."""

    def edit(path: Path) -> None:
        project = path.parents[3]
        make(project, project.parent / "outside")
        then(path)

    return edit


def symlink(link: str, to: str) -> Callable[[Path, Path], None]:
    """Make ``link`` (in the project) point at ``to`` (absolute, or under ``outside``)."""

    def make(project: Path, outside: Path) -> None:
        target = Path(to) if to.startswith("/") else outside / to
        (project / link).symlink_to(target)

    return make


def fifo(name: str) -> Callable[[Path, Path], None]:
    return lambda project, outside: os.mkfifo(project / name)


def folder(name: str, files: tuple[str, ...] = ()) -> Callable[[Path, Path], None]:
    def make(project: Path, outside: Path) -> None:
        (project / name).mkdir()
        for file in files:
            (project / name / file).write_text("x\n", encoding="utf-8")

    return make


@dataclass(frozen=True)
class Probe:
    id: str
    path: str
    edit: Callable[[Path], None]
    expected: tuple[str, ...]
    slug: str = NOTE


L = f"{NOTE_YAML}:"  # the sector note's definition, with its line numbers below
SUMMARY = "summary: summary.md"
RISKS = "    prose: risks.md"
MATRIX = "      - id: pricing-matrix"

PROBES = [
    # --- prose files outside the report's folder -----------------------------------------
    Probe(
        "summary-proc-environ",
        NOTE_YAML,
        sub(SUMMARY, "summary: /proc/self/environ"),
        (f"{L}15: column 'summary'", "'/proc/self/environ' is an absolute path"),
    ),
    Probe(
        "summary-etc-passwd-dotdot",
        NOTE_YAML,
        sub(SUMMARY, "summary: ../../../../../../etc/passwd"),
        (f"{L}15: column 'summary'", "leaves the report's folder"),
    ),
    Probe(
        "summary-symlink-to-etc-passwd",
        NOTE_YAML,
        plant(
            symlink(f"data/reports/{NOTE}/passwd.md", "/etc/passwd"),
            sub(SUMMARY, "summary: passwd.md"),
        ),
        (f"{L}15: column 'summary'", "resolves outside data/reports/"),
    ),
    Probe(
        "prose-in-a-symlinked-folder-outside",
        NOTE_YAML,
        plant(
            lambda p, o: (
                o.mkdir(),
                (o / "secret.md").write_text(SECRET),
                symlink(f"data/reports/{NOTE}/shared", "")(p, o),
            ),
            sub(RISKS, "    prose: shared/secret.md"),
        ),
        (f"{L}58: column 'prose'", "resolves outside data/reports/"),
    ),
    Probe(
        "prose-dangling-symlink",
        NOTE_YAML,
        plant(
            symlink(f"data/reports/{NOTE}/gone.md", "/nonexistent/gone.md"),
            sub(RISKS, "    prose: gone.md"),
        ),
        (f"{L}58: column 'prose'", "a symlink that leads nowhere"),
    ),
    Probe(
        "prose-symlink-loop",
        NOTE_YAML,
        plant(
            lambda p, o: (p / f"data/reports/{NOTE}/loop.md").symlink_to("loop.md"),
            sub(RISKS, "    prose: loop.md"),
        ),
        (f"{L}58: column 'prose'", "a symlink that leads nowhere"),
    ),
    Probe(
        "prose-fifo",  # reading it would wait forever
        NOTE_YAML,
        plant(fifo(f"data/reports/{NOTE}/pipe.md"), sub(RISKS, "    prose: pipe.md")),
        (f"{L}58: column 'prose'", "is not a regular file"),
    ),
    Probe(
        "prose-a-folder",
        NOTE_YAML,
        plant(folder(f"data/reports/{NOTE}/dir.md"), sub(RISKS, "    prose: dir.md")),
        (f"{L}58: column 'prose'", "is not a regular file"),
    ),
    Probe(
        "prose-sibling-then-dotdot",
        NOTE_YAML,
        sub(RISKS, "    prose: ../cambricon/../../house.yaml"),
        (f"{L}58: column 'prose'", "leaves the report's folder"),
    ),
    Probe(
        "prose-sibling-not-a-report",
        NOTE_YAML,
        plant(
            folder("data/reports/notes", ("a.md",)),
            sub(RISKS, "    prose: ../notes/a.md"),
        ),
        (f"{L}58: column 'prose'", "'notes' is not a report folder under data/reports/"),
    ),
    Probe(
        "prose-company-data-via-dotdot",
        NOTE_YAML,
        sub(RISKS, "    prose: ../../companies/cambricon/company.yaml"),
        (f"{L}58: column 'prose'", "leaves the report's folder"),
    ),
    Probe(
        "prose-not-markdown",
        NOTE_YAML,
        sub(SUMMARY, "summary: report.yaml"),
        (f"{L}15: column 'summary'", "not a Markdown file"),
    ),
    Probe(
        "prose-nul-byte",
        NOTE_YAML,
        sub(SUMMARY, 'summary: "summary.md\\0"'),
        (f"{L}15: column 'summary'", "control character"),
    ),
    Probe(
        "prose-path-too-long",
        NOTE_YAML,
        sub(SUMMARY, f"summary: {'a' * 300}.md"),
        (f"{L}15: column 'summary'", "longer than 255 characters"),
    ),
    Probe(
        "report-folder-symlinked-outside",
        NOTE_YAML,
        plant(
            lambda p, o: (
                shutil.copytree(p / "data/reports" / NOTE, o),
                symlink("data/reports/evil", "")(p, o),
            ),
            lambda path: None,
        ),
        ("data/reports/evil/report.yaml: resolves outside data/reports/",),
        slug="evil",
    ),
    # --- placement names ------------------------------------------------------------------
    Probe(
        "name-escapes-to-victim",
        NOTE_YAML,
        sub(MATRIX, MATRIX + '\n        name: "../../../victim/notes"'),
        (f"{L}63: column 'name'", "'../../../victim/notes' is not a plain name"),
    ),
    Probe(
        "name-absolute",
        NOTE_YAML,
        sub(MATRIX, MATRIX + "\n        name: /tmp/x"),
        (f"{L}63: column 'name'", "is not a plain name"),
    ),
    Probe(
        "name-upper-case-and-space",
        NOTE_YAML,
        sub(MATRIX, MATRIX + "\n        name: Pricing Matrix"),
        (f"{L}63: column 'name'", "lower-case letters, digits"),
    ),
    Probe(
        "name-too-long",
        NOTE_YAML,
        sub(MATRIX, MATRIX + f"\n        name: {'m' * 101}"),
        (f"{L}63: column 'name'", "is not a plain name"),
    ),
    Probe(
        "derived-name-escapes",
        NOTE_YAML,
        sub(MATRIX, '      - id: risk-reward\n        params: {company: "../../../victim/x"}'),
        (f"{L}62: column 'params'", "would be named 'risk-reward-../../../victim/x'"),
    ),
    # --- wrongly typed values ---------------------------------------------------------------
    Probe(
        "summary-typo",
        NOTE_YAML,
        sub(SUMMARY, "summary: sumary.md"),
        (f"{L}15: column 'summary'", "prose file 'sumary.md' not found in deepseek-v4-pricing/"),
    ),
    Probe(
        "title-a-number",
        NOTE_YAML,
        sub('title: "DeepSeek V4 pricing', 'title: 2026\nsubtitle_was: "'),
        (f"{L}4: column 'title'", "expected text, found the number 2026", "in quotes"),
    ),
    Probe(
        "rating-a-list",
        NOTE_YAML,
        sub("rating: OUTPERFORM", "rating: [OUTPERFORM]"),
        (f"{L}9: column 'rating'", "expected text, found a list ['OUTPERFORM']"),
    ),
    Probe(
        "exhibit-title-a-list",
        NOTE_YAML,
        sub(MATRIX, MATRIX + "\n        title: [1, 2]"),
        (f"{L}63: column 'title'", "expected text, found a list [1, 2]"),
    ),
    Probe(
        "keywords-a-number",
        NOTE_YAML,
        sub("keywords: [DeepSeek,", "keywords: 5\nkeywords_was: [DeepSeek,"),
        (f"{L}14: column 'keywords'", "expected a list of keywords, found the number 5"),
    ),
    Probe(
        "exhibits-a-number",
        NOTE_YAML,
        sub("    exhibits:\n      - id: pricing-matrix", "    exhibits: 5"),
        (f"{L}61: column 'exhibits'", "expected a list of exhibits, found the number 5"),
    ),
    Probe(
        "section-exhibits-a-number",
        NOTE_YAML,
        sub("sections:\n", "sections:\n  - {title: x, exhibits: 5}\n"),
        (f"{L}30: column 'exhibits'", "expected a list of exhibits, found the number 5"),
    ),
    Probe(
        "sections-a-mapping",
        NOTE_YAML,
        sub("sections:\n", "sections: {a: 1}\nsections_was:\n"),
        (f"{L}29: column 'sections'", "expected a list of sections, found a mapping"),
    ),
    Probe(
        "section-without-title",
        NOTE_YAML,
        sub("sections:\n", "sections:\n  - {prose: risks.md}\n"),
        (f"{L}30: column 'title'", "required key is missing"),
    ),
    Probe(
        "section-unknown-key",
        NOTE_YAML,
        sub(RISKS, RISKS + "\n    prose_file: risks.md"),
        (f"{L}59: column 'prose_file'", "unknown key; expected one of: title, prose"),
    ),
    Probe(
        "section-part-a-list",
        NOTE_YAML,
        sub(RISKS, RISKS + "\n    part: [background]"),
        (f"{L}59: column 'part'", "expected a section part, found a list"),
    ),
    Probe(
        "analyst-phone-a-number",
        NOTE_YAML,
        sub('phone: "+852 0000 0001"', "phone: 85200000001"),
        (f"{L}12: column 'phone'", "found the number 85200000001"),
    ),
    Probe(
        "analyst-a-string",
        NOTE_YAML,
        sub("analysts:  # placeholders of ours\n", "analysts:  # placeholders of ours\n  - Bob\n"),
        (f"{L}12: column 'analysts'", "expected an analyst: a mapping with name", "'Bob'"),
    ),
    Probe(
        "analysts-empty",
        NOTE_YAML,
        sub("analysts:  # placeholders of ours\n", "analysts: []\nanalysts_was:\n"),
        (f"{L}11: column 'analysts'", "expected a list of analysts, found a list []"),
    ),
    Probe(
        "fact-without-source",
        NOTE_YAML,
        sub(
            "atlas_950_superpod_cards: {value: 8192, unit: cards, source: Huawei}",
            "atlas_950_superpod_cards: {value: 8192, unit: cards}",
        ),
        (f"{L}27: column 'source'", "required key is missing"),
    ),
    Probe(
        "fact-a-bare-number",
        NOTE_YAML,
        sub(
            "atlas_950_superpod_cards: {value: 8192, unit: cards, source: Huawei}",
            "atlas_950_superpod_cards: 8192",
        ),
        (f"{L}27: column 'atlas_950_superpod_cards'", "expected a stated fact", "number 8192"),
    ),
    Probe(
        "fact-value-a-list",
        NOTE_YAML,
        sub("{value: 8192, unit: cards, source: Huawei}", "{value: [8192], source: Huawei}"),
        (f"{L}27: column 'value'", "expected a number or text, found a list [8192]"),
    ),
    Probe(
        "fact-unknown-key",
        NOTE_YAML,
        sub(
            "{value: 8192, unit: cards, source: Huawei}",
            "{value: 8192, units: cards, source: Huawei}",
        ),
        (f"{L}27: column 'units'", "unknown key; expected one of: value, unit, source"),
    ),
    Probe(
        "facts-a-list",
        NOTE_YAML,
        sub("facts:\n", "facts: [1]\nfacts_was:\n"),
        (f"{L}18: column 'facts'", "expected a mapping of stated facts, found a list [1]"),
    ),
    Probe(
        "options-unknown-key",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {render_second: 5}"),
        (f"{L}16: column 'render_second'", "unknown key; expected one of: pdf_variant"),
    ),
    Probe(
        "options-seconds-text",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {render_seconds: fast}"),
        (f"{L}16: column 'render_seconds'", "expected a number of seconds from 1 to 3600"),
    ),
    Probe(
        "options-seconds-zero",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {render_seconds: 0}"),
        (f"{L}16: column 'render_seconds'", "found the number 0"),
    ),
    Probe(
        "options-memory-fraction",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {render_memory_mb: 1024.5}"),
        (f"{L}16: column 'render_memory_mb'", "expected a whole number of megabytes"),
    ),
    Probe(
        "options-memory-boolean",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {render_memory_mb: true}"),
        (f"{L}16: column 'render_memory_mb'", "found the boolean true"),
    ),
    Probe(
        "options-pdf-variant-unknown",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {pdf_variant: pdf/x-4}"),
        (f"{L}16: column 'pdf_variant'", "'pdf/x-4' is not one of: pdf/a-3b"),
    ),
    Probe(
        "options-lang-markup",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: {lang: 'en\"><script>'}"),
        (f"{L}16: column 'lang'", "is not a language tag"),
    ),
    Probe(
        "options-a-list",
        NOTE_YAML,
        sub(SUMMARY, SUMMARY + "\noptions: [pdf/a-3b]"),
        (f"{L}16: column 'options'", "expected a mapping of options"),
    ),
    Probe(
        "params-a-number",
        NOTE_YAML,
        sub(MATRIX, MATRIX + "\n        params: 5"),
        (f"{L}63: column 'params'", "expected a mapping of parameters, found the number 5"),
    ),
    Probe(
        "date-no-such-day",
        NOTE_YAML,
        sub("date: 2026-05-01", "date: 2026-13-45"),
        (f"{L}7: column 'date'", "'2026-13-45' is not a date YYYY-MM-DD (no such day)"),
    ),
    Probe(
        "date-a-number",
        NOTE_YAML,
        sub("date: 2026-05-01", "date: 20260501"),
        (f"{L}7: column 'date'", "expected a date YYYY-MM-DD, found the number 20260501"),
    ),
    Probe(
        "type-a-list",
        NOTE_YAML,
        sub("type: sector-note", "type: [sector-note]"),
        (f"{L}3: column 'type'", "expected a report type, found a list"),
    ),
    Probe(
        "title-form-feed",
        NOTE_YAML,
        sub('title: "DeepSeek V4 pricing:', 'title: "DeepSeek\\f V4 pricing:'),
        (f"{L}4: column 'title'", "control character"),
    ),
    Probe(
        "definition-a-list",
        NOTE_YAML,
        lambda path: path.write_text("- type: sector-note\n", encoding="utf-8"),
        (f"{L}1:", "expected a mapping of report settings, found a list"),
    ),
    Probe(
        "many-problems-all-listed",
        NOTE_YAML,
        lambda path: (
            sub("rating: OUTPERFORM", "rating: [OUTPERFORM]")(path)
            or sub("date: 2026-05-01", "date: 2026-13-45")(path)
            or sub(SUMMARY, "summary: /etc/passwd")(path)
        ),
        (f"{L}9: column 'rating'", f"{L}7: column 'date'", f"{L}15: column 'summary'"),
    ),
    # --- the company and industry initiations ---------------------------------------------
    Probe(
        "company-listed-twice",
        INDUSTRY_YAML,
        sub(
            "companies: [cambricon, iluvatar, metax]", "companies: [cambricon, iluvatar, cambricon]"
        ),
        (f"{INDUSTRY_YAML}:7: column 'companies'", "'cambricon' is listed twice"),
        slug=INDUSTRY,
    ),
    Probe(
        "companies-a-string",
        INDUSTRY_YAML,
        sub("companies: [cambricon, iluvatar, metax]", "companies: cambricon"),
        (f"{INDUSTRY_YAML}:7: column 'companies'", "expected a list of company slugs"),
        slug=INDUSTRY,
    ),
    Probe(
        "section-company-a-number",
        INDUSTRY_YAML,
        sub(
            "    part: company-cover\n    company: metax", "    part: company-cover\n    company: 7"
        ),
        (f"{INDUSTRY_YAML}:", "column 'company'", "expected a company slug, found the number 7"),
        slug=INDUSTRY,
    ),
    Probe(
        "company-a-list",
        CAMB_YAML,
        sub("company: cambricon\ntitle:", "company: [cambricon]\ntitle:"),
        (f"{CAMB_YAML}:5: column 'company'", "expected a company slug, found a list"),
        slug=CAMB,
    ),
]


def tree(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file under ``root`` (not following links, not under ``skip``) and its hash."""
    out = {}
    for path in sorted(root.rglob("*")):
        if skip is not None and path.is_relative_to(skip):
            continue
        if path.is_symlink() or not path.is_file():
            out[str(path.relative_to(root))] = "link" if path.is_symlink() else "dir"
        else:
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy whose sector note was built once (the outputs the probes must keep)."""
    root = tmp_path_factory.mktemp("built") / "project"
    copy_sample(root)
    result = run_cli(["build", "-q", NOTE], root)
    assert result.exit_code == 0, result.output
    assert (root / "build" / f"{NOTE}.pdf").is_file()
    return root


def test_the_corpus_is_large() -> None:
    assert len(PROBES) >= 50
    assert len({p.id for p in PROBES}) == len(PROBES)


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_hostile_definition_is_refused_with_a_located_message(
    probe: Probe, built: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built, root, symlinks=True)
    before = {n: tree(root / n) for n in ("build", "figures")}
    probe.edit(root / probe.path)
    outside = tree(tmp_path, skip=root)
    for command in (["check"], ["build", probe.slug]):
        result = run_cli(command, root)
        assert result.exit_code == 2, (command, result.output)
        assert "Traceback" not in result.output
        errors = "\n".join(
            line for line in result.stderr.splitlines() if line.startswith("error: ")
        )
        for fragment in probe.expected:
            assert fragment in errors, f"{command}: {fragment!r} not in:\n{result.output}"
        assert SECRET not in result.output
        assert {n: tree(root / n) for n in ("build", "figures")} == before, command
        assert tree(tmp_path, skip=root) == outside, f"{command} wrote outside the project"
    assert not (tmp_path / "victim").exists()


def test_the_samples_share_prose_only_with_sibling_reports(tmp_path: Path) -> None:
    """The industry initiation reuses the company initiations' prose (../<slug>/*.md): the
    one form of '..' a definition may use, and only into a report folder."""
    text = (REPO / INDUSTRY_YAML).read_text(encoding="utf-8")
    assert "prose: ../cambricon/valuation.md" in text
    result = run_cli(["check"], REPO)
    assert result.exit_code == 0, result.output


# --- the output guard ----------------------------------------------------------------------


def project(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    for name in ("data", "templates", "build", "figures"):
        (root / name).mkdir(parents=True)
    return root


def test_outputs_are_written_inside_the_output_folders(tmp_path: Path) -> None:
    root = project(tmp_path)
    write_atomic(root / "figures" / "r" / "a.svg", b"svg", root)
    write_atomic(root / "build" / "r.pdf", b"pdf", root)
    write_atomic(root / ".reportgen-cache" / "fonts" / "x.woff2", b"w")  # root from the path
    assert (root / "figures" / "r" / "a.svg").read_bytes() == b"svg"
    assert (root / ".reportgen-cache" / "fonts" / "x.woff2").read_bytes() == b"w"


@pytest.mark.parametrize(
    "target",
    [
        "figures/r/../../../victim/notes.svg",  # '..' out of the project
        "figures/r/../../data/house.yaml",  # '..' into the project's inputs
        "templates/base.html.j2",  # inside the project, not an output folder
        "build",  # the output folder itself
    ],
)
def test_a_write_outside_the_output_folders_is_refused_before_anything_is_made(
    tmp_path: Path, target: str
) -> None:
    root = project(tmp_path)
    before = tree(tmp_path)
    with pytest.raises(OutsideOutputs, match="refusing to write"):
        write_atomic(root / target, b"x", root)
    assert tree(tmp_path) == before  # no folder made on the way, no temporary file left


def test_a_write_through_a_symlinked_output_folder_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (root / "figures" / "r").symlink_to(victim)
    with pytest.raises(OutsideOutputs, match="outside build/, figures/, .reportgen-cache/"):
        write_atomic(root / "figures" / "r" / "a.svg", b"x", root)
    with pytest.raises(OutsideOutputs):  # the same when the root comes from the path
        write_atomic(root / "figures" / "r" / "a.svg", b"x")
    assert list(victim.iterdir()) == []


def test_a_path_under_no_output_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutsideOutputs, match="not under build, figures, .reportgen-cache"):
        write_atomic(tmp_path / "somewhere" / "x.pdf", b"x")
    assert not (tmp_path / "somewhere").exists()


def test_removing_a_reports_outputs_never_follows_a_symlink_out(tmp_path: Path) -> None:
    from reportgen.project import Project
    from reportgen.runner import remove_outputs

    root = project(tmp_path)
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.svg").write_bytes(b"x")
    (root / "figures" / "gone").symlink_to(victim)
    (root / "build" / "gone.pdf").write_bytes(b"pdf")
    remove_outputs(Project(root), "gone")
    assert (victim / "keep.svg").read_bytes() == b"x"  # only the link went
    assert not (root / "figures" / "gone").exists()
    assert not (root / "build" / "gone.pdf").exists()
    (root / "build").rmdir()
    (root / "build").symlink_to(victim)  # a symlinked output folder is refused before a delete
    (victim / "gone.pdf").write_bytes(b"outside")
    with pytest.raises(OutsideOutputs):
        remove_outputs(Project(root), "gone")
    assert (victim / "gone.pdf").read_bytes() == b"outside"
