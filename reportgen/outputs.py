"""Atomic output writes: a temporary file in the same folder, fsync, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reportgen.errors import BuildError, environment_problem

TMP_SUFFIX = ".reportgen-tmp"
#: The only folders of a project that reportgen writes into (README "Guarantees").
OUTPUT_DIRS = ("build", "figures", ".reportgen-cache")


class OutsideOutputs(RuntimeError):
    """A write aimed outside the project's output folders: a bug in reportgen (user input
    that names files, such as placement names, is refused before anything is written)."""


def confine(path: Path, root: Path | None = None, folders: tuple[str, ...] = OUTPUT_DIRS) -> None:
    """Raise OutsideOutputs unless ``path``, after ``..`` and symlinks, lies inside one of
    ``folders`` of the project ``root`` (by default the parent of the nearest folder on
    ``path`` named build, figures or .reportgen-cache). A symlinked output folder is refused."""
    if root is None:
        named = next((p for p in path.parents if p.name in OUTPUT_DIRS), None)
        if named is None:
            raise OutsideOutputs(f"refusing to write {path}: not under {', '.join(OUTPUT_DIRS)}")
        root = named.parent
    real_root = root.resolve()
    # The file itself may be replaced even if it is a symlink (os.replace swaps the link).
    target = path.parent.resolve() / path.name
    allowed = [real_root / folder for folder in folders]
    if path.name in ("", ".", "..") or not any(
        target.is_relative_to(a) and target != a for a in allowed
    ):
        raise OutsideOutputs(
            f"refusing to write {path}: it resolves to {target}, outside "
            f"{', '.join(f + '/' for f in folders)} of the project {real_root}"
        )


def _file_mode() -> int:
    """The mode a plain new file gets under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(
    path: Path, data: bytes, root: Path | None = None, folders: tuple[str, ...] = OUTPUT_DIRS
) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half.

    ``path`` must resolve inside ``folders`` of the project ``root`` (see ``confine``):
    anything else is refused before a folder is made or a byte written.

    A full disk, a read-only or unwritable folder (or a file where the folder should be) is
    a BuildError naming ``path``: the previous file is left as it was, no temporary file stays.
    """
    write_all_atomic([(path, data)], root, folders)


def write_all_atomic(
    files: Sequence[tuple[Path, bytes]],
    root: Path | None = None,
    folders: tuple[str, ...] = OUTPUT_DIRS,
) -> None:
    """Replace several files together: every one is written to its temporary file first and
    only then are they renamed, so a full disk or an unwritable folder (a BuildError naming
    the file) leaves every previous file as it was and no temporary file behind."""
    for path, _ in files:
        confine(path, root, folders)
    staged: list[tuple[str, Path]] = []
    current = files[0][0] if files else None
    try:
        for current, data in files:
            staged.append((_stage(current, data), current))
        for tmp, current in staged:
            os.replace(tmp, current)
    except BaseException as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        problem = environment_problem(exc, _shown(current, root) if current else None)
        if problem is None:
            raise
        raise BuildError([problem]) from exc


def _shown(path: Path, root: Path | None) -> str:
    """``path`` relative to the project root (given, or the folder holding data/)."""
    from reportgen.project import NotAProjectError, Project, find_project

    if root is not None:
        return Project(root).shown(path)
    try:
        return find_project(path.parent).shown(path)
    except NotAProjectError:  # a path outside any project is shown as it is
        return str(path)


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a new temporary file beside ``path`` (synced to disk); its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def clean_stray_temporaries(folder: Path) -> int:
    """Remove temporary files a killed build left behind; returns how many."""
    count = 0
    if folder.is_dir():
        for stray in folder.rglob(f"*{TMP_SUFFIX}"):
            stray.unlink(missing_ok=True)
            count += 1
    return count
