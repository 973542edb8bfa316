"""Forbidden words and placeholders on page text (checks/words.py): each rule found at its
page, ordinary words left alone, the house's extensions and the validator's located errors."""

from __future__ import annotations

import pytest

from reportgen.checks.words import check_house_words, validate_house_words, word_findings
from reportgen.data.sources import load_yaml_text
from reportgen.errors import DataError

CLEAN = "Revenue grew 12% as the company sourced wafers; a resource for investors. SAMPLE"
SAMPLE_HOUSE = {"sample": True}


def found(pages: list[str], house: dict | None = None, **kw) -> list[tuple[int | None, str, str]]:
    """(page, kind, message) of every finding."""
    return [
        (f.page, f.kind, f.message)
        for f in word_findings("r", pages, house if house is not None else SAMPLE_HOUSE, **kw)
    ]


def test_clean_text_has_no_findings() -> None:
    assert found([CLEAN, "Figure 1: Prices SAMPLE", "See Figure 1. SAMPLE"]) == []


@pytest.mark.parametrize(
    "text, shown",
    [
        ("Built with reportgen today.", "reportgen"),
        ("Built with ReportGen today.", "ReportGen"),
        ("Run make report to refresh.", "make report"),
        ("Run `make  check` first.", "make check"),
        ("Read from data/market/chips.csv in March.", "data/market/chips.csv"),
        ("The PDF lands in build/ later.", "build/"),
        ("All *.csv inputs are checked.", "*.csv"),
        ("Settings live in house.yaml now.", "house.yaml"),
        ("Settings are .yaml files.", ".yaml"),
        ("Notes in README.md here.", "README.md"),
        ("As printed in the source, margins fell.", "the source"),
        ("As printed in the\nsource, margins fell.", "the source"),
        ("The total in row 57 is wrong.", "row 57"),
        ("Costed in Exhibit 21 of the deck.", "Exhibit 21"),
        ("Sources: Ex 11; company data.", "Ex 11"),
        ("Sources: Ex. 11; company data.", "Ex. 11"),
        ("See Chart 3 for the split.", "Chart 3"),
        ("See Figure 21 for the split.", "Figure 21"),
        ("See Figs. 1 and 21 for the split.", "Figs. 1 and 21"),
    ],
)
def test_default_forbidden_words(text: str, shown: str) -> None:
    pages = ["Figure 1: Prices SAMPLE", f"{text} SAMPLE"]
    hits = found(pages)
    assert [(p, k) for p, k, _ in hits] == [(2, "forbidden-word")], hits
    assert hits[0][2].startswith(f"'{shown}'"), hits


@pytest.mark.parametrize(
    "text",
    [
        "The company sourced wafers from a resource-rich supplier.",
        "Sources: company data, Meridian Research estimates.",
        "Open source models cut prices.",
        "A data-center build out; input/output grew.",
        "Figures for 2025E are estimates; the figures 2026E too.",
        "Growth was 2.5x; price per 1.0000 units; 20000 users.",
        "Take make-up orders, then make reports.",
        "We show two rows of data and the sample of five stocks.",
        "Ex-dividend dates are in May.",
        "An index of sources, not the sources themselves.",
    ],
)
def test_ordinary_words_are_not_flagged(text: str) -> None:
    assert found([f"{text} SAMPLE"], {"sample": True}) == []


def test_own_figures_from_captions_or_count() -> None:
    pages = ["Figure 1: A\nFigure 2: B SAMPLE", "As Figures 1-2 show; Figure 3 too. SAMPLE"]
    assert [m for _, _, m in found(pages)] == [
        "'Figure 3': the report has no Figure 3 (another document's exhibit)"
    ]
    assert found(pages, exhibit_count=3) == []
    assert [p for p, _, _ in found(pages, exhibit_count=1)] == [1, 2, 2]


def test_placeholders_when_not_a_sample() -> None:
    pages = [
        "Alex Morgan +852 0000 0001 alex.morgan@example.com",
        "Contact desk@research.example.org or 555-0000-1234.",
        "Address: 1 Example Quay (placeholder address).",
        "Price 0.0000 and 10000 units; call +852 2123 4567.",
    ]
    hits = found(pages, {})
    assert [(p, k) for p, k, _ in hits] == [(1, "placeholder")] * 2 + [(2, "placeholder")] * 2 + [
        (3, "placeholder")
    ]
    assert [m.split("'")[1] for _, _, m in hits] == [
        "alex.morgan@example.com",
        "+852 0000 0001",
        "desk@research.example.org",
        "555-0000-1234",
        "placeholder",
    ]


def test_sample_house_needs_sample_on_every_page_and_allows_placeholders() -> None:
    pages = ["SAMPLE alex@example.com +852 0000 0001", "no mark here", "a sample of five. Sample"]
    assert found(pages, {"sample": True}) == [
        (2, "placeholder", "page without SAMPLE (the house is a sample)"),
        (3, "placeholder", "page without SAMPLE (the house is a sample)"),
    ]
    assert found(["SAMPLE"], {"sample": False}) == []


def test_repeats_count_once_per_page() -> None:
    hits = found(["reportgen, reportgen and REPORTGEN SAMPLE", "reportgen SAMPLE"])
    assert hits == [
        (1, "forbidden-word", "'reportgen' (3 times): the name of the tool that made the report"),
        (2, "forbidden-word", "'reportgen': the name of the tool that made the report"),
    ]


def test_house_extends_and_allows() -> None:
    house = {
        "sample": True,
        "forbidden_words": ["Project Falcon", "TBD", "C++"],
        "allowed_words": ["Source Inc"],
    }
    pages = [
        "Project\nfalcon ships; tbd later; C++ code. SAMPLE",
        "The Source Inc shares rose; TBDs and falconry fine. SAMPLE",
        "As shown in the source, SAMPLE",
    ]
    hits = found(pages, house)
    assert [(p, m.split("'")[1]) for p, _, m in hits] == [
        (1, "Project falcon"),
        (1, "tbd"),
        (1, "C++"),
        (3, "the source"),
    ]


def test_house_keys_validated_with_lines() -> None:
    text = "name: H\nforbidden_words: TBD\nallowed_words:\n  - ok\n  - 3\nsample: yes please\n"
    house = load_yaml_text(text, "data/house.yaml")
    problems = [str(p) for p in check_house_words(house, "data/house.yaml")]
    assert problems == [
        "data/house.yaml:2: column 'forbidden_words': expected a list of words or phrases, got str",
        "data/house.yaml:5: column 'allowed_words[2]': expected a non-empty word or phrase, "
        "got int",
        "data/house.yaml:6: column 'sample': expected true or false, got str",
    ]
    with pytest.raises(DataError) as exc:
        validate_house_words(house, "data/house.yaml")
    assert len(exc.value.problems) == 3
    good = load_yaml_text("forbidden_words: [a]\nsample: true\n", "h.yaml")
    assert check_house_words(good, "h.yaml") == []
    assert check_house_words({}, "h.yaml") == []
