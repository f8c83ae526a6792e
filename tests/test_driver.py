"""The driver's command loop: errors that name the strategy, illegal commands, structured events."""

from __future__ import annotations

import pytest

import simulator.driver as driver
from simulator.cli import main
from simulator.commands import ScaleTo, SetWeights, Wait
from simulator.errors import EngineError, StrategyError
from simulator.observations import Observation
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS


class _Exploding:
    """A strategy that raises on its second step (after one wait)."""

    kind = "exploding"

    def __init__(self) -> None:
        self.state = "waiting"

    def step(self, observation: Observation):
        if self.state == "waiting":
            self.state = "checking"
            return [Wait(seconds=60)]
        raise ValueError("division by zero in my rule")


class _Trespassing:
    """A strategy that routes traffic to a version that is not part of its rollout."""

    kind = "trespassing"
    state = "start"

    def step(self, observation: Observation):
        return [SetWeights(weights={"v9": 100.0}), Wait(seconds=1)]


@pytest.fixture
def quickstart():
    return load_scenario(SCENARIOS / "quickstart.yaml")


def test_an_exception_in_a_strategy_becomes_a_strategy_error_naming_it_and_its_state(monkeypatch, quickstart) -> None:
    monkeypatch.setattr(driver, "make_strategy", lambda config: _Exploding())
    with pytest.raises(StrategyError) as raised:
        driver.run(quickstart, "canary", seed=1)
    message = str(raised.value)
    assert "strategy 'canary' (exploding)" in message
    assert "state 'checking'" in message and "t=60s" in message
    assert "ValueError: division by zero in my rule" in message
    causes, error = [], raised.value
    while error.__cause__ is not None and len(causes) < 5:
        causes.append(error := error.__cause__)
    assert any(isinstance(cause, ValueError) for cause in causes)  # the original error is kept for debugging


def test_a_command_for_a_version_outside_the_rollout_is_a_strategy_error(monkeypatch, quickstart) -> None:
    monkeypatch.setattr(driver, "make_strategy", lambda config: _Trespassing())
    with pytest.raises(StrategyError, match="version 'v9'; expected one of the rollout's versions: v1, v2"):
        driver.run(quickstart, "canary", seed=1)


def test_an_illegal_command_value_is_a_strategy_error(monkeypatch, quickstart) -> None:
    class NegativeScale:
        kind = "negative"
        state = "start"

        def step(self, observation: Observation):
            return [ScaleTo(version=observation.candidate, replicas=-1), Wait(seconds=1)]

    monkeypatch.setattr(driver, "make_strategy", lambda config: NegativeScale())
    with pytest.raises(StrategyError, match="replicas must be >= 0, got -1"):
        driver.run(quickstart, "canary", seed=1)


def test_a_failure_inside_the_engine_is_an_engine_error(monkeypatch, quickstart) -> None:
    def broken(self, version: str, replicas: int) -> None:
        raise RuntimeError("replica table corrupted")

    monkeypatch.setattr("simulator.world.world.World.scale_to", broken)
    with pytest.raises(EngineError, match="quickstart-latency-regression.*canary, seed 1.*replica table corrupted"):
        driver.run(quickstart, "canary", seed=1)


