"""A Flagger canary made from the team's manifests: the Canary's analysis and its MetricTemplates as a plan.

:class:`~simulator.scenario.manifest_strategy_config.FlaggerCanaryConfig`
names the manifests and the webhooks' answers; this reads its ``Canary``
and the ``MetricTemplate`` objects its metrics reference into a
:class:`~simulator.strategies.flagger.plan.FlaggerPlan`, and says which
Kubernetes Services and Deployments carry which version, for the
Prometheus series the metrics query. As Flagger names them
(``<name>`` is ``service.name``, else ``targetRef.name``):

* the stable version is the primary: behind ``<name>-primary`` and the
  apex Service ``<name>`` (whose selector Flagger points at the primary's
  pods), in the Deployment ``<targetRef.name>-primary``;
* the candidate is the canary: behind ``<name>-canary``, in the Deployment
  ``<targetRef.name>`` (the target itself).

The checks are built in Flagger's order: first, in the Canary's order, each
builtin metric (its Istio query, see
:mod:`~simulator.strategies.flagger.queries`) and each inline ``query``;
then each ``templateRef``. Every query is rendered and parsed here, so a
query the simulated Prometheus cannot run is an error before the run
(naming the Canary and the metric), not a failed check.

Refused with a :class:`ScenarioError` naming the key: ``analysis.match``
and ``analysis.sessionAffinity`` (A/B testing and sticky sessions route by
request headers and cookies, which the simulated traffic does not carry),
``spec.provider: kubernetes`` (blue-green by switching Services, without
weights), builtin metrics with a provider other than Istio (their queries
read series the simulated Prometheus does not hold), a MetricTemplate whose
provider is not ``prometheus``, a target that is not a Deployment, and
``suspend: true``.
"""

from __future__ import annotations

from simulator.errors import ScenarioError
from simulator.scenario.manifest_strategy_config import GATE_WEBHOOKS, FlaggerCanaryConfig
from simulator.scenario.manifests import Canary, CanaryMetric, ManifestSet
from simulator.scenario.manifests.quantities import format_go_duration
from simulator.strategies.flagger.canary import FlaggerCanaryStrategy
from simulator.strategies.flagger.plan import Comparison, FlaggerPlan, MetricCheck, MetricSource, Webhook
from simulator.strategies.flagger.queries import BUILTIN_QUERIES, RenderFailure, TemplateModel, render_query

__all__ = ["plan_from_manifests", "flagger_strategy", "ISTIO_PROVIDERS", "ANSWERED_KINDS"]

ISTIO_PROVIDERS = ("", "istio")
"""``spec.provider`` values whose builtin metrics are Istio's (none: Flagger's default mesh, Istio)."""

_OTHER_PROVIDERS = ("linkerd", "appmesh", "contour", "gloo", "nginx", "kubernetes", "gatewayapi", "skipper",
                    "traefik", "osm", "kuma", "apisix", "knative", "smi", "supergloo")

ANSWERED_KINDS = (*GATE_WEBHOOKS, "pre-rollout", "rollout", "rollback")
"""Webhook types the plan keeps: those whose answer changes the rollout."""


def _refuse(canary: Canary, key: str, why: str) -> ScenarioError:
    return ScenarioError(f"Canary {canary.name}: {key} is not simulated: {why}")


def _check_runnable(canary: Canary) -> None:
    spec, analysis = canary.spec, canary.spec.analysis
    provider = (spec.provider or "").lower()
    if analysis.match:
        raise _refuse(canary, "analysis.match", "A/B testing routes by request headers and cookies, which the "
                                                "simulated traffic does not carry; expected stepWeight, stepWeights "
                                                "or iterations without match")
    if analysis.session_affinity is not None:
        raise _refuse(canary, "analysis.sessionAffinity", "sticky sessions route by cookie, which the simulated "
                                                          "traffic does not carry")
    if provider == "kubernetes":
        raise _refuse(canary, "spec.provider: kubernetes", "blue-green by switching Services, without traffic "
                                                           "weights; expected a mesh provider such as istio")
    builtin = [metric.name for metric in analysis.metrics if metric.source == "builtin"]
    if builtin and provider not in ISTIO_PROVIDERS and any(provider.startswith(other) for other in _OTHER_PROVIDERS):
        raise _refuse(canary, f"spec.provider: {spec.provider} with builtin metrics ({', '.join(builtin)})",
                      "their queries read that provider's series; the simulated Prometheus holds Istio's "
                      "(expected provider istio, or a MetricTemplate over istio_requests_total)")
    kind = spec.target_ref.kind
    if kind not in (None, "Deployment"):
        raise _refuse(canary, f"spec.targetRef.kind: {kind}", "expected a Deployment")
    if spec.suspend:
        raise _refuse(canary, "spec.suspend: true", "Flagger skips a suspended Canary; nothing would run")


def _model(canary: Canary, metric: CanaryMetric) -> TemplateModel:
    spec = canary.spec
    target = spec.target_ref.name
    return TemplateModel(
        name=canary.name, namespace=canary.metadata.namespace or "default", target=target,
        service=spec.service.name or target,
        ingress=spec.ingress_ref.name if spec.ingress_ref is not None else target,
        route=spec.route_ref.name if spec.route_ref is not None else target,
        interval=format_go_duration(metric.interval), variables=dict(metric.template_variables),
    )


