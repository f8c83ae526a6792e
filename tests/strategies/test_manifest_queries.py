"""A manifest strategy's PromQL queries are checked before any run: validate, run and compare refuse a bad one."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.prometheus.errors import PromQLSyntaxError, QueryExecutionError, UnsupportedPromQLError
from simulator.scenario import load_scenario
from simulator.strategies import make_strategy
from simulator.strategies.manifest_queries import query_problems, strategy_queries
from tests.helpers import SCENARIOS

UNSUPPORTED = "stddev_over_time(http_requests_total[1m])"


def copied(tmp_path: Path, scenario: str, manifest: str, old: str, new: str) -> Path:
    """A bundled scenario beside its manifest with ``old`` replaced by ``new`` in the manifest."""
    (tmp_path / "peers").mkdir()
    text = (SCENARIOS / "peers" / manifest).read_text()
    assert old in text
    (tmp_path / "peers" / manifest).write_text(text.replace(old, new, 1))
    shutil.copy(SCENARIOS / scenario, tmp_path / scenario)
    return tmp_path / scenario


@pytest.mark.parametrize(("scenario", "expected"), [
    ("argo-canary.yaml", ["step 3 analysis, metric p99-latency", "step 3 analysis, metric error-ratio"]),
    ("argo-canary-background.yaml", ["background analysis, metric success-rate"]),
    ("argo-blue-green.yaml", ["post-promotion analysis, metric error-ratio",
                              "post-promotion analysis, metric p99-latency"]),
    ("flagger-canary.yaml", ["metric request-duration", "metric error-percentage"]),
])
def test_every_query_of_a_bundled_manifest_strategy_is_found_with_its_arguments_filled(
        scenario: str, expected: list[str]) -> None:
    config = next(iter(load_scenario(SCENARIOS / scenario).strategies.values()))
    found = strategy_queries(make_strategy(config))
    assert [where for where, _ in found] == expected
    assert all("{{" not in query for _, query in found)


def test_the_bundled_manifest_scenarios_have_no_query_problem() -> None:
    for name in ("argo-canary.yaml", "argo-canary-background.yaml", "argo-blue-green.yaml", "flagger-canary.yaml",
                 "peer-manifests.yaml"):
        assert query_problems(load_scenario(SCENARIOS / name)) == []


def test_an_unsupported_function_is_named_with_the_strategy_the_manifest_and_the_metric(tmp_path: Path) -> None:
    path = copied(tmp_path, "argo-blue-green.yaml", "argo-blue-green.yaml", "histogram_quantile(0.99,",
                  f"{UNSUPPORTED} + histogram_quantile(0.99,")
    [problem] = query_problems(load_scenario(path), file="s.yaml")
    assert str(problem).startswith("s.yaml: strategies.argo.from: in peers/argo-blue-green.yaml: post-promotion "
                                   "analysis, metric p99-latency: PromQL query")
    assert "uses the function stddev_over_time()" in str(problem)


@pytest.mark.parametrize("command", ["validate", "run", "compare"])
def test_the_cli_refuses_a_query_that_cannot_be_evaluated_with_one_line_and_exit_2(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    path = copied(tmp_path, "argo-canary.yaml", "argo-canary-steps.yaml", "histogram_quantile(0.99,",
                  "quantile_over_time(0.99,")
    extra = ["--runs", "1"] if command == "compare" else []
    assert main([command, str(path), *extra]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "step 3 analysis, metric p99-latency" in errors[0]
    assert "quantile_over_time" in errors[0] and "Traceback" not in captured.err
    assert captured.out == ""


@pytest.mark.parametrize("error", [PromQLSyntaxError("sum(", "unexpected end"),
                                   UnsupportedPromQLError("f(x)", "function f"),
                                   QueryExecutionError("a / b", "many-to-many matching")])
def test_query_errors_cross_process_boundaries_unchanged(error: Exception) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error) and again.__dict__ == error.__dict__
