"""Which promote operations a KServe canary takes: the loader marks it, the scenario refuses the rest by name."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import CanaryConfig, Scenario, parse_scenario
from tests.helpers import SCENARIOS, scenario_data

SEED_004 = SCENARIOS / "seed-004-kserve.yaml"


def seed_004(operations: list[dict[str, Any]], **strategies: dict[str, Any]) -> Scenario:
    data = scenario_data("seed-004-kserve.yaml")
    data["operations"] = operations
    data["strategies"].update(strategies)
    return parse_scenario(data, source=str(SEED_004))


def refusal(operations: list[dict[str, Any]], **strategies: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as caught:
        seed_004(operations, **strategies)
    return str(caught.value)


def test_the_loader_marks_the_inference_service_s_canary_and_a_dump_keeps_the_mark() -> None:
    scenario = seed_004([{"at": "5m", "promote": "kserve"}])
    config = scenario.strategies["kserve"]
    assert isinstance(config, CanaryConfig) and config.inference_service == "fraud-detection-model"
    reloaded = parse_scenario(scenario.model_dump(by_alias=True), written=False)
    assert reloaded == scenario and reloaded.promotions("kserve")[0].at == 300.0


def test_full_is_refused_for_a_kserve_canary_on_one_located_line() -> None:
    message = refusal([{"at": "5m", "promote": "kserve", "full": True}])
    assert "\n" not in message
    assert message.endswith("operations[0].full: got full: true for 'kserve', a KServe InferenceService's canary; "
                            "expected no full (a KServe promote sends all traffic to the new revision at once: "
                            "there are no steps to skip)")


def test_a_promote_of_a_plain_canary_is_refused_naming_the_strategies_that_take_promotes() -> None:
    message = refusal([{"at": "5m", "promote": "canary"}], canary={"initialPercentage": 10})
    assert message.endswith("operations[0].promote: got 'canary', a canary strategy; expected one that runs an Argo "
                            "Rollout or a KServe InferenceService's canary (Argo Rollouts: none; KServe canaries: "
                            "kserve): only those take promotes")


def test_a_misspelt_label_is_answered_with_the_kserve_canary() -> None:
    assert "got 'kserv'; expected the label of a strategy that runs an Argo Rollout or a KServe InferenceService's " \
           "canary (did you mean 'kserve'?)" in refusal([{"at": "5m", "promote": "kserv"}])


def test_the_mark_written_on_a_canary_that_is_not_one_weight_then_100_is_refused() -> None:
    message = refusal([], canary={"steps": [10, 50, 100], "inferenceService": "fraud-detection-model"})
    assert "strategies.canary" in message
    assert "got inferenceService fraud-detection-model on a canary that is not one weight then 100 %" in message
