"""template_env: autoescape whatever the template's name, strict undefined, house filters."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import jinja2
import pytest

from reportgen.deps import digest, recording
from reportgen.options import BuildOptions
from reportgen.plan import make_plan
from reportgen.project import PACKAGE_TEMPLATES, Project
from reportgen.render.pdf import RefusedURL, SandboxedFetcher
from reportgen.render.templates import template_env
from reportgen.runner import run_build
from tests.tools import copy_sample

DASH = "–"
NAN = float("nan")


@pytest.fixture
def env(tmp_path: Path) -> jinja2.Environment:
    return template_env(tmp_path)


def fmt(env: jinja2.Environment, expr: str, value: object) -> str:
    return env.from_string("{{ " + expr + " }}").render(v=value)


# --- escaping and undefined names -----------------------------------------------------------


@pytest.mark.parametrize("name", ["x.html.j2", "x.txt", "partials/y.j2", "noext"])
def test_every_template_is_autoescaped_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<p>{{ company }}</p>\n", encoding="utf-8")
    out = template_env(tmp_path).get_template(name).render(company='ACME</p><script>"x"')
    assert out == "<p>ACME&lt;/p&gt;&lt;script&gt;&#34;x&#34;</p>\n"


def test_markup_marked_safe_is_not_escaped_twice(env: jinja2.Environment) -> None:
    assert env.from_string("{{ Markup('<b>ok</b>') }}").render() == "<b>ok</b>"


def test_missing_variable_raises(tmp_path: Path) -> None:
    (tmp_path / "x.html.j2").write_text("{{ present }} {{ absent }}", encoding="utf-8")
    template = template_env(tmp_path).get_template("x.html.j2")
    with pytest.raises(jinja2.UndefinedError, match="absent"):
        template.render(present=1)


@pytest.mark.parametrize(
    "source",
    ["{{ d.missing }}", "{% if absent %}x{% endif %}", "{% for x in absent %}{% endfor %}"],
)
def test_missing_attribute_or_test_raises(env: jinja2.Environment, source: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        env.from_string(source).render(d={})


# --- formatting filters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "value", "expected"),
    [
        ("v | usd", 1.74, "US$1.74"),
        ("v | usd", 1234.5, "US$1,234.50"),
        ("v | usd", 0.28, "US$0.28"),
        ("v | usd", 2.175, "US$2.18"),  # half up on the digits as written
        ("v | usd", -1.2, "-US$1.20"),
        ("v | usd(4)", 0.1976, "US$0.1976"),
        ("v | usd(0)", 12143, "US$12,143"),
        ("v | money('Rmb', 0)", 1588, "Rmb1,588"),
        ("v | pct", 41.25, "41.3%"),
        ("v | pct", 6.5, "6.5%"),
        ("v | pct", 91.44, "91.4%"),
        ("v | pct", -3, "-3.0%"),
        ("v | pct(signed=True)", 3, "+3.0%"),
        ("v | pct(0)", 41.25, "41%"),
        ("v | frac_pct", 0.4125, "41.3%"),
        ("v | frac_pct", 0.065, "6.5%"),
        ("v | frac_pct", 1.0, "100.0%"),
        ("v | frac_pct(signed=True)", -0.05, "-5.0%"),
        ("v | multiple", 2.0, "2.0x"),
        ("v | multiple", 6.1667, "6.2x"),
        ("v | multiple(2)", 4.5, "4.50x"),
        ("v | number", 1234567.891, "1,234,567.9"),
        ("v | number(2)", -1234.5, "-1,234.50"),
        ("v | number(1, parens=True)", -1234.5, "(1,234.5)"),
        ("v | number(1, parens=True)", 1234.5, "1,234.5"),
        ("v | number(0, parens=True)", -0.5, "(1)"),
        ("v | number(1, parens=True)", -0.04, "0.0"),  # rounds to zero: no parentheses
        ("v | number(0)", 12.5, "13"),
        ("v | words", 3, "three"),
        ("v | words", 12, "12"),
        ("v | long_date", dt.date(2026, 5, 1), "1 May 2026"),
    ],
)
def test_filters_format_typical_values(
    env: jinja2.Environment, expr: str, value: object, expected: str
) -> None:
    assert fmt(env, expr, value) == expected


@pytest.mark.parametrize(
    "expr",
    [
        "v | usd",
        "v | money('Rmb')",
        "v | pct",
        "v | frac_pct",
        "v | multiple",
        "v | number",
        "v | number(2, parens=True)",
    ],
)
@pytest.mark.parametrize("value", [None, NAN], ids=["None", "NaN"])
def test_filters_show_a_dash_for_missing_values(
    env: jinja2.Environment, expr: str, value: float | None
) -> None:
    assert fmt(env, expr, value) == DASH


def test_numpy_nan_is_missing_too(env: jinja2.Environment) -> None:
    np = pytest.importorskip("numpy")
    assert fmt(env, "v | usd", np.float64("nan")) == DASH
    assert fmt(env, "v | number", np.nan) == DASH


@pytest.mark.parametrize(
    ("expr", "value", "expected"),
    [("v | usd", -0.001, "US$0.00"), ("v | number", -0.04, "0.0"), ("v | pct", -0.04, "0.0%")],
)
def test_values_that_round_to_zero_have_no_minus_sign(
    env: jinja2.Environment, expr: str, value: float, expected: str
) -> None:
    assert fmt(env, expr, value) == expected


def test_data_uri_filter_embeds_svg(env: jinja2.Environment) -> None:
    out = fmt(env, "v | data_uri", b"<svg/>")
    assert out == "data:image/svg+xml;base64,PHN2Zy8+"


# --- per-file override: a project's templates/ over the package's ---------------------------


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_each_template_comes_from_the_first_folder_that_has_it(tmp_path: Path) -> None:
    own, package = tmp_path / "own", tmp_path / "package"
    _write(package / "page.j2", "{% include 'part.j2' %}|{% include 'other.j2' %}")
    _write(package / "part.j2", "package part")
    _write(package / "other.j2", "package other")
    _write(own / "part.j2", "own part")
    with recording() as reads:
        out = template_env([own, package]).get_template("page.j2").render()
    assert out == "own part|package other"
    got = {Path(k).relative_to(tmp_path).as_posix(): v for k, v in reads.digests.items()}
    # what was used, with the hash of its bytes; each override it looked for, as absent ("")
    assert got == {
        "own/page.j2": "",
        "package/page.j2": digest(b"{% include 'part.j2' %}|{% include 'other.j2' %}"),
        "own/part.j2": digest(b"own part"),
        "own/other.j2": "",
        "package/other.j2": digest(b"package other"),
    }


def test_a_template_name_cannot_leave_the_folders(tmp_path: Path) -> None:
    _write(tmp_path / "secret.j2", "secret")
    env = template_env([tmp_path / "own", tmp_path / "package"])
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("../secret.j2")
    with pytest.raises(jinja2.TemplateNotFound):
        env.get_template("missing.j2")


def test_project_resolves_templates_css_and_fonts_per_file(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert project.template_file("css/report.css") == PACKAGE_TEMPLATES / "css/report.css"
    assert project.fonts == PACKAGE_TEMPLATES / "fonts"  # no override: the package's folder
    override = _write(tmp_path / "templates/css/report.css", "body { color: black; }")
    assert project.template_file("css/report.css") == override
    font = tmp_path / "templates/fonts/DejaVuSans.ttf"
    font.parent.mkdir()
    shutil.copy2(PACKAGE_TEMPLATES / "fonts/DejaVuSans-Bold.ttf", font)
    fonts = project.template_folder("fonts")
    assert fonts["DejaVuSans.ttf"] == font
    assert fonts["DejaVuSans-Oblique.ttf"] == PACKAGE_TEMPLATES / "fonts/DejaVuSans-Oblique.ttf"
    merged = project.fonts  # a folder holding every font used, the override among them
    assert sorted(p.name for p in merged.iterdir()) == sorted(fonts)
    assert (merged / "DejaVuSans.ttf").read_bytes() == font.read_bytes()
    # the files that decide the folder: those used, and each package file's override path
    watched = project.template_watch("fonts")
    assert tmp_path / "templates/fonts/DejaVuSans-Oblique.ttf" in watched
    assert PACKAGE_TEMPLATES / "fonts/DejaVuSans-Oblique.ttf" in watched


def test_the_fetcher_reads_each_file_from_the_first_folder_that_has_it(tmp_path: Path) -> None:
    own, package = tmp_path / "templates", tmp_path / "package"
    _write(package / "fonts/a.ttf", "package a")
    _write(package / "fonts/b.ttf", "package b")
    _write(own / "fonts/b.ttf", "own b")
    fetcher = SandboxedFetcher(
        [own / "fonts", package / "fonts"], aliases=[(own, own), (own, package)]
    )

    def fetched(name: str) -> bytes:
        response = fetcher.fetch((own / "fonts" / name).as_uri())
        try:
            return response.read()
        finally:
            response.close()

    assert fetched("a.ttf") == b"package a"
    assert fetched("b.ttf") == b"own b"
    with pytest.raises(RefusedURL):
        fetched("c.ttf")


SMALL_NOTE = """type: sector-note
title: Alpha
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Day-0
    prose: body.md
    exhibits:
      - id: day0-matrix
