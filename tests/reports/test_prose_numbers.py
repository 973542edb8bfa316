"""Numbers in prose come from data: no typed figures outside template expressions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROSE = sorted((REPO / "data" / "reports").glob("*/*.md"))

# Template expressions and statements are where numbers may appear (they cite data).
EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
# A figure typed into prose: a money amount, a percentage, a multiple, a decimal, or a number
# with a unit. Product names (V4, Opus 4.7, GPT-5.5, Atlas 950) and years are names, not figures,
# so a number glued to a letter, hyphen or dot, or a four-digit year, is not flagged.
TYPED_FIGURE = re.compile(
    r"(?<![\w.\-])(?:US\$|HK\$|Rmb|\$)\s?\d"  # money
    r"|(?<![\w.\-])\d+(?:\.\d+)?\s?(?:%|x\b|bn\b|mn\b|pts?\b|ppt\b)"  # %, multiples, units
    r"|(?<![\w.\-])\d+\.\d+(?![\w.\-])"  # a bare decimal
    r"|(?<![\w.\-])\d{1,3}(?:,\d{3})+(?![\w.])"  # a thousands-separated amount
)
# Product names with a number and a decimal point that stand alone in running text.
ALLOWED = re.compile(r"(Opus|Sonnet|Haiku|Gemini|Grok|Kimi|Llama|GLM|Qwen|MiMo|V)\s?[\d.]+")


def typed_figures(text: str) -> list[str]:
    """Literal figures left in prose once template expressions are removed."""
    bare = EXPRESSION.sub(" ", text)
    bare = ALLOWED.sub(" ", bare)
    return [m.group(0) for m in TYPED_FIGURE.finditer(bare)]


def test_the_checker_catches_typed_figures() -> None:
    assert typed_figures("prices fell 75% to US$0.44, a 2.0x ratio, 1,588 target, 12.5") == [
        "75%",
        "US$0",
        "2.0x",
        "1,588",
        "12.5",
    ]
    assert typed_figures("Claude Opus 4.7 and GPT-5.5 and V4 in 2025, {{ x | pct }}") == []


@pytest.mark.parametrize("path", PROSE, ids=[f"{p.parent.name}/{p.name}" for p in PROSE])
def test_prose_types_no_figures(path: Path) -> None:
    found = typed_figures(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(REPO)} types figures instead of citing data: {found}"


def test_there_is_prose_to_check() -> None:
    assert len(PROSE) >= 5
