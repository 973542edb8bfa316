"""The renderer runs with a time and a memory bound; a runaway ends in a clear error."""

from __future__ import annotations

import time

import pytest

from reportgen.errors import BuildError, Problem
from reportgen.render.bounded import run_bounded, start_bounded


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "done"


def _allocate(mb: int) -> int:
    block = bytearray(mb * 1024 * 1024)
    return len(block)


def _user_error() -> None:
    raise BuildError([Problem("x.pdf", None, None, "refused to fetch http://example.invalid/")])


def test_a_result_comes_back() -> None:
    assert run_bounded(_sleep, 0, label="x.pdf", seconds=30, memory_mb=2048) == "done"


def test_too_slow_is_stopped_with_a_clear_error() -> None:
    start = time.perf_counter()
    with pytest.raises(BuildError, match="longer than 1 s"):
        run_bounded(_sleep, 60, label="x.pdf", seconds=1, memory_mb=2048)
    assert time.perf_counter() - start < 30


def test_too_much_memory_is_stopped_with_a_clear_error() -> None:
    with pytest.raises(BuildError, match="more than 300 MB"):
        run_bounded(_allocate, 2000, label="x.pdf", seconds=60, memory_mb=300)


def test_user_errors_in_the_child_keep_their_messages() -> None:
    with pytest.raises(BuildError, match="refused to fetch http://example.invalid/"):
        run_bounded(_user_error, label="x.pdf", seconds=30, memory_mb=2048)


def test_the_caller_works_while_the_child_runs() -> None:
    start = time.perf_counter()
    call = start_bounded(_sleep, 1, label="x.pdf", seconds=30, memory_mb=2048)
    assert time.perf_counter() - start < 0.9  # started, not waited for
    assert call.result() == "done"
    assert time.perf_counter() - start >= 1


def test_closing_a_running_call_stops_its_child() -> None:
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
