"""Ratios printed beside the statements (growth, margins, turnover days, payout) recomputed.

Tolerance: a printed ratio is accepted when it lies in the range the rule takes over its
inputs' printed rounding (each input +/- half a unit of its row's last printed place),
widened by half a unit of the ratio's own last printed place; growth from a loss or zero
base is NM, so any number printed there is listed. The stated payout is compared with the
payout the model uses at the precision the source states it (whole percent).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from reportgen.checks import find_mismatches
from reportgen.checks import statements as st
from reportgen.checks.mismatch import Mismatch
from reportgen.data.dataset import load_dataset
from tests.conftest import run_cli

REPO_DATA = Path(__file__).resolve().parents[2] / "data"
RATIOS = "data/companies/iluvatar/ratios.csv"


def _line(item: str, values: dict[str, float], decimals: int, line: int) -> st.Line:
    return st.Line(item, values, decimals, "data/companies/x/t.csv", line)


def _plant(path: Path, key: str, column: str, value: str) -> int:
    """Set one cell of a company CSV (row by its first cell); return the row's file line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header_at = next(i for i, text in enumerate(lines) if not text.startswith("#"))
    header = lines[header_at].rstrip("\n").split(",")
    at = next(i for i, text in enumerate(lines) if text.split(",")[0] == key and i > header_at)
    cells = lines[at].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[at] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def test_growth_from_a_loss_is_nm_and_a_printed_number_there_is_listed() -> None:
    lines = {
        "net_sales": _line("net_sales", {"2025": -10.0, "2026E": 5.0}, 1, 3),
        "growth_revenue_pct_published": _line(
            "growth_revenue_pct_published", {"2026E": -150.0}, 1, 4
        ),
    }
    (m,) = st.rule_mismatches(st.STATEMENT_RULES, lines)
    assert (m.line, m.row, m.column, m.published) == (
        4,
        "growth_revenue_pct_published",
        "2026E",
        -150.0,
    )
    assert math.isnan(m.computed)
    assert "computed NM (growth from a loss or zero base (-10) is NM" in str(m)


def test_growth_from_a_zero_base_is_nm_too() -> None:
    lines = {
        "net_sales": _line("net_sales", {"2025": 0.0, "2026E": 5.0}, 1, 3),
        "growth_revenue_pct_published": _line("growth_revenue_pct_published", {"2026E": 0.0}, 1, 4),
    }
    (m,) = st.rule_mismatches(st.STATEMENT_RULES, lines)
    assert math.isnan(m.computed)


@pytest.mark.parametrize(
    ("printed", "listed"),
    [
        # 100 x (12.0 / 10.0 - 1) = 20.0; inputs +/-0.05 give [18.905, 21.106], widened
        # by half the printed 0.1: [18.855, 21.156]
        (21.1, False),
        (18.9, False),
        (21.2, True),
        (18.8, True),
    ],
)
def test_growth_on_a_positive_base_within_its_inputs_rounding(printed: float, listed: bool) -> None:
    lines = {
        "net_sales": _line("net_sales", {"2025": 10.0, "2026E": 12.0}, 1, 3),
        "growth_revenue_pct_published": _line(
            "growth_revenue_pct_published", {"2026E": printed}, 1, 4
        ),
    }
    found = st.rule_mismatches(st.STATEMENT_RULES, lines)
    assert bool(found) is listed
    if found:
        assert found[0].computed == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("printed", "listed"),
    [
        (320.0, False),  # 365 x 3,200.5 / 3,650.5 = 320.006
        (320.05, False),  # inputs' rounding gives [319.99, 320.02], widened by 0.05
        (320.2, True),
        (330.0, True),
    ],
)
def test_inventory_days_are_365_x_year_end_inventory_over_cost_of_sales(
    printed: float, listed: bool
) -> None:
    lines = {
        "inventory": _line("inventory", {"2027E": 3200.5}, 1, 3),
        "cogs": _line("cogs", {"2027E": -3650.5}, 1, 4),
        "inventory_turnover_days_published": _line(
            "inventory_turnover_days_published", {"2027E": printed}, 1, 5
        ),
    }
    found = st.rule_mismatches(st.STATEMENT_RULES, lines)
    assert bool(found) is listed
    if found:
        assert found[0].computed == pytest.approx(320.006, abs=1e-3)
        assert "365 x (inventory) / (|cogs|)" in found[0].tolerance


