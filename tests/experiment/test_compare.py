"""Monte Carlo comparisons: paired seeds, executors, resuming, failures, files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from simulator.errors import ScenarioError
from simulator.experiment import apply_params, compare, sweep
from simulator.experiment import points as points_module
from simulator.experiment import runner as runner_module
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end

QUICKSTART = SCENARIOS / "quickstart.yaml"
QUICK = until_rollout_end(load_scenario(QUICKSTART))
"""The quickstart stopping each run at its rollout's end: for tests about decisions and files, not windows."""
DATA_FILES = {"scenario.json", "runs.jsonl", "runs.parquet", "events.parquet", "summary.json"}
REPORT_FILES = {"report.md", "report.html", "timeline.parquet", "figure-1.png", "figure-1.svg"}


def comparable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("case").reset_index(drop=True)


@pytest.mark.slow
def test_one_process_and_two_give_identical_rows() -> None:
    serial = compare(QUICK, runs=6, jobs=1)
    parallel = compare(QUICK, runs=6, jobs=2)
    pd.testing.assert_frame_equal(comparable(serial.rows), comparable(parallel.rows))
    assert len(serial.rows) == 6 * 6 and serial.rows["error"].isna().all()  # 4 strategies and 2 yardsticks


@pytest.mark.slow
def test_paired_interval_is_narrower_than_unpaired() -> None:
    result = compare(QUICK, runs=30, strategies=["canary", "rolling"], yardsticks=False)
    row = result.paired[result.paired["figure"] == "failed_requests"].iloc[0]
    assert (row["high"] - row["low"]) < (row["unpaired_high"] - row["unpaired_low"])


def test_summary_has_wilson_intervals_and_scores_decisions() -> None:
    summary = compare(QUICK, runs=10, yardsticks=False).summary.set_index("strategy")
    assert summary.loc["canary", "rolled_back"] == 1.0 and summary.loc["canary", "right_decision"] == 1.0
    assert summary.loc["immediate", "missed_regression"] == 1.0  # the slow candidate counts as bad
    low, high = summary.loc["canary", "rolled_back_low"], summary.loc["canary", "rolled_back_high"]
    assert 0.65 < low < 0.75 and high == 1.0  # Wilson interval of 10 / 10


def test_every_strategy_is_measured_over_one_window_between_two_yardsticks() -> None:
    """Issue acceptance: the same window for all; immediate exposes >= 20x the canary; counts add up."""
    result = compare(QUICKSTART, runs=3, representative=False)
    rows = result.rows.set_index(["strategy", "seed"])
    assert set(result.rows["window_s"]) == {load_scenario(QUICKSTART).window}
    exposure = result.rows.groupby("strategy")["candidate_requests"].mean()
    assert exposure["immediate"] >= 20 * exposure["canary"]
    assert exposure["what-if: never"] == 0 and exposure["what-if: at once"] >= exposure["immediate"] * 0.99
    assert (rows.loc["canary", "decision_time_s"] < rows.loc["canary", "window_s"]).all()
    # Both yardsticks see the same requests as every strategy: the window's arrivals do not depend on routing.
    assert result.rows.groupby("seed")["requests"].nunique().eq(1).all()


def test_a_run_that_raises_is_recorded_and_the_others_complete(monkeypatch) -> None:
    original = runner_module.run

    def flaky(scenario, label, seed, *args, **kwargs):
        if seed == scenario.seed + 2:
            raise RuntimeError("boom")
        return original(scenario, label, seed, *args, **kwargs)

    monkeypatch.setattr(runner_module, "run", flaky)
    result = compare(QUICK, runs=4, strategies=["canary"], jobs=1, yardsticks=False)
    errors = result.rows["error"].dropna()
    assert list(errors) == ["RuntimeError: boom"]
    assert result.summary.iloc[0]["runs"] == 4 and result.summary.iloc[0]["errors"] == 1


def test_compare_takes_a_loaded_scenario() -> None:
    result = compare(QUICK, runs=2)
    assert len(result.rows) == 2 * 6 and result.rows["error"].isna().all()
    assert result.scenario.name == "quickstart-latency-regression"


@pytest.mark.slow
def test_a_path_a_mapping_and_a_scenario_give_the_same_rows() -> None:
    by_path = compare(QUICKSTART, runs=2, representative=False, yardsticks=False)
    by_mapping = compare(scenario_data("quickstart.yaml"), runs=2, representative=False, yardsticks=False)
    by_scenario = compare(load_scenario(QUICKSTART), runs=2, representative=False, yardsticks=False)
    pd.testing.assert_frame_equal(by_path.rows, by_mapping.rows)
    pd.testing.assert_frame_equal(by_path.rows, by_scenario.rows)
    assert by_path.scenario == by_mapping.scenario == by_scenario.scenario


