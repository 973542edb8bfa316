"""`reportgen new DIR`: a working project to start from, copied from the package's skeleton.

The skeleton (reportgen/skeleton/) holds a placeholder house, one company whose data are the
sample's own sourced files (tests/test_scaffold.py checks the copies against data/), that
company's initiation, a short sector note with a chart and a table, a Makefile and a README.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reportgen.errors import Problem, ReportgenError
from reportgen.project import PROJECT_FILE

#: The project `reportgen new` copies (package data, shipped in the wheel).
SKELETON = Path(__file__).resolve().parent / "skeleton"

#: What a new project keeps out of version control: outputs and the build's cache.
GITIGNORE = "# Made by reportgen build\nbuild/\nfigures/\n.reportgen-cache/\n"


class ScaffoldError(ReportgenError):
    """The folder `reportgen new` was given cannot hold a new project."""


def _refusal(dest: Path) -> Problem | None:
    """Why ``dest`` cannot become a new project (None when it can: absent or empty)."""
    if dest.is_symlink() and not dest.exists():
        return Problem(str(dest), None, None, "is a broken symbolic link; name a new folder")
    if not dest.exists():
        return None
    if not dest.is_dir():
        return Problem(str(dest), None, None, "exists and is not a folder; name a new folder")
    if any(dest.iterdir()):
        return Problem(
            str(dest),
            None,
            None,
            "folder exists and is not empty; reportgen new writes only into a new or empty "
            "folder, so nothing of yours is overwritten",
        )
    return None


def project_file_text(name: str) -> str:
    """The skeleton's reportgen.yaml with ``name`` as the project's name (a YAML string)."""
    text = (SKELETON / PROJECT_FILE).read_text(encoding="utf-8")
    quoted = json.dumps(name, ensure_ascii=False)  # a JSON string is a YAML string
    lines = [f"name: {quoted}" if line.startswith("name:") else line for line in text.split("\n")]
    return "\n".join(lines)


def new_project(dest: Path, name: str | None = None) -> list[Path]:
    """Create a project in ``dest`` (absent or empty); return the files written, sorted.

    ``name`` (default: the folder's name) goes into reportgen.yaml.
    """
    problem = _refusal(dest)
    if problem is not None:
        raise ScaffoldError([problem])
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(SKELETON, dest, dirs_exist_ok=True)
    (dest / PROJECT_FILE).write_text(
        project_file_text(name or dest.resolve().name), encoding="utf-8"
    )
    (dest / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    return sorted(p for p in dest.rglob("*") if p.is_file())
