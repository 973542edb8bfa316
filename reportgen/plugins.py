"""Plug-ins: exhibit builders and report types from outside reportgen's own code.

Two sources, both registering with the decorators reportgen's own modules use (``@exhibit``
in figures/registry.py, ``@report_type`` in reports/base.py):

- a project's own folders of Python code, named in reportgen.yaml ``plugins:`` (opt-in: data
  and report definitions never run code; only a folder the project file names is imported,
  and only if it lies inside the project). Each project's code is imported under a private
  package ``reportgen_project_<hash>``, so two projects in one process never share modules;
- installed packages, through the entry point groups ``reportgen.exhibits`` and
  ``reportgen.report_types`` (each value names a module to import).

The registries are layered (``Layered``): reportgen's own registrations, then the installed
plug-ins, then those of the project in use (``activate``), so project A's exhibits are never
seen while project B builds. A duplicate id is a located error naming both sources.

Freshness: every plug-in file imported is remembered with the hash of the bytes that ran
(``code_reads``); a build records them as inputs of what used them, so editing a plug-in
makes exactly the reports using its exhibits (or its report type) stale.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import re
import sys
import threading
import traceback
import types
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reportgen.deps import digest, key_of
from reportgen.errors import Problem, ReportgenError
from reportgen.project import PROJECT_FILE, Project

#: Entry point groups read from installed distributions (value: a module to import).
EXHIBIT_GROUP = "reportgen.exhibits"
REPORT_TYPE_GROUP = "reportgen.report_types"
#: Every project's code is imported below a package of this prefix (one per project root).
NAMESPACE = "reportgen_project_"
PACKAGE = Path(__file__).resolve().parent

V = TypeVar("V")


class PluginError(ReportgenError):
    """A plug-in cannot be loaded: a folder outside the project, a file that fails to
    import, an exhibit or report type registered twice."""


class Layered(MutableMapping[str, V]):
    """A registry: reportgen's own entries (``own``, written by its decorators) first, then
    the plug-ins in use (``extra``, replaced as a whole when another project is activated)."""

    def __init__(self) -> None:
        self.own: dict[str, V] = {}
        self.extra: Sequence[Mapping[str, V]] = ()

    def __getitem__(self, key: str) -> V:
        if key in self.own:
            return self.own[key]
        for layer in self.extra:
            if key in layer:
                return layer[key]
        raise KeyError(key)

    def __setitem__(self, key: str, value: V) -> None:
        self.own[key] = value

    def __delitem__(self, key: str) -> None:
        del self.own[key]

    def __iter__(self) -> Iterator[str]:
        seen = set(self.own)
        yield from self.own
        for layer in self.extra:
            for key in layer:
                if key not in seen:
                    seen.add(key)
                    yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class PluginSet:
    """What one source of plug-ins registered, where, and the code it ran."""

    exhibits: dict[str, Any] = field(default_factory=dict)
    report_types: dict[str, Any] = field(default_factory=dict)
    #: (kind, id) -> "file:line" where it was registered, for duplicate messages.
    where: dict[tuple[str, str], str] = field(default_factory=dict)
    #: module name -> {deps key: hash} of the code a registration from it depends on.
    code: dict[str, dict[str, str]] = field(default_factory=dict)
    #: deps key -> hash of every plug-in file imported (a project's: to see an edit).
    files: dict[str, str] = field(default_factory=dict)
    #: What reportgen.yaml named (a changed list loads the project's plug-ins again).
    folders: tuple[str, ...] = ()


@dataclass
class _Collecting:
    """The plug-in set being filled while its modules import, and what it found wrong."""

    into: PluginSet
    others: Sequence[PluginSet]
    root: Path | None
    problems: list[Problem] = field(default_factory=list)


_LOCK = threading.RLock()
_COLLECTING: _Collecting | None = None
_INSTALLED: PluginSet | None = None
_INSTALLED_ERROR: PluginError | None = None
_PROJECTS: dict[Path, PluginSet] = {}
_ACTIVE: PluginSet = PluginSet()
_ACTIVE_ROOT: Path | None = None


def _registries() -> tuple[Layered[Any], Layered[Any]]:
    """The exhibit and report-type registries (imported here: they import this module)."""
    from reportgen.figures.registry import EXHIBITS
    from reportgen.reports.base import REPORT_TYPES

    return EXHIBITS, REPORT_TYPES


def _builtin_where(kind: str, value: Any) -> str:
    """Where reportgen's own registration of an id lives, e.g. reportgen/figures/x.py:40."""
    target = getattr(value, "build", value)
    code = getattr(target, "__code__", None)
    module = sys.modules.get(getattr(target, "__module__", ""), None)
    path = Path(code.co_filename) if code else Path(getattr(module, "__file__", "") or "?")
    line = f":{code.co_firstlineno}" if code else ""
    try:
        shown = path.resolve().relative_to(PACKAGE.parent).as_posix()
    except ValueError:
        shown = path.as_posix()
    return f"{shown}{line}"


