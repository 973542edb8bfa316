"""The project file, reportgen.yaml: what a project is called, which exhibit modules of
reportgen it uses, the tables it declares and the folders of its own Python code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.data.schemas import SCHEMAS, TableSchema, declared_schemas
from reportgen.data.sources import line_of, read_yaml
from reportgen.errors import DataError, Problem
from reportgen.modules import MODULES
from reportgen.project import PROJECT_FILE, Project

#: Every key reportgen.yaml may hold, with what it holds (for messages).
KEYS: dict[str, str] = {
    "name": "the project's name, a non-empty text",
    "modules": "a list of reportgen exhibit modules the project uses, e.g. [ai_sector]",
    "tables": "a mapping of the project's own tables: name -> {file, columns, ...}",
    "plugins": "a list of the project's folders of Python exhibit and report-type code",
}


@dataclass(frozen=True)
class ProjectConfig:
    """reportgen.yaml as plain values, checked for shape (each key's content is checked by
    the code that uses it, which locates its problems at ``lines[key]``)."""

    name: str
    modules: tuple[str, ...] = ()
    tables: Mapping[str, Any] = field(default_factory=dict)
    plugins: tuple[str, ...] = ()
    #: Line of each key in reportgen.yaml, for located messages.
    lines: Mapping[str, int] = field(default_factory=dict)


def _texts(doc: Any, key: str, problems: list[Problem]) -> tuple[str, ...]:
    """A list of non-empty texts under ``key`` (empty when absent)."""
    value = doc.get(key, [])
    if isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(value)
    problems.append(Problem(PROJECT_FILE, line_of(doc, key), key, f"expected {KEYS[key]}"))
    return ()


def load_config(project: Project) -> ProjectConfig:
    """The project's reportgen.yaml, every problem located (file, line, key)."""
    path = project.root / PROJECT_FILE
    if not path.is_file():
        raise DataError(
            [Problem(PROJECT_FILE, None, None, f"not found in {project.root}; not a project")]
        )
    doc = read_yaml(path, PROJECT_FILE)
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise DataError([Problem(PROJECT_FILE, 1, None, "expected a mapping of keys (name: ...)")])
    problems: list[Problem] = []
    for key in doc:
        if key not in KEYS:
            known = ", ".join(KEYS)
            problems.append(
                Problem(
                    PROJECT_FILE, line_of(doc, key), key, f"unknown key; expected one of {known}"
                )
            )
    name = doc.get("name")
    if not (isinstance(name, str) and name.strip()):
        problems.append(
            Problem(PROJECT_FILE, line_of(doc, "name"), "name", f"expected {KEYS['name']}")
        )
    modules = _texts(doc, "modules", problems)
    plugins = _texts(doc, "plugins", problems)
    tables = doc.get("tables", {})
    if not isinstance(tables, Mapping):
        problems.append(
            Problem(PROJECT_FILE, line_of(doc, "tables"), "tables", f"expected {KEYS['tables']}")
        )
        tables = {}
    problems.extend(_module_problems(doc, modules))
    problems.extend(declared_tables(tables)[1])
    if problems:
        raise DataError(problems)
    lines = {key: line for key in doc if (line := line_of(doc, key)) is not None}
    return ProjectConfig(str(name), modules, tables, plugins, lines)


def _module_problems(doc: Any, modules: tuple[str, ...]) -> list[Problem]:
    """A located problem for each name under ``modules`` that is no reportgen module."""
    raw = doc.get("modules", [])
    known = ", ".join(sorted(MODULES))
    return [
        Problem(
            PROJECT_FILE,
            line_of(raw, i) or line_of(doc, "modules"),
            "modules",
            f"unknown module '{name}'; known: {known}",
        )
        for i, name in enumerate(modules)
        if name not in MODULES
    ]


def declared_tables(tables: Mapping[str, Any]) -> tuple[dict[str, TableSchema], list[Problem]]:
    """The project's ``tables:`` as schemas (paths under data/), with every located problem;
    a name of a built-in table or of a module's data is refused (one name, one table)."""
    reserved = {name: "a table of reportgen (data/schemas.py)" for name in SCHEMAS}
    for module in MODULES.values():
        reserved.update({name: f"module {module.name}" for name in module.names})
    return declared_schemas(tables, PROJECT_FILE, reserved)


def enabled_modules(root: Path) -> frozenset[str] | None:
    """The modules the project at ``root`` enables in its reportgen.yaml; None for a folder
    without one (read as it always was: every module's tables expected)."""
    if not (root / PROJECT_FILE).is_file():
        return None
    return frozenset(load_config(Project(root)).modules)
