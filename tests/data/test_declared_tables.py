"""Tables a project declares in reportgen.yaml, and a project with no market tables at all."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from reportgen.config import load_config
from reportgen.data.dataset import load_dataset
from reportgen.deps import key_of
from reportgen.errors import DataError, Problem
from reportgen.plan import make_plan
from reportgen.project import Project
from tests.conftest import run_cli

DEPOSITS = """\
# Deposits by bank, as a bank team would keep them (figures made up for the test).
bank,year,deposits_usd_mn,share_pct,as_of
Alpha Bank,2024,"1,234.5",12.5%,2025-03-31
Beta Bank,2024,(10.0),,2025-03-31
"""

TABLES = """\
tables:
  deposits:
    file: data/banks/deposits.csv
    description: Deposits by bank and year.
    key: [bank, year]
    columns:
      bank: {type: text}
      year: {type: year}
      deposits_usd_mn: {type: number, unit: US$ mn, required: true}
      share_pct: {type: number, unit: "%"}
      as_of: {type: date}
"""


def _declare(root: Path, tables: str = TABLES, csv: str | None = DEPOSITS) -> int:
    """Append ``tables`` to the project's reportgen.yaml (and write the CSV); return the line
    of the first table's name in reportgen.yaml."""
    config = root / "reportgen.yaml"
    before = config.read_text(encoding="utf-8")
    config.write_text(before + tables, encoding="utf-8")
    if csv is not None:
        (root / "data" / "banks").mkdir(exist_ok=True)
        (root / "data" / "banks" / "deposits.csv").write_text(csv, encoding="utf-8")
    return before.count("\n") + 2


def _problems(root: Path) -> list[Problem]:
    with pytest.raises(DataError) as exc:
        load_dataset(root / "data")
    return exc.value.problems


def test_a_declared_table_loads_typed_with_its_lines(project_copy: Path) -> None:
    _declare(project_copy)
    ds = load_dataset(project_copy / "data")
    frame = ds.table("deposits")
    assert list(frame["bank"]) == ["Alpha Bank", "Beta Bank"]
    assert list(frame["year"]) == [2024, 2024]
    # "1,234.5" and "(10.0)" read as numbers exactly; "12.5%" stays in percent units.
    assert frame["deposits_usd_mn"].tolist() == pytest.approx([1234.5, -10.0], abs=1e-12)
    assert frame["share_pct"].iloc[0] == pytest.approx(12.5, abs=1e-12)
    assert frame["share_pct"].isna().iloc[1]
    assert frame["as_of"].iloc[0] == dt.date(2025, 3, 31)
    assert list(frame["_line"]) == [3, 4]
    assert ds.files["deposits"] == "data/banks/deposits.csv"
    assert ds.schemas["deposits"].column("deposits_usd_mn").unit == "US$ mn"
    # A copy: changing it changes nothing another reader sees.
    frame.loc[0, "bank"] = "changed"
    assert ds.table("deposits")["bank"].iloc[0] == "Alpha Bank"
    # The module's tables load beside it (the sample enables ai_sector).
    assert "llm_pricing" in ds.names


def test_a_declared_table_records_its_file_and_the_project_file(project_copy: Path) -> None:
    _declare(project_copy)
    ds = load_dataset(project_copy / "data")
    read = set(ds.reads["deposits"])
    assert key_of(project_copy / "data" / "banks" / "deposits.csv") in read
    assert key_of(project_copy / "reportgen.yaml") in read  # its columns are declared there


def test_records_carry_each_cell_of_a_declared_table(project_copy: Path) -> None:
    _declare(project_copy)
    first = load_dataset(project_copy / "data").records("deposits")[0]
    assert float(first["deposits_usd_mn"]) == pytest.approx(1234.5, abs=1e-12)
    assert first["bank"] == "Alpha Bank"


def test_a_bad_cell_is_located_at_its_row_and_column(project_copy: Path) -> None:
    _declare(project_copy, csv=DEPOSITS.replace("(10.0)", "ten"))
    (problem,) = _problems(project_copy)
    assert (problem.path, problem.line, problem.column) == (
        "data/banks/deposits.csv",
        4,
        "deposits_usd_mn",
    )
    assert "'ten'" in problem.message


