"""The Jinja2 environments: autoescape always on, undefined variables are errors."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
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


FILTERS: dict[str, Callable[..., Any]] = {
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


class RecordingLoader(jinja2.BaseLoader):
    """Loads each template from the first folder that has it (a project's templates/, then
    the package's) and records what it used, for the build plan: the file with the hash of
    the source it loaded (what was rendered, not the file as it is later), and each earlier
    folder's path for that name as absent, so that adding an override makes users stale."""

    def __init__(self, folders: Sequence[Path], encoding: str = "utf-8") -> None:
        self.folders = tuple(Path(f) for f in folders)
        self.encoding = encoding

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        # Jinja's own check: no "..", no absolute names, no backslashes
        pieces = split_template_path(template)
        for i, folder in enumerate(self.folders):
            path = folder.joinpath(*pieces)
            if not path.is_file():
                continue
            data = path.read_bytes()
            source = data.decode(self.encoding)
            record(path, digest(data))
            for earlier in self.folders[:i]:
                record(earlier.joinpath(*pieces), "")  # deps.file_hash of a missing file
            mtime = path.stat().st_mtime_ns

            def uptodate(path: Path = path, mtime: int = mtime) -> bool:
                try:
                    return path.stat().st_mtime_ns == mtime
                except OSError:
                    return False

            return source, str(path), uptodate
        raise jinja2.TemplateNotFound(template)

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for folder in self.folders:
            if folder.is_dir():
                found |= {
                    p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
                }
        return sorted(found)


def template_env(templates: Path | Sequence[Path]) -> jinja2.Environment:
    """Environment for report templates: every template autoescaped, whatever its name.

    ``templates``: one folder, or folders searched in order per file (project, package).
    """
    folders = [templates] if isinstance(templates, Path) else list(templates)
    return _configure(
        jinja2.Environment(
            loader=RecordingLoader(folders),
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
PROSE_FILTERS: dict[str, Callable[..., Any]] = {
    name: f for name, f in FILTERS.items() if name != "data_uri"
}


def prose_env() -> ProseEnvironment:
    """Environment for analysts' prose: an allow-list sandbox, autoescaped, strict, bounded.

    Every cited value is escaped for Markdown as well as HTML, so data cannot add a link,
    emphasis or a table cell to the prose that cites it. What prose may reach, and the time
    and size limits, are in ``reportgen/render/sandbox.py``.
    """
    return ProseEnvironment(PROSE_FILTERS, markdown_literal)
