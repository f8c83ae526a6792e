"""The test-suite gate: suite first, a failure rolls back untouched, a pass hands over — without a simulation."""

from __future__ import annotations

import pytest

from simulator.commands import Command, Decide, RunTestSuite, ScaleTo, Wait
from simulator.errors import ScenarioError
from simulator.observations import ModelTestResult, Observation, TestSuiteResult
from simulator.scenario import BlueGreenConfig, ImmediateConfig, parse_scenario
from simulator.scenario.test_suite_config import TestSuiteConfig
from simulator.strategies import BlueGreenStrategy, TestSuiteGate, make_strategy
from tests.helpers import scenario_data
from tests.strategies.observe import World, first, kinds, replace


class _Spy:
    """A wrapped strategy that records every observation it is asked about."""

    kind = "spy"
    state = "spying"

    def __init__(self) -> None:
        self.seen: list[Observation] = []

    def step(self, observation: Observation) -> list[Command]:
        self.seen.append(observation)
        return [ScaleTo(version=observation.candidate, replicas=6), Wait(seconds=10)]


def result(*tests: tuple[str, float, float, bool, str], version: str = "v2") -> TestSuiteResult:
    return TestSuiteResult(version=version, samples=1000, tests=tuple(
        ModelTestResult(name=name, score=score, threshold=threshold, passed=passed, limit=limit)  # type: ignore[arg-type]
        for name, score, threshold, passed, limit in tests
    ))


PASSING = result(("accuracy", 0.912, 0.80, True, "minimum"), ("bias_plan", 0.031, 0.1, True, "maximum"),
                 ("drift_x1", 0.42, 0.05, True, "minimum"))
FAILING = result(("accuracy", 0.712, 0.80, False, "minimum"), ("precision", 0.781, 0.75, True, "minimum"),
                 ("bias_plan", 0.183, 0.1, False, "maximum"), ("drift_x2", 0.0004, 0.05, False, "minimum"))


def observe_with(world: World, suite: TestSuiteResult | None) -> Observation:
    return replace(world.observe(), test_suite=suite)


def test_the_suite_runs_first_with_the_configured_thresholds_and_nothing_is_deployed() -> None:
    config = TestSuiteConfig(samples=500, accuracy=0.85, bias=None, protected_attributes=["plan"], duration=120)
    inner = _Spy()
    commands = TestSuiteGate(inner, config).step(World().observe())
    assert kinds(commands) == ["RunTestSuite"]
    request = commands[0]
    assert isinstance(request, RunTestSuite)
    assert (request.version, request.samples, request.duration) == ("v2", 500, 120.0)
    assert (request.accuracy, request.precision, request.recall, request.f1) == (0.85, 0.75, 0.75, 0.75)
    assert request.bias is None and request.drift == 0.05 and request.protected_attributes == ("plan",)
    assert inner.seen == []  # the wrapped strategy is not asked before the suite has passed


def test_a_failed_suite_rolls_back_naming_every_failed_test_and_the_candidate_never_takes_traffic() -> None:
    inner, world = _Spy(), World()
    gate = TestSuiteGate(inner, TestSuiteConfig())
    world.apply(gate.step(world.observe()))
    commands = gate.step(observe_with(world, FAILING))
    world.apply(commands)
    assert kinds(commands) == ["Decide", "Finish"]
    decide = first(commands, "Decide")
    assert isinstance(decide, Decide) and decide.outcome == "rolled_back"
    assert "accuracy 0.7120 < 0.8000" in decide.reason
    assert "bias_plan 0.1830 > 0.1000" in decide.reason
    assert "drift_x2 0.0004 < 0.0500" in decide.reason
    assert "precision" not in decide.reason  # a passing test is not blamed
    assert "3 of 4 tests" in decide.reason
    assert decide.analysis is not None and decide.analysis["test_suite"]["passed"] is False  # type: ignore[index]
    assert inner.seen == []
    assert world.weights == {"v1": 100.0} and world.desired["v2"] == 0
    assert gate.state == "test_suite_failed"
    with pytest.raises(ValueError, match="after rejecting v2"):
        gate.step(world.observe())


