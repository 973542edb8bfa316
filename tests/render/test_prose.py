"""render_prose: data values are shown as typed, prose cannot inject markup or fetch files."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from reportgen.errors import SpecError
from reportgen.render.prose import render_prose

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
