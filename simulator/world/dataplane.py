"""The batch data plane: requests processed a slice at a time, exactly.

Each slice takes the requests arriving in ``[t0, t1)``, routes them to a
version by the router's weights, draws service times, and hands them to the
compiled FIFO kernel (:mod:`simulator.world.kernel`) with the replicas' slot
state from the previous slice. Requests whose client-side end lies after
``t1`` stay *pending*: a crash at ``t1`` can still fail them, and they are
handed back only once final. Slices end wherever the world's control state
changes (weights, readiness, crashes), so no request sees stale routing.
Requests bound to a version (a load test's, :meth:`BatchDataPlane.add_source`)
join each slice in arrival order, on their own version. A request for a
version scaled to zero wakes it at its arrival (:meth:`ServingState.wake`,
the activator), and waits for its pods.

The plane sees the world only through :class:`~simulator.world.serving.ServingState`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from simulator.world.activator import hold_at_activator
from simulator.world.kernel import BALANCERS, assign_requests
from simulator.world.metrics import Status
from simulator.world.serving import SERVED_FIELDS, BoundSource, ServedChunk, ServingState
from simulator.world.traffic import RequestBatch

__all__ = ["BatchDataPlane", "route_versions"]

SLICE_REQUESTS = 200_000
"""Most requests (by the peak rate) one slice takes: about 26 MB of request fields."""

_INTEGER_FIELDS = ("version", "replica", "status", "user", "origin")


def route_versions(u_route: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Version index per request from draws on [0, 1) and traffic fractions per version.

    Request ``i`` goes to the first version whose cumulative fraction
    exceeds ``u_route[i]``. When one version takes every fraction, every
    draw lands there, and no draw is looked at.
    """
    cumulative = np.cumsum(weights)
    cumulative[-1] = np.inf  # guard against rounding
    whole = int(np.argmax(cumulative >= 1.0))  # the first version whose cumulative fraction reaches 1
    if whole == 0 or cumulative[whole - 1] <= 0.0:
        return np.full(len(u_route), whole, dtype=np.int64)
    return np.searchsorted(cumulative, u_route, side="right").astype(np.int64)


