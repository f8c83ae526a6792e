"""A scenario's BlueGreen as an Argo Rollouts ``blueGreen`` Rollout and its ``AnalysisTemplate``s.

:class:`~simulator.strategies.blue_green.BlueGreenStrategy` and Argo's
blue-green follow the same course (Argo's documented sequence of events):

=====================================  ==============================================================
ours                                   the Rollout
=====================================  ==============================================================
green deployed at blue's size          the preview ReplicaSet at ``spec.replicas`` (behind
                                       ``previewService``; no ``previewReplicaCount``)
green not ready within readyTimeout    ``progressDeadlineSeconds``, ``progressDeadlineAbort: true``
blue's baseline has data (requests,    ``prePromotionAnalysis``: the active Service's requests
labels for the accuracy rule)          (and labels) over ``monitoringDuration``
switch all traffic to green            ``autoPromotionEnabled: true``, no ``autoPromotionSeconds``:
                                       the active Service switches once the analysis passes
the watch after the switch (in-step    ``postPromotionAnalysis``: the checks of
and whole-watch checks against blue's  :mod:`~simulator.export.argo_analysis`; a failure aborts,
window before the switch)              which switches the active Service back
blue kept keepBlueDuration             ``scaleDownDelaySeconds``: counted from the switch, and it
                                       ends the post-promotion analysis, so it is
                                       ``monitoringDuration + keepBlueDuration``
=====================================  ==============================================================

The stable side of the watch's queries is the active Service's window
before the switch, read with ``offset``: after the switch the active Service
points at green. The smoke test's synthetic requests leave no series a
query could judge, so ``smokeTestSamples`` is noted, not exported;
``shiftSteps`` (Argo's blue-green switches at once) and ``validation`` are
refused.
"""

from __future__ import annotations

import math
from typing import Any

from simulator.export import promql
from simulator.export.argo import argo_side, rollout_skeleton
from simulator.export.argo_analysis import (
    CheckTiming,
    analysis_template,
    in_step_metrics,
    service_args,
    step_end_metric,
)
from simulator.export.context import ExportContext
from simulator.export.promql import HTTP_SERIES
from simulator.export.rules import CheckWindows, RuleQuery, in_step_rules, step_end_rules
from simulator.scenario.blue_green_config import BlueGreenConfig

__all__ = ["argo_blue_green"]

_EPSILON = 1e-9


def _refuse(context: ExportContext, config: BlueGreenConfig) -> None:
    if config.shift_steps is not None:
        raise context.refuse("shiftSteps", ", ".join(f"{weight:g}" for weight in config.shift_steps),
                             "Argo's blueGreen switches all traffic at once; a gradual shift is a canary",
                             "no shiftSteps (export the shift as a Canary strategy)")
    if config.validation is not None:
        raise context.refuse("validation", "a validator", "seed 003's validator judges synthetic response tests, "
                             "which leave no series a Prometheus query could judge",
                             "no validation in a strategy to export")


def _notes(context: ExportContext, config: BlueGreenConfig) -> None:
    if config.smoke_test_samples > 0:
        context.note("smokeTestSamples", f"the smoke test ({config.smoke_test_samples} synthetic requests to "
                     "green, judged before the switch) is not exported: its requests leave no series a query could "
                     "judge; a candidate it would stop is judged by the post-promotion analysis after the switch")
    if config.on_inconclusive == "wait" and abs(config.recheck_interval - 10.0) > _EPSILON:
        context.note("recheckInterval", f"a check waiting for data looks again every 10s (Argo's retry after an "
                     f"error), not every {config.recheck_interval:g}s")
    if config.on_inconclusive == "promote":
        context.note("onInconclusive", "promote: a check without data passes at once, without waiting for "
                     "maxDataWait")
    thresholds = config.rollback_thresholds
    in_step = thresholds.error_rate_increase is not None or thresholds.max_error_rate is not None \
        or thresholds.max_response_time is not None
    if config.failure_limit and in_step:
        context.note("analysisWindow", "with failureLimit, the in-step checks after the switch are one metric per "
                     "rule, comparing with blue's monitoringDuration window that ended monitoringDuration before "
                     "each look (all of it before the switch); the simulated watch compares with the window just "
                     "before the switch. Both are that window at the watch's end")


