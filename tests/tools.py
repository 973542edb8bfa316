"""System tools for tests (PDF readers, a browser): skip if missing, but fail under CI."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def require_tool(name: str, *alternatives: str, package: str = "poppler-utils / qpdf") -> str:
    """Path of ``name`` (or an alternative); skips without it, except under CI=true: fails."""
    path = next((p for n in (name, *alternatives) if (p := shutil.which(n))), None)
    if path is None:
        reason = f"{name} is not installed (Debian: {package}); .ci/run installs it"
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


REPO = Path(__file__).resolve().parents[1]


def copy_sample(dest: Path, *, templates: bool = True) -> Path:
    """A copy of the sample project (data/ and reportgen.yaml) in ``dest``; with
    ``templates``, the package's templates too, as the project's own templates/ folder
    (which then overrides the package's, so a test may edit them)."""
    shutil.copytree(REPO / "data", dest / "data")
    shutil.copy2(REPO / "reportgen.yaml", dest / "reportgen.yaml")
    if templates:
        shutil.copytree(REPO / "reportgen" / "templates", dest / "templates")
    return dest
