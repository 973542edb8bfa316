"""One error hierarchy: only ReportgenError subclasses become clean messages (exit 2)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One located problem: file, line (1-based), column name, and what was expected."""

    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": column '{self.column}'"
        return f"{where}: {self.message}"


def display_path(path: str | Path, root: Path | None = None) -> str:
    """Path relative to the project root when possible, for short messages."""
    p = Path(path)
    if root is not None:
        try:
            return str(p.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(p)


class ReportgenError(Exception):
    """Bad input the user can fix; carries every problem found, printed one per line."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("reportgen", None, None, problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DataError(ReportgenError):
    """A data file under data/ is malformed or fails its schema."""


class SpecError(ReportgenError):
    """A report definition or prose file is malformed."""


class TemplateError(ReportgenError):
    """A template failed to render (undefined variable, syntax error)."""


class BuildError(ReportgenError):
    """Rendering or writing an output failed for a reason the user can act on."""


class ProblemList:
    """Collects problems so validation reports all of them, then aborts once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, line: int | None, column: str | None, message: str) -> None:
        self.items.append(Problem(path, line, column, message))

    def extend(self, problems: list[Problem]) -> None:
        self.items.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, cls: type[ReportgenError] = DataError) -> None:
        if self.items:
            raise cls(self.items)
