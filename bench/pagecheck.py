"""What the page check costs (issue 10): a clean build of the five sample reports at this code
against the same at the commit before the issue (a script, not a test).

    python bench/pagecheck.py [--base 5c08077] [--runs 5] [--worktree PATH] [--jobs 0]

Each side builds its own project (its data/ and templates/ as of that code) in a temporary
copy with ``reportgen build --force -q`` in a fresh process, as ``make report`` runs it
(``--jobs 0``: one worker per core). The base code is checked out with ``git worktree add``
and imported through PYTHONPATH from a folder holding no other ``reportgen``; the current
side is this checkout's working tree. After one untimed warm-up build each (font subsets
cached, files in the page cache), the runs alternate between the sides, the order flipping
every round, so a slow minute on a shared machine hits both. Prints every run, the best and
the median of each side and their ratios; the target is a ratio of at most 1.15.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BASE = "5c08077"  # the last commit before issue 10's work
TARGET = 1.15


def git(*args: str, cwd: Path = REPO) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def base_tree(rev: str, path: Path) -> Path:
    """A checkout of ``rev`` at ``path`` (made with git worktree add unless already there)."""
    want = git("rev-parse", f"{rev}^{{commit}}")
    if path.is_dir():
        if git("rev-parse", "HEAD", cwd=path) != want:
            raise SystemExit(f"{path} holds another commit than {rev}; pass another --worktree")
        return path
    git("worktree", "add", "--detach", str(path), want)
    return path


def copy_project(tree: Path, dest: Path) -> Path:
    """The project inputs of ``tree`` (data and templates) in ``dest``."""
    shutil.copytree(tree / "data", dest / "data")
    # Templates moved into the package (reportgen/templates); older trees keep them at the top.
    templates = (
        tree / "templates" if (tree / "templates").is_dir() else tree / "reportgen" / "templates"
    )
    shutil.copytree(templates, dest / "templates")
    if (tree / "reportgen.yaml").is_file():
        shutil.copy2(tree / "reportgen.yaml", dest / "reportgen.yaml")
    return dest


def build(code: Path, root: Path, jobs: int) -> float:
    """`reportgen build --force -q` with the package from ``code``, in a fresh process; its
    wall time in seconds. The working folder is the project copy (no reportgen/ in it)."""
    command = [sys.executable, "-m", "reportgen.cli", "--project", str(root), "build"]
    start = time.perf_counter()
    done = subprocess.run(
        [*command, "--force", "-q", "--jobs", str(jobs)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"build with {code} failed:\n{done.stdout}{done.stderr}")
    return elapsed


def imported_from(code: Path, root: Path) -> Path:
    """Where `import reportgen` resolves under the environment build() uses (a check)."""
    done = subprocess.run(
        [sys.executable, "-c", "import reportgen; print(reportgen.__file__)"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(code)},
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=BASE, help="commit to compare with")
    parser.add_argument("--runs", type=int, default=5, help="timed builds per side")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: per core)")
    parser.add_argument(
        "--worktree",
        type=Path,
        default=Path(tempfile.gettempdir()) / f"reportgen-bench-{BASE}",
        help="where the base commit is checked out",
    )
    args = parser.parse_args()
    base = base_tree(args.base, args.worktree.resolve())
    head = git("rev-parse", "--short", "HEAD")
    dirty = " (plus uncommitted changes)" if git("status", "--porcelain", "--", "reportgen") else ""
    sides = {f"base {args.base}": base, f"current {head}{dirty}": REPO}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.platform()}"
    )
    times: dict[str, list[float]] = {name: [] for name in sides}
    with tempfile.TemporaryDirectory(prefix="reportgen-pagecheck-") as tmp:
        roots = {}
        for i, (name, code) in enumerate(sides.items()):
            root = copy_project(code, Path(tmp) / f"side{i}")
            found = imported_from(code, root)
            if found.resolve() != code.resolve():
                raise SystemExit(f"{name}: reportgen imports from {found}, not {code}")
            roots[name] = root
            warm = build(code, root, args.jobs)
            print(f"{name}: warm-up build {warm:.2f} s (not counted)")
        order = list(sides)
        for run in range(args.runs):
            for name in order if run % 2 == 0 else order[::-1]:
                seconds = build(sides[name], roots[name], args.jobs)
                times[name].append(seconds)
                print(f"run {run + 1}: {name}: {seconds:.2f} s", flush=True)
    (base_name, current_name) = order
    best = {n: min(t) for n, t in times.items()}
    median = {n: statistics.median(t) for n, t in times.items()}
    for name in order:
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"{name}: best {best[name]:.2f} s, median {median[name]:.2f} s ({runs})")
    ratio_best = best[current_name] / best[base_name]
    ratio_median = median[current_name] / median[base_name]
    verdict = "met" if max(ratio_best, ratio_median) <= TARGET else "NOT met"
    print(
        f"clean build, current / base: best {ratio_best:.3f} ({(ratio_best - 1) * 100:+.1f}%), "
        f"median {ratio_median:.3f} ({(ratio_median - 1) * 100:+.1f}%); "
        f"target at most {(TARGET - 1) * 100:+.0f}%: {verdict}"
    )


if __name__ == "__main__":
    main()
