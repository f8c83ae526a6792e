"""Blue-green with seed 003's validator and gradual shift (10/25/50/75/100, 30 s each) — without a simulation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.observations import SmokeTestResult
from simulator.scenario import BlueGreenConfig
from simulator.strategies import BlueGreenStrategy
from tests.strategies.observe import World, first, kinds, with_window

SEED_003_LIMITS = {"errorRateIncrease": 0.01, "latencyIncrease": 1.5, "maxErrorRate": 0.05, "maxResponseTime": "5s"}
SEED_003 = {"smokeTestSamples": 0, "monitoringDuration": 600, "keepBlueDuration": 900,
            "shiftSteps": [10, 25, 50, 75, 100], "shiftInterval": "30s", "rollbackThresholds": SEED_003_LIMITS}
VALIDATION = {"responseTests": 20, "minPassRate": 0.8, "maxAverageResponseTime": "3s", "minCompatibility": 0.95}


def config(**overrides) -> BlueGreenConfig:
    return BlueGreenConfig.model_validate({**SEED_003, **overrides})


def step(strategy: BlueGreenStrategy, world: World) -> list:
    commands = strategy.step(world.observe())
    world.apply(commands)
    return commands


def started(settings: BlueGreenConfig) -> tuple[BlueGreenStrategy, World, list]:
    """Green deployed; returns the commands of the step after it (the first shift step, or the tests)."""
    strategy, world = BlueGreenStrategy(settings), World()
    step(strategy, world)
    return strategy, world, step(strategy, world)


def response_tests(*, correct: int = 19, failed: int = 0, mean: float | None = 0.05,
                 compatibility: float | None = 1.0) -> SmokeTestResult:
    return SmokeTestResult(version="v2", samples=20, failed=failed, labelled=20 - failed, correct=correct,
                           latency_mean=mean, latency_p99=mean, compatibility=compatibility)


def test_the_shift_walks_the_steps_in_order_holding_each_30_seconds_then_watches() -> None:
    strategy, world, first_step = started(config())
    shifts = [first_step]
    while world.weights.get("v2", 0) < 100:
        shifts.append(step(strategy, world))
    assert [first(commands, "SetWeights").weights for commands in shifts] == [
        {"v2": weight, "v1": 100.0 - weight} for weight in (10, 25, 50, 75, 100)]
    assert [first(commands, "Wait").seconds for commands in shifts] == [30.0] * 5
    assert all(kinds(commands)[:1] == ["Note"] and "passed after 30s" in commands[0].detail for commands in shifts[1:])
    assert world.now == 5 * 30  # 100 % set at 120 s and held 30 s
    to_watch = step(strategy, world)  # the step at 100 % is checked too, then the watch begins
    assert kinds(to_watch) == ["Note", "Wait"] and to_watch[0].data["step"] == 5 and to_watch[0].data["weight"] == 100
    commands: list = []
    while "Decide" not in kinds(commands):
        commands = step(strategy, world)
    assert first(commands, "Decide").outcome == "promoted" and world.now == 150 + 600 + 900  # watch, keep blue


def test_blue_is_frozen_as_the_baseline_just_before_the_step_to_100_percent() -> None:
    """Mutants killed: the step at 100 % judged against blue's concurrent window (blue serves nothing: never
    passes); blue frozen before the first step (its p99 then was half of green's: rolled back after the watch).
    """
    strategy, world, _ = started(config())
    while world.weights.get("v2", 0) < 75:
        step(strategy, world)
    with_window(world, "v1", p99=0.2)  # blue's latency as it is just before the last shift
    with_window(world, "v2", p99=0.25)
    world.metrics.asked.clear()
    step(strategy, world)
    assert world.weights == {"v2": 100.0} and ("v1", 600) in world.metrics.asked  # the monitoringDuration window
    with_window(world, "v1", requests=0, failed=0)  # blue serves nothing now
    commands = step(strategy, world)
    assert kinds(commands) == ["Note", "Wait"] and commands[0].data["verdict"] == "pass"
    assert "against v1's last window before the change" in commands[0].detail
    while "Decide" not in kinds(commands):
        commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "promoted" and "latency p99 250.0ms vs 200.0ms" in decide.reason


@pytest.mark.parametrize(("figures", "failed_rule"), [
    ({"v2": {"failed": 400}}, "error rate 0.0800 vs 0.0010 (+0.0790 > 0.01)"),  # 8 % vs 0.1 %
    ({"v1": {"requests": 20000, "failed": 1200}, "v2": {"requests": 20000, "failed": 1200}},
     "error rate 0.0600 > 0.05 (absolute)"),  # 6 % on both: only the absolute limit fails
    ({"v1": {"mean": 4.5}, "v2": {"mean": 6.0}}, "mean latency 6000.0ms > 5000.0ms (absolute)"),  # x1.33 only
], ids=["relative-errors", "absolute-errors", "absolute-latency"])
def test_a_failing_step_moves_all_traffic_back_to_blue_and_removes_green(figures: dict, failed_rule: str) -> None:
    strategy, world, _ = started(config())
    step(strategy, world)  # step 1 passed: 25 %
    assert world.weights == {"v2": 25.0, "v1": 75.0}
    for version, values in figures.items():
        with_window(world, version, **values)
    commands = step(strategy, world)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and decide.reason.startswith("shift step 2/5 (25% to green) failed")
    assert first(commands, "SetWeights").weights == {"v1": 100.0, "v2": 0.0}
    assert world.weights == {"v1": 100.0} and world.desired["v2"] == 0 and kinds(commands)[-1] == "Finish"
    assert decide.reason.startswith(f"shift step 2/5 (25% to green) failed after 30s: {failed_rule}")


def test_an_inconclusive_step_looks_again_over_a_growing_window_then_rolls_back() -> None:
    strategy, world, _ = started(config(maxDataWait="90s"))
    with_window(world, "v2", requests=100, failed=0)  # 100 requests: too few for a +1 point rule
    looks = [step(strategy, world) for _ in range(4)]
    assert [kinds(commands) for commands in looks[:3]] == [["Note", "Wait"]] * 3
    assert all(first(commands, "Wait").seconds == 30 for commands in looks[:3])
    assert all("inconclusive, waiting for data" in commands[0].detail for commands in looks[:3])
    assert [duration for version, duration in world.metrics.asked if version == "v2"] == [30, 60, 90, 120]
    decide = first(looks[3], "Decide")
    assert decide.outcome == "rolled_back" and world.now == 120
    assert decide.reason.startswith("shift step 1/5 (10% to green) inconclusive after 90s")
    assert "100 requests" in decide.reason and world.weights == {"v1": 100.0}


def test_an_inconclusive_step_with_on_inconclusive_promote_moves_on_to_the_next_step() -> None:
    strategy, world, _ = started(config(maxDataWait="60s", onInconclusive="promote"))
    with_window(world, "v2", requests=100, failed=0)
    looks = [step(strategy, world) for _ in range(3)]
    assert "SetWeights" not in kinds(looks[0]) + kinds(looks[1])
    assert first(looks[2], "SetWeights").weights == {"v2": 25.0, "v1": 75.0}
    assert world.now == 90 + 30  # moved on at 90 s (60 s inconclusive), the next step held 30 s
    assert "proceeding as onInconclusive: promote" in looks[2][0].detail


def test_an_inconclusive_step_with_on_inconclusive_rollback_moves_traffic_back_at_once() -> None:
    strategy, world, _ = started(config(onInconclusive="rollback"))
    with_window(world, "v2", requests=100, failed=0)
    commands = step(strategy, world)
    assert first(commands, "Decide").outcome == "rolled_back" and world.now == 30
    assert first(commands, "SetWeights").weights == {"v1": 100.0, "v2": 0.0}


def validated(result: SmokeTestResult, **overrides) -> tuple[World, list]:
    strategy, world, tests = started(config(validation=VALIDATION, **overrides))
    assert kinds(tests) == ["RunSmokeTest"] and tests[0].samples == 20
    world.smoke = result
    return world, step(strategy, world)


@pytest.mark.parametrize(("result", "named"), [
    (response_tests(correct=14), "response tests 14/20 passed (70.0% < 80%)"),
    (response_tests(failed=6, correct=14), "response tests 14/20 passed (70.0% < 80%)"),  # failures count against
    (response_tests(mean=3.5), "average response time 3500ms > 3000ms"),
    (response_tests(mean=None, failed=20, correct=0), "average response time: no test answered"),
    (response_tests(compatibility=0.9), "compatibility 90.0% < 95%"),
    (response_tests(compatibility=None), "compatibility not measured"),
], ids=["pass-rate", "failed-requests", "average-response-time", "none-answered", "compatibility",
        "compatibility-unknown"])
def test_a_failed_validation_removes_green_before_any_user_traffic(result: SmokeTestResult, named: str) -> None:
    world, commands = validated(result)
    decide = first(commands, "Decide")
    assert decide.outcome == "rolled_back" and decide.reason.startswith("pre-switch validation failed: ")
    assert named in decide.reason
    assert "SetWeights" not in kinds(commands) and world.weights == {"v1": 100.0} and world.desired["v2"] == 0


def test_a_failed_validation_names_every_failed_check_and_only_those() -> None:
    world, commands = validated(response_tests(correct=10, mean=4.0, compatibility=0.5))
    reason = first(commands, "Decide").reason
    assert reason == ("pre-switch validation failed: response tests 10/20 passed (50.0% < 80%); "
                      "average response time 4000ms > 3000ms; compatibility 50.0% < 95%")
    assert [rule["passed"] for rule in commands[0].data["rules"]] == [True, False, False, False]


def test_a_passed_validation_starts_the_shift_and_warns_above_2_seconds() -> None:
    world, commands = validated(response_tests(correct=16, mean=2.5, compatibility=0.95))
    assert kinds(commands) == ["Note", "SetWeights", "Wait"]
    assert first(commands, "SetWeights").weights == {"v2": 10.0, "v1": 90.0}
    assert "pre-switch validation passed" in commands[0].detail
    assert commands[0].data["warnings"] == ["average response time 2500ms above 2000ms"]


def test_validation_follows_the_smoke_test_and_precedes_the_atomic_switch() -> None:
    strategy, world, smoke = started(BlueGreenConfig.model_validate({"smokeTestSamples": 200,
                                                                     "validation": VALIDATION}))
    assert kinds(smoke) == ["RunSmokeTest"] and smoke[0].samples == 200
    world.smoke = SmokeTestResult(version="v2", samples=200, failed=0, labelled=200, correct=184,
                                  latency_mean=0.05, latency_p99=0.1)
    tests = step(strategy, world)
    assert kinds(tests) == ["Note", "RunSmokeTest"] and tests[-1].samples == 20
    world.smoke = response_tests()
    switch = step(strategy, world)
    assert kinds(switch) == ["Note", "SetWeights", "Wait"] and first(switch, "SetWeights").weights["v2"] == 100


def test_defaults_keep_seed_002s_one_atomic_switch() -> None:
    defaults = BlueGreenConfig()
    assert defaults.shift_steps is None and defaults.validation is None and defaults.shift_interval is None
    assert BlueGreenConfig(shift_steps=[50, 100]).shift_step_seconds == 30  # seed 003's wait between shifts
    with pytest.raises(ValidationError, match="shiftInterval has no effect with one atomic switch"):
        BlueGreenConfig(shift_interval=60)
    strategy, world, switch = started(BlueGreenConfig(smoke_test_samples=0))
    assert kinds(switch) == ["SetWeights", "Wait"] and first(switch, "SetWeights").weights == {"v2": 100.0, "v1": 0.0}
    assert first(switch, "Wait").seconds == 30  # the watch's first look, not a shift step


def test_seed_003s_keys_load_with_its_defaults() -> None:
    loaded = BlueGreenConfig.model_validate({"shiftSteps": [10, 25, 50, 75, 100], "validation": {}})
    assert loaded.validation is not None and loaded.validation.response_tests == 20
    assert (loaded.validation.min_pass_rate, loaded.validation.max_average_response_time,
            loaded.validation.warn_average_response_time, loaded.validation.min_compatibility) == (0.8, 3.0, 2.0, 0.95)
    assert config().rollback_thresholds.max_response_time == 5.0


@pytest.mark.parametrize("steps", [[], [10, 50], [50, 25, 100], [0, 100], [10, 150]])
def test_shift_steps_must_rise_to_100(steps: list[float]) -> None:
    with pytest.raises(ValidationError, match="expected"):
        BlueGreenConfig.model_validate({"shiftSteps": steps})