"""


@pytest.mark.e2e
def test_adding_editing_and_removing_an_override_rebuilds_its_users(tmp_path: Path) -> None:
    """A project without templates/ builds from the package; each override file added,
    edited or removed makes the report stale and is what the next build uses."""
    root = copy_sample(tmp_path / "p", templates=False)
    shutil.rmtree(root / "data/reports")
    _write(root / "data/reports/alpha/report.yaml", SMALL_NOTE)
    _write(root / "data/reports/alpha/summary.md", "A short summary.\n")
    _write(root / "data/reports/alpha/body.md", "The matrix.\n")
    project = Project(root)

    def build() -> str:
        summary = run_build(project, None, BuildOptions(jobs=1), lambda _m: None)
        assert summary.built == ["alpha"]
        return (root / "build/alpha.html").read_text(encoding="utf-8")

    def reasons() -> str:
        # (others' edits to reportgen's code in a shared checkout are not this test's)
        found = make_plan(project).stale.get("alpha", [])
        return "; ".join(r for r in found if "code changed" not in r)

    assert "<h3>Analysts</h3>" in build()
    assert reasons() == ""
    package = PACKAGE_TEMPLATES / "partials/analysts.html.j2"
    partial = root / "templates/partials/analysts.html.j2"
    _write(partial, package.read_text(encoding="utf-8").replace("Analysts", "Our authors"))
    assert "templates/partials/analysts.html.j2" in reasons()
    assert "<h3>Our authors</h3>" in build()
    partial.write_text(partial.read_text(encoding="utf-8").replace("Our", "The"), "utf-8")
    assert "templates/partials/analysts.html.j2" in reasons()
    assert "<h3>The authors</h3>" in build()
    partial.unlink()
    assert "templates/partials/analysts.html.j2" in reasons()
    assert "<h3>Analysts</h3>" in build()
    # a stylesheet (a Jinja include) and a font (fetched by WeasyPrint, embedded in the HTML)
    css = (PACKAGE_TEMPLATES / "css/report.css").read_text(encoding="utf-8")
    _write(root / "templates/css/report.css", css + "\n.override-marker { color: red; }\n")
    font = root / "templates/fonts/DejaVuSans.ttf"
    font.parent.mkdir(parents=True)
    shutil.copy2(PACKAGE_TEMPLATES / "fonts/DejaVuSans-Bold.ttf", font)
    assert "templates/css/report.css" in reasons()
    assert "templates/fonts/DejaVuSans.ttf" in reasons()
    html = build()
    assert ".override-marker" in html
    assert reasons() == ""
    font.unlink()
    assert "templates/fonts/DejaVuSans.ttf" in reasons()
