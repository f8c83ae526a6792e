"""A canary judged against a fresh baseline (Kayenta's practice), without a simulation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.observations import Observation
from simulator.scenario import CanaryConfig, RollbackThresholds
from simulator.strategies import CanaryStrategy
from tests.strategies.observe import FakeMetrics, World, first, kinds, window

CONFIG = CanaryConfig(steps=[10, 25, 50, 100], monitoring_duration=300, baseline="fresh",
                      rollback_thresholds=RollbackThresholds(latency_increase=1.5, error_rate_increase=0.01))


class FreshWorld(World):
    """The stand-in world with a third deployment: the fresh baseline ``v1-baseline``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(desired={"v1": 6, "v2": 0, "v1-baseline": 0}, ready={"v1": 6, "v2": 0, "v1-baseline": 0},
                         **kwargs)

    def observe(self) -> Observation:
        observation = super().observe()
        deployments = {**observation.deployments}
        deployments["v1-baseline"] = type(deployments["v1"])(
            version="v1-baseline", desired=self.desired["v1-baseline"], ready=self.ready["v1-baseline"],
            starting=0, crashed=0)
        return Observation(now=observation.now, stable="v1", candidate="v2", deployments=deployments,
                           weights=observation.weights, metrics=self.metrics, drift_scores=observation.drift_scores,
                           baseline="v1-baseline")


def run_to_end(strategy: CanaryStrategy, world: World) -> list[list]:
    history = []
    for _ in range(200):
        history.append(strategy.step(world.observe()))
        world.apply(history[-1])
        if kinds(history[-1])[-1] == "Finish":
            return history
    raise AssertionError("did not finish")


def test_the_baseline_is_sized_and_weighted_like_the_canary_then_retired() -> None:
    world = FreshWorld()
    history = run_to_end(CanaryStrategy(CONFIG), world)
    scales = [(c.version, c.replicas) for commands in history for c in commands if type(c).__name__ == "ScaleTo"]
    assert ("v2", 1) in scales and ("v1-baseline", 1) in scales and ("v1-baseline", 3) in scales
    weights = [c.weights for commands in history for c in commands if type(c).__name__ == "SetWeights"]
    assert weights[:3] == [{"v2": 10, "v1-baseline": 10, "v1": 80}, {"v2": 25, "v1-baseline": 25, "v1": 50},
                           {"v2": 50, "v1-baseline": 50, "v1": 0}]
    assert first(history[-1], "Decide").outcome == "promoted"
    assert world.desired == {"v1": 0, "v2": 6, "v1-baseline": 0} and world.weights == {"v2": 100.0}


def test_checks_compare_with_the_fresh_baseline_not_the_stable_replicas() -> None:
    metrics = FakeMetrics(windows={"v1": window("v1", p99=0.05), "v1-baseline": window("v1-baseline", p99=0.1),
                                   "v2": window("v2", p99=0.12)})
    world = FreshWorld(metrics=metrics)
    history = run_to_end(CanaryStrategy(CONFIG), world)  # x1.2 of the baseline passes; x2.4 of v1 would not
    assert first(history[-1], "Decide").outcome == "promoted"
    step_end = [c.detail for commands in history for c in commands
                if type(c).__name__ == "Note" and not c.data.get("in_step")]
    assert all("against the fresh baseline v1-baseline over the same window" in detail for detail in step_end)
    asked = {version for version, _ in metrics.asked}
    assert "v1-baseline" in asked


def test_a_rollback_retires_the_baseline_too() -> None:
    metrics = FakeMetrics(windows={"v2": window("v2", p99=0.5)})
    world = FreshWorld(metrics=metrics)
    history = run_to_end(CanaryStrategy(CONFIG), world)
    assert first(history[-1] if "Decide" in kinds(history[-1]) else history[-2], "Decide").outcome == "rolled_back"
    assert world.desired["v1-baseline"] == 0 and world.desired["v2"] == 0 and world.weights == {"v1": 100.0}


def test_weights_above_50_before_100_are_an_error() -> None:
    with pytest.raises(ValidationError, match="expected every weight before 100 to be at most 50"):
        CanaryConfig(baseline="fresh")  # the guide's 10, 25, 40, 55, ...
    with pytest.raises(ValidationError, match="baseline: fresh with rolloutDuration"):
        CanaryConfig(baseline="fresh", steps=[10, 50], rollout_duration=3600)
