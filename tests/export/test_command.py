"""``rollout-sim export``: where the YAML goes, which strategy is chosen, and bad input (one line, exit 2, no file)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator.cli import main
from tests.export.read_back import base_data
from tests.helpers import SCENARIOS


def _scenario(tmp_path: Path, data: dict[str, Any]) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _only(data: dict[str, Any], *labels: str) -> dict[str, Any]:
    data["strategies"] = {label: data["strategies"][label] for label in labels}
    return data


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_the_yaml_goes_to_standard_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", _scenario(tmp_path, base_data("good")), "--to", "argo", "--strategy", "canary"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Argo Rollouts canary for strategy 'canary'")
    assert [document["kind"] for document in yaml.safe_load_all(out)] == ["Rollout", "AnalysisTemplate"]


def test_the_readme_example_writes_a_file_that_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "canary-rollout.yaml"
    assert main(["export", str(SCENARIOS / "quickstart.yaml"), "--to", "argo", "--strategy", "canary",
                 "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["validate", str(out)]) == 0
    assert list(tmp_path.iterdir()) == [out]  # nothing else left beside it


def test_the_only_strategy_the_tool_can_express_is_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _only(base_data("good"), "canary", "blue_green")
    data["strategies"]["rolling"] = {"batchSize": 1, "delay": "30s"}
    assert main(["export", _scenario(tmp_path, data), "--to", "flagger"]) == 0  # Flagger expresses no blue-green
    assert "Flagger Canary for strategy 'canary'" in capsys.readouterr().out


def test_among_two_canaries_the_one_that_exports_is_chosen(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = _only(base_data("good"), "canary")
    data["strategies"]["judged"] = {**data["strategies"]["canary"], "strategy": "canary", "judge": "mann_whitney"}
    assert main(["export", _scenario(tmp_path, data), "--to", "argo"]) == 0
    assert "strategy 'canary'" in capsys.readouterr().out


def test_several_that_export_are_listed_and_none_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario(tmp_path, base_data("good"))
    assert main(["export", path, "--to", "argo"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert _one_error_line(captured.err) == (
        f"error: {path}: strategies: got 2 strategies Argo Rollouts can express (canary, blue_green); expected "
        "--strategy NAME to choose one")


def test_a_strategy_not_in_the_scenario_is_named_with_a_suggestion(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario(tmp_path, base_data("good"))
    assert main(["export", path, "--to", "argo", "--strategy", "canry"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {path}: --strategy: got 'canry' (did you mean 'canary'?)")


def test_a_refused_setting_is_one_line_naming_file_key_and_value_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base_data("good")
    data["strategies"]["canary"]["judge"] = "mann_whitney"
    path = _scenario(tmp_path, data)
    out = tmp_path / "rollout.yaml"
    out.write_text("kept as it was\n")
    assert main(["export", path, "--to", "argo", "--strategy", "canary", "-o", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {path}: strategies.canary.judge: got mann_whitney: ")
    assert "; expected judge: threshold" in line
    assert out.read_text() == "kept as it was\n"
    assert sorted(item.name for item in tmp_path.iterdir()) == ["rollout.yaml", "scenario.yaml"]


def test_an_output_that_cannot_be_written_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-directory" / "rollout.yaml"
    assert main(["export", _scenario(tmp_path, base_data("good")), "--to", "argo", "--strategy", "canary",
                 "-o", str(missing)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith(f"error: {missing}: -o: cannot write there")


def test_a_bad_scenario_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = base_data("good")
    data["strategies"]["canary"]["monitoringDuration"] = 180  # a duration without its unit
    path = _scenario(tmp_path, data)
    assert main(["export", path, "--to", "argo"]) == 2
    assert "strategies.canary.monitoringDuration" in _one_error_line(capsys.readouterr().err)


def test_help_does_not_load_the_exporter() -> None:
    """``--help`` stays fast: the export package loads only when the command runs."""
    probe = ("import sys, contextlib, io\n"
             "from simulator.cli import main\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    main(['export', '--help'])\n"
             "print(sorted(name for name in sys.modules if name.startswith('simulator.export')))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
