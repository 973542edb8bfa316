"""Published differences acknowledged in the data with a reason; an analyst's update retiring a
company's transcribed values (the check of the source) so the house's own numbers publish."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.checks import find_mismatches
from reportgen.checks.acknowledged import (
    ACK_FILE,
    load_acknowledgements,
    review,
    unacknowledged,
)
from reportgen.data.dataset import load_dataset
from reportgen.errors import BuildError, DataError
from reportgen.models import company as cm
from reportgen.options import BuildOptions
from reportgen.project import Project
from reportgen.runner import run_build
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
PRICING = "data/market/llm_pricing.csv"
BLENDED = "blended_3_1_usd_published"
ACKS = f"data/{ACK_FILE}"
METAX = "data/companies/metax"


def line_of(path: Path, start: str) -> int:
    """1-based line of the first line of ``path`` starting with ``start``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.startswith(start))


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def append(path: Path, text: str) -> int:
    """Append ``text``; return the file line of its first line."""
    before = path.read_text(encoding="utf-8")
    path.write_text(before + text, encoding="utf-8")
    return before.count("\n") + 1


# --- the sample data --------------------------------------------------------------------


def test_every_sample_difference_is_acknowledged_with_a_reason() -> None:
    project = Project(REPO)
    ds = load_dataset(project.data)
    mismatches = find_mismatches(ds)
    found = review(project, ds, mismatches)
    assert found.unacknowledged == () and found.stale == () and found.retired == ()
    assert len(found.acknowledged) == len(mismatches) == 45
    assert all(len(ack.reason.split()) >= 10 for _, ack in found.acknowledged)
    # Each acknowledgement pins the value it accepts as printed.
    assert all(ack.published == m.published for m, ack in found.acknowledged)


def test_no_sample_report_reads_an_unacknowledged_difference() -> None:
    project = Project(REPO)
    ds = load_dataset(project.data)
    every_file = [m.path for m in find_mismatches(ds)]
    assert unacknowledged(project, ds, every_file) == []


# --- what a report read -----------------------------------------------------------------


def test_unacknowledged_differences_of_the_files_read_are_located(project_copy: Path) -> None:
    (project_copy / ACKS).unlink()
    project = Project(project_copy)
    ds = load_dataset(project.data)
    problems = unacknowledged(project, ds, [PRICING, "dir:data/companies/metax"])
    assert [(p.path, p.column) for p in problems] == [
        (PRICING, "output_usd_published"),
        (PRICING, BLENDED),
        (PRICING, BLENDED),
        (PRICING, BLENDED),
    ]
    minimax = problems[1]
    assert minimax.line == line_of(project_copy / PRICING, "4,China,MiniMax,MiniMax-M2.7,")
    assert minimax.message.startswith("MiniMax-M2.7: published 0.625 differs from computed 0.525")
    assert f"not acknowledged: add it to {ACKS} with a reason" in minimax.message
    # A report that read none of the files with differences has nothing to acknowledge.
    assert unacknowledged(project, ds, ["data/market/day0_matrix.csv"]) == []


def test_a_changed_printed_value_is_no_longer_covered(project_copy: Path) -> None:
    path = project_copy / PRICING
    replace(
        path,
        "MiniMax-M2.7,Y,Y,0.30,0.06,0.38,,1.20,0.6250",
        "MiniMax-M2.7,Y,Y,0.30,0.06,0.38,,1.20,0.7250",
    )
    project = Project(project_copy)
    problems = unacknowledged(project, load_dataset(project.data), [PRICING])
    assert [(p.path, p.column) for p in problems] == [(PRICING, BLENDED), (ACKS, "column")]
    assert "published 0.725 differs" in problems[0].message
    entry = line_of(project_copy / ACKS, "  row: MiniMax-M2.7") - 1
    assert problems[1].line == entry
    assert "acknowledges published 0.625" in problems[1].message
    assert "now print 0.725" in problems[1].message


