"""The per-request reference data plane: one simpy process per request.

Slow (tens of thousands of requests per wall-second) but written the plain
way, independently of the batch kernel: each replica is a
``simpy.Resource`` with ``concurrency`` slots and a FIFO queue; a request
waits for a slot or gives up at the client timeout; a crash interrupts the
requests in flight on the replica. It draws nothing of its own: it uses the
same traffic, routing draws and service times as the batch plane, so on the
same seed the two must agree request for request (up to requests still in
flight when the run ends). Tests hold the batch plane to it. Like the batch
plane, it sees the world only through
:class:`~simulator.world.serving.ServingState`. Each source of requests
bound to a version (a load test, :meth:`PerRequestDataPlane.add_source`) is
fed by a process of its own from the moment it is added.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import simpy

from simulator.world.metrics import Status
from simulator.world.serving import BoundSource, ServedChunk, ServingState

__all__ = ["PerRequestDataPlane"]

_CHUNK_SECONDS = 1.0


class PerRequestDataPlane:
    """Serves requests as individual simpy processes in the world's environment."""

    def __init__(self, state: ServingState, env: simpy.Environment) -> None:
        self.state = state
        self.env = env
        self.balancer = state.balancer
        self.resources: dict[int, simpy.Resource] = {}
        self.connections: dict[int, int] = defaultdict(int)
        self.in_flight: dict[int, set[simpy.Process]] = defaultdict(set)
        self.round_robin_next = np.zeros(state.n_versions, dtype=np.int64)
        self.finished: list[tuple] = []
        self.env.process(self._source())

    # -- requests ----------------------------------------------------------

    def _source(self):
        env, state = self.env, self.state
        while True:
            batch = state.traffic.take_until(env.now + _CHUNK_SECONDS)
            # Service time of every request on every version, drawn exactly as the batch plane does.
            table = np.empty((state.n_versions, len(batch)))
            for index in range(state.n_versions):
                table[index] = state.service_times(batch, np.full(len(batch), index))
            for i in range(len(batch)):
                arrival = batch.arrival[i]
                if arrival > env.now:
                    yield env.timeout(arrival - env.now)
                env.process(self._request(batch, i, table[:, i]))
            end = np.floor(env.now / _CHUNK_SECONDS + 1.0) * _CHUNK_SECONDS if not len(batch) else None
            if end is not None:
                yield env.timeout(end - env.now)

    def add_source(self, source: BoundSource) -> None:
        """Serve ``source``'s requests from now on too, each on its own version (flagged ``synthetic``)."""
        self.env.process(self._bound_source(source))

    def _bound_source(self, source: BoundSource):
        env, state = self.env, self.state
        while not source.exhausted:
            batch, versions = source.take_until(env.now + _CHUNK_SECONDS)
            service = state.service_times(batch, versions)
            for i in range(len(batch)):
                arrival = batch.arrival[i]
                if arrival > env.now:
                    yield env.timeout(arrival - env.now)
                table = np.zeros(state.n_versions)
                table[versions[i]] = service[i]
                env.process(self._request(batch, i, table, bound_to=int(versions[i])))
            if not len(batch):
                yield env.timeout(_CHUNK_SECONDS)

    def _choose_replica(self, version: int, u_balance: float) -> int:
        ready_ids, ready_start, ready_count = self.state.replicas.ready_arrays()
        count = int(ready_count[version])
        if count == 0:
            return -1
        base = int(ready_start[version])
        if self.balancer == "random":
            k = min(int(u_balance * count), count - 1)
        elif self.balancer == "round_robin":
            k = int(self.round_robin_next[version] % count)
            self.round_robin_next[version] += 1
        else:
            offset = min(int(u_balance * count), count - 1)
            loads = [(self.connections[int(ready_ids[base + (offset + j) % count])], j) for j in range(count)]
            k = (offset + min(loads)[1]) % count
        return int(ready_ids[base + k])

    def _request(self, batch, i: int, service_by_version: np.ndarray, shadow_of: int | None = None,
                 bound_to: int | None = None):
        """One request; with ``shadow_of`` set, a mirrored copy of a request that ``shadow_of`` serves; with
        ``bound_to``, a request to that version's own Service (a load test's: never routed, never mirrored)."""
        env, state = self.env, self.state
        arrival = env.now
        if bound_to is not None:
            version = bound_to
        elif shadow_of is None:
            version = int(state.route(batch.take(slice(i, i + 1)))[0])
            if state.mirror is not None and batch.u_mirror[i] < state.mirror[1] and version != state.mirror[0]:
                env.process(self._request(batch, i, service_by_version, shadow_of=version))
        else:
            assert state.mirror is not None
            version = state.mirror[0]
        draws = (batch.u_error[i], batch.u_correct[i], batch.u_label[i], batch.user[i],
                 shadow_of is not None, version if shadow_of is None else shadow_of, batch.u_shadow[i],
                 batch.u_segment[i], bound_to is not None)
        replica = self._choose_replica(version, batch.u_balance[i])
        if replica < 0:
            self._record(arrival, version, Status.DROPPED, arrival, arrival, draws,
                         arrival + service_by_version[version])
            return
        resource = self.resources.get(replica)
        if resource is None:
            resource = self.resources[replica] = simpy.Resource(env, capacity=state.concurrency)
        timeout = state.timeout
        self.connections[replica] += 1
        process = env.active_process
        assert process is not None
        self.in_flight[replica].add(process)
        slot = resource.request()
        start = arrival + timeout
        try:
            outcome = yield slot | env.timeout(timeout)
            if slot not in outcome:
                slot.cancel()
                self._record(arrival, version, Status.TIMEOUT_QUEUED, start, arrival + timeout, draws,
                             start + service_by_version[version])
                return
            start = env.now
            service = service_by_version[version]
            if start + service - arrival > timeout:
                # The client gives up; the replica still spends the full service time.
                env.process(self._hold(resource, slot, service))
                yield env.timeout(arrival + timeout - env.now)
                self._record(arrival, version, Status.TIMEOUT_SERVING, start, arrival + timeout, draws,
                             start + service)
            else:
                yield env.timeout(service)
                resource.release(slot)
                self._record(arrival, version, Status.OK, start, env.now, draws, env.now)
        except simpy.Interrupt:
            if not slot.triggered:
                slot.cancel()
            # In service: the slot is freed by the crash; still queued (start in the future): it never started.
            self._record(arrival, version, Status.CRASHED, start, env.now, draws, env.now)
        finally:
            self.connections[replica] -= 1
            self.in_flight[replica].discard(process)

    def _hold(self, resource: simpy.Resource, slot, service: float):
        yield self.env.timeout(service)
        resource.release(slot)

    def _record(self, arrival, version, status, start, client_end, draws, service_end) -> None:
        self.finished.append((arrival, version, status, start, client_end, *draws, service_end))

    # -- data plane interface ----------------------------------------------

    def advance_to(self, until: float) -> list[ServedChunk]:
        """The requests finished so far (simpy has already served them)."""
        if not self.finished:
            return []
        columns = list(zip(*self.finished, strict=True))
        self.finished = []
        dtypes = {"version": np.int64, "status": np.int64, "user": np.int64, "shadow": bool, "origin": np.int64,
                  "synthetic": bool}
        names = ("arrival", "version", "status", "start", "client_end", "u_error", "u_correct", "u_label", "user",
                 "shadow", "origin", "u_shadow", "u_segment", "synthetic", "service_end")  # _record's tuples' order
        return [{name: np.array(column, dtype=dtypes.get(name, float)) for name, column in zip(names, columns,
                                                                                              strict=True)}]

    def open_requests(self, version: int) -> dict[str, np.ndarray]:
        """Requests not yet final: none known here (each is a process until it ends), so autoscalers see
        requests once they have finished."""
        return {"arrival": np.empty(0), "start": np.empty(0), "service_end": np.empty(0)}

    def replica_crashed(self, replica: int, now: float) -> None:
        """Interrupt every request in flight on ``replica``; it restarts with empty queues."""
        for process in list(self.in_flight[replica]):
            process.interrupt("replica crashed")
        self.resources.pop(replica, None)

    def finish(self, now: float) -> list[ServedChunk]:
        """What has finished (requests still in flight at the end are not counted)."""
        return self.advance_to(now)
