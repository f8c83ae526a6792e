"""A KServe canary's operator promote (``canaryTrafficPercent: 100``), without a simulation."""

from __future__ import annotations

import pytest

from simulator.commands import Command, Wait, WaitUntilReady
from simulator.errors import StrategyError
from simulator.scenario import CanaryConfig
from simulator.scenario.world_config import PromoteOperation
from simulator.strategies import CanaryStrategy
from tests.strategies.observe import World, drive, first, kinds, with_window

KSERVE = CanaryConfig(initial_percentage=10, increment_step=90, monitoring_duration=600, analysis_interval=30,
                      inference_service="fraud-detection-model")
"""Seed 004's canary as the loader makes it: 10 % for 10 minutes, then 100 % or back."""


def promoted_at(*times: float, config: CanaryConfig = KSERVE) -> CanaryStrategy:
    strategy = CanaryStrategy(config)
    strategy.take_promotes([PromoteOperation(at=at, promote="kserve") for at in times])
    return strategy


def notes(history: list[list], kind: str) -> list[str]:
    return [c.detail for commands in history for c in commands if type(c).__name__ == "Note" and c.kind == kind]


def step_end_checks(history: list[list]) -> list[str]:
    return [c.detail for commands in history for c in commands
            if type(c).__name__ == "Note" and c.kind == "check" and not c.data.get("in_step")]


def acts(history: list[list]) -> list[Command]:
    """Every command but the waits."""
    return [command for commands in history for command in commands
            if not isinstance(command, (Wait, WaitUntilReady))]


def test_the_wait_is_cut_short_at_the_promote_and_the_step_end_check_is_skipped() -> None:
    world = World()
    history = drive(promoted_at(315.0), world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "promoted" and world.now == 315.0  # not at the next look (330 s) nor the end (600 s)
    assert decide.reason == ("operator's promote at 315s (canaryTrafficPercent 10 -> 100: all traffic to v2; "
                             "skipped: the last 285s of step 1 at 10 % and its check)")
    assert step_end_checks(history) == []
    assert notes(history, "operation") == ["promote at 315s: canaryTrafficPercent 10 -> 100: all traffic to v2; "
                                           "skipped: the last 285s of step 1 at 10 % and its check"]
    assert world.weights == {"v2": 100.0} and world.desired["v1"] == 0


def test_without_a_promote_the_same_canary_is_judged_at_the_end_of_the_monitoring() -> None:
    world = World()
    history = drive(CanaryStrategy(KSERVE), world)
    assert world.now == 600.0 and first(history[-1], "Decide").reason == "all 1 checks passed; candidate at 100 %"
    assert len(step_end_checks(history)) == 1


def test_a_promote_at_the_same_instant_as_the_step_end_goes_first() -> None:
    world = World()
    with_window(world, "v2", requests=5000, failed=500)  # the step-end check would roll this candidate back
    strategy = promoted_at(600.0, config=KSERVE.model_copy(update={"failure_limit": 100}))
    history = drive(strategy, world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "promoted" and world.now == 600.0 and step_end_checks(history) == []


def test_a_candidate_short_of_replicas_is_scaled_to_full_size_and_promoted_once_ready() -> None:
    world = World()
    strategy = promoted_at(300.0)
    while world.now < 300.0:  # 1 replica for 10 % of 6, ready at once
        world.apply(strategy.step(world.observe()))
    commands = strategy.step(world.observe())  # the promote
    world.apply(commands, replicas_become_ready=False)
    assert kinds(commands)[-2:] == ["ScaleTo", "WaitUntilReady"] and world.desired["v2"] == 6
    assert world.ready["v2"] == 1 and "Decide" not in kinds(commands)
    world.now, world.ready["v2"] = 340.0, 6  # ready 40 s later
    commands = strategy.step(world.observe())
    decide = first(commands, "Decide")
    assert decide.outcome == "promoted" and decide.reason.startswith("operator's promote at 300s")


def test_a_promote_while_the_first_replicas_start_cuts_their_wait_short() -> None:
    world = World()
    commands = promoted_at(20.0).step(world.observe())
    assert first(commands, "WaitUntilReady").timeout == 20.0  # readyTimeout 600 s, cut at the promote


def test_a_promote_after_the_decision_changes_nothing() -> None:
    world = World()
    with_window(world, "v2", requests=5000, failed=500)  # rolled back by the first in-step check, at 30 s
    history = drive(promoted_at(300.0), world)
    decide = first(history[-1], "Decide")
    assert decide.outcome == "rolled_back" and world.now == 30.0 and notes(history, "operation") == []
    plain_world = World()
    with_window(plain_world, "v2", requests=5000, failed=500)
    plain = drive(CanaryStrategy(KSERVE), plain_world)
    assert plain_world.now == 30.0 and acts(plain) == acts(history)  # only the first readiness wait was shorter


def test_a_promote_while_a_rolled_back_canary_moves_its_traffic_back_does_nothing_but_say_so() -> None:
    config = KSERVE.model_copy(update={"initial_percentage": 50, "increment_step": 50, "capacity": "proportional"})
    world = World()
    strategy = promoted_at(40.0, config=config)
    while world.now < 30.0:  # 3 candidate replicas for 50 % of 6; the stable version shrinks to 3
        world.apply(strategy.step(world.observe()))
    with_window(world, "v2", requests=5000, failed=500)
    commands = strategy.step(world.observe())  # the in-step check at 30 s rolls back: the stable version first
    world.apply(commands, replicas_become_ready=False)
    assert first(commands, "Decide").outcome == "rolled_back" and kinds(commands)[-1] == "WaitUntilReady"
    assert first(commands, "WaitUntilReady").timeout == 600.0  # not cut short: the promote would change nothing
    world.now, world.ready["v1"] = 60.0, 6
    commands = strategy.step(world.observe())
    assert notes([commands], "operation") == ["promote at 40s: the canary was already rolled back"]
    assert kinds(commands)[1:] == ["SetWeights", "ScaleTo", "Finish"] and commands[1].weights["v1"] == 100.0


def test_a_second_promote_at_the_same_instant_does_nothing_and_says_so() -> None:
    history = drive(promoted_at(300.0, 300.0), World())
    assert notes(history, "operation")[1] == "promote at 300s: v2 was already on its way to 100 %"


def test_only_a_kserve_canary_takes_promotes() -> None:
    with pytest.raises(StrategyError, match="only a KServe InferenceService's canary takes promotes"):
        promoted_at(300.0, config=KSERVE.model_copy(update={"inference_service": None}))
    with pytest.raises(StrategyError, match="expected no full"):
        CanaryStrategy(KSERVE).take_promotes([PromoteOperation(at=300.0, promote="kserve", full=True)])
