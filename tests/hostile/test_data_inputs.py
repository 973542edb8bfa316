"""Hostile and broken data files: out-of-range numbers, nesting and alias bombs, oversized
files, control characters and characters no shipped font has.

Each probe edits one file of a copy of a project whose sector note was built once, then runs
`reportgen check` and/or `reportgen build`: each must exit 2 with one located message
(file, line, column or key, what was expected), no traceback, and the previous build's
outputs unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli
from tests.tools import copy_sample

NOTE = "deepseek-v4-pricing"
PRICING = "data/market/llm_pricing.csv"
DAY0 = "data/market/day0_matrix.csv"
CAMB = "data/companies/cambricon/company.yaml"
CAMB_RI = "data/companies/cambricon/ri_inputs.csv"
REPORT = f"data/reports/{NOTE}/report.yaml"
PROSE = f"data/reports/{NOTE}/risks.md"
HOUSE = "data/house.yaml"

ROW1 = "1,China,DeepSeek,DeepSeek V4 Pro,Y,Y,1.74,"
MINIMAX = "MiniMax-M2.5-highspeed,"  # a model the prose never names
PRICE = "price: 1352.50"
TITLE = 'title: "DeepSeek V4 pricing:'
SECTOR = "sector: China Semiconductors"


def line(path: str, needle: str) -> int:
    """The 1-based line of the sample file ``path`` that holds ``needle`` (once)."""
    lines = (REPO / path).read_text(encoding="utf-8").splitlines()
    found = [n for n, text in enumerate(lines, start=1) if needle in text]
    assert len(found) == 1, (path, needle, found)
    return found[0]


def sub(old: str, new: str) -> Callable[[str], str]:
    """An edit replacing ``old`` (which must occur once) with ``new``."""

    def edit(text: str) -> str:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        return text.replace(old, new)

    return edit


def append(extra: str) -> Callable[[str], str]:
    """An edit adding ``extra`` at the end of the file."""
    return lambda text: text + extra


def price(cell: str) -> Callable[[str], str]:
    """The first price row's input_usd cell replaced by ``cell``."""
    return sub(ROW1, ROW1.replace(",1.74,", f",{cell},"))


def model(name: str) -> Callable[[str], str]:
    """The MiniMax-M2.5-highspeed model cell replaced by ``name``."""
    return sub(MINIMAX, f"{name},")


@dataclass(frozen=True)
class Probe:
    id: str
    path: str
    edit: Callable[[str], str]
    expected: tuple[str, ...]
    #: Commands that must refuse it: a character no font has in prose or a definition
    #: shows only when the page is made, so `check` (which renders nothing) passes it.
    commands: tuple[str, ...] = ("check", "build")


P1 = f"{PRICING}:{line(PRICING, ROW1)}: column 'input_usd'"
PM = f"{PRICING}:{line(PRICING, MINIMAX)}: column 'model'"
CP = f"{CAMB}:{line(CAMB, PRICE)}: column 'price'"
TOO_LARGE = "is too large; expected a number below 1,000,000,000,000,000 in magnitude"
NOT_NUMBER = "is not a number; expected a number such as 1,234.5"
NO_ANCHORS = "anchors and aliases are not accepted; write the value out"
NO_GLYPH = "has no glyph in templates/fonts/ and would print as a box"
DEEP = "lists and mappings nested more than 100 deep"
LAUGHS = "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" if i else "l0: &l0 [lol]\n"
    for i in range(10)
)

