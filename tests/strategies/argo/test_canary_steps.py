"""The Argo canary's steps with traffic routing: weights in order, pauses, promotes, setCanaryScale, promotion."""

from __future__ import annotations

import json

import pytest

from simulator.commands import Finish, Note, ScaleTo, SetWeights, Wait
from simulator.errors import StrategyError
from simulator.strategies.argo import (
    ArgoCanaryPlan,
    ArgoCanaryStrategy,
    Pause,
    Promotion,
    SetCanaryScale,
    SetWeight,
)
from simulator.strategies.watch import PAUSE_SECONDS
from tests.strategies.argo.harness import Cluster, commands_of, decision, drive, finished, notes


def weights_over_time(history) -> list[tuple[float, float]]:
    """(time the weight was set, the canary's weight %), in order."""
    return [(snapshot.at, command.weights["v2"]) for snapshot in history for command in snapshot.commands
            if isinstance(command, SetWeights)]


def test_weights_in_order_each_once_the_canary_pods_are_ready() -> None:
    plan = ArgoCanaryPlan(replicas=5, traffic_routing=True,
                          steps=(SetWeight(20), Pause(600), SetWeight(50), Pause(600)))
    cluster = Cluster(replicas=5, startup_s=30)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    # canary pods: ceil(20 % of 5) = 1, ceil(50 % of 5) = 3, then all 5; each ready 30 s after it is asked for
    assert weights_over_time(history) == [(30.0, 20.0), (660.0, 50.0), (1290.0, 100.0)]
    canary_sizes = [command.replicas for command in commands_of(history, ScaleTo) if command.version == "v2"]
    assert canary_sizes == [1, 3, 5]
    # the stable version keeps every pod until the promotion, then for scaleDownDelaySeconds (30 s)
    assert all(snapshot.desired["v1"] == 5 for snapshot in history[:-1])
    assert (history[-1].now, history[-1].desired["v1"]) == (1320.0, 0)
    promoted = decision(history)
    assert promoted.outcome == "promoted" and promoted.reason == "all 4 steps done; v2 fully promoted"
    assert finished(history) and cluster.weights == {"v2": 100.0}


def test_dynamic_stable_scale_shrinks_the_stable_version_once_the_traffic_has_moved() -> None:
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True, dynamic_stable_scale=True,
                          steps=(SetWeight(25), Pause(100), SetWeight(75), Pause(100)))
    cluster = Cluster(replicas=4)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    stable_sizes = [command.replicas for command in commands_of(history, ScaleTo) if command.version == "v1"]
    assert stable_sizes == [3, 1, 0]  # 75 % of 4, 25 % of 4, nothing: each after its weight was set
    for snapshot in history:
        for index, command in enumerate(snapshot.commands):
            if isinstance(command, ScaleTo) and command.version == "v1":
                weights = [c for c in snapshot.commands[:index] if isinstance(c, SetWeights)]
                assert weights, "the stable version shrank before its traffic moved"
    assert history[-1].now == 200.0  # no scale-down delay with dynamicStableScale


def test_with_dynamic_stable_scale_a_lower_weight_waits_for_the_stable_pods() -> None:
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True, dynamic_stable_scale=True,
                          steps=(SetWeight(75), Pause(60), SetWeight(25), Pause(60)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, startup_s=30))
    # 75 % at 30 s (3 canary pods ready), the stable version down to 1; at 90 s the step to 25 % asks for 3
    # stable pods, and the router moves only once they are ready (3 of 4 for 75 % of the traffic)
    assert weights_over_time(history)[:2] == [(30.0, 75.0), (120.0, 25.0)]
    assert (90.0, 3) in {(snapshot.at, snapshot.desired["v1"]) for snapshot in history}


def test_set_canary_scale_sizes_the_canary_apart_from_its_weight_until_match_traffic_weight() -> None:
    plan = ArgoCanaryPlan(replicas=10, traffic_routing=True, steps=(
        SetCanaryScale(replicas=3), SetWeight(10), Pause(60), SetCanaryScale(weight=50), Pause(60),
        SetCanaryScale(match_traffic_weight=True), Pause(60)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=10))
    canary_sizes = {(snapshot.at, snapshot.desired["v2"]) for snapshot in history}
    assert {(0.0, 3), (60.0, 5), (120.0, 1), (180.0, 10), (210.0, 10)} == canary_sizes
    assert weights_over_time(history)[0] == (0.0, 10.0)  # the weight is not the scale


def test_a_timed_pause_waits_its_duration() -> None:
    plan = ArgoCanaryPlan(replicas=2, traffic_routing=True, steps=(SetWeight(50), Pause(450), SetWeight(100)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=2))
    assert [wait.seconds for wait in commands_of(history, Wait)][0] == 450
    assert weights_over_time(history) == [(0.0, 50.0), (450.0, 100.0)]


