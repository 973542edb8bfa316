"""numbers.parse_number: the declared formats analysts type, and clear refusals of the rest."""

from __future__ import annotations

import pytest

from reportgen.data.numbers import NumberFormatError, NumberRule, parse_number

PLAIN = NumberRule()
PERCENT = NumberRule(percent=True)
MONEY = NumberRule(currency=True)
NO_MARKERS = NumberRule(markers=frozenset())

try:
    from hypothesis import example, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test extra
    HAVE_HYPOTHESIS = False
else:
    HAVE_HYPOTHESIS = True


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0.0),
        ("12", 12.0),
        ("1.5", 1.5),
        (".5", 0.5),
        ("-1.2", -1.2),
        ("+3", 3.0),
        ("1,234", 1234.0),
        ("1,234.5", 1234.5),
        ("12,345,678.25", 12345678.25),
        ("(1.20)", -1.2),
        ("(1,234.5)", -1234.5),
        ("( 7 )", -7.0),
        ("  42  ", 42.0),
    ],
)
def test_accepted_number_forms(text: str, expected: float) -> None:
    assert parse_number(text, PLAIN) == expected


@pytest.mark.parametrize("text", ["", "NA", "N/A", "NM", "nm", "n.a.", "-", "--", "X", "  NA "])
def test_missing_markers_are_none(text: str) -> None:
    assert parse_number(text, PLAIN) is None


def test_markers_are_declared_per_rule() -> None:
    with pytest.raises(NumberFormatError, match="missing-value marker \\(none\\)"):
        parse_number("NA", NO_MARKERS)
    with pytest.raises(NumberFormatError):
        parse_number("", NO_MARKERS)
    assert parse_number("tbc", NumberRule(markers=frozenset({"tbc"}))) is None


@pytest.mark.parametrize(("text", "expected"), [("12.5%", 12.5), ("(3.0%)", -3.0), ("41 %", 41.0)])
def test_percent_allowed_keeps_percent_units(text: str, expected: float) -> None:
    assert parse_number(text, PERCENT) == expected


@pytest.mark.parametrize(("text", "expected"), [("(12.5)%", -12.5), ("(1,234.5)%", -1234.5)])
def test_percent_after_parenthesised_negative(text: str, expected: float) -> None:
    assert parse_number(text, PERCENT) == expected


def test_percent_refused_when_the_rule_does_not_allow_it() -> None:
    with pytest.raises(NumberFormatError) as exc:
        parse_number("12.5%", PLAIN)
    assert "% sign" in str(exc.value)
    assert "expected a number such as 1,234.5" in str(exc.value)
    assert "optionally with a % sign" not in str(exc.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("US$1.74", 1.74),
        ("$0.28", 0.28),
        ("HK$600", 600.0),
        ("Rmb1,588", 1588.0),
        ("US$ 2.50", 2.5),
        ("(US$1.20)", -1.2),
        ("-$5", -5.0),
    ],
)
def test_currency_prefix_allowed(text: str, expected: float) -> None:
    assert parse_number(text, MONEY) == expected


@pytest.mark.parametrize("text", ["US$1.74", "$0.28", "Rmb1,588", "¥10"])
def test_currency_prefix_refused_when_the_rule_does_not_allow_it(text: str) -> None:
    with pytest.raises(NumberFormatError) as exc:
        parse_number(text, PLAIN)
    assert "currency sign" in str(exc.value)
    assert "expected" in str(exc.value)


def test_describe_lists_what_the_rule_allows() -> None:
    text = NumberRule(percent=True, currency=True).describe()
    assert "% sign" in text
    assert "US$" in text
    assert "NA" in text


@pytest.mark.parametrize(
    "text",
    [
        "1.2.3",
        "12abc",
        "abc",
        "1,23",
        "1,2345",
        "12,34.5",
        "5.",
        ".",
        ",",
        "1e5",
        "nan",
        "inf",
        "1 234",
        "- 5",
        "((1))",
        "(-1)",
        "()",
        "$",
    ],
)
def test_garbage_is_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(NumberFormatError) as exc:
        parse_number(text, MONEY)
    message = str(exc.value)
    assert f"'{text}'" in message
    assert "expected a number such as 1,234.5 or (12.3) for a negative" in message


