"""The live preview against the real server: rebuild on a data edit, errors shown, reloads."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reportgen.project import PROJECT_FILE, Project
from tests.test_plan import edit, small_project

REPO = Path(__file__).resolve().parents[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.read().decode("utf-8")


def status(base: str) -> dict[str, object]:
    return json.loads(get(base + "__reportgen/status"))


def wait_for(base: str, version: int, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = status(base)
        if int(now["version"]) > version and not now["building"]:  # type: ignore[arg-type]
            return now
        time.sleep(0.2)
    raise AssertionError("the server did not rebuild in time")


@contextmanager
def serving(project: Project) -> Iterator[str]:
    """`reportgen serve` on ``project`` in its own process; yields the base URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reportgen.cli",
            "--project",
            str(project.root),
            "serve",
            "--port",
            "0",
            "--no-open",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        base = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if " on http://127.0.0.1:" in line:
                base = line.split(" on ", 1)[1].split(" ", 1)[0]
                break
            if process.poll() is not None:
                break
        assert base, "the server did not start"
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Project]]:
    project = small_project(tmp_path / "p")
    with serving(project) as base:
        yield base, project


def test_serve_rebuilds_on_a_data_edit_and_reports_errors(
    server: tuple[str, Project],
) -> None:
    base, project = server
    page = get(base + "build/alpha.html")
    assert "__reportgen/status" in page  # the reload script is injected when served ...
    built = (project.build / "alpha.html").read_text(encoding="utf-8")
    assert "__reportgen/status" not in built  # ... and never written into the report
    assert "41.3%" in page
    first = status(base)
    assert first["error"] is None

    edit(
        project.data / "market/china_ai_shipments.csv",
        "2025,Domestic vendors,1.65,",
        "2025,Domestic vendors,1.85,",
    )
    after = wait_for(base, int(first["version"]))  # type: ignore[arg-type]
    assert after["error"] is None
    assert "46.3%" in get(base + "build/alpha.html")

    edit(
        project.data / "market/china_ai_shipments.csv",
        "2025,Domestic vendors,1.85,",
        "2025,Domestic vendors,lots,",
    )
    broken = wait_for(base, int(after["version"]))  # type: ignore[arg-type]
    assert "data/market/china_ai_shipments.csv:9: column 'units_mn'" in str(broken["error"])
    assert "46.3%" in get(base + "build/alpha.html")  # the last good build is still served

    edit(
        project.data / "market/china_ai_shipments.csv",
        "2025,Domestic vendors,lots,",
        "2025,Domestic vendors,1.65,",
    )
    fixed = wait_for(base, int(broken["version"]))  # type: ignore[arg-type]
    assert fixed["error"] is None
    assert "41.3%" in get(base + "build/alpha.html")


def test_serve_refuses_paths_outside_build(server: tuple[str, Project]) -> None:
    base, _ = server
    for path in (
        "build/../data/house.yaml",
        "build/%2e%2e/data/house.yaml",
        "data/house.yaml",
        "templates/fonts/../css/report.css",
        "templates/fonts/%2e%2e/css/report.css",
        "templates/fonts/README.md",
        "templates/css/report.css",
    ):
        with pytest.raises(urllib.error.HTTPError) as info:
            get(base + path)
        assert info.value.code == 404


def test_serve_answers_only_its_own_host_and_names_no_version(
    server: tuple[str, Project],
) -> None:
    # The real `reportgen serve` process: a name that resolves to 127.0.0.1 (DNS rebinding)
    # gets nothing from build/, and no response names Python or http.server's version.
    base, _ = server
    port = int(base.rstrip("/").rsplit(":", 1)[1])
    for host, code in ((f"evil.example:{port}", 421), (f"localhost:{port}", 200)):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("GET", "/build/alpha.html", skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        body = response.read()
        conn.close()
        assert response.status == code, host
        assert response.getheader("Server") == "reportgen"
        assert ("41.3%" in body.decode("utf-8")) == (code == 200)


def test_warm_up_loads_what_a_rebuild_needs() -> None:
    # The preview warms up after its first build, so the first edit is not the slow one.
    code = (
        "import sys\n"
        "from reportgen.serve import warm_up\n"
        "heavy = ('matplotlib', 'weasyprint', 'pandas', 'reportgen.build')\n"
        "print(sum(name in sys.modules for name in heavy))\n"
        "warm_up()\n"
        "print(sum(name in sys.modules for name in heavy))\n"
        "print(sum(name.startswith('reportgen.figures.') for name in sys.modules) > 3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.split() == ["0", "4", "True"]


def test_serve_follows_a_new_templates_folder_and_the_project_file(tmp_path: Path) -> None:
    """A project on the package's templates: creating templates/ with one override while the
    server runs rebuilds with it; an edit of reportgen.yaml rebuilds too (here, turning off the
    module whose tables the reports read is an error; turning it back on fixes it)."""
    project = small_project(tmp_path / "p")
    shutil.rmtree(project.root / "templates")
    with serving(project) as base:
        first = status(base)
        assert first["error"] is None
        assert "Analysts of the house" not in get(base + "build/alpha.html")

        override = project.root / "templates" / "partials" / "analysts.html.j2"
        override.parent.mkdir(parents=True)
        override.write_text(
            '<div class="analysts"><h3>Analysts of the house</h3></div>\n', encoding="utf-8"
        )
        after = wait_for(base, int(first["version"]))  # type: ignore[arg-type]
        assert after["error"] is None
        if "Analysts of the house" not in get(base + "build/alpha.html"):
            # The folder appeared before its file: the next rebuild comes from the file.
            after = wait_for(base, int(after["version"]))  # type: ignore[arg-type]
        assert "Analysts of the house" in get(base + "build/alpha.html")

        config = project.root / PROJECT_FILE
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("modules: [ai_sector]", "modules: []"), encoding="utf-8")
        broken = wait_for(base, int(after["version"]))  # type: ignore[arg-type]
        assert "ai_sector" in str(broken["error"])

        config.write_text(text, encoding="utf-8")
        fixed = wait_for(base, int(broken["version"]))  # type: ignore[arg-type]
        assert fixed["error"] is None
