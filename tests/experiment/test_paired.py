"""Paired comparisons: McNemar exact, sign test, paired t, Holm, and the columns others build on.

Oracles: ``statsmodels`` (mcnemar, multipletests), ``scipy.stats``
(binomtest, ttest_rel), and coverage by simulation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from simulator.experiment.paired import holm, mcnemar_exact, newcombe_paired, paired_t, sign_test
from simulator.experiment.stats import paired_differences

COLUMNS = ["a", "b", "figure", "seeds", "difference", "low", "high", "p_value", "significant", "unpaired_low",
           "unpaired_high"]


def outcomes(both: int, only_first: int, only_second: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Paired yes/no outcomes with the given 2 x 2 table."""
    first = [1] * both + [1] * only_first + [0] * only_second + [0] * neither
    second = [1] * both + [0] * only_first + [1] * only_second + [0] * neither
    return np.array(first, dtype=bool), np.array(second, dtype=bool)


@pytest.mark.parametrize("table", [(5, 0, 0, 5), (3, 5, 0, 2), (0, 3, 7, 0), (4, 10, 10, 1), (2, 1, 12, 5),
                                   (0, 20, 0, 0), (8, 2, 1, 9)])
def test_mcnemar_matches_statsmodels(table: tuple[int, int, int, int]) -> None:
    both, only_first, only_second, neither = table
    expected = mcnemar([[both, only_first], [only_second, neither]], exact=True).pvalue
    assert mcnemar_exact(*outcomes(*table)) == pytest.approx(min(1.0, expected))


def test_sign_test_matches_scipy_and_the_closed_form() -> None:
    assert sign_test(np.ones(2)) == 0.5  # two seeds that both differ by 1: far from significant
    assert sign_test(np.full(10, -3.0)) == pytest.approx(2 * 0.5 ** 10)
    assert sign_test(np.zeros(7)) == 1.0
    mixed = np.array([1.0, 2.0, -1.0, 3.0, 0.0, 4.0, 5.0, 6.0])
    assert sign_test(mixed) == pytest.approx(stats.binomtest(6, 7, 0.5).pvalue)


def test_paired_t_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(10, 2, 15), rng.normal(9, 2, 15)
    p_value, low, high = paired_t(x - y)
    assert p_value == pytest.approx(stats.ttest_rel(x, y).pvalue)
    assert (low, high) == pytest.approx(tuple(stats.ttest_rel(x, y).confidence_interval(0.95)))


@pytest.mark.parametrize("seed", range(5))
def test_holm_matches_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p_values = np.r_[rng.uniform(0, 0.1, 8), rng.uniform(0, 1, 8), [0.01, 0.01]]  # ties too
    assert holm(p_values) == pytest.approx(multipletests(p_values, method="holm")[1])


def test_holm_leaves_nan_out_of_the_family() -> None:
    adjusted = holm([0.01, math.nan, 0.04])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.04)
    assert len(holm([])) == 0


def frame(values: dict[str, dict[str, list[float]]]) -> pd.DataFrame:
    """Rows of strategies over seeds 0..n-1 from ``{strategy: {figure: per-seed values}}``."""
    rows = []
    for strategy, figures in values.items():
        runs = len(next(iter(figures.values())))
        for seed in range(runs):
            rows.append({"strategy": strategy, "seed": seed, "error": None,
                         **{figure: per_seed[seed] for figure, per_seed in figures.items()}})
    return pd.DataFrame(rows)


def test_columns_are_kept_and_extended() -> None:
    rows = frame({"a": {"promoted": [True, False, True], "duration_s": [10.0, 12.0, 11.0]},
                  "b": {"promoted": [False, False, True], "duration_s": [9.0, 9.5, 10.0]}})
    paired = paired_differences(rows, figures=("promoted", "duration_s"))
    assert list(paired.columns) == COLUMNS + ["p_holm", "test"]
    assert list(paired["test"]) == ["McNemar exact", "paired t"]


def test_two_seeds_that_both_differ_by_one_are_not_significant() -> None:
    rows = frame({"a": {"failed_requests": [3.0, 5.0]}, "b": {"failed_requests": [2.0, 4.0]}})
    (row,) = paired_differences(rows, figures=("failed_requests",)).to_dict("records")
    assert row["test"] == "sign test" and row["p_value"] == 0.5 and not row["significant"]
    assert (row["difference"], row["low"], row["high"]) == (1.0, 1.0, 1.0)


def test_twelve_seeds_that_all_differ_are_significant_by_the_sign_test() -> None:
    rows = frame({"a": {"duration_s": [300.0] * 12}, "b": {"duration_s": [0.0] * 12}})
    (row,) = paired_differences(rows, figures=("duration_s",)).to_dict("records")
    assert row["test"] == "sign test" and row["p_value"] == pytest.approx(2 * 0.5 ** 12) and row["significant"]


