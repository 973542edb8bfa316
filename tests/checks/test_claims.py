"""Claims bound to data: a comparison prose states is evaluated by the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.checks.claims import unbound_comparisons
from tests.conftest import run_cli
from tests.test_plan import small_project

CLAIM = (
    'Domestic vendors took {{ shipments.share("Domestic vendors", 2025) | pct }} of units,\n'
    '{{ claim(shipments.share("Domestic vendors", 2025) < shipments.share("Nvidia", 2025),'
    ' "less than Nvidia") }}.\n'
)


def _project_with_claim(root: Path) -> Path:
    """The small two-report project, report alpha's prose stating one claim on line 2."""
    small_project(root)
    (root / "data" / "reports" / "alpha" / "body.md").write_text(CLAIM, encoding="utf-8")
    return root


def test_a_claim_the_data_support_builds(tmp_path: Path) -> None:
    root = _project_with_claim(tmp_path / "p")
    result = run_cli(["build", "alpha"], root)
    assert result.exit_code == 0, result.output
    html = (root / "build" / "alpha.html").read_text(encoding="utf-8")
    assert "less than Nvidia" in html


def test_a_data_change_that_falsifies_a_claim_fails_the_build_at_its_line(
    tmp_path: Path,
) -> None:
    root = _project_with_claim(tmp_path / "p")
    shipments = root / "data" / "market" / "china_ai_shipments.csv"
    text = shipments.read_text(encoding="utf-8")
    assert "2025,Domestic vendors,1.65," in text
    shipments.write_text(text.replace("2025,Domestic vendors,1.65,", "2025,Domestic vendors,2.5,"))
    result = run_cli(["build", "alpha"], root)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert (
        'data/reports/alpha/body.md:2: claim no longer holds: "less than Nvidia" needs '
        'shipments.share("Domestic vendors", 2025) < shipments.share("Nvidia", 2025)'
    ) in result.output
    assert not (root / "build" / "alpha.pdf").exists()


# --- `reportgen check` lists comparisons prose states without evaluating them --------------------


def _listed(text: str) -> list[tuple[int, tuple[str, ...]]]:
    return [(u.line, u.words) for u in unbound_comparisons(text, "p.md")]


def test_a_comparative_sentence_citing_a_number_without_a_claim_is_listed() -> None:
    text = (
        "Prices fell this year.\n"
        "{% set v4 = market.model('V4') %}\n"
        "At {{ v4.input | usd }} the promotional rate sits at the very bottom of the range. "
        "It is cheaper than\nany overseas model ({{ fig('ranges') }}).\n"
    )
    assert _listed(text) == [(3, ("at the very bottom",)), (3, ("cheaper than",))]


@pytest.mark.parametrize(
    "text",
    [
        # evaluated: a claim in the sentence
        "At {{ a | usd }} it sits {{ claim(a < b, 'below the whole range') }}.",
        # evaluated: wording chosen by {% if %} inside the sentence
        "At {{ a | usd }} it is {% if a < b %}below{% else %}above{% endif %} the range.",
        # evaluated: the sentence sits inside an if block
        "{% if a < b %}\nAt {{ a | usd }} it is the lowest price.\n{% endif %}",
        # cites no number
        "Its software is the best in the market and costs are lower than peers'.",
        "{{ company.short_name }} sells to the largest customers.",
        # comparative words only inside expressions
        "The low is {{ cn.lowest | usd }}.",
        # above / below pointing at the page, lower as a verb
        "The matrix below lists all {{ n }} prices.",
        "We initiate on {{ n | words }} names below.",
        "New chips should lower the cost of serving {{ n }} users.",
    ],
)
def test_evaluated_or_numberless_comparisons_are_not_listed(text: str) -> None:
    assert _listed(text) == []


def test_the_excerpt_shows_the_sentence_around_its_comparative_word() -> None:
    text = "{% set x = 1 %}\nThe price of {{ a | usd }} is lower than {{ b | usd }}.\nNext one."
    (found,) = unbound_comparisons(text, "data/reports/demo/body.md")
    assert str(found) == (
        "data/reports/demo/body.md:2: The price of {{ a | usd }} is lower than "
        "{{ b | usd }}. [lower than]"
    )


def test_reportgen_check_lists_a_planted_comparison(project_copy: Path) -> None:
    prose = project_copy / "data" / "reports" / "deepseek-v4-pricing" / "pricing.md"
    text = prose.read_text(encoding="utf-8")
    line = text.count("\n") + 3
    planted = (
        "V4-Pro's {{ market.model('DeepSeek V4 Pro').input | usd }} is the lowest input price."
    )
    prose.write_text(text + "\n\n" + planted + "\n", encoding="utf-8")
    result = run_cli(["check"], project_copy)
    assert result.exit_code == 0, result.output
    listed = [x for x in result.output.splitlines() if x.startswith("comparison: ")]
    assert (
        f"comparison: data/reports/deepseek-v4-pricing/pricing.md:{line}: {planted} [lowest]"
        in listed
    )
    # Bound to data, the same sentence is no longer listed.
    bound = planted.replace("the lowest", "{{ claim(1 < 2, 'the lowest') }}")
    prose.write_text(text + "\n\n" + bound + "\n", encoding="utf-8")
    again = run_cli(["check"], project_copy)
    assert not any("pricing.md:" + str(line) in x for x in again.output.splitlines())
    assert len(listed) - 1 == sum(x.startswith("comparison: ") for x in again.output.splitlines())
