"""The plan of a Flagger canary: plain frozen data, checked when it is built.

A plan says what a ``Canary``'s ``analysis`` says, in the words of its
manifest: the interval between checks (seconds), the failed-check
``threshold``, how the weight moves (``stepWeight`` up to ``maxWeight``,
or through ``stepWeights``; or a fixed number of ``iterations`` at 0 %, the
blue-green style, or A/B testing with ``match``), how it moves back after
the promotion (``stepWeightPromotion``), traffic mirroring, cookie-based
session affinity, and the checks: the metrics
(:class:`MetricCheck`, each a PromQL query already rendered from its
template, with the range its value must stay in) and the webhooks
(:class:`Webhook`, each with the answers the scenario gives it, and the load
a ``hey`` command it hands to a load tester sends: :class:`LoadTesterCommand`).
Weights are percent (0 to 100), as Flagger's total weight is always 100.

How a metric's value is judged follows Flagger's scheduler
(``pkg/controller/scheduler_metrics.go``):

* with a ``thresholdRange``, the value fails below ``min`` or above
  ``max`` (either may be absent; with neither, every value passes);
* without one, the deprecated ``threshold`` (default 0): the success rate
  fails below it, the duration and any other metric above it;
* ``request-duration`` is read as Flagger reads it: the query's value (in
  milliseconds) cut to whole milliseconds, and the bounds too, so 250.7 ms
  passes ``max: 250``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["MetricCheck", "Webhook", "LoadTesterCommand", "FlaggerPlan", "Comparison", "MetricSource",
           "LoadTarget", "TOTAL_WEIGHT", "DEFAULT_PROGRESS_DEADLINE", "judge"]

TOTAL_WEIGHT = 100
"""Flagger's total traffic weight: weights are percent."""

DEFAULT_PROGRESS_DEADLINE = 600.0
"""Seconds a canary may take to become ready before Flagger rolls it back (``progressDeadlineSeconds``)."""

Comparison = Literal["success-rate", "duration", "value"]
"""How a metric's value meets its bounds: as a success rate (percent), a duration (milliseconds) or a number."""

MetricSource = Literal["builtin", "query", "template"]
"""Where a metric's query came from: Flagger's own, the Canary's inline ``query``, or a MetricTemplate."""

LoadTarget = Literal["canary", "primary"]
"""The Deployment whose own Service a load test calls: ``<name>-canary`` or ``<name>-primary``."""