def test_all_equal_is_p_one() -> None:
    rows = frame({"a": {"candidate_requests": [0.0] * 5, "rolled_back": [True] * 5},
                  "b": {"candidate_requests": [0.0] * 5, "rolled_back": [True] * 5}})
    paired = paired_differences(rows, figures=("candidate_requests", "rolled_back"))
    assert list(paired["p_value"]) == [1.0, 1.0] and not paired["significant"].any()


def test_binary_outcomes_use_mcnemar_and_an_interval_within_minus_one_and_one() -> None:
    rows = frame({"a": {"rolled_back": [True] * 10}, "b": {"rolled_back": [False] * 10}})
    (row,) = paired_differences(rows, figures=("rolled_back",)).to_dict("records")
    assert row["test"] == "McNemar exact" and row["p_value"] == pytest.approx(2 * 0.5 ** 10)
    assert row["difference"] == 1.0 and 0.5 < row["low"] < 1.0 and row["high"] == 1.0  # not [1, 1]
    assert -1.0 <= row["unpaired_low"] <= row["unpaired_high"] <= 1.0


def test_significance_rests_on_holm_not_on_the_raw_p_value() -> None:
    """Three strategies, three figures each: a raw p of 0.02 is not significant among nine comparisons."""
    rng = np.random.default_rng(4)
    base = rng.normal(100, 10, 20)
    rows = frame({label: {"duration_s": list(base + shift + rng.normal(0, 1, 20)),
                          "requests": list(base + rng.normal(0, 1, 20)),
                          "failed_requests": list(base + rng.normal(0, 1, 20))}
                  for label, shift in (("a", 0.0), ("b", 0.7), ("c", 5.0))})
    paired = paired_differences(rows, figures=("duration_s", "requests", "failed_requests"))
    assert paired["p_holm"].to_numpy() == pytest.approx(multipletests(paired["p_value"], method="holm")[1])
    assert (paired["p_holm"] >= paired["p_value"]).all()
    assert (paired["significant"] == (paired["p_holm"] < 0.05)).all()
    assert ((paired["p_value"] < 0.05) & ~paired["significant"]).any()


def test_newcombe_paired_matches_the_published_example() -> None:
    """Cavo et al. (2012) in Fagerland, Lydersen and Laake (2017), ch. 8: -0.0621 (-0.1186 to -0.0046)."""
    first, second = outcomes(59, 6, 16, 80)
    low, high = newcombe_paired(first, second)
    assert first.mean() - second.mean() == pytest.approx(-0.0621, abs=5e-5)
    assert (low, high) == pytest.approx((-0.1186, -0.0046), abs=5e-5)
    independent = newcombe_paired(first, second, paired=False)
    assert independent[0] < low and independent[1] > high  # the positive correlation narrows it


def seed_effect_differences(rng: np.random.Generator, runs: int) -> np.ndarray:
    """Per-seed differences of two strategies' skewed figures sharing a seed effect (true mean difference below)."""
    seed_effect = rng.lognormal(0.0, 0.5, runs)
    return seed_effect * rng.lognormal(0.0, 0.2, runs) - seed_effect * rng.lognormal(-0.1, 0.2, runs)


SEED_EFFECT_TRUTH = math.exp(0.125) * (math.exp(0.02) - math.exp(-0.08))


@pytest.mark.parametrize("runs", [10, 20, 30])
def test_paired_interval_covers_the_mean_difference(runs: int) -> None:
    rng = np.random.default_rng(runs)
    held = 0
    for _ in range(1000):
        _, low, high = paired_t(seed_effect_differences(rng, runs))
        held += low <= SEED_EFFECT_TRUTH <= high
    assert 0.93 <= held / 1000 <= 0.97


@pytest.mark.parametrize("runs", [20, 30])
@pytest.mark.parametrize(("rate_first", "rate_second"), [(0.9, 0.8), (0.2, 0.1)])
def test_paired_rate_interval_covers_the_difference(runs: int, rate_first: float, rate_second: float) -> None:
    """Correlated outcomes: half the seeds decide both strategies alike (one uniform draw for both)."""
    rng = np.random.default_rng(runs)
    held = 0
    for _ in range(1000):
        shared, common = rng.random(runs) < 0.5, rng.random(runs)
        first = np.where(shared, common, rng.random(runs)) < rate_first
        second = np.where(shared, common, rng.random(runs)) < rate_second
        low, high = newcombe_paired(first, second)
        held += low <= rate_first - rate_second <= high
    assert held / 1000 >= 0.93
