"""Flagger's A/B testing (``analysis.match`` with ``iterations``) and session affinity: rules, manifests, the world."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from simulator import run
from simulator.commands import SessionAffinity, SetWeights
from simulator.errors import ScenarioError
from simulator.scenario import load_scenario
from simulator.scenario.manifest_strategy_config import FlaggerCanaryConfig
from simulator.strategies.flagger import FlaggerCanaryStrategy, FlaggerPlan, MetricCheck, Phase, plan_from_manifests
from simulator.world.world import World
from tests.helpers import until_rollout_end
from tests.strategies.argo.harness import Cluster, ScriptedPrometheus, commands_of, decision, drive, notes

QUERY = "error_percentage"
PASS, FAIL = [0.2], [5.0]
MATCH = [{"headers": {"x-canary": {"exact": "insider"}}},
         {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}}]


def ab_plan(**changes: Any) -> FlaggerPlan:
    """An A/B test of 10 % of users: three one-minute iterations, one metric (at most 1), one failed check."""
    fields: dict[str, Any] = {
        "name": "recommender", "namespace": "ml", "target": "recommender", "interval_s": 60.0, "threshold": 1,
        "iterations": 3, "match_share": 10.0,
        "checks": (MetricCheck(name="errors", source="template", comparison="value", query=QUERY,
                               threshold_range=(None, 1.0)),)}
    return FlaggerPlan(**{**fields, **changes})


def drive_plan(flagger_plan: FlaggerPlan, answers):
    prometheus = ScriptedPrometheus({QUERY: answers})
    cluster = Cluster(replicas=6, prometheus=prometheus)
    strategy = FlaggerCanaryStrategy(flagger_plan)
    return strategy, cluster, prometheus, drive(strategy, cluster)


# the rules, driven by hand -------------------------------------------------------------------------


def test_the_matching_users_go_to_the_canary_sticky_from_the_first_iteration() -> None:
    _, _, _, history = drive_plan(ab_plan(), [PASS])
    first = commands_of(history, SetWeights)[0]
    assert first.weights == {"v2": 10.0, "v1": 90.0} and first.sticky
    when = next(snapshot.at for snapshot in history if first in snapshot.commands)
    assert when == 60.0  # scaled up at 0, the pre-rollout check and the first iteration at 60


def test_promotion_comes_at_the_check_after_the_last_iteration() -> None:
    strategy, cluster, prometheus, history = drive_plan(ab_plan(iterations=3), [PASS])
    steps = [(note.detail, note.data["match_share"]) for note in notes(history, "step")]
    assert steps == [(f"Advance recommender.ml canary iteration {i}/3", 10.0) for i in (1, 2, 3)]
    assert prometheus.times(QUERY) == [120.0, 180.0, 240.0]  # the first iteration follows the pre-rollout check
    promoted = decision(history)
    assert promoted is not None and promoted.outcome == "promoted"
    assert promoted.reason == "all 3 iterations passed with the matching users (10%) on the canary"
    assert next(snapshot.at for snapshot in history if promoted in snapshot.commands) == 240.0
    assert cluster.weights == {"v2": 100.0} and cluster.desired == {"v1": 0, "v2": 6}
    assert strategy.state is Phase.SUCCEEDED
    # the matching route is set once: the iterations after the first change nothing
    assert [command.weights for command in commands_of(history, SetWeights)] == [
        {"v2": 10.0, "v1": 90.0}, {"v2": 100.0, "v1": 0.0}]


def test_a_bad_candidate_in_an_a_b_test_is_rolled_back_and_the_matching_users_return() -> None:
    strategy, cluster, _, history = drive_plan(ab_plan(threshold=2, iterations=10), [FAIL])
    rolled_back = decision(history)
    assert rolled_back is not None and rolled_back.outcome == "rolled_back"
    assert rolled_back.reason == "failed checks threshold reached 2: errors: 5.00 > 1"
    assert next(snapshot.at for snapshot in history if rolled_back in snapshot.commands) == 240.0
    assert cluster.weights == {"v1": 100.0} and cluster.desired["v2"] == 0
    assert strategy.state is Phase.FAILED and strategy.iterations == 1  # failed checks hold the iterations


def test_a_held_confirm_promotion_gate_keeps_the_matching_users_on_the_canary() -> None:
    from simulator.strategies.flagger import Webhook

    gate = Webhook(name="approve", kind="confirm-promotion", answers=((0.0, False), (600.0, True)))
    _, cluster, _, history = drive_plan(ab_plan(webhooks=(gate,)), [PASS])
    promoted = decision(history)
    assert promoted is not None and next(s.at for s in history if promoted in s.commands) == 600.0
    held = [snapshot for snapshot in history if 240.0 <= snapshot.at < 600.0]
    assert held and all(snapshot.weights == {"v2": 10.0, "v1": 90.0} for snapshot in held)


def test_session_affinity_is_asked_for_once_with_the_first_canary_weight() -> None:
    canary = ab_plan(iterations=0, match_share=None, step_weight=20, max_weight=40, session_affinity_s=600.0)
    _, _, _, history = drive_plan(canary, [PASS])
    affinity = commands_of(history, SessionAffinity)
    assert affinity == [SessionAffinity(version="v2", max_age=600.0)]
    first_weight = commands_of(history, SetWeights)[0]
    assert next(s for s in history if affinity[0] in s.commands) is next(
        s for s in history if first_weight in s.commands)


def test_without_session_affinity_none_is_asked_for() -> None:
    _, _, _, history = drive_plan(ab_plan(iterations=0, match_share=None, step_weight=20, max_weight=40), [PASS])
    assert commands_of(history, SessionAffinity) == []


# the manifests -----------------------------------------------------------------------------------------


def canary_document(**analysis: Any) -> dict[str, Any]:
    base = {"interval": "1m", "threshold": 2, "iterations": 5, "match": MATCH,
            "metrics": [{"name": "request-duration", "thresholdRange": {"max": 250}, "interval": "1m"}]}
    base.update(analysis)
    return {"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": "recommender", "namespace": "ml"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "recommender"},
                     "service": {"port": 8080},
                     "analysis": {key: value for key, value in base.items() if value is not None}}}


def config(tmp_path: Path, document: dict[str, Any], **entry: Any) -> FlaggerCanaryConfig:
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(document))
    return FlaggerCanaryConfig.model_validate({"from": "canary.yaml", "path": str(path), **entry})


def test_match_share_is_the_plan_s_percentage_of_matching_users(tmp_path: Path) -> None:
    plan, _, _ = plan_from_manifests(config(tmp_path, canary_document(), matchShare="5%"))
    assert plan.match_share == pytest.approx(5.0) and plan.ab_testing and plan.iterations == 5


def test_session_affinity_s_max_age_reaches_the_plan(tmp_path: Path) -> None:
    document = canary_document(match=None, iterations=None, stepWeight=10,
                               sessionAffinity={"cookieName": "flagger-cookie", "maxAge": 120})
    plan, _, _ = plan_from_manifests(config(tmp_path, document))
    assert plan.session_affinity_s == 120.0 and not plan.ab_testing


# in the world ----------------------------------------------------------------------------------------------


def scenario_file(tmp_path: Path, document: dict[str, Any], entry: dict[str, Any] | None = None, *,
                  candidate: dict[str, Any] | None = None, users: int = 5000) -> Path:
    (tmp_path / "peers").mkdir(exist_ok=True)
    (tmp_path / "peers" / "canary.yaml").write_text(yaml.safe_dump(document))
    stable = {"accuracy": 0.9, "latency": {"p50": "40ms", "p99": "160ms"}, "error_rate": 0.002, "startup": "30s"}
    data = {
        "name": "flagger-ab", "seed": 4, "horizon": "30m", "traffic": {"rate": "120/s", "users": users},
        "service": {"replicas": 6, "concurrency": 4, "timeout": "3s"},
        "versions": {"v1": stable, "v2": {**stable, **(candidate or {})}}, "stable": "v1", "candidate": "v2",
        "monitoring": {"scrape_interval": "15s"},
        "strategies": {"ab": {"from": "peers/canary.yaml", **(entry or {})}},
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def served(monkeypatch):
    """Every user request the world records, with the world that recorded it."""
    seen: list[tuple[World, dict[str, np.ndarray]]] = []
    record = World._record

    def spy(self: World, chunks) -> None:
        chunks = list(chunks)  # the data plane hands them over lazily, once
        for chunk in chunks:
            users = ~chunk["shadow"] & ~chunk["synthetic"]
            seen.append((self, {name: chunk[name][users] for name in ("arrival", "user", "version")}))
        record(self, chunks)

    monkeypatch.setattr(World, "_record", spy)
    return seen


def requests_of(served) -> tuple[World, dict[str, np.ndarray]]:
    world = served[0][0]
    columns = {name: np.concatenate([chunk[name] for _, chunk in served]) for name in ("arrival", "user", "version")}
    return world, columns


def test_exactly_the_matching_users_are_on_the_canary_each_always(tmp_path: Path, served) -> None:
    scenario = until_rollout_end(load_scenario(scenario_file(tmp_path, canary_document(), {"matchShare": "10%"})))
    result = run(scenario, "ab", 4)
    assert result.outcome == "promoted", result.reason
    world, requests = requests_of(served)
    v2 = world.index("v2")
    during = (requests["arrival"] >= 60.0) & (requests["arrival"] < result.decision_time_s)
    users, on_canary = requests["user"][during], requests["version"][during] == v2
    matching = world.user_buckets >= 0.9  # the last 10 % of the sticky split: v1 90 %, then v2 10 %
    assert np.array_equal(on_canary, matching[users])  # every request of a matching user, and no other
    assert 0.08 < on_canary.mean() < 0.12
    canary_users, other_users = set(users[on_canary]), set(users[~on_canary])
    assert canary_users and not canary_users & other_users  # nobody on both sides
    before = requests["arrival"] < 60.0
    assert not (requests["version"][before] == v2).any()  # nobody before the first iteration


def test_a_slow_candidate_in_an_a_b_test_is_rolled_back_having_served_only_the_matching_users(
        tmp_path: Path) -> None:
    path = scenario_file(tmp_path, canary_document(), {"matchShare": 0.05},
                         candidate={"latency": {"p50": "80ms", "p99": "320ms"}})
    result = run(until_rollout_end(load_scenario(path)), "ab", 4)
    assert result.outcome == "rolled_back" and result.decision_time_s == 240.0
    assert result.reason.startswith("failed checks threshold reached 2: request-duration")
    assert 0.03 * 120 * 180 < result.candidate_requests < 0.07 * 120 * 180  # 5 % of 3 minutes


@pytest.mark.parametrize(("entry", "document", "message"), [
    ({}, canary_document(), "strategies.ab.matchShare: Canary recommender routes the requests that match"),
    ({"matchShare": "10%"}, canary_document(match=None), "strategies.ab.matchShare: got matchShare 0.1 but Canary"),
    ({"matchShare": 1.5}, canary_document(), "strategies.ab.matchShare"),
])
def test_match_share_is_required_with_match_and_only_then(tmp_path: Path, entry, document, message) -> None:
    with pytest.raises(ScenarioError) as raised:
        load_scenario(scenario_file(tmp_path, document, entry))
    assert message in str(raised.value)


def test_session_affinity_keeps_every_user_who_met_the_canary_on_it(tmp_path: Path, served) -> None:
    document = canary_document(match=None, iterations=None, stepWeight=10, maxWeight=30,
                               sessionAffinity={"cookieName": "flagger-cookie", "maxAge": 3600})
    result = run(until_rollout_end(load_scenario(scenario_file(tmp_path, document, users=3000))), "ab", 4)
    assert result.outcome == "promoted", result.reason
    world, requests = requests_of(served)
    v2 = world.index("v2")
    order = np.argsort(requests["arrival"], kind="stable")
    arrival, users, on_canary = (requests[name][order] for name in ("arrival", "user", "version"))
    on_canary = on_canary == v2
    before = arrival < result.decision_time_s
    met = np.full(world.user_buckets.shape, np.inf)
    np.minimum.at(met, users[before & on_canary], arrival[before & on_canary])
    later = before & (arrival > met[users])
    assert later.sum() > 1000 and on_canary[later].all()  # after meeting the canary, always on it
    first_step = (arrival >= 75.0) & (arrival < 120.0)  # canary weight 10 % from 60 s
    assert on_canary[first_step].mean() > 0.15  # the share runs ahead of the weight


def test_without_session_affinity_a_user_who_met_the_canary_comes_back_to_the_primary(tmp_path: Path,
                                                                                       served) -> None:
    document = canary_document(match=None, iterations=None, stepWeight=10, maxWeight=30)
    result = run(until_rollout_end(load_scenario(scenario_file(tmp_path, document, users=3000))), "ab", 4)
    world, requests = requests_of(served)
    on_canary = requests["version"] == world.index("v2")
    window = (requests["arrival"] >= 75.0) & (requests["arrival"] < 120.0)
    assert 0.07 < on_canary[window].mean() < 0.13
    assert result.outcome == "promoted"


def test_a_rollback_voids_the_session_affinity_cookies(tmp_path: Path, served) -> None:
    document = canary_document(match=None, iterations=None, stepWeight=10, maxWeight=30,
                               sessionAffinity={"cookieName": "flagger-cookie", "maxAge": 3600})
    slow = {"latency": {"p50": "80ms", "p99": "320ms"}}
    path = scenario_file(tmp_path, document, users=3000, candidate=slow)
    result = run(load_scenario(path), "ab", 4)  # the whole window: users come back long after the rollback
    assert result.outcome == "rolled_back"
    world, requests = requests_of(served)
    on_canary = requests["version"] == world.index("v2")
    assert on_canary[requests["arrival"] < result.decision_time_s].sum() > 1000  # many users got the cookie
    assert not on_canary[requests["arrival"] > result.decision_time_s].any()  # and none is sent back there
