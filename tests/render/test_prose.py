"""render_prose: data values are shown as typed, prose cannot inject markup or fetch files."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from reportgen.errors import SpecError
from reportgen.prose_api import prose_api
from reportgen.render import sandbox
from reportgen.render.prose import decode_prose, render_prose

SHOWN = "data/reports/demo/summary.md"


class Parsed(HTMLParser):
    """The start tags and the visible text of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text = ""
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text += data

    def close(self) -> None:
        super().close()
        self.text = self.text.strip()

    @property
    def tag_names(self) -> list[str]:
        return [t for t, _ in self.tags]


def render(text: str, **context: Any) -> Parsed:
    return Parsed(str(render_prose(text, SHOWN, context)))


def spec_problem(text: str, **context: Any) -> tuple[str, int | None, str]:
    with pytest.raises(SpecError) as exc:
        render_prose(text, SHOWN, context)
    (problem,) = exc.value.problems
    return problem.path, problem.line, problem.message


# --- data values are shown literally ---------------------------------------------------------


def test_plain_prose_becomes_html() -> None:
    out = render("Prices *fell* by {{ cut }}.", cut="75%")
    assert out.tag_names == ["p", "em"]  # the analyst's own emphasis is kept
    assert out.text == "Prices fell by 75%."


def test_value_with_table_cell_markup_shows_literally() -> None:
    out = render("Client: {{ name }}", name="ACME</td><td>X")
    assert out.tag_names == ["p"]
    assert out.text == "Client: ACME</td><td>X"


def test_value_with_markdown_link_does_not_become_a_link() -> None:
    out = render("See {{ v }}.", v="[x](http://127.0.0.1:9/x)")
    assert "a" not in out.tag_names
    assert out.text == "See [x](http://127.0.0.1:9/x)."


def test_value_with_autolink_does_not_become_a_link() -> None:
    out = render("See {{ v }}.", v="<http://127.0.0.1:9/x>")
    assert "a" not in out.tag_names
    assert out.text == "See <http://127.0.0.1:9/x>."


@pytest.mark.parametrize("value", ["*e*", "_e_", "**strong**", "`code`", "~~x~~"])
def test_value_with_emphasis_markers_does_not_become_emphasis(value: str) -> None:
    out = render("Model {{ v }} here", v=value)
    assert out.tag_names == ["p"]
    assert out.text == f"Model {value} here"


@pytest.mark.parametrize("value", ["# Heading", "- item", "1. item", "> quote", "| a | b |"])
def test_value_at_line_start_does_not_become_a_block(value: str) -> None:
    out = render("{{ v }}", v=value)
    assert out.tag_names == ["p"]
    assert out.text == value


def test_value_with_image_syntax_produces_no_image() -> None:
    out = render("{{ v }}", v="![a](http://127.0.0.1:9/a.png)")
    assert out.tag_names == ["p"]
    assert out.text == "![a](http://127.0.0.1:9/a.png)"


def test_filtered_values_are_escaped_too() -> None:
    out = render("{{ p | usd }} and {{ n | number(parens=True) }}", p=1.74, n=-1.2)
    assert out.tag_names == ["p"]
    assert out.text == "US$1.74 and (1.2)"


def test_multiline_value_does_not_become_a_heading() -> None:
    out = render("{{ v }}", v="Q1\n===")
    assert "h1" not in out.tag_names


# --- prose itself: no images, no raw HTML ----------------------------------------------------


@pytest.mark.parametrize(
    "image", ["![a](file:///etc/passwd)", "![a](http://127.0.0.1:9/a.png)", "![a](a.png)"]
)
def test_image_in_prose_produces_no_img(image: str) -> None:
    out = render(f"Look: {image}")
    assert "img" not in out.tag_names
    assert all("src" not in attrs for _, attrs in out.tags)


def test_file_url_in_prose_is_not_linked() -> None:
    out = render("Look: ![a](file:///etc/passwd) and [b](file:///etc/passwd)")
    hrefs = [attrs.get("href") for _, attrs in out.tags]
    assert not any(h and h.startswith("file:") for h in hrefs)


@pytest.mark.parametrize(
    "raw", ["<img src=x>", "<script>alert(1)</script>", '<a href="http://x">x</a>', "<td>x</td>"]
)
def test_raw_html_in_prose_is_escaped(raw: str) -> None:
    html = str(render_prose(f"Before {raw} after", SHOWN, {}))
    assert re.search(r"<(img|script|a|td)\b", html) is None
    assert Parsed(html).text == f"Before {raw} after"


