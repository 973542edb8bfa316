"""The chart check: each kind of problem planted in a small figure of its own is found; a clean
figure gives none; and growth on a loss prints NM."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from reportgen.data.dataset import Dataset, load_dataset
from reportgen.figures import company_data
from reportgen.figures.chartcheck import ChartProblem, check_figure
from reportgen.figures.registry import EXHIBITS, load_builders
from reportgen.figures.save import svg_bytes
from reportgen.figures.style import LABEL_BOX, NAVY, house_style, new_figure

DATA = Path(__file__).resolve().parents[2] / "data"


def _small() -> tuple[Figure, object]:
    """A small house-style figure with one line, a y grid and a legend with a mark."""
    with house_style():
        fig, ax = new_figure(3.2, 2.0)
        ax.plot([0, 1, 2, 3], [1, 3, 2, 4], color=NAVY, label="Revenue")
        ax.set_xlim(0, 3)
        ax.set_ylim(0, 5)
        ax.set_ylabel("Rmb mn")
        ax.legend(loc="upper left")
    return fig, ax


def _kinds(problems: list[ChartProblem]) -> list[str]:
    return [p.kind for p in problems]


def test_clean_figure_has_no_problem() -> None:
    fig, ax = _small()
    with house_style():
        ax.annotate("start 1.0", (0, 1), xytext=(4, -10), textcoords="offset points")
        ax.set_title("Clean", loc="left")
    assert check_figure(fig) == []


def test_overlapping_texts_are_found_and_named() -> None:
    fig, ax = _small()
    with house_style():
        ax.text(1.5, 1.2, "Domestic 41.3%", bbox=LABEL_BOX)
        ax.text(1.6, 1.25, "Nvidia 55.0%", bbox=LABEL_BOX)
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-overlap"]
    assert '"Domestic 41.3%"' in problems[0].message and '"Nvidia 55.0%"' in problems[0].message
    x0, y0, x1, y1 = problems[0].box  # type: ignore[misc]
    assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1


def test_rotated_labels_side_by_side_do_not_overlap() -> None:
    # Their upright boxes overlap; their own rotated rectangles do not.
    with house_style():
        fig, ax = new_figure(3.2, 2.2)
        ax.set_xticks(range(6), [f"Model name {i}" for i in range(6)], rotation=45, ha="right")
        ax.set_xlim(-0.5, 5.5)
    assert check_figure(fig) == []
    with house_style():
        ax.set_xticks([0, 0.05], ["Model name A", "Model name B"], rotation=45, ha="right")
    assert "chart-overlap" in _kinds(check_figure(fig))


def test_label_crossing_the_plot_frame() -> None:
    fig, ax = _small()
    with house_style():
        ax.text(2.8, 0.5, "US$370.00 per 1M", bbox=LABEL_BOX)  # starts inside, runs out right
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-frame"]
    assert '"US$370.00 per 1M" crosses the plot frame' in problems[0].message


def test_axis_title_clipped_at_the_figure_edge() -> None:
    with house_style():
        fig, ax = new_figure(3.2, 2.0)
        ax.set_xlabel("Performance per dollar: TFLOPS per US$ of market price, FP8 where given")
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-frame"]
    assert "axis title" in problems[0].message and "figure's edge" in problems[0].message


def test_tick_label_running_into_the_next_panel() -> None:
    with house_style():
        fig = Figure(figsize=(3.2, 2.0))  # no layout engine to make room
        left, right = fig.subplots(1, 2, gridspec_kw={"wspace": 0.02})
        for ax in (left, right):
            ax.set_xticks([])
        left.set_yticks([])
        right.set_yticks([0.5], ["A long tick label"])
    problems = check_figure(fig)
    assert "runs into the plot of another panel" in problems[0].message
    assert _kinds(problems) == ["chart-frame"]


def test_reference_line_through_a_label() -> None:
    fig, ax = _small()
    with house_style():
        ax.axhline(0.6, color="red", lw=0.8, ls="--")
        ax.text(0.2, 0.6, "Target Rmb1,588", va="center")
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-crossed"]
    assert '"Target Rmb1,588" is crossed by a reference line' in problems[0].message


def test_gridline_through_a_label_and_a_white_box_hides_it() -> None:
    fig, ax = _small()
    with house_style():
        label = ax.text(1.0, 4.0, "Bull: Rmb3,000", va="center")  # on the y=4 gridline
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-crossed"]
    assert "gridline" in problems[0].message
    with house_style():
        label.set_bbox(LABEL_BOX)  # the gridline now passes under the label
    assert check_figure(fig) == []


def test_data_line_through_a_legend_entry() -> None:
    with house_style():
        fig, ax = new_figure(3.2, 2.0)
        ax.plot([0, 3], [4.6, 4.6], color=NAVY, label="House")
        ax.set_ylim(0, 5)
        legend = ax.legend(loc="upper left", frameon=False)  # no white box behind it
    assert "chart-crossed" in _kinds(check_figure(fig))
    with house_style():
        legend.set_frame_on(True)  # the line no longer strikes the text: the box hides the line
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-overlap"]
    assert problems[0].message == 'the legend covers the line "House"'


def test_label_under_the_legend() -> None:
    fig, ax = _small()
    with house_style():
        ax.text(0.05, 4.55, "Peak 4.6", bbox=LABEL_BOX)
    problems = check_figure(fig)
    assert _kinds(problems) == ["chart-overlap"]
    assert problems[0].message == 'label "Peak 4.6" is under the legend'


def test_legend_entry_without_a_mark() -> None:
    with house_style():
        fig, ax = new_figure(3.2, 2.0)
        ax.legend(
            handles=[
                Line2D([], [], color=NAVY, label="House"),
                Line2D([], [], ls="none", label="Consensus"),  # no line, no marker
                Patch(facecolor="none", edgecolor="none", label="None shown"),
                Patch(facecolor="#F2F4F7", label="Blank cell"),  # too faint on white
                Patch(facecolor="#D9DEE5", label="Estimate"),  # light, but visible
            ],
        )
    problems = check_figure(fig)
    assert _kinds(problems) == ["legend-mark"] * 3
    assert [p.message.split('"')[1] for p in problems] == ["Consensus", "None shown", "Blank cell"]


def test_bars_on_a_log_axis() -> None:
    with house_style():
        fig, ax = new_figure(3.2, 2.0)
        ax.bar([0, 1], [0.5, 120.0], color=NAVY)
        ax.set_yscale("log")
    problems = check_figure(fig)
    assert _kinds(problems) == ["log-bars"]
    assert "log y axis" in problems[0].message
    with house_style():
        ax.set_yscale("linear")
    assert check_figure(fig) == []


def test_hidden_axis_draws_no_ticks_to_check() -> None:
    with house_style():
        fig, ax = new_figure(3.2, 1.0)
        ax.barh([0], [60], color=NAVY)
        ax.set_xlim(0, 100)
        ax.axis("off")
    assert check_figure(fig) == []


def test_saving_checks_the_saved_layout_once() -> None:
    # svg_bytes checks the figure during its own draw; check_figure returns that once, then
    # checks afresh (so a figure changed after saving is not judged on its old layout).
    fig, ax = _small()
    with house_style():
        ax.text(1.5, 1.2, "Domestic 41.3%", bbox=LABEL_BOX)
        ax.text(1.6, 1.25, "Nvidia 55.0%", bbox=LABEL_BOX)
    fresh = check_figure(fig)
    svg_bytes(fig)
    assert fig.__dict__.get("_reportgen_chart_problems") is not None
    saved = check_figure(fig)  # measured at the SVG's 72 dpi: boxes agree to a pixel or so
    assert [(p.kind, p.message) for p in saved] == [(p.kind, p.message) for p in fresh]
    assert saved[0].box == pytest.approx(fresh[0].box, abs=0.005)
    assert fig.__dict__.get("_reportgen_chart_problems") is None
    with house_style():
        ax.texts[-1].set_y(0.4)  # moved clear of the other label
    assert check_figure(fig) == []


# --- the sample charts -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return load_dataset(DATA)


@pytest.mark.parametrize(
    ("exhibit_id", "params"),
    [
        ("flagship-blended-ranked", {"highlight": "DeepSeek V4 Pro"}),
        ("price-ranges", {}),
        ("day0-matrix", {}),
        ("perf-per-dollar", {}),
        ("risk-reward", {"company": "cambricon"}),
        ("interim-estimates", {"company": "metax"}),
    ],
)
def test_sample_charts_are_clean(ds: Dataset, exhibit_id: str, params: dict[str, str]) -> None:
    load_builders()
    assert check_figure(EXHIBITS[exhibit_id].build(ds, params)) == []


# --- NM for growth on a loss -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "prior", "nm"),
    [
        (120.0, 100.0, False),  # profit to profit
        (-50.0, -100.0, True),  # a smaller loss: not "growth" of -50%
        (50.0, -100.0, True),  # loss to profit
        (-50.0, 100.0, True),  # profit to loss
        (10.0, 0.0, True),  # from nothing
        (None, 100.0, False),  # unknown: nothing to decide
    ],
)
def test_not_meaningful(current: float | None, prior: float | None, nm: bool) -> None:
    assert company_data.not_meaningful(current, prior) is nm


def test_nm_periods_from_the_table_and_from_the_published_rate() -> None:
    base = {"2025": -1003.7, "2026E": -261.9, "2027E": 1449.5, "2028E": 2569.5}
    growth = {"2025": 12.5, "2026E": -73.9, "2027E": None, "2028E": 77.3}
    # 2025 has no earlier column: it is a loss now, so NM; 2026E from a loss; 2027E a sign change.
    assert company_data.nm_periods(list(base), growth, base) == {"2025", "2026E", "2027E"}
    # A profit with no earlier column: the published rate implies a profit base, so it stays.
    assert company_data.nm_periods(["2028E"], {"2028E": 77.3}, {"2028E": 2569.5}) == set()
    # ... unless the rate implies a loss base: 100 / (1 - 1.5) < 0.
    assert company_data.nm_periods(["2028E"], {"2028E": -150.0}, {"2028E": 100.0}) == {"2028E"}


def test_growth_rows_on_losses_print_nm(ds: Dataset) -> None:
    load_builders()
    table = EXHIBITS["financial-statements"].build(
        ds, {"company": "iluvatar", "statement": "ratios"}
    )
    rows = {r.cells[0]: r.cells[1:] for g in table.groups for r in g.rows}  # type: ignore[union-attr]
    assert rows["Net profit growth"][:3] == ("NM", "NM", "NM")
    assert rows["Net profit growth"][3] == "77.3%"
    assert "NM" not in rows["Revenue growth"]
    assert any("shows NM (not meaningful)" in n for n in table.notes)  # type: ignore[union-attr]