class BatchDataPlane:
    """Vectorised, slice-by-slice data plane (the default)."""

    def __init__(self, state: ServingState, max_slice: float) -> None:
        self.state = state
        self.max_slice = max_slice
        self.time = 0.0
        self.balancer = BALANCERS[state.balancer]
        # One counter per group of the replica table: a version, or with regions a (region, version) pool.
        self.round_robin_next = np.zeros(state.replicas.n_versions, dtype=np.int64)
        self.pending: ServedChunk = {name: np.empty(0, dtype=_dtype(name)) for name in SERVED_FIELDS}
        self.sources: list[BoundSource] = []

    def add_source(self, source: BoundSource) -> None:
        """Serve ``source``'s requests from now on too, each on its own version (flagged ``synthetic``)."""
        self.sources.append(source)

    def _take_bound(self, end: float) -> tuple[RequestBatch, np.ndarray] | None:
        """The bound sources' requests arriving before ``end`` (seconds) and their versions, or ``None``."""
        if not self.sources:
            return None
        parts = [source.take_until(end) for source in self.sources]
        self.sources = [source for source in self.sources if not source.exhausted]
        parts = [part for part in parts if len(part[0])]
        if not parts:
            return None
        return RequestBatch.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])

    def advance_to(self, until: float) -> Iterator[ServedChunk]:
        """Process every request arriving before ``until`` (seconds); yield the ones now final.

        Lazily, a slice at a time: each chunk is handed on before the next
        slice is served, so memory holds one slice's requests, however far
        ``until`` lies. The caller must consume every chunk.
        """
        while self.time < until:
            end = self._slice_end(until)
            batch = self.state.traffic.take_until(end)
            bound = self._take_bound(end)
            new = self._assign(batch, bound) if len(batch) or bound is not None else None
            served: list[ServedChunk] = []
            self._finalize(end, served, new=new)
            self.time = end
            yield from served

    def _slice_end(self, until: float) -> float:
        """The end of the next slice (seconds): ``max_slice`` on, or sooner where traffic is heavy.

        A slice holds at most about :data:`SLICE_REQUESTS` requests, by the
        traffic's peak rate over it, so memory and the cost per request stay
        flat at high rates. Where slices end changes no request's outcome.
        """
        end = min(until, self.time + self.max_slice)
        peak = self.state.traffic.rate.max_rate(self.time, end)
        if peak * (end - self.time) > SLICE_REQUESTS:
            end = self.time + SLICE_REQUESTS / peak
        return end

    def _assign(self, batch: RequestBatch, bound: tuple[RequestBatch, np.ndarray] | None = None) -> ServedChunk:
        """Route and serve the slice's requests; return them (not yet final: :meth:`_finalize` sorts them out)."""
        state = self.state
        replicas = state.replicas
        if len(batch):
            version = state.route(batch)
            service = state.service_times(batch, version)
        else:
            version, service = np.empty(0, dtype=np.int64), np.empty(0)
        shadow = np.zeros(len(batch), dtype=bool)
        origin = version
        if state.mirror is not None and len(batch):
            batch, version, service, shadow, origin = _with_mirrored_copies(state, batch, version, service)
        synthetic = np.zeros(len(batch), dtype=bool)
        if bound is not None:
            batch, version, service, shadow, origin, synthetic = _with_bound_requests(
                state, bound, batch, version, service, shadow, origin)
        sleeping = state.sleeping()
        if sleeping:
            _wake_at_first_request(state, sleeping, batch.arrival, version)
        n = len(batch)
        out_replica = np.empty(n, dtype=np.int64)
        out_start = np.empty(n)
        out_client_end = np.empty(n)
        out_status = np.empty(n, dtype=np.int64)
        ready_ids, ready_start, ready_count = replicas.ready_arrays()
        holding = replicas.holding()  # versions with no ready replica: the kernel leaves their requests alone
        done = 0
        while done < n:
            done = assign_requests(
                batch.arrival, version, batch.u_balance, service, state.timeout, self.balancer,
                ready_ids, ready_start, ready_count, self.round_robin_next,
                replicas.slot_free, replicas.departures, replicas.departure_count,
                out_replica, out_start, out_client_end, out_status, done,
            )
            if done < n:
                replicas.grow_departures()
        if holding:
            hold_at_activator(holding, batch.arrival, version, service, state.timeout, replicas.slot_free,
                              out_replica, out_start, out_client_end, out_status)
        # The slot stays busy for the full service time, even when the client gave up during it.
        service_end = out_start + service
        new = {
            "arrival": batch.arrival, "version": version, "replica": out_replica, "start": out_start,
            "client_end": out_client_end, "status": out_status, "u_error": batch.u_error,
            "u_correct": batch.u_correct, "u_label": batch.u_label, "user": batch.user,
            "shadow": shadow, "origin": origin, "u_shadow": batch.u_shadow, "u_segment": batch.u_segment,
            "service_end": service_end, "synthetic": synthetic,
        }
        return new

    def _finalize(self, until: float, served: list[ServedChunk], everything: bool = False,
                  new: ServedChunk | None = None) -> None:
        """Hand the requests now final (client end by ``until``, seconds) to ``served``; keep the rest pending.

        ``new`` are the slice's requests, just served, after the pending ones
        in arrival order: the final ones of both, in that order, make one
        chunk, and the others stay pending, as if ``new`` had been appended
        to the pending requests first. Most of ``new`` is final up to a point
        near the slice's end, so that stretch is taken whole, with no mask.
        """
        pending = self.pending
        if new is None or not len(new["arrival"]):
            new = None
            if not len(pending["arrival"]):
                return
        elif not len(pending["arrival"]):
            pending, new = new, None
        final = np.ones(len(pending["arrival"]), dtype=bool) if everything else pending["client_end"] <= until
        if new is None:
            if not final.any():
                self.pending = pending
                return
            if final.all():
                done, self.pending = pending, {name: pending[name][:0] for name in SERVED_FIELDS}
            else:
                keep = ~final
                done = {name: pending[name][final] for name in SERVED_FIELDS}
                self.pending = {name: pending[name][keep] for name in SERVED_FIELDS}
            served.append(done)
            return
        new_final = new["client_end"] <= until
        whole = len(new_final) if new_final.all() else int(np.argmin(new_final))  # new[:whole] are all final
        tail_final, tail_keep = new_final[whole:], ~new_final[whole:]
        old_keep = ~final
        done_parts = {name: [pending[name][final], new[name][:whole], new[name][whole:][tail_final]]
                      for name in SERVED_FIELDS}
        self.pending = {name: np.concatenate([pending[name][old_keep], new[name][whole:][tail_keep]])
                        for name in SERVED_FIELDS}
        if final.any() or whole or tail_final.any():
            served.append(JoinedChunk(done_parts))

    def open_requests(self, version: int) -> dict[str, np.ndarray]:
        """Requests of ``version`` not yet final: their ``arrival``, ``start`` and ``service_end``, seconds."""
        pending = self.pending
        mine = pending["version"] == version
        return {name: pending[name][mine] for name in ("arrival", "start", "service_end")}

    def replica_crashed(self, replica: int, now: float) -> None:
        """Fail the requests in flight on ``replica`` (queued or in service) at ``now``."""
        pending = self.pending
        hit = (pending["replica"] == replica) & (pending["client_end"] > now)
        if hit.any():
            pending["status"][hit] = Status.CRASHED
            pending["client_end"][hit] = now
            # Work in service stops at the crash; work still queued never starts (its end falls before its start).
            pending["service_end"][hit] = np.minimum(pending["service_end"][hit], now)

    def finish(self, now: float) -> Iterator[ServedChunk]:
        """Every request up to ``now`` (seconds) and every one still pending (their outcome is already known)."""
        yield from self.advance_to(now)
        served: list[ServedChunk] = []
        self._finalize(now, served, everything=True)
        yield from served


