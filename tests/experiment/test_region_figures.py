"""A run with regions in an experiment's rows and summaries: its blast radius and each region's figures."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from simulator.driver import run
from simulator.experiment.figure_kinds import support_of
from simulator.experiment.figures import REGION_FIGURES, candidate_truth, run_figures
from simulator.experiment.stats import summarise
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS, until_rollout_end


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    scenario = until_rollout_end(load_scenario(SCENARIOS / "multi-region.yaml"))
    figures = [run_figures(run(scenario, label, seed), scenario, candidate_truth(scenario))
               for label in ("waves", "immediate") for seed in (1, 2, 3)]
    return pd.DataFrame(figures)


def test_a_row_has_the_blast_radius_and_each_regions_figures(rows: pd.DataFrame) -> None:
    waves = rows[rows["strategy"] == "waves"].iloc[0]
    assert 0 < waves["blast_radius_users"] < 1 and 0 < waves["blast_radius_requests"] < 1
    for figure in REGION_FIGURES:
        assert f"regions.eu.{figure}" in rows
    for figure in ("requests", "candidate_requests", "failed_requests"):
        assert sum(waves[f"regions.{region}.{figure}"] for region in ("us", "eu", "ap")) == waves[figure]


def test_a_row_without_regions_has_none_of_them() -> None:
    scenario = until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml"))
    row = run_figures(run(scenario, "immediate", 1), scenario, candidate_truth(scenario))
    assert not any(key.startswith(("regions.", "blast_radius")) for key in row)


def test_the_summary_covers_the_regions_figures_with_intervals_within_their_support(rows: pd.DataFrame) -> None:
    summary = summarise(rows.assign(error=None), ["strategy"])
    waves = summary[summary["strategy"] == "waves"].iloc[0]
    assert 0 < waves["blast_radius_users_mean"] < 1
    assert waves["regions.us.candidate_requests_mean"] > waves["regions.ap.candidate_requests_mean"] > 0
    assert 0 <= waves["regions.ap.blast_radius_users_low"] <= waves["regions.ap.blast_radius_users_high"] <= 1
    assert support_of("regions.ap.blast_radius_users") == (0.0, 1.0)
    assert support_of("regions.ap.requests") == (0.0, math.inf)
