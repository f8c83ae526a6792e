"""Load in the world: a faster candidate rolled back because it took more load, and the reason says so.

The stable version runs 4 single-slot replicas; the canary's first step
sends 40 % of the traffic to ceil(0.4 x 4) = 2 candidate replicas, 20 % each
against the stable replicas' 15 %. At 100 % the candidate's 4 replicas take
all of it, judged against the stable version's window at 60 %. The
candidate is 10 % faster, yet busier, and its queue makes its p99 latency
fail the rule: the reason must show the load. A slower candidate at light
load fails for its model alone, and its reason must not blame load.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulator import parse_scenario, run


def story(*, rate: str, candidate_mean: str, judge: str = "threshold") -> dict[str, Any]:
    return {
        "name": "load-story",
        "horizon": "30m",
        "traffic": {"rate": rate},
        "service": {"replicas": 4, "concurrency": 1, "timeout": "30s"},
        "versions": {
            "v1": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": "100ms"}, "error_rate": 0.0,
                   "startup": "10s"},
            "v2": {"accuracy": 0.9, "latency": {"dist": "exponential", "mean": candidate_mean}, "error_rate": 0.0,
                   "startup": "10s"},
        },
        "stable": "v1",
        "candidate": "v2",
        "monitoring": {"scrape_interval": "15s"},
        "faults": [{"kind": "traffic_spike", "at": "1m", "for": "20m", "factor": 1.1}],
        "strategies": {"canary": {"steps": [40, 100], "monitoringDuration": "5m", "judge": judge,
                                  "rollbackThresholds": {"latencyIncrease": 1.5}}},
        "simulation": {"until": "rollout_end"},
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_faster_candidate_rolled_back_under_load_says_it_was_busier(seed: int) -> None:
    result = run(parse_scenario(story(rate="34/s", candidate_mean="90ms")), "canary", seed=seed)
    assert result.outcome == "rolled_back"
    assert "latency p99" in result.reason
    assert "(under load: candidate " in result.reason
    busy = result.reason.split("under load: candidate ")[1]
    candidate_busy, stable_busy = int(busy.split(" %")[0]), int(busy.split("vs stable ")[1].split(" %")[0])
    assert candidate_busy > 80 and candidate_busy > 1.2 * stable_busy
    assert "queue wait" in busy


@pytest.mark.parametrize(("seed", "why"), [(5, ": judge score"), (3, "marginal 3 times in a row")])
def test_the_statistical_judge_says_so_too(seed: int, why: str) -> None:
    """A latency metric failed, or stayed marginal until the holds ran out: both reasons show the load."""
    result = run(parse_scenario(story(rate="34/s", candidate_mean="90ms", judge="mann_whitney")), "canary", seed=seed)
    assert result.outcome == "rolled_back" and why in result.reason
    assert "latency_p" in result.reason and "(under load: candidate " in result.reason


@pytest.mark.parametrize("seed", [0, 1])
def test_a_slower_candidate_at_light_load_is_not_blamed_on_load(seed: int) -> None:
    result = run(parse_scenario(story(rate="8/s", candidate_mean="200ms")), "canary", seed=seed)
    assert result.outcome == "rolled_back" and "latency p99" in result.reason
    assert "under load" not in result.reason