def test_representative_runs_are_each_strategy_on_the_first_seed() -> None:
    scenario = QUICK
    result = compare(scenario, runs=2, yardsticks=False)
    assert [r.strategy for r in result.representative] == scenario.labels
    assert {r.seed for r in result.representative} == {scenario.seed}
    first = result.rows[result.rows["seed"] == scenario.seed].set_index("strategy")
    for run in result.representative:  # the same run as the row's, kept whole
        assert run.outcome == first.loc[run.strategy, "outcome"] and not run.timeline_frame().empty
    assert compare(scenario, runs=2, representative=False).representative == []


@pytest.mark.slow
def test_rerun_with_the_same_out_makes_only_missing_runs(tmp_path) -> None:
    first = compare(QUICK, runs=3, out=tmp_path)
    assert first.executed == 18
    assert {p.name for p in tmp_path.iterdir()} == DATA_FILES  # data only: the report renders the rest
    again = compare(QUICK, runs=5, out=tmp_path)
    assert again.executed == 12 and len(again.rows) == 30
    assert {p.name for p in tmp_path.iterdir()} == DATA_FILES
    assert load_scenario(tmp_path / "scenario.json") == again.scenario  # the scenario as run, whole
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert set(events["strategy"]) == {"canary", "blue_green", "rolling", "immediate", "what-if: at once",
                                       "what-if: never"}
    assert {"t", "kind", "detail", "seed"} <= set(events.columns)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["runs"] == 30 and summary["errors"] == 0


