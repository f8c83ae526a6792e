"""What a data plane may see of the world: the serving state, nothing more.

A data plane (the batch kernel or the per-request reference) serves
requests. It reads the traffic, the routing in force, the replica table and
the service-time model through :class:`ServingState`, and hands back the
requests whose outcome is final as plain arrays (:data:`ServedChunk`). It
never records metrics, never reads the scenario and never calls back into
the world's control plane, but for the activator's wake-up of a version
scaled to zero (:meth:`ServingState.wake`); the world decides what a finished request's
errors, predictions and labels are, and records them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

import numpy as np

from simulator.world.replicas import ReplicaTable
from simulator.world.traffic import RequestBatch, TrafficSource

__all__ = ["ServingState", "ServedChunk", "DataPlane", "BoundSource", "SERVED_FIELDS"]

ServedChunk = Mapping[str, np.ndarray]
"""Requests whose outcome is final, one array per field of :data:`SERVED_FIELDS`, in arrival order."""

SERVED_FIELDS = (
    "arrival", "version", "replica", "start", "client_end", "status", "u_error", "u_correct", "u_label", "user",
    "shadow", "origin", "u_shadow", "u_segment", "service_end", "synthetic",
)
"""Fields of a served chunk: times in seconds, indices, status codes and each request's own draws.

``service_end`` (seconds) is ``start`` plus the request's service time: when
its replica slot is freed, its ``client_end`` when served in time, later when
the client gave up during service (the replica finishes the work). A crash
cuts it at the crash. It means something only for a request that started
service; for one that never did (timed out in the queue, dropped) it is
what the service would have taken. ``synthetic`` marks the requests of a
:class:`BoundSource` (a load test): nobody's, like ``shadow`` copies.
"""


class BoundSource(Protocol):
    """Requests bound to one version each, not routed by the router (a load test of a version's own Service)."""

    @property
    def exhausted(self) -> bool:
        """Whether every request has been handed out."""
        ...

    def take_until(self, end: float) -> tuple[RequestBatch, np.ndarray]:
        """The requests arriving before ``end`` (seconds) not handed out yet, and the version index of each."""
        ...


class ServingState(Protocol):
    """The world as a data plane sees it."""

    traffic: TrafficSource
    replicas: ReplicaTable
    timeout: float
    """Client timeout, seconds."""
    balancer: str
    """``random``, ``round_robin`` or ``least_connections``."""
    concurrency: int
    """Requests one replica serves at once."""
    n_versions: int
    mirror: tuple[int, float | np.ndarray] | None
    """(shadow version index, fraction of requests copied), or ``None``; with regions the fraction may be one
    per region, and routing targets are pools (``region x n_versions + version``)."""

    def route(self, batch: RequestBatch) -> np.ndarray:
        """Version index of each request of ``batch`` by the routing in force now."""
        ...

    def service_times(self, batch: RequestBatch, version: np.ndarray) -> np.ndarray:
        """Service time (seconds) of each request on the version given for it, faults applied."""
        ...

    def sleeping(self) -> tuple[int, ...]:
        """Versions scaled to zero whose next request wakes them (Knative's activator); mostly none."""
        ...

    def wake(self, version: int, at: float) -> None:
        """A request for sleeping ``version`` reached the activator at ``at`` (s): its pods start, and it waits."""
        ...


class DataPlane(Protocol):
    """What the world asks of a data plane."""

    def advance_to(self, until: float) -> Iterable[ServedChunk]:
        """Serve every request arriving before ``until`` (seconds); return those whose outcome is final.

        The chunks may come lazily (a generator): the caller consumes them all, in order.
        """
        ...

    def replica_crashed(self, replica: int, now: float) -> None:
        """Fail the requests in flight on ``replica`` at ``now``."""
        ...

    def add_source(self, source: BoundSource) -> None:
        """Serve ``source``'s requests from now on too, each on its own version (flagged ``synthetic``)."""
        ...

    def finish(self, now: float) -> Iterable[ServedChunk]:
        """Return everything still pending at the end of the run."""
        ...

    def open_requests(self, version: int) -> dict[str, np.ndarray]:
        """Requests of ``version`` not yet final: ``arrival``, ``start`` and ``service_end`` arrays, seconds."""
        ...
