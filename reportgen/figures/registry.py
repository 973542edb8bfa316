"""The exhibit registry: builders register by id with a decorator that refuses duplicates."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from matplotlib.figure import Figure

from reportgen import plugins
from reportgen.data.dataset import Dataset
from reportgen.project import Project

Kind = Literal["chart", "table"]


@dataclass(frozen=True)
class TableColumn:
    """A column of a table exhibit: header label, unit line, alignment."""

    label: str
    unit: str = ""
    align: Literal["left", "right", "center"] = "right"


@dataclass(frozen=True)
class TableRow:
    """One body row: formatted cells plus marks the template styles (flagship, derived...)."""

    cells: tuple[str, ...]
    marks: frozenset[str] = frozenset()
    #: Columns the first cell spans (the cells it covers are left out of ``cells``): a long
    #: label on a summary row reads on one line instead of wrapping in the first column.
    span: int = 1


@dataclass(frozen=True)
class TableGroup:
    """Rows under one group heading (e.g. a region, then a provider)."""

    label: str
    rows: tuple[TableRow, ...]
    level: int = 1


@dataclass(frozen=True)
class TableExhibit:
    """A table exhibit as plain formatted data; templates lay it out (headers repeat)."""

    columns: tuple[TableColumn, ...]
    groups: tuple[TableGroup, ...]
    notes: tuple[str, ...] = ()
    header_groups: tuple[tuple[str, int], ...] = ()  # optional spanning header: (label, span)


Built = Figure | TableExhibit
Builder = Callable[[Dataset, Mapping[str, Any]], Built]


ParamKind = Literal["text", "texts", "year", "flag", "choice", "company"]


@dataclass(frozen=True)
class Param:
    """A declared exhibit parameter: what it holds, whether report.yaml must give it, and
    (for ``choice``) the values it may take. ``expected`` says what it holds in messages."""

    kind: ParamKind
    expected: str
    required: bool = False
    choices: tuple[str, ...] = ()


class P:
    """Constructors of declared parameters, as builder modules write them in ``@exhibit``."""

    @staticmethod
    def text(expected: str, *, required: bool = False) -> Param:
        """A string parameter, e.g. a model name."""
        return Param("text", expected, required)

    @staticmethod
    def texts(expected: str, *, required: bool = False) -> Param:
        """A list of strings, e.g. model names."""
        return Param("texts", expected, required)

    @staticmethod
    def year(*, required: bool = False) -> Param:
        """A calendar year as a plain number (2025)."""
        return Param("year", "a year such as 2025", required)

    @staticmethod
    def flag() -> Param:
        """A YAML boolean (only true/false are booleans in report.yaml)."""
        return Param("flag", "true or false")

    @staticmethod
    def choice(*values: str, required: bool = False) -> Param:
        """One of a fixed set of strings."""
        return Param("choice", f"one of {', '.join(values)}", required, tuple(values))

    @staticmethod
    def company() -> Param:
        """A covered company: the name of a folder under data/companies (always required)."""
        return Param("company", "a company folder under data/companies", True)


@dataclass(frozen=True)
class ExhibitSpec:
    """A registered exhibit: id, kind, default title and source line, tables it reads, and
    the parameters report.yaml may give it (checked before any builder runs)."""

    id: str
    kind: Kind
    title: str
    source: str
    tables: tuple[str, ...]
    build: Builder = field(compare=False)
    params: Mapping[str, Param] = field(default_factory=dict, compare=False)


#: Every exhibit in use: reportgen's own, then the installed plug-ins and those of the project
#: activated last (load_builders(project)); see plugins.Layered.
EXHIBITS: plugins.Layered[ExhibitSpec] = plugins.Layered()


def exhibit(
    id: str,
    *,
    kind: Kind,
    title: str,
    source: str,
    tables: tuple[str, ...],
    params: Mapping[str, Param] | None = None,
) -> Callable[[Builder], Builder]:
    """Register ``fn`` as the builder of exhibit ``id``; a second builder for an id is an error.

    ``params`` declares every parameter the builder reads: anything else in report.yaml is
    refused when the definition is validated, so a builder only ever sees declared values.
    """

    def register(fn: Builder) -> Builder:
        spec = ExhibitSpec(id, kind, title, source, tables, fn, dict(params or {}))
        if plugins.collect("exhibit", id, spec, fn.__module__):
            return fn  # a plug-in's: kept in its own layer (a duplicate is a located error)
        if id in EXHIBITS.own:
            raise ValueError(f"exhibit {id!r} registered twice")
        EXHIBITS.own[id] = spec
        return fn

    return register


def _shown(value: Any) -> str:
    """A value as report.yaml would write it, for messages (kept short)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = repr(value)
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list | tuple):
        text = "[" + ", ".join(_shown(v) for v in value) + "]"
    elif value is None:
        text = "nothing"
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(param: Param, value: Any, companies: Collection[str] | None) -> str | None:
    """What is wrong with ``value`` for ``param`` (None when it fits)."""
    kind = param.kind
    if kind == "text" and isinstance(value, str) and value.strip():
        return None
    if (
        kind == "texts"
        and isinstance(value, list | tuple)
        and all(isinstance(v, str) and v.strip() for v in value)
    ):
        return None
    if kind == "year" and type(value) is int and 1900 <= value <= 2200:
        return None
    if kind == "flag" and isinstance(value, bool):
        return None
    if kind == "choice" and isinstance(value, str) and value in param.choices:
        return None
    if kind == "company" and isinstance(value, str):
        if companies is None or value in companies:
            return None
        known = ", ".join(sorted(companies)) or "none"
        return f"expected {param.expected}, found {_shown(value)}; known: {known}"
    return f"expected {param.expected}, found {_shown(value)}"


