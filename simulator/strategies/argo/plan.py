"""The plan of an Argo Rollouts canary: plain frozen data, checked when it is built.

A plan says what a ``Rollout``'s ``strategy.canary`` says, in the words of
its manifest: the replicas, the steps in order, the background analysis,
traffic routing or not, and the knobs that shape the replica counts. Weights
are in the manifest's units (0 to ``max_traffic_weight``, 100 by default, so
percent); durations are seconds. The checks are those of Argo's validation
that decide what a rollout does (``setCanaryScale`` and
``dynamicStableScale`` need traffic routing, ``maxSurge`` and
``maxUnavailable`` are not both 0, a step analysis ends by itself); a bad
value raises :class:`ValueError` naming it.

Operator promotes (``kubectl argo rollouts promote``) come from the
scenario's ``operations``; they are part of the plan as
:class:`Promotion` times, so the strategy knows when to look (see
:mod:`simulator.strategies.argo.canary` for what a promote does).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.analysis.argo import AnalysisRunSpec
from simulator.scenario.world_config import PromoteOperation

__all__ = ["SetWeight", "Pause", "SetCanaryScale", "RunAnalysis", "CanaryStep", "BackgroundAnalysis", "Promotion",
           "ArgoCanaryPlan", "describe_step", "promotes_in_order", "IntOrPercent", "resolve_int_or_percent",
           "DEFAULT_MAX_SURGE", "DEFAULT_MAX_UNAVAILABLE", "DEFAULT_ABORT_SCALE_DOWN_DELAY", "DEFAULT_SCALE_DOWN_DELAY"]

IntOrPercent = int | str
"""A count (``2``) or a percentage of the replicas (``"25%"``), as Kubernetes' IntOrString."""

DEFAULT_MAX_SURGE: IntOrPercent = "25%"
DEFAULT_MAX_UNAVAILABLE: IntOrPercent = "25%"
DEFAULT_ABORT_SCALE_DOWN_DELAY = 30.0
"""Seconds an aborted canary keeps its pods, with traffic routing, when ``abortScaleDownDelaySeconds`` is not set."""
DEFAULT_SCALE_DOWN_DELAY = 30.0
"""Seconds the old stable version keeps its pods after a promotion, with traffic routing (``scaleDownDelaySeconds``)."""

_PERCENT = re.compile(r"^(\d+)%$")


def resolve_int_or_percent(value: IntOrPercent, total: int, *, round_up: bool) -> int:
    """``value`` as a count of ``total`` replicas: a percentage rounded up or down, as Kubernetes resolves it."""
    if isinstance(value, bool):
        raise ValueError(f"expected a count or a percentage such as '25%', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"expected a count >= 0, got {value}")
        return value
    match = _PERCENT.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"expected a count or a percentage such as '25%', got {value!r}")
    share = int(match.group(1)) * total
    return -(-share // 100) if round_up else share // 100


@dataclass(frozen=True, slots=True)
class SetWeight:
    """``setWeight``: send ``weight`` of the traffic to the canary (0 to the plan's ``max_traffic_weight``)."""

    weight: int

    def __post_init__(self) -> None:
        if isinstance(self.weight, bool) or not isinstance(self.weight, int) or self.weight < 0:
            raise ValueError(f"setWeight must be a whole number >= 0, got {self.weight!r}")


@dataclass(frozen=True, slots=True)
class Pause:
    """``pause``: hold for ``duration_s`` seconds, or, with ``None`` (``pause: {}``), until a promote."""

    duration_s: float | None = None

    def __post_init__(self) -> None:
        if self.duration_s is not None and not (math.isfinite(self.duration_s) and self.duration_s >= 0):
            raise ValueError(f"pause duration must be >= 0 seconds, got {self.duration_s!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SetCanaryScale:
    """``setCanaryScale``: size the canary apart from its traffic weight (traffic routing only).

    ``replicas`` pods, or ``weight`` (same units as ``setWeight``) of the
    Rollout's replicas; with neither (``matchTrafficWeight``) the canary
    follows its traffic weight again.
    """

    replicas: int | None = None
    weight: int | None = None
    match_traffic_weight: bool = False

    def __post_init__(self) -> None:
        given = [name for name in ("replicas", "weight") if getattr(self, name) is not None]
        if len(given) > 1 or (given and self.match_traffic_weight):
            chosen = given + (["match_traffic_weight"] if self.match_traffic_weight else [])
            raise ValueError(f"setCanaryScale takes one of replicas, weight or match_traffic_weight, got "
                             f"{', '.join(chosen)}")
        for name in given:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"setCanaryScale {name} must be a whole number >= 0, got {value!r}")

    @property
    def matches_traffic(self) -> bool:
        """Whether the canary follows its traffic weight again (neither a count nor a weight given)."""
        return self.replicas is None and self.weight is None


@dataclass(frozen=True, slots=True)
class RunAnalysis:
    """``analysis`` step: run ``spec`` (from :func:`~simulator.analysis.argo.build_analysis_run`) to its end.

    Every metric must end by itself (a ``count``, or neither ``interval``
    nor ``count``): Argo refuses a step analysis that runs indefinitely.
    """

    spec: AnalysisRunSpec

    def __post_init__(self) -> None:
        endless = [metric.name for metric in self.spec.metrics if metric.count is None]
        if endless:
            raise ValueError(f"a step analysis must end by itself; metric(s) {', '.join(endless)} run indefinitely "
                             "(an interval without a count); give them a count or run them as background analysis")


CanaryStep = SetWeight | Pause | SetCanaryScale | RunAnalysis
"""One of the canary's steps."""


def describe_step(step: CanaryStep) -> str:
    """A step as its manifest says it: ``setWeight 20``, ``pause 600s``, ``pause {}``, ``analysis (p99)``."""
    if isinstance(step, SetWeight):
        return f"setWeight {step.weight}"
    if isinstance(step, Pause):
        return "pause {}" if step.duration_s is None else f"pause {step.duration_s:g}s"
    if isinstance(step, RunAnalysis):
        return f"analysis ({', '.join(step.spec.names)})"
    if step.replicas is not None:
        return f"setCanaryScale replicas {step.replicas}"
    if step.weight is not None:
        return f"setCanaryScale weight {step.weight}"
    return "setCanaryScale matchTrafficWeight"


@dataclass(frozen=True, slots=True, kw_only=True)
class BackgroundAnalysis:
    """``canary.analysis``: ``spec`` runs beside the steps from step ``starting_step`` (0-based, as Argo counts)."""

    spec: AnalysisRunSpec
    starting_step: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.starting_step, bool) or not isinstance(self.starting_step, int) or self.starting_step < 0:
            raise ValueError(f"startingStep must be a whole number >= 0, got {self.starting_step!r}")


