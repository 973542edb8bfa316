"""Company and industry initiations end to end: build once, read the PDFs back with pypdf."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from pypdf import PdfReader

from reportgen.build import build_all
from reportgen.project import Project
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[2]
COMPANIES = ("cambricon", "iluvatar", "metax")
INDUSTRY = "china-ai-accelerators"

# Published figures of the source initiation (26 Apr 2026), pinned: target, price, upside
# and the bull, base and bear values per share, as the reports print them.
EXPECTED: dict[str, dict[str, object]] = {
    "cambricon": {
        "target": "Rmb1,588",
        "price": "Rmb1,352.50",
        "upside": "17.4%",
        "scenarios": ("Rmb3,000.00", "Rmb1,588.00", "Rmb800.00"),
    },
    "iluvatar": {
        "target": "HK$600",
        "price": "HK$457.00",
        "upside": "31.3%",
        "scenarios": ("HK$1,100.00", "HK$600.00", "HK$300.00"),
    },
    "metax": {
        "target": "Rmb758",
        "price": "Rmb718.00",
        "upside": "5.6%",
        "scenarios": ("Rmb1,500.00", "Rmb758.00", "Rmb380.00"),
    },
}

Cli = Callable[[list[str], Path], Result]


def pdf_text(path: Path) -> str:
    """Every page's text, whitespace collapsed."""
    text = "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build the four initiations once in a copy of the project; their PDF text by slug."""
    root = tmp_path_factory.mktemp("initiations")
    copy_sample(root)
    project = Project(root)
    results = build_all(project, [*COMPANIES, INDUSTRY])
    assert sorted(r.slug for r in results) == sorted([*COMPANIES, INDUSTRY])
    for r in results:
        assert r.html.is_file() and r.pdf.is_file()
    return {r.slug: pdf_text(r.pdf) for r in results}


@pytest.mark.parametrize("slug", COMPANIES)
def test_company_pdf_shows_target_price_upside_and_scenarios(
    texts: dict[str, str], slug: str
) -> None:
    text = texts[slug]
    expected = EXPECTED[slug]
    for key in ("target", "price", "upside"):
        assert str(expected[key]) in text, f"{slug}: {key} {expected[key]} not in the PDF"
    for value in expected["scenarios"]:  # type: ignore[attr-defined]
        assert value in text, f"{slug}: scenario value {value} not in the PDF"
    for heading in ("Risk reward", "Investment positives and concerns", "Company background"):
        assert heading in text, f"{slug}: section '{heading}' missing"
    assert "Key data" in text and "Disclosures" in text


def test_industry_pdf_has_every_company_target(texts: dict[str, str]) -> None:
    text = texts[INDUSTRY]
    for slug, expected in EXPECTED.items():
        assert str(expected["target"]) in text, f"{slug} target missing from the industry PDF"
        assert str(expected["upside"]) in text, f"{slug} upside missing from the industry PDF"
    for heading in ("Stock calls", "Our framework", "Chip economics", "GPGPU or ASIC"):
        assert heading in text


def test_iluvatar_income_statement_shows_negatives_in_parentheses(
    texts: dict[str, str],
) -> None:
    text = texts["iluvatar"]
    start = text.index("income statement")
    statement = text[start : start + 3000]
    # 2025 net income, 2026E operating income and 2025 cost of goods sold, as printed.
    for value in ("(1,003.7)", "(308.4)", "(475.6)"):
        assert value in statement, f"{value} not in the income statement"
    assert "-1,003.7" not in statement


BAD_DEFINITIONS = {
    "company-initiation": (
        "type: company-initiation\n"
        'title: "A company we do not cover"\n'
        "date: 2026-04-26\n"
        "company: nosuch\n"
        "analysts:\n"
        "  - {name: A. Analyst}\n"
        "sections:\n"
        '  - title: "Background"\n',
        4,
    ),
    "industry-initiation": (
        "type: industry-initiation\n"
        'title: "An industry with a stranger in it"\n'
        "date: 2026-04-26\n"
        "companies:\n"
        "  - cambricon\n"
        "  - nosuch\n"
        "analysts:\n"
        "  - {name: A. Analyst}\n"
        "sections:\n"
        '  - title: "Framework"\n',
        6,
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_DEFINITIONS))
def test_unknown_company_is_a_located_error(project_copy: Path, cli: Cli, kind: str) -> None:
    text, line = BAD_DEFINITIONS[kind]
    folder = project_copy / "data" / "reports" / "stranger"
    folder.mkdir()
    (folder / "report.yaml").write_text(text, encoding="utf-8")
    result = cli(["build", "stranger"], project_copy)
    assert result.exit_code == 2, result.output
    assert f"data/reports/stranger/report.yaml:{line}:" in result.stderr
    assert "unknown company 'nosuch'" in result.stderr
    assert "Traceback" not in result.output


def test_a_fourth_company_needs_only_data_and_prose(project_copy: Path, cli: Cli) -> None:
    companies = project_copy / "data" / "companies"
    shutil.copytree(companies / "metax", companies / "newco")
    yaml_path = companies / "newco" / "company.yaml"
    yaml_path.write_text(
        yaml_path.read_text(encoding="utf-8")
        .replace("name: MetaX Integrated Circuits", "name: Newco Accelerators")
        .replace("short_name: MetaX", "short_name: Newco"),
        encoding="utf-8",
    )
    folder = project_copy / "data" / "reports" / "newco"
    folder.mkdir()
    (folder / "summary.md").write_text(
        "We start on {{ company.short_name }} at {{ company.rating }}, target "
        "{{ valuation.target | money(company.listing_currency, 0) }} "
        "({{ valuation.upside | frac_pct(1) }} upside; {{ fig('risk-reward-newco') }}).\n",
        encoding="utf-8",
    )
    (folder / "report.yaml").write_text(
        "type: company-initiation\n"
        "company: newco\n"
        'title: "Newco: a fourth name"\n'
        "date: 2026-04-26\n"
        "analysts:\n"
        "  - {name: A. Analyst}\n"
        "summary: summary.md\n"
        "sections:\n"
        '  - title: "Risk reward"\n'
        "    part: risk-reward\n"
        "    exhibits:\n"
        "      - {id: risk-reward, params: {company: newco}}\n"
        '  - title: "Positives and concerns"\n'
        "    part: positives-concerns\n"
        '  - title: "Background"\n'
        "    part: background\n",
        encoding="utf-8",
    )
    result = cli(["build", "newco"], project_copy)
    assert result.exit_code == 0, result.output
    text = pdf_text(project_copy / "build" / "newco.pdf")
    assert "We start on Newco at Equal-weight, target Rmb758 (5.6% upside; Figure 1)" in text
    assert "Rmb1,500.00" in text and "Newco Accelerators" in text
