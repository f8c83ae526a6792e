"""Seed 000's health check after promotion, with automatic rollback, without a simulation."""

from __future__ import annotations

from simulator.scenario import CanaryConfig, ImmediateConfig, RollbackThresholds
from simulator.scenario.post_promotion_config import PostPromotionWatch
from simulator.strategies import CanaryStrategy, ImmediateStrategy, WatchAfterPromotion, make_strategy
from tests.strategies.observe import World, first, kinds, with_window

SEED_000 = PostPromotionWatch()  # every 5 minutes for an hour: error rate 5 %, response time 5 s


def promoted_immediately(config: PostPromotionWatch = SEED_000) -> tuple[WatchAfterPromotion, World]:
    """An immediate rollout wrapped in the watch, stepped until the watch has started."""
    strategy, world = WatchAfterPromotion(ImmediateStrategy(ImmediateConfig()), config), World()
    world.apply(strategy.step(world.observe()))
    switch = strategy.step(world.observe())
    world.apply(switch)
    assert kinds(switch) == ["SetWeights", "ScaleTo", "Decide", "Note", "Wait"], kinds(switch)
    assert first(switch, "Decide").outcome == "promoted" and first(switch, "Wait").seconds == 300
    return strategy, world


def test_seed_000_defaults() -> None:
    assert (SEED_000.interval, SEED_000.max_error_rate, SEED_000.max_response_time, SEED_000.rollback) == \
        (300.0, 0.05, 5.0, True)


def test_a_healthy_promoted_version_is_checked_every_interval_until_the_watch_ends() -> None:
    strategy, world = promoted_immediately()
    history = []
    while True:
        commands = strategy.step(world.observe())
        world.apply(commands)
        history.append(commands)
        if kinds(commands)[-1] == "Finish":
            break
    assert len(history) == 12 and world.now == 3600  # twelve checks, 5 minutes apart, for an hour
    assert all(first(commands, "Note").data["verdict"] == "pass" for commands in history)
    assert "12 checks, 0 failed" in history[-1][-2].detail
    assert world.weights == {"v2": 100.0} and world.desired["v1"] == 0


def test_a_failed_check_brings_the_previous_version_back_and_rolls_back() -> None:
    strategy, world = promoted_immediately()
    world.apply(strategy.step(world.observe()))  # a first, healthy check
    with_window(world, "v2", requests=30000, failed=2400)  # 8 % of requests fail
    commands = strategy.step(world.observe())
    world.apply(commands, replicas_become_ready=False)
    assert kinds(commands) == ["Note", "ScaleTo", "Decide", "WaitUntilReady"]
    assert first(commands, "ScaleTo").version == "v1" and first(commands, "ScaleTo").replicas == 6
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and decide.after_promotion
    assert "health check 600s after promotion failed: error rate 0.0800 > 0.05" in decide.reason
    assert world.weights == {"v2": 100.0}  # traffic stays until the previous version is ready
    world.ready["v1"] = 6
    restore = strategy.step(world.observe())
    world.apply(restore)
    assert kinds(restore) == ["SetWeights", "ScaleTo", "Finish"]
    assert world.weights == {"v1": 100.0} and world.desired["v2"] == 0


def test_the_promoted_version_keeps_the_traffic_when_the_previous_one_does_not_start() -> None:
    strategy, world = promoted_immediately()
    with_window(world, "v2", mean=6.0)
    world.apply(strategy.step(world.observe()), replicas_become_ready=False)
    restore = strategy.step(world.observe())
    world.apply(restore)
    assert kinds(restore) == ["Note", "ScaleTo", "Finish"] and "rollback after promotion failed" in restore[0].detail
    assert world.weights == {"v2": 100.0} and world.desired["v1"] == 0


def test_without_automatic_rollback_a_failed_check_is_only_logged() -> None:
    strategy, world = promoted_immediately(PostPromotionWatch(rollback=False, duration=900))
    with_window(world, "v2", requests=30000, failed=2400)
    history = []
    while not history or kinds(history[-1])[-1] != "Finish":
        history.append(strategy.step(world.observe()))
        world.apply(history[-1])
    assert not any(kinds(commands).count("Decide") for commands in history)
    assert "3 checks, 3 failed (rollback: false)" in history[-1][-2].detail


def test_too_few_requests_leave_a_check_inconclusive_not_failed() -> None:
    strategy, world = promoted_immediately()
    with_window(world, "v2", requests=20, failed=10)
    commands = strategy.step(world.observe())
    assert kinds(commands) == ["Note", "Wait"] and commands[0].data["verdict"] == "inconclusive"


def test_a_rolled_back_rollout_is_not_watched() -> None:
    config = CanaryConfig(steps=[10, 100], rollback_thresholds=RollbackThresholds(max_error_rate=0.01))
    strategy, world = WatchAfterPromotion(CanaryStrategy(config), SEED_000), World()
    with_window(world, "v2", requests=5000, failed=500)
    for _ in range(10):
        commands = strategy.step(world.observe())
        world.apply(commands)
        if kinds(commands)[-1] == "Finish":
            break
    assert first(commands, "Decide").outcome == "rolled_back" and not first(commands, "Decide").after_promotion


def test_make_strategy_wraps_only_when_asked() -> None:
    assert isinstance(make_strategy(ImmediateConfig(post_promotion={})), WatchAfterPromotion)
    assert isinstance(make_strategy(ImmediateConfig()), ImmediateStrategy)
