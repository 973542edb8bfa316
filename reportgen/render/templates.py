"""The Jinja2 environments: autoescape always on, undefined variables are errors."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import jinja2
from markupsafe import Markup

from reportgen import formatting
from reportgen.deps import digest, record
from reportgen.render.sandbox import ProseEnvironment


def long_date(value: dt.date | str) -> str:
    """1 May 2026 (house date style, no locale dependence); accepts an ISO date string."""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return f"{value.day} {value:%B %Y}"


def svg_data_uri(svg: bytes) -> str:
    """An SVG as a data: URL so HTML files are self-contained and PDF rendering fetches nothing."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


FILTERS = {
    "number": formatting.number,
    "money": formatting.money,
    "usd": formatting.usd,
    "pct": formatting.pct,
    "frac_pct": formatting.frac_pct,
    "multiple": formatting.multiple,
    "words": formatting.count_word,
    "round": formatting.round_filter,
    "long_date": long_date,
    "data_uri": svg_data_uri,
}


def _always(_name: str | None) -> bool:
    return True


def _finalize(value: object) -> object:
    """A float a template shows without a format filter: its decimal digits, free of noise."""
    return formatting.plain(value) if isinstance(value, float) else value


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters.update(FILTERS)
    env.globals["Markup"] = Markup
    return env


class RecordingLoader(jinja2.FileSystemLoader):
    """Loads templates from a folder and records each file used, with the hash of the source
    it loaded (for the build plan: what was rendered, not the file as it is later)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = super().get_source(environment, template)
        if filename:
            # The loader decoded the file's bytes as strict UTF-8, so encoding the source
            # again gives exactly the bytes it read.
            record(Path(filename), digest(source.encode(self.encoding)))
        return source, filename, uptodate


def template_env(templates_dir: Path) -> jinja2.Environment:
    """Environment for report templates: every template autoescaped, whatever its name."""
    return _configure(
        jinja2.Environment(
            loader=RecordingLoader(str(templates_dir)),
            autoescape=_always,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            finalize=_finalize,
        )
    )


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|~=:")


def markdown_literal(value: object) -> object:
    """Backslash-escape Markdown punctuation in a cited value: shown as typed, never as markup."""
    if value is None or isinstance(value, (int, float)):
        return value
    # A cited value is inline text: line breaks and indentation could start a heading or a
    # code block, so whitespace runs collapse to one space.
    text = " ".join(str(value).split())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


#: The house filters prose may use (not data_uri, which only templates need).
PROSE_FILTERS = {name: f for name, f in FILTERS.items() if name != "data_uri"}


def prose_env() -> ProseEnvironment:
    """Environment for analysts' prose: an allow-list sandbox, autoescaped, strict, bounded.

    Every cited value is escaped for Markdown as well as HTML, so data cannot add a link,
    emphasis or a table cell to the prose that cites it. What prose may reach, and the time
    and size limits, are in ``reportgen/render/sandbox.py``.
    """
    return ProseEnvironment(PROSE_FILTERS, markdown_literal)
