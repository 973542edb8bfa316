"""The release registry as a build reads it: HISTORY_FILE, recorded like any data file.

The registry itself (a database) is never opened by a build: before planning, the registry is
written to HISTORY_FILE (publish/snapshot.py), and builds read that file through here, so a new
release makes exactly the reports that read the history stale, by the file's hash.
"""

from __future__ import annotations

from pathlib import Path

from reportgen.deps import read_bytes, record
from reportgen.errors import DataError, Problem
from reportgen.publish.model import HISTORY_FILE, History


def history_path(project_root: Path) -> Path:
    """Where the build reads the registry's history (a project's root, not its data/)."""
    return project_root / HISTORY_FILE


def read_history(project_root: Path) -> History:
    """Every release so far, oldest first (empty when nothing was ever published)."""
    path = history_path(project_root)
    if not path.is_file():
        record(path, "")  # absent: the plan sees "" too, until the first release
        return History()
    data = read_bytes(path)
    try:
        return History.from_bytes(data)
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            [
                Problem(
                    HISTORY_FILE,
                    None,
                    None,
                    f"unreadable release history ({exc}); rebuild it by running the build again",
                )
            ]
        ) from exc
