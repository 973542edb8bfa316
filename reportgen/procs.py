"""Child processes: how they start (never a plain fork by default) and that they die with
their parent, so a killed build leaves no worker writing behind it."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing as mp
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from multiprocessing.context import ForkContext, ForkServerContext, SpawnContext

    #: The context of one start method (typeshed's BaseContext declares no Process class).
    StartContext = ForkContext | ForkServerContext | SpawnContext

PR_SET_PDEATHSIG = 1
#: How every child process reportgen starts (build workers, the bounded renderer) starts.
#: None: the policy of ``start_method`` (a plain fork is unsafe once threads run, as in
#: ``serve``, absent on Windows and unsafe on macOS). Tests set "spawn" to prove a child needs
#: nothing inherited, or "fork" so that their monkeypatches reach the children.
START_METHOD: str | None = None
#: The process whose fork server ``context`` started. A process forked from it inherits this
#: record but cannot use that server (multiprocessing checks the server with waitpid, which
#: only its parent may call): its children are spawned instead.
_server_owner: int | None = None


def start_method(override: str | None = None) -> str:
    """``override``, else START_METHOD, else forkserver on Linux (a fresh interpreter that
    imports the code once and forks the children), else spawn."""
    if override is not None:
        return override
    if START_METHOD is not None:
        return START_METHOD
    linux = sys.platform.startswith("linux")
    return "forkserver" if linux and "forkserver" in mp.get_all_start_methods() else "spawn"


def context(preload: Sequence[str], override: str | None = None) -> StartContext:
    """The multiprocessing context children start with; a fork server (one per process,
    kept for its life) is started now if none runs, importing ``preload`` before it forks,
    so the children do not import it each. The first caller's ``preload`` is the one used."""
    global _server_owner
    method = start_method(override)
    if method == "forkserver" and _server_owner not in (None, os.getpid()):
        method = "spawn"  # forked from the server's owner (a test forcing fork, a user's pool)
    ctx = cast("StartContext", mp.get_context(method))  # a start method's own context
    if method == "forkserver":
        from multiprocessing import forkserver

        forkserver.set_forkserver_preload(list(preload))
        forkserver.ensure_running()
        _server_owner = os.getpid()
    return ctx


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def exit_with(pid: int, poll_seconds: float = 0.5) -> None:
    """Exit this process at once when process ``pid`` (the build that started it) ends.

    A worker from a fork server is the server's child, not the build's, and the server itself
    lives as long as any worker holds its pipe, so die_with_parent cannot see the build die:
    a daemon thread watches the build instead (a pidfd where Linux has one, else a poll).
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])  # readable once the process has ended
            os._exit(1)
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass  # alive, owned by someone else
            time.sleep(poll_seconds)

    threading.Thread(target=watch, name="reportgen-exit-with-build", daemon=True).start()
