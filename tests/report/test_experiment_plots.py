"""The sweep's Pareto view: every point labelled, and no two labels overlap, even where points coincide."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from simulator.report.experiment_plots import pareto_figure, pareto_front

# Three settings that decided alike (the same mean duration and exposure), one beside them, two far away.
POINTS = np.array([[345.0, 5997.0], [345.0, 5997.0], [345.0, 5997.0], [382.0, 7657.0], [165.0, 2402.0],
                   [2100.0, 459842.0], [2100.0, 459842.0]])
NAMES = ["canary, 1.5, 5m", "canary, 1.8, 5m", "canary, 2.0, 5m", "canary, 2.0, 2m", "canary, 1.5, 2m",
         "canary, 2.5, 5m", "canary, 2.5, 2m"]


@pytest.mark.parametrize("dpi", [100, 200])
def test_labels_of_coinciding_points_do_not_overlap(dpi: int) -> None:
    import matplotlib

    matplotlib.use("agg")
    figure = pareto_figure(POINTS, NAMES)
    figure.set_dpi(dpi)
    figure.canvas.draw()
    axis = figure.axes[0]
    labels = {text.get_text(): text for text in axis.texts if text.get_text()}
    assert sorted(labels) == sorted(NAMES)
    boxes = {name: text.get_window_extent() for name, text in labels.items()}
    overlapping = [(a, b) for a, b in itertools.combinations(NAMES, 2) if boxes[a].overlaps(boxes[b])]
    assert overlapping == []
    # Each label still starts right of its own point, and the labels of the coinciding three are stacked above it.
    anchors = dict(zip(NAMES, axis.transData.transform(POINTS), strict=True))
    assert all(boxes[name].x0 > anchors[name][0] and boxes[name].y0 > anchors[name][1] for name in NAMES)
    stacked = sorted(boxes[name].y0 for name in NAMES[:3])
    assert all(upper >= lower + boxes[NAMES[0]].height for lower, upper in itertools.pairwise(stacked))


def test_pareto_front_keeps_the_points_nothing_beats() -> None:
    front = pareto_front(np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [1.0, 5.0], [5.0, 1.0]]))
    assert front.tolist() == [True, True, False, True, True]
