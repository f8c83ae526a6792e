"""One line per object of a manifest set, for ``rollout-sim validate``: what each object will do."""

from __future__ import annotations

from pathlib import Path

from simulator.errors import ScenarioError
from simulator.scenario.manifests.argo_rollout import BlueGreenStrategy, CanaryStrategy, Rollout
from simulator.scenario.manifests.flagger import Canary, MetricTemplate
from simulator.scenario.manifests.kserve import InferenceService
from simulator.scenario.manifests.loader import API_VERSIONS, read_manifests
from simulator.scenario.manifests.manifest_set import (
    AnalysisTemplateParser,
    IgnoredDocument,
    ManifestEntry,
    ManifestSet,
    RawAnalysisTemplate,
)
from simulator.scenario.manifests.quantities import format_go_duration
from simulator.scenario.validation_errors import one_line

__all__ = ["describe", "summary_lines", "manifest_report"]


def _names(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(names))


def _canary_strategy(canary: CanaryStrategy) -> list[str]:
    steps = len(canary.steps)
    parts = [f"canary, {steps} step{'s' if steps != 1 else ''}"
             + (f" (weights {', '.join(map(str, canary.weights))})" if canary.weights else "")]
    if canary.traffic_routing is not None:
        parts.append(f"traffic routing {', '.join(canary.traffic_routing.providers) or 'managed routes'}")
    else:
        parts.append("weights by replica counts")
    if canary.analysis is not None:
        parts.append(f"background analysis {_names(canary.analysis.template_names)} from step "
                     f"{canary.analysis.starting_step}")
    unsupported = [f"{step.kind} (steps[{index}])" for index, step in enumerate(canary.steps) if step.unsupported]
    if unsupported:
        parts.append(f"not simulated: {', '.join(unsupported)}")
    return parts


def _blue_green(blue_green: BlueGreenStrategy) -> list[str]:
    parts = [f"blue-green, active {blue_green.active_service}"
             + (f", preview {blue_green.preview_service}" if blue_green.preview_service else "")]
    if blue_green.auto_promotion_enabled:
        parts.append(f"auto-promotion after {format_go_duration(blue_green.auto_promotion_seconds)}")
    else:
        parts.append("promotion by hand")
    for key, analysis in (("pre-promotion", blue_green.pre_promotion_analysis),
                          ("post-promotion", blue_green.post_promotion_analysis)):
        if analysis is not None:
            parts.append(f"{key} analysis {_names(analysis.template_names)}")
    return parts


def _rollout(rollout: Rollout) -> str:
    canary, blue_green = rollout.spec.strategy.canary, rollout.spec.strategy.blue_green
    parts = _canary_strategy(canary) if canary is not None else _blue_green(blue_green) if blue_green else []
    names = [ref.template_name for _, ref in rollout.analysis_refs()]
    if names:
        parts.append(f"analysis templates {_names(names)}")
    parts.append(f"{rollout.spec.replicas} replica{'s' if rollout.spec.replicas != 1 else ''}")
    return ", ".join(parts)


def _canary(canary: Canary) -> str:
    analysis = canary.spec.analysis
    kind = analysis.strategy_kind
    if kind == "canary" and analysis.step_weights:
        parts = [f"canary, step weights {', '.join(map(str, analysis.step_weights))}"]
    elif kind == "canary":
        parts = [f"canary, steps of {analysis.step_weight} up to {analysis.effective_max_weight}"]
    else:
        parts = [f"{'A/B testing' if kind == 'ab-testing' else kind}, {analysis.iterations} iterations"]
    parts.append(f"every {format_go_duration(analysis.interval_seconds)}, threshold {analysis.failure_threshold}")
    metrics = [metric.name + (f" (MetricTemplate {metric.template_ref.name})" if metric.template_ref else "")
               for metric in analysis.metrics]
    if metrics:
        parts.append(f"metrics {', '.join(metrics)}")
    hooks = [f"{hook.name} ({hook.kind})" for hook in analysis.webhooks]
    if hooks:
        parts.append(f"webhooks {', '.join(hooks)}")
    if canary.spec.skip_analysis:
        parts.append("analysis skipped")
    parts.append(f"services {canary.primary_service}, {canary.canary_service}")
    return ", ".join(parts)


def _raw_template(template: RawAnalysisTemplate, parsed: bool) -> str:
    metrics = template.spec.get("metrics")
    names = [str(metric.get("name")) for metric in metrics if isinstance(metric, dict)] \
        if isinstance(metrics, list) else []
    text = f"metrics {', '.join(names)}" if names else "no metrics"
    return text if parsed else f"{text} (spec read by the analysis model)"


def _inference_service(service: InferenceService) -> str:
    predictor = service.spec.predictor
    least = 1 if predictor.min_replicas is None else predictor.min_replicas
    replicas = f"{least} to {predictor.max_replicas or 'any number of'} replicas"
    if least == 0:
        replicas += " (scales to zero when idle)"
    metric = predictor.scale_metric or ("cpu" if service.raw else "concurrency")
    target = f", target {predictor.scale_target}" if predictor.scale_target else ""
    if service.raw:
        return f"raw deployment, {replicas} on {metric}{target}; no canary (Serverless mode only)"
    percent = service.canary_traffic_percent
    canary = f"canary at {percent} %" if percent is not None else "no canaryTrafficPercent (all traffic at once)"
    return f"{replicas} on {metric}{target}; {canary}"


def describe(entry: ManifestEntry, manifests: ManifestSet) -> str:
    """What the object of ``entry`` is, in a line (without its file and name)."""
    item = entry.object
    if isinstance(item, Rollout):
        return _rollout(item)
    if isinstance(item, Canary):
        return _canary(item)
    if isinstance(item, MetricTemplate):
        return f"{item.spec.provider.type} query"
    if isinstance(item, InferenceService):
        return _inference_service(item)
    return _raw_template(item, (item.kind, item.name) in manifests.analysis_models)


def _ignored(document: IgnoredDocument) -> str:
    name = document.name or f"({document.place})"
    group = document.api_version.split("/")[0] if "/" in document.api_version else ""
    why = "not simulated" if group in API_VERSIONS else "not an Argo Rollouts, Flagger or KServe object"
    return f"{document.file}: ignored - {document.kind} {name} ({document.api_version}): {why}"


def summary_lines(manifests: ManifestSet) -> list[str]:
    """``FILE: ok - KIND NAME: what it does`` for each object, then ``FILE: ignored - ...`` for other documents."""
    lines = [f"{entry.file}: ok - {entry.label}: {describe(entry, manifests)}" for entry in manifests.entries]
    return [one_line(line) for line in lines + [_ignored(document) for document in manifests.ignored]]


def manifest_report(path: str | Path, *, analysis_template_parser: AnalysisTemplateParser | None = None,
                    ) -> tuple[list[str], list[ScenarioError]]:
    """What ``rollout-sim validate`` says of the manifests at ``path``: its ok lines, or every problem."""
    manifests, problems = read_manifests(path, analysis_template_parser=analysis_template_parser)
    return ([] if problems else summary_lines(manifests)), problems
