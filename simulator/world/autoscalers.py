"""The decisions of the Knative Pod Autoscaler and of the Kubernetes HorizontalPodAutoscaler, as plain logic.

Each decider is told, at each of its ticks, what it measured and how many
pods are ready, and answers the desired count. Neither reads a clock or the
world: :mod:`simulator.world.autoscaling` drives them.

**KPA** (Knative Serving's ``autoscaler.go``, as documented)::

    observed  mean total concurrency (or requests/s) over the stable window, and over the panic window
    desired   ceil(observed / target per pod), for each window, each held within
              [floor(ready / max_scale_down_rate), ceil(ready x max_scale_up_rate)]
    panic     starts when the panic window's desired count / ready pods reaches the panic threshold,
              is extended while it stays there, and ends a stable window after the last time it did
    result    panicking: the largest panic-window count seen since the panic began (never scale down);
              otherwise the stable window's count
    delay     with scale_down_delay: the highest result of the last scale_down_delay seconds; then held
              within [min, max]
    to zero   (min 0) a result of 0 keeps 1 pod until the revision has been active a stable window and
              scale_to_zero_grace_period has passed since the first 0; then 0 (Knative's scaler: the revision
              is marked inactive, and its last pod goes once the activator has been in its path that long)
    from zero a request for a revision at 0 pods wakes it: activation_scale pods at once (the activator's poke)

**HPA** (Kubernetes' ``horizontal.go`` v2, as documented)::

    ratio     metric per ready pod / target per pod; within the tolerance of 1: no change
    unready   pods still starting have no metrics: scaling up, they count as using 0 % of the target;
              scaling down, as using 100 % (concurrency, rps), or are left out (cpu, whose unready pods
              are set aside); with them counted the ratio is taken again, and if it is then within the
              tolerance or points the other way: no change
    proposal  ceil(pods counted x ratio), held within [min, max]
    stabilise scaling down: the highest proposal of the scale-down stabilization window;
              scaling up: the lowest proposal of the scale-up stabilization window (0 s: this one)
    policies  the change within each period limited by the largest of the direction's policies
              (defaults: up by max(4 pods, 100 %) per 15 s, down by 100 % per 15 s), counted from the
              replicas at the period's start

Where the real controllers have more (Knative's target burst capacity, whose
activator may already be in the path so that the last pod goes at once: set
``scale_to_zero_grace_period`` to 0 for that; the HPA's ``selectPolicy: Min``
and its CPU initialization period), this has the defaults' behaviour.
"""

from __future__ import annotations

import math
from collections import deque

from simulator.scenario.autoscaling_config import AutoscalingConfig, ScalingPolicy

__all__ = ["KpaDecider", "HpaDecider"]


def _ceil(value: float) -> int:
    """``ceil`` that does not turn 3.0000000001 (float noise) into 4."""
    return math.ceil(value - 1e-9)


class KpaDecider:
    """Knative's pod autoscaler for one revision (see the module's rules)."""

    def __init__(self, config: AutoscalingConfig, target_per_pod: float) -> None:
        self.config = config
        self.target = target_per_pod
        self.panic_since: float | None = None
        self.max_panic_pods = 0
        self.active_since = 0.0  # when the revision last went from 0 pods (or from nothing) to serving, s
        self.recent: deque[tuple[float, int]] = deque()  # (time s, result) within the scale-down delay
        self.zero_since: float | None = None  # since when the load has asked for 0 pods, s

    @property
    def panicking(self) -> bool:
        """Whether the autoscaler is in panic mode."""
        return self.panic_since is not None

    def decide(self, now: float, stable_value: float, panic_value: float, ready: int) -> int:
        """Desired pods at ``now`` (s) from the mean load over the stable and panic windows and the ready pods."""
        config = self.config
        ready_pods = max(1, ready)
        most = math.ceil(config.max_scale_up_rate * ready_pods)
        least = math.floor(ready_pods / config.max_scale_down_rate)
        stable_pods = min(max(_ceil(stable_value / self.target), least), most)
        panic_pods = min(max(_ceil(panic_value / self.target), least), most)
        over = panic_pods / ready_pods >= config.panic_threshold / 100
        if over:
            self.panic_since = now
        elif self.panic_since is not None and now >= self.panic_since + config.stable_window:
            self.panic_since, self.max_panic_pods = None, 0
        desired = stable_pods
        if self.panicking:
            self.max_panic_pods = max(self.max_panic_pods, panic_pods)
            desired = self.max_panic_pods
        desired = min(max(self._delayed(now, desired), config.min), config.max)
        return self._to_zero(now, desired, ready)

    def _delayed(self, now: float, desired: int) -> int:
        """The highest count of the last ``scale_down_delay`` seconds, ``desired`` included (no delay: itself)."""
        delay = self.config.scale_down_delay
        if delay <= 0:
            return desired
        self.recent.append((now, desired))
        while self.recent[0][0] <= now - delay:
            self.recent.popleft()
        return max(count for _, count in self.recent)

    def _to_zero(self, now: float, desired: int, ready: int) -> int:
        """``desired``, except that the last pod stays until the revision may be scaled to zero (min 0 only)."""
        if desired > 0:
            self.zero_since = None
            return desired
        if ready == 0 and self.zero_since is not None:
            return 0  # already at zero
        if self.zero_since is None:
            self.zero_since = now
        may_go = (now - self.active_since >= self.config.stable_window
                  and now - self.zero_since >= self.config.scale_to_zero_grace_period)
        return 0 if may_go else 1

    def woken(self, now: float) -> int:
        """A request reached the revision at 0 pods at ``now`` (s): the pods to start (``activation_scale``)."""
        self.active_since, self.zero_since = now, None
        self.panic_since, self.max_panic_pods = None, 0
        return min(self.config.activation_scale, self.config.max)


