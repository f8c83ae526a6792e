"""`rollout-sim check`: expectations, confidence, baselines, JUnit XML, Markdown, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from simulator.check import check, parse_expectations
from simulator.check.outputs import describe, junit_xml, markdown_summary
from simulator.errors import ScenarioError
from tests.helpers import scenario_data


def write(tmp_path: Path, data: dict, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulator.cli", "check", *args], capture_output=True, text=True)


def small_quickstart(**expect) -> dict:
    """The quickstart scenario over 10 runs; its canary checks once per step, at the step's end.

    One check per step keeps the figures these tests reason about simple: the 2x slower candidate is
    rolled back at the end of its first 5-minute step.
    """
    data = scenario_data("quickstart.yaml")
    data["runs"] = 10
    data["simulation"] = {"until": "rollout_end"}  # decisions only: the runs need not cover the window
    data["expect"] = expect or data["expect"]
    data["strategies"]["canary"]["analysisInterval"] = data["strategies"]["canary"]["monitoringDuration"]
    return data


@pytest.mark.slow
def test_loosened_threshold_fails_with_a_message_that_names_everything(tmp_path) -> None:
    data = small_quickstart()
    data["strategies"]["canary"]["rollbackThresholds"]["latencyIncrease"] = 3.0  # the slow candidate now passes
    process = cli(str(write(tmp_path, data)))
    assert process.returncode == 1
    line = next(line for line in process.stdout.splitlines() if "FAIL" in line)
    assert line.startswith("quickstart-latency-regression / canary: rolled_back >= 0.9 — measured 0 [0, 0.2775]")
    assert "over 10 runs" in line


@pytest.mark.slow
def test_typo_in_an_expectation_is_one_line_exit_2(tmp_path) -> None:
    data = small_quickstart(canary={"rolled_bak": ">= 0.9"})
    process = cli(str(write(tmp_path, data)))
    assert process.returncode == 2 and process.stdout == ""
    (line,) = process.stderr.strip().splitlines()
    assert "expect.canary.rolled_bak" in line and "did you mean 'rolled_back'" in line


@pytest.mark.parametrize(("expect", "match"), [
    ({"canery": {"promoted": ">= 1"}}, "did you mean 'canary'"),
    ({"canary": {"decision_time.p99": "<= 5m"}}, "aggregate 'p99'"),
    ({"canary": {"promoted": "about 1"}}, "expected '>= X'"),
    ({"canary": {"decision_time.p95": "<= soon"}}, "expected a number or a duration"),
])
def test_bad_expectations(expect: dict, match: str) -> None:
    with pytest.raises(ScenarioError, match=match):
        parse_expectations(expect, ["canary", "blue_green"], file="x.yaml")


def test_units_aggregates_and_between(tmp_path) -> None:
    data = small_quickstart(canary={"decision_time.p95": "<= 6m", "candidate_requests": "between 1000 and 20000",
                                    "rolled_back": ">= 90%", "duration.max": "< 1h"})
    result = check([str(write(tmp_path, data))])
    assert [j.verdict for j in result.judgements] == ["pass"] * 4
    assert result.judgements[0].expectation.bounds == (360.0,)


def test_confidence_makes_a_borderline_expectation_inconclusive(tmp_path) -> None:
    """An expectation whose bound is the figure's true mean: a point estimate must come down on one side
    by noise alone, while an interval must call it inconclusive."""
    from simulator.scenario import parse_scenario

    data = small_quickstart()
    scenario = parse_scenario(data)
    canary = scenario.strategies["canary"]
    # The 2x slower candidate fails the canary's first check (every run rolls back, asserted below):
    # it gets initialPercentage of the Poisson traffic for one monitoringDuration, so its requests per
    # run average rate x weight x duration exactly.
    border = scenario.traffic.rate * canary.initial_percentage / 100 * canary.monitoring_duration
    assert border == 6000
    # The same figure twice, on either side of the border ('.mean' is the default aggregate).
    sides = {"candidate_requests": f"> {border:g}", "candidate_requests.mean": f"<= {border:g}"}
    judgements = {}
    for confidence in (None, 0.99):
        block = {**sides, "rolled_back": "== 1"} if confidence is None else {**sides, "confidence": confidence}
        data["expect"] = {"canary": block}
        path = write(tmp_path, data, f"confidence-{confidence}.yaml")
        judgements[confidence] = {j.expectation.key: j for j in check([str(path)]).judgements}

    point = judgements[None]
    assert point["rolled_back"].verdict == "pass"
    assert sorted(point[key].verdict for key in sides) == ["fail", "pass"]  # whichever side the noise fell on
    # A 99 % t interval of the mean of 10 runs covers the true mean for 99 seeds in 100.
    interval = judgements[0.99]
    for key in sides:
        judgement = interval[key]
        assert judgement.low < border < judgement.high
        assert judgement.verdict == "inconclusive"
        assert judgement.runs_to_settle > 10
        assert "runs would settle it" in describe(judgement)


@pytest.mark.slow
def test_baseline_catches_a_regression_that_still_meets_its_expectation(tmp_path) -> None:
    """The mean and the p95 of one figure are the same per-seed values: tested, and reported, once."""
    data = small_quickstart(canary={"candidate_requests": "<= 100000", "candidate_requests.p95": "<= 200000"})
    baseline = tmp_path / "baseline.json"
    assert cli(str(write(tmp_path, data)), "--save-baseline", str(baseline)).returncode == 0
    data["strategies"]["canary"]["monitoringDuration"] = "10m"  # the slow candidate is seen for longer
    process = cli(str(write(tmp_path, data)), "--baseline", str(baseline))
    assert process.returncode == 1
    expected = "REGRESSION quickstart-latency-regression|canary|candidate_requests: worse than the baseline"
    assert expected in process.stdout and process.stdout.count("REGRESSION") == 1
    assert "Holm-adjusted over 1 figure " in process.stdout
    unchanged = small_quickstart(canary={"candidate_requests": "<= 100000"})
    assert cli(str(write(tmp_path, unchanged)), "--baseline", str(baseline)).returncode == 0


def test_junit_xml_and_markdown(tmp_path) -> None:
    data = small_quickstart(canary={"rolled_back": ">= 0.9", "promoted": ">= 0.5"})
    result = check([str(write(tmp_path, data))])
    root = ET.fromstring(junit_xml(result))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1" and suite.get("errors") == "0"
    cases = suite.findall("testcase")
    assert [c.get("classname") for c in cases] == ["quickstart-latency-regression.canary"] * 2
    assert cases[0].find("failure") is None and cases[1].find("failure") is not None
    summary = markdown_summary(result)
    assert summary.startswith("## rollout-sim check") and "❌ fail" in summary and "✅ pass" in summary


@pytest.mark.slow
def test_json_output(tmp_path) -> None:
    process = cli(str(write(tmp_path, small_quickstart())), "--json")
    document = json.loads(process.stdout)
    assert process.returncode == 0 and document["passed"] is True
    assert {e["strategy"] for e in document["expectations"]} == {"canary", "blue_green", "immediate"}


@pytest.mark.slow
def test_pytest_collects_scenario_files_as_tests(tmp_path) -> None:
    good = small_quickstart(canary={"rolled_back": ">= 0.9"}, immediate={"promoted": ">= 0.9"})
    bad = small_quickstart(canary={"promoted": ">= 0.9"})
    write(tmp_path, good, "good.yaml")
    write(tmp_path, bad, "bad.yaml")
    process = subprocess.run([sys.executable, "-m", "pytest", str(tmp_path), "-q", "-p", "no:cacheprovider"],
                             capture_output=True, text=True, cwd=tmp_path)
    assert "1 failed, 2 passed" in process.stdout, process.stdout[-2000:]
    assert "quickstart-latency-regression / canary: promoted >= 0.9 — measured 0" in process.stdout


def test_junit_xml_is_read_by_junitparser(tmp_path) -> None:
    junitparser = pytest.importorskip("junitparser")
    data = small_quickstart(canary={"rolled_back": ">= 0.9", "promoted": ">= 0.5"})
    report = tmp_path / "report.xml"
    report.write_text(junit_xml(check([str(write(tmp_path, data))])))
    xml = junitparser.JUnitXml.fromfile(str(report))
    suites = list(xml)
    assert len(suites) == 1 and suites[0].tests == 2 and suites[0].failures == 1
    outcomes = [[type(result).__name__ for result in case.result] for case in suites[0]]
    assert outcomes == [[], ["Failure"]]


def test_check_reads_each_file_once_and_makes_no_extra_runs(tmp_path, monkeypatch) -> None:
    from simulator.check import run_check
    from simulator.experiment import runner
    from simulator.scenario import loader

    reads: list[str] = []
    original_read = loader.read_scenario_data

    def counting_read(path):
        reads.append(Path(path).name)
        return original_read(path)

    runs: list[tuple[str, int]] = []
    original_run = runner.run

    def counting_run(scenario, label, seed, *args, **kwargs):
        runs.append((label, seed))
        return original_run(scenario, label, seed, *args, **kwargs)

    monkeypatch.setattr(loader, "read_scenario_data", counting_read)
    monkeypatch.setattr(run_check, "read_scenario_data", counting_read)
    monkeypatch.setattr(runner, "run", counting_run)
    data = small_quickstart(canary={"rolled_back": ">= 0.9"})
    data["runs"] = 3
    write(tmp_path, data, "first.yaml")
    write(tmp_path, data, "second.yaml")
    (tmp_path / "notes.yaml").write_text("name: notes without expectations\n")
    result = check([str(tmp_path)])
    assert [j.verdict for j in result.judgements] == ["pass", "pass"]
    assert sorted(reads) == ["first.yaml", "notes.yaml", "second.yaml"]
    assert len(runs) == 2 * 3  # canary on 3 seeds per file, and no representative run
