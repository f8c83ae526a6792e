"""Results directories are written all at once: an error leaves no half-written file and no staging behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.driver import run
from simulator.experiment import compare
from simulator.files import staged_files
from simulator.report import files as files_module
from simulator.report import write_experiment_report, write_run_results
from simulator.scenario import load_scenario
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS, until_rollout_end

QUICKSTART = until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml"))  # reports, not windows
DATA_FILES = {"scenario.json", "runs.jsonl", "runs.parquet", "events.parquet", "summary.json"}


def contents(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in directory.iterdir()}


def no_staging(parent: Path) -> bool:
    return not [path for path in parent.iterdir() if path.name.startswith(".")]


def test_staged_files_replace_all_or_nothing(tmp_path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "kept.txt").write_text("kept")
    (target / "a.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with staged_files(target) as staging:
            (staging / "a.txt").write_text("new")
            (staging / "b.txt").write_text("half")
            raise RuntimeError("boom")
    assert contents(target) == {"kept.txt": b"kept", "a.txt": b"old"} and no_staging(tmp_path)
    with staged_files(target) as staging:
        (staging / "a.txt").write_text("new")
    assert contents(target) == {"kept.txt": b"kept", "a.txt": b"new"} and no_staging(tmp_path)


def failing(*args, **kwargs):
    raise RuntimeError("renderer failed")


@pytest.mark.slow
def test_a_renderer_that_raises_leaves_no_partial_report(tmp_path, monkeypatch) -> None:
    out = tmp_path / "results"
    result = compare(QUICKSTART, runs=2, strategies=["canary", "immediate"], out=out)
    monkeypatch.setattr(files_module, "experiment_html", failing)  # after report.md and the figures are staged
    with pytest.raises(RuntimeError, match="renderer failed"):
        write_experiment_report(result, out)
    assert set(contents(out)) == DATA_FILES and no_staging(tmp_path)


@pytest.mark.slow
def test_a_failed_rerender_keeps_the_previous_report_whole(tmp_path, monkeypatch) -> None:
    out = tmp_path / "results"
    write_experiment_report(compare(QUICKSTART, runs=2, strategies=["canary", "immediate"], out=out), out)
    before = contents(out)
    again = compare(QUICKSTART, runs=3, strategies=["canary", "immediate"], out=out)
    monkeypatch.setattr(files_module, "experiment_html", failing)
    with pytest.raises(RuntimeError, match="renderer failed"):
        write_experiment_report(again, out)
    after = contents(out)
    rendered = set(before) - DATA_FILES
    assert rendered >= {"report.md", "report.html", "figure-1.png", "timeline.parquet"}
    assert {name: after[name] for name in rendered} == {name: before[name] for name in rendered}
    assert after["runs.parquet"] != before["runs.parquet"]  # the data of 3 seeds was stored
    assert no_staging(tmp_path)


def test_run_out_writes_nothing_when_plotting_raises(tmp_path, monkeypatch) -> None:
    scenario = QUICKSTART
    results = [run(scenario, "canary")]
    monkeypatch.setattr(files_module, "plot_timelines", failing)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="renderer failed"):
        write_run_results(out, scenario.name, results, written_dump(scenario, mode="json"))
    assert not out.exists() and no_staging(tmp_path)


@pytest.mark.slow
def test_the_report_is_added_beside_the_data(tmp_path) -> None:
    out = tmp_path / "results"
    result = compare(QUICKSTART, runs=2, strategies=["canary", "immediate"], out=out)
    data = contents(out)
    written = write_experiment_report(result, out)
    assert {path.name for path in written} == set(contents(out)) - DATA_FILES
    assert {path.name for path in written} >= {"report.md", "report.html", "timeline.parquet", "figure-1.svg"}
    assert {name: contents(out)[name] for name in data} == data  # the data files are untouched
