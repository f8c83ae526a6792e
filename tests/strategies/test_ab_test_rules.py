"""A/B test: guardrails, capacity per arm and the order of its commands, without a simulation.

Each test names the mutant it was seen to kill (tried in a copy of the
package, never here).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from simulator.scenario import ABTestConfig
from simulator.strategies import ABTestStrategy
from tests.strategies.observe import World, first, kinds, replace, window


def arm(world: World, version: str, intervals: int = 20, **figures) -> None:
    """Preset ``version``'s window since the split; every request has a latency sample.

    The latencies fall in ``intervals`` scrape intervals whose means vary as those of independent requests.
    """
    stats = window(version, **figures)
    assert stats.latency_std is not None
    world.metrics.windows[version] = replace(
        stats, latency_samples=stats.requests, latency_intervals=intervals,
        latency_mean_variance=stats.latency_std**2 / stats.requests,
    )


def healthy_arms(world: World, *, candidate_correct: int = 920, candidate_failed: int = 5,
                 candidate_mean: float = 0.05, labelled: int = 5000) -> None:
    """5,000 requests per arm; stable 92 % accurate, 0.1 % failed, 50 ms mean latency."""
    arm(world, "v1", requests=5000, failed=5, mean=0.05, labelled=labelled, correct=round(0.92 * labelled))
    arm(world, "v2", requests=5000, failed=candidate_failed, mean=candidate_mean, labelled=labelled,
        correct=round(candidate_correct / 1000 * labelled))


def step(strategy: ABTestStrategy, world: World) -> list[Any]:
    """The strategy's next commands for what the world shows now."""
    return strategy.step(world.observe())


def drive(strategy: ABTestStrategy, world: World, *, ready: bool = True, limit: int = 200) -> list[list[Any]]:
    """Step the strategy until it finishes; return every command list."""
    history = []
    for _ in range(limit):
        commands = step(strategy, world)
        world.apply(commands, replicas_become_ready=ready)
        history.append(commands)
        if kinds(commands)[-1] == "Finish":
            return history
    raise AssertionError("strategy did not finish")


def decision(history: list[list[Any]]) -> Any:
    return next(c for commands in history for c in commands if type(c).__name__ == "Decide")


def looks(history: list[list[Any]]) -> list[dict[str, Any]]:
    return [dict(c.data) for commands in history for c in commands
            if type(c).__name__ == "Note" and c.kind == "ab_look" and "pending" not in c.data]


def config(**settings) -> ABTestConfig:
    return ABTestConfig(**{"minimum_samples": 5000, "check_interval": 60, **settings})


# -- guardrails ----------------------------------------------------------------


def test_a_more_accurate_candidate_that_fails_4_percent_of_requests_is_not_promoted() -> None:
    """The issue's case: +3 points of accuracy, 4 % of requests failed (40x production): stable is kept.

    Mutant killed: guardrail failures ignored (the candidate was promoted on accuracy).
    """
    world = World()
    healthy_arms(world, candidate_correct=950, candidate_failed=200)
    history = drive(ABTestStrategy(config()), world)
    decide = decision(history)
    assert decide.outcome == "rolled_back"
    assert decide.reason.startswith("guardrail error_rate: effect +0.039")
    assert "p=" in decide.reason and "candidate significantly worse" in decide.reason
    analysis = decide.analysis
    assert analysis["result"]["winner"] == "candidate"  # the primary alone would have shipped it
    verdicts = {check["metric"]: check["verdict"] for check in analysis["guardrails"]}
    assert verdicts == {"error_rate": "fail", "latency": "pass"}
    assert world.weights == {"v1": 100.0} and world.desired == {"v1": 6, "v2": 0}


def test_without_guardrails_the_same_candidate_is_promoted() -> None:
    world = World()
    healthy_arms(world, candidate_correct=950, candidate_failed=200)
    decide = decision(drive(ABTestStrategy(config(guardrails=[])), world))
    assert decide.outcome == "promoted" and "guardrails pass: none set" in decide.reason


