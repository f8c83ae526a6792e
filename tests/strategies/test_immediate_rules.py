"""Immediate: deploy, switch, no checks."""

from __future__ import annotations

from simulator.scenario import ImmediateConfig
from simulator.strategies import ImmediateStrategy
from tests.strategies.observe import World, first, kinds, with_window


def test_switches_without_looking_at_metrics() -> None:
    strategy, world = ImmediateStrategy(ImmediateConfig()), World()
    with_window(world, "v2", requests=1000, failed=900, p99=30.0)
    deploy = strategy.step(world.observe())
    world.apply(deploy)
    assert kinds(deploy) == ["ScaleTo", "WaitUntilReady"] and first(deploy, "ScaleTo").replicas == 6
    switch = strategy.step(world.observe())
    world.apply(switch)
    assert first(switch, "Decide").outcome == "promoted"
    assert world.weights == {"v2": 100.0} and world.desired == {"v1": 0, "v2": 6}
    assert world.metrics.asked == []