def test_a_pause_without_duration_holds_until_the_run_ends_without_a_promote() -> None:
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True, steps=(SetWeight(25), Pause(), SetWeight(75)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4))
    last = history[-1].commands[-1]
    assert isinstance(last, Wait) and last.seconds >= PAUSE_SECONDS
    assert decision(history) is None  # no decision: the run ends incomplete
    paused = notes(history, "paused")
    assert len(paused) == 1 and "pause without a duration waits for a promote" in paused[0].detail
    assert "no promote is scheduled" in paused[0].detail
    assert weights_over_time(history) == [(0.0, 25.0)]


def test_a_pause_without_duration_is_released_by_a_promote() -> None:
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True, steps=(SetWeight(25), Pause(), SetWeight(75)),
                          promotions=(Promotion(900.0),))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4))
    assert [wait.seconds for wait in commands_of(history, Wait)][0] == 900  # it wakes for the promote
    assert weights_over_time(history) == [(0.0, 25.0), (900.0, 75.0), (900.0, 100.0)]
    operation = [note for note in notes(history, "operation")][0]
    assert operation.data["status"] == "done" and "pause at step 2 released" in operation.detail
    assert decision(history).outcome == "promoted"


def test_a_promote_outside_a_pause_skips_the_current_step() -> None:
    """As ``kubectl argo rollouts promote`` on a rollout that is not paused: the step it is on is skipped."""
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True,
                          steps=(SetWeight(25), Pause(600), SetWeight(50), Pause(600), SetWeight(75), Pause()),
                          promotions=(Promotion(100.0), Promotion(200.0, full=True)))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4))
    # at 100 s the timed pause (step 2) ends early; at 200 s a full promote skips steps 4 to 6
    assert weights_over_time(history) == [(0.0, 25.0), (100.0, 50.0), (200.0, 100.0)]
    effects = [note.data["effect"] for note in notes(history, "operation")]
    assert effects == ["the pause at step 2 released", "full promotion: 3 remaining step(s) skipped"]


def test_a_full_promote_keeps_the_weight_until_the_canary_is_at_full_size() -> None:
    plan = ArgoCanaryPlan(replicas=4, traffic_routing=True, steps=(SetWeight(25), Pause(), SetWeight(50)),
                          promotions=(Promotion(100.0, full=True),))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=4, startup_s=30))
    # 1 canary pod ready at 30 s; the full promote at 100 s asks for 4, ready at 130 s; 50 % is never set
    assert weights_over_time(history) == [(30.0, 25.0), (130.0, 100.0)]
    assert decision(history).outcome == "promoted"


def test_a_promote_after_the_decision_changes_nothing() -> None:
    plan = ArgoCanaryPlan(replicas=2, traffic_routing=True, steps=(SetWeight(50), Pause(60)),
                          promotions=(Promotion(70.0),))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=2))
    operation = notes(history, "operation")[0]
    assert operation.data["status"] == "skipped" and "was already promoted" in operation.detail
    assert finished(history) and history[-1].now == 90.0  # promoted at 60 s, old stable gone 30 s later


def test_the_step_events_name_each_step_as_the_manifest_does() -> None:
    plan = ArgoCanaryPlan(replicas=2, traffic_routing=True,
                          steps=(SetCanaryScale(weight=50), SetWeight(10), Pause(30), Pause()),
                          promotions=(Promotion(40.0),))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=2))
    assert [note.detail for note in notes(history, "step")] == [
        "step 1/4: setCanaryScale weight 50", "step 2/4: setWeight 10", "step 3/4: pause 30s", "step 4/4: pause {}",
        "all 4 steps done: promoting v2 fully"]


def test_no_steps_promotes_at_once_and_no_strategy_step_after_the_end() -> None:
    strategy = ArgoCanaryStrategy(ArgoCanaryPlan(replicas=3, traffic_routing=True, scale_down_delay_s=0))
    cluster = Cluster(replicas=3)
    history = drive(strategy, cluster)
    assert decision(history).outcome == "promoted" and history[-1].now == 0.0
    assert isinstance(history[-1].commands[-1], Finish) and cluster.desired == {"v1": 0, "v2": 3}
    with pytest.raises(StrategyError, match="after it finished"):
        strategy.step(cluster.observe())


def test_notes_are_json_ready() -> None:
    plan = ArgoCanaryPlan(replicas=2, traffic_routing=True, steps=(SetWeight(50), Pause()))
    history = drive(ArgoCanaryStrategy(plan), Cluster(replicas=2))
    for note in commands_of(history, Note):
        json.dumps(dict(note.data))