def test_a_required_cell_a_bad_year_and_a_duplicate_key_are_each_located(
    project_copy: Path,
) -> None:
    csv = DEPOSITS + "Gamma Bank,24,,,\nAlpha Bank,2024,1.0,,\n"
    _declare(project_copy, csv=csv)
    found = {(p.line, p.column): p.message for p in _problems(project_copy)}
    assert "below the minimum 1000" in found[(5, "year")]
    assert "a value is required" in found[(5, "deposits_usd_mn")]
    assert "duplicate key" in found[(6, "bank,year")]


def test_an_undeclared_column_in_the_file_is_refused(project_copy: Path) -> None:
    _declare(project_copy, csv=DEPOSITS.replace("as_of\n", "as_of,extra\n", 1))
    problems = _problems(project_copy)
    assert any(p.column == "extra" and "unknown column" in p.message for p in problems)


def test_a_missing_declared_table_says_where_it_is_declared(project_copy: Path) -> None:
    line = _declare(project_copy, csv=None)
    (problem,) = _problems(project_copy)
    assert problem.path == "data/banks/deposits.csv"
    assert problem.message == f"file not found (declared in reportgen.yaml:{line})"


@pytest.mark.parametrize(
    ("old", "new", "column", "words"),
    [
        ("{type: year}", "{type: integer}", "deposits.year.type", "one of number, text"),
        ("{type: text}", "{type: text, colour: red}", "deposits.bank.colour", "unknown key"),
        ("file: data/banks/deposits.csv", "file: ../elsewhere.csv", "deposits.file", "under data/"),
        ("file: data/banks/deposits.csv", "file: /etc/x.csv", "deposits.file", "under data/"),
        ("key: [bank, year]", "key: [bank, month]", "deposits.key", "'month' is not among"),
        (
            "required: true",
            "required: yes please",
            "deposits.deposits_usd_mn.required",
            "true or false",
        ),
        ("  deposits:\n", "  llm_pricing:\n", "llm_pricing", "taken by module ai_sector"),
        ("  deposits:\n", "  day0:\n", "day0", "taken by module ai_sector"),
    ],
)
def test_a_bad_declaration_is_located_in_reportgen_yaml(
    project_copy: Path, old: str, new: str, column: str, words: str
) -> None:
    assert TABLES.count(old) == 1
    _declare(project_copy, TABLES.replace(old, new))
    with pytest.raises(DataError) as exc:
        load_config(Project(project_copy))
    (problem,) = exc.value.problems
    text = (project_copy / "reportgen.yaml").read_text(encoding="utf-8").splitlines()
    assert problem.path == "reportgen.yaml"
    assert problem.column == column
    assert words in problem.message
    assert problem.line is not None
    assert new.split(":")[0].strip().split("{")[0].strip() in text[problem.line - 1]


def test_an_unknown_table_name_says_how_to_declare_it(project_copy: Path) -> None:
    ds = load_dataset(project_copy / "data")
    with pytest.raises(DataError) as exc:
        ds.table("deposits")
    assert "no table 'deposits': declare it under tables: in reportgen.yaml" in str(exc.value)


# --- a project with only companies -----------------------------------------------------------


def companies_only(root: Path, *, cambricon: bool = False) -> Path:
    """The sample without its market tables, its sector and industry notes, ``modules`` and
    the acknowledgements of market-table differences; the Cambricon initiation goes too
    unless asked for (its prose cites the chip table and the accelerator comparison, module
    ai_sector's data)."""
    shutil.rmtree(root / "data" / "market")
    for slug in ("deepseek-v4-pricing", "china-ai-accelerators", "cambricon"):
        if slug != "cambricon" or not cambricon:
            shutil.rmtree(root / "data" / "reports" / slug)
    config = root / "reportgen.yaml"
    kept = [ln for ln in config.read_text(encoding="utf-8").splitlines() if "modules" not in ln]
    config.write_text("\n".join(kept) + "\n", encoding="utf-8")
    acks = root / "data" / "acknowledged.yaml"
    entries = yaml.safe_load(acks.read_text(encoding="utf-8"))
    kept_entries = [e for e in entries if not e["file"].startswith("data/market/")]
    acks.write_text(yaml.safe_dump(kept_entries, sort_keys=False, allow_unicode=True))
    return root


