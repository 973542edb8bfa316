"""Record which input files a piece of work actually read, and the hash of the bytes it read.

A build's record must describe what the build used, not what the disk holds when it ends
(README, "Incremental builds"): readers hash the bytes they parse (``read_bytes``,
``record``); files someone else reads (WeasyPrint's fonts, folder listings) are hashed
before use and checked again when the task ends (``watch``, ``Reads.settle``). A file whose
two readings disagree is recorded as CHANGED, a value no hash equals, so it is stale next time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

#: How a folder's listing is keyed (its digest is that of the sorted names, see dir_hash).
DIR_PREFIX = "dir:"
#: Recorded for an input that changed while the task used it: equal to no hash and not to ""
#: (a missing file), so the next plan always finds the output stale.
CHANGED = "changed-during-build"


def digest(data: bytes) -> str:
    """SHA-256 of bytes, as recorded in the manifest."""
    return hashlib.sha256(data).hexdigest()


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes ("" when it does not exist or is no regular file: reading a
    FIFO would block the build, a symlink loop cannot be read)."""
    if not path.is_file():
        return ""
    try:
        return digest(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""


def dir_hash(path: Path) -> str:
    """A folder's listing (names only): adding or removing a file changes it."""
    try:
        names = sorted(p.name for p in path.iterdir() if not p.name.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return ""
    return digest("\n".join(names).encode())


def _current(key: str) -> str:
    """The hash an input has now (key as in Reads: an absolute path, dir: for a folder)."""
    if key.startswith(DIR_PREFIX):
        return dir_hash(Path(key[len(DIR_PREFIX) :]))
    return file_hash(Path(key))


def key_of(path: Path, folder: bool = False) -> str:
    """How Reads names an input: the resolved absolute path, prefixed dir: for a folder."""
    return (DIR_PREFIX if folder else "") + path.resolve().as_posix()


@dataclass
class Reads:
    """What one task read: {key: hash of what it read}, and the inputs to check at its end."""

    digests: dict[str, str] = field(default_factory=dict)
    watched: set[str] = field(default_factory=set)

    def add(self, key: str, value: str) -> None:
        """Note one reading; two readings of one input that disagree make it CHANGED."""
        old = self.digests.get(key)
        self.digests[key] = value if old is None or old == value else CHANGED

    def merge(self, other: Reads) -> None:
        for key, value in other.digests.items():
            self.add(key, value)
        self.watched |= other.watched

    def settle(self) -> dict[str, str]:
        """The final record: each watched input hashed again, CHANGED where it moved."""
        for key in sorted(self.watched):
            if self.digests.get(key) != _current(key):
                self.digests[key] = CHANGED
        return dict(self.digests)

    def paths(self) -> set[Path]:
        """The files and folders read (folders without their dir: prefix)."""
        return {Path(k.removeprefix(DIR_PREFIX)) for k in self.digests}


_READS: ContextVar[Reads | None] = ContextVar("reportgen_reads", default=None)


def record(path: Path, value: str, folder: bool = False) -> None:
    """Note that the current task used ``path`` as it was when its bytes hashed to ``value``."""
    reads = _READS.get()
    if reads is not None:
        reads.add(key_of(path, folder), value)


def record_all(found: Mapping[str, str]) -> None:
    """Note readings already keyed (as Reads keys them), e.g. those a Dataset kept at load."""
    reads = _READS.get()
    if reads is not None:
        for key, value in found.items():
            reads.add(key, value)


def read_bytes(path: Path) -> bytes:
    """A file's bytes, read once and recorded with their hash (use these bytes, not a re-read)."""
    data = path.read_bytes()
    record(path, digest(data))
    return data


def watch(paths: Iterable[Path]) -> None:
    """Inputs someone else reads (WeasyPrint's fonts, folder listings): hash them now, before
    use, and again when the task settles; a difference records CHANGED."""
    reads = _READS.get()
    if reads is None:
        return
    for path in paths:
        key = key_of(path, path.is_dir())
        reads.add(key, _current(key))
        reads.watched.add(key)


@contextmanager
def recording() -> Iterator[Reads]:
    """Collect every file read (directly or through the Dataset) inside the block."""
    reads = Reads()
    outer = _READS.get()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)
        if outer is not None:
            outer.merge(reads)
