"""Service-time distributions: closed-form quantiles and tails against scipy.stats (simulator/world/latency.py)."""

from __future__ import annotations

import pytest

from simulator.world.latency import LatencyDistribution

DISTRIBUTIONS = {
    "lognormal": LatencyDistribution.lognormal_from_quantiles(0.04, 0.16),
    "exponential": LatencyDistribution.exponential(0.05),
    "gamma": LatencyDistribution.gamma(0.05, 2.5),
}


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
@pytest.mark.parametrize("q", [0.01, 0.5, 0.9, 0.99, 0.999])
def test_quantiles_agree_with_scipy(name: str, q: float) -> None:
    distribution = DISTRIBUTIONS[name]
    assert distribution.quantile(q) == pytest.approx(float(distribution.frozen().ppf(q)), rel=1e-12)


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
@pytest.mark.parametrize("seconds", [0.001, 0.04, 0.2, 1.0])
def test_the_share_above_a_time_is_scipys_survival_function(name: str, seconds: float) -> None:
    distribution = DISTRIBUTIONS[name]
    assert distribution.share_above(seconds) == pytest.approx(float(distribution.frozen().sf(seconds)), rel=1e-9)


def test_a_constant_is_above_only_shorter_times() -> None:
    constant = LatencyDistribution.constant(0.1)
    assert (constant.quantile(0.99), constant.share_above(0.05), constant.share_above(0.1)) == (0.1, 1.0, 0.0)
