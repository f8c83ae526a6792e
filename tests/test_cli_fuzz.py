"""Bad input never crashes the command line.

Bundled scenarios are mutated (keys deleted, values replaced by wrong types,
extreme numbers, long or odd strings, emoji keys, deep nesting, lists for
maps), written as YAML, JSON or bytes that are not UTF-8, and handed to
``rollout-sim validate`` and, when they validate, to ``rollout-sim run
--json`` with the horizon cut to 120 s. Whatever the input: exit status 0
or 2, at most three lines on stderr, no traceback, no numeric warning.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.scenario import Scenario, load_scenario
from tests.helpers import SCENARIOS

BUNDLED = {path.name: yaml.safe_load(path.read_text()) for path in sorted(SCENARIOS.glob("*.yaml"))}
RUN_HORIZON = 120.0
DEEP = "__deeply_nested__"

EXTREMES: list[Any] = [
    1e30, -1, 0, 2**63, -(2**63), 10**400, float("nan"), float("inf"), float("-inf"), 1e-300, -0.0, 0.5, 3,
    True, False, None, "", " ", "x" * 5000, "🚀", "naïve\u2028line", "two\nlines", "\x00", "1e400", "-0", "PT",
    "12/fortnight", "40 parsecs", ".nan", "inf", "10d", "1e30/s", [], {}, [1, "two", None], {"🔥": "💥"},
    {"kind": "crash"}, [[[[[[[[[[1]]]]]]]]]],
]


NUDGES = [0, 1e-9, 1e-3, 0.5, 2, 10, 1000, 1e6, -1]
EDGE_NUMBERS: list[Any] = [1e-9, 1e-6, 0.999999, 1, 100, 1000, 99_999, 1e6, 1e7]
EDGE_VALUES: list[Any] = [*EDGE_NUMBERS, 0, 1e-300, "1us", "400d", True]
EDGE_TEXTS = ["1us", "1ms", "0s", "399d", "PT0.001S", "1e7/s", "0.001/s", "v1", "v2", "canary", "previous", "none"]


# Settings the bundled files leave out, by where they go ("*": any strategy or version there is).
OPTIONAL_SETTINGS: list[tuple[tuple[str, ...], str]] = [
    *[(("traffic",), name) for name in ("users",)],
    *[(("service",), name) for name in ("restart_delay", "balancer")],
    *[(("monitoring",), name) for name in ("delay", "latency_bucket_factor")],
    (("monitoring", "labels"), "fraction"),
    *[(("simulation",), name) for name in ("max_slice", "data_plane", "until")],
    *[(("strategies", "*"), name) for name in (
        "steps", "judge", "judgeAlpha", "maxHolds", "candidateReplicas", "looks", "maxDataWait", "recheckInterval",
        "test", "minimumRequests", "minimumLabels", "readyTimeout", "sequentialTau", "checkInterval",
        "minimumSamples", "batchSize", "mirrorPercentage", "latencyMetric", "analysisInterval", "analysisWindow",
    )],
    *[(("versions", "*"), name) for name in ("segments", "error_rate", "startup")],
    *[((), name) for name in ("slo", "prediction_correlation", "truth", "features", "operations")],
]
SETTING_VALUES: dict[str, list[Any]] = {
    "data_plane": ["per_request", "batch"], "until": ["horizon", "rollout_end"], "balancer": ["round_robin",
    "least_connections"], "judge": ["mann_whitney", "MannWhitney"], "candidateReplicas": ["full"],
    "test": ["sequential", "peeking"], "latencyMetric": ["mean", "p50", "p95"], "truth": ["good", "bad"],
    "steps": [[100], [1, 100], [50, 99.999, 100], list(range(1, 101))],
    "segments": [{"plan=enterprise": 0.0}, {"region=eu": 1.0}],
    "slo": [{"latency_p99": "1us", "error_rate": 0.0}, {"latency_p99": "1d"}],
    "features": [
        {"numeric": {"x1": {"mean": 1e9, "std": 1e9}},
         "categorical": {"plan": {"categories": {"a": 1e9, "b": 1e-300}}}},
        {"numeric": {}, "categorical": {}},
    ],
    "operations": [
        [{"at": 0, "rollback_to": "previous"}], [{"at": "1us", "rollback_to": "v1"}, {"at": 0, "rollback_to": "v2"}],
    ],
}


def paths_in(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path in ``data``: map keys and list indices."""
    found: list[tuple[Any, ...]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, value in items:
        found.append((*prefix, key))
        found.extend(paths_in(value, (*prefix, key)))
    return found


def parent_of(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        data = data[key]
    return data


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    """A bundled scenario with one to four mutations, and what was done (for the failure report)."""
    name = draw(st.sampled_from(sorted(BUNDLED)))
    data = copy.deepcopy(BUNDLED[name])
    done: list[str] = []
    # Gentle mutants (deleted keys, values at the edge of sense) mostly validate, so they exercise the runs.
    gentle = draw(st.booleans())
    operations = ["delete", "nudge", "nudge", "graft", "setting", "setting"] if gentle else [
        "delete", "replace", "replace", "nudge", "listify", "add_key", "deep", "graft", "setting"]
    for _ in range(draw(st.integers(1, 2 if gentle else 4))):
        paths = paths_in(data)
        if not paths:
            break
        path = paths[draw(st.integers(0, len(paths) - 1))]
        parent, key = parent_of(data, path), path[-1]
        operation = draw(st.sampled_from(operations))
        if operation == "setting":  # a setting the bundled files leave out, at an edge value
            where, setting = draw(st.sampled_from(OPTIONAL_SETTINGS))
            block: Any = data
            for part in where:
                if not isinstance(block, dict):
                    break
                block = block.get(draw(st.sampled_from(sorted(block) or ["-"]))) if part == "*" else block.setdefault(
                    part, {})
            if isinstance(block, dict):
                block[setting] = copy.deepcopy(draw(st.sampled_from(SETTING_VALUES.get(setting, EDGE_VALUES))))
                done.append(f"set {'.'.join(where)}.{setting} = {block[setting]!r:.60}")
            continue
        if operation == "graft":  # a block of another scenario: faults, drift, retraining, patterns meet
            donor = BUNDLED[draw(st.sampled_from(sorted(BUNDLED)))]
            block = draw(st.sampled_from(sorted(donor)))
            data[block] = copy.deepcopy(donor[block])
            done.append(f"graft {block}")
            continue
        if operation == "delete":
            del parent[key]
        elif operation == "nudge":  # a value of the right type, at the edge of what makes sense
            value = parent[key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    parent[key] = type(value)(value * draw(st.sampled_from(NUDGES)))
                except OverflowError:  # an int beyond any float stays as it is
                    pass
            elif isinstance(value, str):
                parent[key] = draw(st.sampled_from(EDGE_TEXTS))
            else:
                parent[key] = draw(st.sampled_from(EDGE_NUMBERS))
        elif operation == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(EXTREMES)))
        elif operation == "listify":
            value = parent[key]
            parent[key] = list(value.values()) if isinstance(value, dict) else [value]
        elif operation == "add_key":
            target = parent[key] if isinstance(parent[key], dict) else parent if isinstance(parent, dict) else data
            target[draw(st.sampled_from(["🚀", "ключ", "new\nline", "for", "kind", "x" * 300]))] = draw(
                st.sampled_from(EXTREMES[:20]))
        else:
            parent[key] = DEEP
        done.append(f"{operation} {'.'.join(map(str, path))}")
    return name, data, done


def write(data: dict[str, Any], directory: Path, form: str, depth: int, bad_byte_at: float) -> Path:
    if form == "json":
        text, path = json.dumps(data, ensure_ascii=False), directory / "mutant.json"
    else:
        text, path = yaml.safe_dump(data, allow_unicode=True, default_flow_style=None), directory / "mutant.yaml"
    text = text.replace(f'"{DEEP}"', "[" * depth + "]" * depth).replace(DEEP, "[" * depth + "]" * depth)
    raw = text.encode("utf-8")
    if form == "not_utf8":
        cut = int(bad_byte_at * len(raw))
        raw = raw[:cut] + b"\xff\xfe\xc3" + raw[cut:]
    path.write_bytes(raw)
    return path


def cli(*args: str) -> tuple[int, str, str]:
    """``main(args)`` in this process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def check(status: int, out: str, err: str, what: str) -> None:
    assert status in (0, 2), f"{what}: exit {status}; stderr: {err[:500]}"
    assert "Traceback" not in out + err, what
    # Warnings (what a valid file probably does not mean) come one line each, before anything runs.
    warned = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warned) <= 8, f"{what}: {len(warned)} warnings: {err[:500]}"
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    if what.startswith("validate") and status == 0:
        assert lines == [], f"{what}: {err[:500]}"
        return
    if what.startswith("validate") and len(lines) > 1:
        # validate reports every problem, one line each, then how many there were.
        *problems, total = lines
        assert total.endswith(f": {len(problems)} problems"), f"{what}: {err[-300:]}"
        assert all(line.startswith("error: ") for line in problems), f"{what}: {err[:500]}"
        return
    assert len(lines) <= 3, f"{what}: stderr has {len(lines)} lines: {err[:500]}"
    if status == 2:
        assert lines[0].startswith("error: "), f"{what}: {err[:300]}"


def cheap(scenario: Scenario) -> bool:
    """Whether a run of ``scenario`` (horizon cut to 120 s) takes well under a second or two.

    Valid scenarios with a million requests or thousands of replicas are
    slow, not broken; they are validated only.
    """
    requests = scenario.peak_rate() * min(scenario.horizon, RUN_HORIZON)
    replicas = scenario.service.replicas * scenario.service.concurrency
    per_request = scenario.simulation.data_plane == "per_request"
    return requests <= (5_000 if per_request else 500_000) and replicas <= 2_000


def fuzz(mutant: tuple[str, dict[str, Any], list[str]], form: str, depth: int, bad_byte_at: float,
         directory: Path) -> None:
    name, data, done = mutant
    what = f"{name} [{form}] " + "; ".join(done)
    path = write(data, directory, form, depth, bad_byte_at)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # overflow, invalid value: a number nobody bounded
        status, out, err = cli("validate", str(path))
        check(status, out, err, f"validate {what}")
        if status != 0:
            return
        scenario = load_scenario(path)
        if not cheap(scenario):
            return
        if scenario.horizon > RUN_HORIZON:  # keep runs short: cut the copy's horizon
            data = copy.deepcopy(data)
            data["horizon"] = RUN_HORIZON
            data.pop("observe", None)
            path = write(data, directory, form, depth, bad_byte_at)
        status, out, err = cli("run", str(path), "--json")
        check(status, out, err, f"run {what}")
        if status == 0:
            assert json.loads(out)["runs"], what


forms = st.sampled_from(["yaml", "yaml", "json", "not_utf8"])
depths = st.sampled_from([3, 70, 5000])
offsets = st.floats(0.0, 1.0)
SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@given(mutant=mutants(), form=forms, depth=depths, bad_byte_at=offsets)
@settings(max_examples=150, **SETTINGS)  # 1,200 more with the slow tests: CI fuzzes 1,350 cases in all
def test_mutated_scenarios_never_crash_the_cli(mutant, form, depth, bad_byte_at, tmp_path_factory) -> None:
    fuzz(mutant, form, depth, bad_byte_at, tmp_path_factory.mktemp("fuzz"))


@pytest.mark.slow
@given(mutant=mutants(), form=forms, depth=depths, bad_byte_at=offsets)
@settings(max_examples=1200, **SETTINGS)
def test_many_more_mutated_scenarios_never_crash_the_cli(mutant, form, depth, bad_byte_at,
                                                         tmp_path_factory) -> None:
    fuzz(mutant, form, depth, bad_byte_at, tmp_path_factory.mktemp("fuzz-slow"))


def test_the_mutations_reach_every_outcome(tmp_path: Path) -> None:
    """The fuzzer is not vacuous: a mutant can validate and run, or be rejected."""
    data = copy.deepcopy(BUNDLED["quickstart.yaml"])
    data["horizon"] = RUN_HORIZON
    data.pop("observe", None)
    fine = write(data, tmp_path, "yaml", 3, 0.0)
    assert cli("run", str(fine), "--json")[0] == 0
    data["traffic"]["rate"] = 1e30
    status, _, err = cli("validate", str(write(data, tmp_path, "yaml", 3, 0.0)))
    assert status == 2 and "traffic.rate" in err
    assert cli("validate", str(write(data, tmp_path, "not_utf8", 3, 0.5)))[0] == 2
