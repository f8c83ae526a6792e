"""Invariants that must hold for any scenario (hypothesis property tests).

* router weights always sum to 100 %;
* every request is accounted for: served, failed, timed out, dropped or lost in a crash, none missing;
* a rollback ends with 0 % of traffic and 0 replicas on the candidate.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.driver import run
from simulator.random_streams import RandomStreams
from simulator.scenario import parse_scenario
from simulator.world.faults import FaultSchedule
from simulator.world.traffic import TrafficSource
from simulator.world.world import World

SETTINGS = settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

canary_configs = st.one_of(
    st.fixed_dictionaries({
        "initialPercentage": st.integers(1, 100),
        "incrementStep": st.integers(1, 100),
        "monitoringDuration": st.sampled_from(["30s", "1m", "2m"]),
    }),
    st.lists(st.integers(1, 99), min_size=0, max_size=5, unique=True).map(
        lambda steps: {"steps": sorted(steps) + [100], "monitoringDuration": "1m"}
    ),
)

strategy_configs = st.one_of(
    canary_configs.map(lambda c: {"strategy": "Canary", **c}),
    st.fixed_dictionaries({"strategy": st.just("BlueGreen"), "smokeTestSamples": st.integers(0, 100),
                           "monitoringDuration": st.sampled_from(["1m", "3m"]), "keepBlueDuration": st.just("1m")}),
    st.fixed_dictionaries({"strategy": st.just("Rolling"), "batchSize": st.integers(1, 4),
                           "delay": st.sampled_from(["10s", "30s"])}),
    st.just({"strategy": "Immediate"}),
)

faults = st.lists(
    st.one_of(
        st.fixed_dictionaries({"kind": st.just("crash"), "version": st.sampled_from(["v1", "v2"]),
                               "at": st.integers(0, 900), "replicas": st.integers(1, 3)}),
        st.fixed_dictionaries({"kind": st.just("latency"), "version": st.sampled_from(["v1", "v2"]),
                               "at": st.integers(0, 900), "factor": st.floats(0.5, 4), "for": st.integers(10, 300)}),
        st.fixed_dictionaries({"kind": st.just("dependency_outage"), "at": st.integers(0, 900),
                               "for": st.integers(10, 120), "error_rate": st.floats(0.05, 1)}),
        st.fixed_dictionaries({"kind": st.just("metrics_outage"), "at": st.integers(0, 900),
                               "for": st.integers(10, 300)}),
    ),
    max_size=3,
)


def two_versions(draw: st.DrawFn, p50: float, slowdown: float) -> dict:
    """v1 and v2, alike but for v2's latency (``slowdown`` times v1's), each with drawn errors and start-up."""
    return {
        "v1": {"accuracy": 0.9, "latency": {"p50": p50, "p99": p50 * 4}, "error_rate": draw(st.floats(0, 0.05)),
               "startup": draw(st.integers(0, 60))},
        "v2": {"accuracy": 0.9, "latency": {"p50": p50 * slowdown, "p99": p50 * 4 * slowdown},
               "error_rate": draw(st.floats(0, 0.05)), "startup": draw(st.integers(0, 60))},
    }


@st.composite
def scenarios(draw, strategy=strategy_configs, candidate_slowdown=st.floats(0.5, 3.0)):
    p50 = draw(st.floats(0.005, 0.1))
    slowdown = draw(candidate_slowdown)
    return {
        "name": "property",
        "horizon": "20m",
        "seed": draw(st.integers(0, 2**31)),
        "traffic": {"rate": draw(st.floats(5, 80))},
        "service": {
            "replicas": draw(st.integers(1, 6)),
            "concurrency": draw(st.integers(1, 4)),
            "timeout": draw(st.floats(0.05, 2.0)),
            "balancer": draw(st.sampled_from(["random", "round_robin", "least_connections"])),
        },
        "versions": two_versions(draw, p50, slowdown),
        "stable": "v1",
        "candidate": "v2",
        "faults": draw(faults),
        "monitoring": {"scrape_interval": draw(st.sampled_from([5, 15, 30])), "delay": draw(st.sampled_from([0, 10]))},
        "strategies": {"s": draw(strategy)},
    }


@pytest.fixture
def recorded_weights(monkeypatch):
    """Every weight map the world is asked to route by."""
    seen: list[dict[str, float]] = []
    original = World.set_weights

    def spy(self, weights, sticky=False):
        seen.append(dict(weights))
        return original(self, weights, sticky)

    monkeypatch.setattr(World, "set_weights", spy)
    return seen


@SETTINGS
@given(data=scenarios(strategy=canary_configs.map(lambda c: {"strategy": "Canary", **c})))
def test_weights_always_sum_to_100(data, recorded_weights) -> None:
    recorded_weights.clear()
    scenario = parse_scenario(data, written=False)
    assert scenario.strategies["s"].schedule()[-1] == 100
    assert np.all(np.diff(scenario.strategies["s"].schedule()) > 0)
    run(scenario, "s")
    assert recorded_weights
    for weights in recorded_weights:
        assert sum(weights.values()) == pytest.approx(100.0)
        assert all(0 <= w <= 100 for w in weights.values())


@SETTINGS
@given(data=scenarios())
def test_every_request_is_accounted_for(data) -> None:
    scenario = parse_scenario(data, written=False)
    result = run(scenario, "s")
    for name, version in result.versions.items():
        assert version.failed_requests == version.errors + version.timed_out + version.dropped + version.crashed, name
        assert version.correct_predictions + version.wrong_predictions == version.requests - version.failed_requests
    schedule = FaultSchedule(scenario.faults, list(scenario.versions))
    traffic = TrafficSource.for_run(scenario.traffic, schedule.spikes, RandomStreams(scenario.seed))
    arrived = len(traffic.take_until(result.window_s))
    assert result.requests == arrived


@st.composite
def surely_rolled_back(draw) -> dict:
    """Scenarios in which every strategy must roll back: the candidate is 3 to 6 times slower.

    Every check compares latency medians against a limit of x1.5: the
    candidate's median is 3-6 times the stable one's, and with the 50 or
    more requests a check needs, its sample median falls below x1.5 with a
    probability under 1e-8. A check without enough data waits and then rolls
    back too. The stable version runs at no more than 30 % utilisation, so
    queueing adds little to its median, and its latencies stay far below the
    timeout. No canary starts at 100 % (that would promote without a check).
    A rolling update replaces one replica of at least two, and its 30 s
    window sees at least 75 stable requests on average, so it always has a
    baseline to compare with. Faults only make the candidate worse.
    """
    p50 = draw(st.floats(0.005, 0.05))
    slowdown = draw(st.floats(3.0, 6.0))
    replicas = draw(st.integers(2, 6))
    concurrency = draw(st.integers(1, 4))
    stable_mean_service = p50 * 1.2  # lognormal with p99 = 4 x p50: mean = p50 x exp(sigma^2 / 2), sigma = 0.6
    rate = min(draw(st.floats(5, 80)), 0.3 * replicas * concurrency / stable_mean_service)
    thresholds = {"latencyIncrease": 1.5, "errorRateIncrease": 0.01, "accuracyDrop": 0.05}
    strategy = draw(st.one_of(
        st.fixed_dictionaries({
            "strategy": st.just("Canary"), "initialPercentage": st.integers(1, 99),
            "incrementStep": st.integers(1, 100), "monitoringDuration": st.sampled_from(["30s", "1m", "2m"]),
        }),
        st.lists(st.integers(1, 99), max_size=5, unique=True).map(
            lambda steps: {"strategy": "Canary", "steps": sorted(steps) + [100], "monitoringDuration": "1m"}
        ),
        st.fixed_dictionaries({"strategy": st.just("BlueGreen"), "smokeTestSamples": st.sampled_from([0, 100]),
                               "monitoringDuration": st.just("2m")}),
        st.just({"strategy": "Rolling", "batchSize": 1, "delay": "30s"}),
    ))
    candidate_faults = st.lists(
        st.one_of(
            st.fixed_dictionaries({"kind": st.just("crash"), "version": st.just("v2"), "at": st.integers(0, 900),
                                   "replicas": st.integers(1, 3)}),
            st.fixed_dictionaries({"kind": st.just("latency"), "version": st.just("v2"), "at": st.integers(0, 900),
                                   "factor": st.floats(1, 4), "for": st.integers(10, 300)}),
        ),
        max_size=2,
    )
    return {
        "name": "surely-rolled-back",
        "horizon": "20m",
        "seed": draw(st.integers(0, 2**31)),
        "traffic": {"rate": rate},
        "service": {"replicas": replicas, "concurrency": concurrency, "timeout": draw(st.floats(2.0, 5.0)),
                    "balancer": draw(st.sampled_from(["random", "round_robin", "least_connections"]))},
        "versions": two_versions(draw, p50, slowdown),
        "stable": "v1",
        "candidate": "v2",
        "faults": draw(candidate_faults),
        "monitoring": {"scrape_interval": draw(st.sampled_from([5, 15, 30])), "delay": draw(st.sampled_from([0, 10]))},
        "strategies": {"s": {**strategy, "latencyMetric": "p50", "rollbackThresholds": thresholds}},
        "simulation": {"until": "horizon"},
    }


@SETTINGS
@given(data=surely_rolled_back())
def test_a_rollback_ends_with_nothing_on_the_candidate(data) -> None:
    """Every example rolls back; afterwards the candidate has no weight, no replicas and no requests.

    Kills a rollback that leaves the candidate's replicas up (``roll_back`` in
    simulator/strategies/base.py without its ``ScaleTo(candidate, 0)``).
    """
    result = run(parse_scenario(data, written=False), "s")

    assert result.outcome == "rolled_back"
    weights = [e.data["weights"] for e in result.events if e.kind == "set_weights"]
    # The weights in force at the end: the last ones set, or the stable version alone from the start
    # (a failed smoke test never routes users to the candidate at all). Only versions above 0 % are listed.
    final_weights = weights[-1] if weights else {data["stable"]: 100.0}
    assert final_weights == {"v1": 100.0}
    candidate_scales = [e.data for e in result.events if e.kind == "scale" and e.data["version"] == "v2"]
    assert candidate_scales and candidate_scales[-1]["replicas"] == 0
    # After the rollout has ended, the candidate serves nothing more.
    end = max(e.t for e in result.events if e.kind in ("scale", "set_weights"))
    frame = result.timeline_frame()
    later = frame[(frame["version"] == "v2") & (frame["t"] > end + data["service"]["timeout"] + 60)]
    assert later["requests"].sum() == 0