@dataclass(frozen=True, slots=True)
class Promotion:
    """An operator's ``kubectl argo rollouts promote`` at ``at_s`` seconds; with ``full``, ``promote --full``."""

    at_s: float
    full: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.at_s) and self.at_s >= 0):
            raise ValueError(f"a promote's time must be >= 0 seconds, got {self.at_s!r}")


def promotes_in_order(promotions: Iterable[Promotion], operations: Iterable[PromoteOperation] = ()) -> list[Promotion]:
    """The plan's promotes and the scenario's promote operations, in time order."""
    added = [Promotion(at_s=operation.at, full=operation.full) for operation in operations]
    return sorted([*promotions, *added], key=lambda promotion: promotion.at_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgoCanaryPlan:
    """What one Rollout's canary strategy asks for.

    ``replicas`` is ``spec.replicas``; ``steps`` the canary steps in order
    (none: straight to full promotion). ``traffic_routing`` says whether a
    router sets exact weights (the canary's pods then follow its weight and
    the stable version stays at full size unless ``dynamic_stable_scale``)
    or traffic follows the pod counts (the basic canary, shaped by
    ``max_surge`` and ``max_unavailable``: counts or percentages of
    ``replicas``). ``abort_scale_down_delay_s`` is
    ``abortScaleDownDelaySeconds`` as written: ``None`` when not set (30 s;
    with ``dynamic_stable_scale`` the canary shrinks as its traffic leaves),
    0 to keep the aborted canary running, as Argo reads it; only with traffic
    routing. ``scale_down_delay_s`` is ``scaleDownDelaySeconds``: how long the
    old stable version keeps its pods after a promotion (``None``: 30 s;
    traffic routing without ``dynamic_stable_scale`` only).
    ``promotions`` are the operator's promotes, at any time order.
    """

    replicas: int = 1
    steps: tuple[CanaryStep, ...] = ()
    background: BackgroundAnalysis | None = None
    traffic_routing: bool = False
    max_surge: IntOrPercent = DEFAULT_MAX_SURGE
    max_unavailable: IntOrPercent = DEFAULT_MAX_UNAVAILABLE
    dynamic_stable_scale: bool = False
    abort_scale_down_delay_s: float | None = None
    scale_down_delay_s: float | None = None
    max_traffic_weight: int = 100
    promotions: tuple[Promotion, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.replicas, bool) or not isinstance(self.replicas, int) or self.replicas < 0:
            raise ValueError(f"replicas must be a whole number >= 0, got {self.replicas!r}")
        if isinstance(self.max_traffic_weight, bool) or not isinstance(self.max_traffic_weight, int) \
                or self.max_traffic_weight < 1:
            raise ValueError(f"max_traffic_weight must be a whole number >= 1, got {self.max_traffic_weight!r}")
        if self.max_traffic_weight != 100 and not self.traffic_routing:
            raise ValueError("max_traffic_weight is a setting of traffic routing; without it weights are percent")
        for index, step in enumerate(self.steps):
            self._check_step(index, step)
        if self.dynamic_stable_scale and not self.traffic_routing:
            raise ValueError("dynamic_stable_scale needs traffic routing (Argo: 'Canary dynamicStableScale can only "
                             "be used with traffic routing')")
        if self.scale_down_delay_s is not None:
            if not self.traffic_routing:
                raise ValueError("scale_down_delay_s needs traffic routing (Argo: 'Canary scaleDownDelaySeconds can "
                                 "only be used with traffic routing')")
            if self.dynamic_stable_scale:
                raise ValueError("scale_down_delay_s cannot be used with dynamic_stable_scale")
        for name in ("abort_scale_down_delay_s", "scale_down_delay_s"):
            delay = getattr(self, name)
            if delay is not None and not (math.isfinite(delay) and delay >= 0):
                raise ValueError(f"{name} must be >= 0 seconds, got {delay!r}")
        for name in ("max_surge", "max_unavailable"):
            try:
                resolve_int_or_percent(getattr(self, name), self.replicas, round_up=True)
            except ValueError as error:
                raise ValueError(f"{name}: {error}") from None
        if self.max_surge in (0, "0%") and self.max_unavailable in (0, "0%"):
            raise ValueError("max_surge and max_unavailable cannot both be 0")
        for promotion in self.promotions:
            if not isinstance(promotion, Promotion):
                raise ValueError(f"promotions hold Promotion objects, got {promotion!r}")

    def _check_step(self, index: int, step: object) -> None:
        where = f"steps[{index}]"
        if not isinstance(step, (SetWeight, Pause, SetCanaryScale, RunAnalysis)):
            raise ValueError(f"{where}: expected SetWeight, Pause, SetCanaryScale or RunAnalysis, got {step!r}")
        if isinstance(step, SetWeight) and step.weight > self.max_traffic_weight:
            raise ValueError(f"{where}: setWeight {step.weight} is above max_traffic_weight "
                             f"{self.max_traffic_weight}")
        if isinstance(step, SetCanaryScale):
            if not self.traffic_routing:
                raise ValueError(f"{where}: setCanaryScale needs traffic routing (Argo: 'SetCanaryScale requires "
                                 "TrafficRouting to be set')")
            if step.weight is not None and step.weight > self.max_traffic_weight:
                raise ValueError(f"{where}: setCanaryScale weight {step.weight} is above max_traffic_weight "
                                 f"{self.max_traffic_weight}")

    # what the strategy reads -------------------------------------------

    @property
    def surge(self) -> int:
        """``maxSurge`` as a count of pods (a percentage rounded up)."""
        surge, _ = self._fenceposts()
        return surge

    @property
    def unavailable(self) -> int:
        """``maxUnavailable`` as a count of pods (a percentage rounded down; at most ``replicas``)."""
        _, unavailable = self._fenceposts()
        return min(unavailable, self.replicas)

    def _fenceposts(self) -> tuple[int, int]:
        surge = resolve_int_or_percent(self.max_surge, self.replicas, round_up=True)
        unavailable = resolve_int_or_percent(self.max_unavailable, self.replicas, round_up=False)
        if surge == 0 and unavailable == 0 and self.replicas > 0:
            unavailable = 1  # both rounded to 0: Argo lets one pod be unavailable rather than stall
        return surge, unavailable

    def abort_delay(self) -> float | None:
        """Seconds after an abort before the canary is scaled down; ``None``: it keeps its pods.

        Without traffic routing there is no delay (the pod counts carry the
        traffic); with ``dynamic_stable_scale`` and no explicit value the
        canary shrinks as soon as its traffic is gone (0).
        """
        if not self.traffic_routing:
            return 0.0
        if self.abort_scale_down_delay_s is None:
            return 0.0 if self.dynamic_stable_scale else DEFAULT_ABORT_SCALE_DOWN_DELAY
        return None if self.abort_scale_down_delay_s == 0 else self.abort_scale_down_delay_s

    def scale_down_delay(self) -> float:
        """Seconds after a promotion before the old stable version is scaled down."""
        if not self.traffic_routing or self.dynamic_stable_scale:
            return 0.0
        return DEFAULT_SCALE_DOWN_DELAY if self.scale_down_delay_s is None else self.scale_down_delay_s