def _check_percent(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= TOTAL_WEIGHT:
        raise ValueError(f"{name} must be a whole percentage 0 to {TOTAL_WEIGHT}, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricCheck:
    """One metric of the analysis, judged at every check.

    ``query`` is the PromQL query with its template's variables substituted
    (``{{ namespace }}``, ``{{ target }}``, ``{{ interval }}``, ...), or
    ``None`` when the substitution fails as Flagger's would (an unknown
    variable): ``render_error`` says why, and the metric fails every check.
    ``threshold_range`` is ``(min, max)`` (each ``None`` when absent), or
    ``None`` when the metric has none; then ``threshold`` applies (see the
    module's notes).
    """

    name: str
    source: MetricSource
    comparison: Comparison
    query: str | None
    render_error: str | None = None
    threshold_range: tuple[float | None, float | None] | None = None
    threshold: float = 0.0

    def __post_init__(self) -> None:
        if (self.query is None) == (self.render_error is None):
            raise ValueError(f"metric {self.name}: expected a query or a render error, not both or neither")
        bounds = [bound for bound in self.threshold_range or () if bound is not None]
        if any(not math.isfinite(bound) for bound in bounds) or not math.isfinite(self.threshold):
            raise ValueError(f"metric {self.name}: thresholds must be finite numbers, got {self.threshold_range} "
                             f"and {self.threshold}")

    @property
    def unit(self) -> str:
        """The unit of the value: ``%``, ``ms`` or empty."""
        return {"success-rate": "%", "duration": "ms", "value": ""}[self.comparison]


def _go_milliseconds(value: float) -> float:
    """``value`` milliseconds as a Go ``time.Duration`` holds it: cut to whole milliseconds."""
    return float(math.trunc(value)) if math.isfinite(value) else value


def _shown(value: float, comparison: Comparison) -> str:
    if comparison == "duration":
        return f"{value:g}ms"
    if comparison == "success-rate":
        return f"{value:.2f}%"
    return f"{value:.2f}"


def judge(check: MetricCheck, value: float) -> tuple[bool, str]:
    """Whether ``value`` (the query's) passes ``check``, and a sentence: ``request duration 312ms > 250ms``."""
    comparison = check.comparison
    if comparison == "duration":
        value = _go_milliseconds(value)
    label = {"success-rate": "success rate ", "duration": "request duration "}.get(comparison, "")
    shown = label + _shown(value, comparison)
    if check.threshold_range is not None:
        minimum, maximum = check.threshold_range
        if comparison == "duration":
            minimum = None if minimum is None else _go_milliseconds(minimum)
            maximum = None if maximum is None else _go_milliseconds(maximum)
        if minimum is not None and value < minimum:
            return False, f"{shown} < {minimum:g}{check.unit}"
        if maximum is not None and value > maximum:
            return False, f"{shown} > {maximum:g}{check.unit}"
        within = [f">= {minimum:g}{check.unit}" if minimum is not None else "",
                  f"<= {maximum:g}{check.unit}" if maximum is not None else ""]
        return True, f"{shown} " + (" and ".join(part for part in within if part) or "(no bounds)")
    threshold = _go_milliseconds(check.threshold) if comparison == "duration" else check.threshold
    if comparison == "success-rate":
        if threshold > value:
            return False, f"{shown} < {threshold:g}{check.unit}"
        return True, f"{shown} >= {threshold:g}{check.unit}"
    if value > threshold:
        return False, f"{shown} > {threshold:g}{check.unit}"
    return True, f"{shown} <= {threshold:g}{check.unit}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadTesterCommand:
    """A ``hey`` command a webhook hands to flagger-loadtester (``metadata.cmd``), and the load it sends.

    ``workers`` clients each send a request every ``period`` seconds for
    ``duration`` seconds to the Service of ``target``. The load tester knows
    a run by the Canary and ``command``: while one is going, a call with the
    same command starts none.
    """

    command: str
    target: LoadTarget
    workers: int
    period: float
    duration: float

    def __post_init__(self) -> None:
        if self.workers < 1 or not (math.isfinite(self.period) and self.period > 0) \
                or not (math.isfinite(self.duration) and self.duration >= 0):
            raise ValueError(f"load test {self.command!r}: expected >= 1 worker, a period > 0 s and a duration "
                             f">= 0 s, got {self.workers}, {self.period!r} s and {self.duration!r} s")


@dataclass(frozen=True, slots=True, kw_only=True)
class Webhook:
    """One of the Canary's webhooks, answered by the scenario.

    ``kind`` is its type (``confirm-rollout``, ``pre-rollout``, ``rollout``,
    ``confirm-traffic-increase``, ``confirm-promotion``, ``rollback``;
    ``post-rollout`` and ``event`` only notify and are not kept). It
    answers ``default`` (``True``: a 2xx) until the first of ``answers``,
    ``(from_s, passes)`` pairs in time order. ``load`` is the load test it
    starts on the load tester when a call passes (``None``: none).
    """

    name: str
    kind: str
    default: bool = True
    answers: tuple[tuple[float, bool], ...] = ()
    load: LoadTesterCommand | None = None

    def __post_init__(self) -> None:
        times = [at for at, _ in self.answers]
        if any(not (math.isfinite(at) and at >= 0) for at in times):
            raise ValueError(f"webhook {self.name}: answer times must be >= 0 seconds, got {times}")
        if times != sorted(set(times)):
            raise ValueError(f"webhook {self.name}: answer times must be increasing, got {times}")

    def passes(self, now: float) -> bool:
        """Whether a call at ``now`` seconds gets a 2xx answer."""
        answer = self.default
        for at, passes in self.answers:
            if at > now:
                break
            answer = passes
        return answer

    def next_change(self, now: float) -> float | None:
        """When the answer is next given anew after ``now`` (seconds), or ``None``."""
        return next((at for at, _ in self.answers if at > now), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class FlaggerPlan:
    """What one Canary's analysis asks for.

    ``name``, ``namespace`` and ``target`` (``targetRef.name``) name the
    Canary in events. ``interval_s`` is the seconds between checks (Flagger
    runs no faster than every 10 s). ``threshold`` failed checks roll back.
    The weight moves by ``step_weight`` until it reaches ``max_weight``, or
    through ``step_weights`` (whose last is the maximum); ``iterations`` > 0
    is the blue-green style instead (checks at 0 %, then all traffic to the
    canary, then the promotion). ``step_weight_promotion`` > 0 moves the
    traffic back to the primary in steps after the promotion (0: at once).
    ``mirror`` copies ``mirror_weight`` % of requests (0: all) to the canary
    before its first weight (blue-green: throughout the iterations).
    With ``match_share`` (percent of users whose requests match the
    Canary's ``analysis.match``; ``None``: no ``match``) and ``iterations``,
    A/B testing: those users' requests go to the canary, every other one to
    the primary. ``session_affinity_s`` keeps a user the weights sent to the
    canary on it for that many seconds (a cookie's ``maxAge``; ``None``: no
    ``sessionAffinity``).
    ``skip_analysis`` promotes as soon as the canary is ready. The canary
    must be ready within ``progress_deadline_s`` seconds; the primary and
    the canary count as ready with ``primary_ready_threshold`` and
    ``canary_ready_threshold`` percent of their pods ready.
    """

    name: str
    namespace: str = "default"
    target: str = ""
    interval_s: float = 60.0
    threshold: int = 1
    max_weight: int = TOTAL_WEIGHT
    step_weight: int = 0
    step_weights: tuple[int, ...] = ()
    step_weight_promotion: int = 0
    iterations: int = 0
    mirror: bool = False
    mirror_weight: int = 0
    match_share: float | None = None
    session_affinity_s: float | None = None
    skip_analysis: bool = False
    checks: tuple[MetricCheck, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    progress_deadline_s: float = DEFAULT_PROGRESS_DEADLINE
    primary_ready_threshold: int = 100
    canary_ready_threshold: int = 100

    def __post_init__(self) -> None:
        if not (math.isfinite(self.interval_s) and self.interval_s > 0):
            raise ValueError(f"interval_s must be > 0 seconds, got {self.interval_s!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ValueError(f"threshold must be a whole number >= 1, got {self.threshold!r}")
        for name in ("max_weight", "step_weight", "step_weight_promotion", "mirror_weight",
                     "primary_ready_threshold", "canary_ready_threshold"):
            _check_percent(name, getattr(self, name))
        for weight in self.step_weights:
            _check_percent("step_weights", weight)
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int) or self.iterations < 0:
            raise ValueError(f"iterations must be a whole number >= 0, got {self.iterations!r}")
        if self.match_share is not None and not (math.isfinite(self.match_share)
                                                 and 0 <= self.match_share <= TOTAL_WEIGHT):
            raise ValueError(f"match_share must be a percentage 0 to {TOTAL_WEIGHT}, got {self.match_share!r}")
        if self.session_affinity_s is not None and not (math.isfinite(self.session_affinity_s)
                                                        and self.session_affinity_s >= 0):
            raise ValueError(f"session_affinity_s must be >= 0 seconds, got {self.session_affinity_s!r}")
        if not (math.isfinite(self.progress_deadline_s) and self.progress_deadline_s >= 0):
            raise ValueError(f"progress_deadline_s must be >= 0 seconds, got {self.progress_deadline_s!r}")
        for webhook in self.webhooks:
            if not isinstance(webhook, Webhook):
                raise ValueError(f"webhooks hold Webhook objects, got {webhook!r}")
        for check in self.checks:
            if not isinstance(check, MetricCheck):
                raise ValueError(f"checks hold MetricCheck objects, got {check!r}")

    @property
    def blue_green(self) -> bool:
        """Whether the analysis counts ``iterations`` (blue-green, or A/B testing) rather than moving the weight."""
        return self.iterations > 0

    @property
    def ab_testing(self) -> bool:
        """Whether the analysis is A/B testing: ``iterations`` with the matching users on the canary."""
        return self.iterations > 0 and self.match_share is not None

    @property
    def top_weight(self) -> int:
        """The weight at which the canary is promoted: the last of ``step_weights``, else ``max_weight``."""
        if self.step_weights:
            return min(TOTAL_WEIGHT, self.step_weights[-1])
        return self.max_weight or TOTAL_WEIGHT

    def next_step_weight(self, canary_weight: int) -> int:
        """How far the next advance moves the canary's weight from ``canary_weight`` (Flagger's rule).

        ``step_weight`` when it is set (or there are no ``step_weights``);
        otherwise the distance to the next of ``step_weights`` after the
        current weight, never past 100 %; at 100 % a nominal 1, so that a
        passing check goes on to the promotion.
        """
        if self.step_weight > 0 or not self.step_weights:
            return self.step_weight
        room = TOTAL_WEIGHT - canary_weight
        if room == 0:
            return 1
        if canary_weight == 0:
            return min(room, self.step_weights[0])
        for weight, following in zip(self.step_weights, self.step_weights[1:], strict=False):
            if weight == canary_weight:
                return min(room, following - canary_weight)
        return room

    def webhooks_of(self, kind: str) -> tuple[Webhook, ...]:
        """The webhooks of type ``kind``, in the Canary's order."""
        return tuple(webhook for webhook in self.webhooks if webhook.kind == kind)
