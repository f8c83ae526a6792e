"""The batch data plane: requests processed a slice at a time, exactly.

Each slice takes the requests arriving in ``[t0, t1)``, routes them to a
version by the router's weights, draws service times, and hands them to the
compiled FIFO kernel (:mod:`simulator.world.kernel`) with the replicas' slot
state from the previous slice. Requests whose client-side end lies after
``t1`` stay *pending*: a crash at ``t1`` can still fail them, and they are
recorded only once final. Slices end wherever the world's control state
changes (weights, readiness, crashes), so no request sees stale routing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from scipy import special

from simulator.world.kernel import BALANCERS, assign_requests
from simulator.world.metrics import FinishedRequests, Status
from simulator.world.traffic import RequestBatch

if TYPE_CHECKING:
    from simulator.world.world import World

__all__ = ["DataPlane", "BatchDataPlane", "route_versions", "service_times", "finished_requests"]

_PENDING_FIELDS = (
    "arrival", "version", "replica", "start", "client_end", "status", "u_error", "u_correct", "u_label", "user",
    "shadow", "origin", "u_shadow", "u_segment",
)
_INTEGER_FIELDS = ("version", "replica", "status", "user", "origin")


class DataPlane(Protocol):
    """What the world asks of a data plane."""

    def advance_to(self, until: float) -> None:
        """Serve and record every request arriving before ``until`` (seconds) whose outcome is final."""
        ...

    def replica_crashed(self, replica: int, now: float) -> None:
        """Fail the requests in flight on ``replica`` at ``now``."""
        ...

    def finish(self, now: float) -> None:
        """Record everything still pending at the end of the run."""
        ...


def route_versions(u_route: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Version index per request from U(0,1) draws and traffic fractions per version."""
    cumulative = np.cumsum(weights)
    cumulative[-1] = np.inf  # guard against rounding
    return np.searchsorted(cumulative, u_route, side="right").astype(np.int64)


def service_times(world: World, batch: RequestBatch, version: np.ndarray) -> np.ndarray:
    """Service time per request (seconds) for the version it was routed to, faults applied."""
    service = np.empty(len(batch))
    for index in np.unique(version):
        mine = version == index
        times = world.latency[index].transform(batch.u_service[mine], batch.z_service[mine])
        factor = world.faults.latency_factor(int(index), batch.arrival[mine])
        service[mine] = times if factor is None else times * factor
    return service


class BatchDataPlane:
    """Vectorised, slice-by-slice data plane (the default)."""

    def __init__(self, world: World, max_slice: float) -> None:
        self.world = world
        self.max_slice = max_slice
        self.time = 0.0
        self.balancer = BALANCERS[world.scenario.service.balancer]
        self.round_robin_next = np.zeros(len(world.versions), dtype=np.int64)
        self.pending: dict[str, np.ndarray] = {name: np.empty(0, dtype=_dtype(name)) for name in _PENDING_FIELDS}

    def advance_to(self, until: float) -> None:
        """Process every request arriving before ``until`` (seconds)."""
        while self.time < until:
            end = min(until, self.time + self.max_slice)
            batch = self.world.traffic.take_until(end)
            if len(batch):
                self._assign(batch)
            self._finalize(end)
            self.time = end

    def _assign(self, batch: RequestBatch) -> None:
        world = self.world
        replicas = world.replicas
        version = world.route(batch)
        service = service_times(world, batch, version)
        shadow = np.zeros(len(batch), dtype=bool)
        origin = version
        if world.mirror is not None:
            batch, version, service, shadow, origin = _with_mirrored_copies(world, batch, version, service)
        n = len(batch)
        out_replica = np.empty(n, dtype=np.int64)
        out_start = np.empty(n)
        out_client_end = np.empty(n)
        out_status = np.empty(n, dtype=np.int64)
        ready_ids, ready_start, ready_count = replicas.ready_arrays()
        done = 0
        while done < n:
            done = assign_requests(
                batch.arrival, version, batch.u_balance, service, world.timeout, self.balancer,
                ready_ids, ready_start, ready_count, self.round_robin_next,
                replicas.slot_free, replicas.departures, replicas.departure_count,
                out_replica, out_start, out_client_end, out_status, done,
            )
            if done < n:
                replicas.grow_departures()
        new = {
            "arrival": batch.arrival, "version": version, "replica": out_replica, "start": out_start,
            "client_end": out_client_end, "status": out_status, "u_error": batch.u_error,
            "u_correct": batch.u_correct, "u_label": batch.u_label, "user": batch.user,
            "shadow": shadow, "origin": origin, "u_shadow": batch.u_shadow, "u_segment": batch.u_segment,
        }
        if len(self.pending["arrival"]):
            self.pending = {name: np.concatenate([self.pending[name], new[name]]) for name in _PENDING_FIELDS}
        else:
            self.pending = new

    def _finalize(self, until: float, everything: bool = False) -> None:
        pending = self.pending
        if not len(pending["arrival"]):
            return
        final = np.ones(len(pending["arrival"]), dtype=bool) if everything else pending["client_end"] <= until
        if not final.any():
            return
        if final.all():
            done, self.pending = pending, {name: pending[name][:0] for name in _PENDING_FIELDS}
        else:
            keep = ~final
            done = {name: pending[name][final] for name in _PENDING_FIELDS}
            self.pending = {name: pending[name][keep] for name in _PENDING_FIELDS}
        self.world.record(**done)

    def replica_crashed(self, replica: int, now: float) -> None:
        """Fail the requests in flight on ``replica`` (queued or in service) at ``now``."""
        pending = self.pending
        hit = (pending["replica"] == replica) & (pending["client_end"] > now)
        if hit.any():
            pending["status"][hit] = Status.CRASHED
            pending["client_end"][hit] = now

    def finish(self, now: float) -> None:
        """Record every request still pending (their outcome is already known)."""
        self.advance_to(now)
        self._finalize(now, everything=True)


