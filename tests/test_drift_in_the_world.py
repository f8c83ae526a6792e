"""Model quality over time: the drift monitor's calibration and power, labels, retraining."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import parse_scenario, run
from tests.helpers import scenario_data


def drifting(**changes) -> dict:
    data = scenario_data("drift-retraining.yaml")
    data.pop("expect")
    data.update(changes)
    return data


def quiet_monitor(rate: float = 5.0) -> dict:
    """No drift at all; a cheap world (few requests) — the monitor samples feature logs anyway."""
    data = drifting(traffic={"rate": rate}, strategies={}, simulation={"until": "horizon"})
    for key in ("drift", "retraining"):
        data.pop(key)
    data["monitoring"]["drift"]["window"] = "30m"
    return data


@pytest.mark.slow
def test_without_drift_each_feature_test_fires_at_its_level() -> None:
    scenario = parse_scenario(quiet_monitor())
    p_values = [v for seed in range(4) for check in run(scenario, seed=seed).drift_checks
                for k, v in check.items() if k.endswith("_p_value")]
    assert len(p_values) > 1500
    assert abs(np.mean(np.array(p_values) < 0.05) - 0.05) <= 0.02


def test_a_half_standard_deviation_shift_is_found_in_every_window_after_it() -> None:
    data = quiet_monitor()
    data["drift"] = {"data": {"feature": "tenure_days", "start": "6h", "shift": 0.5}}  # sudden
    data["monitoring"]["drift"]["window"] = "1h"
    data["horizon"] = "1d"
    result = run(parse_scenario(data), seed=1)
    after = [c for c in result.drift_checks if c["t"] > 6 * 3600]
    assert np.mean([c["tenure_days_p_value"] < 0.05 / 6 for c in after]) >= 0.95
    assert result.drift["detection_delay_s"] == 3600  # the first window wholly after the shift
    assert result.drift["drift_start_s"] == 6 * 3600


def test_measured_accuracy_follows_true_accuracy_as_labels_arrive() -> None:
    data = drifting(strategies={}, simulation={"until": "horizon"}, horizon="16h")
    data.pop("retraining")
    result = run(parse_scenario(data), seed=2)
    frame = result.timeline_frame()
    delay = 3600  # labels arrive an hour after the prediction
    bins = frame.set_index("t")
    hour = 3600
    for start in (2 * hour, 9 * hour, 13 * hour):  # before, during and after the concept drift's ramp
        truth = bins.loc[start:start + hour - 1, "true_accuracy"].mean()
        measured = bins.loc[start + delay:start + delay + hour - 1]
        labelled = (measured["measured_accuracy"] * measured["labelled"]).sum() / measured["labelled"].sum()
        assert labelled == pytest.approx(truth, abs=0.01), start
    late = bins.loc[13 * hour:14 * hour - 1, "true_accuracy"].mean()
    assert late == pytest.approx(0.88 - 0.10, abs=0.005)  # the full concept drift


def test_without_labels_no_accuracy_rule_fires_and_the_report_says_why() -> None:
    data = drifting()
    data["monitoring"]["labels"] = {"delay": "1h", "fraction": 0}
    result = run(parse_scenario(data), "canary", seed=3)
    assert "accuracy not evaluated: 0 / 0 labels" in " ".join(e.detail for e in result.events if e.kind == "check")
    assert all(d["primary"] != "performance" for d in result.drift["detections"])
    assert all(c["accuracy_drift"] is None for c in result.drift_checks)


def test_retraining_rolls_out_a_new_version_and_accuracy_recovers() -> None:
    data = drifting(simulation={"until": "horizon"}, horizon="20h")
    result = run(parse_scenario(data), "canary", seed=4)
    kinds = [e.kind for e in result.events]
    assert kinds.index("drift_detected") < kinds.index("retraining") < kinds.index("promoted")
    # The shift goes on ramping after the first promotion, so the monitor may retrain again.
    assert result.registry["aliases"]["champion"].startswith("churn-v7-retrained-")
    frame = result.timeline_frame()
    late = frame[frame["version"].str.startswith("churn-v7-retrained-") & (frame["t"] > 15 * 3600)]
    assert late["true_accuracy"].mean() == pytest.approx(0.89, abs=0.005)  # recovered from 0.78


def test_scheduled_retraining() -> None:
    data = drifting(simulation={"until": "horizon"}, horizon="10h")
    data["retraining"] = {**data["retraining"], "trigger": "schedule", "every": "4h", "duration": "1h"}
    result = run(parse_scenario(data), "canary", seed=5)
    starts = [e.t for e in result.events if e.kind == "retraining"]
    assert starts[0] == 4 * 3600


def test_drift_score_rolls_a_canary_back_as_the_seed_guide_says() -> None:
    data = drifting(
        versions={"v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0},
                  "v2": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0}},
        stable="v1", candidate="v2", horizon="3h",
        drift={"data": {"feature": "tenure_days", "start": "25m", "shift": 2.0}},
        strategies={"canary": {"initialPercentage": 10, "incrementStep": 20, "monitoringDuration": "10m",
                               "rollbackThresholds": {"latencyIncrease": 1.5, "driftScore": 0.3}}},
    )
    data.pop("retraining")
    data["monitoring"]["drift"]["window"] = "10m"
    result = run(parse_scenario(data), "canary", seed=6)
    assert result.outcome == "rolled_back"
    assert "drift score" in result.reason and "> 0.3" in result.reason
    assert result.decision_time_s > 25 * 60


def test_a_candidate_worse_only_for_one_segment() -> None:
    """Accuracy 0.9 everywhere except 0.6 for the 10 % of enterprise users: 0.87 overall."""
    data = {
        "name": "segment", "horizon": "30m", "traffic": {"rate": 200},
        "service": {"replicas": 4, "concurrency": 4, "timeout": "2s"},
        "versions": {"v1": {"accuracy": 0.9, "latency": {"p50": "20ms", "p99": "80ms"}, "startup": 0,
                            "segments": {"plan=enterprise": 0.6}}},
        "stable": "v1", "simulation": {"until": "horizon"},
    }
    result = run(parse_scenario(data), seed=7).versions["v1"]
    answered = result.correct_predictions + result.wrong_predictions
    assert result.correct_predictions / answered == pytest.approx(0.9 * 0.9 + 0.1 * 0.6, abs=0.003)


def test_segments_must_name_a_category() -> None:
    from simulator.errors import ScenarioError

    data = drifting()
    data["versions"]["churn-v7"]["segments"] = {"plan=premium": 0.5}
    with pytest.raises(ScenarioError, match=r"versions.churn-v7.segments: got 'plan=premium'"):
        parse_scenario(data)
