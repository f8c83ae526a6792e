"""Shadow deployments: users never see the shadow; divergence is measured and matches theory."""

from __future__ import annotations

import pytest
from scipy import stats

from simulator import parse_scenario, run


def shadow_scenario(**strategy) -> dict:
    return {
        "name": "shadow",
        "horizon": "40m",
        "traffic": {"rate": 150},
        "service": {"replicas": 4, "concurrency": 4, "timeout": "1s"},
        "versions": {
            "v1": {"accuracy": 0.90, "latency": {"p50": "30ms", "p99": "120ms"}, "error_rate": 0.002, "startup": "20s"},
            "v2": {"accuracy": 0.915, "latency": {"p50": "60ms", "p99": "240ms"}, "error_rate": 0.002,
                   "startup": "20s"},
        },
        "stable": "v1",
        "candidate": "v2",
        "prediction_correlation": 0.95,
        "monitoring": {"scrape_interval": "15s", "labels": {"delay": "1m", "fraction": 0.5}},
        "strategies": {"shadow": {"strategy": "Shadow", "mirrorPercentage": 100, "duration": "20m",
                                  "maxDivergence": 0.05, **strategy}},
        "simulation": {"until": "horizon"},
    }


def test_users_see_exactly_the_same_with_and_without_a_shadow() -> None:
    scenario = parse_scenario(shadow_scenario())
    with_shadow = run(scenario, "shadow", seed=4)
    without = run(scenario, "none", seed=4)
    assert with_shadow.outcome == "rolled_back"  # twice as slow: retired, so users stay on v1 throughout
    assert with_shadow.versions["v2"].requests == 0
    mine, theirs = with_shadow.versions["v1"], without.versions["v1"]
    assert mine == theirs  # every user-visible figure, bit for bit
    assert with_shadow.shadow["v2"]["requests"] > 0.9 * theirs.requests * 0.5


def test_report_shows_divergence_and_it_matches_the_copula() -> None:
    result = run(parse_scenario(shadow_scenario(rollbackThresholds={"errorRateIncrease": 0.01})), "shadow", seed=5)
    assert result.outcome == "promoted"
    analysis = result.analysis
    assert analysis["type"] == "shadow" and analysis["compared"] > 100_000
    rho, a, b = 0.95, stats.norm.ppf(0.90), stats.norm.ppf(0.915)
    both_right = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).cdf([a, b])
    expected = 0.90 + 0.915 - 2 * both_right
    assert analysis["divergence"] == pytest.approx(expected, abs=0.003)
    assert f"divergence {analysis['divergence']:.2%}" in result.reason


def test_too_much_divergence_retires_the_shadow() -> None:
    result = run(parse_scenario(shadow_scenario(maxDivergence=0.01, rollbackThresholds={})), "shadow", seed=6)
    assert result.outcome == "rolled_back" and "shadow retired: divergence" in result.reason
    assert result.versions["v2"].requests == 0


def test_shadow_with_the_reference_data_plane_agrees() -> None:
    data = shadow_scenario(duration="3m")
    data["horizon"] = "6m"
    data["traffic"] = {"rate": 40}
    scenario = parse_scenario(data)
    batch = run(scenario, "shadow", seed=7, data_plane="batch")
    reference = run(scenario, "shadow", seed=7, data_plane="per_request")
    assert batch.outcome == reference.outcome
    assert abs(batch.shadow["v2"]["requests"] - reference.shadow["v2"]["requests"]) <= 40
    assert batch.analysis["divergence"] == pytest.approx(reference.analysis["divergence"], abs=0.005)
