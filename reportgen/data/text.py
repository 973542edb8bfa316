"""Rules for text cells and YAML strings: no control characters, only characters a font has."""

from __future__ import annotations

import re
from collections.abc import Set

from reportgen.glyphs import no_glyph

#: C0 and C1 control characters (tab and line breaks excepted) and the bidirectional
#: embedding, override and isolate controls, which make a reader see the text reordered.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def control_problem(text: str) -> str | None:
    """What is wrong when ``text`` holds a control character (None when it holds none)."""
    found = _CONTROL.search(text)
    if found is None:
        return None
    code = ord(found.group(0))
    kind = "bidirectional control" if code >= 0x202A else "control"
    return f"{kind} character U+{code:04X} not allowed (only tab and line breaks are)"


def glyph_problem(text: str, glyphs: Set[int] | None) -> str | None:
    """What is wrong when ``text`` holds a character no shipped font can draw.

    ``glyphs`` is the shipped fonts' coverage (reportgen.glyphs); None skips the check.
    White space is never drawn, so it needs no glyph.
    """
    if glyphs is None:
        return None
    for ch in text:
        if ord(ch) not in glyphs and not ch.isspace():
            return f"{no_glyph(ch)}; use another character or add a font that has it"
    return None
