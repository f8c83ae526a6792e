"""WaitAny: a strategy waits on several branches at once and is woken by the first (what Waves runs on)."""

from __future__ import annotations

import pytest

import simulator.driver as driver
from simulator.commands import Decide, Finish, RunSmokeTest, ScaleTo, Wait, WaitAny, WaitUntilReady
from simulator.errors import StrategyError
from simulator.observations import Observation, SmokeTestResult
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS, until_rollout_end


class _Ticker:
    """Starts the candidate, ticks every 10 s while it starts up, and runs a smoke test beside the ticks."""

    kind = "ticker"
    state = "ticking"

    def __init__(self) -> None:
        self.woken: list[tuple[float, tuple[str, ...]]] = []
        self.smoke: SmokeTestResult | None = None

    def step(self, observation: Observation):
        if not self.woken and observation.now == 0:
            self.woken.append((0.0, ()))
            return [ScaleTo(version=observation.candidate, replicas=1),
                    WaitAny(waits={"ready": WaitUntilReady(version=observation.candidate, timeout=600),
                                   "tick": Wait(seconds=10),
                                   "smoke": RunSmokeTest(version=observation.stable, samples=50)})]
        self.woken.append((observation.now, tuple(sorted(observation.woken))))
        result = observation.woken.get("smoke")
        if isinstance(result, SmokeTestResult):
            self.smoke = result
        if "ready" in observation.woken:
            return [Decide(outcome="rolled_back", reason="done"), Finish()]
        return [WaitAny(waits={"tick": Wait(seconds=10)} if "tick" in observation.woken else {})]


def test_the_first_branch_wakes_the_strategy_and_a_held_branch_still_ends_on_time(monkeypatch) -> None:
    ticker = _Ticker()
    monkeypatch.setattr(driver, "make_strategy", lambda config: ticker)
    scenario = until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml"))
    result = driver.run(scenario, "canary", seed=1)
    startup = scenario.versions["v2"].startup  # 45 s
    ticks = [t for t, woken in ticker.woken if "tick" in woken]
    assert ticks == [10.0, 20.0, 30.0, 40.0]
    # The readiness wait was started at 0 and held across four other wake-ups: it still ends at the start-up.
    ready = [t for t, woken in ticker.woken if "ready" in woken]
    assert ready == [startup]
    assert result.decision_time_s == startup
    assert ticker.smoke is not None and ticker.smoke.samples == 50
    assert sum("smoke" in woken for _, woken in ticker.woken) == 1
    assert [event.kind for event in result.events].count("smoke_test") == 1


def test_wait_any_with_nothing_to_wait_on_is_a_strategy_error(monkeypatch) -> None:
    class Empty:
        kind = "empty"

        def step(self, observation: Observation):
            return [WaitAny(waits={})]

    monkeypatch.setattr(driver, "make_strategy", lambda config: Empty())
    with pytest.raises(StrategyError, match="WaitAny with no branch"):
        driver.run(load_scenario(SCENARIOS / "quickstart.yaml"), "canary", seed=1)


def test_a_command_for_a_region_is_refused_without_regions(monkeypatch) -> None:
    class Regional:
        kind = "regional"

        def step(self, observation: Observation):
            return [ScaleTo(version=observation.candidate, replicas=1, region="eu"), Wait(seconds=1)]

    monkeypatch.setattr(driver, "make_strategy", lambda config: Regional())
    with pytest.raises(StrategyError, match="region 'eu'; expected no region"):
        driver.run(load_scenario(SCENARIOS / "quickstart.yaml"), "canary", seed=1)
