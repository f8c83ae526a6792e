"""The pods and the router of an Argo canary: what the current step asks of them, and one move towards it.

Where the steps stand is a step index, as in Argo's ``currentStepIndex``:
``index == len(steps)`` means every step is done (full promotion). The
weight the steps ask for is that of the latest ``setWeight`` at or before
the index (0 before the first, the maximum after the last step); the
canary's scale is that of the latest ``setCanaryScale`` at or before the
index, unless it matches the traffic weight again.

With traffic routing the router's weight moves to the step's weight once
the canary's pods for it are ready (until then it stays at the previous
``setWeight``), never onto a canary without a ready pod, and never while
the stable version lacks the ready pods for its share. Without traffic
routing there is no weight to set: the pods carry the traffic
(:mod:`~simulator.strategies.argo.replicas`).
"""

from __future__ import annotations

from collections.abc import Iterable

from simulator.commands import Command, ScaleTo, SetWeights
from simulator.observations import Observation
from simulator.strategies.argo.plan import ArgoCanaryPlan, SetCanaryScale, SetWeight
from simulator.strategies.argo.replicas import Pods, basic_canary_counts, weight_to_replicas

__all__ = ["PodView", "Traffic", "weight_at", "weight_before", "canary_scale_at", "routed_counts"]


class PodView:
    """Desired and ready pods per version as of the observation, updated by the scaling this step asks for.

    A scale-down takes effect at once (ready pods above the new count go
    away); new pods are not ready before the next observation.
    """

    def __init__(self, observation: Observation, versions: Iterable[str]) -> None:
        self.desired = {version: observation.desired(version) for version in versions}
        self.ready = {version: min(observation.ready(version), self.desired[version]) for version in self.desired}

    def pods(self, version: str) -> Pods:
        """``version``'s pods as the replica-count rules see them."""
        return Pods(self.desired[version], self.ready[version])

    def scale(self, version: str, replicas: int) -> list[Command]:
        """Ask for ``replicas`` pods of ``version``: a :class:`ScaleTo`, or nothing if that is the count already."""
        if self.desired[version] == replicas:
            return []
        self.desired[version] = replicas
        self.ready[version] = min(self.ready[version], replicas)
        return [ScaleTo(version=version, replicas=replicas)]

    def settled(self, version: str) -> bool:
        """Whether every desired pod of ``version`` is ready."""
        return self.ready[version] >= self.desired[version]


def weight_at(plan: ArgoCanaryPlan, index: int) -> int:
    """The canary weight the steps ask for at step ``index``."""
    if index >= len(plan.steps):
        return plan.max_traffic_weight
    return weight_before(plan, index + 1)


def weight_before(plan: ArgoCanaryPlan, index: int) -> int:
    """The weight of the latest ``setWeight`` before step ``index`` (0 if there is none)."""
    for step in reversed(plan.steps[:index]):
        if isinstance(step, SetWeight):
            return step.weight
    return 0


def canary_scale_at(plan: ArgoCanaryPlan, index: int) -> SetCanaryScale | None:
    """The ``setCanaryScale`` in force at step ``index``, or ``None`` when the canary follows its weight."""
    if not plan.traffic_routing or index >= len(plan.steps):
        return None
    for step in reversed(plan.steps[:index + 1]):
        if isinstance(step, SetCanaryScale):
            return None if step.matches_traffic else step
    return None


def routed_counts(plan: ArgoCanaryPlan, index: int, current_weight: int) -> tuple[int, int]:
    """(canary, stable) pods with traffic routing at step ``index``, the router at ``current_weight``.

    The canary follows the step's weight or its ``setCanaryScale``; the
    stable version keeps every replica, or with ``dynamicStableScale`` as
    many as the larger of its desired share and the share it serves now.
    """
    replicas, top = plan.replicas, plan.max_traffic_weight
    scale = canary_scale_at(plan, index)
    if scale is not None and scale.replicas is not None:
        canary, sized_for = scale.replicas, 0
    elif scale is not None and scale.weight is not None:
        canary, sized_for = weight_to_replicas(replicas, scale.weight, top), scale.weight
    else:
        sized_for = weight_at(plan, index)
        canary = weight_to_replicas(replicas, sized_for, top)
    if not plan.dynamic_stable_scale:
        return canary, replicas
    stable = max(weight_to_replicas(replicas, top - sized_for, top),
                 weight_to_replicas(replicas, top - current_weight, top))
    return canary, stable


