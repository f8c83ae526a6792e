"""The command line as a user meets it: output, exit codes, files, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import main
from tests.helpers import SCENARIOS, scenario_data

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
    scales = [event["data"] for event in record["events"] if event["kind"] == "scale"]
    assert scales and all({"version", "previous", "replicas"} <= set(data) for data in scales)
    assert record["events"][-1]["kind"] == "finished"
    assert record["requests"] == sum(v["requests"] for v in record["versions"].values())


def test_run_out_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    assert main(["run", QUICKSTART, "--out", str(out), "--json"]) == 0
    expected = {"runs.json", "scenario.json", "timeline.csv", "timeline.parquet", "events.csv", "timeline.png"}
    assert {p.name for p in out.iterdir()} == expected
    assert (out / "timeline.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind
    from simulator.scenario import load_scenario

    assert load_scenario(out / "scenario.json") == load_scenario(QUICKSTART)  # the scenario as run, whole


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
