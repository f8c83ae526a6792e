"""A run with regions on a terminal, in a results directory and as a figure: each region, and the blast radius."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from rich.console import Console

from simulator.driver import run
from simulator.experiment.figures import candidate_truth, run_figures
from simulator.experiment.stats import summarise
from simulator.report import write_run_results
from simulator.report.markdown import experiment_markdown
from simulator.report.region_cells import region_cells, region_header
from simulator.report.region_plots import region_timeline_figure
from simulator.report.terminal import print_runs
from simulator.result import RunResult
from simulator.scenario import load_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return load_scenario(SCENARIOS / "multi-region.yaml").model_copy(update={"observe": 3000.0})


@pytest.fixture(scope="module")
def waves(scenario: Scenario) -> RunResult:
    return run(scenario, "waves", 7)


def test_run_prints_each_region_and_the_blast_radius(waves: RunResult) -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    print_runs("demo", [waves], console)
    text = console.file.getvalue()
    assert "By region; blast radius: the users and requests that met the candidate before the decision" in text
    rows = {}
    for line in text.splitlines():
        tokens = line.split()
        if tokens[:1] == ["waves"] and tokens[1] == "us":
            rows["us"] = line
        elif tokens[:1] in (["eu"], ["ap"], ["all"]):
            rows[tokens[0]] = line
    assert set(rows) == {"us", "eu", "ap", "all"}
    assert waves.regions is not None
    assert f"{waves.regions['ap']['candidate_requests']:,}" in rows["ap"]
    users = waves.blast_radius["users"] if waves.blast_radius else None
    assert f"{users * 100:.1f} %" in text


def test_the_region_figure_has_a_column_per_region_with_its_own_faults(waves: RunResult, scenario: Scenario) -> None:
    figure = region_timeline_figure(waves, scenario)
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert titles == [f"{name}: waves (seed 7): rolled_back" for name in ("us", "eu", "ap")]
    shaded = {index: [artist for artist in axis.get_children() if isinstance(artist, Rectangle)
                      and artist.get_gid() == "fault"] for index, axis in enumerate(figure.axes[:3])}
    assert len(shaded[0]) == 0  # nothing hit us
    assert len(shaded[1]) == 1  # eu's outage
    assert len(shaded[2]) == 1  # ap's errors
    with pytest.raises(ValueError, match="has no regions"):
        region_timeline_figure(run(load_scenario(SCENARIOS / "quickstart.yaml"), "immediate", 1))


@pytest.mark.slow
def test_run_out_writes_the_regions_timeline_and_figure(tmp_path: Path, waves: RunResult,
                                                        scenario: Scenario) -> None:
    names = {path.name for path in write_run_results(tmp_path, "demo", [waves], written_dump(scenario))}
    assert {"timeline-regions.csv", "timeline-regions.parquet", "timeline-regions.png"} <= names
    frame = pd.read_parquet(tmp_path / "timeline-regions.parquet")
    assert set(frame["region"]) == {"us", "eu", "ap"}
    assert frame.groupby("region")["requests"].sum().sum() == pd.read_parquet(tmp_path / "timeline.parquet")[
        "requests"].sum()


def test_the_report_has_a_regions_table(waves: RunResult, scenario: Scenario) -> None:
    rows = pd.DataFrame([run_figures(waves, scenario, candidate_truth(scenario))] * 3).assign(error=None)
    summary = summarise(rows, ["strategy"])
    cells = region_cells(summary)
    assert [row[1] for row in cells] == ["all", "us", "eu", "ap"]
    assert region_header(summary)[:3] == ["strategy", "region", "users met"]
    assert "## Regions" in experiment_markdown("demo", summary, pd.DataFrame())
    without = summarise(rows.drop(columns=[c for c in rows if c.startswith(("regions.", "blast"))]), ["strategy"])
    assert region_cells(without) == []
    assert "## Regions" not in experiment_markdown("demo", without, pd.DataFrame())
