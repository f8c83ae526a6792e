"""Linear-time sort of uniform arrival times: exactly numpy's sort, for any input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.world.sorting import sort_uniform


@pytest.mark.parametrize("count", [0, 1, 2, 3, 17, 10_000, 123_457])
def test_uniform_draws_come_out_as_numpy_sorts_them(count: int) -> None:
    values = np.random.default_rng(count).uniform(3_600.0, 3_610.0, count)
    assert np.array_equal(sort_uniform(values, 3_600.0, 3_610.0), np.sort(values))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6), max_size=60), low=st.floats(-10, 10), width=st.floats(1e-3, 100))
def test_any_values_and_any_interval_come_out_as_numpy_sorts_them(values: list[float], low: float,
                                                                  width: float) -> None:
    """Values outside the interval and repeated values too."""
    array = np.array(values, dtype=np.float64)
    got = sort_uniform(array, low, low + width)
    assert np.array_equal(got, np.sort(array))


def test_the_input_is_left_as_it_was() -> None:
    values = np.array([5.0, 1.0, 3.0])
    sort_uniform(values, 0.0, 10.0)
    assert values.tolist() == [5.0, 1.0, 3.0]
