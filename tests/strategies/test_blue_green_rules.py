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
    assert first(switch, "SetWeights").weights["v2"] == 100 and first(switch, "Wait").seconds == 600
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
    commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and "post-switch validation failed: latency p99" in decide.reason
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
