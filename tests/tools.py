"""System PDF tools for tests: skip when missing on a workstation, fail when missing in CI."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_tool(name: str) -> str:
    """Path of ``name``; skips the test without it, except under CI=true where it fails."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed (Debian: poppler-utils / qpdf); .ci/run installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return path


def run_tool(*args: str) -> str:
    """Run a PDF tool and return its stdout (fails the test on a non-zero exit)."""
    tool = require_tool(args[0])
    done = subprocess.run([tool, *args[1:]], capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stderr}"
    return done.stdout
