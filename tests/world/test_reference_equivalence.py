"""The batch data plane against the per-request simpy reference, on the same seed.

Both planes use the same arrivals, routing draws and service times, so they
must agree request for request; they differ only by the requests still in
flight when a run ends (the reference cannot count those).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.driver import run
from simulator.scenario import parse_scenario
from tests.helpers import scenario_data

IN_FLIGHT_SLACK = 60  # requests that may be in flight at the end of a run


def in_flight_bound(scenario) -> int:
    """Most requests that can be in flight when a run ends: arrivals within one timeout."""
    return int(scenario.traffic.rate * 2 * scenario.service.timeout * 1.5) + 20


def _small(data: dict, **simulation) -> dict:
    data = dict(data)
    data.pop("observe", None)  # the tests set their own horizon: the window follows it
    data["traffic"] = {"rate": 80}
    data["service"] = {**data["service"], "replicas": 3, "concurrency": 2}
    data["simulation"] = simulation
    return data


@pytest.mark.slow
@pytest.mark.parametrize("balancer", ["random", "round_robin", "least_connections"])
@pytest.mark.parametrize("label", ["canary", "blue_green", "rolling"])
def test_outcomes_and_counts_agree(label: str, balancer: str) -> None:
    data = _small(scenario_data("quickstart.yaml"))
    data["service"]["balancer"] = balancer
    scenario = parse_scenario(data)
    batch = run(scenario, label, seed=5, data_plane="batch")
    reference = run(scenario, label, seed=5, data_plane="per_request")
    assert batch.outcome == reference.outcome
    assert batch.decision_time_s == pytest.approx(reference.decision_time_s, abs=1e-6)
    slack = in_flight_bound(scenario)
    for name, version in batch.versions.items():
        other = reference.versions[name]
        assert 0 <= version.requests - other.requests <= slack
        assert 0 <= version.failed_requests - other.failed_requests <= slack
        assert 0 <= version.timed_out - other.timed_out <= slack
        if version.requests > 1000:
            # The batch plane also counts the requests in flight at the end; each moves the mean by at most
            # a timeout over the requests counted (a run ending in overload has many such long requests).
            in_flight = (version.requests - other.requests) * scenario.service.timeout / other.requests
            assert abs(version.latency_mean_s - other.latency_mean_s) <= 0.01 * other.latency_mean_s + in_flight
            assert version.latency_p99_s == pytest.approx(other.latency_p99_s, rel=0.02)
            assert version.queue_wait_mean_s == pytest.approx(other.queue_wait_mean_s, rel=0.02, abs=1e-4)


@pytest.mark.slow
def test_overload_crash_and_timeouts_agree() -> None:
    """Queues that build up, time out and are lost in a crash are handled alike."""
    data = _small(scenario_data("failures.yaml"), until="horizon")
    data["horizon"] = "15m"
    data["traffic"] = {"rate": 110, "pattern": {"kind": "spike", "at": "2m", "factor": 1.6, "for": "3m"}}
    data["service"] = {"replicas": 3, "concurrency": 1, "timeout": "150ms"}
    data["faults"] = [
        {"kind": "crash", "version": "v1", "at": "3m", "replicas": 2},
        {"kind": "latency", "version": "v1", "at": "6m", "factor": 1.5, "for": "2m"},
        {"kind": "dependency_outage", "at": "9m", "for": "1m", "error_rate": 0.2},
    ]
    data["strategies"] = {}
    data.pop("candidate")
    data.pop("expect")
    scenario = parse_scenario(data)
    batch = run(scenario, seed=8, data_plane="batch").versions["v1"]
    reference = run(scenario, seed=8, data_plane="per_request").versions["v1"]
    assert batch.timed_out > 1000 and batch.crashed > 0  # the case is really stressed
    assert 0 <= batch.requests - reference.requests <= IN_FLIGHT_SLACK
    for field in ("timed_out", "crashed", "errors", "dropped"):
        assert abs(getattr(batch, field) - getattr(reference, field)) <= IN_FLIGHT_SLACK, field
    assert batch.latency_mean_s == pytest.approx(reference.latency_mean_s, rel=0.01)
    # Slots busy on work given up on, cut by crashes: both planes free them at the same moments.
    assert batch.utilisation_mean == pytest.approx(reference.utilisation_mean, rel=0.01)


@pytest.mark.slow
def test_latency_distributions_agree() -> None:
    """Two-sample KS on the timeline's per-interval p99s, and equal run quantiles."""
    scenario = parse_scenario(_small(scenario_data("quickstart.yaml"), until="horizon") | {"horizon": "20m"})
    batch = run(scenario, "canary", seed=9, data_plane="batch")
    reference = run(scenario, "canary", seed=9, data_plane="per_request")
    for name in batch.versions:
        for quantile in ("latency_p50_s", "latency_p99_s"):
            a, b = getattr(batch.versions[name], quantile), getattr(reference.versions[name], quantile)
            if a is not None:
                assert a == pytest.approx(b, rel=0.02)
    frame_a, frame_b = batch.timeline_frame(), reference.timeline_frame()
    p99_a = frame_a["latency_p99_s"].dropna().to_numpy()
    p99_b = frame_b["latency_p99_s"].dropna().to_numpy()
    assert stats.ks_2samp(p99_a, p99_b).pvalue > 0.5
    common = min(len(frame_a), len(frame_b))
    per_interval = frame_a["requests"].to_numpy()[:common] - frame_b["requests"].to_numpy()[:common]
    assert np.max(np.abs(per_interval)) <= IN_FLIGHT_SLACK
