"""A scenario's Canary as a Flagger ``Canary`` and one ``MetricTemplate`` per rollback rule.

Flagger checks every ``analysis.interval`` and moves the weight one step at
each passing check, so a step of ours (a weight held ``monitoringDuration``,
then checked over that window) is one Flagger interval: ``interval`` and each
metric's ``interval`` (its query's window) are ``monitoringDuration``. The
weights are ``stepWeight``/``maxWeight`` when they climb by equal steps from 0,
else ``stepWeights``; at the top weight one more passing check promotes, as
ours promotes when the seed guide's loop reaches 100 %. ``threshold: 1``: the
first failed check rolls back (at the next check, as Flagger does).

Each rule is a MetricTemplate whose query returns the rule's figure, held to
``thresholdRange: {max: LIMIT}`` (see :mod:`simulator.export.rules`); a query
without a value (too few requests or labels) fails the check, as Flagger
fails a metric with no value. The series are Istio's, by workload (the
candidate in Deployment ``<name>``, the stable version in ``<name>-primary``,
reporter ``source`` so that every request counts, as in our error rate), and
``model_predictions_total`` by Service (``<name>-canary``, ``<name>-primary``).

What Flagger cannot do is refused or noted (see ``docs/export.md``): no
in-step checks between intervals, the canary at the primary's full size
from the start, no check at 100 %, no waiting for data.
"""

from __future__ import annotations

import math
from typing import Any

from simulator.export.context import PROMETHEUS_ADDRESS, ExportContext
from simulator.export.promql import ISTIO_SERIES, Side, promql_duration
from simulator.export.rules import CheckWindows, step_end_rules
from simulator.scenario.canary_config import CanaryConfig

__all__ = ["flagger_canary", "flagger_interval", "FLAGGER_NAMESPACE"]

FLAGGER_NAMESPACE = "default"
"""The namespace the Canary and its MetricTemplates are written in."""

_EPSILON = 1e-9


def flagger_interval(seconds: float) -> str:
    """``seconds`` as Flagger's CRD takes an interval: whole minutes and seconds (``5m``, ``1m30s``, ``90m``)."""
    whole = math.ceil(seconds - _EPSILON)
    minutes, rest = divmod(whole, 60)
    return (f"{minutes}m" if minutes else "") + (f"{rest}s" if rest or not minutes else "")


def _flagger_side(workload: str, service: str) -> Side:
    return Side(matchers=f'reporter="source", destination_workload_namespace="{{{{ namespace }}}}", '
                         f'destination_workload="{workload}"',
                prediction_matchers=f'namespace="{{{{ namespace }}}}", service="{service}"')


def _checked_weights(context: ExportContext, config: CanaryConfig) -> list[int]:
    """The weights Flagger steps through (%), each checked before the next; refuses what it cannot step through."""
    if config.rollout_duration is not None:
        raise context.refuse("rolloutDuration", config.rollout_duration, "Flagger moves the weight at every "
                             "passing check and cannot hold one weight over several checks",
                             "no rolloutDuration (or --to argo)")
    schedule = config.schedule()
    if any(abs(weight - round(weight)) > _EPSILON for weight in schedule):
        key = "steps" if config.steps is not None else "initialPercentage"
        raise context.refuse(key, ", ".join(f"{weight:g}" for weight in schedule), "Flagger's weights are whole "
                             "percentages", "whole percentages (or --to argo, whose maxTrafficWeight takes "
                             "fractions)")
    checked = [round(weight) for weight in schedule if weight < 100]
    if not checked:
        raise context.refuse("steps", "100", "a single step at 100 % leaves Flagger no weight to analyse before "
                             "the promotion", "a weight below 100 first")
    if config.steps is not None:
        context.note("steps", "the check at 100 % is not exported: at 100 % Flagger's primary serves nothing and "
                     "a MetricTemplate cannot switch to its window before the change; the canary is promoted after "
                     f"the check at {checked[-1]} %")
    return checked