def _baseline_rule(config: BlueGreenConfig, context: ExportContext) -> RuleQuery:
    """Blue's window has the data the watch will compare with: requests, and labels for the accuracy rule."""
    stable = argo_side("stable-service")
    window = config.monitoring_duration
    gates = [promql.at_least(promql.request_count(HTTP_SERIES, stable, window),
                             promql.number(config.minimum_requests))]
    if config.rollback_thresholds.accuracy_drop is not None:
        gates.append(promql.at_least(promql.label_count(HTTP_SERIES, stable, window),
                                     promql.number(config.minimum_labels)))
    return RuleQuery(key="minimumRequests", name="stable-baseline", limit=1, unit="",
                     meaning="1 once blue's window holds minimumRequests requests (and minimumLabels labels)",
                     query=promql.guarded("vector(1)", gates))


def argo_blue_green(context: ExportContext, config: BlueGreenConfig) -> list[dict[str, Any]]:
    """The Rollout and the AnalysisTemplates of ``config``, in the order they are written."""
    _refuse(context, config)
    _notes(context, config)
    name = context.name
    preview, active = f"{name}-preview", f"{name}-active"
    watch = config.monitoring_duration
    max_data_wait = config.max_data_wait if config.max_data_wait is not None else watch + context.label_delay
    timing = CheckTiming(duration=watch, interval=config.analysis_interval, max_data_wait=max_data_wait,
                         recheck_interval=config.recheck_interval, on_inconclusive=config.on_inconclusive,
                         failure_limit=config.failure_limit)
    candidate, stable = argo_side("candidate-service"), argo_side("stable-service")
    rules = config.rollback_thresholds

    def in_step_at(offset: float) -> list[RuleQuery]:
        short = CheckWindows(candidate=config.analysis_window, stable=watch, stable_offset=offset)
        return in_step_rules(HTTP_SERIES, candidate, stable, short, rules, minimum_requests=config.minimum_requests)

    whole = CheckWindows(candidate=watch, stable=watch, stable_offset=watch)
    metrics = in_step_metrics(in_step_at, timing, frozen=True)
    metrics += [step_end_metric(rule, timing) for rule in step_end_rules(
        HTTP_SERIES, candidate, stable, whole, rules, latency_metric=config.latency_metric,
        minimum_requests=config.minimum_requests, minimum_labels=config.minimum_labels)]
    baseline_timing = CheckTiming(duration=0.0, interval=config.analysis_interval, max_data_wait=max_data_wait,
                                  recheck_interval=config.recheck_interval, on_inconclusive=config.on_inconclusive,
                                  failure_limit=0)
    baseline = analysis_template(f"{name}-baseline", [step_end_metric(_baseline_rule(config, context),
                                                                      baseline_timing)],
                                 description="before the switch: blue's window holds the data the watch compares "
                                             "with")
    watch_template = analysis_template(
        f"{name}-watch", metrics, description=f"the watch after the switch: in-step checks every "
        f"{config.analysis_interval:g}s, the whole watch at its end ({watch:g}s), against blue's window before the "
        "switch")
    args = service_args(preview, active)
    blue_green = {
        "activeService": active,
        "previewService": preview,
        "autoPromotionEnabled": True,
        "prePromotionAnalysis": {"templates": [{"templateName": f"{name}-baseline"}], "args": args},
        "postPromotionAnalysis": {"templates": [{"templateName": f"{name}-watch"}], "args": args},
        "scaleDownDelaySeconds": math.ceil(watch + config.keep_blue_duration - _EPSILON),
    }
    rollout = rollout_skeleton(context, {"blueGreen": blue_green}, progress_deadline=config.ready_timeout)
    return [rollout, baseline, watch_template]
