"""Analysts' prose: Markdown with Jinja expressions that cite values from data."""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from reportgen.errors import Problem, SpecError
from reportgen.render.sandbox import ClaimFailed, LimitExceeded, NotAllowed
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


def _deepest_line(text: str) -> int:
    """The line where brackets nest deepest (where a parser gives up on nesting)."""
    depth = deepest = 0
    line = where = 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "([{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, line
        elif ch in ")]}":
            depth -= 1
    return where


def decode_prose(data: bytes, shown: str) -> str:
    """A prose file's bytes as text; a byte that is not UTF-8 is an error at its line."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(
            [
                Problem(
                    shown,
                    line,
                    None,
                    f"byte 0x{data[exc.start]:02x} at column {column} is not UTF-8 text; "
                    "save the file as UTF-8",
                )
            ]
        ) from exc


def _problem(shown: str, exc: BaseException, message: str) -> SpecError:
    return SpecError([Problem(shown, _template_line(exc, shown), None, message)])


def render_prose(text: str, shown: str, context: Mapping[str, Any]) -> Markup:
    """Expand ``{{ ... }}`` against ``context`` (values escaped), then Markdown to HTML.

    Prose reaches only plain values and declared query methods (an allow-list sandbox), within
    time and size limits. Raw HTML and images in prose are not allowed (shown as text), so
    prose can neither inject markup into a client report nor make the renderer fetch anything.
    Every failure is a SpecError at the prose file and line.
    """
    env = prose_env()
    try:
        template = env.compile_prose(text, shown)
        expanded = env.render_prose(template, context)
    except (NotAllowed, LimitExceeded, ClaimFailed) as exc:
        raise _problem(shown, exc, str(exc)) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise SpecError(
            [Problem(shown, exc.lineno, None, f"template syntax: {exc.message}")]
        ) from exc
    except jinja2.UndefinedError as exc:
        raise _problem(shown, exc, f"undefined value: {exc.message}") from exc
    except (RecursionError, SyntaxError) as exc:  # Python's own nesting limits
        line = _template_line(exc, shown) or _deepest_line(text)
        raise SpecError([Problem(shown, line, None, "expression nested too deeply")]) from exc
    except OverflowError as exc:  # 2.0 ** 10000
        raise _problem(shown, exc, f"number too large ({exc})") from exc
    except ArithmeticError as exc:  # 1/0, a decimal out of range
        raise _problem(shown, exc, f"cannot compute: {exc or type(exc).__name__}") from exc
    except (LookupError, ValueError, TypeError, AttributeError, jinja2.TemplateError) as exc:
        raise _problem(shown, exc, f"cannot evaluate: {exc}") from exc
    return Markup(_MD.render(expanded))  # noqa: S704 - input was escaped by autoescape
