"""Knative's activator: requests for a version with no ready pod, held until one of its starting pods is ready.

A version that may scale to zero (:attr:`ReplicaTable.activator_backed`)
and has no ready pod, only starting ones, is *holding*: its requests wait at
the activator, first come first served, and each goes to the first slot that
frees among the version's starting pods (a pod's slots free when it becomes
ready). A request held until its client's timeout leaves at
``arrival + timeout`` and never takes a slot. The batch data plane hands a
holding version's requests here instead of to its balancer; the other
versions are untouched, since no request crosses versions.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.world.kernel import serve_in_slot

__all__ = ["hold_at_activator"]


@njit(cache=True, nogil=True)
def _first_free_slots(arrival: np.ndarray, service: np.ndarray, timeout: float, pods: np.ndarray,
                      slot_free: np.ndarray, out_replica: np.ndarray, out_start: np.ndarray,
                      out_client_end: np.ndarray, out_status: np.ndarray) -> None:
    """Each request in arrival order to the earliest free slot of ``pods``; times in seconds."""
    concurrency = slot_free.shape[1]
    for i in range(arrival.shape[0]):
        t = arrival[i]
        best_pod, best_slot = pods[0], 0
        earliest = slot_free[pods[0], 0]
        for pod in pods:
            for slot in range(concurrency):
                if slot_free[pod, slot] < earliest:
                    earliest, best_pod, best_slot = slot_free[pod, slot], pod, slot
        serve_in_slot(i, t, earliest, service[i], timeout, best_pod, best_slot, slot_free, out_replica, out_start,
                      out_client_end, out_status)


def hold_at_activator(holding: dict[int, np.ndarray], arrival: np.ndarray, version: np.ndarray,
                      service: np.ndarray, timeout: float, slot_free: np.ndarray, out_replica: np.ndarray,
                      out_start: np.ndarray, out_client_end: np.ndarray, out_status: np.ndarray) -> None:
    """Serve the requests of each holding version (``holding``: version index -> its starting pods' ids).

    Writes the outcome of those requests into the ``out_*`` arrays, which
    cover the whole slice, and leaves every other request's entries alone.
    """
    for index, pods in holding.items():
        mine = np.flatnonzero(version == index)
        if not len(mine):
            continue
        replica, start = np.empty(len(mine), dtype=np.int64), np.empty(len(mine))
        client_end, status = np.empty(len(mine)), np.empty(len(mine), dtype=np.int64)
        _first_free_slots(arrival[mine], service[mine], timeout, pods, slot_free, replica, start, client_end,
                          status)
        out_replica[mine], out_start[mine], out_client_end[mine], out_status[mine] = (
            replica, start, client_end, status)
