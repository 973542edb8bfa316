"""Atomic output writes: a temporary file in the same folder, fsync, then rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TMP_SUFFIX = ".reportgen-tmp"


def _file_mode() -> int:
    """The mode a plain new file gets under the current umask (mkstemp would give 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def clean_stray_temporaries(folder: Path) -> int:
    """Remove temporary files a killed build left behind; returns how many."""
    count = 0
    if folder.is_dir():
        for stray in folder.rglob(f"*{TMP_SUFFIX}"):
            stray.unlink(missing_ok=True)
            count += 1
    return count