def test_a_guardrail_fails_only_on_the_harmful_side() -> None:
    """A candidate significantly *faster* and with fewer errors passes both guardrails.

    Mutant killed: a guardrail failing on any significant difference (two-sided), which kept stable here.
    """
    world = World()
    arm(world, "v1", requests=5000, failed=100, mean=0.05, labelled=5000, correct=4600)
    arm(world, "v2", requests=5000, failed=5, mean=0.04, labelled=5000, correct=4750)
    decide = decision(drive(ABTestStrategy(config()), world))
    assert decide.outcome == "promoted"
    assert [check["verdict"] for check in decide.analysis["guardrails"]] == ["pass", "pass"]


@pytest.mark.parametrize("higher_is_worse", ["latency", "error_rate"])
def test_harmful_side_of_each_request_metric(higher_is_worse: str) -> None:
    world = World()
    if higher_is_worse == "latency":
        healthy_arms(world, candidate_correct=950, candidate_mean=0.06)
    else:
        healthy_arms(world, candidate_correct=950, candidate_failed=40)
    decide = decision(drive(ABTestStrategy(config()), world))
    assert decide.outcome == "rolled_back" and decide.reason.startswith(f"guardrail {higher_is_worse}:")


def test_accuracy_as_a_guardrail_fails_on_lower_accuracy() -> None:
    world = World()
    arm(world, "v1", requests=5000, failed=5, mean=0.05, labelled=5000, correct=4600)
    arm(world, "v2", requests=5000, failed=5, mean=0.045, labelled=5000, correct=4450)
    strategy = ABTestStrategy(config(primary_metric="latency", guardrails=["accuracy"]))
    decide = decision(drive(strategy, world))
    assert decide.outcome == "rolled_back" and decide.reason.startswith("guardrail accuracy: effect -0.03")


@pytest.mark.parametrize(("guardrails", "outcome"), [(["error_rate"], "rolled_back"),
                                                      (["error_rate", "latency"], "promoted")])
def test_guardrails_are_bonferroni_adjusted(guardrails: list[str], outcome: str) -> None:
    """A regression at p = 0.035: significant at alpha 0.05 alone, not at 0.05 / 2 beside another guardrail.

    Mutant killed: each guardrail tested at alpha (the second case kept stable).
    """
    world = World()
    healthy_arms(world, candidate_correct=950, candidate_failed=15)  # 5 vs 15 failed of 5,000
    strategy = ABTestStrategy(config(guardrails=guardrails))
    assert strategy.guardrail_alpha == pytest.approx(0.05 / len(guardrails))
    decide = decision(drive(strategy, world))
    check = next(check for check in decide.analysis["guardrails"] if check["metric"] == "error_rate")
    assert 0.025 < check["result"]["p_value"] < 0.05
    assert decide.outcome == outcome


def test_the_primary_metric_is_not_tested_again_as_a_guardrail() -> None:
    """Mutant killed: every listed guardrail tested, the primary too (and alpha split three ways)."""
    assert config(primary_metric="error_rate").active_guardrails() == ["latency"]
    assert ABTestStrategy(config(primary_metric="latency")).guardrails == ["error_rate"]
    assert ABTestStrategy(config(primary_metric="latency")).guardrail_alpha == 0.05


@pytest.mark.parametrize("test", ["peeking", "sequential"])
def test_guardrails_are_checked_at_every_look_and_stop_the_test_early(test: str) -> None:
    """At the first look (500 of 5,000 samples) the primary is undecided, but errors are 8x: stop there.

    Mutant killed: guardrails tested only when the primary decides (the test ran to its last look).
    """
    world = World()
    arm(world, "v1", requests=600, failed=5, mean=0.05, labelled=600, correct=552)
    arm(world, "v2", requests=600, failed=40, mean=0.05, labelled=600, correct=552)
    history = drive(ABTestStrategy(config(test=test)), world)
    decide = decision(history)
    assert decide.outcome == "rolled_back" and "test stopped at look 1/10" in decide.reason
    assert decide.analysis["result"]["winner"] is None and len(looks(history)) == 1


