"""Company folders: currencies by symbol or ISO code, and FX rates named by both currencies."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.data import companies as co
from reportgen.data.companies import FxRate
from reportgen.data.dataset import load_dataset
from reportgen.errors import DataError
from tests.tools import copy_sample

ILUVATAR = "data/companies/iluvatar"


@pytest.mark.parametrize(
    ("written", "shown"),
    [("Rmb", "Rmb"), ("CNY", "Rmb"), ("rmb", "Rmb"), ("HKD", "HK$"), ("usd", "US$"), ("¥", "¥")],
)
def test_currency_of(written: str, shown: str) -> None:
    assert co.currency_of(written) == shown


def test_unknown_currency() -> None:
    assert co.currency_of("RUB") is None


@pytest.mark.parametrize(
    ("key", "pair"),
    [
        ("HK$ per US$", ("HK$", "US$")),
        ("HKD per USD", ("HK$", "US$")),
        ("Rmb per HK$1", ("Rmb", "HK$")),
        ("  CNY  PER  hkd ", ("Rmb", "HK$")),
    ],
)
def test_parse_fx_key(key: str, pair: tuple[str, str]) -> None:
    assert co.parse_fx_key(key) == pair


@pytest.mark.parametrize(
    ("key", "message"),
    [("hkd_rmb", "does not name a rate"), ("RUB per US$", "unknown currency 'RUB'")],
)
def test_parse_fx_key_refuses(key: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        co.parse_fx_key(key)


def test_model_per_listing_either_way() -> None:
    # Rmb financials, HK$ listing, Rmb0.88 per HK$1: Rmb per HK$ = 0.88 (as printed).
    assert co.model_per_listing(FxRate("Rmb", "HK$", 0.88), "Rmb", "HK$") == 0.88
    # The same rate stated the other way, HK$1/0.88 = HK$1.13636 per Rmb1: 1 / 1.13636.
    assert co.model_per_listing(FxRate("HK$", "Rmb", 1 / 0.88), "Rmb", "HK$") == pytest.approx(
        0.88, abs=1e-12
    )
    # US$ financials, HK$ listing, HK$7.8 per US$1: US$ per HK$ = 1 / 7.8 = 0.128205.
    assert co.model_per_listing(FxRate("HK$", "US$", 7.8), "US$", "HK$") == pytest.approx(
        0.128205, abs=1e-6
    )
    with pytest.raises(ValueError, match="does not convert between"):
        co.model_per_listing(FxRate("HK$", "US$", 7.8), "Rmb", "HK$")
    with pytest.raises(ValueError, match="must be positive"):
        co.model_per_listing(FxRate("HK$", "US$", 0.0), "US$", "HK$")


def test_the_sample_rate_reads_as_before() -> None:
    company = load_dataset(Path(__file__).resolve().parents[2] / "data").companies["iluvatar"]
    assert company.valuation.model_per_listing == 0.88
    assert company.valuation.fx == FxRate("Rmb", "HK$", 0.88)


def _edited(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    root = copy_sample(tmp_path / "p", templates=False)
    yaml = root / ILUVATAR / "company.yaml"
    text = yaml.read_text(encoding="utf-8")
    assert text.count(old) == 1
    yaml.write_text(text.replace(old, new), encoding="utf-8")
    return root, yaml.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "key", "line_has", "message"),
    [
        (
            "    Rmb per HK$: 0.88\n",
            "    hkd_rmb: 0.88\n",
            "valuation.fx.hkd_rmb",
            "hkd_rmb",
            "'hkd_rmb' does not name a rate",
        ),
        (
            "    Rmb per HK$: 0.88\n",
            "    US$ per HK$: 0.12\n",
            "valuation.fx.US$ per HK$",
            "US$ per HK$",
            "does not convert between the reporting currency (Rmb) and the listing currency (HK$)",
        ),
        (
            "    Rmb per HK$: 0.88\n",
            "    Rmb per HK$: -0.88\n",
            "valuation.fx.Rmb per HK$",
            "Rmb per HK$",
            "must be positive",
        ),
        (
            "  fx:\n    Rmb per HK$: 0.88\n",
            "",
            "valuation.fx",
            None,
            "give the rate naming both, e.g. fx: {Rmb per HK$: <rate>}",
        ),
    ],
)
def test_a_wrong_rate_is_located(
    tmp_path: Path, old: str, new: str, key: str, line_has: str | None, message: str
) -> None:
    root, text = _edited(tmp_path, old, new)
    with pytest.raises(DataError) as info:
        load_dataset(root / "data")
    problems = [p for p in info.value.problems if p.path == f"{ILUVATAR}/company.yaml"]
    assert [p.column for p in problems] == [key]
    assert message in problems[0].message
    if line_has is not None:
        assert problems[0].line is not None
        assert line_has in text.splitlines()[problems[0].line - 1]


def test_a_rate_for_one_currency_is_refused(tmp_path: Path) -> None:
    root, _ = _edited(tmp_path, "listing_currency: HK$\n", "listing_currency: Rmb\n")
    with pytest.raises(DataError) as info:
        load_dataset(root / "data")
    assert any(
        p.column == "valuation.fx" and "both Rmb: no rate is needed" in p.message
        for p in info.value.problems
    )


def test_a_currency_named_summary_key_is_located(tmp_path: Path) -> None:
    root = copy_sample(tmp_path / "p", templates=False)
    path = root / ILUVATAR / "ri_summary_published.yaml"
    text = path.read_text(encoding="utf-8").replace("equity_value_mn:", "equity_value_rmb_mn:")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset(root / "data")
    (problem,) = info.value.problems
    assert (problem.path, problem.column) == (
        f"{ILUVATAR}/ri_summary_published.yaml",
        "equity_value_rmb_mn",
    )
    assert problem.line is not None
    assert text.splitlines()[problem.line - 1].startswith("equity_value_rmb_mn:")
    assert "names carry no currency" in problem.message
