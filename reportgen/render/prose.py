"""Analysts' prose: Markdown with Jinja expressions that cite values from data."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from reportgen.errors import Problem, SpecError
from reportgen.render.templates import prose_env

_MD = MarkdownIt("commonmark", {"html": False, "typographer": False}).disable("image")


def _template_line(exc: BaseException, name: str) -> int | None:
    """The line in the prose file where a runtime error happened (from Jinja's traceback)."""
    line = getattr(exc, "lineno", None)
    if line:
        return int(line)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename in (name, "<template>") and frame.lineno:
            return frame.lineno
    return None


def render_prose(text: str, shown: str, context: Mapping[str, Any]) -> Markup:
    """Expand ``{{ ... }}`` against ``context`` (values escaped), then Markdown to HTML.

    Raw HTML and images in prose are not allowed (shown as text), so prose can neither
    inject markup into a client report nor make the renderer fetch anything.
    """
    env = prose_env()
    env.loader = jinja2.DictLoader({shown: text})
    try:
        expanded = env.get_template(shown).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise SpecError(
            [Problem(shown, exc.lineno, None, f"template syntax: {exc.message}")]
        ) from exc
    except jinja2.UndefinedError as exc:
        line = _template_line(exc, shown)
        raise SpecError([Problem(shown, line, None, f"undefined value: {exc.message}")]) from exc
    except (KeyError, ValueError, TypeError, AttributeError, jinja2.TemplateError) as exc:
        line = _template_line(exc, shown)
        raise SpecError([Problem(shown, line, None, f"cannot evaluate: {exc}")]) from exc
    return Markup(_MD.render(expanded))  # noqa: S704 - input was escaped by autoescape
