"""House-style helpers: label placement and the style context."""

from __future__ import annotations

import subprocess
import sys

import matplotlib
import pytest

from reportgen.figures.style import RC, house_style, spread_labels


def test_spread_labels_keeps_order_and_gap() -> None:
    # Three close values and one far away: the close ones are pushed up, the far one stays.
    assert spread_labels([10.0, 10.5, 30.0, 10.2], 2.0) == pytest.approx([10.0, 14.0, 30.0, 12.0])


def test_spread_labels_leaves_well_spaced_values_alone() -> None:
    assert spread_labels([1.0, 5.0, 9.0], 2.0) == [1.0, 5.0, 9.0]
    assert spread_labels([], 1.0) == []


def test_house_style_applies_and_restores_rcparams() -> None:
    before = matplotlib.rcParams["svg.fonttype"]
    with house_style():
        assert matplotlib.rcParams["svg.fonttype"] == RC["svg.fonttype"] == "none"
    assert matplotlib.rcParams["svg.fonttype"] == before


def test_style_does_not_load_pyplot() -> None:
    # pyplot brings a global figure manager and GUI back-end lookup the builders never use.
    code = "import sys, reportgen.figures.style; print('matplotlib.pyplot' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr
