"""Seed guide 002's strategy selection by criticality, and its rolling update's pause, without a simulation."""

from __future__ import annotations

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import RollingConfig, parse_scenario
from simulator.scenario.written_dump import written_dump
from simulator.strategies import RollingStrategy
from simulator.strategies.watch import PAUSE_SECONDS
from tests.strategies.observe import World, kinds, with_window
from tests.strategies.test_rolling_rules import step

WORLD = {
    "name": "selection", "traffic": {"rate": "10/s"}, "service": {"replicas": 2},
    "versions": {"v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}},
                 "v2": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}}},
    "stable": "v1", "candidate": "v2",
}


@pytest.mark.parametrize(("criticality", "kind"), [
    ("high", "canary"), ("medium", "ab_test"), ("low", "rolling"), ("validation", "shadow"), ("High", "canary"),
])
def test_criticality_picks_the_seed_guides_default_strategy(criticality: str, kind: str) -> None:
    scenario = parse_scenario({**WORLD, "strategies": {"model": {"criticality": criticality}}})
    assert scenario.strategies["model"].kind == kind


def test_criticality_keeps_the_other_keys_and_round_trips() -> None:
    scenario = parse_scenario({**WORLD, "strategies": {"fraud": {"criticality": "high", "monitoringDuration": "10m"}}})
    assert scenario.strategies["fraud"].monitoring_duration == 600
    assert parse_scenario(written_dump(scenario)) == scenario


@pytest.mark.parametrize(("config", "message"), [
    ({"criticality": "critical"}, "unknown criticality 'critical'; expected one of: high, medium, low, validation"),
    ({"criticality": "hihg"}, "did you mean 'high'?"),
    ({"criticality": "high", "strategy": "Rolling"}, "no effect when strategy is set"),
])
def test_a_bad_criticality_is_named_with_its_key_path(config: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match="strategies.x.criticality") as raised:
        parse_scenario({**WORLD, "strategies": {"x": config}})
    assert message in str(raised.value)


def test_pause_reverts_only_the_failed_batch_and_holds_the_earlier_ones() -> None:
    strategy, world = RollingStrategy(RollingConfig(batch_size=2, delay=30, on_failure="pause")), World()
    step(strategy, world)  # batch 1 starts
    step(strategy, world)  # stable 6 -> 4
    step(strategy, world)  # batch 1 healthy: batch 2 starts
    step(strategy, world)  # stable 4 -> 2
    with_window(world, "v2", requests=1000, failed=80)  # batch 2 fails: 8 % > 5 %
    commands = step(strategy, world, replicas_become_ready=False)
    assert kinds(commands) == ["Note", "ScaleTo", "WaitUntilReady"] and "Decide" not in kinds(commands)
    assert "paused with 2/6 replicas on v2" in commands[0].detail and "error rate 0.0800 > 0.05" in commands[0].detail
    assert world.desired == {"v1": 4, "v2": 4}  # the failed batch's stable replicas come back first
    world.ready["v1"] = 4
    held = step(strategy, world)
    assert kinds(held) == ["ScaleTo", "Wait"] and held[-1].seconds == PAUSE_SECONDS
    assert world.desired == {"v1": 4, "v2": 2} and strategy.state.value == "paused"


def test_rollback_stays_the_default() -> None:
    assert RollingConfig().on_failure == "rollback"
