"""The type checker: mypy with the [tool.mypy] configuration of pyproject.toml is clean on
reportgen/ (a test, so `make test` runs it)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

from tests.tools import REPO


def test_mypy_is_clean_on_reportgen() -> None:
    if importlib.util.find_spec("mypy") is None:
        reason = "mypy is not installed (it is in the test extra: pip install -e '.[test]')"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml")],
        cwd=REPO,  # files = ["reportgen"] in the configuration is relative to it
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"mypy found problems:\n{done.stdout}{done.stderr}"
    assert done.stdout.startswith("Success: no issues found"), done.stdout
