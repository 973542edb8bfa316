"""Where things live in a reportgen project (one root; every path derives from it)."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import Problem, ReportgenError

#: The templates, CSS, fonts and default house files shipped inside the package.
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The file that marks a project's root folder (like pyproject.toml marks a Python project).
PROJECT_FILE = "reportgen.yaml"


@dataclass(frozen=True)
class Project:
    """The folders of one project: data in, templates, generated figures and reports out."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def reports(self) -> Path:
        return self.data / "reports"

    @property
    def house(self) -> Path:
        return self.data / "house.yaml"

    @property
    def templates(self) -> Path:
        """The project's own templates/ folder when it has one, else the package's (the folder
        a user edits; what a build reads is resolved per file, see ``template_file``)."""
        own = self.own_templates
        return own if own.is_dir() else PACKAGE_TEMPLATES

    @property
    def own_templates(self) -> Path:
        """The project's templates/ folder (it may not exist): its files override the
        package's file of the same relative path, one by one."""
        return self.root / "templates"

    @property
    def template_dirs(self) -> tuple[Path, Path]:
        """Where templates, CSS and fonts are looked up, first match wins: project, package."""
        return (self.own_templates, PACKAGE_TEMPLATES)

    def template_file(self, relative: str) -> Path:
        """The file a build uses for ``relative`` (e.g. ``fonts/DejaVuSans.ttf``): the
        project's own when it has one, else the package's (which may not exist either)."""
        own = self.own_templates / relative
        return own if own.is_file() else PACKAGE_TEMPLATES / relative

    def template_folder(self, relative: str) -> dict[str, Path]:
        """Every file directly in the folder ``relative`` (e.g. ``fonts``), by name, as a build
        uses it: the package's files overlaid with the project's own."""
        found: dict[str, Path] = {}
        for base in reversed(self.template_dirs):
            folder = base / relative
            if folder.is_dir():
                found.update({p.name: p for p in folder.iterdir() if p.is_file()})
        return dict(sorted(found.items()))

    def template_watch(self, relative: str) -> list[Path]:
        """The files whose bytes decide the folder ``relative`` as a build uses it: each file
        used, and the project's path for each package file it does not override (absent
        now; adding it makes what used the folder stale)."""
        used = self.template_folder(relative)
        own = self.own_templates / relative
        return sorted({*used.values(), *(own / name for name in used)})

    @property
    def fonts(self) -> Path:
        """A folder holding every font a build uses (package fonts overlaid with the
        project's own). The package's folder when the project overrides no font; else a
        folder of links (copies where links fail) under .reportgen-cache, named by what it
        holds, so an edited override gives a new folder."""
        own = self.own_templates / "fonts"
        if not own.is_dir() or not any(p.is_file() for p in own.iterdir()):
            return PACKAGE_TEMPLATES / "fonts"
        files = self.template_folder("fonts")
        if all(p.parent == own for p in files.values()):
            return own  # a complete copy: nothing to merge
        return _merged_folder(files, self.root / ".reportgen-cache" / "fonts")

    @property
    def figures(self) -> Path:
        return self.root / "figures"

    @property
    def build(self) -> Path:
        return self.root / "build"

    def shown(self, path: Path) -> str:
        """``path`` relative to the project root, for messages."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except (ValueError, OSError, RuntimeError):  # outside the root, or a symlink loop
            return str(path)


class NotAProjectError(ReportgenError):
    """The folder a command was run in (or given with --project) is not a reportgen project:
    no reportgen.yaml there (or, when searching, in any folder above it)."""


def _merged_folder(files: dict[str, Path], cache: Path) -> Path:
    """A folder under ``cache`` holding ``files`` (name -> path), made once per content."""
    key = hashlib.sha256()
    for name, path in files.items():
        stat = path.stat()
        key.update(f"{name}\0{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    folder = cache / f"merged-{key.hexdigest()[:16]}"
    if folder.is_dir():
        return folder
    part = cache / f".{folder.name}.{os.getpid()}.part"
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    for name, path in files.items():
        try:
            os.link(path, part / name)
        except OSError:  # another file system, or no hard links there
            shutil.copy2(path, part / name)
    try:
        part.rename(folder)
    except OSError:  # made meanwhile by another process: same content
        shutil.rmtree(part, ignore_errors=True)
    return folder


def find_project(start: Path, *, search_parents: bool = True) -> Project:
    """The nearest folder at or above ``start`` that has a reportgen.yaml (only ``start``
    itself when not ``search_parents``, as for --project DIR); NotAProjectError when none
    has, so that no command writes a lock, cache or output into a folder that is no project."""
    here = start.resolve()
    for candidate in (here, *here.parents) if search_parents else (here,):
        if (candidate / PROJECT_FILE).is_file():
            return Project(candidate)
    where = f"{here} or any folder above it" if search_parents else str(here)
    raise NotAProjectError(
        [
            Problem(
                PROJECT_FILE,
                None,
                None,
                f"not found in {where}: not a reportgen project; run the command in a "
                "project folder, name one with --project DIR, or create one with "
                "`reportgen new DIR`",
            )
        ]
    )
