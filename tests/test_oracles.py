"""The oracles are right before anything is judged by them."""

from __future__ import annotations

import math

import pytest

from tests.oracles import erlang_c_mean_wait, erlang_c_probability_of_wait, mmc_mean_wait_ciw


def test_mm1() -> None:
    assert erlang_c_probability_of_wait(8, 10, 1) == pytest.approx(0.8)
    assert erlang_c_mean_wait(8, 10, 1) == pytest.approx(0.8 / (10 - 8))


def test_mm2_textbook() -> None:
    assert erlang_c_probability_of_wait(1, 1, 2) == pytest.approx(1 / 3)
    assert erlang_c_mean_wait(1, 1, 2) == pytest.approx(1 / 3)


@pytest.mark.parametrize(("offered", "servers"), [(3.0, 4), (7.5, 10), (90.0, 100)])
def test_erlang_c_from_the_erlang_b_recursion(offered: float, servers: int) -> None:
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = offered * blocking / (k + offered * blocking)
    utilisation = offered / servers
    expected = blocking / (1 - utilisation * (1 - blocking))
    assert erlang_c_probability_of_wait(offered, 1.0, servers) == pytest.approx(expected, rel=1e-9)


def test_overload_is_refused() -> None:
    with pytest.raises(ValueError):
        erlang_c_mean_wait(10, 1, 4)


@pytest.mark.slow
def test_ciw_estimates_erlang_c() -> None:
    pytest.importorskip("ciw")
    estimate = mmc_mean_wait_ciw(3.2, 1.0, 4, max_time=40000.0, seed=2, warmup=200.0)
    assert estimate == pytest.approx(erlang_c_mean_wait(3.2, 1.0, 4), rel=0.1)
    assert math.isfinite(estimate)
