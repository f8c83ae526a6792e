"""The batch data plane against queueing theory and an independent simulator.

Each replica receives a Poisson stream thinned by the ``random`` balancer and
serves it first come, first served with ``concurrency`` slots: an M/M/c queue
whose mean wait is given by the Erlang C formula.
"""

from __future__ import annotations

import pytest

from simulator.driver import run
from tests.helpers import one_version_queue
from tests.oracles import erlang_c_mean_wait, mmc_mean_wait_ciw

MEAN_SERVICE = 0.1  # seconds
REPLICAS, CONCURRENCY = 4, 2
CAPACITY = REPLICAS * CONCURRENCY / MEAN_SERVICE  # requests/s


@pytest.mark.parametrize("utilisation", [0.5, 0.7, 0.8, 0.9])
def test_mean_queue_wait_matches_erlang_c(utilisation: float) -> None:
    arrival_rate = utilisation * CAPACITY
    # Enough requests that the estimate's standard error is well under 2 %.
    requests_wanted = 1_500_000 if utilisation < 0.85 else 4_000_000
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=requests_wanted / arrival_rate,
    )
    result = run(scenario, seed=1)
    measured = result.versions["v1"].queue_wait_mean_s
    expected = erlang_c_mean_wait(arrival_rate / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY)
    assert result.versions["v1"].timed_out == 0
    assert measured == pytest.approx(expected, rel=0.05), (measured, expected)


def test_mean_latency_is_wait_plus_service() -> None:
    arrival_rate = 0.7 * CAPACITY
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=1_000_000 / arrival_rate,
    )
    result = run(scenario, seed=2).versions["v1"]
    expected = erlang_c_mean_wait(arrival_rate / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY) + MEAN_SERVICE
    assert result.latency_mean_s == pytest.approx(expected, rel=0.03)


@pytest.mark.slow
def test_lognormal_service_matches_ciw() -> None:
    """M/G/c has no closed form: compare with the ciw simulation library instead."""
    pytest.importorskip("ciw")
    from tests.oracles import mgc_mean_wait_ciw_lognormal

    arrival_rate = 0.8 * CAPACITY
    latency = {"dist": "lognormal", "mean": MEAN_SERVICE, "sigma": 0.8}
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=2_000_000 / arrival_rate, latency=latency,
    )
    measured = run(scenario, seed=3).versions["v1"].queue_wait_mean_s
    expected = mgc_mean_wait_ciw_lognormal(
        arrival_rate / REPLICAS, MEAN_SERVICE, 0.8, CONCURRENCY, max_time=20000.0, seed=5, warmup=100.0
    )
    assert measured == pytest.approx(expected, rel=0.08), (measured, expected)


@pytest.mark.slow
def test_ciw_oracle_agrees_with_erlang_c() -> None:
    """The independent simulator itself reproduces Erlang C (so the comparison above means something)."""
    pytest.importorskip("ciw")
    arrival_rate = 0.8 * CONCURRENCY / MEAN_SERVICE
    estimate = mmc_mean_wait_ciw(arrival_rate, 1 / MEAN_SERVICE, CONCURRENCY, max_time=20000.0, seed=7, warmup=100.0)
    assert estimate == pytest.approx(erlang_c_mean_wait(arrival_rate, 1 / MEAN_SERVICE, CONCURRENCY), rel=0.1)


def test_balancers_order_as_theory_says() -> None:
    """least_connections approaches one pooled M/M/(N c) queue; round_robin beats random."""
    arrival_rate = 0.9 * CAPACITY
    waits = {}
    for balancer in ("random", "round_robin", "least_connections"):
        scenario = one_version_queue(
            arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
            concurrency=CONCURRENCY, horizon=1_000_000 / arrival_rate, balancer=balancer,
        )
        waits[balancer] = run(scenario, seed=4).versions["v1"].queue_wait_mean_s
    pooled = erlang_c_mean_wait(arrival_rate, 1 / MEAN_SERVICE, REPLICAS * CONCURRENCY)
    per_replica = erlang_c_mean_wait(arrival_rate / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY)
    assert pooled <= waits["least_connections"] < waits["round_robin"] < waits["random"]
    assert waits["random"] == pytest.approx(per_replica, rel=0.08)
    assert waits["least_connections"] < 1.3 * pooled
