"""Seed 004's test suite in the world: scores drawn from a finite test set, and the gate in whole runs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from simulator.commands import RunTestSuite
from simulator.driver import run
from simulator.scenario import Scenario, parse_scenario
from simulator.world.test_suite import weighted_scores
from simulator.world.world import World
from tests.helpers import scenario_data


def scenario(accuracy: float, *, segments: dict | None = None, drift: dict | None = None,
             suite: dict | None = None) -> Scenario:
    """Quickstart with an equally fast candidate of ``accuracy``, rolled out by a gated blue-green."""
    data = scenario_data("quickstart.yaml")
    data["versions"]["v2"] = dict(data["versions"]["v1"], accuracy=accuracy, segments=segments or {})
    data["strategies"] = {"gated": {"strategy": "BlueGreen", "testSuite": suite or {}}}
    if drift is not None:
        data["drift"] = drift
    return parse_scenario(data, written=False)


def request(**overrides) -> RunTestSuite:
    fields = dict(version="v2", samples=1000, duration=300.0, accuracy=0.80, precision=0.75, recall=0.75, f1=0.75,
                  bias=0.1, drift=0.05)
    return RunTestSuite(**(fields | overrides))  # type: ignore[arg-type]


def suite_on(scenario: Scenario, seed: int, at: float = 0.0, **overrides):
    """The suite's result on v2 at ``at`` seconds into a run of ``scenario`` with ``seed``."""
    env = simpy.Environment()
    world = World(scenario, seed, env)
    if at:
        env.run(until=at)
    return world.test_suite(request(**overrides))[0]


def scores(scenario: Scenario, seeds: range, **overrides) -> dict[str, np.ndarray]:
    results = [suite_on(scenario, seed, **overrides) for seed in seeds]
    return {name: np.array([r.scores()[name] for r in results]) for name in results[0].scores()} | {
        "passed": np.array([r.passed for r in results])}


# -- the scores ----------------------------------------------------------------


def test_weighted_scores_of_a_known_confusion_matrix() -> None:
    """Worked by hand: 6 positives (4 found), 4 negatives (3 found); sklearn's average='weighted'."""
    labels = np.array([True] * 6 + [False] * 4)
    predictions = np.array([True] * 4 + [False] * 2 + [False] * 3 + [True])
    got = weighted_scores(labels, predictions)
    precision = 0.6 * 4 / 5 + 0.4 * 3 / 5
    recall = 0.6 * 4 / 6 + 0.4 * 3 / 4
    f1 = 0.6 * (2 * 0.8 * 4 / 6 / (0.8 + 4 / 6)) + 0.4 * (2 * 0.6 * 0.75 / (0.6 + 0.75))
    assert got == pytest.approx({"accuracy": 0.7, "precision": precision, "recall": recall, "f1": f1})


def test_a_class_never_predicted_has_precision_zero() -> None:
    labels = np.array([True, True, True, False])
    got = weighted_scores(labels, np.ones(4, dtype=bool))
    assert got["precision"] == pytest.approx(0.75 * 0.75) and got["recall"] == pytest.approx(0.75)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_weighted_recall_is_accuracy(pairs: list[tuple[bool, bool]]) -> None:
    labels, predictions = (np.array(column) for column in zip(*pairs, strict=True))
    got = weighted_scores(labels, predictions)
    assert got["recall"] == pytest.approx(got["accuracy"])
    assert 0 <= got["precision"] <= 1 and 0 <= got["f1"] <= 1


def test_accuracy_is_a_binomial_draw_on_the_test_set() -> None:
    """Over 200 seeds the measured accuracy of a 0.80 model on 500 examples is Binomial(500, 0.8) / 500."""
    measured = scores(scenario(0.80), range(200), samples=500, drift=None, bias=None)["accuracy"]
    assert stats.kstest(measured * 500, stats.binom(500, 0.8).cdf).pvalue > 0.001
    assert measured.std() == pytest.approx(np.sqrt(0.8 * 0.2 / 500), rel=0.25)


