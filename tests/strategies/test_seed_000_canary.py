"""Seed 000's canary and seed 003's duration-held canary, without a simulation.

Seed 000: 5 % for 10 minutes, then 10/25/50/75/100 % every 5 minutes, absolute
limits (MaxErrorRate, MaxResponseTime) checked every 30 s. Seed 003: the canary
holds its top weight until ``rolloutDuration`` is over, then promotes.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.scenario import CanaryConfig, RollbackThresholds
from simulator.strategies import CanaryStrategy
from tests.strategies.observe import World, first, kinds, with_window
from tests.strategies.test_canary_rules import drive, in_step_checks, weights_set

ABSOLUTE = RollbackThresholds(max_error_rate=0.01, max_response_time=2.0)
SEED_000 = CanaryConfig(steps=[5, 10, 25, 50, 75, 100], initial_duration=600, monitoring_duration=300,
                        rollback_thresholds=ABSOLUTE)


def set_times(history: list[list]) -> list[float]:
    """Simulated seconds at which each weight was set (the world clock advances on waits only)."""
    times, now = [], 0.0
    for commands in history:
        for command in commands:
            if type(command).__name__ == "SetWeights":
                times.append(now)
            if type(command).__name__ == "Wait":
                now += command.seconds
    return times


def test_seed_000_schedule_holds_the_first_step_ten_minutes_then_five_each() -> None:
    history = drive(CanaryStrategy(SEED_000), World())
    assert weights_set(history)[:6] == [5, 10, 25, 50, 75, 100]
    times = set_times(history)[:6]
    assert [later - earlier for earlier, later in zip(times, times[1:], strict=False)] == [600, 300, 300, 300, 300]
    assert first(history[-1], "Decide").outcome == "promoted"
    # A check every 30 s (the last one at the step's end): 20 in the 10-minute first step, 10 in each after it.
    assert len([d for d in in_step_checks(history) if d["step"] == 1]) == 20
    assert len([d for d in in_step_checks(history) if d["step"] == 2]) == 10


def test_absolute_error_limit_aborts_inside_the_first_step_whatever_stable_does() -> None:
    world = World()
    strategy = CanaryStrategy(SEED_000)
    # Stable fails as often: a relative rule would pass, the absolute limit does not.
    with_window(world, "v1", requests=5000, failed=100)
    with_window(world, "v2", requests=5000, failed=100)
    history = drive(strategy, world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "rolled_back"
    assert "error rate 0.0200 > 0.01 (absolute)" in decide.reason
    assert "30s into the step" in decide.reason and world.weights == {"v1": 100.0}


def test_absolute_response_time_limit_checks_the_mean_inside_the_step() -> None:
    world = World()
    with_window(world, "v2", mean=2.5, p99=3.0)
    history = drive(CanaryStrategy(SEED_000), world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "rolled_back" and "mean latency 2500.0ms > 2000.0ms (absolute)" in decide.reason


def test_absolute_limits_pass_a_healthy_candidate_at_every_check() -> None:
    history = drive(CanaryStrategy(SEED_000), World())
    assert all(d["verdict"] == "pass" for d in in_step_checks(history))
    rules = {rule["rule"] for d in in_step_checks(history) for rule in d["rules"]}
    assert rules == {"maxErrorRate", "maxResponseTime"}


def test_a_thin_window_leaves_the_absolute_error_rule_inconclusive_not_failed() -> None:
    # 2 errors in 150 requests breach 1 % by chance; 3 / 0.01 = 300 requests are needed before the rule counts.
    world = World()
    with_window(world, "v2", requests=150, failed=2)
    strategy = CanaryStrategy(SEED_000)
    for _ in range(4):
        world.apply(strategy.step(world.observe()))
    notes = [c for c in strategy.step(world.observe()) if type(c).__name__ == "Note"]
    assert notes[0].data["verdict"] == "inconclusive"


def test_rollout_duration_holds_the_top_weight_then_promotes() -> None:
    # Seed 003: start at 5 %, go up to the maximum canary traffic, hold there until the duration is over.
    config = CanaryConfig(steps=[5, 10, 25, 50], monitoring_duration=600, rollout_duration=7200)
    world = World()
    history = drive(CanaryStrategy(config), world, limit=1000)
    assert weights_set(history) == [5, 10, 25, 50, 100]  # the last one is the promotion
    decide = first(history[-1], "Decide")
    assert decide.outcome == "promoted" and "rolloutDuration 7200s over (7200s since the first step)" in decide.reason
    assert world.weights == {"v2": 100.0} and world.desired["v1"] == 0
    step_ends = [c for commands in history for c in commands
                 if type(c).__name__ == "Note" and not c.data.get("in_step")]
    assert len(step_ends) == 12  # one check every 10 minutes for 2 hours: 3 climbing, 9 holding 50 %


def test_rollout_duration_promotes_early_steps_when_it_is_short() -> None:
    config = CanaryConfig(initial_percentage=10, increment_step=15, monitoring_duration=300, rollout_duration=600)
    history = drive(CanaryStrategy(config), World())
    assert weights_set(history)[:2] == [10, 25] and first(history[-1], "Decide").outcome == "promoted"


def test_rollout_duration_does_not_promote_a_failing_canary() -> None:
    config = CanaryConfig(steps=[5, 10, 25, 50], monitoring_duration=600, rollout_duration=1200,
                          rollback_thresholds=RollbackThresholds(latency_increase=1.5))
    world = World()
    strategy = CanaryStrategy(config)
    for _ in range(40):
        commands = strategy.step(world.observe())
        world.apply(commands)
        if world.now >= 1000:
            break
    with_window(world, "v2", p99=0.5)
    history = drive(strategy, world)
    assert first(history[-1], "Decide").outcome == "rolled_back"


def test_steps_below_100_need_a_rollout_duration() -> None:
    with pytest.raises(ValidationError, match="expected the last step to be 100, or a rolloutDuration"):
        CanaryConfig(steps=[5, 10, 25, 50])


def test_initial_duration_defaults_to_monitoring_duration() -> None:
    config = CanaryConfig(steps=[10, 100], monitoring_duration=300)
    assert config.step_duration(0) == config.step_duration(1) == 300
    assert kinds(CanaryStrategy(config).step(World().observe()))[-1] == "WaitUntilReady"