def test_a_passed_suite_is_noted_and_hands_over_to_the_wrapped_strategy() -> None:
    inner, world = _Spy(), World()
    gate = TestSuiteGate(inner, TestSuiteConfig())
    gate.step(world.observe())
    commands = gate.step(observe_with(world, PASSING))
    assert kinds(commands) == ["Note", "ScaleTo", "Wait"]
    note = first(commands, "Note")
    assert note.data["verdict"] == "pass" and note.data["phase"] == "test_suite"
    assert [test["name"] for test in note.data["tests"]] == ["accuracy", "bias_plan", "drift_x1"]
    assert "accuracy 0.9120 >= 0.8000" in note.detail and "bias_plan 0.0310 <= 0.1000" in note.detail
    assert len(inner.seen) == 1 and gate.state == "spying"
    later = gate.step(world.observe())
    assert kinds(later) == ["ScaleTo", "Wait"] and len(inner.seen) == 2  # after that, every step passes through


def test_blue_green_behind_the_gate_deploys_only_after_the_pass() -> None:
    world = World()
    gate = TestSuiteGate(BlueGreenStrategy(BlueGreenConfig()), TestSuiteConfig())
    assert kinds(gate.step(world.observe())) == ["RunTestSuite"]
    assert world.desired["v2"] == 0
    commands = gate.step(observe_with(world, PASSING))
    assert kinds(commands) == ["Note", "ScaleTo", "WaitUntilReady"]
    assert first(commands, "ScaleTo").replicas == 6


def test_a_missing_or_foreign_result_is_an_error() -> None:
    gate = TestSuiteGate(_Spy(), TestSuiteConfig())
    world = World()
    gate.step(world.observe())
    with pytest.raises(ValueError, match="got no result after RunTestSuite"):
        gate.step(world.observe())
    with pytest.raises(ValueError, match="got a result for v9"):
        gate.step(observe_with(world, result(("accuracy", 0.9, 0.8, True, "minimum"), version="v9")))


def test_make_strategy_wraps_the_gate_only_when_configured() -> None:
    gated = make_strategy(ImmediateConfig.model_validate({"testSuite": {"samples": 200}}))
    assert isinstance(gated, TestSuiteGate) and gated.kind == "immediate"
    commands = gated.step(World().observe())
    assert isinstance(commands[-1], RunTestSuite) and commands[-1].samples == 200
    plain = make_strategy(ImmediateConfig())
    assert not isinstance(plain, TestSuiteGate)
    assert kinds(plain.step(World().observe())) == ["ScaleTo", "WaitUntilReady"]


def test_the_gate_is_the_outermost_wrapper() -> None:
    config = BlueGreenConfig.model_validate({"testSuite": {}, "postPromotion": {}})
    strategy = make_strategy(config)
    assert isinstance(strategy, TestSuiteGate)
    assert type(strategy.inner).__name__ == "WatchAfterPromotion"


def test_seed_defaults_and_keys() -> None:
    config = TestSuiteConfig()
    assert (config.accuracy, config.precision, config.recall, config.f1) == (0.80, 0.75, 0.75, 0.75)
    assert (config.bias, config.drift, config.samples) == (0.1, 0.05, 1000)
    written = TestSuiteConfig.model_validate({"protectedAttributes": ["plan"], "positiveShare": 0.3, "f1": None})
    assert written.protected_attributes == ["plan"] and written.positive_share == 0.3 and written.f1 is None


def test_describe_says_which_side_passes() -> None:
    assert ModelTestResult(name="f1", score=0.7, threshold=0.75, passed=False).describe() == "f1 0.7000 < 0.7500"
    assert ModelTestResult(name="bias_region", score=0.02, threshold=0.1, passed=True,
                           limit="maximum").describe() == "bias_region 0.0200 <= 0.1000"


@pytest.mark.parametrize(("suite", "message"), [
    ({"accuracy": 1.5}, r"strategies\.canary\.testSuite\.accuracy"),
    ({"samples": 5}, r"strategies\.canary\.testSuite\.samples"),
    ({"acuracy": 0.9}, r"unknown key 'acuracy' \(did you mean 'accuracy'\?\)"),
    ({"protectedAttributes": ["plann"]},
     r"strategies\.canary\.testSuite\.protectedAttributes\[0\]: got 'plann'; expected a categorical feature "
     r"\(did you mean 'plan'\?\)"),
])
def test_bad_suite_keys_name_the_key_path(suite: dict, message: str) -> None:
    data = scenario_data("quickstart.yaml")
    data["strategies"]["canary"]["testSuite"] = suite
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data)