def _caller(root: Path | None) -> tuple[str, int | None]:
    """The plug-in file and line registering now (the innermost frame outside reportgen)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = Path(frame.f_code.co_filename)
        if not filename.is_relative_to(PACKAGE) and filename.suffix == ".py":
            return _shown(filename, root), frame.f_lineno
        frame = frame.f_back  # type: ignore[assignment]
    return "?", None


def _shown(path: Path, root: Path | None) -> str:
    """A plug-in path as messages show it: project-relative, else absolute."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def collect(kind: str, name: str, value: Any, module: str) -> bool:
    """Called by the registering decorators: True when a plug-in import is under way and
    took the registration (reportgen's own modules always register in their own table)."""
    state = _COLLECTING
    if state is None or module == "reportgen" or module.startswith("reportgen."):
        return False
    table = "exhibits" if kind == "exhibit" else "report_types"
    path, line = _caller(state.root)
    here = f"{path}:{line}" if line else path
    own = _registries()[0 if kind == "exhibit" else 1].own
    earlier: str | None = None
    if name in own:
        earlier = f"reportgen ({_builtin_where(kind, own[name])})"
    for other in (*state.others, state.into):
        if name in getattr(other, table):
            earlier = other.where.get((kind, name), "another plug-in")
    if earlier is not None:
        state.problems.append(
            Problem(path, line, None, f"{kind} '{name}' is registered twice: here and in {earlier}")
        )
        return True
    getattr(state.into, table)[name] = value
    state.into.where[(kind, name)] = here
    return True


@contextmanager
def _collecting(state: _Collecting) -> Iterator[None]:
    global _COLLECTING
    previous, _COLLECTING = _COLLECTING, state
    try:
        yield
    finally:
        _COLLECTING = previous


def _import_problem(exc: BaseException, files: Mapping[Path, str], fallback: str) -> Problem:
    """A failed plug-in import as a located problem: the plug-in file and line where it failed."""
    if isinstance(exc, SyntaxError) and exc.filename:
        path = Path(exc.filename)
        shown = files.get(path.resolve(), path.as_posix())
        return Problem(shown, exc.lineno, None, f"SyntaxError: {exc.msg}")
    where, line = fallback, None
    for frame in traceback.extract_tb(exc.__traceback__):
        resolved = Path(frame.filename).resolve()
        if resolved in files:
            where, line = files[resolved], frame.lineno
    return Problem(where, line, None, f"{type(exc).__name__}: {exc}")


class _ProjectLoader(importlib.abc.Loader):
    """Runs a project plug-in file from the bytes read (no bytecode cache: an edit within
    the same second is never hidden by a stale .pyc), remembering their hash."""

    def __init__(self, path: Path, seen: dict[str, str]) -> None:
        self.path, self.seen = path, seen

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        data = self.path.read_bytes()
        self.seen[key_of(self.path)] = digest(data)
        exec(compile(data, str(self.path), "exec", dont_inherit=True), module.__dict__)


