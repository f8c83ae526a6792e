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

A/B testing (``analysis.match`` with ``iterations``) routes by request
headers and cookies, which simulated users do not carry: the scenario's
``matchShare`` says what share of users match, and the plan's
``match_share`` is that share in percent. ``sessionAffinity`` keeps a user
the canary answered on it for the cookie's ``maxAge``. A ``rollout`` or
``pre-rollout`` webhook whose ``metadata.cmd`` is a ``hey`` command
(``metadata.type`` ``cmd``, or none: flagger-loadtester's default) carries
the load it sends (:mod:`~simulator.strategies.flagger.hey`), to the
canary's or the primary's Service as its URL names.

Refused with a :class:`ScenarioError` naming the key: ``analysis.match``
with ``stepWeight``/``stepWeights`` (matching users moved by weight),
``sessionAffinity.primaryCookieName``, a ``hey`` command that cannot run
here (no ``-q``, a flag hey does not know, a URL that is not the canary's
or the primary's Service, a webhook type other than ``rollout`` or
``pre-rollout``), ``spec.provider: kubernetes`` (blue-green by switching
Services, without weights), builtin metrics with a provider other than
Istio (their queries read series the simulated Prometheus does not hold), a
MetricTemplate whose provider is not ``prometheus``, a target that is not a
Deployment, and ``suspend: true``.
"""

from __future__ import annotations

from simulator.errors import ScenarioError
from simulator.scenario.manifest_strategy_config import GATE_WEBHOOKS, FlaggerCanaryConfig
from simulator.scenario.manifests import Canary, CanaryMetric, CanaryWebhook, ManifestSet
from simulator.scenario.manifests.quantities import format_go_duration
from simulator.strategies.flagger.canary import FlaggerCanaryStrategy
from simulator.strategies.flagger.hey import is_hey, parse_hey
from simulator.strategies.flagger.plan import (
    Comparison,
    FlaggerPlan,
    LoadTarget,
    LoadTesterCommand,
    MetricCheck,
    MetricSource,
    Webhook,
)
from simulator.strategies.flagger.queries import BUILTIN_QUERIES, RenderFailure, TemplateModel, render_query

__all__ = ["plan_from_manifests", "flagger_strategy", "ISTIO_PROVIDERS", "ANSWERED_KINDS"]

ISTIO_PROVIDERS = ("", "istio")
"""``spec.provider`` values whose builtin metrics are Istio's (none: Flagger's default mesh, Istio)."""

_OTHER_PROVIDERS = ("linkerd", "appmesh", "contour", "gloo", "nginx", "kubernetes", "gatewayapi", "skipper",
                    "traefik", "osm", "kuma", "apisix", "knative", "smi", "supergloo")

ANSWERED_KINDS = (*GATE_WEBHOOKS, "pre-rollout", "rollout", "rollback")
"""Webhook types the plan keeps: those whose answer changes the rollout."""

LOAD_TEST_KINDS = ("pre-rollout", "rollout")
"""Webhook types whose ``hey`` command runs as a load test."""

LOAD_TESTER_TASK_TYPES = ("", "cmd")
"""flagger-loadtester task types that run a command in the background (no ``type``: ``cmd``)."""


def _refuse(canary: Canary, key: str, why: str) -> ScenarioError:
    return ScenarioError(f"Canary {canary.name}: {key} is not simulated: {why}")


def _check_runnable(canary: Canary) -> None:
    spec, analysis = canary.spec, canary.spec.analysis
    provider = (spec.provider or "").lower()
    if analysis.match and not analysis.iterations:
        raise _refuse(canary, "analysis.match with stepWeight", "the matching users moved to the canary by weight; "
                                                               "expected iterations (A/B testing) with match")
    affinity = analysis.session_affinity
    if affinity is not None and affinity.primary_cookie_name:
        raise _refuse(canary, "analysis.sessionAffinity.primaryCookieName", "users kept on the primary by a "
                                                                             "cookie; expected cookieName alone")
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


def _load(canary: Canary, hook: CanaryWebhook, index: int) -> LoadTesterCommand | None:
    """The load test ``hook`` starts on flagger-loadtester: its ``hey`` command (``None``: it runs none)."""
    metadata = hook.metadata or {}
    command = metadata.get("cmd", "")
    if metadata.get("type", "") not in LOAD_TESTER_TASK_TYPES or not is_hey(command):
        return None
    where = f"Canary {canary.name}: spec.analysis.webhooks[{index}] ({hook.name}).metadata.cmd"
    if hook.kind not in LOAD_TEST_KINDS:
        raise ScenarioError(f"{where}: a hey load test in a {hook.kind} webhook is not simulated; expected a "
                            f"{' or '.join(LOAD_TEST_KINDS)} webhook")
    try:
        hey = parse_hey(command)
    except ValueError as error:
        raise ScenarioError(f"{where}: {command!r}: {error}") from None
    namespace = canary.metadata.namespace or "default"
    targets: dict[str, LoadTarget] = {canary.canary_service: "canary", canary.primary_service: "primary"}
    if hey.service not in targets or hey.namespace not in (None, namespace):
        apex = " (the apex Service routes through the mesh, which a load test here does not)" \
            if hey.service == canary.apex_service else ""
        raise ScenarioError(f"{where}: {command!r} loads {hey.url}{apex}; expected the URL of "
                            f"{canary.canary_service}.{namespace} or {canary.primary_service}.{namespace}")
    return LoadTesterCommand(command=command, target=targets[hey.service], workers=hey.workers, period=hey.period,
                             duration=hey.duration)


def _webhooks(canary: Canary, config: FlaggerCanaryConfig) -> tuple[Webhook, ...]:
    hooks = []
    for index, hook in enumerate(canary.spec.analysis.webhooks):
        if hook.kind not in ANSWERED_KINDS:
            continue  # notifications change nothing
        answers = tuple((answer.at, answer.result == "pass") for answer in config.answers(hook.name))
        hooks.append(Webhook(name=hook.name, kind=hook.kind, default=hook.kind != "rollback", answers=answers,
                             load=_load(canary, hook, index)))
    return tuple(hooks)


def _match_share(canary: Canary, config: FlaggerCanaryConfig) -> float | None:
    """The percentage of users whose requests match ``analysis.match`` (``None``: the Canary has no match)."""
    if not canary.spec.analysis.match:
        return None
    if config.match_share is None:
        raise ScenarioError(f"Canary {canary.name}: analysis.match routes the requests that match to the canary; "
                            "expected matchShare in the scenario's entry: the share of users whose requests match "
                            "(such as matchShare: 10%)")
    return 100.0 * config.match_share


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
            match_share=_match_share(canary, config),
            session_affinity_s=None if analysis.session_affinity is None or analysis.match
            else float(analysis.session_affinity.max_age),
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
