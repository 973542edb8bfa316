"""Run a rendering step in a child process with a time limit and a memory limit.

The child is never forked from the caller (which may run threads: ``reportgen serve``
builds in one): it comes from a fork server that has imported the renderer once (Linux),
or is spawned (elsewhere), by the policy of ``reportgen.procs``. So the function and its
arguments travel pickled: module-level functions and plain values only.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from reportgen.errors import BuildError, Problem, ReportgenError
from reportgen.procs import context, die_with_parent

if sys.platform != "win32":
    import resource

#: What the fork server imports before it forks a rendering child: the renderer (WeasyPrint)
#: and the caller's main module (which each child would otherwise import itself).
PRELOAD = ["__main__", "reportgen.render.pdf"]


def warm() -> None:
    """Start the fork server now, if children come from one and none runs, so that it
    imports the renderer while the caller works; the first call would otherwise wait."""
    context(PRELOAD)


def _watch(lifeline: Connection) -> None:
    """End this child when its caller is gone: the lifeline's other end is the caller's
    alone, so it reads end-of-file only when the caller closed it or died (the child's
    parent is the fork server, so the death signal of procs.die_with_parent does not
    follow the caller)."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os._exit(1)


def _limit_memory(memory_mb: int) -> None:
    """Cap this process's address space (Windows has no such limit: the time limit holds)."""
    if sys.platform != "win32":
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _child(
    conn: Connection,
    lifeline: Connection,
    env: dict[str, str],
    memory_mb: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    die_with_parent()
    threading.Thread(target=_watch, args=(lifeline,), daemon=True).start()
    # The caller's environment, not the fork server's (taken when the server started).
    os.environ.clear()
    os.environ.update(env)
    _limit_memory(memory_mb)
    try:
        conn.send(("ok", fn(*args, **kwargs)))
    except ReportgenError as exc:
        conn.send(("error", exc.problems))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a crash
        conn.send(("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        conn.close()


class BoundedCall:
    """A started bounded call: the caller may work meanwhile, then ``result()`` waits for it."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        label: str,
        seconds: float,
        memory_mb: int,
    ) -> None:
        self.label, self.seconds, self.memory_mb = label, seconds, memory_mb
        self.deadline = time.monotonic() + seconds
        ctx = context(PRELOAD)
        #: How the child started (never "fork" unless procs.START_METHOD says so).
        self.start_method = ctx.get_start_method()
        self._parent, child = ctx.Pipe(duplex=False)
        lifeline, self._lifeline = ctx.Pipe(duplex=False)
        self._process = ctx.Process(
            target=_child,
            args=(child, lifeline, dict(os.environ), memory_mb, fn, args, kwargs),
            daemon=True,
        )
        try:
            self._process.start()
        finally:
            child.close()
            lifeline.close()

    def close(self) -> None:
        """Stop the child if it still runs (the caller failed or gave up); safe to repeat."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._parent.close()
        self._lifeline.close()

    def result(self) -> Any:
        """The call's return value, or a BuildError if it overran, ran out of memory or failed."""
        try:
            if not self._parent.poll(max(0.0, self.deadline - time.monotonic())):
                raise BuildError(
                    [
                        Problem(
                            self.label,
                            None,
                            None,
                            f"rendering took longer than {self.seconds:g} s and was stopped; "
                            "a pathological input (e.g. a huge table) is likely",
                        )
                    ]
                )
            try:
                status, payload = self._parent.recv()
            except EOFError:
                status, payload = "died", None
        finally:
            self.close()
        if status == "ok":
            return payload
        if status == "error":
            raise BuildError(payload)
        if status in ("memory", "died"):
            raise BuildError(
                [
                    Problem(
                        self.label,
                        None,
                        None,
                        f"rendering needed more than {self.memory_mb} MB of memory and was "
                        "stopped; a pathological input (e.g. a huge table) is likely",
                    )
                ]
            )
        raise RuntimeError(f"rendering crashed in its worker: {payload}")


def start_bounded(
    fn: Callable[..., Any], *args: Any, label: str, seconds: float, memory_mb: int, **kwargs: Any
) -> BoundedCall:
    """Start ``fn(*args, **kwargs)`` (a module-level function: it is pickled) in a child
    process with a time and a memory limit."""
    return BoundedCall(fn, args, kwargs, label, seconds, memory_mb)


def run_bounded(
    fn: Callable[..., Any], *args: Any, label: str, seconds: float, memory_mb: int, **kwargs: Any
) -> Any:
    """``fn(*args, **kwargs)`` in a child process; a runaway input ends in a clear BuildError."""
    return start_bounded(
        fn, *args, label=label, seconds=seconds, memory_mb=memory_mb, **kwargs
    ).result()
