"""The live preview in a real browser: the open page reloads itself after a data edit.

Drives headless Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe), so
no driver or websocket library is needed. The page is opened once and never navigated by the
test: any change it shows comes from the injected reload script.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reportgen.project import Project
from tests.test_plan import edit
from tests.test_serve import server, status, wait_for  # noqa: F401 - `server` is a fixture
from tests.tools import require_tool


class Browser:
    """A headless Chromium and one page in it, spoken to with DevTools JSON messages."""

    def __init__(self, executable: str, profile: Path):
        commands_r, self._commands = os.pipe()
        self._replies, replies_w = os.pipe()
        # Chromium reads commands on fd 3 and writes replies on fd 4 (bash, unlike dash,
        # accepts the two-digit descriptors the pipes may have).
        script = f'exec "$0" "$@" 3<&{commands_r} 4>&{replies_w}'
        self.process = subprocess.Popen(
            [
                "bash",
                "-c",
                script,
                executable,
                "--headless=new",
                "--no-sandbox",  # CI runs as root
                "--disable-gpu",
                "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(commands_r, replies_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_r)
        os.close(replies_w)
        self._buffer = b""
        self._next = 0
        self.session = ""

    def call(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._replies, 65536)
                if not chunk:
                    raise AssertionError("the browser closed its DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next:  # events and other replies are skipped
                assert "error" not in reply, reply
                return reply.get("result", {})

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", session=False, url=url)["targetId"]
        self.session = self.call(
            "Target.attachToTarget", session=False, targetId=target, flatten=True
        )["sessionId"]

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        os.close(self._commands)
        os.close(self._replies)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    executable = require_tool("chromium", "chromium-browser", "google-chrome", package="chromium")
    chromium = Browser(executable, tmp_path / "profile")
    try:
        yield chromium
    finally:
        chromium.close()


def eventually(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"the page never showed {what}")


PAGE_TEXT = "document.body ? document.body.innerText : ''"
FONTS_READY = (
    "document.fonts.status === 'loaded' && "
    "[...document.fonts].some(f => f.family.includes('House Sans') && f.status === 'loaded') && "
    "![...document.fonts].some(f => f.status === 'error')"
)
CHART_FONT = "getComputedStyle(document.querySelector('svg.chart text')).fontFamily"
ERROR_TEXT = "(document.getElementById('reportgen-error') || {}).textContent || ''"


def test_open_page_reloads_after_a_data_edit_and_shows_errors(
    server: tuple[str, Project],  # noqa: F811 - the fixture imported above
    browser: Browser,
) -> None:
    base, project = server
    browser.open(base + "build/alpha.html")
    eventually(lambda: "41.3%" in browser.evaluate(PAGE_TEXT), "the first build")
    # The page is set in the house fonts, served from templates/fonts like from disk.
    eventually(lambda: browser.evaluate(FONTS_READY), "its fonts loaded")
    assert browser.evaluate("document.fonts.check('12px \"House Sans\"')")
    # Charts are inline, so their text is set in the page's fonts too.
    assert browser.evaluate(CHART_FONT).startswith('"House Sans"')
    browser.evaluate("window.reportgenMarker = 1")  # gone after a reload, kept otherwise
    shipments = project.data / "market/china_ai_shipments.csv"

    first = status(base)
    edit(shipments, "2025,Domestic vendors,1.65,", "2025,Domestic vendors,1.85,")
    after = wait_for(base, int(first["version"]))  # type: ignore[arg-type]
    eventually(lambda: "46.3%" in browser.evaluate(PAGE_TEXT), "the rebuilt number")
    assert browser.evaluate("window.reportgenMarker === undefined")  # it reloaded itself

    browser.evaluate("window.reportgenMarker = 2")
    edit(shipments, "2025,Domestic vendors,1.85,", "2025,Domestic vendors,lots,")
    wait_for(base, int(after["version"]))  # type: ignore[arg-type]
    message = "data/market/china_ai_shipments.csv:9: column 'units_mn'"
    eventually(lambda: message in browser.evaluate(ERROR_TEXT), "the build error")
    assert "46.3%" in browser.evaluate(PAGE_TEXT)  # the last good page stays underneath
    assert browser.evaluate("window.reportgenMarker") == 2  # a failed build does not reload


def test_the_html_file_alone_shows_its_fonts_and_charts(
    server: tuple[str, Project],  # noqa: F811 - the fixture imported above
    browser: Browser,
    tmp_path: Path,
) -> None:
    """Copied on its own to another folder and opened from disk, the page still has its fonts."""
    base, project = server
    alone = tmp_path / "sent" / "alpha.html"
    alone.parent.mkdir()
    alone.write_bytes((project.build / "alpha.html").read_bytes())
    browser.open(alone.as_uri())
    eventually(lambda: "41.3%" in browser.evaluate(PAGE_TEXT), "the report")
    eventually(lambda: browser.evaluate(FONTS_READY), "its embedded fonts loaded")
    assert browser.evaluate("document.querySelectorAll('svg.chart').length") == 2
    assert browser.evaluate(CHART_FONT).startswith('"House Sans"')
