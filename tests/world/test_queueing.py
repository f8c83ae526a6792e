"""The batch data plane against queueing theory and an independent simulator.

Each replica receives a Poisson stream thinned by the ``random`` balancer and
serves it first come, first served with ``concurrency`` slots: an M/M/c queue
whose mean wait is given by the Erlang C formula, and whose slots are busy a
share rho = lambda / (c mu) of the time.
"""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from simulator.driver import run
from simulator.world.world import World
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


@pytest.mark.parametrize("utilisation", [0.3, 0.6, 0.9])
def test_measured_utilisation_is_the_offered_load(utilisation: float) -> None:
    """Busy slots over slots is rho = lambda / (c mu) in every interval and over the run."""
    arrival_rate = utilisation * CAPACITY
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=400_000 / arrival_rate,
    )
    result = run(scenario, seed=11)
    assert result.versions["v1"].utilisation_mean == pytest.approx(utilisation, rel=0.02)
    per_interval = result.timeline_frame()["utilisation"].to_numpy()
    assert np.all((per_interval > 0) & (per_interval < 1))
    assert per_interval.mean() == pytest.approx(utilisation, rel=0.02)


def test_queue_wait_per_interval_matches_erlang_c() -> None:
    """The timeline's queue wait of the requests that started in each interval averages to Erlang C's."""
    arrival_rate = 0.8 * CAPACITY
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=1_500_000 / arrival_rate,
    )
    frame = run(scenario, seed=12).timeline_frame()
    expected = erlang_c_mean_wait(arrival_rate / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY)
    assert frame["queue_wait_mean_s"].mean() == pytest.approx(expected, rel=0.05)


def test_monitoring_shows_the_offered_load_and_erlang_c_wait() -> None:
    """What a strategy reads: the servers' counters over the readiness gauge, through the monitoring view."""
    arrival_rate = 0.8 * CAPACITY
    horizon = 1_500_000 / arrival_rate
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=horizon,
    )
    env = simpy.Environment()
    world = World(scenario, 13, env)
    env.run(until=horizon)
    world.advance()
    stats = world.monitoring().window("v1", horizon)
    assert stats.utilisation == pytest.approx(0.8, rel=0.02)
    expected = erlang_c_mean_wait(arrival_rate / REPLICAS, 1 / MEAN_SERVICE, CONCURRENCY)
    assert stats.queue_wait_mean == pytest.approx(expected, rel=0.05)


def test_an_overloaded_fleet_is_busy_all_the_time_including_work_its_clients_gave_up() -> None:
    """At 1.3 x capacity every queue fills to the client timeout within seconds and never drains again.

    From then on no slot idles, and a client that gives up during service
    does not free its slot: the replica finishes the work.
    """
    arrival_rate = 1.3 * CAPACITY
    scenario = one_version_queue(
        arrival_rate=arrival_rate, mean_service=MEAN_SERVICE, replicas=REPLICAS,
        concurrency=CONCURRENCY, horizon=100_000 / arrival_rate, timeout=2.0,
    )
    result = run(scenario, seed=14)
    version = result.versions["v1"]
    assert version.timed_out > 0.2 * version.requests  # the case is really overloaded
    busy = result.timeline_frame()["utilisation"].to_numpy()
    assert np.all(busy[2:] == pytest.approx(1.0, abs=1e-9))  # every interval after the first two
    assert version.utilisation_mean > 0.99