@pytest.mark.parametrize("text", ["--5", "+-5", "-+5", "+", "(-)", "(+)"])
def test_doubled_or_bare_signs_are_refused_with_what_was_expected(text: str) -> None:
    with pytest.raises(NumberFormatError, match="expected a number"):
        parse_number(text, NO_MARKERS)


if HAVE_HYPOTHESIS:

    @st.composite
    def printed_numbers(draw: st.DrawFn) -> tuple[str, float]:
        """A number as an analyst prints it (separators, parens or minus), and its value."""
        whole = draw(st.integers(min_value=0, max_value=10**12))
        dp = draw(st.integers(min_value=0, max_value=4))
        frac = draw(st.integers(min_value=0, max_value=10**dp - 1)) if dp else 0
        plain = f"{whole}" + (f".{frac:0{dp}d}" if dp else "")
        shown = f"{whole:,}" + (f".{frac:0{dp}d}" if dp else "")
        negative = draw(st.booleans()) and float(plain) != 0
        style = draw(st.sampled_from(["parens", "minus"]))
        if negative:
            shown = f"({shown})" if style == "parens" else f"-{shown}"
        return shown, float(("-" if negative else "") + plain)

    @settings(max_examples=300, deadline=None, database=None)
    @given(printed_numbers(), st.sampled_from(["", "US$", "$", "Rmb", "HK$"]))
    def test_printed_numbers_round_trip(item: tuple[str, float], prefix: str) -> None:
        shown, value = item
        sign = shown[0] if shown[0] in "(-" else ""
        shown = sign + prefix + shown[len(sign) :]  # -US$1.5, (US$1.5), US$1.5
        assert parse_number(shown, NumberRule(currency=True)) == value

    @settings(max_examples=200, deadline=None, database=None)
    @given(printed_numbers())
    def test_percent_sign_never_changes_the_value(item: tuple[str, float]) -> None:
        shown, value = item
        with_sign = f"{shown[:-1]}%)" if shown.endswith(")") else f"{shown}%"
        assert parse_number(with_sign, PERCENT) == value == parse_number(shown, PERCENT)

    @settings(max_examples=500, deadline=None, database=None)
    @given(st.text(alphabet="0123456789,.()+-%$US ", max_size=8))
    @example("--5")
    def test_any_text_is_a_number_none_or_a_number_format_error(text: str) -> None:
        rule = NumberRule(percent=True, currency=True, markers=frozenset({""}))
        try:
            value = parse_number(text, rule)
        except NumberFormatError as exc:
            assert "expected" in str(exc)
        else:
            assert value is None or isinstance(value, float)

else:  # pragma: no cover

    @pytest.mark.skip(reason="hypothesis is not installed (pip install hypothesis)")
    def test_property_tests_need_hypothesis() -> None:
        pass


# --- magnitude: finite, below 1e15, never silently zero ------------------------------------


@pytest.mark.parametrize(
    "text",
    ["9" * 310, "1,000,000,000,000,000", "(1000000000000000)", "US$1" + "0" * 15, "-" + "9" * 20],
)
def test_numbers_of_1e15_or_more_are_refused(text: str) -> None:
    with pytest.raises(NumberFormatError) as exc:
        parse_number(text, MONEY)
    message = str(exc.value)
    assert "is too large; expected a number below 1,000,000,000,000,000 in magnitude" in message
    assert len(message) < 140  # the 310-digit cell is shortened, its length kept


def test_the_largest_accepted_number_is_just_below_1e15() -> None:
    assert parse_number("999,999,999,999,999.5", MONEY) == 999999999999999.5


def test_a_nonzero_number_held_as_zero_is_refused() -> None:
    with pytest.raises(NumberFormatError, match="too close to zero"):
        parse_number("0." + "0" * 400 + "1", PLAIN)
    assert parse_number("0.000", PLAIN) == 0.0


if HAVE_HYPOTHESIS:

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.text(alphabet="0123456789,.()-", min_size=1, max_size=400))
    def test_every_accepted_number_is_finite_and_below_1e15(text: str) -> None:
        try:
            value = parse_number(text, NO_MARKERS)
        except NumberFormatError as exc:
            assert "expected" in str(exc)
        else:
            assert value is not None and abs(value) < 1e15
            assert value != 0 or not any(c in "123456789" for c in text)
