"""Record which input files a piece of work actually read, so the build plan can be exact."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_READS: ContextVar[set[Path] | None] = ContextVar("reportgen_reads", default=None)


def record(paths: Iterable[Path]) -> None:
    """Note that the current task read these files (no-op when nothing is recording)."""
    reads = _READS.get()
    if reads is not None:
        reads.update(p.resolve() for p in paths)


@contextmanager
def recording() -> Iterator[set[Path]]:
    """Collect every file read (directly or through the Dataset) inside the block."""
    reads: set[Path] = set()
    outer = _READS.get()
    token = _READS.set(reads)
    try:
        yield reads
    finally:
        _READS.reset(token)
        if outer is not None:
            outer.update(reads)
