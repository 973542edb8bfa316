"""The exhibit registry: reportgen's own entries, refused duplicates, plug-in layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reportgen.figures.registry import EXHIBITS, exhibit, get_exhibit, load_builders
from reportgen.project import Project
from tests.tools import copy_sample


def test_a_duplicate_among_reportgens_own_builders_is_a_programming_error() -> None:
    load_builders()

    def again(ds: Any, params: Any) -> Any:
        return None

    again.__module__ = "reportgen.figures.elsewhere"  # as if one of ours registered it
    with pytest.raises(ValueError, match="exhibit 'day0-matrix' registered twice"):
        exhibit("day0-matrix", kind="chart", title="t", source="s", tables=())(again)
    assert EXHIBITS["day0-matrix"].build is not again


def test_get_exhibit_with_a_project_shows_its_plugins(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p", templates=False)
    (root / "code").mkdir()
    (root / "code" / "mine.py").write_text(
        "from reportgen.figures.registry import exhibit\n\n"
        '@exhibit("mine", kind="table", title="Mine", source="s", tables=())\n'
        "def mine(ds, params):\n    return None\n",
        encoding="utf-8",
    )
    with (root / "reportgen.yaml").open("a", encoding="utf-8") as f:
        f.write("plugins: [code]\n")
    spec = get_exhibit("mine", Project(root))
    assert spec.title == "Mine" and "mine" not in EXHIBITS.own
    load_builders(Project(tmp_path))  # no project file there: no plug-ins shown
    assert "mine" not in EXHIBITS
