"""An Argo Rollouts canary run from its manifests, unchanged, against the simulated Prometheus."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator import run
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario, parse_scenario
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS, scenario_data

ARGO = SCENARIOS / "argo-canary.yaml"
FLAGGER = Path(__file__).parent / "data" / "peers" / "flagger-stepweights.yaml"


def scenario_file(tmp_path: Path, **changes) -> Path:
    """The bundled Argo scenario beside a copy of its manifests, with ``changes`` to the scenario."""
    (tmp_path / "peers").mkdir()
    (tmp_path / "peers" / "argo-canary-steps.yaml").write_text((SCENARIOS / "peers" / "argo-canary-steps.yaml")
                                                               .read_text())
    data = scenario_data("argo-canary.yaml")
    data.update(changes)
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("seed", [1, 2])
def test_a_slow_candidate_fails_the_analysis_step_and_is_rolled_back(seed: int) -> None:
    result = run(load_scenario(ARGO), "argo", seed)
    assert result.outcome == "rolled_back"
    assert result.reason.startswith("step 3 analysis p99-latency failed: result[0] = 0.3")
    assert "fails 'result[0] < 0.25' (2 failed > failureLimit 1)" in result.reason
    weights = [event.data["weights"] for event in result.events if event.kind == "route" and "weights" in event.data]
    assert not weights or all(max(w.values()) <= 100 for w in weights)


def test_a_candidate_as_good_as_stable_passes_every_step_and_is_promoted(tmp_path: Path) -> None:
    data = scenario_data("argo-canary.yaml")
    data["versions"]["v2"] = dict(data["versions"]["v1"])
    path = scenario_file(tmp_path, versions=data["versions"])
    result = run(load_scenario(path), "argo", 1)
    assert result.outcome == "promoted", result.reason
    # 1 min pause, the analysis (p99 every 30 s x 6, errors every 1 min x 3), then 2 + 2 min of pauses
    assert 8 * 60 <= result.decision_time_s <= 10 * 60


def test_the_path_is_relative_to_the_scenario_file_and_the_dump_loads_back(tmp_path: Path) -> None:
    scenario = load_scenario(scenario_file(tmp_path))
    config = scenario.strategies["argo"]
    assert Path(config.path) == tmp_path / "peers" / "argo-canary-steps.yaml"
    assert parse_scenario(written_dump(scenario)) == scenario


@pytest.mark.parametrize(("entry", "message"), [
    ({"from": "peers/missing.yaml"}, "strategies.argo.from: in peers/missing.yaml: "),
    ({"from": str(FLAGGER), "rollout": "recommender"}, "got Rollout 'recommender'; expected one of: none in the "
                                                      "manifests"),
    ({"from": str(FLAGGER), "webhooks": {"aprove": "pass"}}, "got webhook 'aprove'; expected one of Canary "
                                                              "recommender's webhooks: it has none"),
    ({"from": str(FLAGGER), "rollout": "recommender", "canary": "recommender"}, "expected the keys of one kind"),
    ({"from": "peers/argo-canary-steps.yaml", "rollout": "recommendr"}, "recommendr"),
    ({"from": "peers/argo-canary-steps.yaml", "postPromotion": {"interval": "5m"}}, "beside from"),
])
def test_a_manifest_entry_that_cannot_run_is_a_located_error(tmp_path: Path, entry: dict, message: str) -> None:
    path = scenario_file(tmp_path, strategies={"argo": entry})
    with pytest.raises(ScenarioError, match="strategies.argo") as caught:
        load_scenario(path)
    assert message in str(caught.value)


def test_a_misspelt_key_in_the_manifest_names_the_file_and_the_key(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    manifest = tmp_path / "peers" / "argo-canary-steps.yaml"
    manifest.write_text(manifest.read_text().replace("canaryService:", "canarySevice:"))
    with pytest.raises(ScenarioError, match=r"strategies\.argo\.from: in peers/argo-canary-steps\.yaml: .*"
                                            r"canarySevice.*did you mean 'canaryService'"):
        load_scenario(path)
