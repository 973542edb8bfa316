"""Declared rules for reading numbers in the formats analysts type (not pandas' guesses)."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Cells that mean "no value" in financial tables; they load as missing, never as text.
MISSING_MARKERS: frozenset[str] = frozenset({"", "NA", "N/A", "n.a.", "NM", "nm", "-", "--", "X"})

_NUMBER = re.compile(r"^((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)$")  # unsigned
_CURRENCY_PREFIXES = ("US$", "HK$", "Rmb", "RMB", "$", "¥")
#: Numbers in data must be below this in magnitude: far above any price, share count or
#: market value in RMB or US$ units, and well inside what a float holds exactly to the cent.
#: A longer number (a 310-digit price would become infinity) is an error at its cell.
MAX_MAGNITUDE = 1e15


class NumberFormatError(ValueError):
    """The cell is not a number in any accepted format; the message says what was expected."""


@dataclass(frozen=True)
class NumberRule:
    """How one column's cells are read: percent sign allowed, currency prefix allowed, markers."""

    percent: bool = False
    currency: bool = False
    markers: frozenset[str] = MISSING_MARKERS

    def describe(self) -> str:
        parts = ["a number such as 1,234.5 or (12.3) for a negative"]
        if self.percent:
            parts.append("optionally with a % sign")
        if self.currency:
            parts.append("optionally after a currency sign ($, US$, HK$, Rmb)")
        markers = ", ".join(sorted(m for m in self.markers if m)) or "none"
        parts.append(f"or empty / a missing-value marker ({markers})")
        return "; ".join(parts)


def parse_number(text: str, rule: NumberRule = NumberRule()) -> float | None:
    """Parse one cell under ``rule``; None for an empty cell or a missing-value marker.

    Accepted: thousands separators (1,234.5), negatives as -1.2 or (1.2), a trailing %
    when the rule allows it (the value stays in percent units: "12.5%" -> 12.5), and a
    leading currency sign when allowed. Exponents (1e5), infinities and NaN are not
    accepted; a number of 1e15 or more in magnitude, or a non-zero one so small that it
    would be held as zero, raises NumberFormatError too. Anything else raises it as well.
    """
    cell = text.strip()
    if cell in rule.markers:
        return None
    negative = False
    percent = False
    for _ in range(2):  # "(12.5%)" and "(12.5)%" are both a negative percentage
        if cell.endswith("%") and not percent:
            percent, cell = True, cell[:-1].strip()
        if cell.startswith("(") and cell.endswith(")") and not negative:
            negative, cell = True, cell[1:-1].strip()
    if percent and not rule.percent:
        raise NumberFormatError(f"'{text}' has a % sign; expected {rule.describe()}")
    sign = ""
    if cell[:1] in "+-" and cell[1:2]:
        sign, cell = cell[0], cell[1:]
    for prefix in _CURRENCY_PREFIXES:
        if cell.startswith(prefix):
            if not rule.currency:
                raise NumberFormatError(f"'{text}' has a currency sign; expected {rule.describe()}")
            cell = cell[len(prefix) :].strip()
            break
    if not _NUMBER.match(cell):
        raise NumberFormatError(f"'{text}' is not a number; expected {rule.describe()}")
    value = float(sign + cell.replace(",", ""))
    if not abs(value) < MAX_MAGNITUDE:  # also catches the infinity a huge number becomes
        raise NumberFormatError(
            f"'{_short(text)}' is too large; expected a number below {MAX_MAGNITUDE:,.0f} "
            "in magnitude"
        )
    if value == 0 and any(c in "123456789" for c in cell):
        raise NumberFormatError(
            f"'{_short(text)}' is too close to zero to be held; expected 0 or a larger number"
        )
    if negative:
        if value < 0:
            raise NumberFormatError(f"'{text}' is negative twice; expected {rule.describe()}")
        value = -value
    return value


def _short(text: str) -> str:
    """A cell as quoted in a message: long cells are cut, keeping their length."""
    text = text.strip()
    return text if len(text) <= 24 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"