def test_sequential_guardrails_use_the_always_valid_test() -> None:
    """Mutant killed: the fixed-horizon test at every look of a sequential plan."""
    world = World()
    healthy_arms(world, candidate_correct=950, candidate_failed=200)
    decide = decision(drive(ABTestStrategy(config(test="sequential")), world))
    check = decide.analysis["guardrails"][0]
    assert check["result"]["test"].startswith("mSPRT") and check["result"]["interval"] == "confidence sequence"
    assert check["result"]["ci_low"] > 0 and check["verdict"] == "fail"


def test_an_inconclusive_guardrail_holds_the_promotion_until_it_has_its_samples() -> None:
    """Latency wins at the look, but only 300 of 5,000 labels per arm have come: the accuracy guardrail is
    inconclusive, so the candidate waits; once the labels are in and it passes, it is promoted.

    Mutant killed: an inconclusive guardrail counted as a pass (promoted at the look, on 300 labels).
    """
    world = World()
    arm(world, "v1", requests=5000, failed=5, mean=0.05, labelled=300, correct=276)
    arm(world, "v2", requests=5000, failed=5, mean=0.045, labelled=300, correct=276)
    strategy = ABTestStrategy(config(primary_metric="latency", guardrails=["accuracy"]))
    for _ in range(3):  # deploy, split, look
        commands = step(strategy, world)
        world.apply(commands)
    assert "Decide" not in kinds(commands) and kinds(commands)[-1] == "Wait"
    assert "accuracy inconclusive: 300 of 5000 samples" in commands[-2].detail
    arm(world, "v1", requests=9000, failed=9, mean=0.05, labelled=5000, correct=4600)
    arm(world, "v2", requests=9000, failed=9, mean=0.045, labelled=5000, correct=4600)
    decide = decision(drive(strategy, world))
    assert decide.outcome == "promoted" and "guardrails pass: accuracy p=1" in decide.reason
    assert decide.analysis["guardrails"][0]["verdict"] == "pass"


def test_an_inconclusive_guardrail_at_the_duration_cap_keeps_stable_and_says_why() -> None:
    world = World()
    arm(world, "v1", requests=5000, failed=5, mean=0.05, labelled=300, correct=276)
    arm(world, "v2", requests=5000, failed=5, mean=0.045, labelled=300, correct=276)
    strategy = ABTestStrategy(config(primary_metric="latency", guardrails=["accuracy"], duration=600))
    decide = decision(drive(strategy, world))
    assert decide.outcome == "rolled_back"
    assert decide.reason.startswith("guardrail accuracy inconclusive: 300 of 5000 samples")
    assert "at the duration cap 600s: not promoted although the candidate wins: latency" in decide.reason


def test_a_guardrail_regression_is_named_when_the_duration_cap_ends_the_test() -> None:
    world = World()
    healthy_arms(world, candidate_failed=200)
    decide = decision(drive(ABTestStrategy(config(minimum_samples=100_000, duration=600)), world))
    assert decide.outcome == "rolled_back"
    assert decide.reason.startswith("duration cap 600s reached with 5000 of 100000 samples per arm; "
                                    "guardrail error_rate: effect +0.039")


def test_a_guardrail_with_few_samples_still_fails_on_significant_harm() -> None:
    world = World()
    arm(world, "v1", requests=5000, failed=5, mean=0.05, labelled=300, correct=285)
    arm(world, "v2", requests=5000, failed=5, mean=0.045, labelled=300, correct=210)
    decide = decision(drive(ABTestStrategy(config(primary_metric="latency", guardrails=["accuracy"])), world))
    assert decide.outcome == "rolled_back" and decide.reason.startswith("guardrail accuracy:")


# -- latency needs scrape intervals ------------------------------------------------