PROBES = [
    # --- numbers in CSV cells: only finite plain decimals below 1e15 ----------------------
    Probe(
        "csv-310-digit-price",
        PRICING,
        price("9" * 310),
        (P1, f"'999999999999...999999 (310 characters)' {TOO_LARGE}"),
    ),
    Probe("csv-1e15-price", PRICING, price('"1,000,000,000,000,000"'), (P1, TOO_LARGE)),
    Probe("csv-1e15-dollars", PRICING, price("US$1000000000000000"), (P1, TOO_LARGE)),
    Probe("csv-exponent-1e400", PRICING, price("1e400"), (P1, f"'1e400' {NOT_NUMBER}")),
    Probe("csv-exponent-1e-400", PRICING, price("1e-400"), (P1, f"'1e-400' {NOT_NUMBER}")),
    Probe("csv-inf", PRICING, price("inf"), (P1, f"'inf' {NOT_NUMBER}")),
    Probe("csv-infinity", PRICING, price("-Infinity"), (P1, f"'-Infinity' {NOT_NUMBER}")),
    Probe("csv-nan", PRICING, price("nan"), (P1, f"'nan' {NOT_NUMBER}")),
    Probe("csv-NaN", PRICING, price("NaN"), (P1, f"'NaN' {NOT_NUMBER}")),
    Probe(
        "csv-underflow-to-zero",
        PRICING,
        price("0." + "0" * 400 + "1"),
        (P1, "(403 characters)' is too close to zero to be held; expected 0 or a larger"),
    ),
    Probe(
        "csv-5000-digit-row-number",
        PRICING,
        sub(ROW1, "1" + "0" * 4999 + ROW1[1:]),
        (
            f"{PRICING}:{line(PRICING, ROW1)}: column 'row'",
            "(5000 characters)' is too large; expected a whole number below 1,000,000,000,000,000",
        ),
    ),
    Probe(
        "csv-company-statement-1e20",
        CAMB_RI,
        sub("2026,6156,", "2026,100000000000000000000,"),
        (f"{CAMB_RI}:{line(CAMB_RI, '2026,6156,')}: column 'net_profit_mn'", TOO_LARGE),
    ),
    # --- control characters in CSV cells --------------------------------------------------
    Probe(
        "csv-form-feed",
        PRICING,
        model("MiniMax-M2.5\x0chighspeed"),
        (PM, "control character U+000C not allowed"),
    ),
    Probe("csv-nul", PRICING, model("MiniMax\x00"), (PM, "control character U+0000 not allowed")),
    Probe(
        "csv-escape-sequence",
        PRICING,
        model("\x1b[31mMiniMax"),
        (PM, "control character U+001B not allowed"),
    ),
    Probe("csv-delete", PRICING, model("Mini\x7fMax"), (PM, "control character U+007F")),
    Probe("csv-c1-control", PRICING, model("Mini\x85Max"), (PM, "control character U+0085")),
    Probe(
        "csv-bidi-override",
        PRICING,
        model("MiniMax \u202e5.2M"),
        (PM, "bidirectional control character U+202E not allowed"),
    ),
    Probe(
        "csv-control-in-a-number-cell",
        PRICING,
        price("1.7\x0c4"),
        (P1, "control character U+000C not allowed"),
    ),
    # --- characters no shipped font has, located at the data cell -------------------------
    Probe(
        "csv-private-use", PRICING, model("MiniMax \ue000"), (PM, f"'\ue000' (U+E000) {NO_GLYPH}")
    ),
    Probe(
        "csv-unassigned-plane",
        PRICING,
        model("MiniMax \U000f0000"),
        (PM, f"(U+F0000) {NO_GLYPH}"),
    ),
    Probe(
        "csv-no-glyph-in-a-column-name",
        DAY0,
        sub("vendor,", "vendor\ue000,"),
        (
            f"{DAY0}:{line(DAY0, 'vendor,')}: column 'vendor\ue000'",
            f"column name: character '\ue000' (U+E000) {NO_GLYPH}",
        ),
    ),
    Probe(
        "csv-no-glyph-in-a-company-table",
        CAMB_RI,
        sub("2026,6156,17499,Ex 27", "2026,6156,17499,Ex\ue000 27"),
        (f"{CAMB_RI}:{line(CAMB_RI, '2026,6156,')}: column 'source'", f"(U+E000) {NO_GLYPH}"),
    ),
    # --- numbers in YAML: only finite plain decimals below 1e15 ---------------------------
    Probe("yaml-1e400", CAMB, sub(PRICE, "price: 1e400"), (CP, f"number 1e400 {TOO_LARGE}")),
    Probe("yaml-1.0e400", CAMB, sub(PRICE, "price: 1.0E400"), (CP, f"1.0E400 {TOO_LARGE}")),
    Probe(
        "yaml-400-digit-integer",
        CAMB,
        sub(PRICE, "price: " + "9" * 400),
        (CP, f"number 999999999999...999999 (400 characters) {TOO_LARGE}"),
    ),
    Probe(
        "yaml-1e15-integer",
        CAMB,
        sub(PRICE, "price: 1_000_000_000_000_000"),
        (CP, TOO_LARGE),
    ),
    Probe(
        "yaml-1e-400",
        CAMB,
        sub(PRICE, "price: 1e-400"),
        (CP, "number 1e-400 is too close to zero to be held"),
    ),
    Probe("yaml-.inf", CAMB, sub(PRICE, "price: .inf"), (CP, "expected a number, found '.inf'")),
    Probe("yaml-.nan", CAMB, sub(PRICE, "price: .NaN"), (CP, "expected a number, found '.NaN'")),
    Probe(
        "yaml-1e400-in-a-report-definition",
        REPORT,
        sub(SECTOR, f"{SECTOR}\nbig: [1, 2, 1e400]"),
        (f"{REPORT}:{line(REPORT, SECTOR) + 1}: column 'big'", f"number 1e400 {TOO_LARGE}"),
    ),
    # --- nesting, alias bombs and size, in every YAML the project reads -------------------
    Probe(
        "yaml-5000-deep-list",
        CAMB,
        sub(PRICE, f"{PRICE}\nextra: {'[' * 5000}{']' * 5000}"),
        (f"{CAMB}:{line(CAMB, PRICE) + 1}: column 'extra'", DEEP),
    ),
    Probe(
        "yaml-5000-deep-mapping",
        HOUSE,
        append("extra: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
        (f"{HOUSE}:", "column 'a'", DEEP),
    ),
    Probe(
        "yaml-deep-list-in-a-report-definition",
        REPORT,
        sub(SECTOR, f"{SECTOR}\nextra: {'[' * 200}{']' * 200}"),
        (f"{REPORT}:{line(REPORT, SECTOR) + 1}: column 'extra'", DEEP),
    ),
    Probe(
        "yaml-billion-laughs-in-house",
        HOUSE,
        append(LAUGHS),
        (f"{HOUSE}:", "column 'l0': anchor &l0", NO_ANCHORS),
    ),
    Probe(
        "yaml-billion-laughs-in-a-company",
        CAMB,
        append(LAUGHS),
        (f"{CAMB}:", "column 'l0': anchor &l0", NO_ANCHORS),
    ),
    Probe(
        "yaml-billion-laughs-in-a-report-definition",
        REPORT,
        append(LAUGHS),
        (f"{REPORT}:", "column 'l0': anchor &l0", NO_ANCHORS),
    ),
    Probe(
        "yaml-alias-to-a-scalar",
        REPORT,
        sub(SECTOR, "sector: &s China Semiconductors\nsector2: *s"),
        (f"{REPORT}:{line(REPORT, SECTOR)}: column 'sector': anchor &s", NO_ANCHORS),
    ),
    Probe(
        "yaml-over-1-mb",
        HOUSE,
        append("# " + "x" * 1_000_000 + "\n"),
        (f"{HOUSE}: ", "characters; a YAML file may hold at most 1,000,000 characters (1 MB)"),
    ),
    # --- control characters in YAML strings -----------------------------------------------
    Probe(
        "yaml-raw-form-feed",
        REPORT,
        sub(SECTOR, "sector: China\x0cSemiconductors"),
        (
            f"{REPORT}:{line(REPORT, SECTOR)}: column 'sector'",
            "control character U+000C not allowed",
        ),
    ),
    Probe(
        "yaml-escaped-form-feed",
        CAMB,
        sub(PRICE, f'{PRICE}\nnote: "a\\fb"'),
        (f"{CAMB}:{line(CAMB, PRICE) + 1}: column 'note'", "control character U+000C"),
    ),
    Probe(
        "yaml-escaped-bidi-override",
        REPORT,
        sub(TITLE, 'title: "\\u202EDeepSeek V4 pricing:'),
        (
            f"{REPORT}:{line(REPORT, TITLE)}: column 'title'",
            "bidirectional control character U+202E not allowed",
        ),
    ),
    Probe(
        "yaml-escape-in-a-list",
        HOUSE,
        append('extra:\n  - "ok"\n  - "\\e[2J"\n'),
        (f"{HOUSE}:", "column 'extra'", "control character U+001B not allowed"),
    ),
    # --- no glyph in a definition or prose: located where it was typed ------------------
    Probe(
        "definition-private-use-title",
        REPORT,
        sub(TITLE, 'title: "DeepSeek V4 \ue000pricing:'),
        (f"{REPORT}:{line(REPORT, TITLE)}: column 'title'", f"'\ue000' (U+E000) {NO_GLYPH}"),
        commands=("build",),
    ),
    Probe(
        "prose-private-use",
        PROSE,
        append("\nA closing line with \ue001 in it.\n"),
        (f"{PROSE}:", f"'\ue001' (U+E001) {NO_GLYPH}"),
        commands=("build",),
    ),
]


def tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` with the hash of its bytes."""
    if not root.is_dir():
        return {}
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project copy whose sector note was built once (the outputs the probes must keep)."""
    root = tmp_path_factory.mktemp("built") / "project"
    copy_sample(root)
    result = run_cli(["build", "-q", NOTE], root)
    assert result.exit_code == 0, result.output
    assert (root / "build" / f"{NOTE}.pdf").is_file()
    return root


def test_the_corpus_is_large() -> None:
    assert len(PROBES) >= 40
    assert len({p.id for p in PROBES}) == len(PROBES)


@pytest.mark.parametrize("probe", PROBES, ids=[p.id for p in PROBES])
def test_hostile_data_is_refused_with_a_located_message(
    probe: Probe, built: Path, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    before = {n: tree(root / n) for n in ("build", "figures")}
    assert before["build"], "the sector note was built"
    path = root / probe.path
    edited = probe.edit(path.read_text(encoding="utf-8"))
    path.write_bytes(edited.encode("utf-8"))
    for command in probe.commands:
        args = ["check"] if command == "check" else ["build", NOTE]
        result = run_cli(args, root)
        assert result.exit_code == 2, (command, result.output[-2000:])
        assert "Traceback" not in result.output and "internal error" not in result.output
        errors = [x for x in result.output.splitlines() if x.startswith("error: ")]
        assert len(errors) == 1, (command, result.output[-2000:])
        assert len(errors[0]) < 400, f"{command}: a message of {len(errors[0])} characters"
        for fragment in probe.expected:
            assert fragment in errors[0], f"{command}: {fragment!r} not in:\n{errors[0]}"
        assert {n: tree(root / n) for n in ("build", "figures")} == before, command


def test_a_missing_glyph_is_named_at_every_file_and_cell_that_holds_it(tmp_path: Path) -> None:
    """verify.missing_glyphs maps a character back to the files a report read."""
    from reportgen.render.verify import missing_glyphs

    fonts = REPO / "reportgen" / "templates" / "fonts"
    (tmp_path / "t.csv").write_text("# note \ue000\nname,model\na,b\ue000c\n", encoding="utf-8")
    (tmp_path / "r.yaml").write_text("a: 1\n  - title: x\ue000\n", encoding="utf-8")
    (tmp_path / "p.md").write_text("one\n\ntwo \ue000\n", encoding="utf-8")
    (tmp_path / "f.svg").write_text("\ue000", encoding="utf-8")  # not a text source
    sources = [tmp_path / n for n in ("t.csv", "r.yaml", "p.md", "f.svg", "gone.md")]
    found = missing_glyphs(
        "x \ue000 y \ue001", fonts, "build/r.html", [*sources, "dir:/x"], tmp_path
    )
    assert [(p.path, p.line, p.column) for p in found] == [
        ("p.md", 3, None),
        ("r.yaml", 2, "title"),
        ("t.csv", 3, "model"),
        ("build/r.html", None, None),  # U+E001 is in no source: named in the page
    ]
    assert all("has no glyph in templates/fonts/" in p.message for p in found)
    assert found[-1].message.endswith('in: "x \ue000 y \ue001"')
