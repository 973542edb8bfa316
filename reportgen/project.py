"""Where things live in a reportgen project (one root; every path derives from it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
        """The project's own templates/ folder when it has one, else the package's."""
        own = self.root / "templates"
        return own if own.is_dir() else PACKAGE_TEMPLATES

    @property
    def fonts(self) -> Path:
        return self.templates / "fonts"

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


def find_project(start: Path) -> Project:
    """The nearest folder at or above ``start`` that has a reportgen.yaml."""
    here = start.resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return Project(candidate)
    return Project(here)
