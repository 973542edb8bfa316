"""Comparisons prose states without the build evaluating them (`reportgen check` lists them).

A sentence that cites a number (holds a ``{{ ... }}`` expression) and compares or ranks
(lowest, above, cheaper, in line with: ``COMPARATIVES``) must rest on a comparison the build
evaluates: a ``claim(condition, text)`` in the sentence, or wording chosen by ``{% if %}``
(the tag in the sentence, or the sentence inside an if block). Otherwise a data change could
make it false with no one told. Comparative words inside ``{{ ... }}`` or ``{% ... %}`` are
not prose and are not searched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: The comparative and ranking words and phrases looked for, declared once (regular
#: expressions, matched case-insensitively on whole words). README lists them.
COMPARATIVES: tuple[str, ...] = (
    r"lowest",
    r"highest",
    r"cheapest",
    r"dearest",
    r"largest",
    r"smallest",
    r"biggest",
    r"fastest",
    r"slowest",
    r"(?:most|least) expensive",
    r"at the (?:very )?(?:bottom|top)",
    r"(?:bottom|top) of",
    r"above",
    r"below",
    r"cheaper",
    r"dearer",
    r"(?:more|less) expensive",
    r"higher",
    r"lower",
    r"(?:more|less|fewer|greater|larger|smaller|higher|lower) than",
    r"(?:cheaper|dearer|faster|slower|better|worse) than",
    r"in line with",
    r"on a par with",
    r"on par with",
    r"the same as",
    r"exceeds?",
    r"exceeded",
    r"ahead of",
    r"behind",
    r"(?:premium|discount) to",
)
#: Longest patterns first, so "lower than" is found as itself rather than as "lower".
_WORDS = re.compile(
    r"\b(?:" + "|".join(sorted(COMPARATIVES, key=len, reverse=True)) + r")\b", re.IGNORECASE
)
#: Jinja's tags, expressions and comments in a prose file.
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CLAIM = re.compile(r"\bclaim\s*\(")
#: Expressions that cite text, not a number: a plain attribute path ending in one of these
#: names (``{{ company.short_name }}``, ``{{ cn.low_model }}``). A figure reference counts as
#: citing: it points at the numbers the figure draws.
TEXT_FIELDS = [
    "name",
    "short_name",
    "company",
    "model",
    "low_model",
    "high_model",
    "rating",
    "title",
    "provider",
    "vendor",
    "sector",
    "ticker",
    "listing_currency",
]
_TEXT_EXPR = re.compile(r"^\{\{-?\s*[A-Za-z_][\w.]*\.(?:" + "|".join(TEXT_FIELDS) + r")\s*-?\}\}$")
_IF_OPEN = re.compile(r"^\{%-?\s*if\b")
_IF_ANY = re.compile(r"^\{%-?\s*(?:if|elif|else|endif)\b")
_IF_CLOSE = re.compile(r"^\{%-?\s*endif\b")
#: Where a sentence ends: after . ! ? (and closing quotes or brackets) before a space and a
#: capital, digit or markup; at a blank line; before a list item or heading.
_END = re.compile(
    r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[*_\x00])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:[-*+]|\d+[.)])[ \t]|[ \t]*#)"
)
EXCERPT = 160
#: "above" and "below" that point at the page rather than compare ("the table below", "as
#: shown above", "three names below."): the word before, or punctuation right after.
_POINTING_BEFORE = frozenset(
    [
        "matrix",
        "table",
        "tables",
        "chart",
        "charts",
        "figure",
        "figures",
        "exhibit",
        "exhibits",
        "list",
        "lists",
        "names",
        "shown",
        "see",
        "discussed",
        "described",
        "listed",
        "out",
        "noted",
        "as",
        "mentioned",
        "set",
        "given",
    ]
)
_VERB_OBJECT = re.compile(r"\s+(?:the|its|their|our|a|an|this|that|these|those)\b", re.I)
_POINTING_AFTER = re.compile(r"\s*(?:[.,;:)!?]|$)")
_LEADING_STATEMENTS = re.compile(r"(?:\s|\{%.*?%\}|\{#.*?#\})*", re.DOTALL)


@dataclass(frozen=True)
class UnboundComparison:
    """A sentence that compares, cites a number, and rests on no evaluated comparison."""

    path: str  # as shown in messages (relative to the project root)
    line: int  # line of the first comparative word
    words: tuple[str, ...]  # the comparative words found, as written
    sentence: str  # the sentence as written (whitespace collapsed), cut to EXCERPT

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.sentence} [{', '.join(self.words)}]"


@dataclass(frozen=True)
class _Tag:
    start: int
    end: int
    text: str
    if_depth: int  # if blocks open just before this tag


def _tags(text: str) -> list[_Tag]:
    tags = []
    depth = 0
    for m in _TAG.finditer(text):
        tags.append(_Tag(m.start(), m.end(), m.group(), depth))
        if _IF_OPEN.match(m.group()):
            depth += 1
        elif _IF_CLOSE.match(m.group()):
            depth = max(depth - 1, 0)
    return tags


def _masked(text: str, tags: Iterable[_Tag]) -> str:
    """``text`` with every tag blanked (same length, line breaks kept), so positions hold."""
    chars = list(text)
    for tag in tags:
        for i in range(tag.start, tag.end):
            if chars[i] != "\n":
                chars[i] = " " if i > tag.start else "\x00"  # \x00: a tag was here
    return "".join(chars)


def _sentences(masked: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in _END.finditer(masked):
        yield start, m.start()
        start = m.end()
    yield start, len(masked)


def _depth_at(tags: list[_Tag], position: int) -> int:
    """If blocks open at ``position`` (from the tags before it)."""
    depth = 0
    for tag in tags:
        if tag.start >= position:
            break
        depth = tag.if_depth + (1 if _IF_OPEN.match(tag.text) else 0)
        depth -= 1 if _IF_CLOSE.match(tag.text) else 0
    return max(depth, 0)


def _not_comparing(masked: str, match: re.Match[str]) -> bool:
    """An "above"/"below" that points at the page, or "lower" as a verb ("lower the cost")."""
    word = match.group().lower()
    if word == "lower":
        return bool(_VERB_OBJECT.match(masked, match.end()))
    if word not in ("above", "below"):
        return False
    before = masked[: match.start()].split()
    after = _POINTING_AFTER.match(masked, match.end())
    return bool(after) or (bool(before) and before[-1].lower() in _POINTING_BEFORE)


def _excerpt(text: str, start: int, end: int, word: int) -> str:
    """The sentence as written (without the ``{% set %}`` lines before it), whitespace
    collapsed; a long one cut to EXCERPT characters around its first comparative word."""
    start = _LEADING_STATEMENTS.match(text, start, end).end()  # type: ignore[union-attr]
    head = " ".join(text[start:word].split())
    sentence = " ".join(text[start:end].split())
    if len(sentence) <= EXCERPT:
        return sentence
    first = max(0, len(head) - EXCERPT // 3)
    cut = sentence[first : first + EXCERPT - 2]
    return ("…" if first else "") + cut + ("…" if first + len(cut) < len(sentence) else "")


def unbound_comparisons(text: str, shown: str) -> list[UnboundComparison]:
    """Sentences of one prose file that compare, cite a number, and evaluate no comparison."""
    tags = _tags(text)
    masked = _masked(text, tags)
    found = []
    for start, end in _sentences(masked):
        words = [w for w in _WORDS.finditer(masked, start, end) if not _not_comparing(masked, w)]
        if not words:
            continue
        inside = [t for t in tags if start <= t.start < end]
        if not any(t.text.startswith("{{") and not _TEXT_EXPR.match(t.text) for t in inside):
            continue  # cites no number
        evaluated = _depth_at(tags, start) > 0 or any(
            _CLAIM.search(t.text) or _IF_ANY.match(t.text) for t in inside
        )
        if evaluated:
            continue
        line = text.count("\n", 0, words[0].start()) + 1
        found.append(
            UnboundComparison(
                shown,
                line,
                tuple(dict.fromkeys(w.group() for w in words)),
                _excerpt(text, start, end, words[0].start()),
            )
        )
    return found


def prose_comparisons(files: Iterable[tuple[Path, str]]) -> list[UnboundComparison]:
    """Every unbound comparison in the given prose files (path, shown name), each file once."""
    seen: set[Path] = set()
    found: list[UnboundComparison] = []
    for path, shown in files:
        key = path.resolve()
        if key in seen or not path.is_file():
            continue
        seen.add(key)
        text = path.read_bytes().decode("utf-8", errors="replace")
        found.extend(unbound_comparisons(text, shown))
    return found
