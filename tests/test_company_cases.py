"""Companies unlike the samples, end to end: valued on P/B with US$ financials and an HK$
listing, and one whose losses are partly absorbed by minorities.

Each case is a copy of the sample project whose Iluvatar folder is edited into the case
(the statements keep Iluvatar's figures, read as the case's). Figures are computed by hand
below; multiples are compared within 0.005x, prices and upsides within 0.005, and the PDF
is read back with pypdf for the figures as the reports print them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from reportgen.build import build_all
from reportgen.checks import statements as st
from reportgen.data.dataset import load_dataset
from reportgen.errors import DataError
from reportgen.formatting import is_nm
from reportgen.models import company as cm
from reportgen.project import Project
from tests.tools import copy_sample

SLUG = "iluvatar"
FOLDER = f"data/companies/{SLUG}"
TOL = 0.005


def replace(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` (which must occur ``count`` times) in a file."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{path.name}: {old!r} found {text.count(old)} times"
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_row(path: Path, item: str, values: str) -> None:
    """Replace the values of one line item of a wide company table."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(rf"^{item},.*$", f"{item},{values}", text, flags=re.MULTILINE)
    assert n == 1, f"{path.name}: {item}"
    path.write_text(new, encoding="utf-8")


# --- case 1: P/B, US$ financials, HK$ listing ---------------------------------------------
#
# Iluvatar's statements read as US$ mn; listed in HK$ at HK$7.8 per US$1; 254mn shares.
# Book value 2026E (balance_sheet total_equity) = US$5,431.6mn.
#   P/B 2026e at HK$v = v x 254 / 7.8 / 5,431.6:
#     bull 7,500: 1,905,000 / 7.8 = 244,230.77 -> / 5,431.6 = 44.965x (printed 45x)
#     base 4,120: 1,046,480 / 7.8 = 134,164.10 -> / 5,431.6 = 24.701x (printed 25x)
#     bear 2,000:   508,000 / 7.8 =  65,128.21 -> / 5,431.6 = 11.991x (printed 12x)
#   Upside at a price of HK$3,100: 4,120 / 3,100 - 1 = 32.90%; 7,500: 141.94%; 2,000: -35.48%.
#   The RI model's equity value is Iluvatar's (US$134,226mn as printed; 134,223.7 computed):
#     / 254 = US$528.45 a share; x 7.8 = HK$4,121.9 (the target, 4,120, is within 0.05%).
#   Target-implied P/S 2026E: 134,164.10 / 3,060.0 = 43.84x.
# EV bases on the declared net debt (st_borrowings + lt_debt - cash; 2025 actual: 643.6 +
# 365.4 - 1,504.7 = -495.7) and EBITDA (operating income + depreciation):
#   EV at HK$4,120 = 134,164.10 - 495.7 = 133,668.40
#   EV/EBITDA 2027e = 133,668.40 / (1,400.2 + 100.0) = 89.100x; 2026E EBITDA -308.4 + 100.0
#   = -208.4: NM. EV/S 2026e = 133,668.40 / 3,060.0 = 43.682x.
PB_MULTIPLES = {"bull": 44.965, "base": 24.701, "bear": 11.991}
PB_UPSIDE = {"bull": 1.4194, "base": 0.3290, "bear": -0.3548}