class _ProjectFinder(importlib.abc.MetaPathFinder):
    """Finds ``reportgen_project_<hash>.<folder>.<name>`` in the project's named folders."""

    def __init__(self, package: str, folders: Mapping[str, Path], seen: dict[str, str]) -> None:
        self.package, self.folders, self.seen = package, folders, seen

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        parts = fullname.split(".")
        if parts[0] != self.package or len(parts) == 1:
            return None
        folder = self.folders.get(parts[1])
        if folder is None:
            return None
        if len(parts) == 2:  # the folder itself: a package with no code of its own
            spec = importlib.machinery.ModuleSpec(fullname, None, is_package=True)
            spec.submodule_search_locations = []
            return spec
        file = folder / f"{parts[2]}.py"
        if len(parts) != 3 or not _safe_file(file, folder):
            return None
        return importlib.util.spec_from_file_location(
            fullname, file, loader=_ProjectLoader(file, self.seen)
        )


def _safe_file(file: Path, folder: Path) -> bool:
    """A regular file that really lies in ``folder`` (a symlink out of it is refused)."""
    try:
        return file.is_file() and file.resolve().parent == folder.resolve()
    except OSError:
        return False


def project_package(project: Project) -> str:
    """The private package a project's plug-ins import under (one per project root)."""
    return NAMESPACE + hashlib.sha256(str(project.root.resolve()).encode()).hexdigest()[:12]


def _alias(folder: str, index: int) -> str:
    """A module name for a named folder (``exhibits`` stays ``exhibits``)."""
    name = re.sub(r"\W", "_", folder.strip("/").replace("/", "_")) or "plugins"
    return name if name.isidentifier() and not name[0].isdigit() else f"folder{index}"


def _folders(project: Project) -> tuple[tuple[str, ...], dict[str, Path], list[Problem]]:
    """The folders reportgen.yaml names: (as written, {module alias: folder}, problems)."""
    from reportgen.config import load_config

    config = load_config(project)
    line = config.lines.get("plugins")
    root = project.root.resolve()
    found: dict[str, Path] = {}
    problems: list[Problem] = []
    for index, name in enumerate(config.plugins):
        folder = project.root / name
        try:
            real = folder.resolve()
        except OSError:
            real = folder
        if Path(name).is_absolute() or not real.is_relative_to(root):
            message = f"plug-in folder '{name}' is outside the project; expected a folder in it"
        elif real.is_relative_to(project.data.resolve()):
            message = f"plug-in folder '{name}' is under data/, which holds data, never code"
        elif not real.is_dir():
            message = f"plug-in folder '{name}' not found; expected a folder of .py files"
        else:
            alias = _alias(name, index)
            found[alias if alias not in found else f"folder{index}"] = real
            continue
        problems.append(Problem(PROJECT_FILE, line, "plugins", message))
    return config.plugins, found, problems


def _project_files(folders: Mapping[str, Path]) -> dict[str, str]:
    """Every plug-in file of the folders with its hash now (to see an edit since loaded)."""
    return {
        key_of(f): digest(f.read_bytes())
        for folder in folders.values()
        for f in sorted(folder.glob("*.py"))
        if _safe_file(f, folder)
    }


def _code_of(found: PluginSet, module_files: Mapping[str, str]) -> None:
    """Each module's code reads: its own file, plus every file that registers no exhibit
    (helpers and report types, which any plug-in may use)."""
    builders = {getattr(spec.build, "__module__", "") for spec in found.exhibits.values()}
    shared = {
        module_files[m]: found.files[module_files[m]]
        for m in module_files
        if m not in builders and module_files[m] in found.files
    }
    for module, key in module_files.items():
        if key in found.files:
            found.code[module] = {key: found.files[key], **shared}


