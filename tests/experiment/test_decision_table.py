"""The decision table: each criterion on the runs it concerns, yardsticks never ranked, the small cases."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from simulator.experiment import ExperimentResult, compare
from simulator.experiment.decision_table import TABLE_COLUMNS, decide, decision_table, recommendation
from simulator.experiment.stats import paired_differences, summarise
from simulator.experiment.store import store_data
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS

SEEDS = list(range(10))


def runs(strategy: str, truth: str | None, seeds: list[int] = SEEDS, **figures: object) -> list[dict]:
    """One row per seed; a figure given as a list is per seed, anything else the same on every seed."""
    rows = []
    for index, seed in enumerate(seeds):
        row: dict = {"strategy": strategy, "seed": seed, "truth": truth, "error": None, "promoted": True,
                     "rolled_back": False, "replica_seconds": 1000.0}
        for name, value in figures.items():
            row[name] = value[index] if isinstance(value, list) else value
        row["false_rollback"] = truth == "good" and bool(row["rolled_back"])
        row["missed_regression"] = truth == "bad" and bool(row["promoted"])
        rows.append(row)
    return rows


def frame(*groups: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([row for group in groups for row in group])


def by_figure(table: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["figure"]: row for _, row in table.iterrows()}


def noisy(mean: float, spread: float, seed: int) -> list[float]:
    return list(mean + spread * np.random.default_rng(seed).standard_normal(len(SEEDS)))


def test_a_good_candidate_is_ranked_on_false_rollbacks_time_and_cost() -> None:
    rolled = [seed < 8 for seed in SEEDS]  # 8 of 10 false rollbacks
    rows = frame(
        runs("careful", "good", duration_s=noisy(600, 5, 1), replica_seconds=noisy(2000, 10, 2)),
        runs("jumpy", "good", promoted=[not r for r in rolled], rolled_back=rolled, duration_s=[50.0] * 8 + [90, 110],
             replica_seconds=noisy(1000, 10, 3)),
    )
    table = decision_table(rows)
    assert list(table.columns) == TABLE_COLUMNS
    rows_of = by_figure(table)
    assert list(rows_of) == ["false_rollback", "duration_s", "replica_seconds"]  # nothing about a bad candidate
    false_rollbacks = rows_of["false_rollback"]
    assert false_rollbacks["best"] == "careful" and false_rollbacks["runner_up"] == "jumpy"
    assert false_rollbacks["runner_up_value"] == pytest.approx(0.8)
    oracle = stats.binomtest(8, 10).proportion_ci(method="wilson")
    assert (false_rollbacks["runner_up_low"], false_rollbacks["runner_up_high"]) == pytest.approx(
        (oracle.low, oracle.high))
    assert false_rollbacks["beats_runner_up"] and false_rollbacks["verdict"] == "better"
    duration = rows_of["duration_s"]  # promoted runs only: jumpy's 2 promotions took 90 s and 110 s
    assert duration["best"] == "jumpy" and duration["value"] == pytest.approx(100.0) and duration["runs"] == 2
    assert duration["runner_up"] == "careful"
    assert duration["runner_up_value"] == pytest.approx(np.mean(noisy(600, 5, 1)))
    assert rows_of["replica_seconds"]["best"] == "jumpy"
    words = recommendation(rows)
    assert words.startswith("careful:") and "had no false rollbacks (0 of 10 runs)" in words
    assert "against 8 of 10 for jumpy" in words


def test_a_bad_candidate_is_ranked_on_missed_regressions_exposure_and_the_harm_present() -> None:
    rows = frame(
        runs("canary", "bad", promoted=False, rolled_back=True, candidate_requests=noisy(6000, 50, 1),
             excess_failed_requests=noisy(30, 3, 2), slo_violation_minutes=noisy(2, 0.2, 3)),
        runs("immediate", "bad", candidate_requests=noisy(90000, 500, 4), excess_failed_requests=noisy(400, 20, 5),
             slo_violation_minutes=noisy(60, 1, 6)),
    )
    rows_of = by_figure(decision_table(rows))
    assert list(rows_of) == ["missed_regression", "candidate_requests", "excess_failed_requests",
                             "slo_violation_minutes", "replica_seconds"]  # no slow_requests column, no such row
    for figure in ("missed_regression", "candidate_requests", "excess_failed_requests", "slo_violation_minutes"):
        assert rows_of[figure]["best"] == "canary" and rows_of[figure]["beats_runner_up"], figure
    exposure = rows_of["candidate_requests"]
    oracle = stats.ttest_rel(noisy(6000, 50, 1), noisy(90000, 500, 4))
    assert exposure["p_value"] == pytest.approx(oracle.pvalue)
    assert exposure["difference"] == pytest.approx(np.mean(noisy(6000, 50, 1)) - np.mean(noisy(90000, 500, 4)))
    words = recommendation(rows)
    assert words.startswith("canary:") and "missed no regression" in words
    assert "exposed 6,011 requests to the bad candidate against 89,900 for immediate" in words
    assert "caused 30 excess failed requests against 401 for immediate" in words


def test_a_harm_column_of_good_candidate_runs_only_gives_no_row() -> None:
    rows = frame(runs("a", "good", slow_requests=5.0), runs("b", "good", slow_requests=9.0))
    assert "slow_requests" not in set(decision_table(rows)["figure"])


def test_yardsticks_are_never_best_and_place_the_best_between_them() -> None:
    rows = frame(
        runs("canary", "bad", promoted=False, rolled_back=True, candidate_requests=noisy(6000, 50, 1)),
        runs("rolling", "bad", promoted=False, rolled_back=True, candidate_requests=noisy(20000, 50, 2)),
        runs("what-if: at once", "bad", candidate_requests=noisy(90000, 50, 3)),
        runs("what-if: never", "bad", promoted=False, candidate_requests=0.0),
    )
    decision = decide(rows)
    exposure = by_figure(decision.table)["candidate_requests"]
    assert exposure["best"] == "canary" and exposure["runner_up"] == "rolling"
    assert set(exposure["yardsticks"]) == {"what-if: at once", "what-if: never"}
    assert exposure["yardsticks"]["what-if: never"] == 0.0
    assert not decision.table["best"].str.startswith("what-if").any()
    assert not decision.table["runner_up"].fillna("").str.startswith("what-if").any()
    assert "(exposure between 0 for what-if: never and 89,994 for what-if: at once)" in decision.recommendation


def test_ties_are_broken_by_the_criteria_above() -> None:
    # Both expose no request before deciding, but immediate promoted the bad candidate every time.
    rows = frame(runs("immediate", "bad", candidate_requests=0.0),
                 runs("blue_green", "bad", promoted=False, rolled_back=True, candidate_requests=0.0))
    exposure = by_figure(decision_table(rows))["candidate_requests"]
    assert exposure["best"] == "blue_green" and exposure["verdict"] == "tied"
    assert decide(rows).recommended == "blue_green"


def test_the_paired_frame_decides_when_it_covers_the_figure() -> None:
    rows = frame(runs("canary", "bad", candidate_requests=noisy(6000, 50, 1)),
                 runs("blue_green", "bad", candidate_requests=noisy(6100, 50, 2)))
    paired = paired_differences(rows, figures=("candidate_requests",))
    assert paired.iloc[0]["p_value"] < 0.05  # by the data alone canary would beat blue_green
    held_back = paired.assign(p_holm=0.2, significant=False)  # ...but the experiment's Holm correction says no
    exposure = by_figure(decision_table(rows, held_back))["candidate_requests"]
    assert exposure["best"] == "canary" and not exposure["beats_runner_up"]
    assert exposure["verdict"] == "not distinguishable" and exposure["p_holm"] == 0.2
    assert by_figure(decision_table(rows))["candidate_requests"]["beats_runner_up"]  # computed here: it does


def test_without_p_holm_the_paired_frame_is_holm_corrected_here() -> None:
    rows = frame(runs("a", "bad", candidate_requests=noisy(100, 5, 1)),
                 runs("b", "bad", candidate_requests=noisy(200, 5, 2)))
    paired = paired_differences(rows, figures=("candidate_requests",)).drop(columns=["p_holm", "test"],
                                                                            errors="ignore")
    crowd = pd.DataFrame([{**paired.iloc[0].to_dict(), "figure": f"other_{i}", "p_value": 0.01} for i in range(9)])
    paired = pd.concat([paired.assign(p_value=0.02, significant=True), crowd], ignore_index=True)
    exposure = by_figure(decision_table(rows, paired))["candidate_requests"]
    assert exposure["p_holm"] == pytest.approx(multipletests(paired["p_value"], method="holm")[1][0])
    assert not exposure["beats_runner_up"]  # 0.02 alone is significant; after Holm over 10 comparisons it is not


def test_close_strategies_are_called_not_distinguishable() -> None:
    rows = frame(runs("canary", "bad", promoted=False, candidate_requests=noisy(6000, 400, 1)),
                 runs("blue_green", "bad", promoted=False, candidate_requests=noisy(6010, 400, 2)))
    decision = decide(rows)
    exposure = by_figure(decision.table)["candidate_requests"]
    assert exposure["verdict"] == "not distinguishable" and not exposure["beats_runner_up"]
    assert exposure["not_distinguishable_from"] == [exposure["runner_up"]]
    assert "not distinguishable from" in decision.recommendation and "10 seeds" in decision.recommendation


def test_one_strategy() -> None:
    decision = decide(frame(runs("canary", "bad", promoted=False, candidate_requests=6000.0)))
    assert decision.recommended == "canary"
    assert set(decision.table["verdict"]) == {"only strategy"} and decision.table["runner_up"].isna().all()
    assert "only strategy run" in decision.recommendation and decision.comparisons.empty


def test_no_truth_ranks_on_cost_only() -> None:
    rows = frame(runs("canary", None, candidate_requests=6000.0, replica_seconds=noisy(1500, 10, 1)),
                 runs("immediate", None, candidate_requests=9000.0, replica_seconds=noisy(1000, 10, 2)))
    decision = decide(rows)
    assert list(decision.table["figure"]) == ["replica_seconds"]
    assert decision.recommended == "immediate"
    assert "verdict (good or bad) is not known" in decision.recommendation
    assert "cannot be ranked" in decision.recommendation


def test_all_equal_recommends_nothing() -> None:
    rows = frame(runs("a", "bad", promoted=False, candidate_requests=10.0),
                 runs("b", "bad", promoted=False, candidate_requests=10.0),
                 runs("c", "bad", promoted=False, candidate_requests=10.0))
    decision = decide(rows)
    assert decision.recommended is None and decision.recommendation.startswith("No strategy stands out: a, b and c")
    assert set(decision.table["verdict"]) == {"tied"}


def test_one_seed_gives_no_interval_and_no_test() -> None:
    rows = frame(runs("canary", "bad", [0], promoted=False, candidate_requests=6000.0),
                 runs("rolling", "bad", [0], promoted=False, candidate_requests=20000.0))
    decision = decide(rows)
    exposure = by_figure(decision.table)["candidate_requests"]
    assert exposure["best"] == "canary" and math.isnan(exposure["low"]) and math.isnan(exposure["high"])
    assert exposure["verdict"] == "too few runs to compare" and not exposure["beats_runner_up"]
    assert decision.recommended == "canary" and "Too few paired runs to test exposure" in decision.recommendation


def test_failed_runs_are_left_out() -> None:
    rows = frame(runs("a", "bad", promoted=False, candidate_requests=noisy(100, 5, 1)),
                 runs("b", "bad", promoted=False, candidate_requests=noisy(200, 5, 2)))
    rows.loc[rows["strategy"] == "a", "candidate_requests"] = 1e9
    rows.loc[rows["strategy"] == "a", "error"] = "RuntimeError: boom"
    rows = pd.concat([rows, frame(runs("a", "bad", [99], promoted=False, candidate_requests=150.0))])
    exposure = by_figure(decision_table(rows))["candidate_requests"]
    assert exposure["best"] == "a" and exposure["value"] == 150.0 and exposure["runs"] == 1


def test_a_sweep_ranks_each_point() -> None:
    rows = frame(runs("canary", "bad", promoted=False, candidate_requests=noisy(100, 5, 1)),
                 runs("canary", "bad", promoted=False, candidate_requests=noisy(300, 5, 2)))
    rows["param:strategies.canary.initialPercentage"] = [5] * 10 + [20] * 10
    exposure = by_figure(decision_table(rows))["candidate_requests"]
    assert exposure["best"] == "canary (strategies.canary.initialPercentage=5)" and exposure["beats_runner_up"]


def test_the_result_gives_its_table_and_recommendation_and_stores_them(tmp_path) -> None:
    rows = frame(runs("canary", "bad", promoted=False, rolled_back=True, candidate_requests=noisy(6000, 50, 1)),
                 runs("immediate", "bad", candidate_requests=noisy(90000, 500, 2)))
    result = ExperimentResult(rows, summarise(rows, ["strategy"]), paired_differences(rows), len(rows),
                              load_scenario(SCENARIOS / "quickstart.yaml"))
    table = result.decision_table()
    assert isinstance(table, pd.DataFrame) and list(table.columns) == TABLE_COLUMNS
    assert list(table["best"]) == ["canary", "canary", "canary"]
    assert result.recommendation() == result.decision().recommendation
    assert result.recommendation().startswith("canary:")
    store_data(result, tmp_path)
    stored = json.loads((tmp_path / "summary.json").read_text())["decision"]
    assert stored["recommendation"] == result.recommendation() and stored["recommended"] == "canary"
    assert [row["criterion"] for row in stored["table"]] == list(table["criterion"])
    assert stored["table"][1]["figure"] == "candidate_requests" and stored["table"][1]["beats_runner_up"] is True
    assert stored["table"][1]["yardsticks"] == {}


@pytest.mark.slow
def test_quickstart_names_canary_or_blue_green_for_exposure() -> None:
    result = compare(SCENARIOS / "quickstart.yaml", runs=10, representative=False)
    decision = result.decision()
    exposure = by_figure(decision.table)["candidate_requests"]
    assert exposure["best"] in ("canary", "blue_green") and exposure["beats_runner_up"]
    missed = by_figure(decision.table)["missed_regression"]
    assert missed["best"] in ("canary", "blue_green") and missed["value"] == 0.0
    assert decision.recommended in ("canary", "blue_green")
    assert decision.recommendation.startswith(f"{decision.recommended}: on these 10 seeds")
    assert "false_rollback" not in set(decision.table["figure"])  # the slow candidate is bad