def make_pb_case(root: Path) -> Path:
    """A sample copy whose Iluvatar reports in US$, lists in HK$ and is valued on P/B."""
    copy_sample(root)
    folder = root / FOLDER
    yaml = folder / "company.yaml"
    replace(yaml, "currency: Rmb\n", "currency: USD\n")  # an ISO code is read as US$
    replace(yaml, "price: 457.00\n", "price: 3100.00\n")
    replace(yaml, "price_target: 600\n", "price_target: 4120\n")
    replace(yaml, "    Rmb per HK$: 0.88\n", "    HK$ per US$: 7.8\n")
    for old, new in (("1100.00", "7500.00"), ("600.00", "4120.00"), ("300.00", "2000.00")):
        replace(yaml, f"    value: {old}\n", f"    value: {new}\n")
    text = yaml.read_text(encoding="utf-8")
    text = text.replace("multiple_basis: P/S 2026e", "multiple_basis: P/B 2026e")
    for old, new in (("80", "45"), ("44", "25"), ("22", "12")):
        text = text.replace(f"multiple_published: {old}\n", f"multiple_published: {new}\n")
    for old, new in (("140.70", "141.94"), ("31.29", "32.90"), ("-34.35", "-35.48")):
        text = text.replace(f"upside_pct_published: {old}\n", f"upside_pct_published: {new}\n")
    text = text.replace(
        "  total_equity: {table: balance_sheet, line_item: total_equity}\n",
        "  total_equity: {table: balance_sheet, line_item: total_equity}\n"
        "  ebitda: {table: income_statement, line_item: ebitda}\n"
        "  net_debt: {table: balance_sheet, line_item: net_debt}\n",
    )
    yaml.write_text(text, encoding="utf-8")
    # Derived rows for the EV bases (hand-computed above, one decimal as the tables print).
    with (folder / "income_statement.csv").open("a", encoding="utf-8") as out:
        out.write("ebitda,-952.5,-208.4,1500.2,2780.8\n")
    with (folder / "balance_sheet.csv").open("a", encoding="utf-8") as out:
        out.write("net_debt,-495.7,-1646.4,-42.5,-882.7\n")
    summary = folder / "ri_summary_published.yaml"
    replace(summary, "fx: {Rmb per HK$: 0.88}\n", "fx: {HK$ per US$: 7.8}\n")
    replace(summary, "price_target: 600\n", "price_target: 4120\n")
    return root


# --- case 2: losses absorbed by minorities --------------------------------------------------
#
# Iluvatar with minorities taking Rmb61.9mn of the 2026E pre-tax loss of Rmb261.9mn (no tax):
#   attributable (reported_net_income) = -261.9 - 0.0 - (-61.9) = -200.0
#   cash flow net profit (before minorities) = -200.0 + (-61.9) = -261.9 (unchanged)
#   retained earnings take the attributable loss: 2026E 2,162.1 - 200.0 = 1,962.1, then
#     + 1,449.5 = 3,411.6 (2027E) and + 2,569.5 = 5,981.1 (2028E); the minorities' share
#     leaves other_shareholders_equity (where this case keeps them): -37.9 - 61.9 = -99.8;
#     total equity is unchanged.
#   EPS 2026E = -200.0 / 254.3 = -0.786 (printed -0.8); net margin -200.0 / 3,060.0 =
#     -6.54% (-6.5); ROAE -200.0 / ((2,353.1 + 5,431.6) / 2) = -5.14% (-5.1);
#     ROAA -200.0 / ((2,797.3 + 7,146.0) / 2)... taken from the check below, not printed here.
# Scenario bases: bull P/E 2027e at HK$1,100: 1,100 x 254 x 0.88 / 1,449.5 = 169.63x;
# base P/S 2026e at HK$600: 600 x 254 x 0.88 / 3,060.0 = 43.83x; bear P/E 2026e: a loss, NM.
MINORITY_MULTIPLES = {"bull": 169.63, "base": 43.83}


