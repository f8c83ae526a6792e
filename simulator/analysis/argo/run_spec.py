"""From templates to the metrics of one analysis run: merged, arguments filled, every value parsed.

:func:`build_analysis_run` does what Argo does when a Rollout starts an
AnalysisRun: it follows nested template references, merges the metrics
(names must be unique across templates), the arguments and the dry-run
rules (each rule must match a metric; a rule is a regular expression searched
for in the name, so ``.*`` matches all), fills ``{{args.NAME}}`` everywhere
in each metric and checks the result as the manifest was checked. Every
problem is a :class:`ScenarioError` that names the template and the metric.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from simulator.analysis.argo.args import ArgContext, merge_args, substitute_all
from simulator.analysis.argo.conditions import Condition
from simulator.analysis.argo.fields import ManifestValueError, duration_value, int_value
from simulator.analysis.argo.template_models import (
    AnalysisTemplate,
    DryRun,
    Metric,
    RolloutArgument,
    TemplateRef,
)
from simulator.errors import ScenarioError
from simulator.scenario.base import suggest
from simulator.scenario.validation_errors import validation_to_scenario_error

__all__ = ["PrometheusQuery", "JobRun", "ResolvedMetric", "AnalysisRunSpec", "TemplateLibrary",
           "build_analysis_run", "parse_analysis_template", "DEFAULT_CONSECUTIVE_ERROR_LIMIT",
           "DEFAULT_PROMETHEUS_TIMEOUT"]

DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4
DEFAULT_PROMETHEUS_TIMEOUT = 30.0
"""Seconds; Argo's default query timeout."""


@dataclass(frozen=True, slots=True)
class PrometheusQuery:
    """A metric measured by an instant PromQL query (arguments filled); ``timeout`` in seconds."""

    query: str
    address: str | None
    timeout: float


@dataclass(frozen=True, slots=True)
class JobRun:
    """A metric measured by a Job that succeeds or fails; ``failure_probability`` 0-1."""

    failure_probability: float
    spec: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ResolvedMetric:
    """One metric of a run, every value known. Durations in seconds.

    ``count`` is Argo's effective count: the number of measurements that
    completes the metric, or ``None`` when it runs until the run is
    terminated (an ``interval`` without ``count``, or ``count: 0``). Neither
    ``interval`` nor ``count`` means one measurement.
    ``failure_limit`` -1 disables the failure limit;
    ``consecutive_success_limit`` 0 disables that one.
    """

    name: str
    template: str
    interval: float | None
    initial_delay: float
    count: int | None
    success_condition: Condition | None
    failure_condition: Condition | None
    failure_limit: int
    inconclusive_limit: int
    consecutive_error_limit: int
    consecutive_success_limit: int
    provider: PrometheusQuery | JobRun
    dry_run: bool


@dataclass(frozen=True, slots=True)
class AnalysisRunSpec:
    """The metrics of one analysis run, in order, and the arguments they were filled with."""

    metrics: tuple[ResolvedMetric, ...]
    args: tuple[tuple[str, str], ...]

    def metric(self, name: str) -> ResolvedMetric:
        """The metric called ``name``; :class:`KeyError` naming the known ones otherwise."""
        for metric in self.metrics:
            if metric.name == name:
                return metric
        raise KeyError(f"no metric '{name}'{suggest(name, self.names)}; known: {', '.join(self.names)}")

    @property
    def names(self) -> list[str]:
        """The metric names, in order."""
        return [metric.name for metric in self.metrics]


def parse_analysis_template(document: Mapping[str, Any], *, file: str | None = None) -> AnalysisTemplate:
    """Validate one manifest document; :class:`ScenarioError` naming the template, the key path and the problem."""
    try:
        return AnalysisTemplate.model_validate(document)
    except ValidationError as error:
        metadata = document.get("metadata") if isinstance(document, Mapping) else None
        name = metadata.get("name") if isinstance(metadata, Mapping) else None
        kind = document.get("kind", "AnalysisTemplate") if isinstance(document, Mapping) else "AnalysisTemplate"
        label = f"{kind} '{name}'" if name else str(kind)
        raise _scenario_error(error, document, file, label) from None