def test_raw_html_block_in_prose_is_escaped() -> None:
    out = render("<div>\n<script>alert(1)</script>\n</div>\n")
    assert set(out.tag_names) == {"p"}
    assert "<script>alert(1)</script>" in out.text


# --- located errors --------------------------------------------------------------------------


def test_undefined_name_names_file_and_line() -> None:
    path, line, message = spec_problem("First line.\n\nThird {{ nope }} line.\n")
    assert (path, line) == (SHOWN, 3)
    assert "undefined value" in message
    assert "nope" in message


def test_undefined_name_in_a_block_tag_names_the_line() -> None:
    path, line, _ = spec_problem("One\nTwo\n{% if missing_flag %}x{% endif %}\n")
    assert (path, line) == (SHOWN, 3)


def test_undefined_attribute_names_the_line() -> None:
    path, line, message = spec_problem("One\n{{ company.ticker }}\n", company={"name": "X"})
    assert (path, line) == (SHOWN, 2)
    assert "ticker" in message


def test_syntax_error_names_the_line() -> None:
    path, line, message = spec_problem("One\nTwo\nThree {{ price | }}\nFour\n", price=1.0)
    assert (path, line) == (SHOWN, 3)
    assert message.startswith("template syntax:")


def test_unclosed_block_is_a_syntax_error() -> None:
    _, line, message = spec_problem("One\n{% if x %}\nTwo\n", x=True)
    assert line is not None
    assert "template syntax" in message
    assert "endif" in message


def test_sandbox_refuses_unsafe_attributes() -> None:
    path, line, message = spec_problem("One\n{{ ''.__class__.__mro__ }}\n")
    assert (path, line) == (SHOWN, 2)
    assert "not allowed" in message


# --- the allow-list sandbox ------------------------------------------------------------------


@dataclass(frozen=True)
class Secretive:
    """An object prose was handed by mistake: it holds a path and a method that writes."""

    folder: Path

    def write(self, text: str) -> None:
        (self.folder / "written.txt").write_text(text, encoding="utf-8")


@prose_api("twice", exclude=("hidden",))
@dataclass(frozen=True)
class Quote:
    """A registered query result: prose may read ``input`` and call ``twice`` only."""

    input: float
    hidden: float

    def twice(self) -> float:
        return 2 * self.input

    def leak(self) -> Path:
        return Path("/etc")


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("''.__class__", "'__class__' of a str is not allowed"),
        ("().__class__.__base__.__subclasses__()", "'__class__' of a tuple is not allowed"),
        ("cycler.__init__.__globals__", "'cycler' is not allowed"),
        ("self", "'self' is not allowed"),
        ("self._TemplateReference__context", "'self' is not allowed"),
        ("range.__self__", "'__self__' of a function is not allowed"),
        ("lipsum()", "'lipsum' is not allowed"),
        ("namespace(a=1)", "'namespace' is not allowed"),
        ("joiner()", "'joiner' is not allowed"),
        ("dict(a=1)", "'dict' is not allowed"),
        ("'{0.__class__}'.format(1)", "'format' of a str is not allowed"),
        ("'%s' % 1", "'%' formatting of text is not allowed"),
        ("'x'.upper.__self__", "'__self__' of a function is not allowed"),
        ("q.hidden", "'hidden' of a Quote object is not allowed"),
        ("q.leak()", "'leak' of a Quote object is not allowed"),
        ("q.twice.__func__.__globals__", "'__func__' of a function is not allowed"),
        ("q.__class__", "'__class__' of a Quote object is not allowed"),
        ("[q] | map(attribute='__class__') | list", "'__class__' of a Quote object"),
        ("[q] | sort(attribute='hidden') | list", "'hidden' of a Quote object"),
        ("s.folder", "'folder' of a Secretive object is not allowed"),
        ("s.write('x')", "'write' of a Secretive object is not allowed"),
        ("f.__globals__", "'__globals__' of a function is not allowed"),
        ("d.__len__()", "'__len__' of a dict is not allowed"),
        ("d.pop('a')", "'pop' of a dict is not allowed"),
        ("d", "showing a dict is not allowed"),
        ("s", "showing a Secretive object is not allowed"),
        ("s ~ ''", "joining a Secretive object is not allowed"),
        ("s | upper", "the 'upper' filter on a Secretive object is not allowed"),
        ("[s] | join", "the 'join' filter on a Secretive object is not allowed"),
        ("['a'] | sum", "the 'sum' filter adds numbers, not a str"),
    ],
)
def test_prose_reaches_only_plain_values_and_declared_names(
    expression: str, fragment: str, tmp_path: Path
) -> None:
    context = {
        "q": Quote(1.5, 9.0),
        "s": Secretive(tmp_path),
        "d": {"a": 1},
        "f": lambda v: v,
    }
    path, line, message = spec_problem("One\n\n{{ " + expression + " }}\n", **context)
    assert (path, line) == (SHOWN, 3)
    assert fragment in message
    assert not (tmp_path / "written.txt").exists()


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("{% include 'summary.md' %}", "{% include %} is not allowed in prose"),
        ("{% import 'x.md' as x %}", "{% import %} is not allowed in prose"),
        ("{% from 'x.md' import y %}", "{% from ... import %} is not allowed in prose"),
        ("{% extends 'base.html.j2' %}", "{% extends %} is not allowed in prose"),
        ("{% macro m() %}x{% endmacro %}", "{% macro %} is not allowed in prose"),
        ("{% set x %}a{% endset %}", "{% set %}...{% endset %} is not allowed"),
        ("{% filter upper %}a{% endfilter %}", "{% filter %} is not allowed"),
        ("{% autoescape false %}<b>{% endautoescape %}", "{% autoescape %} is not allowed"),
        ("{% block b %}x{% endblock %}", "{% block %} is not allowed"),
        ("{% for x in [1] recursive %}{% endfor %}", "recursive loops are not allowed"),
    ],
)
def test_prose_tags_that_reach_other_files_or_change_escaping_are_refused(
    source: str, fragment: str
) -> None:
    path, line, message = spec_problem("One\nTwo\n" + source + "\n")
    assert (path, line) == (SHOWN, 3)
    assert fragment in message


