"""The simulated world of a scenario with regions: a pool of replicas per region, a global balancer.

:class:`RegionalWorld` is a :class:`~simulator.world.world.World` whose
router picks a region before a version (:mod:`simulator.world.regions`):

* **Pools.** The replica table's groups are pools, one per region and
  version (``region x versions + version``); the data plane and its kernel
  serve them as they serve versions, so queueing in a region is exact.
* **Routing.** Each region routes by its own weights (or by its ready
  replicas), its own stickiness and its own mirror. A command with a
  ``region`` acts there; one without acts in every region: weights are set
  everywhere, and a deployment's replicas are spread over the regions as
  the stable fleets are (:meth:`RegionLayout.spread`), so a strategy written
  for one region runs the whole world unchanged.
* **Faults.** Each region has its fault schedule (faults naming it and those
  naming none); a ``region_outage`` takes every replica of the region down
  (work in flight is lost) and the global balancer fails its traffic over.
  A crash without a region hits the oldest ready replicas of the version,
  wherever they are.
* **Figures.** Every finished request is recorded in the world's metric
  store and in its serving region's, so the regions' figures add up to the
  world's; :class:`~simulator.world.blast_radius.BlastRadius` counts who met
  each version before the decision. Observations carry each region's own
  view (deployments, weights, metrics) beside the world's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import simpy

from simulator.errors import ScenarioError
from simulator.observations import DeploymentStatus, Observation, SmokeTestResult, TestSuiteResult
from simulator.scenario.model import Scenario
from simulator.scenario.world_config import CrashFault, RegionOutageFault
from simulator.world.blast_radius import BlastRadius
from simulator.world.dataplane import route_versions
from simulator.world.faults import FaultSchedule
from simulator.world.metrics import MetricStore
from simulator.world.monitoring import MonitoringView
from simulator.world.outcomes import RequestOutcomes
from simulator.world.regions import RegionalTraffic, RegionLayout, fail_over
from simulator.world.replicas import ReplicaState
from simulator.world.serving import ServedChunk
from simulator.world.traffic import RequestBatch, TrafficSource
from simulator.world.world import World

__all__ = ["RegionalWorld"]


class RegionalWorld(World):
    """One run's world with regions (see the module docstring)."""

    def __init__(self, scenario: Scenario, seed: int, env: simpy.Environment, data_plane: str | None = None) -> None:
        if (data_plane or scenario.simulation.data_plane) == "per_request":
            raise ScenarioError("got the per_request data plane for a scenario with regions; expected batch (the "
                                "per-request reference serves one region)", value="per_request")
        self.layout = RegionLayout.from_scenario(scenario)
        self.region_names = self.layout.names
        versions = list(scenario.all_versions())
        n_regions, n_versions = len(self.layout), len(versions)
        self.region_out = np.zeros(n_regions, dtype=np.int64)  # outages in force per region
        self.pool_desired = np.zeros(n_regions * n_versions, dtype=np.int64)
        self.region_weights: list[np.ndarray | None] = [None] * n_regions
        self.region_sticky = [False] * n_regions
        self.region_mirror: list[tuple[int, float] | None] = [None] * n_regions
        self._ready_by_pool = np.zeros(n_regions * n_versions, dtype=np.int64)
        self._outage_hit: dict[int, int] = {}  # replica -> the state it had when an outage took it down
        self._start_generation: dict[int, int] = {}  # replica -> its start-ups so far (an outage restarts one)
        self._waiters: list[tuple[int, int | None, simpy.Event]] = []
        monitoring = scenario.monitoring
        self.region_stores = [
            MetricStore(versions, bin_seconds=monitoring.scrape_interval, horizon=scenario.horizon,
                        label_delay=monitoring.labels.delay, bucket_factor=monitoring.latency_bucket_factor,
                        users=scenario.traffic.users,
                        slow_above=scenario.slo.latency_p99 if scenario.slo is not None else None)
            for _ in self.layout.names
        ]
        self.region_faults = [FaultSchedule(scenario.faults, versions, region=name) for name in self.layout.names]
        super().__init__(scenario, seed, env, "batch")
        self.region_outcomes = [
            RequestOutcomes(faults, self.error_rates, self.drift, monitoring.labels.fraction,
                            scenario.prediction_correlation, baseline=self.index(scenario.stable))
            for faults in self.region_faults
        ]
        self.blast = BlastRadius(n_regions, n_versions, scenario.traffic.users)

    # -- hooks of World ----------------------------------------------------

    def _traffic_source(self) -> TrafficSource:
        return RegionalTraffic(self.scenario, self.layout, self.streams)

    def _routing_groups(self) -> int:
        return len(self.layout) * len(self.scenario.all_versions())

    def _start_fleet(self) -> None:
        scenario = self.scenario
        stable = self.index(scenario.stable)
        for region, count in enumerate(self.layout.replicas):
            for _ in range(count):
                replica = self.replicas.add(self._pool(region, stable), 0.0)
                self.replicas.set_state(replica, ReplicaState.READY, 0.0)
            self.pool_desired[self._pool(region, stable)] = count
        self.desired[stable] = scenario.service.replicas
        self.weights = self._weights_array({scenario.stable: 100.0})
        self.region_weights = [self.weights.copy() for _ in self.layout.names]
        for fault in scenario.faults:
            if isinstance(fault, CrashFault):
                self.env.process(self._crash_at(fault))
            elif isinstance(fault, RegionOutageFault):
                self.env.process(self._outage(fault))
        spread = ", ".join(f"{name} {count}" for name, count in zip(self.layout.names, self.layout.replicas,
                                                                   strict=True))
        self.log("start", f"{scenario.service.replicas} replicas of {scenario.stable} serving 100 % in "
                          f"{len(self.layout)} regions ({spread})", version=scenario.stable,
                 replicas=scenario.service.replicas,
                 replicas_by_region=dict(zip(self.layout.names, self.layout.replicas, strict=True)))

    # -- pools -------------------------------------------------------------

    def _pool(self, region: int, version: int) -> int:
        return region * self.n_versions + version

    def _region_index(self, region: str | None) -> int | None:
        if region is None:
            return None
        if region not in self.layout.names:
            raise ValueError(f"unknown region '{region}'; expected one of: {', '.join(self.layout.names)}")
        return self.layout.index(region)

    def _regions(self, region: str | None) -> list[int]:
        index = self._region_index(region)
        return list(range(len(self.layout))) if index is None else [index]

    def _pool_ids(self, version: int, region: int | None, *states: int) -> list[int]:
        """Ids of ``version``'s replicas in ``region`` (or anywhere) in any of ``states``, oldest first."""
        if region is not None:
            return self.replicas.ids(self._pool(region, version), *states)
        return sorted(replica for r in range(len(self.layout))
                      for replica in self.replicas.ids(self._pool(r, version), *states))

    def _count(self, version: int, region: int | None, state: int) -> int:
        return sum(self.replicas.count(self._pool(r, version), state) for r in
                   (range(len(self.layout)) if region is None else [region]))

    def _ready_changed(self, version: int, time: float, ready: int) -> None:
        pool = version  # the replica table's groups are pools here
        self._ready_by_pool[pool] = ready
        region, model = divmod(pool, self.n_versions)
        self.region_stores[region].record_slots(model, time, ready * self.concurrency)
        total = int(self._ready_by_pool[model::self.n_versions].sum())
        self.store.record_slots(model, time, total * self.concurrency)

    # -- data plane --------------------------------------------------------

    def route(self, batch: RequestBatch) -> np.ndarray:
        """Pool of each request: its serving region (failover applied), then a version by that region's routing."""
        serving = fail_over(batch.region, batch.u_failover, self.region_out > 0, self.layout)
        version = np.empty(len(batch), dtype=np.int64)
        for region in np.unique(serving):
            mine = serving == region
            draws = self.user_buckets[batch.user[mine]] if self.region_sticky[region] else batch.u_route[mine]
            version[mine] = route_versions(draws, self._fractions(int(region)))
        return serving * self.n_versions + version

    def _fractions(self, region: int) -> np.ndarray:
        """Share of region ``region``'s new requests each version gets (fractions summing to 1)."""
        weights = self.region_weights[region]
        if weights is not None:
            return weights / weights.sum()
        ready = self._ready_by_pool[region * self.n_versions:(region + 1) * self.n_versions].astype(float)
        if ready.sum() == 0:
            fractions = np.zeros(self.n_versions)
            fractions[self.index(self.scenario.stable)] = 1.0
            return fractions
        return ready / ready.sum()

    def service_times(self, batch: RequestBatch, version: np.ndarray) -> np.ndarray:
        """Service time per request (seconds) in its pool: the version's, its region's faults and offset."""
        service = np.empty(len(batch))
        for pool in np.unique(version):
            mine = version == pool
            region, model = divmod(int(pool), self.n_versions)
            times = self.latency[model].transform(batch.u_service[mine], batch.z_service[mine])
            factor = self.region_faults[region].latency_factor(model, batch.arrival[mine])
            if factor is not None:
                times = times * factor
            service[mine] = times + self.layout.latency_offset[region]
        return service

    def _record(self, served: Iterable[ServedChunk]) -> None:
        for chunk in served:
            region = chunk["version"] // self.n_versions
            chunk = {**chunk, "version": chunk["version"] % self.n_versions,
                     "origin": chunk["origin"] % self.n_versions}
            for index in np.unique(region):
                mine = region == index
                done = self.region_outcomes[index].decide({name: values[mine] for name, values in chunk.items()})
                self.store.record(done)
                self.region_stores[index].record(done)
                self.blast.record(int(index), done)

    # -- control plane -----------------------------------------------------

    def scale_to(self, version: str, replicas: int, region: str | None = None, *, cause: str = "strategy",
                 why: str = "") -> None:
        """Run ``replicas`` replicas of ``version`` in ``region``, or spread over every region.

        ``cause`` and ``why`` are for autoscalers, which a world with regions does not have.
        """
        self.advance()
        index = self.index(version)
        targets = self._regions(region)
        counts = [replicas] if region is not None else self.layout.spread(replicas)
        for target, count in zip(targets, counts, strict=True):
            self._scale_pool(target, index, count)
        self.desired[index] = int(self.pool_desired[index::self.n_versions].sum())
        self.deployed[index] = self.desired[index] > 0
        self._note_range(index, self.desired[index])
        self._notify_waiters()

    def _scale_pool(self, region: int, index: int, replicas: int) -> None:
        pool = self._pool(region, index)
        before = len(self._resize(pool, index, replicas))
        self.pool_desired[pool] = replicas
        if replicas != before:
            version, name = self.versions[index], self.layout.names[region]
            self.log("scale", f"{version} in {name}: {before} -> {replicas} replicas", version=version,
                     region=name, previous=before, replicas=replicas)

    def _replica_stopped(self, replica: int) -> None:
        self._outage_hit.pop(replica, None)  # a stopped replica is no longer one an outage took down

    def _replica_names(self, replica: int) -> tuple[str, str]:
        region, model = divmod(self.replicas.version(replica), self.n_versions)
        return self.versions[model], self.layout.names[region]

    def _start_up(self, replica: int, delay: float):
        generation = self._start_generation.get(replica, 0)
        yield self.env.timeout(delay)
        restarted = self._start_generation.get(replica, 0) != generation  # an outage began its start-up again
        if self.replicas.state(replica) != ReplicaState.STARTING or restarted:
            return
        self.advance()
        version, region = self._replica_names(replica)
        if self.region_out[self.layout.index(region)]:
            # Started while its region is out: it serves once the region is back.
            self.replicas.set_state(replica, ReplicaState.CRASHED, self.env.now)
            self._outage_hit[replica] = ReplicaState.READY
            return
        self.replicas.set_state(replica, ReplicaState.READY, self.env.now)
        self.log("replica_ready", f"{version} replica {replica} ready in {region}", version=version,
                 region=region, replica=replica, restarted=False)
        self._notify_waiters()

    def set_weights(self, weights: Mapping[str, float], sticky: bool = False, region: str | None = None) -> None:
        """Route new requests of ``region`` (or of every region) by ``weights`` (percent per version)."""
        self.advance()
        array = self._weights_array(weights)
        for index in self._regions(region):
            self.region_weights[index] = array.copy()
            self.region_sticky[index] = sticky
        shown = ", ".join(f"{v} {w:g} %" for v, w in weights.items() if w > 0)
        where = {} if region is None else {"region": region}
        self.log("set_weights", shown + (" (sticky per user)" if sticky else "") + (f" in {region}" if region else ""),
                 weights={v: float(w) for v, w in weights.items() if w > 0}, sticky=sticky, **where)

    def route_by_replicas(self, region: str | None = None) -> None:
        """Route new requests of ``region`` (or of every region) across its ready replicas alike."""
        self.advance()
        for index in self._regions(region):
            self.region_weights[index] = None
            self.region_sticky[index] = False
        where = {} if region is None else {"region": region}
        self.log("set_weights", "by ready replicas" + (f" in {region}" if region else ""), weights=None,
                 sticky=False, **where)

    def set_mirror(self, version: str, percentage: float, region: str | None = None) -> None:
        """Copy ``percentage`` % of the user requests of ``region`` (or of every region) to ``version``."""
        self.advance()
        for index in self._regions(region):
            self.region_mirror[index] = (self.index(version), percentage / 100.0) if percentage > 0 else None
        shadows = {mirror[0] for mirror in self.region_mirror if mirror is not None}
        if len(shadows) > 1:
            raise ValueError("regions mirror to different versions; expected one shadow version at a time")
        if shadows:
            fractions = np.array([mirror[1] if mirror is not None else 0.0 for mirror in self.region_mirror])
            self.mirror = (shadows.pop(), fractions)
        else:
            self.mirror = None
        detail = f"{percentage:g} % of requests mirrored to {version}" if percentage > 0 else "mirroring stopped"
        where = {} if region is None else {"region": region}
        self.log("mirror", detail + (f" in {region}" if region else ""), version=version,
                 percentage=float(percentage), **where)

    def current_weights(self) -> dict[str, float] | None:
        """Each version's share of all traffic in percent (regions by their shares), or ``None`` by replicas."""
        if all(weights is None for weights in self.region_weights):
            return None
        total = sum(share * self._fractions(index) for index, share in enumerate(self.layout.shares))
        return {name: float(100.0 * total[i]) for i, name in enumerate(self.versions) if total[i] > 0}

    def region_weights_percent(self, region: str) -> dict[str, float] | None:
        """Router weights of ``region`` in percent per version, or ``None`` while it routes by replicas."""
        weights = self.region_weights[self.layout.index(region)]
        if weights is None:
            return None
        return {name: float(weights[i]) for i, name in enumerate(self.versions) if weights[i] > 0}

    def _crash_at(self, fault: CrashFault):
        yield self.env.timeout(fault.at)
        self.advance()
        index = self.index(fault.version)
        ready = self._pool_ids(index, self._region_index(fault.region), ReplicaState.READY)
        where = f" in {fault.region}" if fault.region else ""
        if not ready:
            self.log("fault", f"crash of {fault.version}{where} skipped: no ready replica", fault="crash",
                     version=fault.version, region=fault.region, replica=None, skipped=True)
            return
        restart = self._restart_delay(fault, index)
        for replica in ready[: fault.replicas]:
            self.replicas.set_state(replica, ReplicaState.CRASHED, self.env.now)
            self.data_plane.replica_crashed(replica, self.env.now)
            _, region = self._replica_names(replica)
            self.log("fault", f"{fault.version} replica {replica} in {region} crashed (restart in {restart:g}s)",
                     fault="crash", version=fault.version, region=region, replica=replica, restart_after=restart)
            self.env.process(self._restart(replica, restart))
        self._notify_waiters()

    def _restart(self, replica: int, delay: float):
        yield self.env.timeout(delay)
        if self.replicas.state(replica) != ReplicaState.CRASHED or replica in self._outage_hit:
            return
        self.advance()
        version, region = self._replica_names(replica)
        if self.region_out[self.layout.index(region)]:
            self._outage_hit[replica] = ReplicaState.READY  # it serves once the region is back
            return
        self.replicas.set_state(replica, ReplicaState.READY, self.env.now)
        self.log("replica_ready", f"{version} replica {replica} restarted in {region}", version=version,
                 region=region, replica=replica, restarted=True)
        self._notify_waiters()

    def _outage(self, fault: RegionOutageFault):
        """A region out from ``at`` for ``for`` seconds: its replicas down, its traffic failed over or dropped."""
        yield self.env.timeout(fault.at)
        self.advance()
        region = self.layout.index(fault.region)
        self.region_out[region] += 1
        hit = []
        for pool in range(region * self.n_versions, (region + 1) * self.n_versions):
            for replica in self.replicas.ids(pool, ReplicaState.READY, ReplicaState.STARTING):
                state = self.replicas.state(replica)
                self.replicas.set_state(replica, ReplicaState.CRASHED, self.env.now)
                if state == ReplicaState.READY:
                    self.data_plane.replica_crashed(replica, self.env.now)
                self._outage_hit[replica] = state
                hit.append(replica)
        failover = bool(self.layout.failover[region])
        until = "" if fault.duration is None else f" for {fault.duration:g}s"
        self.log("fault", f"region {fault.region} out{until}: {len(hit)} replicas down, its traffic "
                          + ("failed over to the other regions" if failover else "dropped"),
                 fault="region_outage", region=fault.region, replicas=len(hit), failover=failover)
        self._notify_waiters()
        if fault.duration is None:
            return
        yield self.env.timeout(fault.duration)
        self.advance()
        self.region_out[region] -= 1
        if self.region_out[region]:
            return
        back = [replica for replica in sorted(self._outage_hit)
                if self.replicas.version(replica) // self.n_versions == region]
        for replica in back:
            state = self._outage_hit.pop(replica)
            if self.replicas.state(replica) != ReplicaState.CRASHED:
                continue
            if state == ReplicaState.STARTING:  # its start-up begins again
                self._start_generation[replica] = self._start_generation.get(replica, 0) + 1
                self.replicas.set_state(replica, ReplicaState.STARTING, self.env.now)
                self.env.process(self._start_up(replica, self.startup[self.replicas.version(replica)
                                                                      % self.n_versions]))
            else:
                self.replicas.set_state(replica, ReplicaState.READY, self.env.now)
        self.log("region_back", f"region {fault.region} back: {len(back)} replicas serve again",
                 fault="region_outage", region=fault.region, replicas=len(back))
        self._notify_waiters()

    def wait_ready(self, version: str, region: str | None = None) -> simpy.Event:
        """An event that fires once every desired replica of ``version`` (in ``region``, or everywhere) is ready."""
        event = self.env.event()
        self._waiters.append((self.index(version), self._region_index(region), event))
        self._notify_waiters()
        return event

    def _notify_waiters(self) -> None:
        remaining = []
        for index, region, event in self._waiters:
            if region is None:
                desired = int(self.pool_desired[index::self.n_versions].sum())
            else:
                desired = int(self.pool_desired[self._pool(region, index)])
            if self._count(index, region, ReplicaState.READY) >= desired:
                event.succeed()
            else:
                remaining.append((index, region, event))
        self._waiters = remaining

    def smoke_test(self, version: str, samples: int, stream: str = "smoke",
                   region: str | None = None) -> tuple[SmokeTestResult, float]:
        """Synthetic, labelled requests to ``version`` in ``region`` (default: the first region where it is ready).

        As :meth:`World.smoke_test`, with the region's faults, latency offset and ready replicas.
        """
        self.advance()
        index = self.index(version)
        where = self._region_index(region)
        if where is None:
            where = next((r for r in range(len(self.layout))
                          if self.replicas.count(self._pool(r, index), ReplicaState.READY)), 0)
        faults = self.region_faults[where]
        generator = self.streams.generator(stream)
        uniforms = generator.random((3, samples))
        normal = generator.standard_normal(samples)
        now = self.env.now
        service = self.latency[index].transform(uniforms[0], normal)
        factor = faults.latency_factor(index, np.full(samples, now))
        if factor is not None:
            service = service * factor
        service = service + self.layout.latency_offset[where]
        p_error = faults.error_probability(self.error_rates, np.full(samples, index), np.full(samples, now))
        failed = (uniforms[1] < p_error) | (service > self.timeout)
        correct = (uniforms[2] < self.accuracies[index]) & ~failed
        ready = self.replicas.count(self._pool(where, index), ReplicaState.READY)
        slots = max(1, ready * self.concurrency)
        duration = float(service.sum() / slots + (service.max() if samples else 0.0))
        answered = service[~failed]

        def quantile(q: float) -> float | None:
            return float(np.quantile(answered, q)) if len(answered) else None

        result = SmokeTestResult(
            version=version, samples=samples, failed=int(failed.sum()), labelled=int((~failed).sum()),
            correct=int(correct.sum()), latency_mean=float(answered.mean()) if len(answered) else None,
            latency_p99=quantile(0.99), latency_p50=quantile(0.5), latency_p90=quantile(0.9),
            latency_p95=quantile(0.95), compatibility=self.scenario.all_versions()[version].compatibility,
        )
        return result, duration

    # -- observation -------------------------------------------------------

    def deployment(self, version: str, region: str | None = None) -> DeploymentStatus:
        """Replica counts of ``version`` in ``region``, or summed over every region."""
        index = self.index(version)
        where = self._region_index(region)
        desired = int(self.pool_desired[index::self.n_versions].sum() if where is None
                      else self.pool_desired[self._pool(where, index)])
        return DeploymentStatus(
            version=version, desired=desired, ready=self._count(index, where, ReplicaState.READY),
            starting=self._count(index, where, ReplicaState.STARTING),
            crashed=self._count(index, where, ReplicaState.CRASHED),
        )

    def region_monitoring(self, region: str) -> MonitoringView:
        """What monitoring shows of ``region`` alone at the current time (its scrapes lost in its outages too)."""
        monitoring = self.scenario.monitoring
        index = self.layout.index(region)
        return MonitoringView(self.region_stores[index].series, self.env.now, monitoring.delay,
                              self.region_faults[index].metrics_outages, label_delay=monitoring.labels.delay)

    def observe(self, stable: str, candidate: str, smoke_test: SmokeTestResult | None = None,
                drift_scores: Mapping[str, float] | None = None,
                test_suite: TestSuiteResult | None = None, baseline: str | None = None) -> Observation:
        """The world's observation, with each region's own in ``regions``."""
        observation = super().observe(stable, candidate, smoke_test, drift_scores, test_suite, baseline)
        names = [name for name in (stable, candidate, baseline) if name is not None]
        regions = {
            region: Observation(
                now=observation.now, stable=stable, candidate=candidate,
                deployments={name: self.deployment(name, region) for name in names},
                weights=self.region_weights_percent(region), metrics=self.region_monitoring(region),
                drift_scores=observation.drift_scores, baseline=baseline, jobs=observation.jobs,
            )
            for region in self.layout.names
        }
        return dataclasses.replace(observation, regions=regions)

    def decision_made(self, time: float) -> None:
        """The rollout decided at ``time`` (seconds): the blast radius counts up to here."""
        self.blast.decided(time)

    def finish(self) -> None:
        """Serve and record everything up to now, in every region's figures too."""
        served = self.data_plane.finish(self.env.now)
        self.store.close(self.env.now)
        for store in self.region_stores:
            store.close(self.env.now)
        self._record(served)
        self.traffic.close()

    def region_replica_seconds(self, region: str) -> float:
        """Replica-seconds used so far in ``region`` (every version)."""
        index = self.layout.index(region)
        now = self.env.now
        return float(sum((replica.stopped if replica.stopped is not None else now) - replica.created
                         for replica in self.replicas.replicas if replica.version // self.n_versions == index))

    def describe(self) -> dict[str, Any]:
        """The regions as run: share, stable replicas, latency offset (seconds), failover, users."""
        layout = self.layout
        return {name: {"share": float(layout.shares[i]), "replicas": layout.replicas[i],
                       "latency_offset_s": float(layout.latency_offset[i]), "failover": bool(layout.failover[i]),
                       "users": layout.users[i]} for i, name in enumerate(layout.names)}
