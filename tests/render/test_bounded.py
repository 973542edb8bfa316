"""The renderer runs with a time and a memory bound; a runaway ends in a clear error. Its
child is never forked from the caller (which may run threads): it comes from a fork server
(Linux) or is spawned, so it inherits nothing the caller changed."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reportgen import procs
from reportgen.errors import BuildError, Problem
from reportgen.render.bounded import run_bounded, start_bounded, warm
from reportgen.render.pdf import html_to_pdf_and_layout

REPO = Path(__file__).resolve().parents[2]
FONTS = REPO / "reportgen" / "templates" / "fonts"
DEFAULT = "forkserver" if sys.platform.startswith("linux") else "spawn"
#: Set by a test in this process only: a forked child would see the change, no other would.
MARK = "as imported"


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def _user_error() -> None:
    raise BuildError([Problem("x.pdf", None, None, "refused to fetch http://example.invalid/")])


def _bug() -> None:
    raise ValueError("a bug in the renderer")


def _killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _mark() -> tuple[str, str | None]:
    return MARK, os.environ.get("REPORTGEN_TEST_BOUNDED")


@pytest.fixture(params=[None, "spawn"], ids=["default", "spawn"])
def method(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each limit holds under the default policy and under a plain spawn (macOS, Windows)."""
    monkeypatch.setattr(procs, "START_METHOD", request.param)
    return request.param or DEFAULT


def test_a_result_comes_back() -> None:
    assert run_bounded(_sleep, 0, label="x.pdf", seconds=30, memory_mb=2048) == "done"


def test_the_child_is_not_forked_under_the_default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default: forkserver on Linux, spawn elsewhere; the child sees none of this
    process's changes to its modules, and the caller's environment as it is now."""
    assert procs.START_METHOD is None
    monkeypatch.setattr(sys.modules[__name__], "MARK", "changed in the caller")
    monkeypatch.setenv("REPORTGEN_TEST_BOUNDED", "from the caller")
    call = start_bounded(_mark, label="x.pdf", seconds=60, memory_mb=2048)
    assert call.start_method == DEFAULT != "fork"
    assert call.result() == ("as imported", "from the caller")


def test_a_forced_fork_inherits_the_callers_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    """procs.START_METHOD = "fork" is what tests use to reach the child with a monkeypatch."""
    monkeypatch.setattr(procs, "START_METHOD", "fork")
    monkeypatch.setattr(sys.modules[__name__], "MARK", "changed in the caller")
    call = start_bounded(_mark, label="x.pdf", seconds=60, memory_mb=2048)
    assert call.start_method == "fork"
    assert call.result()[0] == "changed in the caller"


def test_weasyprint_renders_in_a_spawned_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real render step, in a fresh interpreter: the function and arguments travel
    pickled and the child imports the renderer itself."""
    monkeypatch.setattr(procs, "START_METHOD", "spawn")
    style = f'@font-face {{ font-family: H; src: url("{(FONTS / "DejaVuSans.ttf").as_uri()}"); }}'
    html = f"<html><head><style>{style} p {{ font-family: H }}</style></head><body><p>Spawned</p>"
    call = start_bounded(
        html_to_pdf_and_layout,
        html,
        tmp_path,
        [FONTS],
        "t.pdf",
        dt.date(2026, 5, 1),
        label="t.pdf",
        seconds=120,
        memory_mb=2048,
    )
    assert call.start_method == "spawn"
    pdf, layout = call.result()
    assert pdf.startswith(b"%PDF")
    assert any(b.text == "Spawned" for b in layout.pages[0].boxes if b.role == "line")


def test_too_slow_is_stopped_with_a_clear_error(method: str) -> None:
    start = time.perf_counter()
    with pytest.raises(BuildError, match="longer than 2 s"):
        run_bounded(_sleep, 60, label="x.pdf", seconds=2, memory_mb=2048)
    assert time.perf_counter() - start < 30


@pytest.mark.skipif(sys.platform == "win32", reason="no memory limit on Windows")
def test_too_much_memory_is_stopped_with_a_clear_error(method: str) -> None:
    with pytest.raises(BuildError, match="more than 300 MB"):
        run_bounded(_allocate, 2000, label="x.pdf", seconds=60, memory_mb=300)


