"""Claims bound to data: a comparison prose states is evaluated by the build."""

from __future__ import annotations

from pathlib import Path

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
