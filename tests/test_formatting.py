"""Rounding as printed, and the record of every number printed."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reportgen import formatting as fmt
from reportgen.formatting import Printed, printed_numbers


@pytest.mark.parametrize(
    ("value", "dp", "shown"),
    [
        (0.175 * 3, 2, "0.53"),  # 0.5249999999999999 in binary: 0.525 as computed
        (0.525, 2, "0.53"),
        (0.175, 2, "0.18"),
        (2.175, 2, "2.18"),
        (1.005, 2, "1.01"),  # 1.00499999999999989... in binary
        (0.1 + 0.2, 1, "0.3"),
        (-2.175, 2, "-2.18"),  # half away from zero, as a spreadsheet
        (2.5, 0, "3"),
        (0.0049, 2, "0.00"),
        (1234567.125, 2, "1,234,567.13"),
    ],
)
def test_number_rounds_half_up_at_its_printed_precision(value: float, dp: int, shown: str) -> None:
    assert fmt.number(value, dp) == shown


def test_every_formatter_rounds_the_float_noise_case_up() -> None:
    noisy = 0.175 * 3
    assert repr(noisy) == "0.5249999999999999"  # the case: Python's round() gives 0.52
    assert round(noisy, 2) == 0.52
    assert fmt.rounded(noisy, 2) == 0.53
    assert fmt.usd(noisy) == "US$0.53"
    assert fmt.money(noisy, "Rmb") == "Rmb0.53"
    assert fmt.pct(noisy, 2) == "0.53%"
    assert fmt.frac_pct(0.02175, 2) == "2.18%"  # 2.1750000000000003 after * 100
    assert fmt.frac_pct(noisy / 100, 2) == "0.53%"
    assert fmt.multiple(noisy, 2) == "0.53x"
    assert fmt.number(-noisy, 2, parens=True) == "(0.53)"


def test_formatters_record_what_they_print_while_a_recorder_is_active() -> None:
    fmt.number(9.99)  # before: not recorded
    with printed_numbers() as printed:
        fmt.number(1234.5, 1)
        fmt.usd(2.175, 3)
        fmt.money(1588, "Rmb", 0)
        fmt.frac_pct(0.0836, 2)
        fmt.pct(8.36, 1)
        fmt.multiple(2.0)
        fmt.usd(None)  # a missing value prints a dash: no number
    fmt.number(9.99)  # after: not recorded
    assert printed == [
        Printed(1234.5, "number", 1, "1,234.5"),
        Printed(2.175, "money", 3, "US$2.175", "US$"),
        Printed(1588.0, "money", 0, "Rmb1,588", "Rmb"),
        Printed(pytest.approx(8.36), "pct", 2, "8.36%", "%"),  # type: ignore[arg-type]
        Printed(8.36, "pct", 1, "8.4%", "%"),
        Printed(2.0, "multiple", 1, "2.0x", "x"),
    ]


def test_nested_recorders_each_see_every_number() -> None:
    with printed_numbers() as outer:
        fmt.number(1.5)
        with printed_numbers() as inner:
            fmt.number(2.5)
    assert [p.text for p in outer] == ["1.5", "2.5"]
    assert [p.text for p in inner] == ["2.5"]


def test_a_recorder_sees_only_its_own_thread() -> None:
    """The preview server renders in threads: one render's numbers never reach another's."""
    seen: dict[str, list[str]] = {}
    start = threading.Barrier(2)

    def render(name: str, value: float) -> None:
        with printed_numbers() as printed:
            start.wait()
            for _ in range(200):
                fmt.number(value)
        seen[name] = sorted({p.text for p in printed})

    threads = [threading.Thread(target=render, args=(n, v)) for n, v in (("a", 1.5), ("b", 2.5))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"a": ["1.5"], "b": ["2.5"]}


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.1 + 0.2, "0.3"), (0.175 * 3, "0.525"), (2.0, "2.0"), (1e-7, "0.0000001"), (2, "2")],
)
def test_a_number_shown_without_a_filter_has_no_binary_noise(value: float, shown: str) -> None:
    assert fmt.plain(value) == shown


def test_templates_and_prose_show_unfiltered_floats_without_noise(tmp_path: Path) -> None:
    from reportgen.render.prose import render_prose
    from reportgen.render.templates import template_env

    (tmp_path / "t.j2").write_text("{{ x }} {{ x | round(2) }}", encoding="utf-8")
    assert template_env(tmp_path).get_template("t.j2").render(x=0.1 + 0.2) == "0.3 0.3"
    html = str(
        render_prose(
            "{{ x }}, {{ y | round(2) }}, {{ 'a' ~ x }}", "p.md", {"x": 0.1 + 0.2, "y": 0.175 * 3}
        )
    )
    assert html == "<p>0.3, 0.53, a0.3</p>\n"


@pytest.mark.parametrize(
    ("value", "args", "result"),
    [
        (2.175, (2,), 2.18),
        (0.175 * 3, (2,), 0.53),
        (42.55, (), 43.0),
        (42.55, (1, "floor"), 42.5),
        (42.51, (1, "ceil"), 42.6),
        (-2.5, (), -3.0),
    ],
)
def test_the_round_filter_rounds_half_up_on_decimal_digits(
    value: float, args: tuple[object, ...], result: float
) -> None:
    assert fmt.round_filter(value, *args) == result  # type: ignore[arg-type]


# --- each quantity's precision, decided once ------------------------------------------------------


def test_a_declared_quantity_prints_with_its_declared_decimals_everywhere() -> None:
    ratio = fmt.quantity(5.9924, "io_ratio")
    declared = fmt.PRECISIONS["io_ratio"]
    assert (declared.kind, declared.dp) == ("multiple", 1)
    assert fmt.multiple(ratio) == "6.0x"  # carried by the value
    assert fmt.multiple(5.9924, "io_ratio") == "6.0x"  # named where a plain float is formatted
    assert fmt.multiple(ratio * 2, 2) == "11.98x"  # arithmetic makes a new, undeclared value
    assert fmt.quantity(None, "io_ratio") is None
    assert fmt.frac_pct(fmt.quantity(0.0836, "cost_of_equity")) == "8.4%"
    assert fmt.pct(fmt.quantity(8.36, "cost_of_equity")) == "8.4%"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fmt.multiple(fmt.quantity(5.99, "io_ratio"), 2), "prints with 1 decimals"),
        (lambda: fmt.usd(fmt.quantity(5.99, "io_ratio")), "prints as multiple, not money"),
        (lambda: fmt.number(1.0, "no_such_quantity"), "unknown quantity 'no_such_quantity'"),
        (lambda: fmt.quantity(1.0, "no_such_quantity"), "unknown quantity"),
        (lambda: fmt.declare_precision("io_ratio", "multiple", 1, "again"), "declared twice"),
    ],
)
def test_another_precision_for_a_declared_quantity_is_refused(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_a_quantity_survives_worker_processes_and_prose() -> None:
    import pickle

    from reportgen.render.prose import render_prose

    ratio = fmt.quantity(5.9924, "io_ratio")
    again = pickle.loads(pickle.dumps(ratio))
    assert (type(again), float(again), again.quantity) == (fmt.Quantity, 5.9924, "io_ratio")
    html = render_prose(
        "{{ r | multiple }} and {{ [r, 1.0] | max | multiple }}", "p.md", {"r": ratio}
    )
    assert str(html) == "<p>6.0x and 6.0x</p>\n"


def test_percentages_in_financial_tables_show_negatives_in_parentheses() -> None:
    assert fmt.pct(-6.25, 1, parens=True) == "(6.3%)"
    assert fmt.pct(6.25, 1, parens=True) == "6.3%"
    assert fmt.pct(-0.04, 1, parens=True) == "0.0%"  # rounds to zero: no sign, no parentheses
    assert fmt.frac_pct(-0.0625, 1, parens=True) == "(6.3%)"
    with printed_numbers() as printed:
        fmt.pct(-6.25, 1, parens=True)
    assert printed == [Printed(-6.25, "pct", 1, "(6.3%)", "%")]
