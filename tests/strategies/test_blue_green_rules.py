"""Blue-green: deploy, baseline, smoke test, switch, watch, keep blue, retire — without a simulation."""

from __future__ import annotations

from simulator.observations import SmokeTestResult
from simulator.scenario import BlueGreenConfig
from simulator.strategies import BlueGreenStrategy
from tests.strategies.observe import World, first, kinds, with_window

CONFIG = BlueGreenConfig(smoke_test_samples=200, monitoring_duration=600, keep_blue_duration=900)


def smoke(failed: int = 0, p99: float = 0.1, correct: int = 184) -> SmokeTestResult:
    return SmokeTestResult(version="v2", samples=200, failed=failed, labelled=200 - failed, correct=correct,
                           latency_mean=0.05, latency_p99=p99)


def step(strategy: BlueGreenStrategy, world: World) -> list:
    commands = strategy.step(world.observe())
    world.apply(commands)
    return commands


def test_happy_path_in_order() -> None:
    strategy, world = BlueGreenStrategy(CONFIG), World()
    deploy = step(strategy, world)
    assert kinds(deploy) == ["ScaleTo", "WaitUntilReady"] and first(deploy, "ScaleTo").replicas == 6
    test = step(strategy, world)
    assert kinds(test) == ["RunSmokeTest"] and test[0].samples == 200
    world.smoke = smoke()
    switch = step(strategy, world)
    assert kinds(switch) == ["Note", "SetWeights", "Wait"]
    assert first(switch, "SetWeights").weights["v2"] == 100 and first(switch, "Wait").seconds == 30
    in_watch = [step(strategy, world) for _ in range(19)]  # a check every 30 s of the 600 s watch
    assert all(kinds(commands) == ["Note", "Wait"] for commands in in_watch)
    assert all(first(commands, "Note").data["in_step"] for commands in in_watch)
    watched = step(strategy, world)
    assert kinds(watched) == ["Note", "Decide", "Wait"]
    assert first(watched, "Decide").outcome == "promoted" and first(watched, "Wait").seconds == 900
    retire = step(strategy, world)
    assert kinds(retire) == ["ScaleTo", "Finish"] and first(retire, "ScaleTo").version == "v1"
    assert world.desired == {"v1": 0, "v2": 6}


def test_failed_smoke_test_never_sends_users_to_green() -> None:
    strategy, world = BlueGreenStrategy(CONFIG), World()
    step(strategy, world)
    step(strategy, world)
    world.smoke = smoke(failed=10)  # 5 % errors vs blue's 0.1 %
    commands = step(strategy, world)
    assert "SetWeights" not in kinds(commands)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and decide.reason.startswith("smoke test failed: error rate")
    assert world.weights == {"v1": 100.0} and world.desired["v2"] == 0


def test_green_is_judged_against_blue_before_the_switch() -> None:
    strategy, world = BlueGreenStrategy(CONFIG), World()
    with_window(world, "v1", p99=0.1)
    step(strategy, world)
    step(strategy, world)
    world.smoke = smoke()
    step(strategy, world)  # switch: blue's window is the baseline now
    with_window(world, "v1", requests=0)  # blue serves nothing after the switch
    with_window(world, "v2", p99=0.2)
    commands: list = []
    while "Decide" not in kinds(commands):  # checked every 30 s on errors; latency over the whole watch
        commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and world.now == 600.0
    assert "post-switch validation failed: latency p99" in decide.reason
    assert first(commands, "SetWeights").weights == {"v1": 100.0, "v2": 0.0}
    assert world.desired["v2"] == 0


def test_waits_for_a_baseline_before_testing() -> None:
    strategy, world = BlueGreenStrategy(CONFIG), World()
    with_window(world, "v1", requests=0)
    step(strategy, world)
    commands = step(strategy, world)
    assert kinds(commands) == ["Note", "Wait"] and "baseline" in commands[0].detail


def test_no_smoke_test_when_samples_is_zero() -> None:
    strategy, world = BlueGreenStrategy(BlueGreenConfig(smoke_test_samples=0)), World()
    step(strategy, world)
    assert kinds(step(strategy, world)) == ["SetWeights", "Wait"]


def switched(config: BlueGreenConfig) -> tuple[BlueGreenStrategy, World]:
    strategy, world = BlueGreenStrategy(config), World()
    step(strategy, world)
    step(strategy, world)
    world.smoke = smoke()
    step(strategy, world)
    return strategy, world


def test_a_fault_nine_minutes_into_a_ten_minute_watch_switches_back() -> None:
    """The watch checks its last minute every 30 s, so a late fault is not diluted by nine healthy minutes.

    Mutant killed: one check of the whole watch at its end (5 % errors for 1 of 10 minutes is 0.5 %, below
    the 1 point limit: promoted).
    """
    strategy, world = switched(BlueGreenConfig(smoke_test_samples=200, monitoring_duration=600))
    while world.now < 540:  # nine healthy minutes
        assert "Decide" not in kinds(step(strategy, world))
    with_window(world, "v2", requests=1000, failed=26)  # the fault starts: the last 60 s hold 2.6 % errors
    commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and world.now == 540.0  # the first check that sees it
    assert first(commands, "SetWeights").weights == {"v1": 100.0, "v2": 0.0}


def test_an_accuracy_regression_whose_labels_are_late_is_never_promoted() -> None:
    """Green's labels have not arrived by the end of the watch: inconclusive, wait, then switch back.

    Mutant killed: 'accuracy not evaluated' counted as a pass (green promoted at the end of the watch).
    """
    strategy, world = switched(BlueGreenConfig(smoke_test_samples=200, monitoring_duration=600))
    with_window(world, "v2", labelled=0, correct=0)
    commands: list = []
    while "Decide" not in kinds(commands):
        commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and "post-switch validation inconclusive after 600s" in decide.reason
    assert "accuracy not evaluated" in decide.reason


def test_an_inconclusive_smoke_test_waits_for_blue_labels_then_passes() -> None:
    strategy, world = BlueGreenStrategy(CONFIG), World()
    step(strategy, world)
    step(strategy, world)
    world.smoke = smoke()
    with_window(world, "v1", labelled=0, correct=0)  # blue's labels are late
    waiting = step(strategy, world)
    assert kinds(waiting) == ["Note", "Wait"] and "smoke test: accuracy not evaluated" in waiting[0].detail
    world.smoke = None  # the next observation carries no new smoke test; the first result is kept
    with_window(world, "v1")
    assert kinds(step(strategy, world)) == ["Note", "SetWeights", "Wait"]


def test_the_smoke_test_uses_the_configured_latency_statistic() -> None:
    """Mutant killed: the smoke test forcing p99 (the p50 regression below was let through)."""
    strategy, world = BlueGreenStrategy(BlueGreenConfig(smoke_test_samples=200, latency_metric="p50")), World()
    step(strategy, world)
    step(strategy, world)
    world.smoke = SmokeTestResult(version="v2", samples=200, failed=0, labelled=200, correct=184,
                                  latency_mean=0.05, latency_p99=0.1, latency_p50=0.2)
    decide = first(step(strategy, world), "Decide")
    assert decide.outcome == "rolled_back" and "latency p50" in decide.reason
