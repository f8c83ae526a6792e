"""The Flagger canary's scheduler rules, driven by hand: failed checks, weights, promotion, webhooks."""

from __future__ import annotations

import math

import pytest

from simulator.commands import Decide, Mirror, ScaleTo, SetWeights
from simulator.errors import StrategyError
from simulator.observations import QueryFailure
from simulator.strategies.flagger import FlaggerCanaryStrategy, FlaggerPlan, MetricCheck, Phase, Webhook
from simulator.strategies.watch import PAUSE_SECONDS
from tests.strategies.argo.harness import Cluster, ScriptedPrometheus, commands_of, decision, drive, finished, notes

QUERY = "error_percentage"
PASS, FAIL = [0.2], [5.0]


def plan(**changes) -> FlaggerPlan:
    """A canary checking one metric (at most 1) every minute, 10 % a step up to 50 %, one failed check to roll back."""
    fields = {"name": "recommender", "namespace": "ml", "target": "recommender", "interval_s": 60.0, "threshold": 1,
              "step_weight": 10, "max_weight": 50,
              "checks": (MetricCheck(name="errors", source="template", comparison="value", query=QUERY,
                                     threshold_range=(None, 1.0)),)}
    return FlaggerPlan(**{**fields, **changes})


def run(flagger_plan: FlaggerPlan, answers, *, startup_s: float = 0.0, until: float = 86_400.0):
    prometheus = ScriptedPrometheus({QUERY: answers})
    cluster = Cluster(replicas=6, startup_s=startup_s, prometheus=prometheus)
    strategy = FlaggerCanaryStrategy(flagger_plan)
    history = drive(strategy, cluster, until=until)
    return strategy, cluster, prometheus, history


def canary_weights(history) -> list[tuple[float, float]]:
    return [(snapshot.at, command.weights["v2"]) for snapshot in history for command in snapshot.commands
            if isinstance(command, SetWeights)]


def decided_at(history) -> float:
    return next(snapshot.at for snapshot in history for command in snapshot.commands if isinstance(command, Decide))


# failed checks --------------------------------------------------------------------


def test_a_passing_check_between_two_failures_does_not_reset_the_count() -> None:
    # t=0 scale up, 60 first weight, 120 fail (1), 180 pass (weight 20), 240 fail (2), 300 roll back
    strategy, cluster, prometheus, history = run(plan(threshold=2), [FAIL, PASS, FAIL, PASS])
    assert prometheus.times(QUERY) == [120.0, 180.0, 240.0]
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back"
    assert rolled_back.reason == "failed checks threshold reached 2: errors: 5.00 > 1"
    assert decided_at(history) == 300.0  # at the check after the second failure, before measuring again
    assert canary_weights(history) == [(60.0, 10.0), (180.0, 20.0), (300.0, 0.0)]
    assert cluster.desired["v2"] == 0 and cluster.weights == {"v1": 100.0}
    assert strategy.state is Phase.FAILED and finished(history)


def test_threshold_counts_failed_checks_one_per_check() -> None:
    _, _, prometheus, history = run(plan(threshold=3), [FAIL])
    assert prometheus.times(QUERY) == [120.0, 180.0, 240.0]
    assert decided_at(history) == 300.0
    counts = [note.data["failed_checks"] for note in notes(history, "check")]
    assert counts == [1, 2, 3]


@pytest.mark.parametrize("answer", [[], [math.nan], QueryFailure("bad_data: parse error"), 0.3],
                         ids=["empty vector", "NaN", "failed query", "scalar"])
def test_a_query_without_a_vector_value_is_a_failed_check(answer) -> None:
    _, _, prometheus, history = run(plan(), [answer])
    assert prometheus.times(QUERY) == [120.0]
    rolled_back = decision(history)
    assert rolled_back.outcome == "rolled_back" and decided_at(history) == 180.0
    failure = notes(history, "check")[0]
    assert failure.data["verdict"] == "fail" and failure.data["measured"] is None


def test_the_last_element_of_a_vector_is_the_value() -> None:
    _, _, _, history = run(plan(threshold=1), [[9.0, 0.5]])
    assert decision(history).outcome == "promoted"


def test_metrics_are_checked_in_order_until_one_fails() -> None:
    second = MetricCheck(name="latency", source="query", comparison="value", query="latency",
                         threshold_range=(None, 100.0))
    prometheus = ScriptedPrometheus({QUERY: [FAIL], "latency": [[1.0]]})
    cluster = Cluster(replicas=6, prometheus=prometheus)
    history = drive(FlaggerCanaryStrategy(plan(checks=(plan().checks[0], second))), cluster)
    assert prometheus.times("latency") == []  # the first metric failed: the second is not queried
    assert decision(history).outcome == "rolled_back"


def test_a_metric_whose_template_did_not_render_fails_every_check() -> None:
    broken = MetricCheck(name="errors", source="template", comparison="value", query=None,
                         render_error="map has no entry for key 'direction'")
    _, _, prometheus, history = run(plan(checks=(broken,)), [PASS])
    assert prometheus.asked == []
    assert "map has no entry for key 'direction'" in decision(history).reason


