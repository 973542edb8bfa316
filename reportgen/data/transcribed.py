"""A company first built from a transcribed source, and an analyst's own update retiring it.

company.yaml may say where its numbers were transcribed from and, once the house updates the
company with its own estimates, target and scenario values, that the transcription is retired:

    transcribed:
      source: seed 001, industry initiation dated 26 Apr 2026
      retired: 2026-06-15
      reason: our own update of estimates, target and scenario values

After ``retired`` the company's ``*_published`` values (and the other values printed by that
source) stay in the data as a record, but `reportgen check` lists their differences as
retired, publishing no longer needs them acknowledged, and builds no longer warn that the
model value is off the target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reportgen.data.sources import line_of
from reportgen.errors import Problem

KEY = "transcribed"
_KEYS = ("source", "retired", "reason")


@dataclass(frozen=True)
class Transcription:
    """Where a company's numbers came from, and when (and why) the house's own replaced them."""

    source: str
    retired: dt.date | None
    reason: str
    line: int | None


def transcription_problems(doc: Mapping[str, Any], shown: str) -> list[Problem]:
    """Every problem of company.yaml's ``transcribed`` block, located at its line."""
    return _read(doc, shown)[1]


def transcription(doc: Mapping[str, Any]) -> Transcription | None:
    """The ``transcribed`` block of a company.yaml (None when absent or malformed: loading the
    company reported why)."""
    found, problems = _read(doc, "company.yaml")
    return None if problems else found


def retired(doc: Mapping[str, Any]) -> Transcription | None:
    """The transcription when an update has retired it, else None."""
    found = transcription(doc)
    return found if found is not None and found.retired is not None else None


def _text(node: Mapping[str, Any], key: str) -> str | None:
    value = node.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _read(doc: Mapping[str, Any], shown: str) -> tuple[Transcription | None, list[Problem]]:
    if KEY not in doc:
        return None, []
    node = doc[KEY]
    at = line_of(doc, KEY)
    if not isinstance(node, Mapping):
        expected = "a mapping: source, and retired (a date) with a reason once an update retires it"
        return None, [Problem(shown, at, KEY, f"expected {expected}")]
    problems = [
        Problem(
            shown,
            line_of(node, k),
            f"{KEY}.{k}",
            f"unknown key; expected one of: {', '.join(_KEYS)}",
        )
        for k in node
        if k not in _KEYS
    ]
    source = _text(node, "source")
    if source is None:
        problems.append(
            Problem(
                shown, at, f"{KEY}.source", "required: the source the numbers were transcribed from"
            )
        )
    when: dt.date | None = None
    raw = node.get("retired")
    if raw is not None:
        try:
            when = raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw))
        except ValueError:
            problems.append(
                Problem(
                    shown, line_of(node, "retired"), f"{KEY}.retired", "expected a date YYYY-MM-DD"
                )
            )
    reason = _text(node, "reason") or ""
    if raw is not None and not reason:
        problems.append(
            Problem(
                shown,
                line_of(node, "retired"),
                f"{KEY}.reason",
                "required with retired: why the house's own numbers replace the transcribed ones",
            )
        )
    return Transcription(source or "", when, reason, at), problems
