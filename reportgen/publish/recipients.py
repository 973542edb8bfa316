"""The recipients file of `publish --recipients`: one row per client (name, firm, e-mail).

Read whole and checked whole before anything is stamped or sent: every problem is reported
at its line and column, and nothing else is read or written.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from pathlib import Path

from reportgen.data.sources import read_csv
from reportgen.data.text import control_problem
from reportgen.errors import DataError, Problem

COLUMNS = ("name", "firm", "email")
#: Longer names or firms would not fit the stamp line of an A4 page (publish/stamp.py).
MAX_NAME = 60
MAX_EMAIL = 254  # RFC 5321's limit on a forward path

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: A plain address: dot-separated atoms, '@', a domain of two or more labels ending in a
#: top-level domain of letters (or an xn-- one). Quoted local parts, IP literals and
#: non-ASCII addresses are refused.
EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[A-Za-z]{{2,63}}|xn--[A-Za-z0-9-]+)")


@dataclass(frozen=True)
class Recipient:
    """One client a stamped copy is made for."""

    name: str
    firm: str
    email: str


def email_problem(address: str) -> str | None:
    """What is wrong with an e-mail address (None when it is a plain address)."""
    if not address:
        return "expected an e-mail address, found an empty cell"
    if len(address) > MAX_EMAIL:
        return f"e-mail address longer than {MAX_EMAIL} characters"
    if not EMAIL.fullmatch(address) or len(address.split("@", 1)[0]) > 64:
        return f"expected an e-mail address like name@example.com, found '{address}'"
    return None


def _text_problem(value: str, column: str, glyphs: Set[int] | None) -> str | None:
    """Control characters, tabs or line breaks, missing glyphs, overlong text."""
    found = control_problem(value)
    if found is not None:
        return found
    if any(ch in value for ch in "\t\r\n"):
        return "tab or line break not allowed in a recipient's cell"
    if column != "email" and len(value) > MAX_NAME:
        return f"{len(value)} characters; at most {MAX_NAME} fit the copy's stamp line"
    if glyphs is not None and column != "email":
        for ch in value:
            if not ch.isspace() and ord(ch) not in glyphs:
                return (
                    f"character '{ch}' (U+{ord(ch):04X}) has no glyph in templates/fonts/ "
                    "and would print as a box in the copy's stamp"
                )
    return None


def _glyphs(fonts_dir: Path | None) -> frozenset[int] | None:
    if fonts_dir is None:
        return None
    from reportgen.glyphs import font_codepoints
    from reportgen.publish.stamp import CJK_FONT, TEXT_FONT

    return font_codepoints(fonts_dir / TEXT_FONT) | font_codepoints(fonts_dir / CJK_FONT)


def read_recipients(path: Path, shown: str, fonts_dir: Path | None = None) -> list[Recipient]:
    """The recipients in file order; a DataError listing every problem (file:line: column:
    message) for a missing or empty file, a wrong header, an empty name, a malformed or
    repeated e-mail address or a control character. With ``fonts_dir`` (the project's
    templates/fonts), a name or firm the stamp's fonts cannot draw is refused too."""
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "file not found"
        raise DataError([Problem(shown, None, None, f"{what}: the recipients (name,firm,email)")])
    table = read_csv(path, shown)
    problems: list[Problem] = []
    header = table.header
    for column in COLUMNS:
        if column not in header:
            problems.append(Problem(shown, table.header_line, column, "required column is missing"))
    for column in header:
        if column not in COLUMNS:
            problems.append(
                Problem(
                    shown,
                    table.header_line,
                    column,
                    f"unknown column; expected exactly {', '.join(COLUMNS)}",
                )
            )
    if problems:
        raise DataError(problems)
    problems.extend(table.shape_problems)
    glyphs = _glyphs(fonts_dir)
    seen: dict[str, int] = {}
    recipients: list[Recipient] = []
    for row in table.rows:
        bad = False
        for column in COLUMNS:
            value = row.cells[column]
            message = _text_problem(value, column, glyphs)
            if message is None and column == "name" and not value:
                message = "expected the recipient's name, found an empty cell"
            if message is None and column == "email":
                message = email_problem(value)
                key = value.lower()
                if message is None and key in seen:
                    message = f"'{value}' is also on line {seen[key]}: one copy per address"
                seen.setdefault(key, row.line)
            if message is not None:
                problems.append(Problem(shown, row.line, column, message))
                bad = True
        if not bad:
            recipients.append(Recipient(row.cells["name"], row.cells["firm"], row.cells["email"]))
    if not problems and not recipients:
        problems.append(Problem(shown, table.header_line, None, "no recipients below the header"))
    if problems:
        raise DataError(
            sorted(
                problems,
                key=lambda p: (p.line or 0, COLUMNS.index(p.column) if p.column in COLUMNS else 3),
            )
        )
    return recipients
