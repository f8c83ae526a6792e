"""Monte Carlo comparisons: paired seeds, executors, resuming, failures, files."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulator.experiment import compare, sweep
from simulator.experiment import runner as runner_module
from tests.helpers import SCENARIOS

QUICKSTART = SCENARIOS / "quickstart.yaml"


def comparable(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("case").reset_index(drop=True)


def test_one_process_and_two_give_identical_rows() -> None:
    serial = compare(QUICKSTART, runs=6, jobs=1)
    parallel = compare(QUICKSTART, runs=6, jobs=2)
    pd.testing.assert_frame_equal(comparable(serial.rows), comparable(parallel.rows))
    assert len(serial.rows) == 6 * 4 and serial.rows["error"].isna().all()


def test_paired_interval_is_narrower_than_unpaired() -> None:
    result = compare(QUICKSTART, runs=30, labels=["canary", "rolling"])
    row = result.paired[result.paired["figure"] == "failed_requests"].iloc[0]
    assert (row["high"] - row["low"]) < (row["unpaired_high"] - row["unpaired_low"])


def test_summary_has_wilson_intervals_and_scores_decisions() -> None:
    summary = compare(QUICKSTART, runs=10).summary.set_index("strategy")
    assert summary.loc["canary", "rolled_back"] == 1.0 and summary.loc["canary", "right_decision"] == 1.0
    assert summary.loc["immediate", "missed_regression"] == 1.0  # the slow candidate counts as bad
    low, high = summary.loc["canary", "rolled_back_low"], summary.loc["canary", "rolled_back_high"]
    assert 0.65 < low < 0.75 and high == 1.0  # Wilson interval of 10 / 10


def test_a_run_that_raises_is_recorded_and_the_others_complete(monkeypatch) -> None:
    original = runner_module.run

    def flaky(scenario, label, seed, *args, **kwargs):
        if seed == scenario.seed + 2:
            raise RuntimeError("boom")
        return original(scenario, label, seed, *args, **kwargs)

    monkeypatch.setattr(runner_module, "run", flaky)
    result = compare(QUICKSTART, runs=4, labels=["canary"], jobs=1)
    errors = result.rows["error"].dropna()
    assert list(errors) == ["RuntimeError: boom"]
    assert result.summary.iloc[0]["runs"] == 4 and result.summary.iloc[0]["errors"] == 1


def test_rerun_with_the_same_out_makes_only_missing_runs(tmp_path) -> None:
    first = compare(QUICKSTART, runs=3, out=tmp_path)
    assert first.executed == 12
    again = compare(QUICKSTART, runs=5, out=tmp_path)
    assert again.executed == 8 and len(again.rows) == 20
    assert {p.name for p in tmp_path.iterdir()} >= {
        "scenario.json", "runs.jsonl", "runs.parquet", "events.parquet", "timeline.parquet", "summary.json",
        "report.md", "report.html", "figure-1.png", "figure-1.svg",
    }
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert set(events["strategy"]) == {"canary", "blue_green", "rolling", "immediate"}
    assert {"t", "kind", "detail", "seed"} <= set(events.columns)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["runs"] == 20 and summary["errors"] == 0


def test_killed_compare_resumes_without_redoing_runs(tmp_path) -> None:
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "simulator.cli", "compare", str(QUICKSTART), "--runs", "60",
               "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log = out / "runs.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or len(log.read_text().splitlines()) < 20):
        time.sleep(0.05)
    process.kill()
    process.wait()
    finished = len([line for line in log.read_text().splitlines() if line.endswith("}")])
    assert 0 < finished < 240
    resumed = compare(QUICKSTART, runs=60, out=out)
    assert resumed.executed == 240 - finished
    assert len(resumed.rows) == 240 and resumed.rows["case"].is_unique


def test_sweep_tags_rows_with_parameters() -> None:
    result = sweep(QUICKSTART, {"strategies.canary.monitoringDuration": ["2m", "5m"]}, runs=3)
    assert set(result.rows["strategy"]) == {"canary"}
    times = result.summary.set_index("param:strategies.canary.monitoringDuration")["decision_time_s_mean"]
    assert times["2m"] < times["5m"]
    assert np.isclose(times["5m"], 345)


def test_cli_compare_writes_the_report(tmp_path, capsys) -> None:
    from simulator.cli import main

    assert main(["compare", str(QUICKSTART), "--runs", "3", "--out", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "| canary |" in out and "Paired differences" in out
    assert (tmp_path / "r" / "report.md").read_text().startswith("# quickstart-latency-regression")


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
    mean, low, high = mean_interval(values)
    expected = stats.t.interval(0.95, 199, loc=values.mean(), scale=stats.sem(values))
    assert (low, high) == pytest.approx(expected)
    value, q_low, q_high = quantile_interval(values, 0.95)
    assert q_low < value < q_high and value == pytest.approx(np.quantile(values, 0.95))
