"""A plain per-request simpy model of a replica pool: the baseline the batch engine is timed against.

Written the ordinary simpy way and nothing more: one source process, one
process per request, one ``simpy.Resource`` per replica. Each request goes to
the replica it was given, waits for a slot first come, first served, gives up
if it has not started within the timeout, and otherwise holds its slot for its
service time.
"""

from __future__ import annotations

import numpy as np
import simpy

__all__ = ["simulate_per_request"]


def simulate_per_request(
    arrival_times: np.ndarray,
    service_times: np.ndarray,
    replica_of_request: np.ndarray,
    n_replicas: int,
    concurrency: int,
    timeout: float,
) -> dict[str, float | int]:
    """Simulate the requests one simpy process each; return counts and mean wait/latency (seconds)."""
    env = simpy.Environment()
    replicas = [simpy.Resource(env, capacity=concurrency) for _ in range(n_replicas)]
    counts = {"served": 0, "timed_out_in_queue": 0, "timed_out_in_service": 0}
    waits: list[float] = []
    latencies: list[float] = []

    def request(index: int):
        arrived = env.now
        resource = replicas[int(replica_of_request[index])]
        with resource.request() as slot:
            outcome = yield slot | env.timeout(timeout)
            if slot not in outcome:
                counts["timed_out_in_queue"] += 1
                return
            wait = env.now - arrived
            waits.append(wait)
            yield env.timeout(service_times[index])
            if wait + service_times[index] > timeout:
                counts["timed_out_in_service"] += 1
            else:
                counts["served"] += 1
                latencies.append(wait + service_times[index])

    def source():
        for index, arrival in enumerate(arrival_times):
            yield env.timeout(arrival - env.now)
            env.process(request(index))

    env.process(source())
    env.run()
    return {
        "requests": len(arrival_times),
        **counts,
        "mean_wait_s": float(np.mean(waits)) if waits else 0.0,
        "mean_latency_s": float(np.mean(latencies)) if latencies else 0.0,
    }