def test_latency_is_not_tested_before_each_arm_has_five_scrape_intervals() -> None:
    """The mean latency's variance is estimated across scrape intervals: with 4 per arm there is no look, and
    the duration cap keeps stable saying so.

    Mutant killed: no interval minimum (the candidate, 20 % faster, was promoted from 4 intervals).
    """
    world = World()
    arm(world, "v1", intervals=4, requests=5000, mean=0.05)
    arm(world, "v2", intervals=4, requests=5000, mean=0.04)
    history = drive(ABTestStrategy(config(primary_metric="latency", guardrails=[], duration=600)), world)
    assert looks(history) == []
    decide = decision(history)
    assert decide.outcome == "rolled_back"
    assert decide.reason == "duration cap 600s reached with latency over 4 of 5 scrape intervals per arm"


def test_five_scrape_intervals_per_arm_are_enough_for_a_latency_look() -> None:
    world = World()
    arm(world, "v1", intervals=5, requests=5000, mean=0.05)
    arm(world, "v2", intervals=6, requests=5000, mean=0.04)
    decide = decision(drive(ABTestStrategy(config(primary_metric="latency", guardrails=[])), world))
    assert decide.outcome == "promoted" and decide.reason.startswith("candidate wins: latency")


def test_a_latency_guardrail_with_too_few_intervals_is_inconclusive_and_holds_the_promotion() -> None:
    """The candidate wins on accuracy; its latency guardrail has 3 intervals in one arm: no pass, no promotion.

    Mutant killed: a latency guardrail that passed without its intervals.
    """
    world = World()
    healthy_arms(world, candidate_correct=950)
    arm(world, "v2", intervals=3, requests=5000, failed=5, mean=0.05, labelled=5000, correct=4750)
    decide = decision(drive(ABTestStrategy(config(duration=600)), world))
    assert decide.outcome == "rolled_back"
    assert decide.reason.startswith("guardrail latency inconclusive: 3 of 5 scrape intervals per arm at the "
                                    "duration cap 600s: not promoted although the candidate wins: accuracy")
    check = next(check for check in decide.analysis["guardrails"] if check["metric"] == "latency")
    assert check["verdict"] == "inconclusive" and check["result"] is None


# -- capacity --------------------------------------------------------------------


def test_proportional_capacity_gives_each_arm_replicas_for_its_share_weights_first() -> None:
    """Split 0.5 of 6 replicas: candidate 3, then the weights, then stable down to 3 (never all users on 3).

    Mutant killed: stable left at 6 replicas (the candidate arm twice as loaded).
    """
    world, strategy = World(), ABTestStrategy(config())
    commands = step(strategy, world)
    assert first(commands, "ScaleTo").replicas == 3 and kinds(commands) == ["ScaleTo", "WaitUntilReady"]
    world.apply(commands)
    commands = step(strategy, world)
    assert kinds(commands) == ["SetWeights", "ScaleTo", "Note", "Wait"]
    assert commands[0].weights == {"v2": 50.0, "v1": 50.0} and commands[0].sticky
    assert (commands[1].version, commands[1].replicas) == ("v1", 3)
    capacity = commands[2].data["capacity"]
    assert capacity["replicas"] == {"stable": 3, "candidate": 3} and capacity["balanced"]


def test_shared_capacity_keeps_stable_at_full_size_and_says_the_arms_are_unequal() -> None:
    world, strategy = World(), ABTestStrategy(config(capacity="shared"))
    world.apply(step(strategy, world))
    commands = step(strategy, world)
    assert kinds(commands) == ["SetWeights", "Note", "Wait"]
    assert commands[1].data["capacity"]["balanced"] is False
    assert "candidate replicas 2x as loaded" in commands[1].detail