def test_a_stale_acknowledgement_is_an_error_at_its_line(project_copy: Path) -> None:
    line = append(
        project_copy / ACKS,
        f"- file: {PRICING}\n  row: DeepSeek V4 Pro\n  column: {BLENDED}\n"
        "  reason: a difference the data no longer show\n",
    )
    project = Project(project_copy)
    (problem,) = unacknowledged(project, load_dataset(project.data), [PRICING])
    assert (problem.path, problem.line, problem.column) == (ACKS, line, "column")
    assert "stale acknowledgement" in problem.message and "remove the entry" in problem.message
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 2, result.output
    assert f"error: {ACKS}:{line}: column 'column': stale acknowledgement" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("entry", "line", "column", "words"),
    [
        (f"- file: {PRICING}\n  row: r\n  column: c\n", 1, "reason", "required key is missing"),
        (f"- file: {PRICING}\n  row: r\n  column: c\n  reason: ' '\n", 4, "reason", "a reason is"),
        (
            f"- file: {PRICING}\n  row: r\n  column: c\n  reason: x\n  why: y\n",
            5,
            "why",
            "unknown key; expected one of: file, row, column, published, reason",
        ),
        (
            f"- file: {PRICING}\n  row: r\n  column: [a, b]\n  published: [1]\n  reason: x\n",
            4,
            "published",
            "a list of 2 numbers",
        ),
        (f"- file: {PRICING}\n  row: r\n  column: []\n  reason: x\n", 3, "column", "column name"),
        ("- just a string\n", 1, None, "expected a mapping"),
        ("file: x\n", 1, None, "expected a list of entries"),
    ],
)
def test_a_malformed_entry_is_located(
    tmp_path: Path, entry: str, line: int, column: str | None, words: str
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / ACKS).write_text(entry, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_acknowledgements(Project(tmp_path))
    (problem,) = info.value.problems
    assert (problem.path, problem.line, problem.column) == (ACKS, line, column)
    assert words in problem.message


def test_a_difference_acknowledged_twice_is_located(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    one = f"- file: {PRICING}\n  row: r\n  column: [a, b]\n  reason: x\n"
    (tmp_path / ACKS).write_text(one + one.replace("[a, b]", "b"), encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_acknowledgements(Project(tmp_path))
    (problem,) = info.value.problems
    assert problem.line == 5 and "acknowledged twice (first on line 1)" in problem.message


def test_check_lists_acknowledged_differences_apart(project_copy: Path) -> None:
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert not [x for x in lines if x.startswith("mismatch:")]
    acknowledged = [x for x in lines if x.startswith("acknowledged:")]
    assert len(acknowledged) == 45
    minimax = next(x for x in acknowledged if "MiniMax-M2.7" in x)
    assert minimax.startswith(f"acknowledged: {PRICING}:")
    assert "published 0.625, computed 0.525" in minimax
    assert minimax.endswith(
        "(The source prints a blended 3:1 price of 0.6250, but its own "
        "input (0.30) and output (1.20) prices give (3 x 0.30 + 1.20) / 4 = "
        "0.525, as it prints for MiniMax-M2.1 at the same prices. Kept as "
        "printed; the sector note's matrix shades the row and gives both.)"
    )
    assert "45 acknowledged, 0 retired by an update, 0 not acknowledged" in result.output


# --- an analyst's own update --------------------------------------------------------------

RETIRE = (
    "transcribed:\n"
    "  source: seed 001, industry initiation dated 26 Apr 2026\n"
    "  retired: 2026-06-15\n"
    "  reason: our own update of the estimates, price target and scenario values\n"
)


def update_metax(root: Path) -> None:
    """As an analyst would: a new target and scenario values, new 2027E-2028E estimates."""
    yaml = root / METAX / "company.yaml"
    replace(yaml, "price_target: 758\n", "price_target: 785\n")
    replace(yaml, "    value: 1500.00\n", "    value: 1550.00\n")
    replace(yaml, "    value: 758.00\n", "    value: 785.00\n")
    replace(yaml, "    value: 380.00\n", "    value: 390.00\n")
    inputs = root / METAX / "ri_inputs.csv"
    replace(inputs, "2027,533,13706,Ex 40\n", "2027,600,13773,house update\n")
    replace(inputs, "2028,1001,14706,Ex 40\n", "2028,1100,14873,house update\n")


def test_an_update_retires_the_transcribed_values(project_copy: Path) -> None:
    update_metax(project_copy)
    project = Project(project_copy)
    files = [f"{METAX}/{name}" for name in ("company.yaml", "ri_published.csv")]
    files.append(f"{METAX}/ri_summary_published.yaml")
    ds = load_dataset(project.data)
    problems = unacknowledged(project, ds, files)
    named = {(p.path, p.column) for p in problems}
    assert (f"{METAX}/company.yaml", "upside_pct_published") in named
    assert (f"{METAX}/ri_published.csv", "net_profit_mn") in named
    assert (f"{METAX}/ri_summary_published.yaml", "price_target") in named
    metax = ds.companies["metax"]
    assert cm.target_warning(metax, cm.value_company(metax), ds.root) is not None

    append(project_copy / METAX / "company.yaml", RETIRE)
    ds = load_dataset(project.data)
    assert unacknowledged(project, ds, files) == []
    metax = ds.companies["metax"]
    assert cm.target_warning(metax, cm.value_company(metax), ds.root) is None
    found = review(project, ds, find_mismatches(ds))
    assert len(found.retired) == len(problems)
    assert all(t.reason.startswith("our own update") for _, t in found.retired)
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert f"retired: {METAX}/ri_published.csv:" in result.output
    assert "(transcribed values retired 2026-06-15: our own update" in result.output


def test_a_retired_company_still_keeps_its_base_case_at_the_target(project_copy: Path) -> None:
    """The base case being the target is the house's rule, not a check of the source."""
    replace(project_copy / METAX / "company.yaml", "price_target: 758\n", "price_target: 785\n")
    append(project_copy / METAX / "company.yaml", RETIRE)
    project = Project(project_copy)
    problems = unacknowledged(project, load_dataset(project.data), [f"{METAX}/company.yaml"])
    assert [(p.column, p.message.split(":")[0]) for p in problems] == [("value", "scenarios.base")]


def test_a_strict_build_publishes_an_update_only_once_retired(project_copy: Path) -> None:
    update_metax(project_copy)
    project = Project(project_copy)
    before = sorted(p.name for p in project.build.glob("*")) if project.build.exists() else []
    with pytest.raises(BuildError) as info:
        run_build(project, ["metax"], BuildOptions(jobs=1, strict=True), lambda _m: None)
    named = {(p.path, p.column) for p in info.value.problems}
    assert (f"{METAX}/company.yaml", "price_target") in named  # model value vs target
    assert (f"{METAX}/company.yaml", "multiple_published") in named
    assert (f"{METAX}/ri_published.csv", "total_equity_mn") in named
    assert all(p.line for p in info.value.problems)
    assert before == (
        sorted(p.name for p in project.build.glob("*")) if project.build.exists() else []
    )

    append(project_copy / METAX / "company.yaml", RETIRE)
    summary = run_build(project, ["metax"], BuildOptions(jobs=1, strict=True), lambda _m: None)
    assert summary.built == ["metax"]
    text = " ".join(p.extract_text() or "" for p in PdfReader(project.build / "metax.pdf").pages)
    text = text.replace(" ", "")
    assert "Rmb785" in text and "Rmb1,550" in text and "Rmb390" in text
    assert "Rmb1,500" not in text
