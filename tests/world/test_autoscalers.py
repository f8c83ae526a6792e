"""The KPA's and the HPA's decisions, step by step, against the rules their documentation states."""

from __future__ import annotations

import pytest

from simulator.scenario.autoscaling_config import AutoscalingConfig
from simulator.world.autoscalers import HpaDecider, KpaDecider


def config(**fields) -> AutoscalingConfig:
    return AutoscalingConfig.model_validate({"kind": "kpa", "min": 1, "max": 100, "target": 10, **fields})


def test_kpa_asks_for_the_stable_window_s_load_over_the_target_rounded_up() -> None:
    kpa = KpaDecider(config(), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=95.0, panic_value=95.0, ready=10) == 10
    assert kpa.decide(2.0, stable_value=101.0, panic_value=101.0, ready=10) == 11
    assert not kpa.panicking


def test_kpa_scales_down_at_most_to_half_the_ready_pods_per_decision() -> None:
    kpa = KpaDecider(config(), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=5.0, panic_value=5.0, ready=10) == 5
    assert kpa.decide(2.0, stable_value=5.0, panic_value=5.0, ready=5) == 2
    assert kpa.decide(4.0, stable_value=5.0, panic_value=5.0, ready=2) == 1


def test_kpa_panics_at_twice_the_ready_pods_and_does_not_scale_down_until_a_stable_window_after() -> None:
    kpa = KpaDecider(config(), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=40.0, panic_value=200.0, ready=10) == 20  # 20 / 10 >= 200 %: panic
    assert kpa.panicking
    # the burst passes: the panic window's count falls, but a panicking autoscaler keeps its largest count
    assert kpa.decide(30.0, stable_value=40.0, panic_value=40.0, ready=20) == 20
    assert kpa.decide(59.0, stable_value=40.0, panic_value=40.0, ready=20) == 20
    assert kpa.decide(60.0, stable_value=40.0, panic_value=40.0, ready=20) == 10  # 60 s after: stable again
    assert not kpa.panicking


def test_below_the_panic_threshold_kpa_follows_the_stable_window() -> None:
    kpa = KpaDecider(config(), target_per_pod=10.0)
    # ceil(190 / 10) / 10 pods = 1.9 < 200 %; ceil(191 / 10) = 20 would panic (the count is rounded up first)
    assert kpa.decide(0.0, stable_value=100.0, panic_value=190.0, ready=10) == 10
    assert not kpa.panicking


def test_kpa_stays_within_min_and_max() -> None:
    kpa = KpaDecider(config(min=3, max=12), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=0.0, panic_value=0.0, ready=4) == 3
    assert kpa.decide(2.0, stable_value=500.0, panic_value=500.0, ready=4) == 12


def hpa_config(**fields) -> AutoscalingConfig:
    return config(**{"kind": "hpa", "metric": "concurrency", **fields})


def test_hpa_leaves_a_ratio_within_the_tolerance_alone_and_scales_by_the_ratio_otherwise() -> None:
    hpa = HpaDecider(hpa_config(), target_per_pod=10.0)
    assert hpa.decide(0.0, metric_per_pod=10.9, replicas=10, ready=10) == 10  # 1.09: within 10 %
    assert hpa.decide(15.0, metric_per_pod=11.5, replicas=10, ready=10) == 12  # ceil(10 x 1.15)


def test_hpa_scales_down_only_to_the_highest_proposal_of_the_stabilization_window() -> None:
    hpa = HpaDecider(hpa_config(), target_per_pod=10.0)
    assert hpa.decide(0.0, metric_per_pod=10.0, replicas=10, ready=10) == 10
    wanted = [hpa.decide(t, metric_per_pod=2.0, replicas=10, ready=10) for t in range(15, 301, 15)]
    assert wanted == [10] * len(wanted)  # the proposal of 10 at 0 s is still within 300 s
    assert hpa.decide(315.0, metric_per_pod=2.0, replicas=10, ready=10) == 2


def test_hpa_scale_up_is_limited_to_4_pods_or_100_percent_per_15_seconds() -> None:
    hpa = HpaDecider(hpa_config(max=1000), target_per_pod=10.0)
    assert hpa.decide(0.0, metric_per_pod=100.0, replicas=2, ready=2) == 6  # max(2 + 4, 2 x 2)
    assert hpa.decide(15.0, metric_per_pod=100.0, replicas=6, ready=6) == 12  # max(6 + 4, 6 x 2)
    assert hpa.decide(20.0, metric_per_pod=100.0, replicas=12, ready=6) == 12  # within the same 15 s: no more


def test_hpa_without_metrics_keeps_the_count() -> None:
    hpa = HpaDecider(hpa_config(), target_per_pod=10.0)
    assert hpa.decide(0.0, metric_per_pod=None, replicas=7, ready=0) == 7


