"""Strategies see only what monitoring shows: no path from an Observation to exact totals or true accuracy."""

from __future__ import annotations

import types
from typing import Any

import numpy as np

import simulator.driver as driver
from simulator.commands import Wait
from simulator.observations import Observation
from simulator.scenario import load_scenario
from simulator.world.metrics import MetricStore
from tests.helpers import SCENARIOS

TRUTH = ("true_accuracy_sum", "answered", "fine_histogram", "_counts", "_sums", "shadow_counts")
"""Attribute names under which the metric store keeps the truth."""


def reachable(root: Any, limit: int = 20_000) -> list[Any]:
    """Every object reachable from ``root`` through attributes, slots, mappings and sequences."""
    seen: dict[int, Any] = {}
    todo = [root]
    while todo and len(seen) < limit:
        item = todo.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, bool, type(None), np.ndarray, type,
                                                   types.ModuleType, types.FunctionType)):
            continue
        seen[id(item)] = item
        if isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            todo.extend(item)
        if hasattr(item, "__dict__"):
            todo.extend(vars(item).values())
        for klass in type(item).__mro__:
            for slot in getattr(klass, "__slots__", ()):
                if hasattr(item, slot):
                    todo.append(getattr(item, slot))
    return list(seen.values())


class _Recorder:
    """A strategy that keeps every observation it is given and waits until the horizon."""

    kind = "recorder"
    state = "watching"

    def __init__(self) -> None:
        self.observations: list[Observation] = []

    def step(self, observation: Observation):
        self.observations.append(observation)
        return [Wait(seconds=300)]


def test_nothing_reachable_from_an_observation_holds_the_truth(monkeypatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(driver, "make_strategy", lambda config: recorder)
    # Drift is found after about 7 h and the retrained version is ready 3 h later: 12 h see its rollout.
    scenario = load_scenario(SCENARIOS / "drift-retraining.yaml").model_copy(update={"horizon": 12 * 3600.0})
    driver.run(scenario, scenario.labels[0], seed=1)
    assert len(recorder.observations) > 3
    assert any(observation.drift_scores for observation in recorder.observations)  # the monitor's score arrives
    for observation in recorder.observations[:3] + recorder.observations[-1:]:
        objects = reachable(observation)
        assert not any(isinstance(item, MetricStore) for item in objects)
        assert not any(hasattr(item, name) for item in objects for name in TRUTH
                       if not isinstance(item, (dict, list, tuple)))


def test_the_walker_would_find_the_store_if_an_observation_held_it() -> None:
    store = MetricStore(["v1"], bin_seconds=15.0, horizon=60.0, label_delay=0.0)
    holder = types.SimpleNamespace(metrics=types.SimpleNamespace(inner=[{"x": store}]))
    assert any(isinstance(item, MetricStore) for item in reachable(holder))


def test_no_regions_observation_holds_the_truth_either(monkeypatch) -> None:
    """With regions, each region's own observation is as blind to the truth as the world's."""
    recorder = _Recorder()
    monkeypatch.setattr(driver, "make_strategy", lambda config: recorder)
    scenario = load_scenario(SCENARIOS / "multi-region.yaml").model_copy(update={"horizon": 1800.0, "observe": None})
    driver.run(scenario, scenario.labels[0], seed=1)
    observation = recorder.observations[-1]
    assert list(observation.regions) == ["us", "eu", "ap"]
    assert observation.regions["eu"].metrics.window("v1", 600).requests > 0
    objects = reachable(observation)
    assert not any(isinstance(item, MetricStore) for item in objects)
    assert not any(hasattr(item, name) for item in objects for name in TRUTH
                   if not isinstance(item, (dict, list, tuple)))