def _notes(context: ExportContext, config: CanaryConfig) -> None:
    interval = flagger_interval(config.monitoring_duration)
    context.note("monitoringDuration", f"each weight is one Flagger interval ({interval}); Flagger sets the first "
                 "weight one interval after it scales the canary up, and rolls back at the check after a failed "
                 "one: decisions come one to two intervals after the simulated canary's")
    context.note("analysisInterval", "Flagger checks once per interval: the in-step checks (errorRateIncrease, "
                 "maxErrorRate, maxResponseTime on the last analysisWindow) are folded into the check at the end of "
                 "each interval")
    if config.failure_limit:
        context.note("failureLimit", f"failureLimit {config.failure_limit} counts in-step checks, which Flagger "
                     "does not make; every failed check counts (threshold: 1)")
    if config.initial_duration is not None and abs(config.initial_duration - config.monitoring_duration) > _EPSILON:
        context.note("initialDuration", f"the first weight is held one interval ({interval}) like the others, not "
                     f"{config.initial_duration:g}s")
    if config.candidate_replicas == "proportional":
        context.note("candidateReplicas", "Flagger scales the canary to the primary's size from the start, not "
                     "to its weight")
    if config.capacity_mode == "proportional":
        context.note("capacity", "the primary keeps all its replicas until the promotion (Flagger has no "
                     "dynamicStableScale)")
    delay = context.label_delay
    if config.rollback_thresholds.accuracy_drop is not None and delay > 0:
        context.note("rollbackThresholds.accuracyDrop", f"labels arrive {delay:g}s after the response: each check "
                     f"sees the labels that arrived during its interval, of predictions made up to {delay:g}s "
                     "before it, and fails with fewer than minimumLabels, where the simulated canary waits for them")
    if config.on_inconclusive == "wait":
        context.note("onInconclusive", "wait: a check without data fails at once (Flagger fails a metric without "
                     "a value); the simulated canary first waits up to maxDataWait")


def _weights(weights: list[int]) -> dict[str, Any]:
    step = weights[0]
    if weights == [step * (index + 1) for index in range(len(weights))]:
        return {"stepWeight": step, "maxWeight": weights[-1]}
    return {"stepWeights": weights}


def flagger_canary(context: ExportContext, config: CanaryConfig) -> list[dict[str, Any]]:
    """The Canary and the MetricTemplates of ``config``, in the order they are written."""
    from simulator.export.argo import refuse_canary_settings

    refuse_canary_settings(context, config)
    if config.on_inconclusive in ("promote", "pause"):
        raise context.refuse("onInconclusive", config.on_inconclusive, "Flagger fails a check whose metric has "
                             "no value, and cannot pass or pause on it", "onInconclusive wait or rollback "
                             "(or --to argo)")
    weights = _checked_weights(context, config)
    delay = context.label_delay
    if config.rollback_thresholds.accuracy_drop is not None and delay >= config.monitoring_duration - _EPSILON:
        raise context.refuse("rollbackThresholds.accuracyDrop", config.rollback_thresholds.accuracy_drop,
                             f"labels arrive {delay:g}s after the response (monitoring.labels.delay), no sooner than "
                             f"a check's interval ({config.monitoring_duration:g}s) is over: Flagger would check "
                             "accuracy on the labels of earlier weights or none, and fail the check without them, "
                             "where the simulated canary waits for them", "labels that arrive within an interval, "
                             "no accuracyDrop, or --to argo")
    _notes(context, config)
    name, namespace = context.name, FLAGGER_NAMESPACE
    window = config.monitoring_duration
    rules = step_end_rules(
        ISTIO_SERIES, _flagger_side("{{ target }}", "{{ service }}-canary"),
        _flagger_side("{{ target }}-primary", "{{ service }}-primary"),
        CheckWindows(candidate=window, stable=window), config.rollback_thresholds,
        latency_metric=config.latency_metric, minimum_requests=config.minimum_requests,
        minimum_labels=config.minimum_labels)
    # The queries' window is the metric's interval: {{ interval }} is what Flagger substitutes for it.
    templates = [{
        "apiVersion": "flagger.app/v1beta1",
        "kind": "MetricTemplate",
        "metadata": {"name": f"{name}-{rule.name}", "namespace": namespace,
                     "annotations": {"rollout-sim/checks": f"{rule.key}: {rule.meaning}"}},
        "spec": {"provider": {"type": "prometheus", "address": PROMETHEUS_ADDRESS},
                 "query": _with_interval(rule.query, window) + "\n"},
    } for rule in rules]
    metrics = [{"name": rule.name, "templateRef": {"name": f"{name}-{rule.name}", "namespace": namespace},
                "thresholdRange": {"max": int(rule.limit) if float(rule.limit).is_integer() else rule.limit},
                "interval": flagger_interval(window)} for rule in rules]
    canary = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "provider": "istio",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "progressDeadlineSeconds": math.ceil(config.ready_timeout),
            "service": {"port": 8080},
            "analysis": {"interval": flagger_interval(window), "threshold": 1, **_weights(weights),
                         "metrics": metrics},
        },
    }
    return [canary, *templates]


def _with_interval(query: str, window: float) -> str:
    """``query`` with its window written as Flagger's ``{{ interval }}`` (the metric's interval)."""
    return query.replace(f"[{promql_duration(window)}]", "[{{ interval }}]")
