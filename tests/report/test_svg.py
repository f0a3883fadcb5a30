"""Chart geometry: colours, one heatmap cell per model × language, bars to scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from tvbench.report.load import load_runs
from tvbench.report.svg import bar_chart, colour, heatmap
from tvbench.report.tables import build_board


def test_colour_ramp_ends_and_missing() -> None:
    assert colour(0) == "#440154" and colour(100) == "#fde725"
    assert colour(-5) == colour(0) and colour(250) == colour(100)
    assert colour(None) == "#e5e7eb"
    assert colour(50) == "#21918c"


def test_heatmap_cells_and_tooltips(multilang_runs: Path) -> None:
    view = build_board(load_runs([multilang_runs])).tasks[0]
    h = heatmap(view, reported=set())
    assert [c.language.code for c in h.columns] == ["en", "de", "is", "sw"]
    assert all(len(c.cells) == 2 for c in h.columns)
    sw_alpha = h.columns[3].cells[0]
    assert sw_alpha.text == "40*" and sw_alpha.seen == "unseen"
    assert "alpha-3b · sw (Swahili): 40.0" in sw_alpha.tooltip
    assert "n=10" in sw_alpha.tooltip and "95% CI [35.0, 45.0]" in sw_alpha.tooltip
    assert h.columns[3].cells[1].seen == "unknown"


def test_bar_lengths_are_proportional(multilang_runs: Path) -> None:
    view = build_board(load_runs([multilang_runs])).tasks[1]  # ocr: 30 and 90
    chart = bar_chart(view, reported=set(), plot_w=400)
    a, b = chart.bars
    assert (a.width, b.width) == pytest.approx((120.0, 360.0))
    assert a.ci == pytest.approx((chart.gutter + 116.0, chart.gutter + 124.0))
    assert "n=10" in a.tooltip and "95% CI [29.0, 31.0]" in a.tooltip
