"""One quantity printed at different precisions within a report."""

from __future__ import annotations

from reportgen import formatting as fmt
from reportgen.checks.precision import precision_conflicts
from reportgen.formatting import Printed, printed_numbers


def test_a_quantity_printed_at_two_precisions_is_one_conflict() -> None:
    with printed_numbers() as printed:
        fmt.frac_pct(0.0836, 1)  # a cost of equity on one page
        fmt.pct(8.36, 2)  # and on another, cited in percent
        fmt.usd(2.175, 3)  # a blended price in a table
        fmt.usd(2.175)  # and in prose
        fmt.usd(2.175)
        fmt.usd(1.74)  # one precision only: fine
        fmt.usd(1.74)
    conflicts = precision_conflicts(printed)
    assert [(c.kind, c.unit, c.dps, c.texts) for c in conflicts] == [
        ("pct", "%", (1, 2), ("8.4%", "8.36%")),
        ("money", "US$", (2, 3), ("US$2.175", "US$2.18")),
    ]
    assert conflicts[0].value == 8.36
    assert conflicts[1].message == (
        'one quantity (2.175) printed as "US$2.175" and "US$2.18" (2 and 3 decimals): '
        "print it at one precision throughout the report"
    )


def test_different_kinds_units_and_values_do_not_conflict() -> None:
    printed = [
        Printed(2.0, "multiple", 1, "2.0x", "x"),
        Printed(2.0, "money", 2, "US$2.00", "US$"),
        Printed(2.0, "money", 0, "Rmb2", "Rmb"),
        Printed(2.17, "money", 2, "US$2.17", "US$"),
        Printed(2.175, "money", 3, "US$2.175", "US$"),
    ]
    assert precision_conflicts(printed) == []


def test_zero_and_whole_number_counts_are_skipped_but_whole_prices_are_not() -> None:
    printed = [
        Printed(0.0, "pct", 1, "0.0%", "%"),
        Printed(0.0, "pct", 2, "0.00%", "%"),
        Printed(2025.0, "number", 0, "2,025"),  # a year
        Printed(2025.0, "number", 1, "2,025.0"),
        Printed(12.0, "number", 0, "12"),  # a count
        Printed(12.0, "number", 2, "12.00"),
        Printed(3.0, "money", 0, "US$3", "US$"),
        Printed(3.0, "money", 2, "US$3.00", "US$"),
    ]
    (conflict,) = precision_conflicts(printed)
    assert conflict.texts == ("US$3", "US$3.00")


def test_float_noise_does_not_split_one_quantity() -> None:
    printed = [
        Printed(0.175 * 3, "number", 2, "0.53"),
        Printed(0.525, "number", 3, "0.525"),
    ]
    (conflict,) = precision_conflicts(printed)
    assert conflict.value == 0.525
    assert conflict.dps == (2, 3)
