"""Mutated peer manifests never raise anything but a one-line ScenarioError.

Keys are deleted, renamed (a typo, another case, a key from elsewhere),
values replaced by wrong types, extremes and odd text, mappings by lists,
documents duplicated or dropped, kinds and versions changed; the result is
written as multi-document YAML, JSON (one ``kind: List``) or bytes that are
not UTF-8, and read. Whatever the input: a manifest set, or problems each
on one line, and never another exception.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.errors import ScenarioError
from simulator.scenario.manifests import load_manifests, manifest_problems, summary_lines
from tests.scenario.manifests.peers import ARGO, FLAGGER, documents

BASES = {"argo": documents(ARGO), "flagger": documents(FLAGGER)}
BASES["both"] = BASES["argo"] + BASES["flagger"]

VALUES: list[Any] = [
    None, True, 0, -1, 1.5, 2**63, 10**400, 1e300, "", " ", "x" * 3000, "🚀", "two\nlines", "\u2028", "10", "25%",
    "-5s", "1h30m", "500ms", "0", "PT5M", "Latest", "confirm-rollout", "request-duration", [], {}, [1, "two", None],
    {"templateName": "p99-latency"}, {"setWeight": 10}, {"pause": {}}, [{"name": "x"}], {"🔥": "💥"},
    [[[[[[[[[[1]]]]]]]]]],
]
KEYS = ["setWeight", "pause", "analysis", "templates", "templateName", "clusterScope", "metadata", "spec", "kind",
        "apiVersion", "name", "namespace", "interval", "threshold", "stepWeight", "metrics", "templateRef",
        "selector", "strategy", "canary", "blueGreen", "activeService", "🔑", "", "Spec", "set_weight"]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value under ``node`` (keys and list indices)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def holder(docs: list[Any], path: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """The container of the value at ``path`` and its key there, if the path still exists."""
    node: Any = docs
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(node, dict) and path[-1] in node or isinstance(node, list) and isinstance(path[-1], int) and \
            path[-1] < len(node):
        return node, path[-1]
    return None


def mutate(docs: list[Any], kind: str, path: tuple[Any, ...], value: Any, key: str) -> None:
    place = holder(docs, path)
    if place is None:
        return
    container, at = place
    if kind == "replace":
        container[at] = copy.deepcopy(value)
    elif kind == "delete":
        del container[at]
    elif kind == "rename" and isinstance(container, dict):
        container[key if key not in container else f"{at}x"] = container.pop(at)
    elif kind == "typo" and isinstance(container, dict) and isinstance(at, str) and len(at) > 2:
        container[at[:1] + at[2:] if at[1:2] != at[:1] else at.upper()] = container.pop(at)
    elif kind == "insert" and isinstance(container[at], dict):
        container[at][key] = copy.deepcopy(value)
    elif kind == "as_list" and isinstance(container[at], dict):
        container[at] = [container[at]]
    elif kind == "duplicate" and isinstance(container, list):
        container.append(copy.deepcopy(container[at]))


@st.composite
def mutants(draw: st.DrawFn) -> list[Any]:
    docs = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["replace", "replace", "delete", "rename", "typo", "insert", "as_list",
                                     "duplicate"]))
        candidates = paths(docs)
        if kind == "duplicate":
            candidates = [(index,) for index in range(len(docs))]
        if not candidates:
            break
        mutate(docs, kind, draw(st.sampled_from(candidates)), draw(st.sampled_from(VALUES)),
               draw(st.sampled_from(KEYS)))
    return docs


def write(docs: list[Any], directory: Path, form: str) -> Path:
    if form == "json":
        path = directory / "m.json"
        path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    else:
        path = directory / "m.yaml"
        text = yaml.safe_dump_all(docs, allow_unicode=True)
        path.write_bytes(text.encode() + (b"\n# \xff\n" if form == "not_utf8" else b""))
    return path


def check(docs: list[Any], directory: Path, form: str) -> str:
    """Read the mutant; every problem is one line. Returns what happened (for the coverage check)."""
    try:
        path = write(docs, directory, form)
    except (ValueError, OverflowError):  # json cannot write some extremes: nothing to read
        return "unwritable"
    problems = manifest_problems(path)
    for problem in problems:
        assert isinstance(problem, ScenarioError)
        assert "\n" not in str(problem) and str(problem).startswith(str(path)), str(problem)
    try:
        manifests = load_manifests(path)
    except ScenarioError as error:
        assert problems and "\n" not in str(error)
        return "rejected"
    assert not problems
    assert all("\n" not in line for line in summary_lines(manifests))
    return "loaded"


SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@given(mutant=mutants(), form=st.sampled_from(["yaml", "yaml", "json", "not_utf8"]))
@settings(max_examples=300, **SETTINGS)
def test_mutated_manifests_raise_only_one_line_scenario_errors(mutant: list[Any], form: str,
                                                               tmp_path_factory: Any) -> None:
    check(mutant, tmp_path_factory.mktemp("fuzz"), form)


def test_the_mutations_reach_every_outcome(tmp_path: Path) -> None:
    """The fuzzer is not vacuous: a mutant can load or be rejected."""
    assert check(copy.deepcopy(BASES["both"]), tmp_path, "yaml") == "loaded"
    docs = copy.deepcopy(BASES["argo"])
    mutate(docs, "typo", (0, "spec", "strategy"), None, "")
    assert check(docs, tmp_path, "yaml") == "rejected"
    assert check(copy.deepcopy(BASES["flagger"]), tmp_path, "not_utf8") == "rejected"