@pytest.mark.parametrize(("fields", "message"), [
    ({"metric": "cpu", "target": "70%"}, "expected concurrency or rps"),
    ({"kind": "hpa", "metric": "cpu", "target": 3}, "expected a percentage such as 70%"),
    ({"metric": "rps", "target": "70%"}, "expected requests per second per pod"),
    ({"min": 5, "max": 4}, "expected max >= min"),
    ({"min": -1}, "greater than or equal to 0"),
    ({"kind": "hpa", "min": 0}, "scale to zero is Knative's, kind kpa"),
    ({"target": "170%"}, "at most 100%"),
    ({"target": -2}, "a number above 0"),
])
def test_autoscaling_that_cannot_run_is_refused(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config(**fields)


def test_kpa_compares_the_rounded_up_panic_count_with_the_threshold() -> None:
    kpa = KpaDecider(config(), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=100.0, panic_value=191.0, ready=10) == 20
    assert kpa.panicking


def test_kpa_with_min_0_keeps_the_last_pod_for_the_grace_period_then_scales_to_zero() -> None:
    kpa = KpaDecider(config(min=0, stable_window="60s", scale_to_zero_grace_period="30s"), target_per_pod=10.0)
    assert kpa.decide(100.0, stable_value=0.0, panic_value=0.0, ready=1) == 1  # first 0: the grace starts
    assert kpa.decide(128.0, stable_value=0.0, panic_value=0.0, ready=1) == 1
    assert kpa.decide(130.0, stable_value=0.0, panic_value=0.0, ready=1) == 0
    assert kpa.decide(132.0, stable_value=0.0, panic_value=0.0, ready=0) == 0  # stays at zero


def test_kpa_load_during_the_grace_period_starts_it_again() -> None:
    kpa = KpaDecider(config(min=0, scale_to_zero_grace_period="30s"), target_per_pod=10.0)
    assert kpa.decide(100.0, stable_value=0.0, panic_value=0.0, ready=1) == 1
    assert kpa.decide(120.0, stable_value=0.5, panic_value=0.0, ready=1) == 1  # load: no longer going to zero
    assert kpa.decide(140.0, stable_value=0.0, panic_value=0.0, ready=1) == 1
    assert kpa.decide(169.0, stable_value=0.0, panic_value=0.0, ready=1) == 1
    assert kpa.decide(170.0, stable_value=0.0, panic_value=0.0, ready=1) == 0


def test_kpa_woken_from_zero_starts_the_activation_scale_and_stays_a_stable_window() -> None:
    kpa = KpaDecider(config(min=0, max=3, activation_scale=5, scale_to_zero_grace_period="0s"), target_per_pod=10.0)
    assert kpa.woken(500.0) == 3  # the activation scale, within max
    assert kpa.decide(530.0, stable_value=0.0, panic_value=0.0, ready=1) == 1  # active less than a stable window
    assert kpa.decide(560.0, stable_value=0.0, panic_value=0.0, ready=1) == 0


def test_kpa_with_min_1_never_goes_to_zero() -> None:
    kpa = KpaDecider(config(min=1, scale_to_zero_grace_period="0s"), target_per_pod=10.0)
    assert [kpa.decide(t, 0.0, 0.0, 1) for t in (100.0, 200.0, 300.0)] == [1, 1, 1]


def test_kpa_scale_down_delay_scales_down_only_to_the_highest_count_of_the_delay() -> None:
    kpa = KpaDecider(config(scale_down_delay="30s"), target_per_pod=10.0)
    assert kpa.decide(0.0, stable_value=80.0, panic_value=80.0, ready=8) == 8
    assert kpa.decide(2.0, stable_value=40.0, panic_value=40.0, ready=8) == 8  # within the delay: held
    assert kpa.decide(28.0, stable_value=40.0, panic_value=40.0, ready=8) == 8
    assert kpa.decide(30.0, stable_value=40.0, panic_value=40.0, ready=8) == 4  # the 8 of t=0 left the window
    assert kpa.decide(32.0, stable_value=90.0, panic_value=90.0, ready=4) == 9  # scaling up is not delayed
    # without a delay the same measurements scale down at once
    plain = KpaDecider(config(), target_per_pod=10.0)
    assert [plain.decide(t, v, v, 8) for t, v in ((0.0, 80.0), (2.0, 40.0))] == [8, 4]


def test_hpa_counts_starting_pods_at_0_when_scaling_up_and_skips_a_scale_up_they_cancel() -> None:
    hpa = HpaDecider(hpa_config(max=1000), target_per_pod=10.0)
    # 4 ready pods at 1.15x: with 2 more starting, (4 x 1.15 + 0) / 6 = 0.77 points down: no change
    assert hpa.decide(0.0, metric_per_pod=11.5, replicas=6, ready=4, starting=2) == 6
    # at 2x the starting pods only dampen it: ceil(6 x (4 x 2 + 0) / 6) = 8
    assert hpa.decide(15.0, metric_per_pod=20.0, replicas=6, ready=4, starting=2) == 8


@pytest.mark.parametrize(("metric", "target", "per_pod", "expected"), [
    ("concurrency", 10.0, 5.0, 4),  # starting pods count as at the target: ceil(6 x (4 x 0.5 + 2) / 6) = 4
    ("cpu", 0.7, 0.35, 2),  # cpu sets unready pods aside: ceil(4 x 0.5) = 2
])
def test_hpa_scaling_down_counts_starting_pods_at_the_target_except_for_cpu(metric: str, target: float,
                                                                            per_pod: float, expected: int) -> None:
    fields = {"metric": metric, "target": "70%" if metric == "cpu" else target, "scale_down_stabilization": "0s"}
    hpa = HpaDecider(hpa_config(**fields), target_per_pod=target)
    assert hpa.decide(0.0, metric_per_pod=per_pod, replicas=6, ready=4, starting=2) == expected