def make_minority_case(root: Path) -> Path:
    """A sample copy whose Iluvatar has minorities absorbing part of the 2026E loss."""
    copy_sample(root)
    folder = root / FOLDER
    income = folder / "income_statement.csv"
    set_row(income, "minority_interest", "0.0,-61.9,0.0,0.0")
    set_row(income, "reported_net_income", "-1003.7,-200.0,1449.5,2569.5")
    set_row(income, "reported_eps_rmb_published", "-5.3,-0.8,5.7,10.1")
    set_row(income, "eps_for_consensus_rmb_published", "-5.3,-0.8,5.7,10.1")
    balance = folder / "balance_sheet.csv"
    set_row(balance, "retained_earning", "2162.1,1962.1,3411.6,5981.1")
    set_row(balance, "other_shareholders_equity", "-37.9,-99.8,-99.8,-99.8")
    ratios = folder / "ratios.csv"
    set_row(ratios, "net_profit_margin_pct_published", "-97.1,-6.5,19.3,22.6")
    set_row(ratios, "roae_pct_published", "-66.0,-5.1,23.5,31.5")
    inputs = folder / "ri_inputs.csv"
    replace(inputs, "2026,-261.9,", "2026,-200.0,")
    yaml = folder / "company.yaml"
    text = yaml.read_text(encoding="utf-8")
    bases = iter(("P/E 2027e", "P/S 2026e", "P/E 2026e"))
    text = re.sub(r"P/S 2026e", lambda _m: next(bases), text)
    text = text.replace("multiple_published: 80\n", "multiple_published: 170\n")
    text = text.replace("    multiple_published: 22\n", "")  # no multiple on a loss
    yaml.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def pb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_pb_case(tmp_path_factory.mktemp("pb") / "project")


@pytest.fixture(scope="module")
def minority_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_minority_case(tmp_path_factory.mktemp("minorities") / "project")


def pdf_text(path: Path) -> str:
    """Every page's text, whitespace collapsed."""
    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(path).pages))


# --- the P/B case ------------------------------------------------------------------------------


def test_pb_case_values(pb_root: Path) -> None:
    company = load_dataset(pb_root / "data").companies[SLUG]
    assert (company.currency, company.listing_currency) == ("US$", "HK$")
    assert company.valuation.model_per_listing == pytest.approx(1 / 7.8, abs=1e-12)
    cv = cm.value_company(company)
    for name, multiple in PB_MULTIPLES.items():
        sc = cv.scenarios[name]
        assert sc.multiple_basis == "P/B 2026e"
        assert sc.implied_multiple == pytest.approx(multiple, abs=TOL), name
        assert sc.upside == pytest.approx(PB_UPSIDE[name], abs=TOL / 100), name
    assert cv.model_value == pytest.approx(4121.9, abs=0.5)
    assert abs(cv.model_vs_target) < cm.TARGET_TOLERANCE
    assert cv.implied_ps == pytest.approx(43.84, abs=TOL)
    assert cv.implied_pe is None  # 2026E is a loss


def test_pb_case_ev_bases(pb_root: Path) -> None:
    company = load_dataset(pb_root / "data").companies[SLUG]
    assert cm.enterprise_value_mn(company, 4120, 2027) == pytest.approx(133_668.40, abs=0.01)
    ev_ebitda = cm.implied_basis_multiple(company, 4120, "EV/EBITDA", 2027)
    assert ev_ebitda == pytest.approx(89.100, abs=TOL)
    assert cm.implied_basis_multiple(company, 4120, "EV/S", 2026) == pytest.approx(43.682, abs=TOL)
    assert is_nm(cm.implied_basis_multiple(company, 4120, "EV/EBITDA", 2026))
    assert is_nm(cm.implied_basis_multiple(company, 4120, "P/E", 2026))


def test_pb_case_has_no_valuation_mismatches(pb_root: Path) -> None:
    from reportgen.checks import valuation as cv_checks

    ds = load_dataset(pb_root / "data")
    company = ds.companies[SLUG]
    cv = cm.value_company(company)
    assert cv_checks.scenario_mismatches(company, cv) == []
    summary = cv_checks.ri_summary_mismatches(company, cv, ds.root)
    assert [m.column for m in summary if m.column in ("fx", "price_target")] == []


