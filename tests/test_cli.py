"""The command line as a user meets it: output, exit codes, files, bad input."""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

import simulator.driver
import simulator.experiment.runner
import simulator.scenario
from simulator.cli import console_main, main
from tests.helpers import REPO, SCENARIOS, scenario_data

QUICKSTART = str(SCENARIOS / "quickstart.yaml")


def test_run_prints_each_strategy_and_why(capsys) -> None:
    assert main(["run", QUICKSTART]) == 0
    out = capsys.readouterr().out
    for label in ("canary", "blue_green", "rolling", "immediate"):
        assert label in out
    assert "rolled_back" in out and "latency p99" in out


def test_run_json_follows_the_contract(capsys) -> None:
    assert main(["run", QUICKSTART, "--json", "--strategy", "canary", "--seed", "7"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["scenario"] == "quickstart-latency-regression"
    (record,) = document["runs"]
    assert record["strategy"] == "canary" and record["kind"] == "canary" and record["seed"] == 7
    assert record["outcome"] in ("promoted", "rolled_back", "incomplete")
    for key, kind in [
        ("decision_time_s", (float, type(None))), ("duration_s", float), ("requests", int),
        ("failed_requests", int), ("candidate_requests", int), ("candidate_failed_requests", int),
        ("wrong_predictions", int), ("replica_seconds", float), ("versions", dict), ("events", list),
    ]:
        assert isinstance(record[key], kind), key
    for version in record["versions"].values():
        for key in ("requests", "failed_requests", "latency_mean_s", "latency_p99_s", "queue_wait_mean_s",
                    "correct_predictions"):
            assert key in version
    assert all(set(event) == {"t", "kind", "detail", "data"} for event in record["events"])
    # README's contract names every key a run record has.
    contract = (REPO / "README.md").read_text().split("### `run --json`")[1].split("```")[1]
    undocumented = [key for key in [*record, *next(iter(record["versions"].values()))] if f'"{key}"' not in contract]
    assert undocumented == []
    scales = [event["data"] for event in record["events"] if event["kind"] == "scale"]
    assert scales and all({"version", "previous", "replicas"} <= set(data) for data in scales)
    assert record["events"][-1]["kind"] == "finished"
    assert record["requests"] == sum(v["requests"] for v in record["versions"].values())


@pytest.mark.slow
def test_run_out_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["run", QUICKSTART, "--out", str(out), "--json"]) == 0
    expected = {"runs.json", "scenario.json", "timeline.csv", "timeline.parquet", "events.csv", "timeline.png"}
    assert {p.name for p in out.iterdir()} == expected
    assert (out / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    from simulator.scenario import load_scenario

    assert load_scenario(out / "scenario.json") == load_scenario(QUICKSTART)  # the scenario as run, whole


@pytest.mark.slow
def test_sweep_out_writes_data_and_report_and_resumes(tmp_path: Path, capsys) -> None:
    out = tmp_path / "sweep"
    command = ["sweep", QUICKSTART, "--param", "strategies.canary.monitoringDuration=2m,5m", "--runs", "2",
               "--out", str(out)]
    assert main(command) == 0
    assert "4 runs made" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"scenario.json", "runs.jsonl", "runs.parquet", "summary.json", "report.md", "report.html",
            "timeline.parquet", "figure-1.png", "figure-4.svg"} <= names
    assert main(command) == 0
    assert "0 runs made" in capsys.readouterr().out
    assert {p.name for p in out.iterdir()} == names and [p.name for p in tmp_path.iterdir()] == ["sweep"]


def test_validate_and_schema(capsys) -> None:
    assert main(["validate", QUICKSTART]) == 0
    assert "ok" in capsys.readouterr().out
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert "traffic" in schema["properties"] and "strategies" in schema["properties"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["strategies"]["canary"].update(incrementStep=-5), "strategies.canary.incrementStep: got -5"),
        (lambda d: d["strategies"]["canary"].update(incrementStepp=5), "did you mean 'incrementStep'"),
        (lambda d: d["traffic"].update(rate="fast"), "traffic.rate: got 'fast'; expected a rate"),
        (lambda d: d.update(stable="v9"), "stable: got 'v9'; expected the name of a version"),
        (lambda d: d["strategies"]["canary"].update(monitoringDuration="5 parsecs"), "expected a duration"),
        (lambda d: d["versions"]["v1"].update(latency={"p50": "40ms"}), "needs 'p99'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, change, expected: str) -> None:
    data = scenario_data("quickstart.yaml")
    change(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    process = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "run", str(bad), "--out", str(out)],
        capture_output=True, text=True,
    )
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.strip().splitlines()
    assert len(lines) == 1, process.stderr
    assert str(bad) in lines[0] and expected in lines[0]
    assert "Traceback" not in process.stderr
    assert not out.exists()


def test_missing_file_and_bad_syntax(tmp_path: Path, capsys) -> None:
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "file not found" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    assert main(["validate", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "not valid YAML" in err and len(err.strip().splitlines()) == 1


def test_unknown_strategy_label(capsys) -> None:
    assert main(["run", QUICKSTART, "--strategy", "canery"]) == 2
    assert "did you mean 'canary'" in capsys.readouterr().err


def test_json_and_toml_scenarios_run(tmp_path: Path, capsys) -> None:
    import tomllib  # noqa: F401  (standard library: TOML is read with it)

    data = scenario_data("quickstart.yaml")
    (tmp_path / "q.json").write_text(json.dumps(data))
    assert main(["run", str(tmp_path / "q.json"), "--strategy", "immediate", "--json"]) == 0
    from_json = json.loads(capsys.readouterr().out)
    toml_text = (SCENARIOS.parent / "tests" / "data" / "quickstart.toml").read_text()
    (tmp_path / "q.toml").write_text(toml_text)
    assert main(["run", str(tmp_path / "q.toml"), "--strategy", "immediate", "--json"]) == 0
    from_toml = json.loads(capsys.readouterr().out)
    assert from_json["runs"] == from_toml["runs"]


def test_version_and_help_name_every_strategy(capsys) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"rollout-sim {version('rollout-sim')}"
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    description = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["description"]
    for strategy in ("canary", "blue-green", "rolling", "immediate", "A/B test", "shadow"):
        assert strategy in help_text and strategy in description


FIVE_MISTAKES = """\
name: five-mistakes
horizon: 1h
traffic: {rate: 200/s, burst: 3}
service: {replicas: 4, concurrency: 4, timeout: 1s}
versions:
  v1: {accuracy: 0.92, latency: {p50: 30ms, p99: 120ms}}
  v2: {accuracy: 1.4, latency: {p50: 30ms, p99: 120ms}}
stable: v1
candidate: v2
strategies:
  canary: {initialPercentage: 10, incrementStepp: 20}
  blue_green: {monitoringDuration: 5m}
expect:
  confidence: 0.95
  canary: {rolled_bak: ">= 0.9"}
  canry: {promoted: ">= 0.5"}
"""


def test_validate_reports_every_mistake_on_its_own_line(tmp_path: Path) -> None:
    bad = tmp_path / "five.yaml"
    bad.write_text(FIVE_MISTAKES)
    process = subprocess.run([sys.executable, "-m", "simulator.cli", "validate", str(bad)],
                             capture_output=True, text=True)
    assert process.returncode == 2 and process.stdout == ""
    lines = process.stderr.strip().splitlines()
    assert lines[-1] == f"{bad}: 5 problems"
    expected = [  # in the order of the file
        ("traffic", "unknown key 'burst'"),
        ("versions.v2.accuracy", "got 1.4; expected at most 1"),
        ("strategies.canary", "unknown key 'incrementStepp' (did you mean 'incrementStep'?)"),
        ("expect.canary.rolled_bak", "did you mean 'rolled_back'?"),
        ("expect.canry", "did you mean 'canary'?"),
    ]
    assert len(lines[:-1]) == len(expected), process.stderr
    for line, (path, message) in zip(lines, expected, strict=False):
        assert line.startswith(f"error: {bad}: {path}: ") and message in line, line
    assert "Traceback" not in process.stderr


@pytest.mark.parametrize(("expect", "path"), [
    ({"canary": {"rolled_bak": ">= 0.9"}}, "expect.canary.rolled_bak"),
    ({"canry": {"rolled_back": ">= 0.9"}}, "expect.canry"),
    ({"confidence": 95, "canary": {"rolled_back": ">= 0.9"}}, "expect.confidence"),
])
def test_validate_is_as_strict_as_check_on_expectations(tmp_path: Path, capsys, expect, path: str) -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"] = expect
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["validate", str(bad)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {bad}: {path}: ")


def test_validate_accepts_the_documented_top_level_confidence(tmp_path: Path, capsys) -> None:
    data = scenario_data("quickstart.yaml")
    data["expect"] = {"confidence": 0.95, "canary": {"rolled_back": ">= 0.9", "decision_time.p95": "<= 20m"}}
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(data))
    assert main(["validate", str(good)]) == 0
    assert ": ok - " in capsys.readouterr().out


def test_check_that_checks_nothing_fails_unless_allowed(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["check", str(empty)]) == 1
    assert "nothing checked" in capsys.readouterr().err
    assert main(["check", str(empty), "--allow-empty"]) == 0
    data = scenario_data("quickstart.yaml")
    del data["expect"]
    (empty / "no-expect.yaml").write_text(yaml.safe_dump(data))
    assert main(["check", str(empty / "no-expect.yaml")]) == 1  # a file named, but no expect block
    assert "nothing checked" in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message"), [
    (["--strategy", "canry"], "--strategy: got 'canry' (did you mean 'canary'?)"),
    (["--runs", "0"], "--runs: got 0"),
])
def test_check_options_bad_input(capsys, arguments: list[str], message: str) -> None:
    assert main(["check", QUICKSTART, *arguments]) == 2
    assert message in capsys.readouterr().err


def test_check_runs_and_strategy_and_measured_in_the_units_of_the_bound(tmp_path: Path, capsys) -> None:
    data = scenario_data("quickstart.yaml")
    data["simulation"] = {"until": "rollout_end"}  # decisions only
    data["expect"] = {"canary": {"rolled_back": ">= 90%", "decision_time.p95": "<= 20m"},
                      "immediate": {"promoted": ">= 0.99"}}
    path = tmp_path / "q.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["check", str(path), "--runs", "2", "--strategy", "canary"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[-2] == "2 passed, 0 failed, 0 inconclusive"  # immediate's left out
    assert lines[-1].startswith("1 of them judged on a point estimate whose interval crosses the bound")
    assert all("over 2 runs" in line for line in lines[:2])
    assert "rolled_back >= 90% — measured 100% [" in lines[0]
    assert re.search(r"decision_time\.p95 <= 20m — measured \d+(\.\d+)?m over", lines[1]), lines[1]


@pytest.mark.parametrize(("change", "line"), [
    (lambda d: d["versions"]["v2"].update(latency={"p50": 28, "p99": 110}),
     "versions.v2.latency.p50: got 28; expected a latency with its unit, such as 28ms or 28s"),
    (lambda d: d["strategies"]["canary"].update(monitoringDuration=300),
     "strategies.canary.monitoringDuration: got 300; expected a duration with its unit, such as 300s or 5m"),
    (lambda d: d["service"].update(timeout=0.5), "service.timeout: got 0.5; expected a duration with its unit, "
                                                  "such as 0.5s or 500ms"),
    (lambda d: d["strategies"].update(ab={"strategy": "ABTesting", "splitRatio": 50}),
     "strategies.ab.splitRatio: got 50; expected a fraction from 0 to 1 (this key is a share, not a percentage): "
     "did you mean 0.5 or '50%'?"),
])
def test_bare_durations_and_percent_shares_are_refused_with_what_they_may_mean(tmp_path: Path, capsys, change,
                                                                               line: str) -> None:
    data = scenario_data("quickstart.yaml")
    change(data)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["validate", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines()[0].startswith(f"error: {bad}: {line}")


def test_validate_prints_the_truth_and_what_the_scenario_probably_does_not_mean(tmp_path: Path, capsys) -> None:
    data = scenario_data("quickstart.yaml")
    data["versions"]["v2"] = dict(data["versions"]["v1"], accuracy=0.905)  # 1.6 % less accurate, as fast
    data["strategies"]["canary"]["initialPercentage"] = 0.1
    data["strategies"]["canary"]["rollbackThresholds"]["accuracyDrop"] = 0.01
    data["service"]["timeout"] = "100ms"
    odd = tmp_path / "odd.yaml"
    odd.write_text(yaml.safe_dump(data))
    assert main(["validate", str(odd)]) == 0
    captured = capsys.readouterr()
    assert "truth: good, derived with the seed guide's thresholds: accuracy drop 1.6% <= 5%" in captured.out
    warnings = captured.err.splitlines()
    assert all(line.startswith(f"warning: {odd}: ") for line in warnings)
    assert [line.split(": ")[2] for line in warnings] == [
        "strategies.canary.initialPercentage", "versions.v1.latency", "versions.v2.latency", "canary's own "
        "rollbackThresholds call this candidate bad (accuracy drop 1.6% > 1%)"]
    assert main(["validate", QUICKSTART]) == 0 and capsys.readouterr().err == ""


def test_check_warns_of_the_scenarios_it_checks(tmp_path: Path, capsys) -> None:
    """The warnings `validate` prints, on stderr before the table and in the JSON; a scenario left out by
    --strategy warns of nothing. Kills the warnings gathered but not printed, and gathered for every file."""
    data = scenario_data("quickstart.yaml")
    data["strategies"]["canary"]["initialPercentage"] = 0.1
    data["simulation"] = {"until": "rollout_end"}  # decisions only
    data["expect"] = {"immediate": {"promoted": ">= 0.5"}}
    odd = tmp_path / "odd.yaml"
    odd.write_text(yaml.safe_dump(data, sort_keys=False))
    calm = tmp_path / "calm.yaml"
    calm.write_text(yaml.safe_dump({**data, "expect": {"canary": {"promoted": "<= 1"}}}, sort_keys=False))
    assert main(["check", str(odd), "--runs", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith(f"warning: {odd}: strategies.canary.initialPercentage: 0.1 is a percentage")
    assert "1 passed, 0 failed, 0 inconclusive" in captured.out
    summary = tmp_path / "summary.md"
    assert main(["check", str(odd), str(calm), "--runs", "1", "--strategy", "canary", "--json",
                 "--summary", str(summary)]) == 0
    captured = capsys.readouterr()
    warnings = json.loads(captured.out)["warnings"]
    assert warnings and all(warning.startswith(f"{calm}: ") for warning in warnings)
    assert captured.err.count("warning: ") == len(warnings)
    assert summary.read_text().count("⚠️ warning: ") == len(warnings)


@pytest.mark.slow
def test_run_warns_before_it_runs(tmp_path: Path) -> None:
    data = scenario_data("quickstart.yaml")
    data["traffic"]["rate"] = "2000/s"  # 6 replicas x 4 slots at a mean of 47 ms serve about 510/s
    data["observe"] = "1m"
    busy = tmp_path / "busy.yaml"
    busy.write_text(yaml.safe_dump(data))
    process = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(busy), "--strategy", "immediate",
                              "--json"], capture_output=True, text=True, cwd=REPO)
    assert process.returncode == 0, process.stderr
    assert process.stderr.startswith(f"warning: {busy}: traffic: peak rate 2,000/s is 3.9")
    json.loads(process.stdout)


@pytest.mark.parametrize("timeout", [10**400, -5, 1e300 * 1e300])
def test_odd_numbers_where_a_duration_belongs_are_one_line_errors(tmp_path: Path, capsys, timeout) -> None:
    data = scenario_data("quickstart.yaml")
    data["service"]["timeout"] = timeout
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    assert main(["validate", str(bad)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {bad}: service.timeout: got ")


class _Cycle:
    """An object that refers to itself and, when finalized, says so in ``finalized``."""

    def __init__(self, finalized: list[bool]) -> None:
        self.itself, self.finalized = self, finalized

    def __del__(self) -> None:
        self.finalized.append(True)


@pytest.fixture
def collector_watch(monkeypatch):
    """Whether the cyclic garbage collector was on when the scenario was read and when each run started.

    Undoes what the console script leaves behind (the objects frozen at exit), so later tests collect as usual.
    """
    seen: dict[str, list] = {"reading": [], "running": [], "frozen": [], "finalized": []}
    read, run = simulator.scenario.load_scenario, simulator.driver.run

    def watched_read(*args, **kwargs):
        seen["reading"].append(gc.isenabled())
        return read(*args, **kwargs)

    def watched_run(*args, **kwargs):
        seen["running"].append(gc.isenabled())
        seen["frozen"].append(gc.get_freeze_count())
        result = run(*args, **kwargs)
        # Garbage in a cycle, in the oldest generation: only a full collection finalizes it.
        cycle = _Cycle(seen["finalized"])
        gc.collect()
        del cycle
        return result

    monkeypatch.setattr(simulator.scenario, "load_scenario", watched_read)
    monkeypatch.setattr(simulator.driver, "run", watched_run)
    monkeypatch.setattr(simulator.experiment.runner, "run", watched_run)
    was_enabled = gc.isenabled()
    yield seen
    gc.unfreeze()
    (gc.enable if was_enabled else gc.disable)()


def test_console_script_collects_garbage_only_while_simulating(collector_watch, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["rollout-sim", "run", QUICKSTART, "--strategy", "canary", "--strategy",
                                      "immediate"])
    gc.enable()
    status = console_main()
    # At exit what is still alive is frozen (the oldest generation is empty), the runs' garbage was finalized,
    # and the collector is on again.
    assert gc.get_objects(generation=2) == [] and gc.isenabled()
    assert collector_watch["finalized"] == [True, True]
    assert status == 0 and "canary" in capsys.readouterr().out
    # Start-up makes long-lived objects only: no collection there, and they are frozen before the runs.
    assert collector_watch["reading"] == [False] and collector_watch["running"] == [True, True]
    assert min(collector_watch["frozen"]) > 0


@pytest.mark.parametrize("command", [["compare", QUICKSTART, "--runs", "1"], ["check", QUICKSTART, "--runs", "1"]])
def test_console_script_experiments_collect_garbage_while_simulating(collector_watch, monkeypatch, capsys,
                                                                     command: list[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["rollout-sim", *command, "--strategy", "immediate"])
    assert console_main() in (0, 1)  # check: whatever the verdict
    assert collector_watch["running"] and all(collector_watch["running"])


def test_console_script_on_bad_input_turns_the_collector_back_on(collector_watch, monkeypatch, capsys,
                                                                 tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [")
    monkeypatch.setattr(sys, "argv", ["rollout-sim", "run", str(bad)])
    assert console_main() == 2
    assert capsys.readouterr().err.startswith(f"error: {bad}")
    assert gc.isenabled() and collector_watch["running"] == []


@pytest.mark.parametrize("enabled", [True, False])
def test_main_leaves_the_callers_collector_as_it_was(collector_watch, capsys, enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()
    frozen = gc.get_freeze_count()
    assert main(["run", QUICKSTART, "--strategy", "immediate"]) == 0
    assert collector_watch["reading"] == [enabled] and collector_watch["running"] == [enabled]
    assert gc.isenabled() is enabled and gc.get_freeze_count() == frozen