def test_a_project_with_only_companies_loads_no_market_table(project_copy: Path) -> None:
    ds = load_dataset(companies_only(project_copy) / "data")
    assert ds.names == ()
    assert set(ds.companies) == {"cambricon", "iluvatar", "metax"}
    with pytest.raises(DataError) as exc:
        ds.table("chips")
    assert "table 'chips' belongs to module ai_sector; add it to modules" in str(exc.value)


def test_a_project_with_only_companies_passes_check_and_builds(project_copy: Path) -> None:
    root = companies_only(project_copy, cambricon=True)
    checked = run_cli(["check"], root)
    assert checked.exit_code == 0, checked.output
    assert "data valid" in checked.output
    # Cambricon's prose asks for the accelerator comparison: located, with the way out.
    failed = run_cli(["build"], root)
    assert failed.exit_code == 2, failed.output
    assert (
        ": cannot evaluate: no table "
        "'accelerator_comparison' (module ai_sector's table; add it to modules in "
        "reportgen.yaml)"
    ) in failed.output
    assert "error: data/reports/cambricon/" in failed.output
    shutil.rmtree(root / "data" / "reports" / "cambricon")
    built = run_cli(["build"], root)
    assert built.exit_code == 0, built.output
    assert sorted(p.name for p in (root / "build").glob("*.pdf")) == ["iluvatar.pdf", "metax.pdf"]


def test_a_module_table_is_expected_only_with_its_module(project_copy: Path) -> None:
    (project_copy / "data" / "market" / "chips.csv").unlink()
    (problem,) = _problems(project_copy)
    assert problem.path == "data/market/chips.csv"
    assert (
        problem.message
        == "file not found (declared in module ai_sector, enabled in reportgen.yaml:4)"
    )
    companies_only(project_copy)
    load_dataset(project_copy / "data")  # no module: no table expected, no problem


# --- a project's plug-in exhibit reading its declared table, end to end ----------------------

DEPOSITS_EXHIBIT = '''"""A bank team's own exhibit: its declared deposits table, as printed."""

from reportgen.figures.registry import TableColumn, TableExhibit, TableGroup, TableRow, exhibit


@exhibit("deposits-table", kind="table", title="Deposits by bank", source="Source: the team",
         tables=("deposits",))
def deposits_table(ds, params):
    frame = ds.table("deposits").sort_values("_line")
    rows = tuple(
        TableRow((bank, f"{value:,.1f}"))
        for bank, value in zip(frame["bank"], frame["deposits_usd_mn"])
    )
    return TableExhibit(
        columns=(TableColumn("Bank", align="left"), TableColumn("Deposits", "US$ mn")),
        groups=(TableGroup("", rows),),
    )
'''

NOTE = """type: sector-note
title: Deposits
date: 2026-05-01
sector: Banks
rating: OUTPERFORM
analysts: [{name: A. Analyst}]
summary: summary.md
sections:
  - title: Deposits
    prose: body.md
    exhibits: [deposits-table]
"""


def test_a_plug_in_exhibit_prints_a_declared_table_and_rebuilds_on_its_edit(
    project_copy: Path,
) -> None:
    root = project_copy
    for folder in (root / "data" / "reports").iterdir():
        shutil.rmtree(folder)
    note = root / "data" / "reports" / "deposits"
    note.mkdir()
    (note / "report.yaml").write_text(NOTE, encoding="utf-8")
    (note / "summary.md").write_text("Deposits grew.\n", encoding="utf-8")
    (note / "body.md").write_text("Deposits by bank.\n", encoding="utf-8")
    (root / "exhibits").mkdir()
    (root / "exhibits" / "deposits.py").write_text(DEPOSITS_EXHIBIT, encoding="utf-8")
    _declare(root, TABLES + "plugins: [exhibits]\n")

    def printed() -> str:
        reader = PdfReader(root / "build" / "deposits.pdf")
        return "\n".join(page.extract_text() for page in reader.pages)

    built = run_cli(["build"], root)
    assert built.exit_code == 0, built.output
    assert "Alpha Bank" in printed() and "1,234.5" in printed()
    csv = root / "data" / "banks" / "deposits.csv"
    csv.write_text(DEPOSITS.replace('"1,234.5"', '"2,345.6"'), encoding="utf-8")
    assert make_plan(Project(root)).stale["deposits"] == ["data/banks/deposits.csv: changed"]
    again = run_cli(["build"], root)
    assert again.exit_code == 0, again.output
    assert "2,345.6" in printed() and "1,234.5" not in printed()