def _check(canary: Canary, metric: CanaryMetric, source: MetricSource, template: str, where: str) -> MetricCheck:
    """``metric`` as a check of ``template`` (rendered and parsed)."""
    comparison: Comparison = "value"
    if source == "builtin":
        comparison = "success-rate" if metric.name == "request-success-rate" else "duration"
    threshold_range = None
    if metric.threshold_range is not None:
        threshold_range = (metric.threshold_range.min, metric.threshold_range.max)
    try:
        query: str | None = render_query(template, _model(canary, metric), where=where)
        render_error = None
    except RenderFailure as failure:
        query, render_error = None, str(failure)
    if query is not None:
        from simulator.prometheus import PromQLError, parse_query  # the parser loads with the first query

        try:
            parse_query(query)
        except PromQLError as error:
            raise ScenarioError(f"{where}: {error}") from None
    try:
        return MetricCheck(name=metric.name, source=source, comparison=comparison, query=query,
                           render_error=render_error, threshold_range=threshold_range, threshold=metric.threshold)
    except ValueError as error:
        raise ScenarioError(f"{where}: {error}") from None


def _checks(canary: Canary, manifests: ManifestSet) -> tuple[MetricCheck, ...]:
    """The metrics as Flagger runs them: builtin and inline queries first, then templates (each in order)."""
    checks = []
    metrics = canary.spec.analysis.metrics
    for index, metric in enumerate(metrics):
        where = f"Canary {canary.name}: spec.analysis.metrics[{index}] ({metric.name})"
        if metric.source == "builtin":
            checks.append(_check(canary, metric, "builtin", BUILTIN_QUERIES[metric.name], where))
        if metric.query:
            checks.append(_check(canary, metric, "query", metric.query, f"{where}.query"))
    for index, metric in enumerate(metrics):
        if metric.template_ref is None:
            continue
        template = manifests.metric_template(metric)
        where = f"Canary {canary.name}: spec.analysis.metrics[{index}] ({metric.name}), MetricTemplate {template.name}"
        if template.spec.provider.type != "prometheus":
            raise ScenarioError(f"{where}: provider {template.spec.provider.type} is not simulated; expected "
                                "prometheus")
        checks.append(_check(canary, metric, "template", template.spec.query, where))
    return tuple(checks)


def _webhooks(canary: Canary, config: FlaggerCanaryConfig) -> tuple[Webhook, ...]:
    hooks = []
    for hook in canary.spec.analysis.webhooks:
        if hook.kind not in ANSWERED_KINDS:
            continue  # notifications change nothing
        answers = tuple((answer.at, answer.result == "pass") for answer in config.answers(hook.name))
        hooks.append(Webhook(name=hook.name, kind=hook.kind, default=hook.kind != "rollback", answers=answers))
    return tuple(hooks)


def plan_from_manifests(config: FlaggerCanaryConfig) -> tuple[FlaggerPlan, dict[str, tuple[str, ...]], dict[str, str]]:
    """The plan of the config's Canary, the Services of each role and its Deployment (``stable``, ``canary``)."""
    manifests = config.manifests()
    canary = manifests.canary(config.canary)
    _check_runnable(canary)
    spec, analysis = canary.spec, canary.spec.analysis
    try:
        plan = FlaggerPlan(
            name=canary.name,
            namespace=canary.metadata.namespace or "default",
            target=spec.target_ref.name,
            interval_s=analysis.interval_seconds,
            threshold=analysis.failure_threshold,
            max_weight=analysis.max_weight or 100,
            step_weight=analysis.step_weight or 0,
            step_weights=tuple(analysis.step_weights or ()),
            step_weight_promotion=analysis.step_weight_promotion or 0,
            iterations=analysis.iterations or 0,
            mirror=analysis.mirror,
            mirror_weight=analysis.mirror_weight or 0,
            skip_analysis=spec.skip_analysis,
            checks=_checks(canary, manifests),
            webhooks=_webhooks(canary, config),
            progress_deadline_s=float(spec.progress_deadline_seconds),
            primary_ready_threshold=100 if analysis.primary_ready_threshold is None
            else analysis.primary_ready_threshold,
            canary_ready_threshold=100 if analysis.canary_ready_threshold is None
            else analysis.canary_ready_threshold,
        )
    except ValueError as error:
        raise ScenarioError(f"Canary {canary.name}: {error}") from None
    services = {"stable": (canary.primary_service, canary.apex_service), "canary": (canary.canary_service,)}
    workloads = {"stable": f"{spec.target_ref.name}-primary", "canary": spec.target_ref.name}
    return plan, services, workloads


def flagger_strategy(config: FlaggerCanaryConfig) -> FlaggerCanaryStrategy:
    """The strategy of a :class:`FlaggerCanaryConfig`, with the Services and Deployments its metrics query."""
    plan, services, workloads = plan_from_manifests(config)
    strategy = FlaggerCanaryStrategy(plan)
    strategy.services = services
    strategy.workloads = workloads
    return strategy