def test_declared_names_plain_methods_loops_and_filters_still_work() -> None:
    out = render(
        "{{ q.input | usd }} {{ q.twice() }} {{ 'ab'.upper() }} {{ d.a }} {{ d['a'] }} "
        "{% for k, v in d.items() %}{{ loop.index }}:{{ k }}={{ v }}{% endfor %} "
        "{{ [3, 1, 2] | sort | join('/') }} {{ [1, 2] | sum }} {{ 'x' ~ 1 }} {{ f(2) }} "
        "{{ range(3) | list | length }} {{ [q] | map(attribute='input') | max }}",
        q=Quote(1.5, 9.0),
        d={"a": 1},
        f=lambda v: v * 2,
    )
    assert out.text == "US$1.50 3.0 AB 1 1 1:a=1 1/2/3 3 x1 4 3 1.5"


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("1/0", "cannot compute: division by zero"),
        ("(10**30) | usd", "too large to format"),
        ("1e300 * 1e300 | number", "too large to format"),
        ("1.5 | usd(11)", "decimal places must be a whole number from 0 to 10"),
        ("'abc' | pct", "expected a number to format"),
        ("'abc' | words", "expected a whole number"),
        ("10**10**10", "number too large (more than 40 digits)"),
        ("10**40 * 10**40", "number too large"),
        ("2.0 ** 10000", "number too large"),
        ("'x' * 10**9", "text longer than 100,000 characters"),
        ("['x'] * 10**9", "list longer than 100,000 items"),
        ("('x' * 100000) ~ ('x' * 100000)", "text longer than 100,000 characters"),
        ("range(10**6)", "a range of more than 100,000 numbers"),
        ("range(100000) | join(',')", "text longer than 100,000 characters"),
    ],
)
def test_arithmetic_and_formatting_errors_are_located(expression: str, fragment: str) -> None:
    path, line, message = spec_problem("One\n{{ " + expression + " }}\n")
    assert (path, line) == (SHOWN, 2)
    assert fragment in message


def test_a_runaway_loop_ends_with_a_located_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "TIME_LIMIT_S", 0.5)
    start = time.monotonic()
    path, line, message = spec_problem(
        "One\n{% for i in range(10**5) %}\n{% for j in range(10**5) %}{% endfor %}{% endfor %}\n"
    )
    assert time.monotonic() - start < 10
    assert path == SHOWN and line in (2, 3)
    assert "took longer than 0.5 s" in message


