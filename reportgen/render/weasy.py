"""Import WeasyPrint without ctypes' slow library search, where the plain loader suffices.

WeasyPrint tries several names for each native library (Windows, macOS and Linux spellings);
through cffi every miss runs ``ctypes.util.find_library``, which starts ``ldconfig``/``gcc``
subprocesses: about 0.25 s of every build process's start-up on Linux. The Linux names
(``libpango-1.0.so.0`` ...) load directly through the dynamic loader, so the search is skipped
for the first attempt; if that attempt cannot load a library, WeasyPrint is imported again
the usual way, so nothing that worked before stops working.

Fonts embedded in a PDF are subset with fontTools on every machine (``pin_font_subsetter``):
WeasyPrint 70 uses the system's libharfbuzz-subset when it can load it, which gives other
bytes than fontTools, so the same report would differ between machines.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import io
import sys
from types import ModuleType


def _forget_weasyprint() -> None:
    for name in [n for n in sys.modules if n == "weasyprint" or n.startswith("weasyprint.")]:
        del sys.modules[name]


def _find_no_library(name: str) -> str | None:
    """ctypes.util.find_library that finds nothing (so libraries load by their Linux names)."""
    return None


def import_weasyprint() -> ModuleType:
    """Return the ``weasyprint`` module, loading its libraries by their Linux names first."""
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint

        return weasyprint
    search = ctypes.util.find_library
    ctypes.util.find_library = _find_no_library
    try:
        # WeasyPrint prints installation advice before it re-raises a failed load; that
        # advice belongs to the fallback below, not to this attempt.
        with contextlib.redirect_stdout(io.StringIO()):
            import weasyprint
    except OSError:
        _forget_weasyprint()
    else:
        return weasyprint
    finally:
        ctypes.util.find_library = search
    import weasyprint

    return weasyprint


def pin_font_subsetter() -> None:
    """Make WeasyPrint subset PDF fonts with fontTools even where libharfbuzz-subset loads.

    ``weasyprint.pdf.fonts.Font.subset`` takes the HarfBuzz path whenever its module-level
    ``harfbuzz_subset`` library is loaded (libharfbuzz-subset0 comes with Chromium on Debian)
    and fontTools otherwise; the two embed different subsets. fontTools' version is pinned in
    constraints.txt and the system HarfBuzz's is not, so fontTools is the path that gives the
    same bytes on any machine (its 'head' timestamp is pinned in render/pdf.py).
    """
    import weasyprint.pdf.fonts

    weasyprint.pdf.fonts.harfbuzz_subset = None


import_weasyprint()
pin_font_subsetter()

from weasyprint import HTML  # noqa: E402 - re-exported once the fast import above has run
from weasyprint.urls import (  # noqa: E402
    FatalURLFetchingError,
    URLFetcher,
    URLFetcherResponse,
)

__all__ = [
    "HTML",
    "FatalURLFetchingError",
    "URLFetcher",
    "URLFetcherResponse",
    "import_weasyprint",
    "pin_font_subsetter",
]
