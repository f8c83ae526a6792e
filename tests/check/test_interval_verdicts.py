"""`check` with ``confidence``: an interval that does not exist is inconclusive, and the message says why.

Without ``confidence`` the point estimate decides, and a verdict whose interval crosses the bound says so.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from simulator.check import check, parse_expectations
from simulator.check.expectations import judge
from simulator.check.outputs import describe, json_summary, markdown_summary, print_table
from simulator.check.run_check import CheckResult
from tests.helpers import scenario_data


def runs_of(figure: str, values: np.ndarray, strategy: str = "canary") -> pd.DataFrame:
    return pd.DataFrame({"strategy": strategy, "seed": np.arange(len(values)), "error": None, figure: values})


def expectation(key: str, condition: str, confidence: float | None = 0.95):
    block: dict[str, object] = {"canary": {key: condition}}
    if confidence is not None:
        block["confidence"] = confidence
    (parsed,) = parse_expectations(block, ["canary"])
    return parsed


@pytest.mark.parametrize(("seconds", "held"), [(60.0, True), (3600.0, False)])
def test_a_p95_over_20_runs_is_inconclusive_whichever_side_it_lies(seconds: float, held: bool) -> None:
    values = np.random.default_rng(0).uniform(0.9, 1.1, 20) * seconds
    judgement = judge("s", expectation("decision_time.p95", "<= 20m"), runs_of("decision_time_s", values))
    assert judgement.verdict == "inconclusive"
    assert judgement.message == "too few runs for a 95 % interval of a p95: 59 needed, 20 run"
    assert math.isnan(judgement.low) and math.isnan(judgement.high)
    assert (judgement.measured <= 1200) == held  # the point estimate alone would have decided
    assert "59 needed, 20 run" in describe(judgement)


@pytest.mark.parametrize(("seconds", "verdict"), [(60.0, "pass"), (3600.0, "fail")])
def test_a_p95_over_60_runs_is_decided(seconds: float, verdict: str) -> None:
    values = np.random.default_rng(0).uniform(0.9, 1.1, 60) * seconds
    judgement = judge("s", expectation("decision_time.p95", "<= 20m"), runs_of("decision_time_s", values))
    assert judgement.verdict == verdict and judgement.low <= judgement.measured <= judgement.high


def test_without_confidence_the_point_estimate_still_decides() -> None:
    values = np.full(20, 60.0)
    judgement = judge("s", expectation("decision_time.p95", "<= 20m", None), runs_of("decision_time_s", values))
    assert judgement.verdict == "pass"


@pytest.mark.parametrize(("rolled_back", "verdict"), [(9, "pass"), (8, "fail")])
def test_a_point_estimate_whose_interval_crosses_the_bound_says_so(rolled_back: int, verdict: str) -> None:
    """9 of 10 runs rolled back against ">= 0.9": PASS, but its Wilson interval [0.60, 0.98] crosses 0.9; 8 of
    10 FAIL, with [0.49, 0.94] across it too. Both say they stand on the point estimate alone.

    Kills the message left out, and the interval's verdict taken in place of the point estimate's."""
    rows = runs_of("rolled_back", np.arange(10) < rolled_back)
    judgement = judge("s", expectation("rolled_back", ">= 0.9", None), rows)
    assert judgement.verdict == verdict and judgement.low < 0.9 < judgement.high
    assert judgement.point_estimate_only
    assert judgement.message == "point estimate only: the 95 % interval crosses the bound"
    assert describe(judgement).endswith(f"{verdict.upper()} (point estimate only: the 95 % interval crosses the bound)")
    assert judge("s", expectation("rolled_back", ">= 0.9"), rows).verdict == "inconclusive"


@pytest.mark.parametrize(("rolled_back", "condition"), [(10, ">= 0.5"), (1, ">= 0.9")])
def test_a_point_estimate_whose_interval_clears_the_bound_needs_no_note(rolled_back: int, condition: str) -> None:
    """10 of 10 against ">= 0.5" (interval [0.72, 1]) and 1 of 10 against ">= 0.9" ([0.02, 0.40]): no note."""
    rows = runs_of("rolled_back", np.arange(10) < rolled_back)
    judgement = judge("s", expectation("rolled_back", condition, None), rows)
    assert judgement.message == "" and not judgement.point_estimate_only


def test_every_output_carries_the_note_and_the_summary_counts_them(capsys) -> None:
    rows = runs_of("rolled_back", np.arange(10) < 9)
    judgements = [judge("s", expectation("rolled_back", condition, None), rows) for condition in (">= 0.9", ">= 0.5")]
    result = CheckResult(judgements=judgements, regressions=[])
    print_table(result)
    out = capsys.readouterr().out.splitlines()
    assert out[-2:] == ["2 passed, 0 failed, 0 inconclusive",
                        "1 of them judged on a point estimate whose interval crosses the bound: `confidence: 0.95` "
                        "in `expect` would call them inconclusive"]
    assert "| ✅ pass | point estimate only: the 95 % interval crosses the bound |" in markdown_summary(result)
    messages = [entry["message"] for entry in json_summary(result)["expectations"]]
    assert messages == ["point estimate only: the 95 % interval crosses the bound", ""]


def test_a_mean_of_one_run_is_inconclusive_not_failed() -> None:
    judgement = judge("s", expectation("candidate_requests", ">= 10"), runs_of("candidate_requests", np.array([50.0])))
    assert judgement.verdict == "inconclusive"
    assert judgement.message == "too few runs for a 95 % interval of a mean: 2 needed, 1 run"


def test_a_zero_inflated_count_interval_stays_non_negative() -> None:
    values = np.array([0.0] * 9 + [24_000.0])
    judgement = judge("s", expectation("candidate_requests", ">= 0"), runs_of("candidate_requests", values))
    assert judgement.low == 0.0 and judgement.verdict == "pass"  # a t interval reached -3,029: inconclusive


@pytest.mark.slow
def test_check_of_a_scenario_with_20_runs_leaves_its_p95_inconclusive(tmp_path) -> None:
    data = scenario_data("quickstart.yaml")
    data["runs"] = 20
    data["expect"] = {"canary": {"confidence": 0.95, "decision_time.p95": "<= 20m", "rolled_back": ">= 0.5"}}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = check([str(path)])
    verdicts = {j.expectation.key: j for j in result.judgements}
    assert verdicts["rolled_back"].verdict == "pass"
    assert verdicts["decision_time.p95"].verdict == "inconclusive"
    assert "59 needed, 20 run" in describe(verdicts["decision_time.p95"])
