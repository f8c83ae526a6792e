"""A scenario's Canary as an Argo Rollouts ``Rollout`` (canary with traffic routing) and its ``AnalysisTemplate``s.

The Rollout does what :class:`~simulator.strategies.canary.CanaryStrategy`
does, in Argo's words:

* **weights**: one ``setWeight`` per weight of the schedule; with traffic
  routing (Istio), so that the weight is exact and the canary's pods follow
  it, rounded up, as ours do; weights are whole percentages (a fraction is
  refused). ``candidateReplicas: full`` is a first
  ``setCanaryScale: {replicas: N}``; ``capacity: proportional`` is
  ``dynamicStableScale: true``.
* **checks**: after each ``setWeight`` that ours checks, an ``analysis`` step
  whose template measures the in-step and step-end checks of
  :mod:`~simulator.export.argo_analysis`; the step ends when the step-end
  check passes. The seed guide's loop promotes when the weight reaches
  100 % unchecked, which is Argo's full promotion after the last step; an
  explicit schedule checks its 100 % step too, against the stable version's
  window before the weight reached 100 (``offset``).
* **rolloutDuration** (hold the last weight, checked every
  ``monitoringDuration``, until the duration is over): the steps are laid
  out in advance, as many held steps as the durations need.
* ``readyTimeout`` is ``progressDeadlineSeconds`` with
  ``progressDeadlineAbort: true``.

The Services are ``<name>-canary`` and ``<name>-stable`` (passed to the
templates as arguments); the queries read ``http_requests_total``,
``http_request_duration_seconds`` and ``model_predictions_total`` by
``service``.
"""

from __future__ import annotations

import math
from typing import Any

from simulator.export.argo_analysis import (
    CheckTiming,
    analysis_template,
    in_step_metrics,
    service_args,
    step_end_metric,
)
from simulator.export.context import ExportContext
from simulator.export.promql import HTTP_SERIES, Side
from simulator.export.rules import CheckWindows, RuleQuery, in_step_rules, step_end_rules
from simulator.scenario.canary_config import CanaryConfig
from simulator.scenario.manifests.quantities import format_go_duration

__all__ = ["argo_canary", "argo_side", "rollout_skeleton", "whole_weights", "refuse_canary_settings"]

_EPSILON = 1e-9


def argo_side(argument: str) -> Side:
    """The series of the version behind the Service named by template argument ``argument``."""
    matcher = f'service="{{{{args.{argument}}}}}"'
    return Side(matchers=matcher, prediction_matchers=matcher)


def whole_weights(context: ExportContext, config: CanaryConfig) -> None:
    """Refuse weights with a fraction of a percent: ``setWeight`` takes whole numbers."""
    schedule = config.schedule()
    if all(abs(weight - round(weight)) < _EPSILON for weight in schedule):
        return
    key = "steps" if config.steps is not None else "initialPercentage"
    raise context.refuse(key, ", ".join(f"{weight:g}" for weight in schedule),
                         "Argo's setWeight takes whole percentages (trafficRouting.maxTrafficWeight could make finer "
                         "units, but the Rollouts read back here weigh in percent)", "whole percentages")


def refuse_canary_settings(context: ExportContext, config: CanaryConfig) -> None:
    """Refuse a canary's settings that neither target can carry out."""
    if config.judge == "mann_whitney":
        raise context.refuse("judge", config.judge, "the statistical judge tests per-interval series with "
                             "Mann-Whitney U and scores them; a manifest's checks compare one value with a bound",
                             "judge: threshold")
    if config.baseline == "fresh":
        raise context.refuse("baseline", config.baseline, "a fresh baseline deployment of the stable version "
                             "needs experiment steps, which are not exported (and not simulated from manifests)",
                             "baseline: stable")


def rollout_skeleton(context: ExportContext, strategy: dict[str, Any], *, progress_deadline: float) -> dict[str, Any]:
    """A ``Rollout`` of the stable version's replicas with ``strategy`` (``{"canary": ...}`` or ``{"blueGreen": ...}``).

    ``progress_deadline`` (seconds, the strategy's ``readyTimeout``) is
    ``progressDeadlineSeconds``, with ``progressDeadlineAbort: true``.
    """
    name = context.name
    candidate = context.scenario.candidate or "candidate"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": context.replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "model", "image": f"registry.example/{name}:{candidate}"}]},
            },
            "progressDeadlineSeconds": math.ceil(progress_deadline),
            "progressDeadlineAbort": True,
            "strategy": strategy,
        },
    }


def _held_schedule(context: ExportContext, config: CanaryConfig) -> list[tuple[float, float]]:
    """(weight %, seconds held before its check) for each checked step; with rolloutDuration, laid out in advance."""
    schedule = config.schedule()
    steps = [(weight, config.step_duration(index)) for index, weight in enumerate(schedule)]
    duration = config.rollout_duration
    if duration is None:
        return steps
    held: list[tuple[float, float]] = []
    elapsed = 0.0
    for weight, seconds in steps:
        held.append((weight, seconds))
        elapsed += seconds
        if elapsed >= duration - _EPSILON:
            break
    while elapsed < duration - _EPSILON:
        held.append((schedule[-1], config.monitoring_duration))
        elapsed += config.monitoring_duration
    context.note("rolloutDuration", f"laid out as {len(held)} analysed steps of {elapsed:g}s in all. The "
                 "simulated canary also counts the time its replicas take to start between steps, so it may "
                 "promote one held step earlier; and it switches all traffic at once, where Argo's full promotion "
                 "first brings the canary to full size")
    return held


