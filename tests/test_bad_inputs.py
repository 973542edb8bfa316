"""A corpus of broken inputs: each gets one located message, exit code 2, and no traceback.

Every case edits one file of a copy of the project, runs `reportgen check` (which validates
data, house settings and report definitions without rendering) or `reportgen build` where the
problem only shows when rendering, and asserts the message names the file, the line and the
column where that applies, and what was expected.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.tools import copy_sample

REPO = Path(__file__).resolve().parents[1]
PRICING = "data/market/llm_pricing.csv"
KIMI = "19,China,Moonshot,Kimi K2.6,Y,Y,0.95,0.16,0.95,,4.00,1.7125,4.21,262K,,Moonshot"
DAY0 = "data/market/day0_matrix.csv"
BIREN = "Biren,Day-0*,Day-0*,,Day-0,Day-0,,Day-0,Day-0,,,,Day-0"
PROMO = "data/market/llm_promotions.csv"
PROMO_ROW = "DeepSeek V4 Pro,75,0.44,0.87,2026-04-25,2026-05-31,2026-05-05,DeepSeek"
SHIP = "data/market/china_ai_shipments.csv"
GPGPU = "data/market/gpgpu_market.csv"
CAMB = "data/companies/cambricon/company.yaml"
CAMB_RI = "data/companies/cambricon/ri_inputs.csv"
ILU_IS = "data/companies/iluvatar/income_statement.csv"
CHIPS = "data/market/chips.csv"
REPORT = "data/reports/deepseek-v4-pricing/report.yaml"
PROSE = "data/reports/deepseek-v4-pricing/summary.md"
HOUSE = "data/house.yaml"
TEMPLATE = "templates/sector_note.html.j2"


def sub(old: str, new: str, count: int = 1) -> Callable[[str], str]:
    """An edit replacing ``old`` (which must occur ``count`` times) with ``new``."""

    def edit(text: str) -> str:
        assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times"
        return text.replace(old, new)

    return edit


def append(extra: str) -> Callable[[str], str]:
    return lambda text: text + extra


@dataclass(frozen=True)
class Case:
    id: str
    path: str
    edit: Callable[[str], str]
    expected: tuple[str, ...]
    command: str = "check"


KIMI_LINE = "data/market/llm_pricing.csv:47"
CASES = [
    # --- the pricing table: types, bounds, required cells, columns, keys --------------------
    Case(
        "price-not-a-number",
        PRICING,
        sub(KIMI, KIMI.replace(",0.95,0.16,", ",abc,0.16,")),
        (f"{KIMI_LINE}: column 'input_usd'", "'abc' is not a number"),
    ),
    Case(
        "price-negative",
        PRICING,
        sub(KIMI, KIMI.replace(",0.95,0.16,", ",-0.95,0.16,")),
        (f"{KIMI_LINE}: column 'input_usd'", "below the minimum 0"),
    ),
    Case(
        "price-negative-parentheses",
        PRICING,
        sub(KIMI, KIMI.replace(",4.00,1.7125", ",(4.00),1.7125")),
        (f"{KIMI_LINE}: column 'output_usd'", "below the minimum 0"),
    ),
    Case(
        "price-empty-required",
        PRICING,
        sub(KIMI, KIMI.replace(",4.00,1.7125", ",,1.7125")),
        (f"{KIMI_LINE}: column 'output_usd'", "empty cell; a value is required"),
    ),
    Case(
        "price-percent-sign",
        PRICING,
        sub(KIMI, KIMI.replace(",0.16,", ",16%,")),
        (f"{KIMI_LINE}: column 'cache_read_usd'", "has a % sign"),
    ),
    Case(
        "price-two-decimal-points",
        PRICING,
        sub(KIMI, KIMI.replace(",0.16,", ",0.1.6,")),
        (f"{KIMI_LINE}: column 'cache_read_usd'", "'0.1.6' is not a number"),
    ),
    Case(
        "price-word",
        PRICING,
        sub(KIMI, KIMI.replace(",0.16,", ",free,")),
        (f"{KIMI_LINE}: column 'cache_read_usd'", "'free' is not a number"),
    ),
    Case(
        "price-double-sign",
        PRICING,
        sub(KIMI, KIMI.replace(",0.16,", ",--0.16,")),
        (f"{KIMI_LINE}: column 'cache_read_usd'", "is not a number"),
    ),
    Case(
        "region-unknown",
        PRICING,
        sub(KIMI, KIMI.replace(",China,", ",Europe,")),
        (f"{KIMI_LINE}: column 'region'", "'Europe' is not one of: China, Overseas"),
    ),
    Case(
        "flag-not-y",
        PRICING,
        sub(KIMI, KIMI.replace(",Y,Y,", ",yes,Y,")),
        (f"{KIMI_LINE}: column 'flagship'", "expected 'Y' or empty"),
    ),
    Case(
        "row-not-whole",
        PRICING,
        sub(KIMI, KIMI.replace("19,China", "19.5,China")),
        (f"{KIMI_LINE}: column 'row'", "'19.5' is not a whole number"),
    ),
    Case(
        "row-duplicate",
        PRICING,
        sub(KIMI, KIMI.replace("19,China", "18,China")),
        (f"{KIMI_LINE}: column 'row'", "duplicate key 18"),
    ),
    Case(
        "context-length-form",
        PRICING,
        sub(KIMI, KIMI.replace(",262K,", ",262 thousand,")),
        (f"{KIMI_LINE}: column 'context_length'", "does not match the expected form"),
    ),
    Case(
        "cells-missing",
        PRICING,
        sub(KIMI, KIMI.rsplit(",", 2)[0]),
        (f"{KIMI_LINE}", "expected 17 cells as in the header, found 15"),
    ),
    Case(
        "column-missing",
        PRICING,
        sub(",io_ratio_published,", ","),
        (
            "data/market/llm_pricing.csv:",
            "column 'io_ratio_published'",
            "required column is missing",
        ),
    ),
    Case(
        "column-unknown",
        PRICING,
        sub(",output_usd_published\n", ",output_usd_published,note\n"),
        ("column 'note'", "unknown column"),
    ),
    Case(
        "column-twice",
        PRICING,
        sub(",output_length,printed_provider_cell,", ",output_length,output_length,"),
        ("column 'output_length'", "column name appears twice"),
    ),
    Case(
        "quote-unclosed",
        PRICING,
        sub(KIMI, KIMI.replace("Kimi K2.6", '"Kimi K2.6')),
        ("data/market/llm_pricing.csv:", "malformed CSV"),
    ),
    # --- Day-0 matrix ---------------------------------------------------------------------
    Case(
        "day0-unknown-vendor",
        DAY0,
        sub(BIREN, BIREN.replace("Biren", "Birne")),
        ("data/market/day0_matrix.csv:15: column 'vendor'", "unknown vendor 'Birne'"),
    ),
    Case(
        "day0-unknown-model",
        DAY0,
        sub(",Kimi K2.6,", ",Kimi K3,"),
        ("data/market/day0_matrix.csv:8: column 'Kimi K3'", "unknown model"),
    ),
    Case(
        "day0-unknown-status",
        DAY0,
        sub(BIREN, BIREN.replace("Day-0*,Day-0*", "Day-1,Day-0*")),
        (
            "data/market/day0_matrix.csv:15: column 'DeepSeek V4 Pro'",
            "'Day-1' is not one of: Day-0, Day-0*",
        ),
    ),
    Case(
        "day0-vendor-twice",
        DAY0,
        sub(BIREN, BIREN + "\n" + BIREN),
        ("data/market/day0_matrix.csv:16: column 'vendor'", "duplicate key 'Biren'"),
    ),
    Case(
        "day0-catalogue-date",
        "data/market/day0.yaml",
        sub("as_of: 2026-05-01", "as_of: May 1"),
        ("data/market/day0.yaml:3: column 'as_of'", "expected a date YYYY-MM-DD"),
    ),
    Case(
        "day0-catalogue-duplicate-key",
        "data/market/day0.yaml",
        sub("as_of: 2026-05-01", "as_of: 2026-05-01\nas_of: 2026-05-02"),
        ("data/market/day0.yaml:4: column 'as_of'", "duplicate key (first defined on line 3)"),
    ),
    Case(
        "day0-catalogue-not-yaml",
        "data/market/day0.yaml",
        sub("vendors:", "vendors: [Huawei"),
        ("data/market/day0.yaml:", "invalid YAML"),
    ),
    # --- other market tables ---------------------------------------------------------------
    Case(
        "promo-unknown-model",
        PROMO,
        sub(PROMO_ROW, PROMO_ROW.replace("V4 Pro", "V9 Pro")),
        ("data/market/llm_promotions.csv:6: column 'model'", "unknown model 'DeepSeek V9 Pro'"),
    ),
    Case(
        "promo-bad-date",
        PROMO,
        sub(PROMO_ROW, PROMO_ROW.replace("2026-05-31", "31/05/2026")),
        ("data/market/llm_promotions.csv:6: column 'valid_until'", "expected YYYY-MM-DD"),
    ),
    Case(
        "shipments-units-text",
        SHIP,
        sub("2025,Nvidia,2.2,", "2025,Nvidia,lots,"),
        ("data/market/china_ai_shipments.csv:10: column 'units_mn'", "'lots' is not a number"),
    ),
    Case(
        "gpgpu-unknown-segment",
        GPGPU,
        sub("cagr,total,2025-29E", "cagr,everything,2025-29E"),
        ("data/market/gpgpu_market.csv:6: column 'segment'", "'everything' is not one of"),
    ),
    Case(
        "gpgpu-year-form",
        GPGPU,
        sub("cagr,total,2025-29E", "cagr,total,FY25"),
        ("data/market/gpgpu_market.csv:6: column 'year'", "does not match the expected form"),
    ),
    Case(
        "chips-yield-text",
        CHIPS,
        sub("Nvidia,H20,GPGPU,814,1,50,", "Nvidia,H20,GPGPU,814,1,fifty,"),
        ("data/market/chips.csv:", "column 'yield_pct'", "'fifty' is not a number"),
    ),
    Case(
        "file-not-utf8",
        SHIP,
        lambda t: t.replace("Nvidia", "Nvidi\udce9"),
        ("data/market/china_ai_shipments.csv", "not UTF-8 text"),
    ),
    # --- company folders -----------------------------------------------------------------
    Case(
        "company-price-text",
        CAMB,
        sub("price: 1352.50", "price: about 1352"),
        (f"{CAMB}:17: column 'price'", "expected a number"),
    ),
    Case(
        "company-price-negative",
        CAMB,
        sub("price: 1352.50", "price: -1352.50"),
        (f"{CAMB}:17: column 'price'", "must be positive"),
    ),
    Case(
        "company-rating-unknown",
        CAMB,
        sub("rating: Overweight", "rating: Buy"),
        (f"{CAMB}:22: column 'rating'", "'Buy' is not a stock rating"),
    ),
    Case(
        "company-currency-unknown",
        CAMB,
        sub("\ncurrency: Rmb\n", "\ncurrency: RUB\n"),  # CNY is Rmb's ISO code: accepted
        (f"{CAMB}:12: column 'currency'", "unknown currency 'RUB'"),
    ),
    Case(
        "company-date",
        CAMB,
        sub("price_date: 2026-04-26", "price_date: 26 April"),
        (f"{CAMB}:20: column 'price_date'", "expected a date YYYY-MM-DD"),
    ),
    Case(
        "company-duplicate-key",
        CAMB,
        sub("shares_mn: 425", "shares_mn: 425\nshares_mn: 424"),
        (f"{CAMB}:17: column 'shares_mn'", "duplicate key (first defined on line 16)"),
    ),
    Case(
        "company-ticker-missing",
        CAMB,
        sub("ticker: 688256.SS\n", ""),
        (CAMB, "column 'ticker'", "required key is missing"),
    ),
    Case(
        "company-scenario-unknown",
        CAMB,
        sub("  bull:", "  moon:"),
        (CAMB, "column 'scenarios.moon'", "unknown scenario"),
    ),
    Case(
        "company-ri-input-text",
        CAMB_RI,
        sub("2027,9558,", "2027,n/a9558,"),
        (f"{CAMB_RI}:10: column 'net_profit_mn'", "is not a number"),
    ),
    Case(
        "statement-bad-period",
        ILU_IS,
        sub("line_item,2025,2026E", "line_item,2025,FY2026"),
        (ILU_IS, "column 'FY2026'", "not a period column"),
    ),
    Case(
        "statement-bad-cell",
        ILU_IS,
        sub("net_sales,1033.6,", "net_sales,1,033.6.0,"),
        (f"{ILU_IS}:10", "expected 5 cells"),
    ),
    Case(
        "statement-item-twice",
        ILU_IS,
        sub("cogs,-475.6,", "net_sales,-475.6,"),
        (f"{ILU_IS}:11: column 'line_item'", "duplicate key 'net_sales'"),
    ),
    # --- report definitions, prose, house, templates --------------------------------------
    Case(
        "report-unknown-type",
        REPORT,
        sub("type: sector-note", "type: sector-notes"),
        (f"{REPORT}:3: column 'type'", "unknown report type 'sector-notes'"),
    ),
    Case(
        "report-bad-date",
        REPORT,
        sub("date: 2026-05-01", "date: 1 May"),
        (f"{REPORT}:7: column 'date'", "is not a date YYYY-MM-DD"),
    ),
    Case(
        "report-unknown-exhibit",
        REPORT,
        sub("      - id: price-ranges", "      - id: price-range"),
        (f"{REPORT}:37: column 'id'", "unknown exhibit 'price-range'"),
    ),
    Case(
        "report-unknown-key",
        REPORT,
        sub("date: 2026-05-01", "date: 2026-05-01\nauthor: me"),
        (f"{REPORT}:8: column 'author'", "unknown key"),
    ),
    Case(
        "report-missing-title",
        REPORT,
        sub('title: "DeepSeek V4 pricing', 'headline: "DeepSeek V4 pricing'),
        (REPORT, "column 'title'", "required key is missing"),
    ),
    Case(
        "report-missing-prose",
        REPORT,
        sub("prose: pricing.md", "prose: pricing-v2.md"),
        (REPORT, "column 'prose'", "prose file 'pricing-v2.md' not found"),
    ),
    Case(
        "house-missing-name",
        HOUSE,
        sub("name: Meridian Research\n", ""),
        ("data/house.yaml", "column 'name'", "required key is missing"),
    ),
    Case(
        "prose-undefined",
        PROSE,
        append("\n{{ market.modle('x') }}\n"),
        (f"{PROSE}:12:", "has no attribute 'modle'"),
        "build",
    ),
    Case(
        "prose-unknown-model",
        PROSE,
        append("\n{{ market.model('Claude Opus 9') }}\n"),
        (f"{PROSE}:", "unknown model 'Claude Opus 9'"),
        "build",
    ),
    Case(
        "prose-syntax",
        PROSE,
        append("\n{{ market.model( }}\n"),
        (f"{PROSE}:", "template syntax"),
        "build",
    ),
    Case(
        "prose-unknown-figure",
        PROSE,
        append("\n{{ fig('no-such-exhibit') }}\n"),
        (f"{PROSE}:", "does not place"),
        "build",
    ),
    Case(
        "template-syntax",
        TEMPLATE,
        sub("{% block body %}", "{% block body %}{% if %}"),
        ("templates/sector_note.html.j2:24:", "Expected an expression"),
        "build",
    ),
    Case(
        "template-undefined",
        TEMPLATE,
        sub("{% block body %}", "{% block body %}{{ nope.x }}"),
        ("templates/sector_note.html.j2:24:", "'nope' is undefined"),
        "build",
    ),
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    copy_sample(root)
    return root


def test_the_corpus_is_large() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_clear_message(case: Case, pristine: Path, tmp_path: Path) -> None:
    root = tmp_path / "p"
    shutil.copytree(pristine, root)
    target = root / case.path
    text = target.read_text(encoding="utf-8")
    edited = case.edit(text)
    target.write_bytes(edited.encode("utf-8", "surrogateescape"))
    result = CliRunner().invoke(
        main,
        ["--project", str(root), case.command, "-q", "deepseek-v4-pricing"]
        if case.command == "build"
        else ["--project", str(root), "check"],
    )
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors, result.stderr
    assert "Traceback" not in result.output
    message = "\n".join(errors)
    for fragment in case.expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    if case.command == "check":
        assert not (root / "build").exists()
    else:  # the broken report is not written; reports it does not touch may still build
        assert not (root / "build" / "deepseek-v4-pricing.pdf").exists()
