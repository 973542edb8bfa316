"""reportgen installs on its own: a wheel built from the source, installed into a fresh virtual
environment outside any checkout, makes a project with `reportgen new` that builds (through
its Makefile) and passes `reportgen check`; the PDFs read back. Nothing is written into the
checkout: the wheel is built from a copy of the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.tools import REPO, require_tool

#: What the wheel must carry besides code (package data, pyproject [tool.setuptools]).
PACKAGE_DATA = (
    "reportgen/templates/base.html.j2",
    "reportgen/templates/partials/table.html.j2",
    "reportgen/templates/css/report.css",
    "reportgen/templates/css/fonts.css.j2",
    "reportgen/templates/fonts/DejaVuSans.ttf",
    "reportgen/templates/fonts/NotoSansSC-Regular-GB2312.otf",
    "reportgen/templates/fonts/LICENSE_DEJAVU",
    "reportgen/skeleton/reportgen.yaml",
    "reportgen/skeleton/Makefile",
    "reportgen/skeleton/data/house.yaml",
    "reportgen/skeleton/data/companies/iluvatar/company.yaml",
    "reportgen/skeleton/data/reports/first-sector-note/report.yaml",
)


def run(args: list[str | Path], cwd: Path, env: dict[str, str], seconds: float) -> str:
    """Run a command to completion; fail the test with its output when it fails."""
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds,
        check=False,
    )
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def source_copy(dest: Path) -> Path:
    """The files a wheel is built from, copied out of the checkout (the build's own scratch
    folders, build/ and *.egg-info, then land in the copy)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(
        REPO / "reportgen", dest / "reportgen", ignore=shutil.ignore_patterns("__pycache__")
    )
    return dest


def clean_env(venv: Path) -> dict[str, str]:
    """The environment of a user of the fresh venv: its bin/ first, nothing of the checkout."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.mark.e2e
def test_an_installed_wheel_makes_a_project_that_builds_and_checks(tmp_path: Path) -> None:
    make = require_tool("make", package="make")
    times: dict[str, float] = {}
    start = time.perf_counter()
    wheels = tmp_path / "wheels"
    src = source_copy(tmp_path / "src")
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, src],
        tmp_path,
        dict(os.environ),
        600,
    )
    (wheel,) = wheels.glob("reportgen-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = archive.read(metadata).decode("utf-8")
    assert set(PACKAGE_DATA) <= names
    web = "reportgen/templates/fonts/web/"
    assert any(n.startswith(web) and n.endswith(".woff2") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for field in ("License-Expression: MIT", "Author: ", "Keywords: ", "Classifier: "):
        assert field in meta, field
    assert "Description-Content-Type: text/markdown" in meta
    times["wheel"] = time.perf_counter() - start

    # A plain virtual environment (no system site-packages), outside the checkout.
    venv = tmp_path / "venv"
    start = time.perf_counter()
    run([sys.executable, "-m", "venv", venv], tmp_path, dict(os.environ), 300)
    env = clean_env(venv)
    python = venv / "bin" / "python"
    run(
        [python, "-m", "pip", "install", "-q", "-c", REPO / "constraints.txt", wheel],
        tmp_path,
        env,
        1800,
    )
    times["install"] = time.perf_counter() - start
    where = run([python, "-c", "import reportgen; print(reportgen.__file__)"], tmp_path, env, 60)
    assert Path(where.strip()).is_relative_to(venv), where  # not the checkout's code

    work = tmp_path / "work"
    work.mkdir()
    start = time.perf_counter()
    reportgen = venv / "bin" / "reportgen"
    run([reportgen, "new", "proj"], work, env, 60)
    project = work / "proj"
    run([make, "report"], project, env, 900)
    checked = run([reportgen, "check"], project, env, 300)
    times["new, make report, check"] = time.perf_counter() - start
    assert "data valid" in checked

    for slug in ("iluvatar", "first-sector-note"):
        definition = (project / "data" / "reports" / slug / "report.yaml").read_text("utf-8")
        reader = PdfReader(project / "build" / f"{slug}.pdf")
        assert len(reader.pages) >= 1
        first_page = " ".join((reader.pages[0].extract_text() or "").split())
        assert yaml.safe_load(definition)["title"] in first_page, slug
    print("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
