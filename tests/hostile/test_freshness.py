"""Fresh means fresh: an input changed while a build runs leaves its report stale.

A build pauses (REPORTGEN_TEST_PAUSE, reportgen/build.py) after it has read every input and
before it records them; the test edits an input there, so there is no timing race. The old
code hashed the files when the task ended, so it recorded the second edit as built while the
PDF showed the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reportgen.build import PAUSE_ENV
from reportgen.deps import CHANGED, Reads, key_of, record, recording, watch
from reportgen.plan import MANIFEST_VERSION, make_plan, manifest_path
from reportgen.project import Project
from reportgen.render.verify import pdf_text
from tests.conftest import run_cli
from tests.test_plan import edit, small_project

REPO = Path(__file__).resolve().parents[2]
PRICES = "data/market/llm_pricing.csv"
ROW = "DeepSeek V4 Pro,Y,Y,"

GAMMA = """type: sector-note
title: Gamma
date: 2026-05-01
sector: Test sector
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Pricing
    prose: body.md
    exhibits:
      - id: v4-vs-overseas-flagships
        params: {subject: DeepSeek V4 Pro, peers: [Claude Opus 4.7]}
"""
BODY = 'V4 Pro input costs {{ market.model("DeepSeek V4 Pro").input | usd }}. Marker one.\n'


def gamma_project(root: Path) -> Project:
    """The real data and templates with one small report that cites a price and charts it."""
    project = small_project(root)
    for slug in ("alpha", "beta"):
        for path in (project.reports / slug).iterdir():
            path.unlink()
        (project.reports / slug).rmdir()
    folder = project.reports / "gamma"
    folder.mkdir()
    (folder / "report.yaml").write_text(GAMMA, encoding="utf-8")
    (folder / "summary.md").write_text("A short summary.\n", encoding="utf-8")
    (folder / "body.md").write_text(BODY, encoding="utf-8")
    return project


def set_price(project: Project, old: str, new: str) -> None:
    edit(project.root / PRICES, f"{ROW}{old},", f"{ROW}{new},")


def build_paused(project: Project, jobs: int, mid_build: Callable[[], None]) -> None:
    """`reportgen build` in its own process; ``mid_build`` runs while it is paused after
    reading its inputs and before recording them."""
    pause = project.root.parent / "pause"
    pause.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen.cli", "--project", str(project.root)]
        + ["build", "--jobs", str(jobs)],
        env={**os.environ, "PYTHONPATH": str(REPO), PAUSE_ENV: str(pause)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (pause / "gamma.paused").exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the build never reached its pause"
            time.sleep(0.02)
        mid_build()
    finally:
        (pause / "resume").touch()
        (pause / "gamma.resume").touch()
        out, err = process.communicate(timeout=120)
    assert process.returncode == 0, out + err


def html(project: Project) -> str:
    return (project.build / "gamma.html").read_text(encoding="utf-8")


# (what is edited, its first text, its second text, where the output shows it)
EDITS = {
    "data CSV": (PRICES, f"{ROW}1.80,", f"{ROW}1.90,", ("US$1.80", "US$1.90")),
    "prose": ("data/reports/gamma/body.md", "Marker one.", "Marker two.", None),
    "template": (
        "templates/partials/analysts.html.j2",
        "<h3>Analysts</h3>",
        "<h3>Authors</h3>",
        None,
    ),
    "CSS": ("templates/css/report.css", "House style for every report", "House style, two", None),
}


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "workers"])
@pytest.mark.parametrize("kind", list(EDITS))
def test_an_input_edited_mid_build_leaves_the_report_stale_and_the_next_build_shows_it(
    tmp_path: Path, kind: str, jobs: int
) -> None:
    project = gamma_project(tmp_path / "p")
    rel, first, second, shown = EDITS[kind]
    path = project.root / rel
    if kind == "data CSV":
        set_price(project, "1.74", "1.80")  # the first edit, made before the build
    build_paused(project, jobs, lambda: edit(path, first, second))

    # The build used the first edit, and says so: the report is stale, naming the file.
    page = html(project)
    old_text, new_text = shown or (first, second)
    assert old_text in page and new_text not in page
    plan = make_plan(project)
    # "changed", or "changed while the last build read it" for a file hashed before use
    assert any(r.startswith(f"{rel}: changed") for r in plan.stale["gamma"]), plan.stale
    status = run_cli(["status"], project.root)
    assert status.exit_code == 0, status.output
    assert "gamma" in status.output and rel in status.output

    # The next build rebuilds it, and its outputs show the second edit.
    done = run_cli(["build", "--jobs", str(jobs)], project.root)
    assert done.exit_code == 0, done.output
    page = html(project)
    assert new_text in page and old_text not in page
    if kind == "data CSV":
        text = pdf_text((project.build / "gamma.pdf").read_bytes())
        assert "US$1.90" in text and "US$1.80" not in text
    assert make_plan(project).nothing_to_do


def test_under_serve_an_edit_mid_build_is_built_next(tmp_path: Path) -> None:
    """The preview's rebuild reads the first edit; the second, made while it runs, is built by
    the rebuild after it (the record no longer calls the first build's output fresh)."""
    project = gamma_project(tmp_path / "p")
    assert run_cli(["build", "--jobs", "1"], project.root).exit_code == 0
    pause = tmp_path / "pause"
    pause.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen.cli", "--project", str(project.root)]
        + ["serve", "--port", "0", "--no-open"],
        env={**os.environ, "PYTHONPATH": str(REPO), PAUSE_ENV: str(pause)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        deadline = time.monotonic() + 120
        while " on http://127.0.0.1:" not in process.stderr.readline():
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
        set_price(project, "1.74", "1.80")
        while not (pause / "gamma.paused").exists():
            assert process.poll() is None and time.monotonic() < deadline, "no rebuild"
            time.sleep(0.02)
        set_price(project, "1.80", "1.90")  # while the rebuild that read 1.80 is running
        (pause / "gamma.resume").touch()
        while "US$1.90" not in html(project):
            assert process.poll() is None, "serve stopped"
            assert time.monotonic() < deadline, "the second edit was never built: " + (
                "US$1.80 shown" if "US$1.80" in html(project) else "?"
            )
            time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert "US$1.80" not in html(project)


def test_a_price_edited_mid_build_marks_the_chart_stale_too(tmp_path: Path) -> None:
    project = gamma_project(tmp_path / "p")
    set_price(project, "1.74", "1.80")
    build_paused(project, 2, lambda: set_price(project, "1.80", "1.90"))
    manifest = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    assert manifest["version"] == MANIFEST_VERSION
    chart = manifest["reports"]["gamma"]["exhibits"]["v4-vs-overseas-flagships"]
    drawn_from = (project.root / PRICES).read_bytes().replace(b"1.90,", b"1.80,", 1)
    assert chart["inputs"][PRICES] == hashlib.sha256(drawn_from).hexdigest()
    assert f"{PRICES}: changed" in make_plan(project).stale["gamma"]
    done = run_cli(["build", "--jobs", "2"], project.root)
    assert done.exit_code == 0, done.output
    manifest = json.loads(manifest_path(project).read_text(encoding="utf-8"))
    chart = manifest["reports"]["gamma"]["exhibits"]["v4-vs-overseas-flagships"]
    now = hashlib.sha256((project.root / PRICES).read_bytes()).hexdigest()
    assert chart["inputs"][PRICES] == now  # redrawn from the second edit


def test_an_old_manifest_rebuilds_everything(tmp_path: Path) -> None:
    project = gamma_project(tmp_path / "p")
    assert run_cli(["build", "--jobs", "1"], project.root).exit_code == 0
    path = manifest_path(project)
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["version"] = 1
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert make_plan(project).stale == {"gamma": ["new report (never built)"]}


def test_two_readings_that_disagree_record_a_value_no_hash_matches(tmp_path: Path) -> None:
    target = tmp_path / "prices.csv"
    target.write_bytes(b"a\n1\n")
    with recording() as reads:
        record(target, "one")
        record(target, "one")
    assert reads.settle() == {key_of(target): "one"}
    with recording() as reads:
        record(target, "one")
        record(target, "two")
    assert reads.settle() == {key_of(target): CHANGED}
    outer = Reads()
    outer.add(key_of(target), "one")
    inner = Reads()
    inner.add(key_of(target), "two")
    outer.merge(inner)
    assert outer.digests[key_of(target)] == CHANGED


def test_a_watched_file_changed_before_the_task_ends_is_recorded_as_changed(
    tmp_path: Path,
) -> None:
    font = tmp_path / "font.ttf"
    font.write_bytes(b"glyphs")
    with recording() as reads:
        watch([font, tmp_path])
    settled = reads.settle()
    assert CHANGED not in settled.values()
    assert set(settled) == {key_of(font), "dir:" + key_of(tmp_path)}
    with recording() as reads:
        watch([font, tmp_path])
        font.write_bytes(b"other glyphs")  # read by someone else meanwhile
        (tmp_path / "new.ttf").write_bytes(b"")
    assert reads.settle() == {key_of(font): CHANGED, "dir:" + key_of(tmp_path): CHANGED}


def test_the_dataset_records_the_bytes_it_loaded_not_the_file_as_it_is_later(
    project_copy: Path,
) -> None:
    from reportgen.data.dataset import load_dataset

    path = project_copy / PRICES
    loaded = path.read_bytes()
    ds = load_dataset(project_copy / "data")
    path.write_bytes(loaded.replace(b"DeepSeek V4 Pro,Y,Y,1.74,", b"DeepSeek V4 Pro,Y,Y,1.75,"))
    with recording() as reads:
        ds.table("llm_pricing")
    assert reads.settle()[key_of(path)] == hashlib.sha256(loaded).hexdigest()
    with recording() as reads:
        ds.companies["metax"]
    keys = reads.settle()
    assert "dir:" + key_of(project_copy / "data/companies/metax") in keys
    assert key_of(project_copy / "data/companies/metax/company.yaml") in keys


@pytest.mark.parametrize(
    ("name", "bad"),
    [("market/llm_pricing.csv", "DeepSeek V4 Pro,"), ("market/day0.yaml", "as_of:")],
)
def test_a_non_utf8_byte_is_located_at_its_line(project_copy: Path, name: str, bad: str) -> None:
    path = project_copy / "data" / name
    text = path.read_bytes()
    at = text.index(bad.encode())
    line = text.count(b"\n", 0, at) + 1
    byte = at - text.rfind(b"\n", 0, at)
    path.write_bytes(text[:at] + b"\xff" + text[at:])
    result = run_cli(["build"], project_copy)
    assert result.exit_code == 2, result.output
    assert f"data/{name}:{line}: not UTF-8 text: byte {byte} of the line is 0xff" in result.output
    assert "Traceback" not in result.output
