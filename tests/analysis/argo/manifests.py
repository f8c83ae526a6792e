"""Small AnalysisTemplate documents for the tests."""

from __future__ import annotations

import copy
from typing import Any

from simulator.analysis.argo import (
    AnalysisRunState,
    AnalysisTemplate,
    RolloutArgument,
    build_analysis_run,
    parse_analysis_template,
)


def metric(name: str = "success-rate", **fields: Any) -> dict[str, Any]:
    """A prometheus metric document; ``fields`` are written as Argo spells them (``successCondition``)."""
    document: dict[str, Any] = {"name": name,
                                "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "up"}}}
    document.update(fields)
    return document


def template_document(*metrics: dict[str, Any], name: str = "analysis", kind: str = "AnalysisTemplate",
                      **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": kind, "metadata": {"name": name},
            "spec": {"metrics": [copy.deepcopy(m) for m in metrics], **spec}}


def template(*metrics: dict[str, Any], name: str = "analysis", **spec: Any) -> AnalysisTemplate:
    return parse_analysis_template(template_document(*metrics, name=name, **spec))


def run_of(*metrics: dict[str, Any], started_at: float = 0.0, rollout_args: dict[str, str] | None = None,
           **spec: Any) -> AnalysisRunState:
    """An AnalysisRunState of one template holding ``metrics``; ``spec`` adds to the template's spec."""
    passed = [RolloutArgument(name=key, value=value) for key, value in (rollout_args or {}).items()]
    return AnalysisRunState(build_analysis_run([template(*metrics, **spec)], passed), started_at=started_at)