def test_the_cli_reports_a_strategy_error_on_one_line_without_a_traceback(monkeypatch, capsys) -> None:
    monkeypatch.setattr(driver, "make_strategy", lambda config: _Exploding())
    status = main(["run", str(SCENARIOS / "quickstart.yaml"), "--strategy", "canary"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("error: strategy 'canary'")
    assert "Traceback" not in err


def test_events_carry_the_facts_as_fields(quickstart) -> None:
    result = driver.run(quickstart, "canary", seed=42)
    kinds = {event.kind: event.data for event in result.events}
    assert kinds["rollout_start"] == {"strategy": "canary", "kind": "canary", "stable": "v1", "candidate": "v2"}
    first_scale = next(e.data for e in result.events if e.kind == "scale")
    assert first_scale == {"version": "v2", "previous": 0, "replicas": 1, "cause": "strategy"}
    first_weights = next(e.data for e in result.events if e.kind == "set_weights")
    assert first_weights == {"weights": {"v2": 10.0, "v1": 90.0}, "sticky": False}
    decision = next(e for e in result.events if e.kind == result.outcome)
    assert decision.data == {"outcome": result.outcome, "candidate": "v2", "stable": "v1"}
    assert result.events[-1].kind == "finished" and result.events[-1].data["outcome"] == result.outcome


def test_a_canary_check_event_carries_its_step_weight_and_measured_values(quickstart) -> None:
    result = driver.run(quickstart, "canary", seed=42)
    assert result.outcome == "rolled_back"  # the candidate is twice as slow
    ready = [e for e in result.events if e.kind == "replica_ready" and e.data["version"] == "v2"]
    assert ready and all(e.data["restarted"] is False for e in ready)
    assert "latency p99" in next(e for e in result.events if e.kind == "rolled_back").detail
    in_step = [e.data for e in result.events if e.kind == "check" and e.data.get("in_step")]
    assert in_step and all({"step", "weight", "elapsed_s", "failures", "verdict", "rules"} <= set(d) for d in in_step)
    for data in in_step:
        (errors,) = data["rules"]  # inside a step only the error rule is checked
        assert errors["rule"] == "errorRateIncrease"
        if errors["passed"] is not None:
            assert errors["value"] == pytest.approx(errors["candidate"] - errors["baseline"])
            assert errors["passed"] == (errors["value"] <= errors["limit"])
    rolled = next(e for e in result.events if e.kind == "rolled_back")
    assert rolled.t == pytest.approx(45 + 300, abs=1)  # the step's end judged the latency


@pytest.mark.slow
def test_an_operator_rollback_aborts_a_rollout_started_by_retraining() -> None:
    """Mutant killed: operations handed the scenario's rollout only (None here): the retrained canary went on
    stepping after the operator had moved all traffic back."""
    from simulator.scenario.world_config import RollbackOperation

    scenario = load_scenario(SCENARIOS / "drift-retraining.yaml").model_copy(update={"horizon": 12 * 3600.0})
    started = next(e.t for e in driver.run(scenario, "canary", seed=3).events if e.kind == "rollout_start")
    result = driver.run(scenario, "canary", seed=3,
                        operations=[RollbackOperation(at=started + 600, rollback_to="churn-v7")])
    assert result.outcome == "rolled_back" and result.reason == "operator rollback to churn-v7"
    assert result.decision_time_s == started + 600
    later = [e for e in result.events if e.t > started + 600]
    assert not any(e.kind in ("check", "set_weights", "scale") for e in later)  # the canary stopped


class _Scripted:
    """A strategy that plays back fixed command lists, one per step."""

    kind = "scripted"
    state = "scripted"

    def __init__(self, *script) -> None:
        self.script = list(script)

    def step(self, observation: Observation):
        return self.script.pop(0)


def test_a_second_decision_is_a_strategy_error_unless_it_rolls_back_a_promotion(monkeypatch, quickstart) -> None:
    from simulator.commands import Decide

    twice = _Scripted([Decide(outcome="rolled_back", reason="first"), Wait(seconds=1)],
                      [Decide(outcome="promoted", reason="second"), Wait(seconds=1)])
    monkeypatch.setattr(driver, "make_strategy", lambda config: twice)
    with pytest.raises(StrategyError, match="decided twice"):
        driver.run(quickstart, "canary", seed=1)
    revising_nothing = _Scripted([Decide(outcome="rolled_back", reason="x", after_promotion=True), Wait(seconds=1)])
    monkeypatch.setattr(driver, "make_strategy", lambda config: revising_nothing)
    with pytest.raises(StrategyError, match="without a promotion before it"):
        driver.run(quickstart, "canary", seed=1)


def test_a_rollback_after_promotion_restores_the_previous_version_in_the_registry() -> None:
    scenario = load_scenario(SCENARIOS / "seed-000-canary.yaml")
    result = driver.run(scenario, "seed-000")
    assert result.outcome == "rolled_back" and result.reason.startswith("health check")
    promoted_at = result.analysis["promoted_at_s"]
    assert promoted_at is not None and promoted_at < result.decision_time_s
    assert result.registry["production_history"] == ["v1", "v2", "v1"]
    kinds = [event.kind for event in result.events]
    assert kinds.index("promoted") < kinds.index("rolled_back")
    last_weights = [event.data["weights"] for event in result.events if event.kind == "set_weights"][-1]
    assert last_weights == {"v1": 100.0}


def test_a_paused_rollout_ends_incomplete_and_says_where_it_paused() -> None:
    scenario = load_scenario(SCENARIOS / "seed-002-selection.yaml")
    result = driver.run(scenario, "analytics-pause")
    assert result.outcome == "incomplete" and result.reason.startswith("paused at 120s")
    assert "paused with 1/4 replicas on v2 (onFailure: pause)" in result.reason
    assert result.versions["v2"].requests > 0.2 * result.requests  # the kept batch serves until the horizon
