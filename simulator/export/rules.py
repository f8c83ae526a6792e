"""Our rollback rules as PromQL queries, each checking what :mod:`simulator.analysis.thresholds` checks.

One :class:`RuleQuery` per rule of a strategy's ``rollbackThresholds``: a
query with one value, which passes when it is at most :attr:`RuleQuery.limit`
(as every rule here fails when its figure *exceeds* the limit):

==================  =====================================================  ==========================
rule                value of the query                                      limit
==================  =====================================================  ==========================
errorRateIncrease   candidate error rate - stable error rate                the increase (0-1)
latencyIncrease     candidate latency statistic / stable latency statistic  the ratio
accuracyDrop        (stable accuracy - candidate accuracy) / stable          the relative drop (0-1)
maxErrorRate        candidate error rate                                    the rate (0-1)
maxResponseTime     candidate mean latency, histogram units                 the limit in those units
==================  =====================================================  ==========================

The data rules of one check are gates on every query (:func:`promql.guarded`):
fewer than ``minimumRequests`` requests on either side, or for
``accuracyDrop`` fewer than ``minimumLabels`` labels, leave the result empty,
which is "inconclusive" to the manifest's conditions. The short in-step
windows need more requests, as the strategies ask
(:func:`~simulator.strategies.watch.in_step_minimum_requests`): enough for
three errors at the limit, and for the limit to be three standard errors of
the difference at the stable version's error rate; that part depends on the
measured rate, so it is a PromQL expression too (:func:`in_step_minimum`).

``driftScore`` has no query: the drift score is the simulator's own drift
monitor's, which no Prometheus series carries; :func:`refuse_untranslatable`
says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.errors import ScenarioError
from simulator.export import promql
from simulator.export.promql import SeriesNames, Side
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.strategies.watch import EVENTS_PER_RULE

__all__ = ["RuleQuery", "CheckWindows", "step_end_rules", "in_step_rules", "in_step_minimum", "refuse_untranslatable"]

@dataclass(frozen=True, slots=True, kw_only=True)
class RuleQuery:
    """One rule as a query: it passes when the query's one value is at most ``limit`` (in ``unit``).

    ``key`` is the rule's key in a scenario (``errorRateIncrease``),
    ``name`` the metric's name in a manifest (``error-rate-increase``),
    ``meaning`` a phrase saying what the value is.
    """

    key: str
    name: str
    query: str
    limit: float
    unit: str
    meaning: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckWindows:
    """The windows one check compares, seconds.

    The candidate's is its last ``candidate`` seconds; the stable
    version's the ``stable`` seconds that ended ``stable_offset`` seconds
    ago: 0 while it serves beside the candidate, the time since the change
    when it serves nothing any more (a canary at 100 %, after a blue-green
    switch), so that the window is the one before the change.
    """

    candidate: float
    stable: float
    stable_offset: float = 0.0


def refuse_untranslatable(thresholds: RollbackThresholds, path: str) -> None:
    """Raise :class:`ScenarioError` for a rule no Prometheus query can check (``driftScore``)."""
    if thresholds.drift_score is not None:
        raise ScenarioError(
            f"got {thresholds.drift_score:g}: the drift score comes from the simulator's drift monitor (the largest "
            "feature PSI of the requests served), which no Prometheus series carries; expected no driftScore in a "
            "strategy to export",
            path=f"{path}.rollbackThresholds.driftScore", value=thresholds.drift_score)


def _request_gates(names: SeriesNames, candidate: Side, stable: Side, windows: CheckWindows,
                   minimum: str) -> list[str]:
    return [promql.at_least(promql.request_count(names, candidate, windows.candidate), minimum),
            promql.at_least(promql.request_count(names, stable, windows.stable, windows.stable_offset), minimum)]


def in_step_minimum(names: SeriesNames, stable: Side, windows: CheckWindows, thresholds: RollbackThresholds,
                    minimum_requests: int) -> str:
    """Requests each side of an in-step window needs, as a PromQL number or ``scalar(...)`` expression.

    The constant part (``minimumRequests``, three errors at each limit) is a
    number; the part that grows with the stable version's error rate ``p``
    (``9 x 2p(1 - p) / limit^2``; ``9 p(1 - p) / (maxErrorRate - p)^2``
    while ``p`` is below ``maxErrorRate``) reads ``p`` over the stable
    window.
    """
    increase, ceiling = thresholds.error_rate_increase, thresholds.max_error_rate
    constant = minimum_requests
    if increase:
        constant = max(constant, math.ceil(EVENTS_PER_RULE / increase))
    if ceiling:
        constant = max(constant, math.ceil(EVENTS_PER_RULE / ceiling))
    if not increase and not ceiling:
        return promql.number(constant)
    rate = promql.error_rate(names, stable, windows.stable, windows.stable_offset)
    spread = f"{rate} * (1 - {rate})"
    needed = promql.number(constant)
    terms = []
    if increase:
        terms.append(f"{promql.number(EVENTS_PER_RULE ** 2 * 2)} * {spread} / {promql.number(increase ** 2)}")
    if ceiling:
        gap = f"clamp_min({promql.number(ceiling)} - {rate}, {promql.number(ceiling / 1000)})"
        terms.append(f"{promql.number(EVENTS_PER_RULE ** 2)} * {spread} / {gap} ^ 2 * ({rate} < bool "
                     f"{promql.number(ceiling)})")
    vector = f"clamp_min({terms[0]}, {needed})"
    for term in terms[1:]:
        vector = promql.largest(term, vector)
    return f"scalar({vector})"


def _absolute_rules(names: SeriesNames, candidate: Side, thresholds: RollbackThresholds, window: float,
                    gates: list[str]) -> list[RuleQuery]:
    rules = []
    if thresholds.max_error_rate is not None:
        rules.append(RuleQuery(
            key="maxErrorRate", name="max-error-rate", limit=thresholds.max_error_rate, unit="",
            meaning="the candidate's error rate (0-1)",
            query=promql.guarded(promql.error_rate(names, candidate, window), gates)))
    if thresholds.max_response_time is not None:
        limit = thresholds.max_response_time / names.seconds_per_unit
        rules.append(RuleQuery(
            key="maxResponseTime", name="max-response-time", limit=limit, unit=names.latency_unit,
            meaning=f"the candidate's mean latency ({names.latency_unit})",
            query=promql.guarded(promql.latency_statistic(names, candidate, window, "mean"), gates)))
    return rules


def _error_rate_increase(names: SeriesNames, candidate: Side, stable: Side, windows: CheckWindows, limit: float,
                         gates: list[str]) -> RuleQuery:
    difference = (f"{promql.error_rate(names, candidate, windows.candidate)}\n  - "
                  f"{promql.error_rate(names, stable, windows.stable, windows.stable_offset)}")
    return RuleQuery(key="errorRateIncrease", name="error-rate-increase", limit=limit, unit="",
                     meaning="the candidate's error rate minus the stable version's (0-1)",
                     query=promql.guarded(difference, gates))


def step_end_rules(names: SeriesNames, candidate: Side, stable: Side, windows: CheckWindows,
                   thresholds: RollbackThresholds, *, latency_metric: str, minimum_requests: int,
                   minimum_labels: int) -> list[RuleQuery]:
    """Every rule of ``thresholds`` but ``driftScore`` over the whole step's windows, in our rules' order."""
    gates = _request_gates(names, candidate, stable, windows, promql.number(minimum_requests))
    rules = []
    if thresholds.error_rate_increase is not None:
        rules.append(_error_rate_increase(names, candidate, stable, windows, thresholds.error_rate_increase, gates))
    if thresholds.latency_increase is not None:
        ratio = (f"{promql.latency_statistic(names, candidate, windows.candidate, latency_metric)}\n  / "
                 f"{promql.latency_statistic(names, stable, windows.stable, latency_metric, windows.stable_offset)}")
        rules.append(RuleQuery(
            key="latencyIncrease", name="latency-increase", limit=thresholds.latency_increase, unit="",
            meaning=f"the candidate's {latency_metric} latency over the stable version's (a ratio)",
            query=promql.guarded(ratio, gates)))
    if thresholds.accuracy_drop is not None:
        minimum = promql.number(minimum_labels)
        label_gates = [
            promql.at_least(promql.label_count(names, candidate, windows.candidate), minimum),
            promql.at_least(promql.label_count(names, stable, windows.stable, windows.stable_offset), minimum),
        ]
        stable_accuracy = promql.accuracy(names, stable, windows.stable, windows.stable_offset)
        drop = (f"({stable_accuracy}\n   - {promql.accuracy(names, candidate, windows.candidate)})\n"
                f"  / {stable_accuracy}")
        rules.append(RuleQuery(
            key="accuracyDrop", name="accuracy-drop", limit=thresholds.accuracy_drop, unit="",
            meaning="the stable version's accuracy minus the candidate's, over the stable version's (relative)",
            query=promql.guarded(drop, gates + label_gates)))
    rules += _absolute_rules(names, candidate, thresholds, windows.candidate, gates)
    if not rules:  # no rule at all: the check still needs its data, as compare_to_baseline does
        rules.append(RuleQuery(key="minimumRequests", name="enough-requests", limit=1, unit="",
                               meaning="1 once both versions served minimumRequests requests",
                               query=promql.guarded("vector(1)", gates)))
    return rules


def in_step_rules(names: SeriesNames, candidate: Side, stable: Side, windows: CheckWindows,
                  thresholds: RollbackThresholds, *, minimum_requests: int) -> list[RuleQuery]:
    """The rules an in-step check evaluates (``errorRateIncrease``, ``maxErrorRate``, ``maxResponseTime``)."""
    minimum = in_step_minimum(names, stable, windows, thresholds, minimum_requests)
    gates = _request_gates(names, candidate, stable, windows, minimum)
    rules = []
    if thresholds.error_rate_increase is not None:
        rules.append(_error_rate_increase(names, candidate, stable, windows, thresholds.error_rate_increase, gates))
    return rules + _absolute_rules(names, candidate, thresholds, windows.candidate, gates)
