"""One error hierarchy: only ReportgenError subclasses become clean messages (exit 2)."""

from __future__ import annotations

import datetime as dt
import errno
import os
import platform
import sys
import tempfile
import traceback
from collections.abc import Sequence
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


class RegistryError(ReportgenError):
    """The release registry cannot be opened, read or written (bad URL, unknown driver,
    unreachable server, refused login, corrupt file, a row that is already there)."""


class ExhibitDataError(Exception):
    """Raised on purpose by a figure builder when its data cannot make the exhibit asked for
    (an unknown model, a company without that table). The build locates it at the exhibit's
    line in report.yaml, or at ``path``/``line`` when the builder knows the data file at
    fault; any other exception from a builder is a bug in reportgen.
    """

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ):
        super().__init__(message, path, line, column)  # all args: picklable from a worker
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return self.message


_SPACE = "free some space, then build again"
_ACCESS = "reportgen must be able to write there: fix the folder's permissions or mount"
_IN_THE_WAY = "move what is in the way, then build again"

#: OSError numbers that mean the machine, not reportgen, refused: the user can act on them.
ENVIRONMENT_ERRNOS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on device", _SPACE),
    errno.EDQUOT: ("disk quota exceeded", _SPACE),
    errno.EFBIG: ("file too large for this file system", _SPACE),
    errno.EROFS: ("read-only file system", _ACCESS),
    errno.EACCES: ("permission denied", _ACCESS),
    errno.EPERM: ("operation not permitted", _ACCESS),
    errno.ENOTDIR: ("a file is where a folder should be", _IN_THE_WAY),
    errno.EEXIST: ("a file is where a folder should be", _IN_THE_WAY),
    errno.EISDIR: ("a folder is where the file should be", _IN_THE_WAY),
}


def environment_problem(exc: BaseException, shown: str | None = None) -> Problem | None:
    """The located problem for an OSError the user can fix (full disk, read-only or
    unwritable folder); None for any other exception (which stays a bug)."""
    if not isinstance(exc, OSError) or exc.errno not in ENVIRONMENT_ERRNOS:
        return None
    reason, hint = ENVIRONMENT_ERRNOS[exc.errno]
    where = shown or (str(exc.filename) if exc.filename else "reportgen")
    return Problem(where, None, None, f"{reason}; {hint}")


def write_crash_log(
    exc: BaseException, project_root: Path | None, argv: Sequence[str] | None = None
) -> Path | None:
    """Write the full traceback of a bug to .reportgen-cache/crash-<time>.log in the project
    (a temporary folder if that cannot be written); returns the file, or None if neither can."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    name = f"crash-{stamp}-{os.getpid()}.log"
    from reportgen import __version__

    text = "".join(
        [
            f"reportgen {__version__} crashed: this is a bug in reportgen, not in its input.\n",
            f"command: {' '.join(argv if argv is not None else sys.argv)}\n",
            f"python: {sys.version.split()[0]} on {platform.platform()}\n",
            f"time: {stamp}\n\n",
            *traceback.format_exception(exc),
        ]
    )
    folders = [Path(tempfile.gettempdir()) / "reportgen-crashes"]
    if project_root is not None:
        folders.insert(0, project_root / ".reportgen-cache")
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None


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
