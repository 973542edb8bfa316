"""value_company: a Company's valuation against the published targets, upside and multiples.

Tolerances, and why (as in test_valuation.py):
* model value vs the printed target: within 0.5% (the issue's bound; TARGET_TOLERANCE).
* upside to the target: within 0.1pt of the printed risk-reward upside (printed to 0.1pt).
* implied P/S of the base case: within 0.5x (printed as whole multiples).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from reportgen.data.companies import Company
from reportgen.data.dataset import Dataset, load_dataset
from reportgen.errors import DataError
from reportgen.models import company as cm
from reportgen.models.valuation import cagr

REPO_DATA = Path(__file__).resolve().parents[2] / "data"
COMPANIES = ("cambricon", "iluvatar", "metax")
#: printed price targets (listing currency)
TARGETS = {"cambricon": 1588.0, "iluvatar": 600.0, "metax": 758.0}
#: printed base-case upside on the risk-reward pages (%), rounded to 0.1pt
UPSIDE = {"cambricon": 17.4, "iluvatar": 31.3, "metax": 5.6}
#: printed base-case implied P/S on 2026E revenue
BASE_PS = {"cambricon": 32.0, "iluvatar": 44.0, "metax": 75.0}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(REPO_DATA)


def _with_raw(company: Company, **changes: Any) -> Company:
    """A copy of ``company`` whose company.yaml mapping has ``changes`` applied."""
    raw = dict(company.raw)
    raw.update(changes)
    return dataclasses.replace(company, raw=MappingProxyType(raw))


# --- the three published valuations ----------------------------------------------------------


@pytest.mark.parametrize("slug", COMPANIES)
def test_model_value_reproduces_the_published_target(ds: Dataset, slug: str) -> None:
    cv = cm.value_company(ds.companies[slug])
    assert cv.slug == slug
    assert cv.target == TARGETS[slug]
    assert cv.model_value == pytest.approx(TARGETS[slug], rel=cm.TARGET_TOLERANCE)
    assert abs(cv.model_vs_target) <= cm.TARGET_TOLERANCE
    assert cv.model_value == cv.ri.value_per_share


def test_model_values_pinned(ds: Dataset) -> None:
    values = {s: cm.value_company(ds.companies[s]).model_value for s in COMPANIES}
    assert values["cambricon"] == pytest.approx(1586.9, abs=0.05)  # 425 shares printed rounded
    assert values["iluvatar"] == pytest.approx(600.51, abs=0.005)  # 254 shares printed rounded
    assert values["metax"] == pytest.approx(758.07, abs=0.005)


@pytest.mark.parametrize("slug", COMPANIES)
def test_upside_to_the_target(ds: Dataset, slug: str) -> None:
    cv = cm.value_company(ds.companies[slug])
    assert abs(100 * cv.upside - UPSIDE[slug]) <= 0.1


@pytest.mark.parametrize("slug", COMPANIES)
def test_base_case_implied_ps(ds: Dataset, slug: str) -> None:
    cv = cm.value_company(ds.companies[slug])
    base = cv.scenarios["base"]
    assert base.implied_multiple is not None
    assert abs(base.implied_multiple - BASE_PS[slug]) <= 0.5
    assert base.multiple_published == BASE_PS[slug]
    assert cv.implied_ps == pytest.approx(base.implied_multiple)  # the base case is the target


@pytest.mark.parametrize("slug", COMPANIES)
def test_scenarios_in_order_with_printed_upside(ds: Dataset, slug: str) -> None:
    company = ds.companies[slug]
    cv = cm.value_company(company)
    assert list(cv.scenarios) == ["bull", "base", "bear"]
    for name, sc in cv.scenarios.items():
        published = company.scenarios[name]
        assert sc.name == name
        assert sc.value == published.value
        assert sc.assumptions == published.assumptions
        assert sc.multiple_basis == "P/S 2026e"
        assert published.upside_pct_published is not None
        assert abs(100 * sc.upside - published.upside_pct_published) <= 0.005 + 1e-9
        assert sc.implied_multiple is not None and sc.multiple_published is not None
        assert abs(sc.implied_multiple - sc.multiple_published) <= 0.5


def test_implied_pe_only_where_profitable(ds: Dataset) -> None:
    values = {s: cm.value_company(ds.companies[s]) for s in COMPANIES}
    # 1,588 x 425 / 6,156 (2026E net income, Exhibit 26)
    assert values["cambricon"].implied_pe == pytest.approx(109.63, abs=0.01)
    # 758 x 400 / 21.6 (2026E net income to parent, Exhibit 39)
    assert values["metax"].implied_pe == pytest.approx(14037.0, abs=0.5)
    assert values["iluvatar"].implied_pe is None  # 2026E is a loss year


def test_cost_of_equity_used_stated_and_capm(ds: Dataset) -> None:
    got = {
        s: (
            cv.cost_of_equity_used_pct,
            cv.cost_of_equity_stated_pct,
            round(cv.cost_of_equity_capm_pct, 6),
        )
        for s, cv in cm.value_all(ds).items()
    }
    assert got == {
        "cambricon": (8.36, 8.4, 8.36),
        "iluvatar": (8.3, 8.3, 8.3),
        "metax": (6.5, 6.5, 6.875),
    }
    assert cm.value_company(ds.companies["metax"]).ri.cost_of_equity == pytest.approx(0.065)


# --- financials declared in company.yaml -------------------------------------------------------


def test_financials_by_period_label(ds: Dataset) -> None:
    cambricon = cm.value_company(ds.companies["cambricon"])
    # house_2026e ... columns of Exhibit 26 read as 2026E ...
    assert dict(cambricon.revenue) == {"2026E": 20944.0, "2027E": 33186.0, "2028E": 44256.0}
    assert dict(cambricon.net_profit) == {"2026E": 6156.0, "2027E": 9558.0, "2028E": 13544.0}
    assert cambricon.gross_margin["2026E"] == pytest.approx(10588 / 20944)
    iluvatar = cm.value_company(ds.companies["iluvatar"])
    assert list(iluvatar.revenue) == ["2025", "2026E", "2027E", "2028E"]
    assert iluvatar.net_profit["2026E"] == -261.9
    assert iluvatar.gross_margin["2025"] == pytest.approx(558.0 / 1033.6)
    metax = cm.value_company(ds.companies["metax"])
    # annual columns only: the quarters are left out
    assert dict(metax.revenue) == {"2025": 1644.1, "2026E": 4029.9}
    assert dict(metax.net_profit) == {"2025": -781.5, "2026E": 21.6}


def test_cagr_from_the_declared_revenue(ds: Dataset) -> None:
    # Iluvatar: "122% CAGR over 2025-28" from its own income statement.
    revenue = cm.value_company(ds.companies["iluvatar"]).revenue
    assert 100 * cagr(revenue["2025"], revenue["2028E"], 3) == pytest.approx(122, abs=0.5)


def test_missing_table_is_a_located_data_error(ds: Dataset) -> None:
    company = ds.companies["metax"]
    block = {
        "revenue": {"table": "income_statement", "line_item": "net_sales"},
        "gross_profit": {"table": "estimates_quarterly", "line_item": "gross_profit"},
        "net_profit": {"table": "estimates_quarterly", "line_item": "net_income_to_parent"},
    }
    with pytest.raises(DataError) as exc:
        cm.value_company(_with_raw(company, financials=block))
    (problem,) = exc.value.problems
    assert problem.path == "data/companies/metax/company.yaml"
    assert problem.column == "financials.revenue.table"
    assert "table 'income_statement' is not in data/companies/metax" in problem.message


def test_missing_line_item_is_a_located_data_error(ds: Dataset) -> None:
    company = ds.companies["iluvatar"]
    block = dict(company.raw["financials"])
    block["net_profit"] = {"table": "income_statement", "line_item": "net_income"}
    with pytest.raises(DataError) as exc:
        cm.value_company(_with_raw(company, financials=block))
    (problem,) = exc.value.problems
    assert problem.column == "financials.net_profit.line_item"
    assert problem.message == "line_item 'net_income' is not in table 'income_statement'"


def test_missing_block_or_key_is_a_data_error(ds: Dataset) -> None:
    company = ds.companies["cambricon"]
    raw = {k: v for k, v in company.raw.items() if k != "financials"}
    with pytest.raises(DataError, match="financials"):
        cm.value_company(dataclasses.replace(company, raw=MappingProxyType(raw)))
    partial = {k: v for k, v in company.raw["financials"].items() if k != "gross_profit"}
    with pytest.raises(DataError, match="financials.gross_profit"):
        cm.value_company(_with_raw(company, financials=partial))


def test_the_real_company_files_declare_their_line_of_financials(ds: Dataset) -> None:
    for slug in COMPANIES:
        block = ds.companies[slug].raw["financials"]
        assert {"revenue", "gross_profit", "net_profit"} <= set(block)


def test_first_year_computed_from_declared_opening_equity(ds: Dataset) -> None:
    # Iluvatar's table omits 2026E; computing it from the 2025 equity (balance sheet, declared
    # as financials.total_equity) lowers the value by HK$1.58 (test_valuation.py).
    company = ds.companies["iluvatar"]
    computed = dataclasses.replace(
        company, valuation=dataclasses.replace(company.valuation, first_year_ri="computed")
    )
    base, full = cm.value_company(company), cm.value_company(computed)
    assert full.ri.first_year_basis == "computed"
    assert full.ri.rows[0].opening_equity == 2353.1
    assert full.model_value - base.model_value == pytest.approx(-1.58, abs=0.01)


def test_computed_first_year_without_opening_equity_is_a_data_error(ds: Dataset) -> None:
    company = ds.companies["metax"]
    computed = dataclasses.replace(
        company, valuation=dataclasses.replace(company.valuation, first_year_ri="computed")
    )
    with pytest.raises(DataError, match="financials.total_equity"):
        cm.value_company(computed)


# --- purity ------------------------------------------------------------------------------------


def test_value_company_does_not_modify_the_company(ds: Dataset) -> None:
    company = ds.companies["iluvatar"]
    before = {name: frame.copy() for name, frame in company.tables.items()}
    cm.value_company(company)
    for name, frame in company.tables.items():
        assert frame.equals(before[name]), name


def test_results_are_read_only(ds: Dataset) -> None:
    cv = cm.value_company(ds.companies["metax"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        cv.target = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        cv.scenarios["base"] = cv.scenarios["bull"]  # type: ignore[index]
    with pytest.raises(TypeError):
        cv.revenue["2026E"] = 0.0  # type: ignore[index]


@pytest.mark.parametrize(
    ("column", "label"),
    [
        ("2025", "2025"),
        ("2026E", "2026E"),
        ("house_2027e", "2027E"),
        ("consensus_2026e", None),
        ("diff_pct_2026e_published", None),
        ("1H26E", None),
        ("4Q25", None),
    ],
)
def test_annual_label(column: str, label: str | None) -> None:
    assert cm.annual_label(column) == label


def test_basis_year() -> None:
    assert cm.basis_year("P/S 2026e") == ("P/S", 2026)
    assert cm.basis_year("P/E 2027e") == ("P/E", 2027)
    assert cm.basis_year("ev/ebitda 2028") == ("EV/EBITDA", 2028)
    for wrong in ("", "P/X 2026e", "P/B", "EV/Sales 2026e"):
        with pytest.raises(ValueError, match="not a multiple basis"):
            cm.basis_year(wrong)


# --- target warnings ---------------------------------------------------------------------------


def test_no_target_warnings_on_the_real_data(ds: Dataset) -> None:
    assert cm.target_warnings(ds) == []


def _set_target(root: Path, slug: str, factor: float) -> tuple[float, int]:
    """Scale one company's price_target in a copy; return the new target and its line."""
    path = root / "data/companies" / slug / "company.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    (at,) = [i for i, line in enumerate(lines) if line.startswith("price_target:")]
    target = round(float(lines[at].split(":")[1]) * factor, 2)
    lines[at] = f"price_target: {target}\n"
    path.write_text("".join(lines), encoding="utf-8")
    return target, at + 1


