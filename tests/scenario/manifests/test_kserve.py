"""KServe InferenceServices: seed 004's file read unchanged, its serving settings, and its canary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator import run
from simulator.cli import main
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario
from simulator.scenario.canary_config import CanaryConfig
from simulator.scenario.limits import MAX_REPLICAS
from simulator.scenario.manifests import load_manifests
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end

SEED_FILE = SCENARIOS / "peers" / "seed-004-inference-service.yaml"
SEED_004 = Path(__file__).parents[3].parent / "shared" / "seeds" / "004_923e2cd3b43218ac.txt"


def test_the_bundled_file_is_seed_004_s_inference_service_as_written() -> None:
    if not SEED_004.exists():
        pytest.skip(f"the seed documents are not beside the repository ({SEED_004})")
    assert SEED_FILE.read_text().strip() in SEED_004.read_text()


def test_seed_004_s_inference_service_gives_the_serving_settings_knative_would() -> None:
    service = load_manifests(str(SEED_FILE)).inference_services["fraud-detection-model"]
    assert service.api_version == "serving.kubeflow.org/v1beta1"
    assert service.canary_traffic_percent == 10  # written on spec, where seed 004 has it
    assert service.service_settings() == {
        "replicas": 2,
        "autoscaling": {"min": 2, "max": 10, "metric": "concurrency", "kind": "kpa", "target": 49.0},
    }


def isvc(predictor: dict, **spec) -> dict:
    return {"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService", "metadata": {"name": "m"},
            "spec": {"predictor": {"sklearn": {"storageUri": "s3://m"}, **predictor}, **spec}}


def write(tmp_path: Path, *documents: dict) -> Path:
    path = tmp_path / "isvc.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


@pytest.mark.parametrize(("predictor", "settings"), [
    ({}, {"replicas": 1, "autoscaling": {"min": 1, "max": MAX_REPLICAS, "metric": "concurrency", "kind": "kpa",
                                         "target": 70.0}}),
    ({"containerConcurrency": 4, "maxReplicas": 6}, {
        "replicas": 1, "concurrency": 4,
        "autoscaling": {"min": 1, "max": 6, "metric": "concurrency", "kind": "kpa", "target": 2.8}}),
    ({"scaleMetric": "rps", "scaleTarget": 50}, {
        "replicas": 1, "autoscaling": {"min": 1, "max": MAX_REPLICAS, "metric": "rps", "kind": "kpa", "target": 35.0}}),
    ({"scaleMetric": "cpu", "minReplicas": 3}, {
        "replicas": 3,
        "autoscaling": {"min": 3, "max": MAX_REPLICAS, "metric": "cpu", "kind": "hpa", "target": "80%"}}),
    ({"minReplicas": 0, "maxReplicas": 3}, {  # scale to zero, from Knative's initial scale of 1
        "replicas": 1, "autoscaling": {"min": 0, "max": 3, "metric": "concurrency", "kind": "kpa", "target": 70.0}}),
])
def test_predictor_settings_become_service_settings(tmp_path: Path, predictor: dict, settings: dict) -> None:
    path = write(tmp_path, isvc(predictor))
    assert load_manifests(str(path)).inference_services["m"].service_settings() == settings


@pytest.mark.parametrize(("predictor", "message"), [
    ({"minReplicas": 0, "scaleMetric": "cpu"}, "scale to zero needs concurrency or rps"),
    ({"scaleMetric": "memory"}, "memory is not simulated"),
])
def test_what_cannot_be_simulated_is_refused_by_name(tmp_path: Path, predictor: dict, message: str) -> None:
    service = load_manifests(str(write(tmp_path, isvc(predictor)))).inference_services["m"]
    with pytest.raises(ValueError, match=message):
        service.service_settings()


def test_two_different_canary_percentages_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="got 10 here and 20 on the predictor"):
        load_manifests(str(write(tmp_path, isvc({"canaryTrafficPercent": 20}, canaryTrafficPercent=10))))


def test_a_misspelt_predictor_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="minReplica.*did you mean 'minReplicas'"):
        load_manifests(str(write(tmp_path, isvc({"minReplica": 2}))))


def test_validate_describes_seed_004_s_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SEED_FILE)]) == 0
    assert "InferenceService fraud-detection-model: 2 to 10 replicas on concurrency, target 70; canary at 10 %" \
        in capsys.readouterr().out


def test_the_inference_service_s_canary_runs_as_a_canary_at_its_percentage() -> None:
    scenario = load_scenario(SCENARIOS / "seed-004-kserve.yaml")
    config = scenario.strategies["kserve"]
    assert isinstance(config, CanaryConfig)
    assert (config.initial_percentage, config.increment_step, config.monitoring_duration) == (10, 90, 600.0)
    assert scenario.service.replicas == 2 and scenario.service.autoscaling is not None
    assert scenario.service.autoscaling.target.per_pod == 49.0 and scenario.service.concurrency == 8


def test_a_failing_new_revision_is_sent_back_and_a_good_one_promoted_after_the_monitoring_duration(
        tmp_path: Path) -> None:
    bad = run(until_rollout_end(load_scenario(SCENARIOS / "seed-004-kserve.yaml")), "kserve", 1)
    assert bad.outcome == "rolled_back" and "error rate" in bad.reason
    data = scenario_data("seed-004-kserve.yaml")
    data["versions"]["fraud-v1.3.0"]["error_rate"] = 0.002
    (tmp_path / "peers").mkdir()
    (tmp_path / "peers" / SEED_FILE.name).write_text(SEED_FILE.read_text())
    (tmp_path / "good.yaml").write_text(yaml.safe_dump(data))
    good = run(until_rollout_end(load_scenario(tmp_path / "good.yaml")), "kserve", 1)
    assert good.outcome == "promoted"
    weights = [event.data["weights"] for event in good.events if event.kind == "set_weights"]
    assert weights[0] == {"fraud-v1.2.0": 90.0, "fraud-v1.3.0": 10.0} and weights[-1] == {"fraud-v1.3.0": 100.0}


@pytest.mark.parametrize(("where", "extra", "message"), [
    ("service", {"replicas": 5}, "replicas: got 5 beside from; expected none, since InferenceService "
                                 "fraud-detection-model sets it (2)"),
    ("strategy", {"initialPercentage": 25}, "strategies.kserve.initialPercentage: got initialPercentage 25 beside "
                                            "from; expected none"),
])
def test_a_key_that_contradicts_the_inference_service_is_refused(tmp_path: Path, where: str, extra: dict,
                                                                 message: str) -> None:
    data = scenario_data("seed-004-kserve.yaml")
    (data["service"] if where == "service" else data["strategies"]["kserve"]).update(extra)
    (tmp_path / "peers").mkdir()
    (tmp_path / "peers" / SEED_FILE.name).write_text(SEED_FILE.read_text())
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "s.yaml")
    assert message in str(caught.value)


def test_validate_says_an_inference_service_with_min_replicas_0_scales_to_zero(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, isvc({"minReplicas": 0, "maxReplicas": 3}))
    assert main(["validate", str(path)]) == 0
    assert "0 to 3 replicas (scales to zero when idle) on concurrency" in capsys.readouterr().out


def raw(predictor: dict, **annotations: str) -> dict:
    document = isvc(predictor)
    document["metadata"]["annotations"] = {"serving.kserve.io/deploymentMode": "RawDeployment", **annotations}
    return document


@pytest.mark.parametrize(("predictor", "annotations", "settings"), [
    ({}, {}, {"replicas": 1, "autoscaling": {"kind": "hpa", "min": 1, "max": MAX_REPLICAS, "metric": "cpu",
                                             "target": "80%"}}),
    ({"minReplicas": 2, "maxReplicas": 5, "scaleTarget": 60, "containerConcurrency": 4}, {},
     {"replicas": 2, "autoscaling": {"kind": "hpa", "min": 2, "max": 5, "metric": "cpu", "target": "60%"}}),
    ({"minReplicas": 3}, {"serving.kserve.io/autoscalerClass": "none"}, {"replicas": 3}),
])
def test_raw_deployment_mode_is_a_deployment_under_kserve_s_hpa_on_cpu(tmp_path: Path, predictor: dict,
                                                                       annotations: dict, settings: dict) -> None:
    service = load_manifests(str(write(tmp_path, raw(predictor, **annotations)))).inference_services["m"]
    assert service.raw and service.service_settings() == settings


@pytest.mark.parametrize(("predictor", "message"), [
    ({"minReplicas": 0}, "does not scale to zero"),
    ({"scaleMetric": "concurrency"}, "concurrency and rps are Knative's"),
    ({"scaleMetric": "memory"}, "memory is not simulated"),
])
def test_raw_deployment_mode_refuses_what_kserve_s_hpa_cannot_do(tmp_path: Path, predictor: dict,
                                                                 message: str) -> None:
    service = load_manifests(str(write(tmp_path, raw(predictor)))).inference_services["m"]
    with pytest.raises(ValueError, match=message):
        service.service_settings()


@pytest.mark.parametrize(("document", "message"), [
    (raw({"canaryTrafficPercent": 10}), "canary rollout runs in Serverless mode only"),
    (raw({}, **{"serving.kserve.io/autoscalerClass": "keda"}), "KEDA is not simulated"),
    ({**isvc({}), "metadata": {"name": "m", "annotations": {"serving.kserve.io/deploymentMode": "ModelMesh"}}},
     "ModelMesh is not simulated"),
])
def test_deployment_modes_that_cannot_run_are_refused_when_read(tmp_path: Path, document: dict,
                                                                message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_manifests(str(write(tmp_path, document)))


def test_validate_describes_a_raw_deployment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(write(tmp_path, raw({"minReplicas": 2, "maxReplicas": 4})))]) == 0
    assert "raw deployment, 2 to 4 replicas on cpu; no canary" in capsys.readouterr().out