class HpaDecider:
    """Kubernetes' HorizontalPodAutoscaler v2 for one workload (see the module's rules)."""

    def __init__(self, config: AutoscalingConfig, target_per_pod: float) -> None:
        self.config = config
        self.target = target_per_pod
        self.proposals: deque[tuple[float, int]] = deque()  # (time, proposal) within the longest window
        self.changes: deque[tuple[float, int]] = deque()  # (time, replicas after a change) within the longest period

    def decide(self, now: float, metric_per_pod: float | None, replicas: int, ready: int, starting: int = 0) -> int:
        """Desired replicas at ``now`` (s), from the metric per ready pod, the current replicas, the ready ones
        and those still starting (no metrics yet)."""
        config = self.config
        proposal = replicas if metric_per_pod is None or ready == 0 else self._proposal(metric_per_pod, replicas,
                                                                                           ready, starting)
        proposal = min(max(proposal, config.min), config.max)
        self.proposals.append((now, proposal))
        longest = max(config.scale_down_stabilization, config.scale_up_stabilization)
        while self.proposals and self.proposals[0][0] < now - longest:
            self.proposals.popleft()
        down_window = [value for time, value in self.proposals if time >= now - config.scale_down_stabilization]
        up_window = [value for time, value in self.proposals if time >= now - config.scale_up_stabilization]
        desired = replicas
        if proposal < replicas:
            desired = min(max(down_window), replicas)
        elif proposal > replicas:
            desired = max(min(up_window), replicas)
        desired = self._limited(now, replicas, desired)
        if desired != replicas:
            self.changes.append((now, replicas))
        return desired

    def _proposal(self, metric_per_pod: float, replicas: int, ready: int, starting: int) -> int:
        """The replicas the metric asks for, the starting pods counted as Kubernetes counts them (module rules)."""
        tolerance = self.config.tolerance
        ratio = metric_per_pod / self.target
        if abs(ratio - 1) <= tolerance:
            return replicas
        scaling_up = ratio > 1
        if starting == 0 or (not scaling_up and self.config.metric == "cpu"):
            return _ceil(ready * ratio)
        assumed = 0.0 if scaling_up else 1.0  # the starting pods' usage, as a share of the target
        counted = ready + starting
        again = (ready * ratio + starting * assumed) / counted
        if abs(again - 1) <= tolerance or (again > 1) != scaling_up:
            return replicas
        return _ceil(counted * again)

    def _limited(self, now: float, replicas: int, desired: int) -> int:
        """``desired`` within what the scaling policies allow from the replicas at each period's start."""
        if desired > replicas:
            ceiling = max(self._start_of(now, policy, replicas) + policy.allowed(self._start_of(now, policy, replicas))
                          for policy in self.config.scale_up)
            return min(desired, max(ceiling, replicas))
        if desired < replicas:
            floor = min(self._start_of(now, policy, replicas) - policy.allowed(self._start_of(now, policy, replicas))
                        for policy in self.config.scale_down)
            return max(desired, min(floor, replicas), self.config.min)
        return desired

    def _start_of(self, now: float, policy: ScalingPolicy, replicas: int) -> int:
        """The replicas at the start of ``policy``'s period ending now: before the first change within it."""
        longest = max([p.period for p in (*self.config.scale_up, *self.config.scale_down)])
        while self.changes and self.changes[0][0] < now - longest:
            self.changes.popleft()
        within = [before for time, before in self.changes if time > now - policy.period]
        return within[0] if within else replicas