def test_target_changed_by_ten_percent_warns(project_copy: Path) -> None:
    target, line = _set_target(project_copy, "metax", 1.10)
    ds = load_dataset(project_copy / "data")
    (problem,) = cm.target_warnings(ds)
    assert problem.path == "data/companies/metax/company.yaml"
    assert problem.line == line
    assert problem.column == "price_target"
    assert "Rmb833.80" in problem.message and "Rmb758.07" in problem.message
    assert "-9.08%" in problem.message
    assert target == 833.8
    cv = cm.value_company(ds.companies["metax"])
    assert cv.target == target  # reports keep showing the published target


def test_target_within_tolerance_does_not_warn(project_copy: Path) -> None:
    _set_target(project_copy, "iluvatar", 1.004)  # HK$602.4 against the model's HK$600.5
    assert cm.target_warnings(load_dataset(project_copy / "data")) == []


# --- P/B: which book value ---------------------------------------------------------------------


def test_pb_book_value_declared_total_or_ri_inputs(ds: Dataset) -> None:
    # Iluvatar at HK$600: 600 x 254 x 0.88 (Rmb per HK$) = Rmb134,112mn of equity value.
    # On 2026E total equity 5,431.6: 24.691x (within 0.0005), the same from ri_inputs.csv
    # when financials.total_equity is not declared; on a declared book_value line (here
    # retained earnings, 1,900.2, as a stand-in): 134,112 / 1,900.2 = 70.578x.
    ilu = ds.companies["iluvatar"]
    fin = dict(ilu.raw["financials"])
    assert cm.implied_basis_multiple(ilu, 600, "P/B", 2026) == pytest.approx(24.691, abs=5e-4)
    no_total = {k: v for k, v in fin.items() if k != "total_equity"}
    company = _with_raw(ilu, financials=no_total)
    assert cm.implied_basis_multiple(company, 600, "P/B", 2026) == pytest.approx(24.691, abs=5e-4)
    book = {**fin, "book_value": {"table": "balance_sheet", "line_item": "retained_earning"}}
    company = _with_raw(ilu, financials=book)
    assert cm.implied_basis_multiple(company, 600, "P/B", 2026) == pytest.approx(70.578, abs=5e-4)


def test_an_ev_basis_without_net_debt_is_located(ds: Dataset) -> None:
    ilu = ds.companies["iluvatar"]
    with pytest.raises(DataError) as info:
        cm.implied_basis_multiple(ilu, 600, "EV/S", 2026)
    (problem,) = info.value.problems
    assert problem.column == "financials.net_debt"
    assert problem.path == "data/companies/iluvatar/company.yaml"
    assert problem.line is not None