def _notes(context: ExportContext, config: CanaryConfig) -> None:
    if config.failure_limit:
        context.note("failureLimit", f"failureLimit {config.failure_limit} counts the failed in-step checks of "
                     "each step's AnalysisRun; the simulated canary counts them over the whole rollout")
    if config.on_inconclusive == "wait" and abs(config.recheck_interval - 10.0) > _EPSILON:
        context.note("recheckInterval", f"a step-end check waiting for data looks again every 10s (Argo's "
                     f"retry after an error), not every {config.recheck_interval:g}s")
    if config.on_inconclusive == "promote":
        context.note("onInconclusive", "promote: a step-end check without data passes at once, without waiting "
                     "for maxDataWait")
    thresholds = config.rollback_thresholds
    in_step = thresholds.error_rate_increase is not None or thresholds.max_error_rate is not None \
        or thresholds.max_response_time is not None
    if config.steps is not None and config.schedule()[-1] >= 100 and in_step and config.failure_limit:
        context.note("analysisWindow", "with failureLimit, the in-step checks at 100 % are one metric per rule, "
                     "comparing with the stable version's monitoringDuration window that ended the step's length "
                     "before each look (all of it before the weight reached 100 %); the simulated canary compares "
                     "with the window just before. Both are that window at the step's end")


def argo_canary(context: ExportContext, config: CanaryConfig) -> list[dict[str, Any]]:
    """The Rollout and the AnalysisTemplates of ``config``, in the order they are written."""
    refuse_canary_settings(context, config)
    _notes(context, config)
    name = context.name
    candidate_service, stable_service = f"{name}-canary", f"{name}-stable"
    held = _held_schedule(context, config)
    checked_at_100 = config.steps is not None or config.rollout_duration is not None
    whole_weights(context, config)
    templates: dict[str, dict[str, Any]] = {}
    steps: list[dict[str, Any]] = []
    if config.candidate_replicas == "full":
        steps.append({"setCanaryScale": {"replicas": context.replicas}})
    previous = 0.0
    for weight, seconds in held:
        if weight != previous:
            steps.append({"setWeight": round(weight)})
            previous = weight
        if weight >= 100 and not checked_at_100:
            break  # the seed guide's loop: at 100 % the canary is promoted unchecked (Argo's full promotion)
        frozen = weight >= 100
        template = f"{name}-step-{format_go_duration(seconds)}" + ("-at-100" if frozen else "")
        if template not in templates:
            templates[template] = _step_template(context, config, template, seconds, frozen=frozen)
        steps.append({"analysis": {"templates": [{"templateName": template}],
                                   "args": service_args(candidate_service, stable_service)}})
    canary: dict[str, Any] = {
        "canaryService": candidate_service,
        "stableService": stable_service,
        "trafficRouting": {"istio": {"virtualService": {"name": name, "routes": ["primary"]}}},
    }
    if config.capacity_mode == "proportional":
        canary["dynamicStableScale"] = True
    canary["steps"] = steps
    rollout = rollout_skeleton(context, {"canary": canary}, progress_deadline=config.ready_timeout)
    return [rollout, *templates.values()]


def _step_template(context: ExportContext, config: CanaryConfig, template: str, seconds: float, *,
                   frozen: bool) -> dict[str, Any]:
    """The checks of a step held ``seconds``; ``frozen``: against the stable version's window before 100 %."""
    candidate, stable = argo_side("candidate-service"), argo_side("stable-service")
    max_data_wait = config.max_data_wait if config.max_data_wait is not None else seconds + context.label_delay
    timing = CheckTiming(duration=seconds, interval=config.analysis_interval, max_data_wait=max_data_wait,
                         recheck_interval=config.recheck_interval, on_inconclusive=config.on_inconclusive,
                         failure_limit=config.failure_limit)
    rules = config.rollback_thresholds

    def in_step_at(offset: float) -> list[RuleQuery]:
        short = CheckWindows(candidate=config.analysis_window,
                             stable=config.monitoring_duration if frozen else config.analysis_window,
                             stable_offset=offset)
        return in_step_rules(HTTP_SERIES, candidate, stable, short, rules, minimum_requests=config.minimum_requests)

    whole = CheckWindows(candidate=seconds, stable=config.monitoring_duration if frozen else seconds,
                         stable_offset=seconds if frozen else 0.0)
    metrics = in_step_metrics(in_step_at, timing, frozen=frozen)
    metrics += [step_end_metric(rule, timing) for rule in step_end_rules(
        HTTP_SERIES, candidate, stable, whole, rules, latency_metric=config.latency_metric,
        minimum_requests=config.minimum_requests, minimum_labels=config.minimum_labels)]
    baseline = ("the stable version's window before the weight reached 100 %" if frozen
                else "the stable version over the same window")
    return analysis_template(template, metrics, description=f"a step of {format_go_duration(seconds)} at one "
                             f"weight: in-step checks every {format_go_duration(config.analysis_interval)}, the "
                             f"step-end check at its end; against {baseline}")
