"""The data plane's inner loop, compiled with numba.

It assigns each request of a slice, in arrival order, to a replica of its
version (``random``, ``round_robin`` or ``least_connections``) and to that
replica's earliest-free concurrency slot: first come, first served, exactly
(the Kiefer-Wolfowitz recursion of a multi-server FIFO queue). Slot state is
carried from slice to slice in ``slot_free``, so queues built in one slice
drain in the next.

A request that cannot start within the client timeout leaves the queue at
``arrival + timeout`` and never occupies a slot (FIFO makes this decidable at
arrival: its start time depends only on earlier requests). A request that
starts but does not finish in time is a timeout for the client, while the
replica still spends the full service time on it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["assign_requests", "serve_in_slot", "BALANCERS"]

BALANCERS = {"random": 0, "round_robin": 1, "least_connections": 2}

# The codes of simulator.world.metrics.Status, as plain module constants for numba.
STATUS_OK = 0
STATUS_TIMEOUT_QUEUED = 1
STATUS_TIMEOUT_SERVING = 2
STATUS_DROPPED = 3
STATUS_CRASHED = 4


@njit(cache=True, nogil=True)
def serve_in_slot(i: int, t: float, earliest: float, service: float, timeout: float, replica: int, slot: int,
                  slot_free: np.ndarray, out_replica: np.ndarray, out_start: np.ndarray, out_client_end: np.ndarray,
                  out_status: np.ndarray) -> None:
    """Request ``i``, arrived at ``t``, queued for ``slot`` of ``replica``, free from ``earliest`` (seconds).

    It starts when the slot is free, or times out in the queue (never taking
    the slot) if that is ``timeout`` or more after its arrival; once started
    it holds the slot for its whole ``service`` time, and its client gives up
    at ``t + timeout``.
    """
    start = t if earliest < t else earliest
    out_replica[i] = replica
    if start - t >= timeout:
        out_start[i] = t + timeout
        out_client_end[i] = t + timeout
        out_status[i] = STATUS_TIMEOUT_QUEUED
        return
    end = start + service
    slot_free[replica, slot] = end
    out_start[i] = start
    if end - t > timeout:
        out_client_end[i] = t + timeout
        out_status[i] = STATUS_TIMEOUT_SERVING
    else:
        out_client_end[i] = end
        out_status[i] = STATUS_OK


@njit(cache=True, nogil=True)
def assign_requests(
    arrival: np.ndarray,
    version: np.ndarray,
    u_balance: np.ndarray,
    service: np.ndarray,
    timeout: float,
    balancer: int,
    ready_ids: np.ndarray,
    ready_start: np.ndarray,
    ready_count: np.ndarray,
    round_robin_next: np.ndarray,
    slot_free: np.ndarray,
    departures: np.ndarray,
    departure_count: np.ndarray,
    out_replica: np.ndarray,
    out_start: np.ndarray,
    out_client_end: np.ndarray,
    out_status: np.ndarray,
    first: int,
) -> int:
    """Assign requests ``first..n-1``; return the index reached.

    Returns ``n`` when done, or a smaller index when a replica's departure
    buffer (``least_connections`` only) is full: the caller grows it and
    calls again from there.
    """
    n = arrival.shape[0]
    concurrency = slot_free.shape[1]
    capacity = departures.shape[1]
    for i in range(first, n):
        t = arrival[i]
        v = version[i]
        count = ready_count[v]
        if count == 0:
            out_replica[i] = -1
            out_start[i] = t
            out_client_end[i] = t
            out_status[i] = STATUS_DROPPED
            continue
        base = ready_start[v]
        if balancer == 0:
            k = int(u_balance[i] * count)
            if k >= count:
                k = count - 1
        elif balancer == 1:
            k = round_robin_next[v] % count
            round_robin_next[v] += 1
        else:
            # Fewest requests in flight; ties go to the first one met, scanning
            # from a random offset so no replica is favoured.
            offset = int(u_balance[i] * count)
            if offset >= count:
                offset = count - 1
            best = -1
            best_load = 1 << 62
            for j in range(count):
                kk = (offset + j) % count
                r = ready_ids[base + kk]
                m = departure_count[r]
                w = 0
                for q in range(m):
                    if departures[r, q] > t:
                        departures[r, w] = departures[r, q]
                        w += 1
                departure_count[r] = w
                if w < best_load:
                    best_load = w
                    best = kk
            k = best
        r = ready_ids[base + k]
        if balancer == 2 and departure_count[r] >= capacity:
            return i
        slot = 0
        earliest = slot_free[r, 0]
        for s in range(1, concurrency):
            if slot_free[r, s] < earliest:
                earliest = slot_free[r, s]
                slot = s
        serve_in_slot(i, t, earliest, service[i], timeout, r, slot, slot_free, out_replica, out_start,
                      out_client_end, out_status)
        if balancer == 2:
            departures[r, departure_count[r]] = out_client_end[i]
            departure_count[r] += 1
    return n