class Traffic:
    """One rollout's two versions: their pods, and the router's canary ``weight`` (plan units) with routing.

    ``full_promote`` is set by ``promote --full``: the weight then stays
    where it is (with ``dynamicStableScale``: follows the canary's ready
    pods) until the canary is at full size.
    """

    def __init__(self, plan: ArgoCanaryPlan, stable: str, candidate: str) -> None:
        self.plan = plan
        self.stable, self.candidate = stable, candidate
        self.weight = 0
        self.full_promote = False

    def basic_counts(self, pods: PodView, weight: int) -> tuple[int, int]:
        """The basic canary's next (canary, stable) counts towards ``weight``."""
        plan = self.plan
        return basic_canary_counts(plan.replicas, weight, plan.surge, plan.unavailable, pods.pods(self.candidate),
                                   pods.pods(self.stable), plan.max_traffic_weight)

    def reconcile(self, index: int, pods: PodView) -> list[Command]:
        """One move of the pods, and the router, towards step ``index``: the commands it takes (none: settled)."""
        plan = self.plan
        if not plan.traffic_routing:
            canary, stable = self.basic_counts(pods, weight_at(plan, index))
            return pods.scale(self.candidate, canary) + pods.scale(self.stable, stable)
        top = plan.max_traffic_weight
        if pods.ready[self.candidate] == 0:
            weight = 0  # never weight to a canary without a ready pod
        elif self.routed_at_counts(index, pods):
            weight = weight_at(plan, index)
        elif self.full_promote:
            ready_share = top * pods.ready[self.candidate] // max(plan.replicas, 1)
            weight = ready_share if plan.dynamic_stable_scale else self.weight
        else:
            weight = weight_before(plan, index)  # the new counts are not there yet: keep the last weight
        commands = self.route(pods, weight)
        canary, stable = routed_counts(plan, index, self.weight)
        return commands + pods.scale(self.candidate, canary) + pods.scale(self.stable, stable)

    def route(self, pods: PodView, weight: int) -> list[Command]:
        """Set the router to ``weight`` if the stable version has the ready pods for its share."""
        top, replicas = self.plan.max_traffic_weight, self.plan.replicas
        if weight == self.weight or pods.ready[self.stable] < (top - weight) * replicas // top:
            return []
        self.weight = weight
        share = 100.0 * weight / top
        return [SetWeights(weights={self.candidate: share, self.stable: 100.0 - share})]

    def route_back(self) -> list[Command]:
        """All traffic to the stable version, at once."""
        self.weight = 0
        return [SetWeights(weights={self.stable: 100.0, self.candidate: 0.0})]

    def routed_at_counts(self, index: int, pods: PodView) -> bool:
        """With routing: the canary at its count and ready, the stable version at its count (unless dynamic)."""
        canary, stable = routed_counts(self.plan, index, self.weight)
        at_canary = pods.desired[self.candidate] == canary and pods.ready[self.candidate] >= canary
        return at_canary and (self.plan.dynamic_stable_scale or pods.desired[self.stable] == stable)

    def at_counts(self, index: int, pods: PodView) -> bool:
        """Whether the pods are where step ``index`` wants them, the canary's all ready."""
        if self.plan.traffic_routing:
            return self.routed_at_counts(index, pods)
        counts = self.basic_counts(pods, weight_at(self.plan, index))
        return counts == (pods.desired[self.candidate], pods.desired[self.stable]) and pods.settled(self.candidate)

    def fully_routed(self) -> bool:
        """Whether all traffic is on the canary (always, without routing, once the counts are reached)."""
        return not self.plan.traffic_routing or self.weight == self.plan.max_traffic_weight

    def share(self, pods: PodView) -> float:
        """The canary's share of the traffic, percent: the router's weight, or its share of the ready pods."""
        if self.plan.traffic_routing:
            return 100.0 * self.weight / self.plan.max_traffic_weight
        ready = pods.ready[self.candidate] + pods.ready[self.stable]
        return 100.0 * pods.ready[self.candidate] / ready if ready else 0.0
