"""An Argo Rollouts canary or blue-green made from the team's manifests: the Rollout's steps and analyses as a plan.

:class:`~simulator.scenario.manifest_strategy_config.ArgoRolloutConfig`
names the manifests; this reads its Rollout (a canary) and the
AnalysisTemplates it references into an
:class:`~simulator.strategies.argo.plan.ArgoCanaryPlan`, and says which
Kubernetes Services carry which version, for the Prometheus series the
analyses query (``service="recommender-canary"``): the stable version is
behind ``stableService`` and the Rollout's name, the candidate behind
``canaryService`` and the Rollout's name. A blue-green Rollout becomes an
:class:`~simulator.strategies.argo.blue_green_plan.ArgoBlueGreenPlan`: the
stable version behind ``activeService`` and the Rollout's name, the
candidate behind ``previewService``, ``activeService`` and the Rollout's
name (see :mod:`simulator.strategies.argo.blue_green`).

Steps the simulator does not run (``experiment``, header and mirror routes,
plugins) are an error naming the step.
"""

from __future__ import annotations

from simulator.analysis.argo import (
    AnalysisRunSpec,
    ArgContext,
    DryRun,
    RolloutArgument,
    TemplateLibrary,
    TemplateRef,
    build_analysis_run,
    parse_analysis_template,
)
from simulator.errors import ScenarioError
from simulator.scenario.manifest_strategy_config import ArgoRolloutConfig
from simulator.scenario.manifests import ManifestSet, Rollout, RolloutAnalysis
from simulator.strategies.argo.blue_green import ArgoBlueGreenStrategy
from simulator.strategies.argo.blue_green_plan import ArgoBlueGreenPlan
from simulator.strategies.argo.canary import ArgoCanaryStrategy
from simulator.strategies.argo.plan import (
    ArgoCanaryPlan,
    BackgroundAnalysis,
    CanaryStep,
    Pause,
    Promotion,
    RunAnalysis,
    SetCanaryScale,
    SetWeight,
)

__all__ = ["plan_from_manifests", "blue_green_plan_from_manifests", "argo_strategy", "SERVICE_ROLES"]

SERVICE_ROLES = ("stable", "canary")
"""The roles whose Services :attr:`ArgoCanaryStrategy.services` names."""


def _library(manifests: ManifestSet) -> TemplateLibrary:
    raws = [*manifests.analysis_templates.values(), *manifests.cluster_analysis_templates.values()]
    return TemplateLibrary(parse_analysis_template(raw.document) for raw in raws)


def _run_spec(analysis: RolloutAnalysis, rollout: Rollout, library: TemplateLibrary) -> AnalysisRunSpec:
    templates = [library.get(TemplateRef(template_name=ref.template_name, cluster_scope=ref.cluster_scope))
                 for ref in analysis.templates]
    args = [RolloutArgument.model_validate(arg.model_dump(by_alias=True, exclude_none=True)) for arg in analysis.args]
    dry_run = [DryRun(metric_name=rule.metric_name) for rule in analysis.dry_run]
    context = ArgContext(fields={"metadata.name": rollout.name, "metadata.namespace": rollout.metadata.namespace
                                 or "default"})
    return build_analysis_run(templates, args, dry_run=dry_run, context=context, library=library)


