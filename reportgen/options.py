"""Build options (a light module: the CLI reads them before any heavy import)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BuildOptions:
    """How to build: what, how strictly, how widely, and the renderer's bounds."""

    strict: bool = False
    pdf_variant: str | None = None
    render_seconds: float = 300.0
    render_memory_mb: int = 3072
    force: bool = False
    jobs: int = 0  # 0: one worker per core


DEFAULT_OPTIONS = BuildOptions()
