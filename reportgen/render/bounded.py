"""Run a rendering step in a child process with a time limit and a memory limit."""

from __future__ import annotations

import multiprocessing as mp
import resource
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from reportgen.errors import BuildError, Problem, ReportgenError
from reportgen.procs import die_with_parent


def _child(
    conn: Connection,
    memory_mb: int,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    die_with_parent()
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
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


def run_bounded(
    fn: Callable[..., Any], *args: Any, label: str, seconds: float, memory_mb: int, **kwargs: Any
) -> Any:
    """``fn(*args, **kwargs)`` in a forked child; a runaway input ends in a clear BuildError."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(child, memory_mb, fn, args, kwargs), daemon=True)
    process.start()
    child.close()
    try:
        if not parent.poll(seconds):
            raise BuildError(
                [
                    Problem(
                        label,
                        None,
                        None,
                        f"rendering took longer than {seconds:g} s and was stopped; "
                        "a pathological input (e.g. a huge table) is likely",
                    )
                ]
            )
        try:
            status, payload = parent.recv()
        except EOFError:
            status, payload = "died", None
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        parent.close()
    if status == "ok":
        return payload
    if status == "error":
        raise BuildError(payload)
    if status in ("memory", "died"):
        raise BuildError(
            [
                Problem(
                    label,
                    None,
                    None,
                    f"rendering needed more than {memory_mb} MB of memory and was "
                    "stopped; a pathological input (e.g. a huge table) is likely",
                )
            ]
        )
    raise RuntimeError(f"rendering crashed in its worker: {payload}")
