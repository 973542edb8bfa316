"""WeasyPrint's fast import: no library search on the first try, the usual import as fallback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
