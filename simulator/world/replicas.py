"""Replicas of every version: lifecycle state and per-slot queue state.

A replica starts (``STARTING``) and takes traffic once its start-up delay has
passed (``READY``); it may crash (``CRASHED``) and restart, and it is stopped
(``STOPPED``) when scaled away. ``slot_free[r, s]`` is the time slot ``s`` of
replica ``r`` finishes its current work: the queue state the data plane
carries from slice to slice. Whenever a version's count of ready replicas
changes, :attr:`ReplicaTable.on_ready_change` (if set) hears of it: the
readiness the cluster reports, from which slots over time are counted.

A version behind an activator (:attr:`ReplicaTable.activator_backed`, a
Knative revision that may scale to zero) with no ready replica but starting
ones is *holding* (:meth:`ReplicaTable.holding`): its requests wait for those
replicas (:mod:`simulator.world.activator`), whose slots are free from the
time each is to be ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["ReplicaTable", "ReplicaState"]


class ReplicaState:
    """Lifecycle states of a replica."""

    STARTING = 0
    READY = 1
    CRASHED = 2
    STOPPED = 3


@dataclass
class _Replica:
    version: int
    state: int
    created: float
    stopped: float | None = None


class ReplicaTable:
    """All replicas ever created in a run, indexed by creation order."""

    def __init__(self, n_versions: int, concurrency: int) -> None:
        self.n_versions = n_versions
        self.concurrency = concurrency
        self.replicas: list[_Replica] = []
        self.slot_free = np.zeros((16, concurrency))
        self.departures = np.zeros((16, 8))
        self.departure_count = np.zeros(16, dtype=np.int64)
        self._ready_cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._ready_counts = np.zeros(n_versions, dtype=np.int64)
        self.on_ready_change: Callable[[int, float, int], None] | None = None
        """Called with (version, time in seconds, ready replicas now) when a version's ready count changes."""
        self.activator_backed: set[int] = set()
        """Versions whose requests wait at the activator for their starting replicas while none is ready."""
        self._holding: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.replicas)

    def add(self, version: int, now: float, ready_at: float | None = None) -> int:
        """Create a starting replica of ``version`` at ``now``, to be ready at ``ready_at`` (s); return its id."""
        replica_id = len(self.replicas)
        self.replicas.append(_Replica(version=version, state=ReplicaState.STARTING, created=now))
        if replica_id >= self.slot_free.shape[0]:
            grow = self.slot_free.shape[0]
            self.slot_free = np.vstack([self.slot_free, np.zeros((grow, self.concurrency))])
            self.departures = np.vstack([self.departures, np.zeros((grow, self.departures.shape[1]))])
            self.departure_count = np.concatenate([self.departure_count, np.zeros(grow, dtype=np.int64)])
        self.slot_free[replica_id] = now if ready_at is None else ready_at
        self.departure_count[replica_id] = 0
        self._ready_cache = None
        return replica_id

    def grow_departures(self) -> None:
        """Double the per-replica capacity of the in-flight buffer (least connections)."""
        self.departures = np.hstack([self.departures, np.zeros_like(self.departures)])

    def set_state(self, replica_id: int, state: int, now: float) -> None:
        """Move ``replica_id`` to ``state`` at time ``now`` (seconds)."""
        replica = self.replicas[replica_id]
        was_ready = replica.state == ReplicaState.READY
        was_starting = replica.state == ReplicaState.STARTING
        replica.state = state
        if state == ReplicaState.STOPPED:
            replica.stopped = now
        elif state == ReplicaState.READY:
            # Fresh from start-up or restart: no work queued, but what the activator held for it while it started.
            slots = self.slot_free[replica_id]
            self.slot_free[replica_id] = np.maximum(slots, now) if was_starting else now
        elif state == ReplicaState.CRASHED:
            # The work it held is lost (the data plane fails those requests).
            self.departure_count[replica_id] = 0
        self._ready_cache = None
        if was_ready != (state == ReplicaState.READY):
            self._ready_counts[replica.version] += 1 if state == ReplicaState.READY else -1
            if self.on_ready_change is not None:
                self.on_ready_change(replica.version, now, int(self._ready_counts[replica.version]))

    def state(self, replica_id: int) -> int:
        """Current state of ``replica_id``."""
        return self.replicas[replica_id].state

    def version(self, replica_id: int) -> int:
        """Version index of ``replica_id``."""
        return self.replicas[replica_id].version

    def ids(self, version: int, *states: int) -> list[int]:
        """Ids of ``version``'s replicas in any of ``states``, oldest first."""
        return [i for i, r in enumerate(self.replicas) if r.version == version and r.state in states]

    def count(self, version: int, state: int) -> int:
        """Number of ``version``'s replicas in ``state``."""
        return sum(1 for r in self.replicas if r.version == version and r.state == state)

    def ready_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ready replica ids grouped by version: ``(ids, start offset, count)`` for the kernel."""
        if self._ready_cache is None:
            groups = [self.ids(v, ReplicaState.READY) for v in range(self.n_versions)]
            self._holding = {}
            for version in self.activator_backed:
                starting = self.ids(version, ReplicaState.STARTING) if not groups[version] else []
                if starting:
                    self._holding[version] = np.array(starting, dtype=np.int64)
            counts = np.array([len(g) for g in groups], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
            ids = np.array([i for g in groups for i in g], dtype=np.int64)
            self._ready_cache = (ids, starts, counts)
        return self._ready_cache

    def holding(self) -> dict[int, np.ndarray]:
        """Activator-backed versions with no ready replica but starting ones: version index -> those ids."""
        self.ready_arrays()
        return self._holding

    def replica_seconds(self, now: float) -> float:
        """Replica-seconds used up to ``now``: each replica from creation until stopped."""
        return float(sum((r.stopped if r.stopped is not None else now) - r.created for r in self.replicas))
