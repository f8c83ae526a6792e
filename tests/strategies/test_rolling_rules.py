"""Rolling update: batches, surge, health checks, whole-rollout revert — without a simulation."""

from __future__ import annotations

from simulator.scenario import RollingConfig
from simulator.strategies import RollingStrategy
from tests.strategies.observe import World, first, kinds, with_window


def step(strategy: RollingStrategy, world: World, **apply) -> list:
    commands = strategy.step(world.observe())
    world.apply(commands, **apply)
    return commands


def run_to_end(strategy: RollingStrategy, world: World) -> list[list]:
    history = []
    for _ in range(50):
        history.append(step(strategy, world))
        if kinds(history[-1])[-1] == "Finish":
            return history
    raise AssertionError("did not finish")


def test_batches_surge_then_stop_old_replicas_and_promote() -> None:
    strategy, world = RollingStrategy(RollingConfig(batch_size=4, delay=30)), World()
    history = run_to_end(strategy, world)
    assert kinds(history[0])[0] == "RouteByReplicas"
    scales = [(c.version, c.replicas) for commands in history for c in commands if type(c).__name__ == "ScaleTo"]
    assert scales == [("v2", 4), ("v1", 2), ("v2", 6), ("v1", 0), ("v1", 0)]
    assert first(history[-1], "Decide").outcome == "promoted"
    assert world.desired == {"v1": 0, "v2": 6}


def test_unhealthy_batch_reverts_the_whole_rollout() -> None:
    strategy, world = RollingStrategy(RollingConfig(batch_size=2, delay=30)), World()
    step(strategy, world)  # batch 1 starts
    step(strategy, world)  # stable 6 -> 4, wait
    with_window(world, "v2", requests=1000, failed=80)  # 8 % > 5 %
    commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and "error rate 0.0800 > 0.05" in decide.reason
    assert kinds(commands) == ["ScaleTo", "Decide", "WaitUntilReady"] and first(commands, "ScaleTo").replicas == 6
    final = step(strategy, world)
    assert kinds(final) == ["SetWeights", "ScaleTo", "Finish"]
    assert world.weights == {"v1": 100.0} and world.desired == {"v1": 6, "v2": 0}


def test_slow_candidate_fails_the_response_time_check() -> None:
    strategy, world = RollingStrategy(RollingConfig(response_time_threshold=1.0)), World()
    step(strategy, world)
    step(strategy, world)
    with_window(world, "v2", p99=1.2)
    assert "latency p99 1.200s > 1s" in first(step(strategy, world), "Decide").reason


def test_a_crashed_candidate_replica_is_unhealthy() -> None:
    strategy, world = RollingStrategy(RollingConfig(batch_size=2)), World()
    step(strategy, world)
    step(strategy, world)
    world.ready["v2"] = 1
    assert "1/2 candidate replicas ready" in first(step(strategy, world), "Decide").reason


def test_relative_thresholds_apply_when_given() -> None:
    config = RollingConfig(rollback_thresholds={"latencyIncrease": 1.5})
    strategy, world = RollingStrategy(config), World()
    step(strategy, world)
    step(strategy, world)
    with_window(world, "v1", p99=0.1)
    with_window(world, "v2", p99=0.2)
    assert first(step(strategy, world), "Decide").outcome == "rolled_back"


def test_waits_for_data_after_a_batch() -> None:
    strategy, world = RollingStrategy(RollingConfig(recheck_interval=15, max_data_wait=60)), World()
    step(strategy, world)
    step(strategy, world)
    with_window(world, "v2", requests=0)
    waits = [kinds(step(strategy, world)) for _ in range(4)]
    assert waits == [["Note", "Wait"]] * 4
    assert "inconclusive after 60s (0 requests)" in first(step(strategy, world), "Decide").reason


def test_relative_thresholds_hold_on_the_last_batch_against_stable_before_it_stopped() -> None:
    """When too few stable replicas are left to have data, the stable's last window is the baseline.

    Mutant killed: skipping the relative rules whenever the stable window is short of requests (a 0.80 vs
    0.92 accuracy candidate was promoted when one batch replaced every replica).
    """
    config = RollingConfig(batch_size=6, rollback_thresholds={"accuracyDrop": 0.05})
    strategy, world = RollingStrategy(config), World()
    step(strategy, world)  # the one batch starts
    step(strategy, world)  # ready: remember v1's window, stop every v1 replica
    with_window(world, "v1", requests=0, failed=0, labelled=0, correct=0)
    with_window(world, "v2", labelled=1000, correct=800)
    decide = first(step(strategy, world), "Decide")
    assert decide.outcome == "rolled_back"
    assert "accuracy 0.8000 vs 0.9200" in decide.reason
    assert "v1's last window before its replicas stopped" in decide.reason


def test_an_inconclusive_relative_rule_waits_and_never_passes() -> None:
    config = RollingConfig(rollback_thresholds={"accuracyDrop": 0.05}, recheck_interval=15, max_data_wait=60)
    strategy, world = RollingStrategy(config), World()
    step(strategy, world)
    step(strategy, world)
    with_window(world, "v2", labelled=0, correct=0)  # the candidate's labels are late
    waits = [kinds(step(strategy, world)) for _ in range(4)]
    assert waits == [["Note", "Wait"]] * 4
    decide = first(step(strategy, world), "Decide")
    assert decide.outcome == "rolled_back" and "accuracy not evaluated" in decide.reason
