"""Requests kept aside for the truth of load are settled early on long runs: the same truth, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import run
from simulator.scenario import load_scenario
from simulator.world import metrics
from tests.helpers import SCENARIOS, until_rollout_end


def test_settling_early_gives_the_truth_settling_once_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = until_rollout_end(load_scenario(SCENARIOS / "failures.yaml"))
    once = run(scenario, "canary", 1)
    settled = []
    settle = metrics.MetricStore._settle

    def counting(store):
        settled.append(store._aside)
        settle(store)

    monkeypatch.setattr(metrics, "SETTLE_AFTER", 50)
    monkeypatch.setattr(metrics.MetricStore, "_settle", counting)
    early = run(scenario, "canary", 1)
    assert len(settled) > 20 and max(settled) < 50 + 10_000  # settled along the way, a chunk's worth at most over
    assert early.outcome == once.outcome and early.requests == once.requests
    first, second = once.timeline_frame(), early.timeline_frame()
    assert list(first.columns) == list(second.columns)
    for column in first.columns:
        if first[column].dtype.kind in "fiu":
            assert np.allclose(first[column], second[column], rtol=1e-9, atol=1e-9, equal_nan=True), column