def _scenario_error(error: ValidationError, data: Any, file: str | None, label: str) -> ScenarioError:
    generic = validation_to_scenario_error(error, file, data)
    first = error.errors()[0]
    cause = (first.get("ctx") or {}).get("error")
    reason = str(cause) if isinstance(cause, ManifestValueError) else generic.reason
    if isinstance(cause, ManifestValueError) and len(error.errors()) > 1:
        more = len(error.errors()) - 1
        reason += f" (and {more} more problem{'s' if more > 1 else ''})"
    return ScenarioError(f"{label}: {reason}", file=file, path=generic.path, value=generic.value,
                         expected=generic.expected)


class TemplateLibrary:
    """The templates a Rollout may reference, by name and scope."""

    def __init__(self, templates: Iterable[AnalysisTemplate]) -> None:
        self._templates: dict[tuple[str, bool], AnalysisTemplate] = {}
        for template in templates:
            key = (template.name, template.cluster_scope)
            if key in self._templates:
                raise ScenarioError(f"{template.label} is defined twice")
            self._templates[key] = template

    def get(self, ref: TemplateRef) -> AnalysisTemplate:
        """The template ``ref`` names; :class:`ScenarioError` with the closest known name otherwise."""
        template = self._templates.get((ref.template_name, ref.cluster_scope))
        if template is None:
            kind = "ClusterAnalysisTemplate" if ref.cluster_scope else "AnalysisTemplate"
            known = sorted(name for name, cluster in self._templates if cluster == ref.cluster_scope)
            other = (ref.template_name, not ref.cluster_scope) in self._templates
            hint = (f" ({'an AnalysisTemplate' if ref.cluster_scope else 'a ClusterAnalysisTemplate'} of that name "
                    f"exists: set clusterScope: {str(not ref.cluster_scope).lower()})") if other else ""
            raise ScenarioError(f"{kind} '{ref.template_name}' not found{suggest(ref.template_name, known)}{hint}; "
                                f"known: {', '.join(known) or 'none'}")
        return template

    def resolve(self, refs: Sequence[TemplateRef]) -> list[AnalysisTemplate]:
        """The templates ``refs`` name and those they reference in turn, each once, as Argo orders them.

        Argo lists namespaced templates before cluster-scoped ones, each in the
        order met (a template before the templates it references).
        """
        found: list[AnalysisTemplate] = []
        self._collect(refs, found, ())
        return _argo_order(found)

    def _collect(self, refs: Sequence[TemplateRef], found: list[AnalysisTemplate],
                 chain: tuple[tuple[str, bool], ...]) -> None:
        for ref in refs:
            key = (ref.template_name, ref.cluster_scope)
            if key in chain:
                names = " -> ".join(name for name, _ in (*chain, key))
                raise ScenarioError(f"templates reference each other in a circle: {names}")
            template = self.get(ref)
            found.append(template)
            self._collect(template.spec.templates, found, (*chain, key))


def _argo_order(templates: Sequence[AnalysisTemplate]) -> list[AnalysisTemplate]:
    ordered: list[AnalysisTemplate] = []
    seen: set[tuple[str, bool]] = set()
    for cluster in (False, True):
        for template in templates:
            key = (template.name, template.cluster_scope)
            if template.cluster_scope == cluster and key not in seen:
                seen.add(key)
                ordered.append(template)
    return ordered


def _dry_run_names(rules: Sequence[DryRun], names: Sequence[str]) -> set[str]:
    matched: set[str] = set()
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        if rule.metric_name in seen:
            raise ScenarioError(f"two dryRun rules have the same metricName '{rule.metric_name}'")
        seen.add(rule.metric_name)
        hits = {name for name in names if re.search(rule.metric_name, name)}
        if not hits:
            raise ScenarioError(f"dryRun[{index}]: metricName '{rule.metric_name}' matches no metric; "
                                f"metrics: {', '.join(names)}")
        matched |= hits
    return matched


