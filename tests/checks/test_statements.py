"""Statement ties with minorities: net profit = attributable + minorities, with signs."""

from __future__ import annotations

import math

from reportgen.checks import statements as st

PATH = "data/companies/x/income_statement.csv"


def lines(**items: dict[str, float]) -> dict[str, st.Line]:
    """Printed lines with one decimal, as the statements print them."""
    return {
        name: st.Line(name, values, 1, PATH, n) for n, (name, values) in enumerate(items.items())
    }


def tie_rules() -> list[st.Rule]:
    """The statement rules that name minority_interest."""
    return [
        r for r in st.STATEMENT_RULES if any("minority_interest" in t for t in (*r.num, *r.den))
    ]


def test_minorities_absorbing_a_loss_are_not_an_error() -> None:
    # Pre-tax loss 261.9, no tax, minorities take 61.9 of it: attributable -261.9 + 61.9 =
    # -200.0; the cash flow's net profit (before minorities) is -200.0 + (-61.9) = -261.9.
    found = st.rule_mismatches(
        tie_rules(),
        lines(
            pre_tax_income={"2026E": -261.9},
            income_tax={"2026E": 0.0},
            minority_interest={"2026E": -61.9},
            reported_net_income={"2026E": -200.0},
            net_profits={"2026E": -261.9},
        ),
    )
    assert found == []


def test_minorities_sharing_a_profit_are_deducted() -> None:
    # Pre-tax 1,000.0, tax 150.0 (printed positive), minorities 50.0: 1,000 - 150 - 50 = 800.0.
    ok = lines(
        pre_tax_income={"2027E": 1000.0},
        income_tax={"2027E": 150.0},
        minority_interest={"2027E": 50.0},
        reported_net_income={"2027E": 800.0},
        net_profits={"2027E": 850.0},
    )
    assert st.rule_mismatches(tie_rules(), ok) == []


def test_a_wrong_attributable_profit_is_reported() -> None:
    # Minorities' share added the wrong way: -261.9 - 61.9 = -323.8 printed instead of -200.0.
    found = st.rule_mismatches(
        tie_rules(),
        lines(
            pre_tax_income={"2026E": -261.9},
            income_tax={"2026E": 0.0},
            minority_interest={"2026E": -61.9},
            reported_net_income={"2026E": -323.8},
        ),
    )
    assert [(m.row, m.column, m.published) for m in found] == [
        ("reported_net_income", "2026E", -323.8)
    ]
    assert math.isclose(found[0].computed, -200.0, abs_tol=1e-9)
