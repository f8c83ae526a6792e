"""Rollouts read into plans: the defaults Argo applies to what a manifest leaves out."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.scenario.manifest_strategy_config import ArgoRolloutConfig
from simulator.strategies.argo.from_manifests import blue_green_plan_from_manifests, plan_from_manifests
from tests.helpers import SCENARIOS

ROUTED = SCENARIOS / "peers" / "argo-canary-background.yaml"


def config_of(path: Path) -> ArgoRolloutConfig:
    return ArgoRolloutConfig.model_validate({"from": str(path), "path": str(path)})


@pytest.mark.parametrize(("extra", "abort_delay"), [
    ("", 30.0),                                              # unset: 30 s
    ("      dynamicStableScale: true\n", 0.0),               # unset with dynamicStableScale: as the traffic leaves
    ("      dynamicStableScale: true\n      abortScaleDownDelaySeconds: 45\n", 45.0),
    ("      abortScaleDownDelaySeconds: 0\n", None),         # 0: the aborted canary keeps its pods
])
def test_the_abort_scale_down_delay_follows_argo_s_defaults(tmp_path: Path, extra: str,
                                                             abort_delay: float | None) -> None:
    text = ROUTED.read_text()
    anchor = "      canaryService: ranker-canary\n"
    path = tmp_path / "rollout.yaml"
    path.write_text(text.replace(anchor, anchor + extra, 1))
    plan, _ = plan_from_manifests(config_of(path))
    assert plan.abort_delay() == abort_delay


def test_a_blue_green_rollout_gives_its_plan_and_the_services_of_each_version() -> None:
    plan, services = blue_green_plan_from_manifests(config_of(SCENARIOS / "peers" / "argo-blue-green.yaml"))
    assert (plan.replicas, plan.preview_size, plan.auto_promotion_s, plan.scale_down_delay_s) == (6, 6, 60.0, 300.0)
    assert plan.abort_delay() == 30.0 and plan.pre_promotion is not None and plan.post_promotion is not None
    assert services == {"stable": ("recommender-active", "recommender"),
                        "canary": ("recommender-preview", "recommender-active", "recommender")}