def _dtype(name: str) -> type:
    if name in _INTEGER_FIELDS:
        return np.int64
    return bool if name == "shadow" else float


def _with_mirrored_copies(world: World, batch: RequestBatch, version: np.ndarray, service: np.ndarray):
    """Add a copy of each mirrored request, bound for the shadow version, in arrival order.

    A copy has the original's arrival time and draws; its service time is the
    shadow version's. It never reaches the user: it is flagged ``shadow``.
    """
    assert world.mirror is not None
    shadow_version, fraction = world.mirror
    mirrored = (batch.u_mirror < fraction) & (version != shadow_version)
    if not mirrored.any():
        return batch, version, service, np.zeros(len(batch), dtype=bool), version
    copies = batch.take(mirrored)
    copy_version = np.full(len(copies), shadow_version, dtype=np.int64)
    copy_service = service_times(world, copies, copy_version)
    merged = RequestBatch.concatenate([batch, copies])
    order = np.argsort(merged.arrival, kind="stable")
    shadow = np.concatenate([np.zeros(len(batch), dtype=bool), np.ones(len(copies), dtype=bool)])
    origin = np.concatenate([version, version[mirrored]])
    return (
        merged.take(order), np.concatenate([version, copy_version])[order],
        np.concatenate([service, copy_service])[order], shadow[order], origin[order],
    )


def finished_requests(world: World, **arrays: np.ndarray) -> FinishedRequests:
    """Decide errors, correctness and labels of final requests from their draws.

    A shadow copy's prediction is correlated with the production prediction
    of the same request (Gaussian copula with ``prediction_correlation``);
    ``disagrees`` marks the copies whose prediction differs from production's.
    """
    version = arrays["version"]
    status = arrays["status"]
    arrival = arrays["arrival"]
    p_error = world.faults.error_probability(world.error_rates, version, arrival)
    error = (status == Status.OK) & (arrays["u_error"] < p_error)
    true_accuracy = world.drift.accuracy(version, arrival, arrays.get("u_segment"))
    correct = arrays["u_correct"] < true_accuracy
    labelled = arrays["u_label"] < world.label_fraction
    shadow = arrays.get("shadow")
    if shadow is None:
        shadow = np.zeros(len(version), dtype=bool)
    compared = np.zeros(len(version), dtype=bool)
    disagrees = np.zeros(len(version), dtype=bool)
    if shadow.any():
        origin = arrays["origin"][shadow]
        rho = world.prediction_correlation
        z_production = special.ndtri(arrays["u_correct"][shadow])
        z_shadow = rho * z_production + np.sqrt(1.0 - rho * rho) * special.ndtri(arrays["u_shadow"][shadow])
        shadow_correct = z_shadow < special.ndtri(true_accuracy[shadow])
        segment_draws = arrays["u_segment"][shadow] if "u_segment" in arrays else None
        production_correct = arrays["u_correct"][shadow] < world.drift.accuracy(origin, arrival[shadow], segment_draws)
        production_error = world.faults.error_probability(world.error_rates, origin, arrival[shadow])
        production_answered = arrays["u_error"][shadow] >= production_error
        correct[shadow] = shadow_correct
        compared[shadow] = (status[shadow] == Status.OK) & ~error[shadow] & production_answered
        disagrees[shadow] = compared[shadow] & (shadow_correct != production_correct)
    return FinishedRequests(
        arrival=arrival, version=version, status=status, start=arrays["start"],
        client_end=arrays["client_end"], error=error, correct=correct, labelled=labelled, user=arrays["user"],
        shadow=shadow, compared=compared, disagrees=disagrees, true_accuracy=true_accuracy,
    )