def test_a_check_needs_a_prometheus_reader() -> None:
    cluster = Cluster(replicas=6)
    with pytest.raises(StrategyError, match="no Prometheus reader"):
        drive(FlaggerCanaryStrategy(plan()), cluster)


# weights and promotion ------------------------------------------------------------


def test_step_weight_goes_past_max_weight_once_then_promotes_at_the_next_passing_check() -> None:
    strategy, cluster, _, history = run(plan(step_weight=20, max_weight=50), [PASS])
    assert canary_weights(history) == [(60.0, 20.0), (120.0, 40.0), (180.0, 60.0), (240.0, 100.0)]
    promoted = decision(history)
    assert promoted.outcome == "promoted" and decided_at(history) == 240.0
    assert cluster.desired == {"v1": 0, "v2": 6} and cluster.weights == {"v2": 100.0}
    phases = [note.detail for note in notes(history, "phase")]
    assert phases[-3:] == ["Copying recommender.ml template spec to recommender-primary.ml",
                           "Routing all traffic to primary", "Promotion completed! Scaling down recommender.ml"]
    assert history[-1].at == 360.0 and strategy.state is Phase.SUCCEEDED and finished(history)


def test_step_weights_are_taken_in_their_order_and_the_last_is_the_top() -> None:
    _, _, _, history = run(plan(step_weight=0, step_weights=(5, 10, 25, 50)), [PASS])
    assert [weight for _, weight in canary_weights(history)] == [5.0, 10.0, 25.0, 50.0, 100.0]
    assert decided_at(history) == 300.0


def test_step_weight_promotion_moves_traffic_back_to_the_primary_in_steps() -> None:
    _, _, _, history = run(plan(step_weight=25, max_weight=50, step_weight_promotion=20), [PASS])
    assert decided_at(history) == 180.0
    primary = [note.detail for note in notes(history, "phase") if "primary weight" in note.detail]
    assert primary == ["Advance recommender.ml primary weight 70", "Advance recommender.ml primary weight 90",
                       "Advance recommender.ml primary weight 100"]
    assert history[-1].at == 180.0 + 4 * 60.0  # three steps back, then the canary scaled down


def test_skip_analysis_promotes_once_the_canary_is_ready_without_measuring() -> None:
    strategy, cluster, prometheus, history = run(plan(skip_analysis=True), [FAIL], startup_s=30.0)
    assert prometheus.asked == []
    assert decision(history).outcome == "promoted" and decided_at(history) == 60.0
    assert cluster.weights == {"v2": 100.0} and cluster.desired["v1"] == 0
    assert strategy.state is Phase.SUCCEEDED and history[-1].at == 60.0


def test_the_analysis_starts_once_the_canary_is_ready() -> None:
    _, _, prometheus, history = run(plan(), [PASS], startup_s=90.0)
    assert canary_weights(history)[0] == (120.0, 10.0)  # not ready at 60 s
    assert prometheus.times(QUERY)[0] == 180.0


def test_a_canary_never_ready_is_rolled_back_after_the_progress_deadline() -> None:
    _, _, prometheus, history = run(plan(progress_deadline_s=300.0), [PASS], startup_s=10_000.0)
    assert prometheus.asked == []
    rolled_back = decision(history)
    assert "progress deadline 300s exceeded" in rolled_back.reason and decided_at(history) == 360.0


def test_mirror_copies_the_traffic_for_one_check_before_the_first_weight() -> None:
    _, _, prometheus, history = run(plan(mirror=True, mirror_weight=50), [PASS])
    mirrors = commands_of(history, Mirror)
    assert [(mirror.version, mirror.percentage) for mirror in mirrors] == [("v2", 50.0), ("v2", 0.0)]
    assert canary_weights(history)[:2] == [(60.0, 0.0), (120.0, 10.0)]
    assert prometheus.times(QUERY)[0] == 120.0  # the mirrored traffic is measured


# blue-green ------------------------------------------------------------------------


def test_iterations_check_at_zero_then_switch_all_traffic_then_promote() -> None:
    _, _, prometheus, history = run(plan(iterations=3, step_weight=0), [PASS])
    # 60 start (pre-rollout) + iteration 1; 120, 180 iterations 2, 3; 240 all traffic to the canary; 300 promoted
    assert canary_weights(history) == [(240.0, 100.0), (300.0, 100.0)]  # then the copy: the candidate serves all
    assert prometheus.times(QUERY) == [120.0, 180.0, 240.0, 300.0]
    assert decision(history).outcome == "promoted" and decided_at(history) == 300.0


def test_blue_green_with_mirror_mirrors_throughout_the_iterations() -> None:
    _, _, _, history = run(plan(iterations=2, step_weight=0, mirror=True), [PASS])
    mirrors = [(snapshot.at, command.percentage) for snapshot in history for command in snapshot.commands
               if isinstance(command, Mirror)]
    assert mirrors == [(60.0, 100.0), (180.0, 0.0)]


# webhooks --------------------------------------------------------------------------


def gate(kind: str, *answers: tuple[float, bool], name: str = "gate", default: bool = True) -> Webhook:
    return Webhook(name=name, kind=kind, default=default, answers=answers)