def test_a_runaway_loop_over_a_list_ends_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """No call or attribute inside: the loop steps themselves count against the budget."""
    monkeypatch.setattr(sandbox, "TIME_LIMIT_S", 0.5)
    _, line, message = spec_problem(
        "{% set r = range(100000) | list %}\n{% for i in r %}{% for j in r %}{% for k in r %}"
        "{% endfor %}{% endfor %}{% endfor %}\n"
    )
    assert line == 2
    assert "took longer than 0.5 s" in message


def test_output_is_bounded_and_the_error_names_the_line() -> None:
    path, line, message = spec_problem(
        "One\nTwo\n{% for i in range(100000) %}{{ 'xxxxxxxxxxxxxxxxxxxx' }}{% endfor %}\n"
    )
    assert (path, line) == (SHOWN, 3)
    assert "output larger than 1,000,000 characters" in message


def test_deep_nesting_is_a_located_error() -> None:
    path, line, message = spec_problem("One\n{{ " + "(" * 500 + "1" + ")" * 500 + " }}\n")
    assert (path, line) == (SHOWN, 2)
    assert "nested too deeply" in message


def test_a_non_utf8_byte_names_its_line_and_column() -> None:
    with pytest.raises(SpecError) as exc:
        decode_prose("One\nTwo caf\u00e9\nThree \xff\n".encode("latin-1"), SHOWN)
    (problem,) = exc.value.problems
    assert (problem.path, problem.line) == (SHOWN, 2)
    assert "byte 0xe9 at column 8 is not UTF-8" in problem.message


# --- claims bound to data ----------------------------------------------------------------------


def test_a_claim_the_data_support_reads_as_its_words() -> None:
    text = "It sits {{ claim(promo < low, 'below the whole range') }}."
    assert render(text, promo=0.2, low=0.28).text == "It sits below the whole range."


def test_a_claim_the_data_contradict_is_an_error_at_its_line_naming_the_values() -> None:
    text = "One.\n\nIt sits {{ claim(promo < low, 'below the whole range') }}."
    path, line, message = spec_problem(text, promo=0.28, low=0.2)
    assert (path, line) == (SHOWN, 3)
    assert message == (
        'claim no longer holds: "below the whole range" needs promo < low, '
        "but 0.28 is not less than 0.2"
    )


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        ("a <= b", True),
        ("a >= b", False),
        ("a == b", False),
        ("a != b", True),
        ("a in [1.0, 2.0]", True),
        ("a not in [1.0, 2.0]", False),
        ("a < b and b < 3", True),
        ("a < b < 1.5", False),
        ("not a > b", True),
    ],
)
def test_every_comparison_can_back_a_claim(condition: str, holds: bool) -> None:
    text = "{{ claim(" + condition + ", 'true') }}"
    if holds:
        assert render(text, a=1.0, b=2.0).text == "true"
    else:
        assert spec_problem(text, a=1.0, b=2.0)[2].startswith('claim no longer holds: "true"')


def test_a_claims_words_may_cite_formatted_values() -> None:
    text = "{{ claim(a < b, 'below ' ~ b | usd) }}"
    assert render(text, a=1.0, b=2.175).text == "below US$2.18"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{{ claim(a, 'x') }}", "a claim's condition must be a comparison (true or false), found"),
        ("{{ claim(a < b) }}", 'claim takes two values: claim(comparison, "the words'),
        ("{{ claim(a < b, 'x', 'y') }}", "claim takes two values"),
        ("{{ claim(condition=a < b, text='x') }}", "claim takes two values"),
        ("{{ claim(a < b, 3) }}", "a claim's text must be words in quotes, found 3"),
        ("{{ claim }}", "'claim' is undefined"),
    ],
)
def test_a_malformed_claim_is_a_located_error(text: str, fragment: str) -> None:
    path, line, message = spec_problem("First line.\n" + text, a=1.0, b=2.0)
    assert (path, line) == (SHOWN, 2)
    assert fragment in message


def test_wording_produced_from_the_comparison_follows_the_data() -> None:
    text = "{% if a < b %}below{% else %}above{% endif %}"
    assert render(text, a=1.0, b=2.0).text == "below"
    assert render(text, a=3.0, b=2.0).text == "above"


def test_prose_citing_a_declared_quantity_at_another_precision_is_a_located_error() -> None:
    from reportgen.formatting import quantity

    text = "Ratio {{ r | multiple }}.\n\nRatio {{ r | multiple(2) }}."
    path, line, message = spec_problem(text, r=quantity(5.9924, "io_ratio"))
    assert (path, line) == (SHOWN, 3)
    assert "io_ratio (an output-to-input price ratio) prints with 1 decimals" in message
