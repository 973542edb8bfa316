"""load_dataset: the whole data/ folder, cross-file references, and collect-then-abort."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reportgen.data.dataset import load_dataset
from reportgen.errors import DataError, Problem

REPO_DATA = Path(__file__).resolve().parents[2] / "data"
MATRIX = "data/market/day0_matrix.csv"
PROMOS = "data/market/llm_promotions.csv"
PRICING = "data/market/llm_pricing.csv"


def replace_once(path: Path, old: str, new: str) -> int:
    """Replace text that occurs exactly once; return the 1-based line where it starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    at = text.index(old)
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text.count("\n", 0, at) + 1


def problems_for(root: Path) -> list[Problem]:
    with pytest.raises(DataError) as exc:
        load_dataset(root / "data")
    return exc.value.problems


def only_problem(root: Path) -> Problem:
    problems = problems_for(root)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- the real data ---------------------------------------------------------------------------


def test_real_data_loads() -> None:
    ds = load_dataset(REPO_DATA)
    assert {"llm_pricing", "llm_promotions", "day0_matrix", "day0"} <= set(ds.names)
    assert ds.files["llm_pricing"] == PRICING
    assert ds.day0_catalogue.as_of == dt.date(2026, 5, 1)
    pricing = ds.table("llm_pricing")
    v4 = pricing.loc[pricing["model"] == "DeepSeek V4 Pro"].iloc[0]
    assert v4["blended_3_1_usd"] == pytest.approx((3 * 1.74 + 3.48) / 4)
    assert v4["io_ratio"] == pytest.approx(2.0)


def test_day0_long_form_has_one_row_per_vendor_and_model() -> None:
    ds = load_dataset(REPO_DATA)
    wide, long = ds.table("day0_matrix"), ds.table("day0")
    models = [c for c in wide.columns if c not in ("_line", "vendor")]
    assert len(long) == len(wide) * len(models)
    cell = long[(long["vendor"] == "Biren") & (long["model"] == "DeepSeek V4 Pro")].iloc[0]
    assert cell["status"] == "Day-0*"
    assert cell["family"] == "DeepSeek V4"


def test_tables_are_handed_out_as_copies() -> None:
    ds = load_dataset(REPO_DATA)
    first = ds.table("llm_pricing")
    first.loc[:, "input_usd"] = -1.0
    assert (ds.table("llm_pricing")["input_usd"] >= 0).all()


def test_missing_file_is_reported(project_copy: Path) -> None:
    (project_copy / "data/market/llm_promotions.csv").unlink()
    problem = only_problem(project_copy)
    assert problem.path == PROMOS
    assert "file not found" in problem.message


# --- Day-0 matrix against its catalogue ------------------------------------------------------


def test_unknown_vendor_in_day0_matrix(project_copy: Path) -> None:
    line = replace_once(project_copy / MATRIX, "\nBiren,", "\nBiren Tech,") + 1
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (MATRIX, line, "vendor")
    assert "unknown vendor 'Biren Tech' (not in market/day0.yaml)" in problem.message
    assert "known: Huawei Ascend, Cambricon" in problem.message


def test_unknown_model_column_in_day0_matrix(project_copy: Path) -> None:
    line = replace_once(project_copy / MATRIX, "vendor,DeepSeek V4 Pro,", "vendor,DeepSeek V5,")
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (MATRIX, line, "DeepSeek V5")
    assert "unknown model (not in market/day0.yaml)" in problem.message


def test_unknown_status_value_in_day0_cell(project_copy: Path) -> None:
    line = replace_once(project_copy / MATRIX, "\nBiren,Day-0*,", "\nBiren,Day-1,") + 1
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (MATRIX, line, "DeepSeek V4 Pro")
    assert "'Day-1' is not one of: Day-0, Day-0*" in problem.message


def test_status_catalogue_drives_the_allowed_cells(project_copy: Path) -> None:
    replace_once(
        project_copy / "data/market/day0.yaml",
        "statuses:\n",
        "statuses:\n  Day-1: Support published the day after release\n",
    )
    replace_once(project_copy / MATRIX, "\nBiren,Day-0*,", "\nBiren,Day-1,")
    assert load_dataset(project_copy / "data").table("day0")["status"].eq("Day-1").sum() == 1