def plan_from_manifests(config: ArgoRolloutConfig) -> tuple[ArgoCanaryPlan, dict[str, tuple[str, ...]]]:
    """The plan of the config's canary Rollout, and the Services of each role (``stable``, ``canary``)."""
    manifests = config.manifests()
    rollout = manifests.rollout(config.rollout)
    canary = rollout.spec.strategy.canary
    if canary is None:
        raise ScenarioError(f"Rollout {rollout.name}: a blueGreen Rollout; expected spec.strategy.canary here "
                            "(blue_green_plan_from_manifests reads blue-green ones)")
    library = _library(manifests)
    steps: list[CanaryStep] = []
    for index, step in enumerate(canary.steps):
        where = f"Rollout {rollout.name}: spec.strategy.canary.steps[{index}]"
        if step.set_weight is not None:
            steps.append(SetWeight(step.set_weight))
        elif step.pause is not None:
            steps.append(Pause(None if step.pause.duration is None else float(step.pause.duration)))
        elif step.set_canary_scale is not None:
            scale = step.set_canary_scale
            steps.append(SetCanaryScale(replicas=scale.replicas, weight=scale.weight,
                                        match_traffic_weight=scale.match_traffic_weight))
        elif step.analysis is not None:
            steps.append(RunAnalysis(_run_spec(step.analysis, rollout, library)))
        else:
            raise ScenarioError(f"{where}: a {step.kind} step is not simulated; expected setWeight, pause, "
                                "setCanaryScale or analysis")
    background = None
    if canary.analysis is not None:
        background = BackgroundAnalysis(spec=_run_spec(canary.analysis, rollout, library),
                                        starting_step=canary.analysis.starting_step)
    try:
        plan = ArgoCanaryPlan(
            replicas=rollout.spec.replicas,
            steps=tuple(steps),
            background=background,
            traffic_routing=canary.traffic_routing is not None,
            max_surge=canary.max_surge,
            max_unavailable=canary.max_unavailable,
            dynamic_stable_scale=canary.dynamic_stable_scale,
            abort_scale_down_delay_s=None if canary.abort_scale_down_delay_seconds is None
            else float(canary.abort_scale_down_delay_seconds),
            scale_down_delay_s=None if canary.scale_down_delay_seconds is None
            else float(canary.scale_down_delay_seconds),
            promotions=tuple(Promotion(at_s=at) for at in sorted(config.promote_at)),
        )
    except ValueError as error:
        raise ScenarioError(f"Rollout {rollout.name}: {error}") from None
    services = {
        "stable": tuple(dict.fromkeys(name for name in (canary.stable_service, rollout.name) if name)),
        "canary": tuple(dict.fromkeys(name for name in (canary.canary_service, rollout.name) if name)),
    }
    return plan, services


def blue_green_plan_from_manifests(config: ArgoRolloutConfig) -> tuple[ArgoBlueGreenPlan, dict[str, tuple[str, ...]]]:
    """The plan of the config's blue-green Rollout, and the Services of each role (``stable``, ``canary``)."""
    manifests = config.manifests()
    rollout = manifests.rollout(config.rollout)
    blue_green = rollout.spec.strategy.blue_green
    if blue_green is None:
        raise ScenarioError(f"Rollout {rollout.name}: a canary Rollout; expected spec.strategy.blueGreen here")
    library = _library(manifests)
    pre, post = blue_green.pre_promotion_analysis, blue_green.post_promotion_analysis
    try:
        plan = ArgoBlueGreenPlan(
            replicas=rollout.spec.replicas,
            preview_replicas=blue_green.preview_replica_count,
            auto_promotion_enabled=blue_green.auto_promotion_enabled,
            auto_promotion_s=float(blue_green.auto_promotion_seconds),
            pre_promotion=None if pre is None else _run_spec(pre, rollout, library),
            post_promotion=None if post is None else _run_spec(post, rollout, library),
            scale_down_delay_s=float(blue_green.scale_down_delay_seconds),
            abort_scale_down_delay_s=float(blue_green.abort_scale_down_delay_seconds),
            promotions=tuple(Promotion(at_s=at) for at in sorted(config.promote_at)),
        )
    except ValueError as error:
        raise ScenarioError(f"Rollout {rollout.name}: {error}") from None
    active = blue_green.active_service
    services = {
        "stable": tuple(dict.fromkeys((active, rollout.name))),
        "canary": tuple(dict.fromkeys(name for name in (blue_green.preview_service, active, rollout.name) if name)),
    }
    return plan, services


def argo_strategy(config: ArgoRolloutConfig) -> ArgoCanaryStrategy | ArgoBlueGreenStrategy:
    """The strategy of an :class:`ArgoRolloutConfig`, with the Services its analyses query on ``services``."""
    rollout = config.manifests().rollout(config.rollout)
    strategy: ArgoCanaryStrategy | ArgoBlueGreenStrategy
    if rollout.spec.strategy.blue_green is not None:
        blue_green_plan, services = blue_green_plan_from_manifests(config)
        strategy = ArgoBlueGreenStrategy(blue_green_plan)
    else:
        plan, services = plan_from_manifests(config)
        strategy = ArgoCanaryStrategy(plan)
    strategy.services = services
    return strategy
