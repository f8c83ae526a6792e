"""``rollout-sim validate`` on Argo Rollouts and Flagger manifests: one ok line per object, or every problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli import main
from tests.helpers import SCENARIOS
from tests.scenario.manifests.peers import ARGO, FLAGGER, PEERS, documents, write


def test_validate_prints_one_ok_line_per_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(ARGO)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        f"{ARGO}: ok - Rollout recommender: canary, 7 steps (weights 10, 30, 60), weights by replica counts, "
        "analysis templates p99-latency, error-ratio, 6 replicas",
        f"{ARGO}: ok - AnalysisTemplate p99-latency: metrics p99-latency",
        f"{ARGO}: ok - AnalysisTemplate error-ratio: metrics error-ratio",
    ]
    assert main(["validate", str(FLAGGER)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        f"{FLAGGER}: ok - Canary recommender: canary, step weights 5, 10, 25, 50, every 1m, threshold 2, metrics "
        "request-duration, error-percentage (MetricTemplate error-percentage), services recommender-primary, "
        "recommender-canary",
        f"{FLAGGER}: ok - MetricTemplate error-percentage: prometheus query",
    ]


def test_validate_a_directory_lists_what_it_ignores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = tmp_path / "deploy"
    directory.mkdir()
    write(directory / "flagger.yaml", documents(FLAGGER))
    write(directory / "service.yaml", [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}},
                                       {"apiVersion": "flagger.app/v1beta1", "kind": "AlertProvider",
                                        "metadata": {"name": "slack"}, "spec": {"type": "slack"}}])
    assert main(["validate", str(directory)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == [f"{directory / 'flagger.yaml'}: ok"] * 2 + [
        f"{directory / 'service.yaml'}: ignored"] * 2
    assert lines[2].endswith("ignored - Service web (v1): not an Argo Rollouts, Flagger or KServe object")
    assert lines[3].endswith("ignored - AlertProvider slack (flagger.app/v1beta1): not simulated")


def test_bad_manifests_are_every_problem_on_its_own_line_exit_2(tmp_path: Path) -> None:
    argo, flagger = documents(ARGO), documents(FLAGGER)
    steps = argo[0]["spec"]["strategy"]["canary"]["steps"]
    steps[2]["analysis"]["templats"] = steps[2]["analysis"].pop("templates")
    steps[0]["setWeight"] = 110
    flagger[0]["spec"]["analysis"]["metrics"][1]["templateRef"]["name"] = "error-percent"
    bad = write(tmp_path / "bad.yaml", argo + flagger)
    process = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(bad)], capture_output=True,
                             text=True)
    assert process.returncode == 2 and process.stdout == ""
    lines = process.stderr.strip().splitlines()
    assert lines == [
        f"error: {bad}: Rollout recommender: spec.strategy.canary.steps[2].analysis.templats: unknown key 'templats' "
        "(did you mean 'templates'?); expected one of: templates, args, dryRun, measurementRetention, "
        "analysisRunMetadata",
        f"error: {bad}: Canary recommender: spec.analysis.metrics[1].templateRef.name: got 'error-percent' (did you "
        "mean 'error-percentage'?); expected the name of a MetricTemplate (the manifests have error-percentage)",
        f"{bad}: 2 problems",
    ]  # setWeight 110 is found once the step parses: Argo's rules run on a sound strategy
    assert "Traceback" not in process.stderr


def test_one_problem_has_no_count_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argo = documents(ARGO)
    argo[0]["spec"]["strategy"]["canary"]["steps"][0]["setWeight"] = 110
    bad = write(tmp_path / "bad.yaml", argo)
    assert main(["validate", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.splitlines() == [
        f"error: {bad}: Rollout recommender: spec.strategy.canary.steps[0].setWeight: got 110; expected 0 to 100 "
        "(trafficRouting.maxTrafficWeight, default 100)"]


def test_scenarios_are_still_validated_as_scenarios(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SCENARIOS / "quickstart.yaml")]) == 0
    assert ": ok - scenario 'quickstart-latency-regression'" in capsys.readouterr().out
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: [unclosed\n")  # not readable as manifests: the scenario reader says why
    assert main(["validate", str(broken)]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_validate_the_peers_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(PEERS)]) == 0
    assert [line.split(": ok - ")[1].split(":")[0] for line in capsys.readouterr().out.splitlines()] == [
        "Rollout recommender", "AnalysisTemplate p99-latency", "AnalysisTemplate error-ratio", "Canary recommender",
        "MetricTemplate error-percentage"]


def test_a_manifest_that_is_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rollout.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": documents(ARGO)}))
    assert main(["validate", str(path)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_validate_reads_analysis_templates_with_their_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "argo.yaml"
    bad.write_text(ARGO.read_text().replace("failureLimit: 1", "failureLimt: 1"))
    assert main(["validate", str(bad)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {bad}: AnalysisTemplate p99-latency: spec.metrics[0]: unknown key 'failureLimt' "
                           "(did you mean 'failureLimit'?)")
