"""World behaviour: errors, accuracy, labels, start-up, crashes and faults."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from simulator.driver import run
from simulator.scenario import parse_scenario
from simulator.world.metrics import MetricStore


def steady(**overrides) -> dict:
    data = {
        "name": "steady",
        "horizon": "1h",
        "traffic": {"rate": 100},
        "service": {"replicas": 4, "concurrency": 4, "timeout": "2s"},
        "versions": {"v1": {"accuracy": 0.85, "latency": {"p50": "20ms", "p99": "80ms"}, "error_rate": 0.02,
                            "startup": "30s"}},
        "stable": "v1",
        "monitoring": {"labels": {"delay": "1m", "fraction": 0.25}},
        "simulation": {"until": "horizon"},
    }
    data.update(overrides)
    return data


def within_binomial(successes: int, trials: int, p: float, alpha: float = 1e-3) -> bool:
    return stats.binomtest(successes, trials, p).pvalue > alpha


def test_errors_and_predictions_follow_the_true_rates() -> None:
    result = run(parse_scenario(steady()), seed=11).versions["v1"]
    assert within_binomial(result.errors, result.requests, 0.02)
    answered = result.correct_predictions + result.wrong_predictions
    assert answered == result.requests - result.failed_requests
    assert within_binomial(result.correct_predictions, answered, 0.85)


def test_labels_cover_the_configured_fraction_and_measure_true_accuracy() -> None:
    scenario = parse_scenario(steady())
    result = run(scenario, seed=12)
    frame = result.timeline_frame()
    labelled = int(frame["labelled"].sum())
    answered = result.versions["v1"].correct_predictions + result.versions["v1"].wrong_predictions
    # Labels of the last minute arrive after the end, so slightly fewer than a quarter.
    assert labelled == pytest.approx(0.25 * answered * (59 / 60), rel=0.03)
    measured = np.nansum(frame["measured_accuracy"] * frame["labelled"]) / labelled
    assert measured == pytest.approx(0.85, abs=0.01)


def test_dependency_outage_fails_every_version() -> None:
    data = steady(
        versions={
            "v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
            "v2": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
        },
        candidate="v2",
        strategies={"canary": {"initialPercentage": 50, "incrementStep": 50, "monitoringDuration": "30m"}},
        faults=[{"kind": "dependency_outage", "at": "10m", "for": "5m", "error_rate": 0.5}],
    )
    result = run(parse_scenario(data), "canary", seed=13)
    for version in ("v1", "v2"):
        errors = result.versions[version].errors
        assert errors == pytest.approx(0.5 * 50 * 300, rel=0.1)  # half of each version's 5 minutes


def test_crash_loses_in_flight_requests_and_the_replica_restarts() -> None:
    data = steady(
        service={"replicas": 2, "concurrency": 1, "timeout": "5s"},
        traffic={"rate": 6},
        versions={"v1": {"accuracy": 0.9, "latency": {"p50": "200ms", "p99": "800ms"}, "startup": 0}},
        faults=[{"kind": "crash", "version": "v1", "at": "10m", "replicas": 1, "restart_after": "2m"}],
        horizon="20m",
    )
    result = run(parse_scenario(data), seed=14)
    details = [(e.t, e.kind, e.detail) for e in result.events]
    assert any(kind == "fault" and t == 600 and "crashed" in detail for t, kind, detail in details)
    assert any(kind == "replica_ready" and t == 720 and "restarted" in detail for t, kind, detail in details)
    assert result.versions["v1"].crashed >= 1
    frame = result.timeline_frame()
    during = frame[(frame["t"] >= 600) & (frame["t"] < 720)]
    before = frame[(frame["t"] >= 480) & (frame["t"] < 600)]
    assert during["latency_p99_s"].mean() > 1.5 * before["latency_p99_s"].mean()  # one replica carries it all


def test_new_replicas_take_no_traffic_before_start_up() -> None:
    """A rolling update routes by ready replicas, so a starting candidate replica must get nothing.

    Kills a world in which STARTING replicas serve (``ReplicaTable.ready_arrays``
    also returning them): the candidate would take its replica's share from the
    moment it is scaled up, minutes before it is ready.
    """
    data = steady(
        horizon="15m",
        versions={
            "v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
            "v2": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": "5m"},
        },
        candidate="v2",
        strategies={"rolling": {"batchSize": 1}},
    )
    scenario = parse_scenario(data)

    result = run(scenario, "rolling", seed=15)

    routing = [e.data["weights"] for e in result.events if e.kind == "set_weights"]
    assert routing[0] is None  # traffic follows the ready replicas of both versions
    scaled_up = next(e.t for e in result.events if e.kind == "scale" and e.data["version"] == "v2")
    first_ready = min(e.t for e in result.events
                      if e.kind == "replica_ready" and e.data["version"] == "v2" and not e.data["restarted"])
    assert first_ready - scaled_up == 300.0  # its start-up
    interval = scenario.monitoring.scrape_interval
    frame = result.timeline_frame()
    candidate = frame[frame["version"] == "v2"]
    # Requests are binned by when they end; one that arrived after the replica was ready ends after it too.
    before = candidate[candidate["t"] + interval <= first_ready]
    after = candidate[candidate["t"] >= first_ready]
    assert len(before) == first_ready // interval and before["requests"].sum() == 0
    # One ready replica of five: about 20 requests/s, some in every interval.
    assert len(after) > 0 and (after["requests"] > 0).all()


def test_latency_fault_slows_only_its_version() -> None:
    """Two versions serve side by side (an A/B split held all run); a latency fault on v2 slows v2 only.

    Kills a fault schedule that applies a latency fault to every version
    (``FaultSchedule.latency_factor`` ignoring the version): v1 would slow down too.
    """
    def split(faults: list[dict]) -> dict:
        return steady(
            horizon="20m",
            versions={
                "v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
                "v2": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
            },
            candidate="v2",
            # Far more samples than 20 minutes bring: the test never decides, so the split holds to the end.
            strategies={"ab": {"strategy": "ABTesting", "splitRatio": 0.5, "minimumSamples": 10_000_000,
                               "duration": "1h"}},
            faults=faults,
        )

    base = run(parse_scenario(split([])), "ab", seed=16)
    slow = run(parse_scenario(split([{"kind": "latency", "version": "v2", "at": 0, "factor": 2}])), "ab", seed=16)

    assert base.outcome == slow.outcome == "incomplete"
    for result in (base, slow):
        assert result.versions["v1"].requests > 20_000 and result.versions["v2"].requests > 20_000
    # v2's service times double; at this light load queueing adds next to nothing.
    assert slow.versions["v2"].latency_p50_s == pytest.approx(2 * base.versions["v2"].latency_p50_s, rel=0.05)
    assert slow.versions["v2"].latency_mean_s == pytest.approx(2 * base.versions["v2"].latency_mean_s, rel=0.05)
    # Same seed, same routing: v1 serves the very same requests with the very same service times.
    assert slow.versions["v1"].requests == base.versions["v1"].requests
    assert slow.versions["v1"].latency_p50_s == pytest.approx(base.versions["v1"].latency_p50_s, rel=1e-9)
    assert slow.versions["v1"].latency_mean_s == pytest.approx(base.versions["v1"].latency_mean_s, rel=1e-9)


def test_metric_store_capacity_covers_horizon_and_label_delay() -> None:
    store = MetricStore(["v1"], bin_seconds=30.0, horizon=3600.0, label_delay=600.0)
    assert store.n_bins * 30.0 >= 3600.0 + 600.0
