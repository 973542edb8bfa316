"""template_env: autoescape whatever the template's name, strict undefined, house filters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import jinja2
import pytest

from reportgen.render.templates import template_env

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