def _load_project(project: Project, installed: PluginSet) -> PluginSet:
    """Import every .py file of the project's plug-in folders into its private package."""
    names, folders, problems = _folders(project)
    if problems:
        raise PluginError(problems)
    package = project_package(project)
    for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[module]
    found = PluginSet(folders=names)
    if not folders:
        return found
    finder = _ProjectFinder(package, folders, found.files)
    shown = {f.resolve(): _shown(f, project.root) for d in folders.values() for f in d.glob("*.py")}
    top = types.ModuleType(package)
    top.__path__ = []  # a package whose modules only our finder knows
    sys.modules[package] = top
    sys.meta_path.insert(0, finder)
    state = _Collecting(found, [installed], project.root)
    module_files: dict[str, str] = {}
    try:
        with _collecting(state):
            for alias, folder in folders.items():
                for file in sorted(folder.glob("*.py")):
                    if not _safe_file(file, folder):
                        problems.append(
                            Problem(
                                _shown(file, project.root),
                                None,
                                None,
                                "a plug-in file must be a regular file inside its folder "
                                "(a symbolic link out of it is refused)",
                            )
                        )
                        continue
                    name = f"{package}.{alias}.{file.stem}"
                    try:
                        importlib.import_module(name)
                    except Exception as exc:  # noqa: BLE001 - any failure is the plug-in's
                        problems.append(_import_problem(exc, shown, _shown(file, project.root)))
                    module_files[name] = key_of(file)
    finally:
        sys.meta_path.remove(finder)
    problems += state.problems
    if problems:
        for module in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[module]
        raise PluginError(problems)
    _code_of(found, module_files)
    return found


def _package_files(module: types.ModuleType) -> dict[str, str]:
    """The source an installed plug-in module ran: its file, or a package's .py files."""
    file = getattr(module, "__file__", None)
    if not file or not Path(file).is_file():
        return {}
    path = Path(file)
    files = sorted(path.parent.rglob("*.py")) if path.name == "__init__.py" else [path]
    return {key_of(f): digest(f.read_bytes()) for f in files if f.is_file()}


def _load_installed() -> PluginSet:
    """Import the modules installed distributions name in the reportgen entry point groups."""
    found = PluginSet()
    state = _Collecting(found, [], None)
    problems: list[Problem] = []
    with _collecting(state):
        for group in (EXHIBIT_GROUP, REPORT_TYPE_GROUP):
            points = sorted(
                importlib.metadata.entry_points(group=group), key=lambda p: (p.name, p.value)
            )
            for point in points:
                dist = point.dist.name if point.dist is not None else "an installed package"
                label = f"entry point '{point.name} = {point.value}' ({group}, {dist})"
                try:
                    module = importlib.import_module(point.module)
                except Exception as exc:  # noqa: BLE001 - any failure is the plug-in's
                    problems.append(_import_problem(exc, _installed_shown(exc), label))
                    continue
                reads = _package_files(module)
                found.files.update(reads)
                found.code[module.__name__] = reads
                for registered in _registered_in(found, module.__name__):
                    found.code.setdefault(registered, reads)
                if group == REPORT_TYPE_GROUP and point.attr:
                    _register_attr(point, module, problems, label)
    problems += state.problems
    if problems:
        raise PluginError(problems)
    return found


def _registered_in(found: PluginSet, package: str) -> set[str]:
    """Modules of ``package`` (itself or below) that registered something."""
    modules = {getattr(s.build, "__module__", "") for s in found.exhibits.values()}
    modules |= {getattr(c, "__module__", "") for c in found.report_types.values()}
    return {m for m in modules if m == package or m.startswith(package + ".")}


def _register_attr(
    point: importlib.metadata.EntryPoint,
    module: types.ModuleType,
    problems: list[Problem],
    label: str,
) -> None:
    """A report-type entry point ``module:Class`` whose class did not register itself."""
    from reportgen.reports.base import ReportType, report_type

    cls = getattr(module, point.attr or "", None)
    if not (isinstance(cls, type) and issubclass(cls, ReportType)):
        problems.append(Problem(label, None, None, "expected a ReportType subclass"))
    elif _COLLECTING is not None and cls not in _COLLECTING.into.report_types.values():
        report_type(cls)


