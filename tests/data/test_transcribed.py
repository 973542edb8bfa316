"""company.yaml `transcribed:`: where a company's numbers came from, and an update retiring them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reportgen.data.dataset import load_dataset
from reportgen.data.sources import load_yaml_text
from reportgen.data.transcribed import retired, transcription, transcription_problems
from reportgen.errors import DataError

SHOWN = "data/companies/x/company.yaml"


def doc(text: str) -> dict:
    return load_yaml_text("name: X\n" + text, SHOWN)


def test_absent_means_nothing_retired() -> None:
    assert transcription(doc("")) is None and retired(doc("")) is None
    assert transcription_problems(doc(""), SHOWN) == []


def test_a_source_alone_is_not_retired() -> None:
    found = transcription(doc("transcribed: {source: seed 001}\n"))
    assert found is not None and found.source == "seed 001" and found.retired is None
    assert retired(doc("transcribed: {source: seed 001}\n")) is None


def test_retired_with_a_date_and_a_reason() -> None:
    text = "transcribed:\n  source: seed 001\n  retired: 2026-06-15\n  reason: our update\n"
    found = retired(doc(text))
    assert found is not None
    assert (found.retired, found.reason, found.line) == (dt.date(2026, 6, 15), "our update", 2)


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("transcribed: seed 001\n", 2, "transcribed", "expected a mapping"),
        ("transcribed:\n  retired: 2026-06-15\n  reason: r\n", 2, "transcribed.source", "required"),
        (
            "transcribed:\n  source: s\n  retired: 2026-06-15\n",
            4,
            "transcribed.reason",
            "required with retired",
        ),
        (
            "transcribed:\n  source: s\n  retired: 15/06/2026\n  reason: r\n",
            4,
            "transcribed.retired",
            "expected a date YYYY-MM-DD",
        ),
        ("transcribed:\n  source: s\n  retried: 2026-06-15\n", 4, "transcribed.retried", "unknown"),
    ],
)
def test_a_malformed_block_is_located(text: str, line: int, column: str, words: str) -> None:
    (problem,) = transcription_problems(doc(text), SHOWN)
    assert (problem.path, problem.line, problem.column) == (SHOWN, line, column)
    assert words in problem.message
    assert transcription(doc(text)) is None  # a malformed block retires nothing


def test_loading_the_data_reports_it_at_the_company_file(project_copy: Path) -> None:
    path = project_copy / "data/companies/metax/company.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "transcribed:\n  source: s\n  retired: 2026-06-15\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_dataset(project_copy / "data")
    (problem,) = [p for p in info.value.problems if p.column == "transcribed.reason"]
    assert problem.path == "data/companies/metax/company.yaml"
    assert problem.line == text.count("\n") + 3
