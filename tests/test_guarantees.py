"""Process-level guarantees: killed builds lose nothing, builds queue, same inputs same bytes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pikepdf
from pypdf import PdfReader

from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[1]
SLUG = "deepseek-v4-pricing"

# Run the real CLI in a child process; os.replace is slowed for the PDF so the test can kill
# the build while the new PDF sits fully written in its temporary file, not yet renamed. The
# slowdown is a sitecustomize module, so it is in force in every interpreter the build starts
# (its workers come from a fork server or are spawned: nothing is inherited from the CLI).
SLOW_RENAME = """
import os, time
real = os.replace
def slow(src, dst, *args, **kwargs):
    if str(dst).endswith(".pdf") and os.environ.get("REPORTGEN_TEST_MARK"):
        open(os.environ["REPORTGEN_TEST_MARK"], "w").close()
        time.sleep(300)
    return real(src, dst, *args, **kwargs)
os.replace = slow
"""


def processes_with(value: str) -> list[int]:
    """Pids of the processes whose environment holds ``value`` (Linux /proc; none elsewhere)."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if value.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def copy_project(dest: Path) -> Path:
    copy_sample(dest)
    return dest


def build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "reportgen.cli",
            "--project",
            str(root),
            "build",
            "-q",
            SLUG,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env(),
        timeout=600,
        check=False,
    )


def set_v4_input(root: Path, price: str) -> None:
    path = root / "data/market/llm_pricing.csv"
    text = path.read_text(encoding="utf-8")
    old = "1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,1.74,"
    path.write_text(
        text.replace(old, f"1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,{price},"), encoding="utf-8"
    )


def test_a_build_killed_mid_write_leaves_the_previous_pdf_intact(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    assert build(root).returncode == 0
    pdf = root / "build" / f"{SLUG}.pdf"
    before = pdf.read_bytes()
    set_v4_input(root, "1.90")
    mark = tmp_path / "mark"
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SLOW_RENAME, encoding="utf-8")
    child = subprocess.Popen(
        [sys.executable, "-m", "reportgen.cli", "--project", str(root), "build", "-q", SLUG],
        env={**env(), "PYTHONPATH": f"{site}{os.pathsep}{REPO}", "REPORTGEN_TEST_MARK": str(mark)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while not mark.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.1)
    assert mark.exists(), "the build never reached the PDF rename"
    strays = list((root / "build").glob("*.reportgen-tmp"))
    assert strays and strays[0].stat().st_size > 0  # the new PDF, fully written, not renamed
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    # The worker that was writing dies with the build: no orphan renames the PDF later.
    deadline = time.monotonic() + 20
    while (left := processes_with(str(mark))) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not left, f"processes of the killed build still run: {left}"
    assert pdf.read_bytes() == before
    with pikepdf.open(pdf) as doc:
        assert len(doc.pages) >= 5
    # The next build cleans the stray temporary file and publishes the new number.
    assert build(root).returncode == 0
    assert not list((root / "build").glob("*.reportgen-tmp"))
    text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
    assert "US$1.90" in text


def test_two_builds_at_once_queue_on_the_lock(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    cmd = [sys.executable, "-m", "reportgen.cli", "--project", str(root), "build", "-q", SLUG]
    first = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(0.5)
    second = subprocess.Popen(
        cmd, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    out1, err1 = first.communicate(timeout=600)
    out2, err2 = second.communicate(timeout=600)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert "another build of this project is running" in err1 + err2
    with pikepdf.open(root / "build" / f"{SLUG}.pdf") as doc:
        assert len(doc.pages) >= 5


def test_same_inputs_give_the_same_bytes_in_separate_processes(tmp_path: Path) -> None:
    a = copy_project(tmp_path / "first clone")
    b = copy_project(tmp_path / "second")
    assert build(a).returncode == 0
    assert build(b).returncode == 0
    # Every file under build/ (the tables' workbooks in build/<slug>/ too) and every chart.
    outputs = sorted(
        p.relative_to(a)
        for p in [*(a / "build").rglob("*"), *(a / "figures").rglob("*.svg")]
        if p.is_file()
    )
    assert len(outputs) >= 10
    for rel in outputs:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_a_failed_build_leaves_previous_outputs_untouched(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    assert build(root).returncode == 0
    snapshot = {
        p: p.read_bytes()
        for p in [*(root / "build").iterdir(), *(root / "figures").rglob("*")]
        if p.is_file()
    }
    set_v4_input(root, "abc")
    result = build(root)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    after = {
        p: p.read_bytes()
        for p in [*(root / "build").iterdir(), *(root / "figures").rglob("*")]
        if p.is_file()
    }
    assert after == snapshot


def test_pdf_metadata_comes_from_the_report_definition(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "p")
    assert build(root).returncode == 0
    with pikepdf.open(root / "build" / f"{SLUG}.pdf") as doc:
        info = doc.docinfo
        assert str(info["/Title"]).startswith("DeepSeek V4 pricing")
        assert str(info["/Author"]) == "Alex Morgan, Jordan Lee"
        assert "Day-0" in str(info["/Keywords"])
        assert str(info["/Subject"]).startswith("An extended V4-Pro promotion")
        assert str(info["/CreationDate"]).startswith("D:20260501")
        assert str(doc.Root.Lang) == "en"
        outline = [item.title for item in doc.open_outline().root]
        assert outline[0].startswith("DeepSeek V4 pricing") and "Disclosures" in outline