def _installed_shown(exc: BaseException) -> dict[Path, str]:
    """Files of a failed installed import, shown as absolute paths."""
    frames = traceback.extract_tb(exc.__traceback__)
    paths = [Path(f.filename).resolve() for f in frames]
    if isinstance(exc, SyntaxError) and exc.filename:
        paths.append(Path(exc.filename).resolve())
    return {p: p.as_posix() for p in paths if not p.is_relative_to(PACKAGE)}


def installed() -> PluginSet:
    """The installed plug-ins (entry points), imported once per process."""
    global _INSTALLED, _INSTALLED_ERROR
    with _LOCK:
        if _INSTALLED_ERROR is not None:
            raise _INSTALLED_ERROR
        if _INSTALLED is None:
            try:
                _INSTALLED = _load_installed()
            except PluginError as exc:
                _INSTALLED_ERROR = exc
                raise
            _apply()
        return _INSTALLED


def activate(project: Project | None) -> PluginSet:
    """Make ``project``'s plug-ins (and the installed ones) those the registries show; its
    folders are imported again when a file in them changed since they were (``serve``)."""
    global _ACTIVE, _ACTIVE_ROOT
    with _LOCK:
        base = installed()
        if project is None or not (project.root / PROJECT_FILE).is_file():
            _ACTIVE, _ACTIVE_ROOT = PluginSet(), None
            _apply()
            return _ACTIVE
        root = project.root.resolve()
        cached = _PROJECTS.get(root)
        if cached is not None:
            names, folders, problems = _folders(project)
            if problems or names != cached.folders or _project_files(folders) != cached.files:
                cached = None
        if cached is None:
            _ACTIVE = PluginSet()  # nothing of a failed load stays visible
            _apply()
            _PROJECTS.pop(root, None)
            cached = _load_project(project, base)
            _PROJECTS[root] = cached
        _ACTIVE, _ACTIVE_ROOT = cached, root
        _apply()
        return cached


def _apply() -> None:
    """Show the installed and the active project's plug-ins in the layered registries."""
    exhibits, report_types = _registries()
    sets = [s for s in (_INSTALLED, _ACTIVE) if s is not None]
    exhibits.extra = tuple(s.exhibits for s in sets)
    report_types.extra = tuple(s.report_types for s in sets)


def code_reads(module: str) -> dict[str, str]:
    """{deps key: hash} of the plug-in code a registration from ``module`` ran (empty for
    reportgen's own modules, whose code plan.code_hashes covers)."""
    for found in (_ACTIVE, _INSTALLED):
        if found is not None and module in found.code:
            return dict(found.code[module])
    return {}


def plugin_failure(module: str, exc: BaseException, what: str) -> Problem | None:
    """An exception a plug-in's code raised while it ran, located at the innermost line of
    plug-in code (None when ``module`` is reportgen's: then it is a bug of ours)."""
    code = code_reads(module)
    if not code:
        return None
    files = {Path(k): k for k in code}
    root = _ACTIVE_ROOT
    where, line = _shown(Path(next(iter(code))), root), None
    for frame in traceback.extract_tb(exc.__traceback__):
        resolved = Path(frame.filename).resolve()
        if resolved in files:
            where, line = _shown(resolved, root), frame.lineno
    return Problem(where, line, None, f"{type(exc).__name__}: {exc} ({what}, a plug-in)")


def plugin_folders(project: Project) -> list[Path]:
    """The plug-in folders reportgen.yaml names that exist inside the project (what
    ``serve`` watches besides data/ and templates/); none when the file cannot be read."""
    try:
        return list(_folders(project)[1].values())
    except ReportgenError:
        return []