def param_problems(
    exhibit_id: str, params: Mapping[str, Any], companies: Collection[str] | None = None
) -> list[tuple[str | None, str]]:
    """Every problem with an exhibit's parameters as (parameter name or None, message):
    unknown names, missing required ones, values of the wrong type or not among the
    choices, a company with no folder (when ``companies`` is given)."""
    load_builders()
    if exhibit_id not in EXHIBITS:
        return [(None, f"unknown exhibit '{exhibit_id}'")]
    declared = EXHIBITS[exhibit_id].params
    found: list[tuple[str | None, str]] = []
    if not isinstance(params, Mapping):
        return [(None, f"expected a mapping of parameters, found {_shown(params)}")]
    for key in params:
        if key not in declared:
            accepted = f"one of: {', '.join(sorted(declared))}" if declared else "no parameters"
            found.append((str(key), f"unknown parameter '{key}'; expected {accepted}"))
    for key, param in declared.items():
        if key not in params:
            if param.required:
                found.append((key, f"missing parameter '{key}' ({param.expected})"))
            continue
        problem = _problem(param, params[key], companies)
        if problem is not None:
            found.append((key, f"parameter '{key}': {problem}"))
    return found


def check_params(
    exhibit_id: str, params: Mapping[str, Any], companies: Collection[str] | None = None
) -> list[str]:
    """Messages for everything wrong with an exhibit's parameters (empty when they fit its
    declaration); run when the definition is validated, before any builder runs."""
    return [message for _, message in param_problems(exhibit_id, params, companies)]


def get_exhibit(id: str, project: Project | None = None) -> ExhibitSpec:
    """The registered exhibit ``id`` (the builder modules are imported on first use; with
    ``project``, its plug-ins are loaded and shown too)."""
    load_builders(project)
    return EXHIBITS[id]


def load_builders(project: Project | None = None) -> plugins.Layered[ExhibitSpec]:
    """Import every builder module so its exhibits register themselves, and the installed
    plug-ins; with ``project``, make its plug-ins (and no other project's) the ones shown.

    Without a project, the plug-ins of the project activated last stay shown (a builder
    looked up during that project's build finds them).
    """
    _import_builtin_builders()
    if project is not None:
        plugins.activate(project)
    else:
        plugins.installed()
    return EXHIBITS


def _import_builtin_builders() -> None:
    """Import reportgen's own builder modules."""
    # The same modules as plan.BUILDER_MODULES (which hashes each for its own exhibits).
    from reportgen.figures import (  # noqa: F401
        changes,
        company_charts,
        company_tables,
        disclosures,
        industry,
        sector_day0,
        sector_market,
        sector_pricing,
    )