def test_check_lists_a_growth_printed_on_a_loss_base(project_copy: Path) -> None:
    # 2027E operating profit grows from the 2026E operating loss: printed "NA" in the sample,
    # so planting a number there is listed as NM.
    line = _plant(project_copy / RATIOS, "growth_operating_profits_pct_published", "2027E", "554.0")
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert (
        f"mismatch: {RATIOS}:{line}: growth_operating_profits_pct_published: column '2027E': "
        "published 554, computed NM (growth from a loss or zero base (-308.4) is NM"
    ) in result.output


def test_check_lists_planted_turnover_days(project_copy: Path) -> None:
    line = _plant(project_copy / RATIOS, "inventory_turnover_days_published", "2027E", "330.0")
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    assert (
        f"mismatch: {RATIOS}:{line}: inventory_turnover_days_published: column '2027E': "
        "published 330, computed 320.006 (= 365 x (inventory) / (|cogs|)"
    ) in result.output


def _payout(found: list[Mismatch]) -> list[Mismatch]:
    return [m for m in found if m.column == "payout_pct"]


def test_sample_payouts_are_within_the_stated_precision(project_copy: Path) -> None:
    # Iluvatar states 33% and its table needs 32.5%: the same at the whole percent stated.
    assert _payout(find_mismatches(load_dataset(project_copy / "data"))) == []


def test_a_fitted_payout_outside_the_stated_one_is_listed(project_copy: Path) -> None:
    path = project_copy / "data/companies/iluvatar/company.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  payout_pct_fitted: 32.5\n" in text
    path.write_text(text.replace("  payout_pct_fitted: 32.5\n", "  payout_pct_fitted: 30\n"))
    (m,) = _payout(find_mismatches(load_dataset(project_copy / "data")))
    stated = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("  payout_pct:"))
    assert (m.path, m.line, m.published, m.computed) == (
        "data/companies/iluvatar/company.yaml",
        stated,
        33.0,
        30.0,
    )
    assert "printed to 0 dp" in m.tolerance


def _driver(found: list[Mismatch], slug: str) -> list[Mismatch]:
    return [m for m in found if m.row == "driver_metric" and slug in m.path]


def test_a_driver_growth_within_its_inputs_rounding_is_not_listed() -> None:
    # Cambricon's gross profit growth: 51.2 = 16,009 / 10,588 - 1 and 29.9 = 20,801 / 16,009 - 1
    assert _driver(find_mismatches(load_dataset(REPO_DATA)), "cambricon") == []


def test_a_planted_driver_growth_is_listed_at_its_line(project_copy: Path) -> None:
    path = project_copy / "data/companies/cambricon/company.yaml"
    text = path.read_text(encoding="utf-8")
    old = "  values_published: {2025: 438.0, 2026: 195.5, 2027: 51.2, 2028: 29.9}\n"
    assert old in text
    path.write_text(text.replace(old, old.replace("2027: 51.2", "2027: 55.0")), encoding="utf-8")
    (m,) = _driver(find_mismatches(load_dataset(project_copy / "data")), "cambricon")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t == old.rstrip("\n"))
    assert (m.line, m.column, m.published) == (line, "values_published 2027E", 55.0)
    assert m.computed == pytest.approx(100 * (16009 / 10588 - 1))
    assert "gross profit growth, % YoY of gross_profit_rmb_mn" in m.tolerance
