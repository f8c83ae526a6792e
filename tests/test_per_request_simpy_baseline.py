"""The benchmark's per-request simpy baseline is itself a correct queue model."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.per_request_simpy import simulate_per_request
from tests.oracles import erlang_c_mean_wait


@pytest.mark.slow
def test_baseline_matches_erlang_c_and_accounts_for_every_request() -> None:
    rng = np.random.default_rng(1)
    replicas, concurrency, service_rate = 4, 2, 10.0
    arrival_rate = 0.7 * replicas * concurrency * service_rate
    n = 150_000
    arrivals = np.cumsum(rng.exponential(1 / arrival_rate, n))
    services = rng.exponential(1 / service_rate, n)
    replica = rng.integers(0, replicas, n)
    outcome = simulate_per_request(arrivals, services, replica, replicas, concurrency, timeout=1e9)
    expected = erlang_c_mean_wait(arrival_rate / replicas, service_rate, concurrency)
    assert outcome["mean_wait_s"] == pytest.approx(expected, rel=0.06)
    short = simulate_per_request(arrivals[:20000], services[:20000] * 2, replica[:20000], replicas, concurrency,
                                 timeout=0.15)
    assert short["timed_out_in_queue"] > 0 and short["timed_out_in_service"] > 0
    assert short["requests"] == short["served"] + short["timed_out_in_queue"] + short["timed_out_in_service"]