def test_a_crash_in_the_child_is_a_crash_with_its_traceback(method: str) -> None:
    with pytest.raises(RuntimeError, match="crashed in its worker: ValueError: a bug") as info:
        run_bounded(_bug, label="x.pdf", seconds=60, memory_mb=2048)
    assert "Traceback (most recent call last)" in str(info.value)


def test_a_child_killed_outright_ends_in_a_clear_error(method: str) -> None:
    """No answer at all (the kernel's OOM killer sends SIGKILL): reported as memory."""
    with pytest.raises(BuildError, match="more than 2048 MB"):
        run_bounded(_killed, label="x.pdf", seconds=60, memory_mb=2048)


def test_user_errors_in_the_child_keep_their_messages() -> None:
    with pytest.raises(BuildError, match="refused to fetch http://example.invalid/"):
        run_bounded(_user_error, label="x.pdf", seconds=30, memory_mb=2048)


def test_the_caller_works_while_the_child_runs() -> None:
    run_bounded(_sleep, 0, label="x.pdf", seconds=60, memory_mb=2048)  # a fork server runs
    start = time.perf_counter()
    call = start_bounded(_sleep, 1, label="x.pdf", seconds=30, memory_mb=2048)
    assert time.perf_counter() - start < 0.9  # started, not waited for
    assert call.result() == "done"
    assert time.perf_counter() - start >= 1


def test_closing_a_running_call_stops_its_child(method: str) -> None:
    call = start_bounded(_sleep, 60, label="x.pdf", seconds=120, memory_mb=2048)
    start = time.perf_counter()
    call.close()
    call.close()  # safe to repeat
    assert not call._process.is_alive()
    assert time.perf_counter() - start < 10


def test_the_time_limit_counts_from_the_start() -> None:
    call = start_bounded(_sleep, 60, label="x.pdf", seconds=1, memory_mb=2048)
    time.sleep(1.5)  # the caller's own work used up the limit
    start = time.perf_counter()
    with pytest.raises(BuildError, match="longer than 1 s"):
        call.result()
    assert time.perf_counter() - start < 1


def _bounded_in_a_forked_child(queue: mp.SimpleQueue[tuple[str, str]]) -> None:
    call = start_bounded(_sleep, 0, label="x.pdf", seconds=60, memory_mb=2048)
    queue.put((call.start_method, call.result()))


@pytest.mark.skipif(DEFAULT != "forkserver", reason="fork servers are used on Linux")
def test_a_process_forked_from_the_servers_owner_spawns_its_child() -> None:
    """Forked from the process that started the fork server (a test forcing fork for the
    build's workers only, a user's own fork pool), a process cannot use that server
    (multiprocessing checks it with waitpid, which only its parent may call): it spawns."""
    warm()  # this process owns a fork server
    ctx = mp.get_context("fork")
    queue: mp.SimpleQueue[tuple[str, str]] = ctx.SimpleQueue()
    forked = ctx.Process(target=_bounded_in_a_forked_child, args=(queue,))
    forked.start()
    forked.join(60)
    assert forked.exitcode == 0
    assert queue.get() == ("spawn", "done")


def _gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for its parent counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_child_dies_with_its_caller(method: str) -> None:
    """A killed build leaves no renderer running: the child's parent is the fork server,
    not the caller, so it watches the caller itself."""
    script = textwrap.dedent(
        f"""
        import time
        from reportgen import procs
        from reportgen.render.bounded import start_bounded
        procs.START_METHOD = {procs.START_METHOD!r}
        call = start_bounded(time.sleep, 120, label="x.pdf", seconds=300, memory_mb=2048)
        print(call._process.pid, flush=True)
        time.sleep(120)
        """
    )
    caller = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert caller.stdout is not None
        child = int(caller.stdout.readline())
        assert not _gone(child)
    finally:
        caller.kill()
        caller.wait()
    deadline = time.monotonic() + 20
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child)