@pytest.mark.parametrize(("split", "candidate", "stable"), [(0.3, 2, 5), (0.5, 3, 3), (0.9, 6, 1)])
def test_each_arm_gets_the_ceiling_of_its_share(split: float, candidate: int, stable: int) -> None:
    """Mutant killed: stable never scaled down (``capacity: proportional`` behaving as ``shared``)."""
    world, strategy = World(), ABTestStrategy(config(split_ratio=split))
    world.apply(step(strategy, world))
    world.apply(step(strategy, world))
    assert world.desired == {"v1": stable, "v2": candidate}
    assert candidate == math.ceil(split * 6) and stable == math.ceil((1 - split) * 6)


def _drive_slow_replicas(strategy: ABTestStrategy, world: World) -> list[list[Any]]:
    """Drive with replicas that become ready only at the next step (like a start-up delay)."""
    history = []
    for _ in range(200):
        world.ready = dict(world.desired)  # whatever was asked for at the last step is up now
        commands = step(strategy, world)
        for command in commands:
            if type(command).__name__ == "SetWeights":
                for version, weight in command.weights.items():
                    needed = math.ceil(weight / 100 * 6 - 1e-9) if weight < 100 else 6
                    assert world.ready[version] >= min(needed, world.desired[version]) or weight == 0
                    if weight == 100:
                        assert world.ready[version] == 6, f"all users on {world.ready[version]} replicas"
        world.apply(commands, replicas_become_ready=False)
        history.append(commands)
        if kinds(commands)[-1] == "Finish":
            return history
    raise AssertionError("strategy did not finish")


@pytest.mark.parametrize(("candidate_correct", "outcome"), [(880, "rolled_back"), (950, "promoted")])
def test_no_version_takes_all_users_before_it_is_at_full_size(candidate_correct: int, outcome: str) -> None:
    """Stable wins: stable is scaled back to 6 and waited for, and only then gets 100 %; the candidate wins:
    it is scaled to 6 and waited for before it gets 100 %.

    Mutant killed: keeping stable at once (all users on stable's 3 replicas while 3 more start).
    """
    world = World()
    healthy_arms(world, candidate_correct=candidate_correct)
    history = _drive_slow_replicas(ABTestStrategy(config()), world)
    assert decision(history).outcome == outcome
    scales = [(c.version, c.replicas) for commands in history for c in commands if type(c).__name__ == "ScaleTo"]
    if outcome == "rolled_back":
        assert scales == [("v2", 3), ("v1", 3), ("v1", 6), ("v2", 0)]
        waits = [c.version for commands in history for c in commands if type(c).__name__ == "WaitUntilReady"]
        assert waits == ["v2", "v1"]
        assert world.weights == {"v1": 100.0} and world.desired == {"v1": 6, "v2": 0}
    else:
        assert scales == [("v2", 3), ("v1", 3), ("v2", 6), ("v1", 0)]
        assert world.weights == {"v2": 100.0} and world.desired == {"v1": 0, "v2": 6}


def test_shared_capacity_rolls_back_at_once() -> None:
    world = World()
    healthy_arms(world, candidate_correct=880)
    history = drive(ABTestStrategy(config(capacity="shared")), world)
    assert kinds(history[-1]) == ["Note", "SetWeights", "ScaleTo", "Decide", "Finish"]


def test_a_stable_version_not_ready_in_time_gets_all_users_back_anyway_and_it_is_said() -> None:
    world = World()
    healthy_arms(world, candidate_correct=880)
    strategy = ABTestStrategy(config(ready_timeout=120))
    for _ in range(3):  # deploy, split (stable down to 3), look: stable wins, restore asked
        commands = step(strategy, world)
        world.apply(commands, replicas_become_ready=kinds(commands)[-1] != "WaitUntilReady"
                    or first(commands, "WaitUntilReady").version == "v2")
    assert first(commands, "Decide").outcome == "rolled_back" and world.ready["v1"] == 3
    commands = step(strategy, world)
    assert kinds(commands) == ["Note", "SetWeights", "ScaleTo", "Finish"]
    assert "3 of 6 replicas ready after 120s" in commands[0].detail
