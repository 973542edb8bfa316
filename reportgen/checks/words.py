"""Words a client must never see: the tool's own vocabulary, file paths, "the source", other
documents' exhibit numbers and placeholder details, found in the text of each rendered page.

Pure: text in, findings out. The page check (checks/pages.py) passes the text of every page;
``check_house_words`` validates the house keys read here (``forbidden_words``,
``allowed_words``, ``sample``) so a wrong type is one located message, not a crash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reportgen.checks.findings import Finding
from reportgen.data.sources import line_of
from reportgen.errors import DataError, Problem, ProblemList

#: The word the report's own exhibits are numbered with (templates/partials/exhibit.html.j2
#: prints every chart and table caption as "Figure N: title").
OWN_LABEL = "Figure"


@dataclass(frozen=True)
class WordRule:
    """One default rule: a pattern (case-insensitive) and the reason a reader is shown."""

    name: str
    pattern: re.Pattern[str]
    reason: str


def _rule(name: str, pattern: str, reason: str) -> WordRule:
    return WordRule(name, re.compile(pattern, re.IGNORECASE), reason)


_EXTENSIONS = "csv|tsv|ya?ml|md|json|py|j2|toml|svg"
_FOLDERS = "data|build|figures|templates|tests|bench"

#: The default forbidden words (the README's table lists the same names and reasons).
DEFAULT_RULES: tuple[WordRule, ...] = (
    _rule("tool", r"\breportgen\b", "the name of the tool that made the report"),
    _rule(
        "command",
        r"\bmake\s+(?:report|check|lint|test|clean)\b|\bpython\s+-m\b|\bpip\s+install\b",
        "a build command",
    ),
    _rule("path", rf"(?<![\w/.-])(?:{_FOLDERS})/(?:[\w.-]+/?)*", "a project file path"),
    _rule(
        "extension",
        rf"(?:\*|(?<![\w/.-])[\w-]+|(?<![\w.]))\.(?:{_EXTENSIONS})\b",
        "a file name or extension",
    ),
    _rule("the-source", r"\bthe\s+source\b", 'a note about "the source" the data came from'),
    _rule("row-number", r"\brows?\s+\d+\b", "a row number (our tables have none)"),
)

#: A reference to an exhibit: a label and one number, or a list/range of numbers.
_EXHIBIT_REF = re.compile(
    r"\b(?P<label>exhibits?|exh\.?|ex\.?|figures?|figs?\.?|charts?|tables?)"
    r"\s*(?P<nums>\d+(?:\s*(?:,|&|and|to|-|\u2013)\s*\d+)*)\b",
    re.IGNORECASE,
)
#: The report's own captions, "Figure N:", which tell which exhibit numbers it has.
_OWN_CAPTION = re.compile(rf"\b{OWN_LABEL}\s+(\d+):")

_PLACEHOLDER_RULES: tuple[WordRule, ...] = (
    _rule(
        "example-address",
        r"[\w.+-]*@?\b(?:[\w-]+\.)*example\.(?:com|org|net)\b",
        "an example address",
    ),
    _rule(
        "0000-phone",
        r"(?<![\d.,])(?:\+\d{1,3}[ -]?)?(?:\(?\d{1,5}\)?[ -])*0000(?:[ -]\d{2,5})*(?![\d.,]*\d)",
        "a 0000 phone number",
    ),
    _rule("placeholder", r"\bplaceholders?\b", "the word 'placeholder'"),
)
_SAMPLE = re.compile(r"\bSAMPLE\b")  # case-sensitive: the mark, not "a sample of"

#: House keys read here, with the type each must have (check_house_words).
HOUSE_KEYS = ("forbidden_words", "allowed_words", "sample")


def word_findings(
    report: str,
    pages: Sequence[str],
    house: Mapping[str, Any],
    *,
    exhibit_count: int | None = None,
) -> list[Finding]:
    """word_findings(report, pages, house, *, exhibit_count=None) -> list[Finding]

    Findings ``forbidden-word`` and ``placeholder`` in ``pages`` (the text of each page, page
    1 first) of report ``report``; every match is case-insensitive and whole-word, and any
    run of whitespace in a phrase matches any run (a phrase may wrap across lines).

    - forbidden-word: DEFAULT_RULES, each phrase in ``house["forbidden_words"]``, and a
      reference to an exhibit the report does not have: "Ex 11", "Exhibit 21", "Chart 3",
      "Table 2" always (the report numbers its own exhibits "Figure N"), "Figure 21" or
      "Fig. 21" when the report has no Figure 21. The report's exhibits are 1..exhibit_count
      when given, else the numbers of its own captions ("Figure N:") found in the pages.
    - placeholder: example.com/.org/.net addresses, phone numbers with a 0000 group, the
      word "placeholder"; unless ``house["sample"]`` is true, when instead every page must
      carry the word SAMPLE (upper case) and a page without it is the finding.

    A match that overlaps an occurrence of a phrase in ``house["allowed_words"]`` (e.g. a
    company called "Source Inc") is not reported. One finding per page, rule and matched
    text (repeats are counted in the message); no box: the text alone does not place it.
    """
    forbidden = [_phrase_pattern(w) for w in house.get("forbidden_words") or ()]
    allowed = [_phrase_pattern(w) for w in house.get("allowed_words") or ()]
    sample = house.get("sample") is True
    own = (
        set(range(1, exhibit_count + 1))
        if exhibit_count is not None
        else {int(n) for text in pages for n in _OWN_CAPTION.findall(text)}
    )
    findings: list[Finding] = []
    for number, text in enumerate(pages, start=1):
        matches: list[tuple[str, re.Match[str], str]] = [
            ("forbidden-word", m, rule.reason)
            for rule in DEFAULT_RULES
            for m in rule.pattern.finditer(text)
        ]
        matches += [
            ("forbidden-word", m, "a word the house forbids")
            for pattern in forbidden
            for m in pattern.finditer(text)
        ]
        for m in _EXHIBIT_REF.finditer(text):
            reason = _foreign_exhibit(m, own)
            if reason:
                matches.append(("forbidden-word", m, reason))
        if not sample:
            matches += [
                ("placeholder", m, rule.reason)
                for rule in _PLACEHOLDER_RULES
                for m in rule.pattern.finditer(text)
            ]
        spans = [m.span() for p in allowed for m in p.finditer(text)]
        findings += _page_findings(report, number, matches, spans)
        if sample and not _SAMPLE.search(text):
            message = "page without SAMPLE (the house is a sample)"
            findings.append(Finding(report, number, "placeholder", message))
    return findings


def _page_findings(
    report: str,
    page: int,
    matches: Sequence[tuple[str, re.Match[str], str]],
    allowed: Sequence[tuple[int, int]],
) -> list[Finding]:
    """One finding per kind and matched text (repeats counted), skipping allowed spans."""
    counts: dict[tuple[str, str], list[Any]] = {}  # key -> [shown, reason, count], in order
    for kind, match, reason in matches:
        start, end = match.span()
        if any(a < end and start < b for a, b in allowed):
            continue
        shown = " ".join(match.group(0).split())
        entry = counts.setdefault((kind, shown.casefold()), [shown, reason, 0])
        entry[2] += 1
    findings = []
    for (kind, _), (shown, reason, count) in counts.items():
        times = f" ({count} times)" if count > 1 else ""
        findings.append(Finding(report, page, kind, f"'{shown}'{times}: {reason}"))
    return findings


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    """A house phrase as a case-insensitive, whole-word pattern (any whitespace between words)."""
    body = r"\s+".join(re.escape(w) for w in phrase.split())
    head = r"\b" if re.match(r"\w", phrase.strip()) else ""
    tail = r"\b" if re.search(r"\w$", phrase.strip()) else ""
    return re.compile(head + body + tail, re.IGNORECASE)


def _foreign_exhibit(match: re.Match[str], own: set[int]) -> str | None:
    """Why an exhibit reference points into another document, or None if it is our own."""
    label = match.group("label")
    if not label.lower().startswith("fig"):
        return f"'{label}' numbering is another document's (our exhibits are {OWN_LABEL}s)"
    numbers = [int(n) for n in re.findall(r"\d+", match.group("nums"))]
    missing = [n for n in numbers if n not in own]
    if not missing:
        return None
    return f"the report has no {OWN_LABEL} {missing[0]} (another document's exhibit)"


def check_house_words(house: Mapping[str, Any], shown: str) -> list[Problem]:
    """Every problem with the house keys word_findings reads: ``forbidden_words`` and
    ``allowed_words`` lists of non-empty strings, ``sample`` true or false; located at the
    key's (or item's) line of ``shown`` when the mapping kept lines (a LocDict from read_yaml)."""
    problems = ProblemList()
    for key in ("forbidden_words", "allowed_words"):
        if key not in house or house[key] is None:
            continue
        value = house[key]
        if not isinstance(value, list):
            problems.add(
                shown,
                line_of(house, key),
                key,
                f"expected a list of words or phrases, got {type(value).__name__}",
            )
            continue
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                got = repr(item) if isinstance(item, str) else type(item).__name__
                problems.add(
                    shown,
                    line_of(value, i) or line_of(house, key),
                    f"{key}[{i + 1}]",
                    f"expected a non-empty word or phrase, got {got}",
                )
    if "sample" in house and not isinstance(house["sample"], bool):
        problems.add(
            shown,
            line_of(house, "sample"),
            "sample",
            f"expected true or false, got {type(house['sample']).__name__}",
        )
    return problems.items


def validate_house_words(house: Mapping[str, Any], shown: str) -> None:
    """Raise one DataError listing every problem check_house_words finds."""
    problems = check_house_words(house, shown)
    if problems:
        raise DataError(problems)
