"""Canary: the seed guide's loop, replica scaling, and every rollback rule, without a simulation."""

from __future__ import annotations

import math

import pytest

from simulator.scenario import CanaryConfig
from simulator.strategies import CanaryStrategy
from tests.strategies.observe import World, first, kinds, with_window


def drive(strategy: CanaryStrategy, world: World, limit: int = 100) -> list[list]:
    """Step the strategy until it finishes; return every command list."""
    history = []
    for _ in range(limit):
        commands = strategy.step(world.observe())
        world.apply(commands)
        history.append(commands)
        if kinds(commands)[-1] == "Finish":
            return history
    raise AssertionError("strategy did not finish")


def weights_set(history) -> list[float]:
    return [c.weights["v2"] for commands in history for c in commands if type(c).__name__ == "SetWeights"]


def checks(history) -> list[str]:
    return [c.detail for commands in history for c in commands if type(c).__name__ == "Note"]


def test_seed_guide_loop_checks_before_each_increase_and_promotes_at_100() -> None:
    config = CanaryConfig(initial_percentage=10, increment_step=15, monitoring_duration=300)
    history = drive(CanaryStrategy(config), world := World())
    assert weights_set(history) == [10, 25, 40, 55, 70, 85, 100]
    assert len(checks(history)) == 6  # no check at 100 %
    decide = first(history[-1], "Decide")
    assert decide.outcome == "promoted"
    assert world.weights == {"v2": 100.0} and world.desired["v1"] == 0


def test_explicit_steps_are_all_checked_including_100() -> None:
    config = CanaryConfig(steps=[10, 25, 50, 75, 100], monitoring_duration=300)
    history = drive(CanaryStrategy(config), World())
    assert weights_set(history)[:5] == [10, 25, 50, 75, 100]
    assert len(checks(history)) == 5


def test_replicas_follow_the_weight_and_are_ready_before_the_weight_is_set() -> None:
    config = CanaryConfig(initial_percentage=10, increment_step=30)
    strategy, world = CanaryStrategy(config), World()
    scaled = []
    for _ in range(30):
        commands = strategy.step(world.observe())
        names = kinds(commands)
        if "ScaleTo" in names and "SetWeights" not in names:
            assert names[-1] == "WaitUntilReady"
        for command in commands:
            if type(command).__name__ == "SetWeights" and command.weights.get("v2", 0) < 100:
                assert world.ready["v2"] >= math.ceil(command.weights["v2"] / 100 * 6)
            if type(command).__name__ == "ScaleTo" and command.version == "v2":
                scaled.append(command.replicas)
        world.apply(commands)
        if names[-1] == "Finish":
            break
    assert scaled == [1, 3, 5, 6]  # ceil(10 %, 40 %, 70 %, 100 % of 6)


def test_latency_regression_rolls_back_to_zero() -> None:
    world = World()
    with_window(world, "v2", p99=0.2)
    with_window(world, "v1", p99=0.1)
    history = drive(CanaryStrategy(CanaryConfig()), world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "rolled_back"
    assert "latency p99" in decide.reason and "x2.00 > 1.5" in decide.reason
    assert world.weights == {"v1": 100.0} and world.desired["v2"] == 0
    assert weights_set(history) == [10, 0]


@pytest.mark.parametrize(("candidate_failed", "outcome"), [(54, "promoted"), (56, "rolled_back")])
def test_error_rate_increase_is_absolute_against_stable(candidate_failed: int, outcome: str) -> None:
    world = World()
    with_window(world, "v1", requests=1000, failed=5)  # 0.5 %
    with_window(world, "v2", requests=1000, failed=candidate_failed)  # +4.9 or +5.1 points
    config = CanaryConfig(rollback_thresholds={"errorRateIncrease": 0.05})
    assert first(drive(CanaryStrategy(config), world)[-1], "Decide").outcome == outcome


def test_a_fault_that_hits_both_versions_is_not_blamed_on_the_candidate() -> None:
    world = World()
    with_window(world, "v1", requests=1000, failed=300, p99=0.5)
    with_window(world, "v2", requests=1000, failed=305, p99=0.52)
    assert first(drive(CanaryStrategy(CanaryConfig()), world)[-1], "Decide").outcome == "promoted"


@pytest.mark.parametrize(("candidate_correct", "outcome"), [(856, "promoted"), (850, "rolled_back")])
def test_accuracy_drop_is_relative(candidate_correct: int, outcome: str) -> None:
    world = World()
    with_window(world, "v1", labelled=1000, correct=900)
    with_window(world, "v2", labelled=1000, correct=candidate_correct)  # 4.9 % or 5.6 % relative drop
    assert first(drive(CanaryStrategy(CanaryConfig()), world)[-1], "Decide").outcome == outcome


def test_accuracy_with_too_few_labels_is_not_evaluated() -> None:
    world = World()
    with_window(world, "v2", labelled=50, correct=10)
    history = drive(CanaryStrategy(CanaryConfig(minimum_labels=100)), world)
    assert first(history[-1], "Decide").outcome == "promoted"
    assert "accuracy not evaluated" in checks(history)[0]


def test_no_data_waits_then_rolls_back_after_max_data_wait() -> None:
    world = World()
    with_window(world, "v2", requests=10)
    strategy = CanaryStrategy(CanaryConfig(monitoring_duration=300, recheck_interval=30))
    history = drive(strategy, world)
    waits = [c.seconds for commands in history for c in commands if type(c).__name__ == "Wait"]
    assert waits == [300] + [30] * 10
    decide = first(history[-1], "Decide")
    assert decide.outcome == "rolled_back" and "no metrics for 300s" in decide.reason


def test_stale_metrics_count_as_no_data() -> None:
    world = World()
    with_window(world, "v2", staleness=31.0)  # more than two 15 s scrapes old
    commands = []
    strategy = CanaryStrategy(CanaryConfig(max_data_wait=60))
    for _ in range(3):
        commands = strategy.step(world.observe())
        world.apply(commands)
    assert kinds(commands) == ["Note", "Wait"] and "newest scrape 31s old" in commands[0].detail


def test_replicas_not_ready_in_time_roll_back() -> None:
    world = World()
    strategy = CanaryStrategy(CanaryConfig(ready_timeout=120))
    commands = strategy.step(world.observe())
    world.apply(commands, replicas_become_ready=False)
    assert first(commands, "WaitUntilReady").timeout == 120
    commands = strategy.step(world.observe())
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and "not ready within 120s" in decide.reason
