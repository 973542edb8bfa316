"""WeasyPrint's fast import: no library search on the first try, the usual import as fallback."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the fast path is Linux-only"
)


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_fast_import_searches_no_library_and_restores_find_library() -> None:
    out = _run(
        """
        import ctypes.util
        calls = []
        real = ctypes.util.find_library
        def counting(name):
            calls.append(name)
            return real(name)
        ctypes.util.find_library = counting
        from reportgen.render.weasy import HTML
        pdf = HTML(string="<p>fast import</p>").write_pdf()
        print(len(calls), ctypes.util.find_library is counting, pdf[:5] == b"%PDF-")
        """
    )
    assert out.split() == ["0", "True", "True"]


def test_falls_back_to_the_usual_import_when_the_loader_cannot_find_a_library() -> None:
    # A machine where a library is found only by ctypes' search (e.g. outside the loader's
    # path): the first attempt fails, the second one succeeds, and WeasyPrint's installation
    # advice from the failed attempt is not printed.
    out = _run(
        """
        import ctypes.util
        import cffi
        real_dlopen = cffi.FFI.dlopen
        def dlopen(self, name, flags=0):
            if "pango-1.0" in str(name) and ctypes.util.find_library("c") is None:
                raise OSError("not on the loader's path")
            return real_dlopen(self, name, flags)
        cffi.FFI.dlopen = dlopen
        from reportgen.render.weasy import HTML
        pdf = HTML(string="<p>fallback</p>").write_pdf()
        print("ok", pdf[:5] == b"%PDF-")
        """
    )
    assert out.split() == ["ok", "True"]


# Renders one small page with the house fonts and prints the PDF's SHA-256. MODE says what
# the process finds where WeasyPrint loads libharfbuzz-subset: "hidden" (not installed),
# "stub" (a library that fails if it is ever used), "system" (the machine's own library),
# "system-unpinned" (the machine's library, with the pin undone to show it matters).
SUBSET_SCRIPT = """
import datetime as dt, hashlib, sys
from pathlib import Path
import cffi

mode, fonts = sys.argv[1], Path(sys.argv[2])


class Unusable:
    def __getattr__(self, name):
        raise AssertionError(f"libharfbuzz-subset used: {name}")


real_dlopen = cffi.FFI.dlopen


def dlopen(self, name, flags=0):
    if "harfbuzz-subset" in str(name) and mode in ("hidden", "stub"):
        if mode == "hidden":
            raise OSError("not installed")
        return Unusable()
    return real_dlopen(self, name, flags)


cffi.FFI.dlopen = dlopen
from reportgen.render.pdf import html_to_pdf
import weasyprint.pdf.fonts, weasyprint.text.ffi

loaded = weasyprint.text.ffi.harfbuzz_subset is not None
if mode == "system-unpinned":
    weasyprint.pdf.fonts.harfbuzz_subset = weasyprint.text.ffi.harfbuzz_subset
css = (fonts.parent / "css" / "fonts.css.j2").read_text().replace("{{ fonts_url }}", str(fonts))
html = (
    f"<html><head><style>{css} html {{ font-family: 'House Sans' }}</style></head>"
    "<body><p>Blended 3:1 price US$1.74 <b>Outperform</b> 真武</p></body></html>"
)
pdf = html_to_pdf(html, base_dir=fonts, allowed_roots=[fonts], shown="t.pdf",
                  date=dt.date(2026, 5, 1))
print(loaded, hashlib.sha256(pdf).hexdigest())
"""


def _render(mode: str) -> tuple[bool, str]:
    fonts = Path(__file__).resolve().parents[2] / "reportgen" / "templates" / "fonts"
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SUBSET_SCRIPT, mode, str(fonts)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded, digest = done.stdout.split()
    return loaded == "True", digest


def test_pdf_fonts_are_subset_with_fonttools_even_where_libharfbuzz_subset_loads() -> None:
    # A loaded libharfbuzz-subset that fails when used: the PDF is made without touching it,
    # and its bytes are those of a machine without the library.
    stub_loaded, with_stub = _render("stub")
    hidden_loaded, without = _render("hidden")
    assert (stub_loaded, hidden_loaded) == (True, False)
    assert with_stub == without


def _system_has_harfbuzz_subset() -> bool:
    return ctypes.util.find_library("harfbuzz-subset") is not None


def test_the_same_pdf_bytes_with_and_without_the_system_libharfbuzz_subset() -> None:
    """The machine's real library (Debian: libharfbuzz-subset0, installed with Chromium)."""
    if not _system_has_harfbuzz_subset():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but libharfbuzz-subset is not installed")
        pytest.skip("libharfbuzz-subset is not installed")
    system_loaded, with_library = _render("system")
    _, without = _render("hidden")
    _, unpinned = _render("system-unpinned")
    assert system_loaded
    assert with_library == without
    assert unpinned != without  # the pin is what makes them equal (HarfBuzz subsets differ)
