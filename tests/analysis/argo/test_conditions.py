"""One measurement judged by its conditions: Argo's table of Successful, Failed, Inconclusive and Error."""

from __future__ import annotations

import pytest

from simulator.analysis.argo import AnalysisPhase, Condition, judge_value

LOW = Condition.parse("result[0] < 0.25")
HIGH = Condition.parse("result[0] >= 0.5")

S, F, I, E = (AnalysisPhase.SUCCESSFUL, AnalysisPhase.FAILED, AnalysisPhase.INCONCLUSIVE,  # noqa: E741
              AnalysisPhase.ERROR)


@pytest.mark.parametrize(("value", "success", "failure", "phase"), [
    ([0.1], None, None, S),  # no condition: always Successful (the controller, not the docs)
    ([], None, None, S),  # ... even with no data, since nothing is evaluated
    ([0.1], LOW, None, S),
    ([0.3], LOW, None, F),  # success only: not meeting it is a failure, never inconclusive
    ([0.6], None, HIGH, F),
    ([0.3], None, HIGH, S),  # failure only: not meeting it is a success
    ([0.1], LOW, HIGH, S),
    ([0.6], LOW, HIGH, F),
    ([0.3], LOW, HIGH, I),  # both given, neither holds
    ([0.3], Condition.parse("result[0] > 0.2"), Condition.parse("result[0] > 0.2"), F),  # failure wins a tie
    ([], LOW, None, E),  # an empty result indexed: an Error measurement
    ([], None, HIGH, E),
    ([0.3], Condition.parse("result[0]"), None, E),  # a condition must give a bool
])
def test_measurement_phase(value: list[float], success: Condition | None, failure: Condition | None,
                           phase: AnalysisPhase) -> None:
    assert judge_value(value, success, failure)[0] == phase


def test_messages_name_the_value_and_the_condition() -> None:
    assert judge_value([0.31], LOW, None)[1] == "result[0] = 0.31 fails 'result[0] < 0.25'"
    assert judge_value([0.6], LOW, HIGH)[1] == "result[0] = 0.6 meets failureCondition 'result[0] >= 0.5'"
    assert judge_value([0.3], LOW, HIGH)[1] == ("result[0] = 0.3 meets neither successCondition 'result[0] < 0.25' "
                                                "nor failureCondition 'result[0] >= 0.5'")
    assert judge_value(0.5, Condition.parse("result < 1"), None)[1] == "result = 0.5 meets 'result < 1'"
    message = judge_value([], LOW, None)[1]
    assert message.startswith("successCondition 'result[0] < 0.25' could not be evaluated for result = []")
    assert "index out of range" in message and "the query returned no data" in message