class JoinedChunk(Mapping[str, np.ndarray]):
    """A served chunk whose fields are joined from their parts when first read.

    Most runs read a dozen of the sixteen fields (a shadow's draws, the
    replica and the origin only matter to some), so those nobody reads are
    never copied. A field read is the concatenation of its parts, in order.
    """

    __slots__ = ("_parts", "_joined")

    def __init__(self, parts: dict[str, list[np.ndarray]]) -> None:
        self._parts = parts
        self._joined: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._joined.get(name)
        if values is None:
            values = self._joined[name] = np.concatenate(self._parts[name])
        return values

    def __contains__(self, name: object) -> bool:
        return name in self._parts  # without joining the field, as Mapping's would

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)


def _dtype(name: str) -> type:
    if name in _INTEGER_FIELDS:
        return np.int64
    return bool if name in ("shadow", "synthetic") else float


def _wake_at_first_request(state: ServingState, sleeping: tuple[int, ...], arrival: np.ndarray,
                           version: np.ndarray) -> None:
    """Wake each version at zero pods that a request of the slice is for, at the first such request's arrival."""
    for index in sleeping:
        first = np.flatnonzero(version == index)
        if len(first):
            state.wake(index, float(arrival[first[0]]))


def _with_bound_requests(state: ServingState, bound: tuple[RequestBatch, np.ndarray], batch: RequestBatch,
                         version: np.ndarray, service: np.ndarray, shadow: np.ndarray, origin: np.ndarray):
    """The slice's requests with the bound ones (a load test's) among them, in arrival order, flagged ``synthetic``.

    A bound request goes to its own version whatever the router's weights
    are, and is never mirrored.
    """
    extra, extra_version = bound
    extra_service = state.service_times(extra, extra_version)
    merged = RequestBatch.concatenate([batch, extra])
    order = np.argsort(merged.arrival, kind="stable")
    synthetic = np.concatenate([np.zeros(len(batch), dtype=bool), np.ones(len(extra), dtype=bool)])
    return (
        merged.take(order), np.concatenate([version, extra_version])[order],
        np.concatenate([service, extra_service])[order],
        np.concatenate([shadow, np.zeros(len(extra), dtype=bool)])[order],
        np.concatenate([origin, extra_version])[order], synthetic[order],
    )


def _with_mirrored_copies(state: ServingState, batch: RequestBatch, version: np.ndarray, service: np.ndarray):
    """Add a copy of each mirrored request, bound for the shadow version, in arrival order.

    A copy has the original's arrival time and draws; its service time is the
    shadow version's. It never reaches the user: it is flagged ``shadow``.
    With regions, routing targets are pools (``region x versions + version``):
    a copy goes to the shadow version's pool of its request's region, and the
    fraction copied may be one per region (an array).
    """
    assert state.mirror is not None
    shadow_version, fraction = state.mirror
    model = version % state.n_versions  # the version itself, without regions
    if np.ndim(fraction):
        fraction = np.asarray(fraction)[version // state.n_versions]
    mirrored = (batch.u_mirror < fraction) & (model != shadow_version)
    if not mirrored.any():
        return batch, version, service, np.zeros(len(batch), dtype=bool), version
    copies = batch.take(mirrored)
    copy_version = version[mirrored] - model[mirrored] + shadow_version
    copy_service = state.service_times(copies, copy_version)
    merged = RequestBatch.concatenate([batch, copies])
    order = np.argsort(merged.arrival, kind="stable")
    shadow = np.concatenate([np.zeros(len(batch), dtype=bool), np.ones(len(copies), dtype=bool)])
    origin = np.concatenate([version, version[mirrored]])
    return (
        merged.take(order), np.concatenate([version, copy_version])[order],
        np.concatenate([service, copy_service])[order], shadow[order], origin[order],
    )
