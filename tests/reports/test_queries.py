"""Market queries prose uses to state comparisons: price statistics, rivals, corrected rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.data.dataset import load_dataset
from reportgen.reports.queries import Market, QueryError

REPO_DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def market() -> Market:
    return Market(load_dataset(REPO_DATA))


def test_prices_summarise_one_measure_over_a_region(market: Market) -> None:
    inputs = market.prices("China", "input")
    flagships = market.models("China", True)
    assert inputs.n == len(flagships)
    assert (inputs.low, inputs.low_model) == (0.30, "MiniMax-M2.7")
    assert inputs.high == max(m.input for m in flagships)
    # the promotional V4-Pro input rate is in the cheaper half, not at the bottom
    promo = market.promo("DeepSeek V4 Pro")["input_usd"]
    assert inputs.low < promo < inputs.median


def test_rivals_leave_out_the_providers_own_models(market: Market) -> None:
    rivals = market.rivals("DeepSeek", "io_ratio")
    assert rivals.n == len([m for m in market.models(None, True) if m.provider != "DeepSeek"])
    assert (rivals.low, rivals.low_model) == (3.0, "Grok 4.2")
    assert market.model("DeepSeek V4 Pro").io_ratio < rivals.low


def test_unknown_measure_or_provider_is_a_query_error(market: Market) -> None:
    with pytest.raises(QueryError, match="unknown price measure 'cache'"):
        market.prices("China", "cache")
    with pytest.raises(QueryError, match="unknown provider 'Nobody'"):
        market.rivals("Nobody")


def test_a_corrected_misprint_keeps_the_printed_price(market: Market) -> None:
    (row,) = market.corrected()
    assert (row.model, row.output, row.output_published) == (
        "GPT-5.5 Pro (Long Context)",
        270.0,
        370.0,
    )
    # the corrected output reproduces the blended price and I/O ratio the list printed
    assert (row.blended, row.io_ratio) == (112.5, 4.5)
    assert market.model("DeepSeek V4 Pro").output_published is None
