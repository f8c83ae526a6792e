"""The ground truth decisions are scored against: declared or derived, said out loud, and warned about."""

from __future__ import annotations

from simulator.experiment.figures import explain_truth
from simulator.report.markdown import decision_markdown
from simulator.scenario import parse_scenario
from tests.helpers import scenario_data


def quickstart(**changes) -> dict:
    data = scenario_data("quickstart.yaml")
    data.pop("expect")
    data.update(changes)
    return data


def test_a_derived_truth_says_which_rule_made_it() -> None:
    truth = explain_truth(parse_scenario(quickstart()))
    assert truth.verdict == "bad"
    assert truth.sentence() == "truth: bad, derived with the seed guide's thresholds: p99 x2.00 > 1.5"


def test_a_declared_truth_says_so() -> None:
    truth = explain_truth(parse_scenario(quickstart(truth="good")))
    assert truth.sentence() == "truth: good, declared in the scenario"


def test_a_strategy_whose_own_thresholds_disagree_is_warned_about() -> None:
    """The issue's case: a 1.5-point accuracy loss is 'good' under the guide's 5 %, but a canary with
    accuracyDrop 0.01 rolls it back, and every such rollback would count as false without a word."""
    data = quickstart()
    data["versions"]["v2"] = {**data["versions"]["v1"], "accuracy": 0.905}
    data["strategies"] = {"canary": {"strategy": "Canary", "rollbackThresholds": {"accuracyDrop": 0.01}},
                          "rolling": {"strategy": "Rolling"}}
    truth = explain_truth(parse_scenario(data))
    assert truth.verdict == "good" and "accuracy drop 1.6% <= 5%" in truth.detail
    assert len(truth.warnings) == 1 and truth.warnings[0].startswith(
        "canary's own rollbackThresholds call this candidate bad (accuracy drop 1.6% > 1%)")


def test_the_truth_heads_the_decision_in_reports() -> None:
    from simulator.experiment import compare

    data = quickstart(simulation={"until": "rollout_end"}, runs=2)
    result = compare(data, strategies=["canary"], yardsticks=False, representative=False)
    decision = result.decision()
    assert decision.truth == "truth: bad, derived with the seed guide's thresholds: p99 x2.00 > 1.5"
    assert decision.to_dict()["truth"] == decision.truth
    text = decision_markdown(decision)
    assert text.index("Outcomes are scored against the truth: bad") < text.index("**Recommendation.**")


def test_a_sweep_whose_points_have_different_truths_names_each() -> None:
    from simulator.experiment import sweep

    data = quickstart(simulation={"until": "rollout_end"})
    result = sweep(data, {"versions.v2.latency.p99": ["170ms", "320ms"]}, runs=1, strategies=["immediate"],
                   representative=False, jobs=1)
    assert result.decision().truth == ("truth differs by sweep point: p99=170ms: good (accuracy drop 0.0% <= 5%, "
                                       "p99 x1.06 <= 1.5, error rate +0 points <= 1); p99=320ms: bad (p99 x2.00 > 1.5)")
    same = sweep(data, {"strategies.immediate.readyTimeout": ["5m", "10m"]}, runs=1, strategies=["immediate"],
                 representative=False, jobs=1)
    assert same.decision().truth == "truth: bad, derived with the seed guide's thresholds: p99 x2.00 > 1.5"
