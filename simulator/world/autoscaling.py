"""Autoscalers in the world: one per version that has ``autoscaling``, deciding at its own ticks.

A version's autoscaler (its own ``autoscaling``, else ``service.autoscaling``)
wakes every ``tick`` (KPA, 2 s) or ``sync_period`` (HPA, 15 s) and, while the
version is deployed (some replicas asked for), measures its load over the
windows it looks at and scales it to the count its decider
(:mod:`simulator.world.autoscalers`) answers. New pods pay the version's
``startup`` before they serve, so a spike is felt until they are ready.

**Who owns the count.** A strategy still scales versions (a canary's pods for
its weight, a blue-green's green before the switch, 0 to retire one). While
its rollout runs, the count a strategy asked for is a floor: the autoscaler
may add pods for the load (within ``max``) but keeps the capacity the
strategy prepared, as Argo Rollouts sizes a canary and a preview under an
HPA. Once the rollout has finished the floors go, and each autoscaler alone
decides, within ``[min, max]``. A strategy's count never removes the pods
its autoscaler added for the load, and a strategy waits for, and sees as
desired, the pods it asked for. A version a strategy scales to 0 is retired:
its autoscaler waits until a strategy deploys it again. So a canary's replicas
follow its weight, and more with its load.

**Scale to zero** (``kpa`` with ``min: 0``). A deployed version the autoscaler
scales to zero stays deployed: its requests go to the activator, and the
first one wakes it (:meth:`World.wake`, called by the data plane at that
request's arrival): ``activation_scale`` pods start, and the requests wait
for them at the activator (:mod:`simulator.world.activator`), each for the
first slot to free among the pods starting when it arrived. Requests held
longer than the client timeout time out.

**What is measured.** Concurrency is the mean number of requests in flight
(arrival to the client-side end) over the window, the ones still in flight
included; requests per second count arrivals; ``cpu`` is the busy share of
the ready pods' slots (service start to end). Mirrored copies load the pods
they reach, so they count.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Protocol

import simpy

from simulator.scenario.autoscaling_config import AutoscalingConfig
from simulator.scenario.model import Scenario
from simulator.world.autoscalers import HpaDecider, KpaDecider
from simulator.world.load_meter import LoadMeter
from simulator.world.replicas import ReplicaState, ReplicaTable
from simulator.world.serving import DataPlane

__all__ = ["VersionAutoscaler", "AutoscaledWorld", "autoscaling_of"]


class AutoscaledWorld(Protocol):
    """What an autoscaler reads and does in the world."""

    env: simpy.Environment
    scenario: Scenario
    concurrency: int
    desired: list[int]
    deployed: list[bool]
    floors: list[int]
    autoscaled: list[int]
    replicas: ReplicaTable
    data_plane: DataPlane
    load_meter: LoadMeter

    def index(self, version: str) -> int:
        """Index of ``version`` in the world's arrays."""
        ...

    def advance(self) -> None:
        """Serve every request that arrived before now."""
        ...

    def scale_to(self, version: str, replicas: int, *, cause: str = "strategy", why: str = "") -> None:
        """Run ``replicas`` replicas of ``version``."""
        ...


def autoscaling_of(scenario: Scenario, version: str) -> AutoscalingConfig | None:
    """The autoscaling of ``version``: its own, else the service's, else ``None`` (a fixed count)."""
    own = scenario.all_versions()[version].autoscaling
    return own if own is not None else scenario.service.autoscaling


class VersionAutoscaler:
    """The autoscaler of one version (see the module's notes)."""

    def __init__(self, world: AutoscaledWorld, version: str, config: AutoscalingConfig) -> None:
        self.world = world
        self.version = version
        self.index = world.index(version)
        self.config = config
        target = config.target.per_pod_value(world.concurrency)
        if config.metric == "cpu":
            target = config.target.utilisation or 0.0
        self.decider: KpaDecider | HpaDecider = (KpaDecider(config, target) if config.kind == "kpa"
                                                 else HpaDecider(config, target))
        self.period = config.tick if config.kind == "kpa" else config.sync_period

    def run(self) -> Generator[simpy.Event, None, None]:
        """The autoscaler's loop, a simpy process."""
        env = self.world.env
        while True:
            yield env.timeout(self.period)
            if self.world.deployed[self.index]:
                self.decide(float(env.now))

    def woken(self, at: float) -> int:
        """A request reached the version at zero pods at ``at`` (s): the pods to start (KPA only)."""
        assert isinstance(self.decider, KpaDecider), "only a kpa scales to zero"
        return self.decider.woken(at)

    def decide(self, now: float) -> None:
        """Measure, decide and scale, at ``now`` (seconds)."""
        world, index, config = self.world, self.index, self.config
        world.advance()
        ready = world.replicas.count(index, ReplicaState.READY)
        open_requests = world.data_plane.open_requests(index)
        meter = world.load_meter
        if isinstance(self.decider, KpaDecider):
            measure = meter.concurrency if config.metric == "concurrency" else meter.rate
            stable = measure(index, max(0.0, now - config.stable_window), now, open_requests)
            panic = measure(index, max(0.0, now - config.panic_window_s), now, open_requests)
            desired = self.decider.decide(now, stable, panic, ready)
            detail = f"kpa{' (panic)' if self.decider.panicking else ''}: {config.metric} {stable:.3g} over " \
                     f"{config.stable_window:g}s, {panic:.3g} over {config.panic_window_s:g}s"
        else:
            start = max(0.0, now - config.sync_period)
            per_pod: float | None
            if ready == 0:
                per_pod = None
            elif config.metric == "concurrency":
                per_pod = meter.concurrency(index, start, now, open_requests) / ready
            elif config.metric == "rps":
                per_pod = meter.rate(index, start, now, open_requests) / ready
            else:
                per_pod = meter.busy(index, start, now, open_requests) / (ready * world.concurrency)
            starting = world.replicas.count(index, ReplicaState.STARTING)
            desired = self.decider.decide(now, per_pod, world.desired[index], ready, starting)
            shown = "no metrics" if per_pod is None else f"{per_pod:.3g} per pod"
            detail = f"hpa: {config.metric} {shown}, target {self.decider.target:.3g}"
        world.autoscaled[index] = desired
        floor = world.floors[index]
        if desired < floor:
            desired, detail = floor, f"{detail}; held at the rollout's {floor}"
        if desired != world.desired[index]:
            world.scale_to(self.version, desired, cause="autoscaler", why=detail)