def _resolve_metric(metric: Metric, index: int, template: AnalysisTemplate, args: Mapping[str, str]) -> Metric:
    """The metric with its placeholders filled, checked again as a manifest."""
    label = f"{template.label}, metric '{metric.name}'"
    where = f"spec.metrics[{index}]"
    try:
        filled = substitute_all(metric.model_dump(by_alias=True, exclude_none=True), args)
    except ValueError as error:
        raise ScenarioError(f"{label}: {error}", path=where) from None
    try:
        return Metric.model_validate(filled)
    except ValidationError as error:
        located = _scenario_error(error, filled, None, f"{label} (with its arguments filled)")
        raise located.located(path_prefix=where) from None


def _resolved(metric: Metric, template: AnalysisTemplate, dry_run: bool) -> ResolvedMetric:
    interval = None if metric.interval is None else duration_value(metric.interval)
    count = None if metric.count is None else int_value(metric.count)
    effective_count = (1 if interval is None else None) if not count else count
    provider: PrometheusQuery | JobRun
    if metric.provider.prometheus is not None:
        prometheus = metric.provider.prometheus
        timeout = DEFAULT_PROMETHEUS_TIMEOUT if prometheus.timeout is None else float(prometheus.timeout)
        provider = PrometheusQuery(prometheus.query, prometheus.address, timeout)
    else:
        assert metric.provider.job is not None
        provider = JobRun(metric.provider.job.failure_probability, metric.provider.job.spec)

    def limit(raw: int | str | None, default: int) -> int:
        return default if raw is None else int_value(raw)

    return ResolvedMetric(
        name=metric.name,
        template=template.name,
        interval=interval,
        initial_delay=0.0 if metric.initial_delay is None else duration_value(metric.initial_delay),
        count=effective_count,
        success_condition=None if metric.success_condition is None else Condition.parse(metric.success_condition),
        failure_condition=None if metric.failure_condition is None else Condition.parse(metric.failure_condition),
        failure_limit=limit(metric.failure_limit, 0),
        inconclusive_limit=limit(metric.inconclusive_limit, 0),
        consecutive_error_limit=limit(metric.consecutive_error_limit, DEFAULT_CONSECUTIVE_ERROR_LIMIT),
        consecutive_success_limit=limit(metric.consecutive_success_limit, 0),
        provider=provider,
        dry_run=dry_run,
    )


def build_analysis_run(templates: Sequence[AnalysisTemplate], args: Sequence[RolloutArgument] = (), *,
                       dry_run: Sequence[DryRun] = (), context: ArgContext | None = None,
                       library: TemplateLibrary | None = None) -> AnalysisRunSpec:
    """The run a Rollout starts from ``templates`` with its ``args`` and ``dry_run`` rules.

    ``templates`` are those the Rollout's analysis names, in its order;
    templates they reference are looked up in ``library``.
    """
    expanded: list[AnalysisTemplate] = []
    for template in templates:
        expanded.append(template)
        if template.spec.templates:
            if library is None:
                raise ScenarioError(f"{template.label} references other templates "
                                    f"({', '.join(ref.template_name for ref in template.spec.templates)}); "
                                    f"give the library that holds them")
            expanded.extend(library.resolve(template.spec.templates))
    ordered = _argo_order(expanded)
    values = merge_args(ordered, args, context)
    filled: list[tuple[Metric, AnalysisTemplate]] = []
    owner: dict[str, str] = {}
    for template in ordered:
        for index, metric in enumerate(template.spec.metrics):
            resolved = _resolve_metric(metric, index, template, values)
            if resolved.name in owner:
                raise ScenarioError(f"two metrics are named '{resolved.name}' (in {owner[resolved.name]} "
                                    f"and {template.label})")
            owner[resolved.name] = template.label
            filled.append((resolved, template))
    if not filled:
        raise ScenarioError(f"no metrics in {', '.join(t.label for t in ordered) or 'the analysis'}")
    rules = list(dry_run) + [rule for template in ordered for rule in template.spec.dry_run]
    dry = _dry_run_names(rules, [metric.name for metric, _ in filled])
    metrics = tuple(_resolved(metric, template, metric.name in dry) for metric, template in filled)
    return AnalysisRunSpec(metrics, tuple(values.items()))
