"""Pod counts of Argo's basic canary (maxSurge/maxUnavailable) and of a traffic-routed one.

The expected counts are worked out by hand from Argo's rules, or are
examples Argo itself states: its canary documentation (10 replicas at 10 %:
1 canary and 9 stable; at 41 %: 4 and 6; an exact tie rounds the canary
up), and the first-reconciliation examples it lists for its basic-canary
replica calculation.
"""

from __future__ import annotations

import pytest

from simulator.commands import RouteByReplicas, ScaleTo
from simulator.strategies.argo import (
    ArgoCanaryPlan,
    ArgoCanaryStrategy,
    Pause,
    Pods,
    SetWeight,
    approximate_counts,
    basic_canary_counts,
    weight_to_replicas,
)
from tests.strategies.argo.harness import Cluster, decision, drive


@pytest.mark.parametrize(("replicas", "weight", "surge", "expected"), [
    (10, 10, 3, (1, 9)),   # Argo's docs: 10 replicas, setWeight 10: 1 canary, 9 stable
    (10, 41, 3, (4, 6)),   # Argo's docs: 41 % of 10 is closer to 4/10 than to 5/10
    (3, 50, 0, (2, 1)),    # a tie (1.5 pods) rounds the canary up
    (3, 50, 1, (2, 2)),    # with a surge pod, 2 of 4 is exactly 50 %
    (6, 10, 2, (1, 6)),    # 1 of 7 (14.3 %) is closer to 10 % than 1 of 6 (16.7 %); 0 is never chosen
    (6, 30, 2, (2, 5)),    # 2 of 7 = 28.6 %
    (6, 60, 2, (4, 3)),    # 4 of 7 = 57.1 %
    (6, 100, 2, (6, 0)),
    (6, 0, 2, (0, 6)),
    (1, 5, 0, (0, 1)),     # one replica and no surge: the canary may round to nothing
    (1, 95, 0, (1, 0)),
    (0, 50, 1, (0, 0)),
])
def test_the_closest_counts_to_a_weight(replicas: int, weight: int, surge: int, expected: tuple[int, int]) -> None:
    assert approximate_counts(replicas, weight, 100, surge) == expected


@pytest.mark.parametrize(("replicas", "weight", "surge", "unavailable", "canary", "stable", "expected"), [
    (10, 20, 2, 0, Pods(0, 0), Pods(10, 10), (2, 10)),    # the canary surges
    (10, 20, "20%", 0, Pods(0, 0), Pods(10, 10), (2, 10)),
    (10, 20, "20%", 0, Pods(2, 2), Pods(10, 10), (2, 8)),  # then the stable version shrinks
    (10, 30, 2, 0, Pods(0, 0), Pods(10, 10), (2, 10)),    # never past maxSurge
    (10, 20, 0, 2, Pods(0, 0), Pods(10, 10), (0, 8)),     # no surge: the stable version shrinks first
    (10, 20, 0, "20%", Pods(0, 0), Pods(10, 10), (0, 8)),
    (10, 30, 0, 2, Pods(0, 0), Pods(10, 10), (0, 8)),     # never past maxUnavailable
    (10, 50, 2, 1, Pods(0, 0), Pods(10, 10), (2, 9)),
    (10, 0, 1, 1, Pods(1, 1), Pods(10, 10), (0, 10)),
    (10, 100, 1, 1, Pods(10, 10), Pods(1, 1), (10, 0)),
    (10, 100, 3, 0, Pods(6, 3), Pods(7, 8), (6, 7)),      # more available than desired counts as desired
    (10, 30, 0, 3, Pods(4, 4), Pods(8, 5), (3, 7)),
    (10, 100, 1, 0, Pods(10, 8), Pods(10, 2), (9, 2)),
    (10, 5, 0, 1, Pods(0, 0), Pods(10, 10), (0, 9)),      # 0.5 pods: no surge to round into
    (10, 5, 0, 1, Pods(0, 0), Pods(9, 9), (1, 9)),
    (1, 20, 1, 0, Pods(0, 0), Pods(1, 1), (1, 1)),        # a non-zero weight never rounds the canary to 0
    (1, 90, 1, 0, Pods(0, 0), Pods(1, 1), (1, 1)),
    (1, 49, 0, 1, Pods(0, 0), Pods(1, 1), (0, 1)),        # one replica, no surge: below half stays stable
    (1, 51, 0, 1, Pods(0, 0), Pods(1, 1), (0, 0)),        # above half: the stable pod goes first
    (1, 51, 0, 1, Pods(0, 0), Pods(0, 0), (1, 0)),
])
def test_one_reconciliation_as_argo_tests_it(replicas: int, weight: int, surge: int | str, unavailable: int | str,
                                             canary: Pods, stable: Pods, expected: tuple[int, int]) -> None:
    """Cases of Argo's own unit tests of its basic-canary replica calculation (no older ReplicaSets)."""
    plan = ArgoCanaryPlan(replicas=replicas, max_surge=surge, max_unavailable=unavailable)
    assert basic_canary_counts(replicas, weight, plan.surge, plan.unavailable, canary, stable) == expected


