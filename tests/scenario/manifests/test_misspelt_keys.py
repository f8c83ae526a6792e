"""A misspelt key, at any depth, is one line naming the file, the object, the key's path and what it may mean."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.scenario.manifests import manifest_problems
from tests.scenario.manifests.peers import ARGO, FLAGGER, documents, write


def rename(path: list[Any], new: str) -> Callable[[list[Any]], None]:
    """Rename the last key of ``path`` (indices and keys from the document list down) to ``new``."""

    def change(docs: list[Any]) -> None:
        holder = docs
        for part in path[:-1]:
            holder = holder[part]
        holder[new] = holder.pop(path[-1])  # type: ignore[call-overload]

    return change


STEPS = [0, "spec", "strategy", "canary", "steps"]
ANALYSIS = [0, "spec", "analysis"]

CASES = [
    (ARGO, [0, "spec"], "spce", "Rollout recommender: spce", "spec"),
    (ARGO, [0, "metadata", "name"], "nmae", "Rollout (document 1): metadata.nmae", "name"),
    (ARGO, [0, "spec", "strategy", "canary"], "canarry", "Rollout recommender: spec.strategy.canarry", "canary"),
    (ARGO, [*STEPS[:-1], "canaryService"], "canarySerivce", "Rollout recommender: spec.strategy.canary.canarySerivce",
     "canaryService"),
    (ARGO, [*STEPS, 0, "setWeight"], "setweight", "Rollout recommender: spec.strategy.canary.steps[0].setweight",
     "setWeight"),
    (ARGO, [*STEPS, 1, "pause", "duration"], "durration",
     "Rollout recommender: spec.strategy.canary.steps[1].pause.durration", "duration"),
    (ARGO, [*STEPS, 2, "analysis", "templates"], "templats",
     "Rollout recommender: spec.strategy.canary.steps[2].analysis.templats", "templates"),
    (ARGO, [*STEPS, 2, "analysis", "templates", 1, "templateName"], "template_name",
     "Rollout recommender: spec.strategy.canary.steps[2].analysis.templates[1].template_name", "templateName"),
    (ARGO, [*STEPS, 2, "analysis", "args", 0, "value"], "valeu",
     "Rollout recommender: spec.strategy.canary.steps[2].analysis.args[0].valeu", "value"),
    (ARGO, [1, "metadata"], "metdata", "AnalysisTemplate (document 2): metdata", "metadata"),
    (FLAGGER, [0, "spec", "targetRef"], "targetref", "Canary recommender: spec.targetref", "targetRef"),
    (FLAGGER, [*ANALYSIS, "stepWeights"], "stepWieghts", "Canary recommender: spec.analysis.stepWieghts",
     "stepWeights"),
    (FLAGGER, [*ANALYSIS, "metrics", 0, "thresholdRange"], "tresholdRange",
     "Canary recommender: spec.analysis.metrics[0].tresholdRange", "thresholdRange"),
    (FLAGGER, [*ANALYSIS, "metrics", 1, "templateRef", "namespace"], "namespce",
     "Canary recommender: spec.analysis.metrics[1].templateRef.namespce", "namespace"),
    (FLAGGER, [1, "spec", "provider", "address"], "adress", "MetricTemplate error-percentage: spec.provider.adress",
     "address"),
]


@pytest.mark.parametrize(("source", "path", "new", "where", "meant"), CASES,
                         ids=[f"{case[2]}" for case in CASES])
def test_a_misspelt_key_names_its_path_and_the_key_meant(tmp_path: Path, source: Path, path: list[Any], new: str,
                                                        where: str, meant: str) -> None:
    docs = documents(source)
    rename(path, new)(docs)
    file = write(tmp_path / "bad.yaml", docs)
    problems = [str(problem) for problem in manifest_problems(file)]
    unknown = [line for line in problems if "unknown key" in line]
    assert len(unknown) == 1, problems
    assert unknown[0].startswith(f"{file}: {where}: unknown key '{new}' (did you mean '{meant}'?); expected one of: ")
    assert "\n" not in unknown[0]


def test_every_unknown_key_is_its_own_line_in_file_order(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[0]["spec"] = {"replicaz": 3, **docs[0]["spec"]}  # first in the file, last for pydantic
    docs[0]["spec"]["strategy"]["canary"]["steps"][0]["pauze"] = {}
    docs[2]["spec"] = {"metrics": []}  # a template's spec is left to the analysis model
    docs[2]["stauts"] = {}
    lines = [str(problem) for problem in manifest_problems(write(tmp_path / "three.yaml", docs))]
    assert [line.split(": unknown key")[0].split(": ", 1)[1] for line in lines] == [
        "Rollout recommender: spec.replicaz",
        "Rollout recommender: spec.strategy.canary.steps[0].pauze",
        "AnalysisTemplate error-ratio: stauts",
    ]
    assert "did you mean 'replicas'" in lines[0] and "did you mean 'pause'" in lines[1]


def test_accepted_but_unmodelled_fields_take_anything_under_their_own_keys(tmp_path: Path) -> None:
    """Real fields (pod template, traffic router settings, Flagger's service mesh options) load as they are."""
    argo = documents(ARGO)
    canary = argo[0]["spec"]["strategy"]["canary"]
    canary["trafficRouting"] = {"istio": {"virtualService": {"name": "vs", "routes": ["primary"]}},
                                "managedRoutes": [{"name": "header"}]}
    canary["canaryMetadata"] = {"labels": {"role": "canary"}}
    canary["antiAffinity"] = {"preferredDuringSchedulingIgnoredDuringExecution": {"weight": 50}}
    canary["scaleDownDelaySeconds"] = 45
    argo[0]["spec"].update(minReadySeconds=10, revisionHistoryLimit=3, progressDeadlineSeconds=300,
                           template={"spec": {"anything": {"goes": [1, 2]}}})
    argo[0]["status"] = {"phase": "Healthy"}
    flagger = documents(FLAGGER)
    flagger[0]["spec"]["service"].update(gateways=["public"], hosts=["app.example.com"],
                                         retries={"attempts": 3, "perTryTimeout": "5s"})
    flagger[0]["spec"]["autoscalerRef"] = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                                           "name": "recommender"}
    flagger[0]["spec"]["analysis"]["webhooks"] = [{"name": "gate", "url": "http://gate/", "type": "confirm-rollout",
                                                   "timeout": "30s", "metadata": {"team": "ml"}}]
    flagger[0]["spec"]["analysis"]["sessionAffinity"] = {"cookieName": "flagger-cookie", "maxAge": 600}
    flagger[0]["spec"].update(revertOnDeletion=True, suspend=False, progressDeadlineSeconds=120)
    assert manifest_problems(write(tmp_path / "all.yaml", argo + flagger)) == []