def test_pb_case_unknown_basis_is_located(pb_root: Path, tmp_path: Path) -> None:
    root = make_pb_case(tmp_path / "p")
    yaml = root / FOLDER / "company.yaml"
    replace(yaml, "multiple_basis: P/B 2026e", "multiple_basis: P/NAV 2026e", 3)
    company = load_dataset(root / "data").companies[SLUG]
    with pytest.raises(DataError) as info:
        cm.value_company(company)
    (problem,) = info.value.problems
    lines = yaml.read_text(encoding="utf-8").splitlines()
    assert problem.path == f"{FOLDER}/company.yaml"
    assert problem.column == "scenarios.bull.multiple_basis"
    assert "P/NAV 2026e" in lines[problem.line - 1]  # type: ignore[operator]
    assert "'P/NAV 2026e' is not a multiple basis" in problem.message


def test_pb_case_builds(pb_root: Path) -> None:
    (result,) = build_all(Project(pb_root), [SLUG])
    text = pdf_text(result.pdf)
    for shown in ("HK$7,500.00", "HK$4,120.00", "HK$2,000.00", "HK$3,100.00", "+32.9%"):
        assert shown in text, shown
    for shown in ("45x P/B 2026e", "25x P/B 2026e", "12x P/B 2026e"):
        assert shown in text, shown
    assert "at HK$7.80 per US$1" in text  # the RI table converts as company.yaml states
    assert "Value per share (US$)" in text


# --- the minorities case -------------------------------------------------------------------


def test_minorities_absorbing_a_loss_tie(minority_root: Path) -> None:
    company = load_dataset(minority_root / "data").companies[SLUG]
    found = st.statement_mismatches(company)
    touched = {
        "reported_net_income",
        "net_profits",
        "retained_earning",
        "total_equity",
        "reported_eps_rmb_published",
        "net_profit_margin_pct_published",
        "roae_pct_published",
    }
    assert [m for m in found if m.row in touched or m.column in touched] == []
    # The old rule subtracted |minority_interest|: -261.9 - 61.9 = -323.8, not -200.0.
    old = st.Rule(
        "reported_net_income",
        ("pre_tax_income", "-|income_tax|", "-|minority_interest|"),
    )
    lines = st.read_lines(company, st.STATEMENT_TABLES)
    assert [m.published for m in st.rule_mismatches([old], lines)] == [-200.0]


def test_minorities_case_values(minority_root: Path) -> None:
    company = load_dataset(minority_root / "data").companies[SLUG]
    cv = cm.value_company(company)
    assert cv.net_profit["2026E"] == -200.0
    for name, multiple in MINORITY_MULTIPLES.items():
        assert cv.scenarios[name].implied_multiple == pytest.approx(multiple, abs=TOL), name
    assert is_nm(cv.scenarios["bear"].implied_multiple)
    assert cv.scenarios["bear"].nm


def test_minorities_case_builds(minority_root: Path) -> None:
    (result,) = build_all(Project(minority_root), [SLUG])
    text = pdf_text(result.pdf)
    for shown in ("170x P/E 2027e", "44x P/S 2026e", "NM P/E 2026e", "NM = not meaningful"):
        assert shown in text, shown
    assert "(200.0)" in text  # the attributable 2026E loss in the income statement
    assert "(61.9)" in text  # the minorities' share of it


def test_an_unknown_basis_stops_check_with_its_line(tmp_path: Path) -> None:
    from tests.conftest import run_cli

    root = copy_sample(tmp_path / "p", templates=False)
    yaml = root / "data/companies/metax/company.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("P/S 2026e", "P/NAV 2026e", 1), encoding="utf-8")
    line = next(
        n
        for n, row in enumerate(yaml.read_text(encoding="utf-8").splitlines(), 1)
        if "P/NAV" in row
    )
    result = run_cli(["check"], root)
    assert result.exit_code == 2, result.output
    assert (
        f"data/companies/metax/company.yaml:{line}: column 'scenarios.bull.multiple_basis': "
        "'P/NAV 2026e' is not a multiple basis"
    ) in result.output
    assert "Traceback" not in result.output
