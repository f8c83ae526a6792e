"""Arrivals: counts match the rate's integral, patterns shape them, slicing does not change them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from simulator.random_streams import RandomStreams
from simulator.scenario.world_config import TrafficConfig
from simulator.world.traffic import RateFunction, TrafficSource


def source(config: dict, seed: int = 1) -> TrafficSource:
    return TrafficSource(RateFunction(TrafficConfig.model_validate(config)), RandomStreams(seed).generator("traffic"))


@pytest.mark.parametrize(
    "config",
    [
        {"rate": "200/s"},
        {"rate": 50, "pattern": {"kind": "diurnal", "amplitude": 0.5, "period": "2h", "peak_at": "30m"}},
        {"rate": 100, "pattern": [{"kind": "spike", "at": "10m", "factor": 3, "for": "5m"}]},
        # a drop (factor below 1) longer than a generation block: the whole block at the lower rate
        {"rate": 100, "pattern": [{"kind": "spike", "at": "10m", "factor": 0.125, "for": "1h"}]},
    ],
)
def test_arrival_count_matches_the_rate_integral(config: dict) -> None:
    horizon = 7200.0
    traffic = source(config)
    arrivals = traffic.take_until(horizon).arrival
    expected = integrate.quad(lambda t: float(traffic.rate.rate(np.array([t]))[0]), 0, horizon, limit=500)[0]
    # A Poisson count: two-sided test at 0.1 %.
    low, high = stats.poisson.ppf([0.0005, 0.9995], expected)
    assert low <= len(arrivals) <= high
    assert np.all(np.diff(arrivals) >= 0) and arrivals[0] >= 0 and arrivals[-1] < horizon


def test_diurnal_peak_is_where_configured() -> None:
    traffic = source({"rate": 100, "pattern": {"kind": "diurnal", "amplitude": 0.8, "period": "1h", "peak_at": "15m"}})
    arrivals = traffic.take_until(3600.0 * 4).arrival
    per_minute = np.bincount(((arrivals % 3600) // 60).astype(int), minlength=60)
    assert abs(int(np.argmax(per_minute)) - 15) <= 2
    assert abs(int(np.argmin(per_minute)) - 45) <= 2


def test_spike_multiplies_the_rate_only_while_it_lasts() -> None:
    traffic = source({"rate": 100, "pattern": {"kind": "spike", "at": 600, "factor": 2, "for": 300}})
    arrivals = traffic.take_until(1800.0).arrival
    before = np.sum(arrivals < 600) / 600
    during = np.sum((arrivals >= 600) & (arrivals < 900)) / 300
    after = np.sum(arrivals >= 900) / 900
    assert during / before == pytest.approx(2.0, rel=0.05)
    assert after / before == pytest.approx(1.0, rel=0.05)


def test_gaps_are_exponential_for_a_constant_rate() -> None:
    arrivals = source({"rate": 20}).take_until(20000.0).arrival
    gaps = np.diff(arrivals)
    assert stats.kstest(gaps, "expon", args=(0, 1 / 20)).pvalue > 0.01


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=300.0), min_size=1, max_size=20))
def test_slicing_does_not_change_the_requests(cuts: list[float]) -> None:
    """However the data plane slices time, it gets the same requests with the same draws."""
    whole = source({"rate": 30}, seed=3).take_until(600.0)
    sliced = source({"rate": 30}, seed=3)
    ends = sorted(set(np.cumsum(cuts).tolist()))
    parts = [sliced.take_until(end) for end in ends if end < 600.0] + [sliced.take_until(600.0)]
    joined = np.concatenate([part.arrival for part in parts])
    assert np.array_equal(joined, whole.arrival)
    assert np.array_equal(np.concatenate([part.u_error for part in parts]), whole.u_error)
    assert math.isclose(len(joined), len(whole))
