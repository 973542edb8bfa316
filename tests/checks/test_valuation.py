"""The printed RI summary's FX rate, stated either way round, against company.yaml's."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType

import pytest

from reportgen.checks import valuation as cv_checks
from reportgen.data.companies import Company
from reportgen.data.dataset import load_dataset
from reportgen.models import company as cm

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="module")
def iluvatar() -> Company:
    return load_dataset(DATA).companies["iluvatar"]


def with_summary(company: Company, **changes: object) -> Company:
    summary = {**company.ri_summary_published, **changes}
    return dataclasses.replace(company, ri_summary_published=MappingProxyType(summary))


@pytest.mark.parametrize(
    ("fx", "value"),
    [
        ({"Rmb per HK$": 0.88}, 0.88),
        ({"HK$ per Rmb": 1 / 0.88}, 0.88),  # the same rate stated the other way
        ({"HKD per CNY": 1 / 0.88}, 0.88),
        ({"US$ per HK$": 0.128}, None),  # not this company's pair
        ({"Rmb per HK$": "0.88"}, None),  # not a number
        ("0.88", None),
    ],
)
def test_printed_model_per_listing(iluvatar: Company, fx: object, value: float | None) -> None:
    got = cv_checks.printed_model_per_listing(iluvatar, fx)
    assert got == (None if value is None else pytest.approx(value, abs=1e-12))


def test_the_sample_summary_agrees(iluvatar: Company) -> None:
    found = cv_checks.ri_summary_mismatches(iluvatar, cm.value_company(iluvatar), DATA)
    assert found == []


def test_a_different_printed_rate_is_reported(iluvatar: Company) -> None:
    company = with_summary(iluvatar, fx={"Rmb per HK$": 0.90})
    found = cv_checks.ri_summary_mismatches(company, cm.value_company(company), DATA)
    (fx,) = [m for m in found if m.column == "fx"]
    assert (fx.published, fx.computed) == (0.90, 0.88)
    assert fx.path.endswith("iluvatar/ri_summary_published.yaml")
