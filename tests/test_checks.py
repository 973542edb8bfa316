"""`reportgen check`: published values against computed ones, and the CLI on broken input."""

from __future__ import annotations

import hashlib
import math
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
        # A corrected misprint: the data carry 270, its printed blended price and I/O ratio
        # both need it, and the printed 370 is kept (and listed) as output_usd_published.
        (PRICING, "GPT-5.5 Pro (Long Context)", "output_usd_published", 370.0, 270.0),
    }
    assert len(found) == 4


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
    blended = next(m for m in found if m.column == BLENDED)
    assert str(blended).startswith(
        f"{PRICING}:{blended.line}: MiniMax-M2.7: column '{BLENDED}': "
        "published 0.625, computed 0.525"
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


# --- companies: valuation, cost of equity, scenarios, statement ties ---------------------------


def company_found(data: Path = REPO_DATA) -> list:
    """The company mismatches find_mismatches reports for a data folder."""
    return [m for m in find_mismatches(load_dataset(data)) if m.path.startswith("data/companies/")]


def plant_cell(path: Path, key: str, column: str, value: str) -> int:
    """Set one cell of a company CSV (row by its first cell); return the row's file line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header_at = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    header = lines[header_at].rstrip("\n").split(",")
    at = next(i for i, line in enumerate(lines) if line.split(",")[0] == key and i > header_at)
    cells = lines[at].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[at] = ",".join(cells) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def plant_yaml(path: Path, old: str, new: str) -> int:
    """Replace the only line of a YAML file starting with ``old``; return its file line."""
    text = path.read_text(encoding="utf-8")
    line = file_line(path, old)
    lines = text.splitlines(keepends=True)
    lines[line - 1] = new + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return line


def test_real_data_company_mismatches_are_exactly_the_known_list() -> None:
    # Every one is a source inconsistency inside its own tables, reported and not changed:
    # * Iluvatar, Exhibit 32: 2025 net change in cash printed 1,197.1, but the sections sum
    #   to 1,191.1 (-1,161.6 - 132.3 + 2,490.9 - 5.9), 6.0 apart.
    # * Iluvatar, Exhibit 33: the incremental-margin row prints 0.0 in every column.
    # * MetaX: stated cost of equity 6.5% "derived from" 2.0 + 0.75 x 6.5 = 6.875%.
    # * MetaX, Exhibit 39: in the 2025 actual columns, profit before taxes equals operating
    #   income MINUS the printed non-operating income (the row's sign is flipped against the
    #   estimate columns, where 2026E -78.4 + 100.0 = 21.6 ties); 4Q25 is also 0.1 off.
    # * Iluvatar, Exhibit 32 ratios: 2026E growth of operating, pre-tax and net profit and of
    #   EPS is printed as a number, but it grows from a 2025 loss: NM.
    # * Iluvatar, Exhibit 32 ratios: receivable and payable days do not follow from the
    #   balances (365 x year-end balance / sales or cost of sales); inventory days do for
    #   2026E-2028E (400.0, 320.0, 250.0) but not for 2025 (403.8 against 544.7).
    # * Iluvatar and MetaX risk-reward driver lines: operating profit growth printed for
    #   years that grow from an operating loss: NM.
    cash_flow = "data/companies/iluvatar/cash_flow.csv"
    half_year = "data/companies/iluvatar/estimates_half_year.csv"
    metax_yaml = "data/companies/metax/company.yaml"
    quarterly = "data/companies/metax/estimates_quarterly.csv"
    net_change = file_line(REPO_DATA.parent / cash_flow, "net_change_in_cash,")
    incremental = file_line(REPO_DATA.parent / half_year, "incremental_margin_pct_published,")
    stated = file_line(REPO_DATA.parent / metax_yaml, "  cost_of_equity_pct_stated:")
    pbt = file_line(REPO_DATA.parent / quarterly, "profit_before_taxes,")
    inc = "incremental_margin_pct_published"
    margins = {
        "2H25": 60.6,
        "1H26E": 33.9,
        "2H26E": 54.1,
        "1H27E": 48.8,
        "2H27E": 52.3,
        "1H28E": 44.4,
        "2H28E": 51.2,
        "2026E": 50.0,
        "2027E": 51.3,
        "2028E": 49.5,
    }
    pretax = {
        "1Q25": (-232.3, -216.5),
        "2Q25": (49.3, -135.3),
        "3Q25": (-158.2, -162.8),
        "4Q25": (-430.2, -365.1),
        "2025": (-771.4, -879.8),
    }
    ratios = "data/companies/iluvatar/ratios.csv"
    nm = {
        "growth_operating_profits_pct_published": -70.6,
        "growth_pretax_profits_pct_published": -73.9,
        "growth_net_profits_pct_published": -73.9,
        "growth_eps_pct_published": -80.6,
    }
    day_rows = {
        "ar_nr_turnover_days_published": {
            "2025": (168.4, 222.5),
            "2026E": (160.0, 99.0),
            "2027E": (140.0, 50.1),
            "2028E": (120.0, 39.5),
        },
        "inventory_turnover_days_published": {"2025": (403.8, 544.7)},
        "ap_turnover_days_published": {
            "2025": (29.5, 223.3),
            "2026E": (10.0, 110.0),
            "2027E": (10.0, 90.0),
            "2028E": (10.0, 70.0),
        },
    }
    ratio_line = {row: file_line(REPO_DATA.parent / ratios, f"{row},") for row in (*nm, *day_rows)}
    ilu_yaml = "data/companies/iluvatar/company.yaml"
    ilu_driver = file_line(REPO_DATA.parent / ilu_yaml, "  values_published:")
    met_driver = file_line(REPO_DATA.parent / metax_yaml, "  values_published:")
    drivers = {
        (ilu_yaml, ilu_driver, "driver_metric", "values_published 2026E", -70.6, "NM"),
        (ilu_yaml, ilu_driver, "driver_metric", "values_published 2027E", -554.1, "NM"),
        (metax_yaml, met_driver, "driver_metric", "values_published 2026E", -90.5, "NM"),
    }
    expected = {
        *drivers,
        *((ratios, ratio_line[row], row, "2026E", value, "NM") for row, value in nm.items()),
        *(
            (ratios, ratio_line[row], row, period, *pc)
            for row, periods in day_rows.items()
            for period, pc in periods.items()
        ),
        (cash_flow, net_change, "net_change_in_cash", "2025", 1197.1, 1191.1),
        *((half_year, incremental, inc, p, 0.0, c) for p, c in margins.items()),
        (metax_yaml, stated, "valuation", "cost_of_equity_pct_stated", 6.5, 6.9),
        *((quarterly, pbt, "profit_before_taxes", p, *pc) for p, pc in pretax.items()),
    }
    found = company_found()
    got = {(m.path, m.line, m.row, m.column, m.published, shown(m.computed)) for m in found}
    assert got == expected
    assert len(found) == 33
    capm = next(m for m in found if m.column == "cost_of_equity_pct_stated")
    assert capm.computed == pytest.approx(6.875)


def shown(computed: float) -> float | str:
    """A computed value as the expected sets write it: to 0.1, or NM where it means nothing."""
    return "NM" if math.isnan(computed) else round(computed, 1)


def test_cambricon_printed_cost_of_equity_is_within_rounding_of_capm() -> None:
    # Printed 8.4% against 2.0 + 1.06 x 6.0 = 8.36%: within the printed one decimal, so not
    # listed (the table itself used the unrounded 8.36, see test_valuation.py).
    found = company_found()
    assert not [
        m for m in found if m.column == "cost_of_equity_pct_stated" and "cambricon" in m.path
    ]


def test_the_published_ri_tables_and_summaries_are_reproduced() -> None:
    found = company_found()
    names = ("ri_published.csv", "ri_summary_published.yaml")
    assert [m for m in found if m.path.endswith(names)] == []
    assert not [m for m in found if m.row.startswith("scenarios.")]


def test_planted_ri_row_is_reported_with_its_line(project_copy: Path) -> None:
    path = project_copy / "data/companies/cambricon/ri_published.csv"
    line = plant_cell(path, "2030", "residual_income_mn", "12500")
    (m,) = [m for m in company_found(project_copy / "data") if m.path.endswith("ri_published.csv")]
    assert (m.path, m.line, m.row, m.column, m.published) == (
        "data/companies/cambricon/ri_published.csv",
        line,
        "2030",
        "residual_income_mn",
        12500,
    )
    assert m.computed == pytest.approx(11958, abs=10)


def test_ri_row_within_the_argued_tolerance_is_not_reported(project_copy: Path) -> None:
    # 2037E equity 44,697 printed; 0.5 + 0.05% of it is 22.8, so 44,715 is not listed.
    path = project_copy / "data/companies/iluvatar/ri_published.csv"
    plant_cell(path, "2037", "total_equity_mn", "44715")
    found = company_found(project_copy / "data")
    assert not [m for m in found if m.path.endswith("ri_published.csv")]


def test_planted_summary_value_is_reported_with_its_line(project_copy: Path) -> None:
    path = project_copy / "data/companies/metax/ri_summary_published.yaml"
    line = plant_yaml(path, "pv_of_forecast_period_mn:", "pv_of_forecast_period_mn: 4500")
    (m,) = [
        m for m in company_found(project_copy / "data") if m.path.endswith("summary_published.yaml")
    ]
    assert (m.line, m.row, m.column, m.published) == (
        line,
        "summary",
        "pv_of_forecast_period_mn",
        4500,
    )
    assert m.computed == pytest.approx(3998, abs=0.0005 * 303095)


def test_planted_scenario_upside_and_capm_inputs_are_reported(project_copy: Path) -> None:
    yaml_path = project_copy / "data/companies/cambricon/company.yaml"
    upside_line = plant_yaml(
        yaml_path, "    upside_pct_published: 17.41", "    upside_pct_published: 18.41"
    )
    beta_line = plant_yaml(yaml_path, "  beta: 1.06", "  beta: 1.10")
    found = [m for m in company_found(project_copy / "data") if "cambricon" in m.path]
    got = {(m.line, m.row, m.column, m.published, round(m.computed, 2)) for m in found}
    stated_line = file_line(yaml_path, "  cost_of_equity_pct_stated:")
    assert got == {
        (upside_line, "scenarios.base", "upside_pct_published", 18.41, 17.41),
        (stated_line, "valuation", "cost_of_equity_pct_stated", 8.4, 8.6),
    }
    assert beta_line < stated_line


def test_planted_statement_cell_breaks_each_rule_using_it(project_copy: Path) -> None:
    path = project_copy / "data/companies/iluvatar/balance_sheet.csv"
    plant_cell(path, "cash", "2026E", "2755.4")
    baseline = {(m.path, m.row, m.column) for m in company_found()}
    found = [
        m
        for m in company_found(project_copy / "data")
        if m.column == "2026E" and (m.path, m.row, m.column) not in baseline
    ]
    rows = {m.row for m in found}
    # the current-assets sum, the cash roll-forward, net debt / equity and the quick ratio
    assert rows == {
        "current_assets",
        "cash",
        "net_debt_to_equity_pct_published",
        "quick_ratio_x_published",
    }
    ties = next(m for m in found if m.row == "current_assets")
    assert (ties.published, ties.computed) == (6468.9, pytest.approx(6568.9))


def test_planted_consensus_diff_and_quarter_sum_are_reported(project_copy: Path) -> None:
    data = project_copy / "data"
    versus = data / "companies/cambricon/estimates_vs_consensus.csv"
    line = plant_cell(versus, "net_sales_rmb_mn", "diff_pct_2026e_published", "45")
    quarterly = data / "companies/metax/estimates_quarterly.csv"
    plant_cell(quarterly, "selling", "2026E", "242.0")
    found = company_found(data)
    diff = next(m for m in found if m.column == "diff_pct_2026e_published")
    assert (diff.line, diff.row, diff.published) == (line, "net_sales_rmb_mn", 45)
    assert diff.computed == pytest.approx(48.99, abs=0.01)
    selling = {(m.row, m.column) for m in found if "metax" in m.path and m.column == "2026E"}
    # the annual sum of quarters, the opex total and the selling % of revenue
    assert {
        ("selling", "2026E"),
        ("total_opex", "2026E"),
        ("selling_pct_rev_published", "2026E"),
    } <= selling


def test_company_checks_never_modify_the_data(project_copy: Path) -> None:
    plant_cell(project_copy / "data/companies/iluvatar/balance_sheet.csv", "cash", "2026E", "1.0")
    before = snapshot(project_copy)
    assert company_found(project_copy / "data")
    assert snapshot(project_copy) == before


def test_rule_terms_and_periods() -> None:
    from reportgen.checks import statements as checks

    term = checks.parse_term("-|cogs|@year/2")
    assert (term.item, term.sign, term.absolute, term.lag, term.weight) == (
        "cogs",
        -1.0,
        True,
        "year",
        0.5,
    )
    with pytest.raises(ValueError):
        checks.parse_term("|cogs")
    assert checks.period_key("2026E") == (1, 2026)
    assert checks.period_key("2H25") == (2, 2025 * 2 + 1)
    assert checks.period_key("1Q26E") == (4, 2026 * 4)
    assert checks.period_key("house_2026e") is None
    labels = ["1Q25", "2Q25", "3Q25", "4Q25", "1Q26E", "2025", "2026E"]
    assert checks.lagged("1Q26E", "step", labels) == "4Q25"
    assert checks.lagged("1Q26E", "year", labels) == "1Q25"
    assert checks.lagged("2026E", "step", labels) == "2025"
    assert checks.lagged("1Q25", "step", labels) is None
    assert checks.printed_decimals([1.0, 2.5, -3.25]) == 2
    assert checks.printed_decimals([50.0, 44.0]) == 0


def test_rule_range_bounds_a_ratio_by_its_inputs_rounding() -> None:
    from reportgen.checks import statements as checks

    rule = checks.pct("x", ["a"], ["b"])
    a, b = checks.parse_term("a"), checks.parse_term("b")
    point, low, high = checks.rule_range(rule, [(a, 1.0, 0.05)], [(b, 4.0, 0.05)])  # type: ignore[misc]
    assert (point, low, high) == pytest.approx((25.0, 0.95 / 4.05 * 100, 1.05 / 3.95 * 100))
    # a denominator that may be zero within its rounding gives no range
    assert checks.rule_range(rule, [(a, 1.0, 0.05)], [(b, 0.0, 0.05)]) is None
    tie = checks.tie("t", "p", "-|q|")
    p, q = checks.parse_term("p"), checks.parse_term("-|q|")
    assert checks.rule_range(tie, [(p, 10.0, 0.05), (q, -3.0, 0.05)], []) == pytest.approx(
        (7.0, 6.9, 7.1)
    )


def test_figure_2_ranges_are_checked_against_the_flagship_rows() -> None:
    """The source's overseas range omits a starred flagship and prints GPT-5.5 Pro's input
    at 50; its 270 output agrees with the corrected pricing row."""
    found = [
        (m.row, m.published, round(m.computed, 2))
        for m in find_mismatches(load_dataset(REPO_DATA))
        if m.path == "data/market/llm_price_ranges_published.csv"
    ]
    assert found == [
        ("Overseas input low", 2.0, 0.15),
        ("Overseas input high", 50.0, 60.0),
        ("Overseas output low", 6.0, 0.6),
    ]
