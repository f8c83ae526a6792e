"""The simulated world: versions, replicas, router, traffic, faults and monitoring.

:class:`World` is a simpy model. Its control plane (replica start-up,
crashes and restarts, routing changes) runs as simpy processes and methods;
its data plane (:class:`~simulator.world.dataplane.BatchDataPlane` or the
per-request reference) serves the requests. Every method that changes
control state first brings the data plane up to the current time, so each
request is routed with the state in force when it arrived. Data planes see
the world through the narrow :class:`~simulator.world.serving.ServingState`
it implements, and hand back finished requests, which the world records.

This world has one region. A scenario with ``regions`` runs in
:class:`~simulator.world.regional_world.RegionalWorld`, which adds a level
above the replica table (a pool per region and version, a traffic source per
region, regional faults), with the router choosing a region before a
version; the data planes below it are the same. It builds on the hooks
here: :meth:`World._traffic_source`, :meth:`World._routing_groups`,
:meth:`World._start_fleet`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simulator.commands import RunTestSuite
from simulator.errors import StrategyError
from simulator.events import Event
from simulator.observations import DeploymentStatus, Observation, SmokeTestResult, TestSuiteResult
from simulator.random_streams import RandomStreams
from simulator.scenario.model import Scenario
from simulator.scenario.world_config import CrashFault
from simulator.world.autoscaling import VersionAutoscaler, autoscaling_of
from simulator.world.dataplane import BatchDataPlane, route_versions
from simulator.world.drift import DriftSchedule
from simulator.world.faults import FaultSchedule
from simulator.world.jobs import JobOutcomes
from simulator.world.latency import LatencyDistribution
from simulator.world.load_meter import LoadMeter
from simulator.world.load_tester import LoadTester
from simulator.world.metrics import MetricStore, Status
from simulator.world.monitoring import MonitoringView
from simulator.world.outcomes import RequestOutcomes
from simulator.world.prometheus_reader import PrometheusView, simulated_prometheus
from simulator.world.reference import PerRequestDataPlane
from simulator.world.registry import ModelRegistry
from simulator.world.replicas import ReplicaState, ReplicaTable
from simulator.world.serving import DataPlane, ServedChunk
from simulator.world.test_suite import run_test_suite
from simulator.world.traffic import RequestBatch, TrafficSource, user_buckets

if TYPE_CHECKING:
    from simulator.prometheus import SimulatedPrometheus

__all__ = ["World"]


class World:
    """One run's simulated world (one scenario, one seed); the data planes' ``ServingState``."""

    region_names: tuple[str, ...] = ()
    """The regions of a scenario with regions, in the order declared; none here."""

    def __init__(self, scenario: Scenario, seed: int, env: simpy.Environment, data_plane: str | None = None) -> None:
        self.scenario = scenario
        self.env = env
        self.seed = seed
        all_versions = scenario.all_versions()
        self.versions = list(all_versions)
        configs = [all_versions[name] for name in self.versions]
        self.latency = [LatencyDistribution.from_spec(config.latency) for config in configs]
        self.error_rates = np.array([config.error_rate for config in configs])
        self.accuracies = np.array([config.accuracy for config in configs])
        self.startup = [config.startup for config in configs]
        self.n_versions = len(self.versions)
        self.timeout = scenario.service.timeout
        self.balancer: str = scenario.service.balancer
        self.concurrency = scenario.service.concurrency
        self.streams = RandomStreams(seed)
        self.faults = FaultSchedule(scenario.faults, self.versions)
        self.traffic = self._traffic_source()
        self.replicas = ReplicaTable(self._routing_groups(), scenario.service.concurrency)
        self.store = MetricStore(
            self.versions,
            bin_seconds=scenario.monitoring.scrape_interval,
            horizon=scenario.horizon,
            label_delay=scenario.monitoring.labels.delay,
            bucket_factor=scenario.monitoring.latency_bucket_factor,
            users=scenario.traffic.users,
            slow_above=scenario.slo.latency_p99 if scenario.slo is not None else None,
        )
        self.replicas.on_ready_change = self._ready_changed
        self._prometheus: SimulatedPrometheus | None = None
        self.jobs = JobOutcomes(self.streams)
        self.events: list[Event] = []
        self.registry = ModelRegistry(self.versions, scenario.stable, scenario.candidate)
        drift = scenario.drift
        self.drift = DriftSchedule(
            scenario.feature_set(), drift.data if drift else [], drift.concept if drift else None,
            self.versions, self.accuracies,
            {name: config.segments for name, config in all_versions.items() if config.segments},
        )
        self.outcomes = RequestOutcomes(self.faults, self.error_rates, self.drift, scenario.monitoring.labels.fraction,
                                        scenario.prediction_correlation, baseline=self.index(scenario.stable))
        self.desired = [0] * len(self.versions)
        self.weights: np.ndarray | None = None
        self.sticky = False
        # (shadow version index, fraction of requests copied; with regions, one fraction per region)
        self.mirror: tuple[int, float | np.ndarray] | None = None
        # Each user's fixed position in [0, 1) for sticky splits (an experiment's hash assignment).
        self.user_buckets = user_buckets(scenario.traffic.users, self.streams.generator("assignment"))
        self.load_tester = LoadTester(self.streams)
        self.affinity: tuple[int, float] | None = None  # (version index, cookie max-age s): session affinity
        self.affinity_until = np.full(len(self.user_buckets), -np.inf)  # when each user's cookie expires, seconds
        self._ready_waiters: list[tuple[int, simpy.Event]] = []
        kind = data_plane or scenario.simulation.data_plane
        self.data_plane: DataPlane
        if kind == "per_request":
            self.data_plane = PerRequestDataPlane(self, env)
        else:
            self.data_plane = BatchDataPlane(self, scenario.simulation.max_slice)
        self._start_fleet()
        self._start_autoscalers()

    def _traffic_source(self) -> TrafficSource:
        """The run's requests (a hook: a world with regions merges one source per region)."""
        return TrafficSource.for_run(self.scenario.traffic, self.faults.spikes, self.streams)

    def _start_autoscalers(self) -> None:
        """Each autoscaled version's autoscaler, and what they keep (see :mod:`simulator.world.autoscaling`)."""
        scenario = self.scenario
        stable = self.index(scenario.stable)
        self.replica_range: dict[int, tuple[int, int]] = {stable: (scenario.service.replicas,) * 2}
        """Per version index: the fewest and most replicas asked for while it was deployed."""
        self.floors = [0] * len(self.versions)
        """Per version index: the replicas a strategy asked for, below which its autoscaler does not go."""
        self.autoscaled = [0] * len(self.versions)
        """Per version index: the count its autoscaler last decided (0: none since it was deployed)."""
        self.scale_events = [0] * len(self.versions)
        """Per version index: how many times its autoscaler changed its replicas."""
        self.autoscalers = [VersionAutoscaler(self, name, config) for name in self.versions
                            for config in [autoscaling_of(scenario, name)] if config is not None]
        self.deployed = [index == stable for index in range(len(self.versions))]
        """Per version index: deployed by a strategy (or the stable fleet), whether or not scaled to zero."""
        self.waking = {autoscaler.index: autoscaler for autoscaler in self.autoscalers if autoscaler.config.min == 0}
        """The autoscalers that may scale their version to zero, by version index: the activator wakes them."""
        self.replicas.activator_backed = set(self.waking)
        self._sleeping: tuple[int, ...] = ()
        longest = max((autoscaler.config.stable_window if autoscaler.config.kind == "kpa"
                       else autoscaler.config.sync_period for autoscaler in self.autoscalers), default=0.0)
        self.load_meter = LoadMeter(len(self.versions), longest + scenario.service.timeout)
        for autoscaler in self.autoscalers:
            self.env.process(autoscaler.run())

    def _routing_groups(self) -> int:
        """Groups of the replica table the router picks among: one per version here (a hook)."""
        return len(self.versions)

    def _start_fleet(self) -> None:
        """The stable version's replicas, ready at 0 and taking all traffic; the crash faults' processes."""
        scenario = self.scenario
        stable = self.index(scenario.stable)
        for _ in range(scenario.service.replicas):
            replica = self.replicas.add(stable, 0.0)
            self.replicas.set_state(replica, ReplicaState.READY, 0.0)
        self.desired[stable] = scenario.service.replicas
        self.weights = self._weights_array({scenario.stable: 100.0})
        for fault in self.faults.crashes:
            self.env.process(self._crash_at(fault))
        self.log("start", f"{scenario.service.replicas} replicas of {scenario.stable} serving 100 %",
                 version=scenario.stable, replicas=scenario.service.replicas)

    # -- helpers -----------------------------------------------------------

    def index(self, version: str) -> int:
        """Index of ``version`` in the world's arrays."""
        return self.versions.index(version)

    def log(self, kind: str, detail: str, /, **data: object) -> None:
        """Append an event at the current simulated time: the sentence and the same facts as fields."""
        self.events.append(Event(round(float(self.env.now), 6), kind, detail, data))

    def decision_made(self, time: float) -> None:
        """A rollout decided at ``time`` (seconds): a hook for what is counted up to the decision (none here)."""

    def advance(self) -> None:
        """Serve every request that arrived before now, and record those whose outcome is final."""
        self._record(self.data_plane.advance_to(self.env.now))

    def _ready_changed(self, version: int, time: float, ready: int) -> None:
        self.store.record_slots(version, time, ready * self.concurrency)

    def _record(self, served: Iterable[ServedChunk]) -> None:
        """Record the chunks as the data plane hands them over (lazily: one slice in memory at a time)."""
        recorded = False
        for chunk in served:
            recorded = True
            self.store.record(self.outcomes.decide(chunk))
            if self.autoscalers:
                self._meter(chunk)
        if self.autoscalers and recorded:
            self.load_meter.prune(float(self.env.now))

    def _meter(self, chunk: ServedChunk) -> None:
        """Finished requests, for the autoscalers: those never served hold no slot."""
        status = chunk["status"]
        served = (status == Status.OK) | (status == Status.TIMEOUT_SERVING) | (status == Status.CRASHED)
        start = np.where(served, chunk["start"], chunk["service_end"])
        self.load_meter.record(chunk["version"], chunk["arrival"], chunk["client_end"], start, chunk["service_end"])

    def service_times(self, batch: RequestBatch, version: np.ndarray) -> np.ndarray:
        """Service time per request (seconds) for the version it was routed to, faults applied."""
        service = np.empty(len(batch))
        present = np.flatnonzero(np.bincount(version))  # the versions routed to, as np.unique(version) but faster
        for index in present:
            mine = slice(None) if len(present) == 1 else version == index
            times = self.latency[index].transform(batch.u_service[mine], batch.z_service[mine])
            factor = self.faults.latency_factor(int(index), batch.arrival[mine])
            service[mine] = times if factor is None else times * factor
        return service

    def _weights_array(self, weights: Mapping[str, float]) -> np.ndarray:
        array = np.zeros(len(self.versions))
        for version, percent in weights.items():
            array[self.index(version)] = percent
        return array

    def route(self, batch: RequestBatch) -> np.ndarray:
        """Version index of each request of ``batch``, by the routing in force now.

        With a sticky split a user always lands on the same version for the
        same weights (by the user's bucket); otherwise each request is routed
        on its own, and with session affinity a user the weights sent to its
        version stays on it while the cookie lasts (:meth:`_keep_affinity`).
        """
        draws = self.user_buckets[batch.user] if self.sticky else batch.u_route
        routed = route_versions(draws, self.traffic_fractions())
        if self.affinity is not None and not self.sticky and self.weights is not None:
            routed = self._keep_affinity(batch, routed)
        return routed

    def _keep_affinity(self, batch: RequestBatch, routed: np.ndarray) -> np.ndarray:
        """``routed`` with session affinity: users holding a cookie of the affinity version go to it.

        A user gets the cookie with the first request the weights send to
        that version; from then on, for the cookie's max-age (seconds),
        every later request of theirs goes there too (from the request's
        arrival: the cookie comes with its answer, a few milliseconds later).
        Cookies are void once the version's weight is 0 (:meth:`set_weights`).
        """
        assert self.affinity is not None and self.weights is not None
        version, max_age = self.affinity
        users, arrival = batch.user, batch.arrival
        holding = arrival < self.affinity_until[users]
        routed = np.where(holding, version, routed)
        fresh = np.flatnonzero((routed == version) & ~holding)
        if len(fresh):
            first_users, first = np.unique(users[fresh], return_index=True)
            since = arrival[fresh[first]]
            position = np.minimum(np.searchsorted(first_users, users), len(first_users) - 1)
            start = np.where(first_users[position] == users, since[position], np.inf)
            routed = np.where((arrival > start) & (arrival < start + max_age), version, routed)
            self.affinity_until[first_users] = since + max_age
        return routed

    def traffic_fractions(self) -> np.ndarray:
        """Share of new requests each version gets now (fractions summing to 1)."""
        if self.weights is not None:
            return self.weights / self.weights.sum()
        _, _, ready = self.replicas.ready_arrays()
        total = ready.sum()
        if total == 0:
            fractions = np.zeros(len(self.versions))
            fractions[self.index(self.scenario.stable)] = 1.0
            return fractions
        return ready / total

    def current_weights(self) -> dict[str, float] | None:
        """Router weights in percent per version, or ``None`` while routing by replicas."""
        if self.weights is None:
            return None
        return {name: float(self.weights[i]) for i, name in enumerate(self.versions) if self.weights[i] > 0}

    # -- control plane -----------------------------------------------------

    def _one_region(self, region: str | None) -> None:
        """Refuse a command aimed at a region: this world has none."""
        if region is not None:
            raise StrategyError(f"a command for region '{region}' in a scenario without regions; expected none")

    def scale_to(self, version: str, replicas: int, region: str | None = None, *, cause: str = "strategy",
                 why: str = "") -> None:
        """Run ``replicas`` replicas of ``version``: start new ones or stop the surplus (``region``: none here).

        ``cause`` says who asked (``strategy`` or ``autoscaler``), ``why``
        what the autoscaler measured.
        """
        self._one_region(region)
        self.advance()
        index = self.index(version)
        if cause == "strategy":
            self.floors[index] = replicas
            self.deployed[index] = replicas > 0
            if replicas == 0:
                self.autoscaled[index] = 0  # retired: its autoscaler starts afresh when it is deployed again
            elif self._autoscaled(index):  # the autoscaler's pods for the load stay; never below its min
                replicas = max(replicas, self.autoscaled[index], self._autoscaler_min(index))
        before = len(self._resize(index, index, replicas))
        self.desired[index] = replicas
        if replicas != before:
            detail = f"{version}: {before} -> {replicas} replicas" + (f" ({why})" if why else "")
            self.log("scale", detail, version=version, previous=before, replicas=replicas, cause=cause)
        self._note_range(index, replicas)
        if cause == "autoscaler" and replicas != before:
            self.scale_events[index] += 1
        self._sleeping = tuple(version for version in self.waking
                               if self.deployed[version] and not self.desired[version])
        self._notify_waiters()

    def sleeping(self) -> tuple[int, ...]:
        """Deployed versions their autoscaler scaled to zero: a request for one wakes it (see :meth:`wake`)."""
        return self._sleeping

    def wake(self, version: int, at: float) -> None:
        """A request for ``version``, at zero pods, reached the activator at ``at`` (seconds, at most now).

        The activator pokes the autoscaler, which starts ``activation_scale``
        pods at once; the request, and those after it, wait for them. Called
        by the data plane while it serves, so nothing here serves requests.
        """
        pods = self.waking[version].woken(at)
        self._start_replicas(version, version, pods, at)
        self.desired[version] = self.autoscaled[version] = pods
        self.scale_events[version] += 1
        self._note_range(version, pods)
        self._sleeping = tuple(index for index in self._sleeping if index != version)
        name = self.versions[version]
        event = Event(round(at, 6), "scale", f"{name}: 0 -> {pods} replicas (kpa: woken by a request at the "
                      "activator)", {"version": name, "previous": 0, "replicas": pods, "cause": "autoscaler"})
        bisect.insort(self.events, event, key=lambda logged: logged.t)

    def _resize(self, group: int, version: int, replicas: int) -> list[int]:
        """Start or stop replicas of routing ``group`` (of version index ``version``) until ``replicas`` are
        alive: stopped first are those that serve nothing, then the newest. Returns the replicas that were
        alive before, and the stopped ones among them are gone."""
        alive = self.replicas.ids(group, ReplicaState.STARTING, ReplicaState.READY, ReplicaState.CRASHED)
        before = len(alive)
        if replicas > before:
            self._start_replicas(group, version, replicas - before, self.env.now)
        elif replicas < before:
            not_serving = [r for r in alive if self.replicas.state(r) != ReplicaState.READY]
            serving = [r for r in alive if self.replicas.state(r) == ReplicaState.READY]
            for replica in (list(reversed(not_serving)) + list(reversed(serving)))[: before - replicas]:
                self.replicas.set_state(replica, ReplicaState.STOPPED, self.env.now)
                self._replica_stopped(replica)
        return alive

    def _start_replicas(self, group: int, version: int, count: int, at: float) -> None:
        """Start ``count`` replicas of routing ``group`` (version index ``version``) at ``at`` (seconds, at most
        now): each is ready its version's ``startup`` after ``at``."""
        startup = self.startup[version]
        delay = startup if at == self.env.now else max(0.0, at + startup - float(self.env.now))
        for _ in range(count):
            replica = self.replicas.add(group, at, ready_at=at + startup)
            self.env.process(self._start_up(replica, delay))

    def _replica_stopped(self, replica: int) -> None:
        """A hook: ``replica`` was scaled away (nothing to forget here)."""

    def _note_range(self, index: int, replicas: int) -> None:
        """Widen version ``index``'s range of replicas asked for while deployed (0: retired, or scaled to zero)."""
        if replicas > 0 or self.deployed[index]:
            low, high = self.replica_range.get(index, (replicas, replicas))
            self.replica_range[index] = (min(low, replicas), max(high, replicas))

    def _autoscaled(self, index: int) -> bool:
        return any(autoscaler.index == index for autoscaler in self.autoscalers)

    def _autoscaler_min(self, index: int) -> int:
        return min(autoscaler.config.min for autoscaler in self.autoscalers if autoscaler.index == index)

    def asked_for(self, index: int) -> int:
        """The replicas of version ``index`` a strategy waits for: what it asked for while its rollout runs
        (the autoscaler's extra pods are extra), else the count in force."""
        floor = self.floors[index]
        return floor if floor > 0 and self._autoscaled(index) else self.desired[index]

    def release_floors(self) -> None:
        """The rollout has finished: from now on the autoscalers alone decide every version's count."""
        self.floors = [0] * len(self.versions)

    def _start_up(self, replica: int, delay: float):
        yield self.env.timeout(delay)
        if self.replicas.state(replica) == ReplicaState.STARTING:
            self.advance()
            self.replicas.set_state(replica, ReplicaState.READY, self.env.now)
            version = self.versions[self.replicas.version(replica)]
            self.log("replica_ready", f"{version} replica {replica} ready", version=version, replica=replica,
                     restarted=False)
            self._notify_waiters()

    def set_weights(self, weights: Mapping[str, float], sticky: bool = False, region: str | None = None) -> None:
        """Route new requests by ``weights`` (percent per version); ``sticky`` keeps each user on one version."""
        self._one_region(region)
        self.advance()
        self.weights = self._weights_array(weights)
        self.sticky = sticky
        if self.affinity is not None and self.weights[self.affinity[0]] <= 0:
            self.affinity_until.fill(-np.inf)  # no weight left: the router voids the cookies
        shown = ", ".join(f"{v} {w:g} %" for v, w in weights.items() if w > 0)
        self.log("set_weights", shown + (" (sticky per user)" if sticky else ""),
                 weights={v: float(w) for v, w in weights.items() if w > 0}, sticky=sticky)

    def set_mirror(self, version: str, percentage: float, region: str | None = None) -> None:
        """Copy ``percentage`` % of user requests to ``version`` as shadow traffic (0 stops mirroring)."""
        self._one_region(region)
        self.advance()
        self.mirror = (self.index(version), percentage / 100.0) if percentage > 0 else None
        detail = f"{percentage:g} % of requests mirrored to {version}" if percentage > 0 else "mirroring stopped"
        self.log("mirror", detail, version=version, percentage=float(percentage))

    def set_session_affinity(self, version: str, max_age: float) -> None:
        """Keep users the weights send to ``version`` on it for ``max_age`` seconds (a cookie; 0 stops it)."""
        self.advance()
        self.affinity = (self.index(version), float(max_age)) if max_age > 0 else None
        if self.affinity is None:
            self.affinity_until.fill(-np.inf)
        detail = (f"users sent to {version} stay on it for {max_age:g}s (session affinity)" if max_age > 0
                  else "session affinity stopped")
        self.log("session_affinity", detail, version=version, max_age_s=float(max_age))

    def start_load_test(self, task: str, version: str, *, workers: int, period: float, duration: float) -> None:
        """A load tester's call: start ``task``'s run of requests to ``version``, unless one is still going.

        ``workers`` clients each send a request every ``period`` seconds for
        ``duration`` seconds (:mod:`simulator.world.load_tester`).
        """
        self.advance()
        now = float(self.env.now)
        running = self.load_tester.running(task, now)
        if running is not None:
            self.log("load_test", f"load test skipped: {task} is already running (until {running.end:g}s)",
                     task=task, version=version, started=False, running_until_s=running.end)
            return
        run = self.load_tester.call(task, self.index(version), now, workers=workers, period=period,
                                    duration=duration)
        assert run is not None
        self.data_plane.add_source(run)
        self.log("load_test", f"load test started: {task}: {workers} x {1 / period:g} requests/s to {version} for "
                              f"{run.duration:g}s ({run.requests} requests)",
                 task=task, version=version, started=True, workers=workers, rate=workers / period,
                 duration_s=run.duration, requests=run.requests)

    def route_by_replicas(self, region: str | None = None) -> None:
        """Route new requests across all ready replicas alike (a plain service)."""
        self._one_region(region)
        self.advance()
        self.weights = None
        self.sticky = False
        self.log("set_weights", "by ready replicas", weights=None, sticky=False)

    def _crash_at(self, fault: CrashFault):
        yield self.env.timeout(fault.at)
        self.advance()
        index = self.index(fault.version)
        ready = self.replicas.ids(index, ReplicaState.READY)
        if not ready:
            self.log("fault", f"crash of {fault.version} skipped: no ready replica", fault="crash",
                     version=fault.version, replica=None, skipped=True)
            return
        restart = self._restart_delay(fault, index)
        for replica in ready[: fault.replicas]:
            self.replicas.set_state(replica, ReplicaState.CRASHED, self.env.now)
            self.data_plane.replica_crashed(replica, self.env.now)
            self.log("fault", f"{fault.version} replica {replica} crashed (restart in {restart:g}s)", fault="crash",
                     version=fault.version, replica=replica, restart_after=restart)
            self.env.process(self._restart(replica, restart))
        self._notify_waiters()

    def _restart_delay(self, fault: CrashFault, index: int) -> float:
        """Seconds a crashed replica of version ``index`` takes to serve again: the fault's, the service's, or
        the version's start-up."""
        if fault.restart_after is not None:
            return fault.restart_after
        if self.scenario.service.restart_delay is not None:
            return self.scenario.service.restart_delay
        return self.startup[index]

    def _restart(self, replica: int, delay: float):
        yield self.env.timeout(delay)
        if self.replicas.state(replica) == ReplicaState.CRASHED:
            self.advance()
            self.replicas.set_state(replica, ReplicaState.READY, self.env.now)
            version = self.versions[self.replicas.version(replica)]
            self.log("replica_ready", f"{version} replica {replica} restarted", version=version, replica=replica,
                     restarted=True)
            self._notify_waiters()

    def wait_ready(self, version: str, region: str | None = None) -> simpy.Event:
        """An event that fires once every desired replica of ``version`` is ready."""
        self._one_region(region)
        event = self.env.event()
        self._ready_waiters.append((self.index(version), event))
        self._notify_waiters()
        return event

    def _notify_waiters(self) -> None:
        remaining = []
        for index, event in self._ready_waiters:
            if self.replicas.count(index, ReplicaState.READY) >= self.asked_for(index):
                event.succeed()
            else:
                remaining.append((index, event))
        self._ready_waiters = remaining

    def smoke_test(self, version: str, samples: int, stream: str = "smoke",
                   region: str | None = None) -> tuple[SmokeTestResult, float]:
        """Send ``samples`` synthetic, labelled requests to ``version``; return the result and its duration (s).

        The version takes no user traffic yet, so each sample's latency is its
        service time; samples run ``ready replicas x concurrency`` at a time.
        ``stream`` names the random stream the samples are drawn from.
        The result carries the version's ``compatibility``, as a schema check would report it.
        """
        self._one_region(region)
        self.advance()
        index = self.index(version)
        generator = self.streams.generator(stream)
        uniforms = generator.random((3, samples))
        normal = generator.standard_normal(samples)
        now = self.env.now
        service = self.latency[index].transform(uniforms[0], normal)
        factor = self.faults.latency_factor(index, np.full(samples, now))
        if factor is not None:
            service = service * factor
        versions = np.full(samples, index)
        p_error = self.faults.error_probability(self.error_rates, versions, np.full(samples, now))
        failed = (uniforms[1] < p_error) | (service > self.timeout)
        correct = (uniforms[2] < self.accuracies[index]) & ~failed
        slots = max(1, self.replicas.count(index, ReplicaState.READY) * self.scenario.service.concurrency)
        duration = float(service.sum() / slots + (service.max() if samples else 0.0))
        answered = service[~failed]
        result = SmokeTestResult(
            version=version,
            samples=samples,
            failed=int(failed.sum()),
            labelled=int((~failed).sum()),
            correct=int(correct.sum()),
            latency_mean=float(answered.mean()) if len(answered) else None,
            latency_p99=float(np.quantile(answered, 0.99)) if len(answered) else None,
            latency_p50=float(np.quantile(answered, 0.5)) if len(answered) else None,
            latency_p90=float(np.quantile(answered, 0.9)) if len(answered) else None,
            latency_p95=float(np.quantile(answered, 0.95)) if len(answered) else None,
            compatibility=self.scenario.all_versions()[version].compatibility,
        )
        return result, duration

    def test_suite(self, request: RunTestSuite) -> tuple[TestSuiteResult, float]:
        """Run seed 004's model test suite on ``request.version`` (:mod:`simulator.world.test_suite`).

        Returns the result and the suite's duration (seconds). The version
        was trained on the data current when it was registered (a retrained
        version) or before the run began (a declared one).
        """
        self.advance()
        registered = [event.t for event in self.events if event.kind == "registry"
                      and event.data.get("action") == "register" and event.data.get("version") == request.version]
        result = run_test_suite(request, drift=self.drift, version=self.index(request.version), now=self.env.now,
                                trained_at=registered[-1] if registered else 0.0,
                                generator=self.streams.generator("test-suite"))
        return result, request.duration

    # -- observation -------------------------------------------------------

    def deployment(self, version: str, region: str | None = None) -> DeploymentStatus:
        """Replica counts of ``version``."""
        self._one_region(region)
        index = self.index(version)
        return DeploymentStatus(
            version=version,
            desired=self.asked_for(index),
            ready=self.replicas.count(index, ReplicaState.READY),
            starting=self.replicas.count(index, ReplicaState.STARTING),
            crashed=self.replicas.count(index, ReplicaState.CRASHED),
        )

    def monitoring(self) -> MonitoringView:
        """What monitoring shows at the current time."""
        monitoring = self.scenario.monitoring
        return MonitoringView(self.store.series, self.env.now, monitoring.delay, self.faults.metrics_outages,
                              label_delay=monitoring.labels.delay)

    def serve_prometheus(self, services: Mapping[str, Sequence[str]], *, namespace: str = "default",
                         workloads: Mapping[str, str] | None = None) -> None:
        """Answer PromQL queries in observations from now on.

        ``services``: version -> the Services carrying it; ``namespace`` the
        series' Kubernetes namespace; ``workloads``: version -> its Deployment
        (Istio's ``destination_workload``; default: the version's name).
        """
        self._prometheus = simulated_prometheus(self.store.series, services, self.faults.metrics_outages,
                                                namespace=namespace, workloads=workloads)

    def observe(self, stable: str, candidate: str, smoke_test: SmokeTestResult | None = None,
                drift_scores: Mapping[str, float] | None = None,
                test_suite: TestSuiteResult | None = None, baseline: str | None = None) -> Observation:
        """An observation for a strategy rolling ``candidate`` out over ``stable``.

        ``drift_scores`` are the latest input drift scores per version that a
        drift monitor reported (the world keeps none itself).
        """
        self.advance()
        return Observation(
            now=float(self.env.now),
            stable=stable,
            candidate=candidate,
            deployments={name: self.deployment(name) for name in (stable, candidate, baseline) if name is not None},
            weights=self.current_weights(),
            metrics=self.monitoring(),
            smoke_test=smoke_test,
            test_suite=test_suite,
            drift_scores=dict(drift_scores or {}),
            baseline=baseline,
            prometheus=None if self._prometheus is None else PrometheusView(
                self._prometheus, float(self.env.now), self.scenario.monitoring.delay),
            jobs=self.jobs,
        )

    def finish(self) -> None:
        """Serve and record everything up to now, including requests still in flight."""
        served = self.data_plane.finish(self.env.now)
        self.store.close(self.env.now)  # the window ends: work still in service is counted up to here
        self._record(served)
        self.traffic.close()  # no more requests: the drawer thread, if any, stops

    def replica_seconds(self) -> float:
        """Replica-seconds used so far."""
        return self.replicas.replica_seconds(self.env.now)