def test_an_abort_drains_the_canary_no_faster_than_the_stable_version_comes_back() -> None:
    """6 replicas at (4 canary, 3 stable), back to weight 0: surge 2, at least 5 pods available."""
    canary, stable = Pods(4, 4), Pods(3, 3)
    assert basic_canary_counts(6, 0, 2, 1, canary, stable) == (2, 4)
    # the new stable pod is ready: 2 more may start, one canary pod may go
    assert basic_canary_counts(6, 0, 2, 1, Pods(2, 2), Pods(4, 4)) == (1, 6)
    # the 2 new stable pods are not ready yet: 1 + 4 available is the floor, nothing may go
    assert basic_canary_counts(6, 0, 2, 1, Pods(1, 1), Pods(6, 4)) == (1, 6)
    assert basic_canary_counts(6, 0, 2, 1, Pods(1, 1), Pods(6, 6)) == (0, 6)


def test_unready_canary_pods_go_first_to_keep_the_stable_pods_available() -> None:
    """6 replicas, no surge, 1 unavailable; the weight drops to 30 % while the canary's 3 pods are not ready.

    Closest to 30 % within 6 pods: (2, 4). 9 pods are over the ceiling of 6,
    and 5 must stay available: the canary may drain to 2, which leaves 4
    stable pods, 1 short of 5; that one is given back to the stable version
    and taken from the unready canary: (1, 5).
    """
    assert basic_canary_counts(6, 30, 0, 1, Pods(3, 0), Pods(6, 6)) == (1, 5)


def test_traffic_routing_sizes_the_canary_by_its_weight_rounded_up() -> None:
    assert [weight_to_replicas(5, weight) for weight in (0, 1, 20, 21, 50, 100)] == [0, 1, 1, 2, 3, 5]
    assert weight_to_replicas(10, 333, 1000) == 4  # maxTrafficWeight 1000: 33.3 % of 10 pods


def test_six_replicas_at_10_30_60_then_promoted_without_traffic_routing() -> None:
    """Worked by hand: maxSurge 25 % of 6 is 2 (rounded up), maxUnavailable 25 % is 1 (rounded down).

    At most 8 pods; at least 5 available. Each reconciliation moves once;
    another follows at once, so a row's counts are reached at one instant
    and held until the new pods are ready.

    =========  =====================================================  ========
    step       reconciliations (canary, stable)                       held at
    =========  =====================================================  ========
    10         1 of 7 is closest: (1, 6)                              (1, 6)
    30         (2, 5) at once: 2 + 5 = 7 pods, 1 + 5 = 6 available    (2, 5)
    60         wants (4, 3); room for 1 canary pod: (3, 3), 2 + 3 =   (4, 3)
               5 available; then 6 pods leave room for (4, 3)
    promotion  (5, 1): 4 + 1 = 5 available; then (6, 1); once the     (6, 1),
               canary is ready the last stable pod goes               (6, 0)
    =========  =====================================================  ========
    """
    plan = ArgoCanaryPlan(replicas=6, steps=(SetWeight(10), Pause(60), SetWeight(30), Pause(60), SetWeight(60),
                                            Pause(60)))
    cluster = Cluster(replicas=6, startup_s=20)
    history = drive(ArgoCanaryStrategy(plan), cluster)
    held = []
    for snapshot in history:
        pair = (snapshot.desired["v2"], snapshot.desired["v1"])
        if not held or held[-1] != pair:
            held.append(pair)
    assert held == [(1, 6), (2, 5), (4, 3), (6, 1), (6, 0)]
    # every single scale command keeps within 8 pods and 5 available
    desired, ready = {"v1": 6, "v2": 0}, {"v1": 6, "v2": 0}
    for snapshot in history:
        for command in snapshot.commands:
            if isinstance(command, ScaleTo):
                desired[command.version] = command.replicas
                ready[command.version] = min(ready[command.version], command.replicas)
                assert sum(desired.values()) <= 8 and sum(ready.values()) >= 5, (snapshot.now, desired, ready)
        ready = dict(snapshot.ready)
    assert all(snapshot.weights is None for snapshot in history)  # traffic follows the ready pods
    assert decision(history).outcome == "promoted"


def test_without_traffic_routing_the_traffic_share_is_the_share_of_ready_pods() -> None:
    plan = ArgoCanaryPlan(replicas=6, steps=(SetWeight(30), Pause(100)))
    cluster = Cluster(replicas=6, startup_s=20)
    history = drive(ArgoCanaryStrategy(plan), cluster, until=20)
    assert isinstance(history[0].commands[0], RouteByReplicas)
    assert (cluster.now, cluster.ready) == (20, {"v1": 5, "v2": 2})
    assert cluster.share("v2") == pytest.approx(100 * 2 / 7)