def test_a_held_confirm_promotion_keeps_checking_and_promotes_once_it_passes() -> None:
    hook = gate("confirm-promotion", (0.0, False), (1000.0, True))
    strategy, _, prometheus, history = run(plan(step_weight=25, max_weight=50, webhooks=(hook,)), [PASS])
    # top weight 50 % at 120 s; held from 180 s; the metrics are still measured at every check
    assert canary_weights(history)[:2] == [(60.0, 25.0), (120.0, 50.0)]
    assert [time for time in prometheus.times(QUERY) if time > 180.0] == [240.0, 300.0, 360.0, 420.0, 480.0,
                                                                            540.0, 600.0, 660.0, 720.0, 780.0,
                                                                            840.0, 900.0, 960.0, 1020.0]
    assert decided_at(history) == 1020.0 and decision(history).outcome == "promoted"
    held = [note for note in notes(history, "phase") if "promotion approval" in note.detail]
    assert len(held) == 1 and held[0].data["phase"] == "waiting_promotion"
    assert [note.data["answer"] for note in notes(history, "webhook")] == ["hold", "pass"]


def test_failed_checks_count_while_the_promotion_is_held() -> None:
    hook = gate("confirm-promotion", (0.0, False))
    strategy, _, prometheus, history = run(plan(step_weight=50, max_weight=50, threshold=2, webhooks=(hook,)),
                                           [PASS, PASS, FAIL, FAIL])
    # 60 s: 50 %; 120 s passes, held; 180 s passes, held; 240 s and 300 s fail; 360 s rolled back
    assert prometheus.times(QUERY) == [120.0, 180.0, 240.0, 300.0]
    assert decision(history).outcome == "rolled_back" and decided_at(history) == 360.0


def test_a_held_confirm_rollout_counts_nothing_and_the_run_stays_incomplete() -> None:
    hook = gate("confirm-rollout", (0.0, False))
    strategy, cluster, prometheus, history = run(plan(webhooks=(hook,)), [FAIL])
    assert strategy.state is Phase.WAITING and strategy.failed_checks == 0
    assert cluster.desired["v2"] == 0 and prometheus.asked == []
    assert decision(history) is None and history[-1].commands[-1].seconds == PAUSE_SECONDS
    assert notes(history, "paused")


def test_a_confirm_rollout_released_later_starts_the_rollout_at_the_next_check() -> None:
    hook = gate("confirm-rollout", (0.0, False), (150.0, True))
    _, cluster, _, history = run(plan(webhooks=(hook,)), [PASS])
    scaled = [snapshot.at for snapshot in history for command in snapshot.commands
              if isinstance(command, ScaleTo) and command.version == "v2" and command.replicas == 6]
    assert scaled == [180.0]
    assert decision(history).outcome == "promoted"


def test_a_failing_pre_rollout_webhook_is_a_failed_check() -> None:
    hook = gate("pre-rollout", (0.0, False), name="smoke")
    _, _, prometheus, history = run(plan(threshold=2, webhooks=(hook,)), [PASS])
    assert prometheus.asked == [] and canary_weights(history) == [(180.0, 0.0)]
    assert decision(history).reason == "failed checks threshold reached 2: pre-rollout check smoke failed"


def test_a_failing_rollout_webhook_fails_the_check_before_the_metrics() -> None:
    hook = gate("rollout", (100.0, False), name="load-test")
    _, _, prometheus, history = run(plan(webhooks=(hook,)), [PASS])
    assert prometheus.times(QUERY) == []  # 120 s: the webhook fails first
    assert decision(history).reason == "failed checks threshold reached 1: external check load-test failed"


def test_a_held_confirm_traffic_increase_holds_the_weight_without_counting() -> None:
    hook = gate("confirm-traffic-increase", (90.0, False), (300.0, True))
    strategy, _, _, history = run(plan(webhooks=(hook,)), [PASS])
    assert canary_weights(history)[:2] == [(60.0, 10.0), (300.0, 20.0)]
    assert decision(history).outcome == "promoted"


def test_a_rollback_webhook_that_passes_rolls_back() -> None:
    hook = gate("rollback", (200.0, True), name="manual", default=False)
    _, _, _, history = run(plan(webhooks=(hook,)), [PASS])
    assert decided_at(history) == 240.0
    assert decision(history).reason == "rollback webhook manual signalled a rollback"


def test_a_promotion_gate_held_for_good_says_so_once_and_the_checks_go_on() -> None:
    hook = gate("confirm-promotion", (0.0, False), name="approve")
    strategy, _, prometheus, history = run(plan(step_weight=50, max_weight=50, webhooks=(hook,)), [PASS],
                                           until=3600.0)
    paused = notes(history, "paused")
    assert [note.detail for note in paused] == ["confirm-promotion webhook approve holds and the scenario never "
                                                "passes it; the checks go on"]
    assert strategy.state is Phase.WAITING_PROMOTION and decision(history) is None
    assert prometheus.times(QUERY) == [60.0 * minute for minute in range(2, 60)]  # every minute until the hour
