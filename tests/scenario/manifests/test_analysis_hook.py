"""Where the analysis layer's model of AnalysisTemplates plugs in: its results kept, its errors located."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from simulator.errors import ScenarioError
from simulator.scenario.manifests import RawAnalysisTemplate, load_manifests, manifest_problems, manifest_report
from tests.scenario.manifests.peers import ARGO, documents, write


class Metric(BaseModel):
    """A stand-in for the analysis layer's model: strict about a few keys of a metric."""

    model_config = ConfigDict(extra="allow", strict=True)
    name: str
    count: int = 1


class Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    metrics: list[Metric]


class Template(BaseModel):
    model_config = ConfigDict(extra="allow")
    spec: Spec


def parse(template: RawAnalysisTemplate) -> Spec:
    return Template.model_validate(dict(template.document)).spec


def test_the_models_are_kept_by_kind_and_name() -> None:
    manifests = load_manifests(ARGO, analysis_template_parser=parse)
    assert set(manifests.analysis_models) == {("AnalysisTemplate", "p99-latency"), ("AnalysisTemplate", "error-ratio")}
    ref = manifests.rollout().spec.strategy.canary.steps[2].analysis.templates[0]  # type: ignore[union-attr]
    model = manifests.analysis_model(ref)
    assert isinstance(model, Spec) and model.metrics[0].count == 6
    lines, problems = manifest_report(ARGO, analysis_template_parser=parse)
    assert problems == [] and lines[1].endswith("ok - AnalysisTemplate p99-latency: metrics p99-latency")


def test_without_a_parser_the_spec_is_kept_as_written() -> None:
    manifests = load_manifests(ARGO)
    assert manifests.analysis_models == {}
    ref = manifests.rollout().spec.strategy.canary.steps[2].analysis.templates[0]  # type: ignore[union-attr]
    with pytest.raises(ScenarioError, match="read without an analysis template parser"):
        manifests.analysis_model(ref)


def test_the_parsers_errors_are_located_under_the_templates_spec(tmp_path: Path) -> None:
    docs = documents(ARGO)
    docs[1]["spec"]["metrics"][0]["count"] = "six"
    file = write(tmp_path / "argo.yaml", docs)
    (line,) = [str(problem) for problem in manifest_problems(file, analysis_template_parser=parse)]
    assert line == f"{file}: AnalysisTemplate p99-latency: spec.metrics[0].count: got 'six'; expected a whole number"

    def refuse(template: RawAnalysisTemplate) -> object:
        own = f"{template.kind} '{template.name}': " if template.name == "error-ratio" else ""
        raise ScenarioError(f"{own}got 'x'; expected y", path="spec.metrics[0].successCondition")

    lines = [str(problem) for problem in manifest_problems(ARGO, analysis_template_parser=refuse)]
    assert lines == [
        f"{ARGO}: AnalysisTemplate {name}: spec.metrics[0].successCondition: got 'x'; expected y"
        for name in ("p99-latency", "error-ratio")  # a parser's own naming of the template is not repeated
    ]
