"""Shared fixtures: a throwaway copy of the project, and the CLI run in-process."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reportgen.cli import main
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the sample project (with the package templates as its own) in tmp_path."""
    root = tmp_path / "project"
    return copy_sample(root)


def run_cli(args: Sequence[str], project_root: Path) -> Result:
    """Run `reportgen --project <root> <args...>` in-process; exceptions end up in the Result."""
    return CliRunner().invoke(main, ["--project", str(project_root), *args])


@pytest.fixture
def cli():
    """The run_cli helper as a fixture (no import from conftest needed)."""
    return run_cli