@pytest.mark.slow
def test_killed_compare_resumes_without_redoing_runs(tmp_path) -> None:
    out = tmp_path / "killed"
    data = scenario_data("quickstart.yaml")
    data["simulation"] = {"until": "rollout_end"}  # resuming, not the window, is under test
    path = tmp_path / "quickstart.yaml"
    path.write_text(yaml.safe_dump(data))
    command = [sys.executable, "-m", "simulator.cli", "compare", str(path), "--runs", "60",
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "runs.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 20):
        time.sleep(0.05)
    process.kill()
    process.wait()
    finished = len([line for line in log.read_text().splitlines() if line.endswith("}")])
    assert 0 < finished < 360
    resumed = compare(path, runs=60, out=out)
    assert resumed.executed == 360 - finished
    assert len(resumed.rows) == 360 and resumed.rows["case"].is_unique


@pytest.mark.slow
def test_storing_the_data_is_all_or_nothing(tmp_path, monkeypatch) -> None:
    original = pd.DataFrame.to_parquet

    def failing_on_events(frame, path, *args, **kwargs):
        if str(path).endswith("events.parquet"):
            raise OSError("disk full")
        return original(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing_on_events)
    with pytest.raises(OSError, match="disk full"):
        compare(QUICKSTART, runs=2, strategies=["canary"], out=tmp_path / "r", representative=False)
    assert {p.name for p in (tmp_path / "r").iterdir()} == {"scenario.json", "runs.jsonl"}  # journal kept
    assert [p.name for p in tmp_path.iterdir()] == ["r"]
    monkeypatch.undo()
    resumed = compare(QUICKSTART, runs=2, strategies=["canary"], out=tmp_path / "r", representative=False)
    assert resumed.executed == 0 and {p.name for p in (tmp_path / "r").iterdir()} == DATA_FILES


def test_an_out_holding_another_scenario_is_refused(tmp_path) -> None:
    compare(QUICKSTART, runs=1, strategies=["canary"], out=tmp_path, representative=False, yardsticks=False)
    other = scenario_data("quickstart.yaml")
    other["seed"] += 1
    with pytest.raises(ScenarioError, match="holds results of a different scenario"):
        compare(other, runs=1, strategies=["canary"], out=tmp_path, yardsticks=False)
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 1


def test_a_directory_with_the_raw_scenario_file_still_resumes(tmp_path) -> None:
    compare(QUICKSTART, runs=2, strategies=["canary"], out=tmp_path, representative=False, yardsticks=False)
    (tmp_path / "scenario.json").write_text(json.dumps(scenario_data("quickstart.yaml")))  # as written before
    again = compare(QUICKSTART, runs=2, strategies=["canary"], out=tmp_path, representative=False, yardsticks=False)
    assert again.executed == 0 and len(again.rows) == 2


def test_sweep_validates_each_point_once_not_each_run(monkeypatch) -> None:
    validated = []
    original = points_module.parse_scenario

    def counting(data, **kwargs):
        validated.append(data["strategies"]["canary"]["monitoringDuration"])
        return original(data, **kwargs)

    monkeypatch.setattr(points_module, "parse_scenario", counting)
    result = sweep(load_scenario(QUICKSTART), {"strategies.canary.monitoringDuration": ["2m", "5m"]}, runs=3,
                   jobs=1, representative=False)
    assert validated == ["2m", "5m"] and len(result.rows) == 6


def test_a_bad_sweep_point_names_the_parameter() -> None:
    params = {"strategies.canary.incrementStep": [10, -5], "strategies.canary.monitoringDuration": ["2m"]}
    with pytest.raises(ScenarioError) as caught:
        sweep(QUICKSTART, params, runs=1)
    message = str(caught.value)
    assert message.startswith(f"{QUICKSTART} with strategies.canary.incrementStep=-5:")
    assert "monitoringDuration" not in message and "got -5" in message


def test_parameters_find_keys_in_either_spelling() -> None:
    data = {"strategies": {"canary": {"incrementStep": 20}}, "drift": None}
    changed = apply_params(data, {"strategies.canary.increment_step": 40, "drift.data.start": "10m"})
    assert changed == {"strategies": {"canary": {"incrementStep": 40}}, "drift": {"data": {"start": "10m"}}}
    assert data["strategies"]["canary"]["incrementStep"] == 20  # a copy
    with pytest.raises(ScenarioError, match="'strategies.canary.incrementStep' holds 20; expected a map"):
        apply_params(data, {"strategies.canary.incrementStep.x": 1})


@pytest.mark.slow
def test_sweep_tags_rows_with_parameters() -> None:
    result = sweep(QUICKSTART, {"strategies.canary.monitoringDuration": ["2m", "5m"]}, runs=3)
    assert set(result.rows["strategy"]) == {"canary"}
    times = result.summary.set_index("param:strategies.canary.monitoringDuration")["decision_time_s_mean"]
    assert times["2m"] < times["5m"]
    assert np.isclose(times["5m"], 345)  # start-up, then the first step's end


@pytest.mark.slow
def test_cli_compare_writes_the_report(tmp_path, capsys) -> None:
    from simulator.cli import main

    data = scenario_data("quickstart.yaml")
    data["simulation"] = {"until": "rollout_end"}  # the files written, not the window, are under test
    (tmp_path / "quickstart.yaml").write_text(yaml.safe_dump(data))
    assert main(["compare", str(tmp_path / "quickstart.yaml"), "--runs", "3", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^canary +3 +0% +100% +100% ", out, re.MULTILINE)  # the summary as a table, not Markdown
    assert "Paired differences of the criteria" in out and "| canary |" not in out and "|---" not in out
    tables = [line for line in out.splitlines() if "runs made; results in" not in line]  # that one names tmp_path
    assert max(map(len, tables)) <= 120  # piped: the width of a log, not of a terminal
    assert (tmp_path / "r" / "report.md").read_text().startswith("# quickstart-latency-regression")
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert names == DATA_FILES | REPORT_FILES | {f"figure-{n}.{kind}" for n in (2, 3) for kind in ("png", "svg")}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["quickstart.yaml", "r"]  # no staging directory left


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_rows() -> None:
    import pytest

    pytest.importorskip("dask.distributed")
    local = compare(QUICKSTART, runs=4, jobs=1)
    distributed = compare(QUICKSTART, runs=4, executor="dask", jobs=2)
    pd.testing.assert_frame_equal(comparable(local.rows), comparable(distributed.rows))


def test_intervals_against_scipy() -> None:
    from scipy import stats

    from simulator.experiment.stats import mean_interval, quantile_interval, wilson

    assert wilson(7, 10) == pytest.approx(tuple(stats.binomtest(7, 10).proportion_ci(method="wilson")))
    values = np.random.default_rng(1).exponential(10.0, 200)
    mean, low, high = mean_interval(values)  # t with a skewness correction: near t at 200 runs, shifted right
    expected = stats.t.interval(0.95, 199, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected, rel=0.05) and low > expected[0] and high > expected[1]
    value, q_low, q_high = quantile_interval(values, 0.95)  # order statistics (tests/experiment/test_intervals.py)
    assert q_low < value < q_high and value == pytest.approx(np.quantile(values, 0.95))
