"""Our checks as Argo Rollouts ``AnalysisTemplate`` metrics: when each is measured and how its value is judged.

A step of ours (a canary's weight, a blue-green watch) runs two kinds of
checks (:mod:`simulator.strategies.watch`), and each rule of each becomes a
metric of one template, run by an ``analysis`` step (or a blue-green
``postPromotionAnalysis``) that starts when the step does:

* **in-step** checks every ``analysisInterval`` on the last
  ``analysisWindow``: ``initialDelay`` and ``interval`` the analysis
  interval, ``count`` the looks that fit in the step. An empty result
  (too few requests) passes, as an inconclusive in-step check lets the step
  go on: ``len(result) == 0 || result[0] <= LIMIT``. ``failureLimit`` is the
  strategy's.
* the **step-end** check on the whole step: one measurement, ``initialDelay``
  the step's length. An empty result is inconclusive, and what follows is
  the strategy's ``onInconclusive``:

  ========  ======================================================================
  wait      ``result[0] <= LIMIT``: an empty result is an evaluation error, which
            Argo measures again every 10 s; ``consecutiveErrorLimit`` errors
            (``maxDataWait`` / 10 s) end the analysis in Error, which aborts
  rollback  ``len(result) > 0 && result[0] <= LIMIT``: no data fails at once
  promote   ``len(result) == 0 || result[0] <= LIMIT``: no data passes at once
  pause     success ``len(result) > 0 && result[0] <= LIMIT``, failure
            ``len(result) > 0 && result[0] > LIMIT``: no data is inconclusive;
            measured every ``recheckInterval`` until ``maxDataWait`` is over
            (``consecutiveSuccessLimit: 1`` ends it at the first pass), then
            Inconclusive, which pauses the Rollout
  ========  ======================================================================
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.analysis.argo.run_state import ERROR_RETRY_INTERVAL
from simulator.export.context import PROMETHEUS_ADDRESS
from simulator.export.promql import number
from simulator.export.rules import RuleQuery
from simulator.scenario.manifests.quantities import format_go_duration

__all__ = ["CheckTiming", "look_times", "in_step_metric", "in_step_metrics", "step_end_metric", "analysis_template",
           "SERVICE_ARGS", "service_args"]

SERVICE_ARGS = ("candidate-service", "stable-service")
"""The arguments every exported template takes: the Services in front of the candidate and the stable version."""

_EPSILON = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckTiming:
    """When one step's checks are due and what an inconclusive one does (seconds)."""

    duration: float
    interval: float
    max_data_wait: float
    recheck_interval: float
    on_inconclusive: str
    failure_limit: int


def _provider(query: str) -> dict[str, Any]:
    return {"prometheus": {"address": PROMETHEUS_ADDRESS, "query": query + "\n"}}


def look_times(timing: CheckTiming) -> list[float]:
    """Seconds into the step of each in-step look: every interval that fits, or the step's end if none does."""
    looks = math.floor(timing.duration / timing.interval + _EPSILON)
    return [timing.interval * (index + 1) for index in range(looks)] or [timing.duration]


def in_step_metric(rule: RuleQuery, timing: CheckTiming) -> dict[str, Any]:
    """``rule`` measured at every in-step look (every analysis interval); no data passes."""
    looks = look_times(timing)
    metric: dict[str, Any] = {"name": f"{rule.name}-in-step", "initialDelay": format_go_duration(looks[0]),
                              "count": len(looks)}
    if len(looks) > 1:
        metric["interval"] = format_go_duration(timing.interval)
    metric["successCondition"] = f"len(result) == 0 || result[0] <= {number(rule.limit)}"
    if timing.failure_limit:
        metric["failureLimit"] = timing.failure_limit
    metric["provider"] = _provider(rule.query)
    return metric


def in_step_metrics(rules_at: Callable[[float], list[RuleQuery]], timing: CheckTiming, *,
                    frozen: bool) -> list[dict[str, Any]]:
    """The in-step checks of a step; ``rules_at(offset)`` builds them with the stable window ``offset`` s back.

    Against a concurrent baseline, one metric per rule measures every look.
    Against a frozen one (the stable version's window before a change),
    each look is a metric of its own whose stable window ends exactly at
    the change (``offset`` the look's time into the step), as the simulated
    strategies compare; with a ``failureLimit``, which counts failures
    across looks, one metric per rule instead, its stable window ending the
    step's length before each look (all of it before the change).
    """
    if not frozen:
        return [in_step_metric(rule, timing) for rule in rules_at(0.0)]
    if timing.failure_limit:
        return [in_step_metric(rule, timing) for rule in rules_at(timing.duration)]
    metrics = []
    for at in look_times(timing):
        for rule in rules_at(at):
            metrics.append({"name": f"{rule.name}-at-{format_go_duration(at)}",
                            "initialDelay": format_go_duration(at), "count": 1,
                            "successCondition": f"len(result) == 0 || result[0] <= {number(rule.limit)}",
                            "provider": _provider(rule.query)})
    return metrics


def step_end_metric(rule: RuleQuery, timing: CheckTiming) -> dict[str, Any]:
    """``rule`` measured once the step is over; no data does what ``onInconclusive`` says."""
    limit = number(rule.limit)
    metric: dict[str, Any] = {"name": rule.name}
    if timing.duration > 0:
        metric["initialDelay"] = format_go_duration(timing.duration)
    mode = timing.on_inconclusive
    if mode == "wait":
        metric.update(count=1, successCondition=f"result[0] <= {limit}",
                      consecutiveErrorLimit=max(1, math.ceil(timing.max_data_wait / ERROR_RETRY_INTERVAL - _EPSILON)))
    elif mode == "rollback":
        metric.update(count=1, successCondition=f"len(result) > 0 && result[0] <= {limit}")
    elif mode == "promote":
        metric.update(count=1, successCondition=f"len(result) == 0 || result[0] <= {limit}")
    elif mode == "pause":
        looks = 1 + math.ceil(timing.max_data_wait / timing.recheck_interval - _EPSILON)
        metric.update(interval=format_go_duration(timing.recheck_interval), count=looks,
                      successCondition=f"len(result) > 0 && result[0] <= {limit}",
                      failureCondition=f"len(result) > 0 && result[0] > {limit}",
                      consecutiveSuccessLimit=1, inconclusiveLimit=looks)
    else:
        raise ValueError(f"expected onInconclusive wait, rollback, promote or pause; got {mode!r}")
    metric["provider"] = _provider(rule.query)
    return metric


def analysis_template(name: str, metrics: list[dict[str, Any]], *, args: tuple[str, ...] = SERVICE_ARGS,
                      description: str = "") -> dict[str, Any]:
    """An ``AnalysisTemplate`` named ``name`` that takes ``args`` and measures ``metrics``."""
    metadata: dict[str, Any] = {"name": name}
    if description:
        metadata["annotations"] = {"rollout-sim/checks": description}
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate", "metadata": metadata,
            "spec": {"args": [{"name": arg} for arg in args], "metrics": metrics}}


def service_args(candidate_service: str, stable_service: str) -> list[dict[str, str]]:
    """The arguments a Rollout's analysis passes to the exported templates."""
    return [{"name": SERVICE_ARGS[0], "value": candidate_service}, {"name": SERVICE_ARGS[1], "value": stable_service}]
