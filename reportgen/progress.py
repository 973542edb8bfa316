"""Build progress: one live line on a terminal, plain lines in logs, a summary at the end."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Reporter:
    """Counts built, skipped and failed reports and shows the task at hand.

    On a terminal the status line is redrawn in place; elsewhere (CI, logs) each event is a
    plain line. ``quiet`` keeps only warnings, errors and the summary; ``verbose`` adds every
    task and the reasons a report is rebuilt.
    """

    def __init__(
        self,
        total: int = 0,
        stream: TextIO | None = None,
        quiet: bool = False,
        verbose: bool = False,
        live: bool | None = None,
    ):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.quiet, self.verbose = quiet, verbose
        self.total = total
        self.built = self.skipped = self.failed = 0
        self.current = ""
        self.start = time.perf_counter()
        self._drawn = False

    def _status(self) -> str:
        done = self.built + self.skipped + self.failed
        return (
            f"[{done}/{self.total}] built {self.built}, skipped {self.skipped}, "
            f"failed {self.failed}" + (f" | {self.current}" if self.current else "")
        )

    def _redraw(self) -> None:
        if self.live and not self.quiet:
            width = 100
            self.stream.write("\r" + self._status()[:width].ljust(width))
            self.stream.flush()
            self._drawn = True

    def _line(self, text: str) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()
        self._redraw()

    def note(self, message: str) -> None:
        """A warning or note: always shown."""
        self._line(message)

    def task(self, message: str) -> None:
        """The task now running (live line on a terminal; a log line with --verbose)."""
        if message.startswith(("warning:", "note:")):
            self.note(message)
            return
        self.current = message
        if self.live:
            self._redraw()
        elif self.verbose:
            self._line(f"  {message}")

    def stale(self, slug: str, reasons: list[str]) -> None:
        if self.verbose:
            self._line(
                f"rebuild {slug}: "
                + "; ".join(reasons[:5])
                + (f" (+{len(reasons) - 5} more)" if len(reasons) > 5 else "")
            )

    def done(self, slug: str, seconds: float, drawn: int, reused: int) -> None:
        self.built += 1
        self.current = ""
        if not self.quiet:
            self._line(f"built {slug} ({seconds:.1f}s; {drawn} exhibit(s) drawn, {reused} reused)")

    def skip(self, slug: str) -> None:
        self.skipped += 1
        if self.verbose:
            self._line(f"up to date: {slug}")
        self._redraw()

    def fail(self, slug: str) -> None:
        self.failed += 1
        self._line(f"failed {slug}")

    def summary(self) -> str:
        """One line for the end of the build."""
        if self._drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self._drawn = False
        line = (
            f"{self.built} built, {self.skipped} up to date, {self.failed} failed "
            f"in {time.perf_counter() - self.start:.2f}s"
        )
        self.stream.write(line + "\n")
        self.stream.flush()
        return line
