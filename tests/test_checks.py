"""`reportgen check`: published values against computed ones, and the CLI on broken input."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from reportgen.checks import find_mismatches
from reportgen.data.dataset import load_dataset

REPO_DATA = Path(__file__).resolve().parents[1] / "data"
PRICING = "data/market/llm_pricing.csv"
BLENDED = "blended_3_1_usd_published"
IO = "io_ratio_published"

Cli = Callable[[list[str], Path], Result]


def file_line(path: Path, startswith: str) -> int:
    """The 1-based line of the only line in ``path`` starting with ``startswith``."""
    hits = [
        i + 1
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines())
        if line.startswith(startswith)
    ]
    assert len(hits) == 1, hits
    return hits[0]


def pricing_row(model: str) -> str:
    """The row prefix of a model in llm_pricing.csv: 'row,region,provider,model,'."""
    for line in (REPO_DATA / "market/llm_pricing.csv").read_text(encoding="utf-8").splitlines():
        cells = line.split(",")
        if len(cells) > 3 and cells[3] == model:
            return ",".join(cells[:4]) + ","
    raise AssertionError(model)


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# --- find_mismatches on the real data --------------------------------------------------------


def test_real_data_reports_exactly_the_known_source_mismatches() -> None:
    # The pricing matrix's own mismatches (other tables' are pinned in their own tests).
    found = [m for m in find_mismatches(load_dataset(REPO_DATA)) if m.path == PRICING]
    got = {(m.path, m.row, m.column, m.published, round(m.computed, 4)) for m in found}
    assert got == {
        (PRICING, "MiniMax-M2.7", BLENDED, 0.625, 0.525),
        (PRICING, "MiniMax-M2.5", BLENDED, 0.625, 0.525),
        (PRICING, "MiniMax-M2", BLENDED, 0.625, 0.525),
        (PRICING, "GPT-5.5 Pro (Long Context)", BLENDED, 112.5, 137.5),
        (PRICING, "GPT-5.5 Pro (Long Context)", IO, 4.5, 6.1667),
    }
    assert len(found) == 5


def test_real_mismatches_carry_the_file_line_of_their_row() -> None:
    path = REPO_DATA / "market/llm_pricing.csv"
    for m in find_mismatches(load_dataset(REPO_DATA)):
        if m.path == PRICING:
            assert m.line == file_line(path, pricing_row(m.row)), m


def test_differences_within_printed_rounding_are_not_reported() -> None:
    ds = load_dataset(REPO_DATA)
    pricing = ds.table("llm_pricing")
    lite = pricing.loc[pricing["model"] == "doubao-seed-2.0-lite Input (0_32)"].iloc[0]
    # The source printed 6.00 from RMB prices rounded to the cent; 0.53 / 0.09 is 5.89 ...
    assert lite[IO] == 6.0
    assert lite["io_ratio"] == pytest.approx(5.8889, abs=1e-4)
    # ... which the half-cent interval around each printed price allows, so it is not listed.
    assert lite["io_ratio_low"] <= 6.0 <= lite["io_ratio_high"]
    rows = {m.row for m in find_mismatches(ds)}
    assert not any(r.startswith("doubao-seed-2.0-lite") for r in rows)


def test_mismatch_message_names_file_line_row_published_and_computed() -> None:
    found = find_mismatches(load_dataset(REPO_DATA))
    io = next(m for m in found if m.column == IO)
    assert str(io).startswith(
        f"{PRICING}:{io.line}: GPT-5.5 Pro (Long Context): column '{IO}': "
        "published 4.5, computed 6.16667"
    )


# --- planted mismatches through the CLI ------------------------------------------------------


def plant_blended(root: Path, model: str, value: str) -> int:
    """Set the published blended price of one model; return its file line."""
    path = root / "data/market/llm_pricing.csv"
    prefix = pricing_row(model)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = next(line for line in lines if line.startswith("row,")).rstrip("\n").split(",")
    at = file_line(path, prefix) - 1
    cells = lines[at].rstrip("\n").split(",")
    cells[header.index(BLENDED)] = value
    lines[at] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def test_check_lists_a_planted_mismatch(project_copy: Path, cli: Cli) -> None:
    line = plant_blended(project_copy, "DeepSeek V4 Pro", "2.5000")
    result = cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert (
        f"mismatch: {PRICING}:{line}: DeepSeek V4 Pro: column '{BLENDED}': "
        "published 2.5, computed 2.175" in result.output
    )
    baseline = len(find_mismatches(load_dataset(REPO_DATA)))
    assert f"{baseline + 1} published value(s) differ" in result.output


def test_check_ignores_a_value_within_the_rounding_interval(project_copy: Path, cli: Cli) -> None:
    # 1.74 and 3.48 stand for [1.735, 1.745] and [3.475, 3.485]: blended in [2.170, 2.180].
    plant_blended(project_copy, "DeepSeek V4 Pro", "2.1790")
    result = cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert "DeepSeek V4 Pro:" not in result.output
    baseline = len(find_mismatches(load_dataset(REPO_DATA)))
    assert f"{baseline} published value(s) differ" in result.output


def test_check_never_modifies_the_data(project_copy: Path, cli: Cli) -> None:
    plant_blended(project_copy, "DeepSeek V4 Pro", "2.5000")
    before = snapshot(project_copy)
    result = cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert "mismatch:" in result.output
    assert snapshot(project_copy) == before


# --- the CLI on broken input: exit 2, located messages, no traceback -------------------------


def break_input_price(root: Path) -> int:
    path = root / "data/market/llm_pricing.csv"
    prefix = pricing_row("Kimi K2.6")
    text = path.read_text(encoding="utf-8")
    old = prefix + "Y,Y,0.95,"
    assert text.count(old) == 1
    path.write_text(text.replace(old, prefix + "Y,Y,abc,"), encoding="utf-8")
    return file_line(path, prefix)


@pytest.mark.parametrize("command", [["check"], ["build"]])
def test_broken_input_exits_2_with_located_messages(
    project_copy: Path, cli: Cli, command: list[str]
) -> None:
    line = break_input_price(project_copy)
    result = cli(command, project_copy)
    assert result.exit_code == 2, result.output
    assert (
        f"error: {PRICING}:{line}: column 'input_usd': 'abc' is not a number; expected"
        in result.stderr
    )
    assert "1 problem found; nothing was changed." in result.stderr
    assert "Traceback" not in result.output


def test_broken_build_writes_no_output(project_copy: Path, cli: Cli) -> None:
    break_input_price(project_copy)
    before = snapshot(project_copy / "data"), snapshot(project_copy / "templates")
    result = cli(["build"], project_copy)
    assert result.exit_code == 2, result.output
    assert (snapshot(project_copy / "data"), snapshot(project_copy / "templates")) == before
    for folder in ("build", "figures"):
        written = [p for p in (project_copy / folder).rglob("*") if p.is_file()]
        assert written == [], written


def test_all_problems_are_listed_by_the_cli(project_copy: Path, cli: Cli) -> None:
    line = break_input_price(project_copy)
    promos = project_copy / "data/market/llm_promotions.csv"
    promos.write_text(
        promos.read_text(encoding="utf-8").replace("DeepSeek V4 Pro,75,", "DeepSeek V4 Pro,x,"),
        encoding="utf-8",
    )
    promo_line = file_line(promos, "DeepSeek V4 Pro,")
    result = cli(["check"], project_copy)
    assert result.exit_code == 2
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 2, errors
    assert errors[0].startswith(
        f"error: {PRICING}:{line}: column 'input_usd': 'abc' is not a number; expected"
    )
    assert errors[1].startswith(
        f"error: data/market/llm_promotions.csv:{promo_line}: column 'discount_pct': "
        "'x' is not a number; expected"
    )
    assert "2 problems found" in result.stderr


@pytest.mark.parametrize("command", [["check"], ["build"]])
def test_debug_shows_the_traceback(project_copy: Path, cli: Cli, command: list[str]) -> None:
    break_input_price(project_copy)
    result = cli(["--debug", *command], project_copy)
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.stderr
    assert "DataError" in result.stderr
    assert "error: data/market/llm_pricing.csv:" in result.stderr