def test_a_candidate_at_the_threshold_sometimes_passes_and_sometimes_fails() -> None:
    passed = scores(scenario(0.80), range(60), drift=None, bias=None)["passed"]
    assert 0.2 < passed.mean() < 0.8


def test_a_segment_much_worse_than_the_rest_fails_the_bias_test_of_its_attribute() -> None:
    biased = scenario(0.92, segments={"plan=enterprise": 0.70})
    results = [suite_on(biased, seed, drift=None) for seed in range(20)]
    failed = Counter(test.name for result in results for test in result.failed)
    assert failed["bias_plan"] == 20 and failed["bias_region"] <= 1
    only_region = [suite_on(biased, seed, drift=None, protected_attributes=("region",)) for seed in range(5)]
    assert all(result.passed and [t.name for t in result.tests][-1] == "bias_region" for result in only_region)


def test_drift_tests_compare_the_inputs_now_with_the_training_inputs() -> None:
    drifted = scenario(0.92, drift={"data": [{"feature": "x1", "start": 60, "shift": 0.5}]})
    before = [suite_on(drifted, seed, at=30.0, bias=None) for seed in range(20)]
    after = [suite_on(drifted, seed, at=90.0, bias=None) for seed in range(20)]
    assert sum("drift_x1" in {t.name for t in result.failed} for result in before) <= 3
    assert all("drift_x1" in {t.name for t in result.failed} for result in after)
    # Without drift each feature's p-value is uniform: it fails at about the threshold's rate.
    p_values = scores(scenario(0.92), range(200), bias=None)["drift_x2"]
    assert stats.kstest(p_values, "uniform").pvalue > 0.001


def test_a_version_registered_after_the_drift_was_trained_on_the_drifted_inputs() -> None:
    drifted = scenario(0.92, drift={"data": [{"feature": "x1", "start": 60, "shift": 0.5}]})
    failed = 0
    for seed in range(20):
        env = simpy.Environment()
        world = World(drifted, seed, env)
        env.run(until=90.0)
        world.log("registry", "v2 registered -> staging (challenger)", action="register", version="v2")
        env.run(until=120.0)
        failed += "drift_x1" in {test.name for test in world.test_suite(request(bias=None))[0].failed}
    assert failed <= 3


def test_same_seed_same_suite() -> None:
    assert suite_on(scenario(0.85), 3) == suite_on(scenario(0.85), 3)
    assert suite_on(scenario(0.85), 3) != suite_on(scenario(0.85), 4)


# -- the gate in whole runs ------------------------------------------------------


@pytest.mark.slow
def test_a_bad_candidate_is_rejected_before_it_serves_a_single_request() -> None:
    bad = scenario(0.70)
    for seed in range(10):
        result = run(bad, "gated", seed)
        assert result.outcome == "rolled_back" and result.reason.startswith("test suite failed before deployment")
        assert "accuracy 0.6" in result.reason or "accuracy 0.7" in result.reason
        assert result.candidate_requests == 0 and result.decision_time_s == 300.0
        assert not any(event.kind == "scale" and event.data["version"] == "v2" for event in result.events)
        assert result.registry["stages"]["v2"] == "archived"


def test_a_good_candidate_passes_the_suite_in_most_seeds_and_is_then_deployed() -> None:
    good = scenario(0.92)
    passed = scores(good, range(100))["passed"]
    assert passed.mean() >= 0.8  # 3 numeric features at p 0.05 each: about 14 % fail the drift tests by chance
    seed = int(np.argmax(passed))
    result = run(good.model_copy(update={"horizon": 900.0}), "gated", seed)
    suite = next(event for event in result.events if event.kind == "test_suite")
    assert suite.t == 0.0 and suite.data["passed"] is True and suite.data["duration_s"] == 300.0
    deployed = next(event for event in result.events if event.kind == "scale" and event.data["version"] == "v2")
    assert deployed.t == 300.0 and result.candidate_requests > 0