def test_duplicate_vendor_row_in_day0_matrix(project_copy: Path) -> None:
    path = project_copy / MATRIX
    first = replace_once(path, "\nT-Head,", "\nT-Head,") + 1
    with path.open("a", encoding="utf-8") as f:
        f.write("T-Head" + "," * 12 + "\n")
    last = len(path.read_text(encoding="utf-8").splitlines())
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (MATRIX, last, "vendor")
    assert f"duplicate key 'T-Head' (first on line {first})" in problem.message


def test_duplicate_key_in_day0_catalogue_names_both_lines(project_copy: Path) -> None:
    path = project_copy / "data/market/day0.yaml"
    first = replace_once(path, "\nsource:", "\nsource:") + 1
    with path.open("a", encoding="utf-8") as f:
        f.write("source: again\n")
    last = len(path.read_text(encoding="utf-8").splitlines())
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == ("data/market/day0.yaml", last, "source")
    assert f"first defined on line {first}" in problem.message


# --- promotions against the pricing table ----------------------------------------------------


def test_promotion_for_a_model_not_in_the_pricing_table(project_copy: Path) -> None:
    line = replace_once(project_copy / PROMOS, "\nDeepSeek V4 Pro,75,", "\nDeepSeek V9,75,") + 1
    problem = only_problem(project_copy)
    assert (problem.path, problem.line, problem.column) == (PROMOS, line, "model")
    assert "unknown model 'DeepSeek V9': not in market/llm_pricing.csv" in problem.message


# --- collect, then abort once ----------------------------------------------------------------


def test_problems_in_different_files_are_all_reported_in_one_run(project_copy: Path) -> None:
    data = project_copy / "data/market"
    a = (
        replace_once(
            data / "llm_pricing.csv",
            "\n1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,1.74,",
            "\n1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,abc,",
        )
        + 1
    )
    b = replace_once(data / "llm_promotions.csv", "\nDeepSeek V4 Pro,75,", "\nDeepSeek V4 Pro,-5,")
    c = replace_once(data / "china_ai_shipments.csv", "\n2025,Nvidia,2.2,", "\n2025,Nvidia,lots,")
    d = replace_once(data / "day0_matrix.csv", "\nBiren,", "\nBiren Tech,")
    e = replace_once(data / "gpgpu_market.csv", "\ncagr,total,", "\ncagr,everything,")
    located = {(p.path, p.line, p.column) for p in problems_for(project_copy)}
    assert located == {
        (PRICING, a, "input_usd"),
        (PROMOS, b + 1, "discount_pct"),
        ("data/market/china_ai_shipments.csv", c + 1, "units_mn"),
        (MATRIX, d + 1, "vendor"),
        ("data/market/gpgpu_market.csv", e + 1, "segment"),
    }


def test_bad_status_does_not_hide_an_unknown_vendor_in_the_same_file(project_copy: Path) -> None:
    status = replace_once(project_copy / MATRIX, "\nBiren,Day-0*,", "\nBiren,Day-1,") + 1
    vendor = replace_once(project_copy / MATRIX, "\nT-Head,", "\nT-Head Inc,") + 1
    located = {(p.line, p.column) for p in problems_for(project_copy)}
    assert located == {(status, "DeepSeek V4 Pro"), (vendor, "vendor")}


def test_unrelated_broken_file_does_not_hide_an_unknown_promotion_model(
    project_copy: Path,
) -> None:
    data = project_copy / "data/market"
    c = replace_once(data / "china_ai_shipments.csv", "\n2025,Nvidia,2.2,", "\n2025,Nvidia,lots,")
    p = replace_once(data / "llm_promotions.csv", "\nDeepSeek V4 Pro,75,", "\nDeepSeek V9,75,")
    located = {(pr.path, pr.line, pr.column) for pr in problems_for(project_copy)}
    assert located == {
        ("data/market/china_ai_shipments.csv", c + 1, "units_mn"),
        (PROMOS, p + 1, "model"),
    }
