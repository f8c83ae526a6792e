"""``AnalysisTemplate`` and ``ClusterAnalysisTemplate`` (argoproj.io/v1alpha1), as strict models.

Keys are Argo's (camelCase); an unknown key is an error with the closest
known one. Values that hold an argument placeholder (``{{args.x}}``) are
checked once the arguments are known; everything else is checked here: Go
durations, integers, and the conditions' syntax.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from simulator.analysis.argo.expr_lexer import ExpressionSyntaxError
from simulator.analysis.argo.expr_parser import parse_expression
from simulator.analysis.argo.fields import (
    ArgText,
    DurationText,
    IntOrString,
    ManifestModel,
    ManifestValueError,
    duration_value,
    has_placeholder,
    int_value,
)
from simulator.analysis.argo.provider_models import MetricProvider

__all__ = ["ObjectMeta", "SecretKeyRef", "FieldRef", "TemplateArgValueFrom", "TemplateArgument",
           "RolloutArgValueFrom", "RolloutArgument", "DryRun", "MeasurementRetention", "TemplateRef", "Metric",
           "AnalysisTemplateSpec", "AnalysisTemplate", "API_VERSION"]

API_VERSION = "argoproj.io/v1alpha1"


class ObjectMeta(ManifestModel):
    """Kubernetes object metadata; only ``name`` matters here, the rest is kept as written."""

    name: str = Field(min_length=1)
    generate_name: str | None = None
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    uid: str | None = None
    resource_version: str | None = None
    generation: int | None = None
    creation_timestamp: Any = None
    deletion_timestamp: Any = None
    deletion_grace_period_seconds: int | None = None
    owner_references: list[Any] | None = None
    finalizers: list[str] | None = None
    managed_fields: list[Any] | None = None
    self_link: str | None = None


class SecretKeyRef(ManifestModel):
    """A Kubernetes Secret's key (a simulated run has no secrets: the value is a stand-in)."""

    name: str
    key: str


class FieldRef(ManifestModel):
    """A field of the Rollout, such as ``metadata.labels['env']``."""

    field_path: str = Field(min_length=1)


class TemplateArgValueFrom(ManifestModel):
    """Where a template argument's value comes from."""

    secret_key_ref: SecretKeyRef | None = None
    field_ref: FieldRef | None = None


class TemplateArgument(ManifestModel):
    """An argument a template declares: with a default ``value``, a ``valueFrom``, or neither (required)."""

    name: str = Field(min_length=1)
    value: ArgText | None = None
    value_from: TemplateArgValueFrom | None = None


class RolloutArgValueFrom(ManifestModel):
    """Where a Rollout's argument value comes from: a ReplicaSet's pod template hash or a Rollout field."""

    pod_template_hash_value: Literal["Stable", "Latest"] | None = None
    field_ref: FieldRef | None = None


class RolloutArgument(ManifestModel):
    """An argument a Rollout passes to its analysis (``strategy.canary.analysis.args``)."""

    name: str = Field(min_length=1)
    value: ArgText | None = None
    value_from: RolloutArgValueFrom | None = None


class DryRun(ManifestModel):
    """A dry-run rule: metrics whose name matches the regular expression ``metricName`` never fail the run."""

    metric_name: str = Field(min_length=1)

    @field_validator("metric_name")
    @classmethod
    def _is_a_pattern(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as error:
            raise ValueError(f"expected a regular expression ({error})") from None
        return value


class MeasurementRetention(ManifestModel):
    """How many measurements Argo keeps in the run's status (accepted; every measurement is kept here)."""

    metric_name: str
    limit: int = Field(ge=0)


class TemplateRef(ManifestModel):
    """A reference to another template (``spec.templates`` of a template, or a Rollout's analysis)."""

    template_name: str = Field(min_length=1)
    cluster_scope: bool = False


class Metric(ManifestModel):
    """One metric: how often to measure, how to judge a measurement, and where to measure."""

    name: str = Field(min_length=1)
    interval: DurationText = None
    initial_delay: DurationText = None
    count: IntOrString | None = None
    success_condition: str | None = None
    failure_condition: str | None = None
    failure_limit: IntOrString | None = None
    inconclusive_limit: IntOrString | None = None
    consecutive_error_limit: IntOrString | None = None
    consecutive_success_limit: IntOrString | None = None
    provider: MetricProvider

    @field_validator("success_condition", "failure_condition")
    @classmethod
    def _condition_parses(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or value.strip() == "":
            return None  # Argo treats an empty condition as none
        if not has_placeholder(value):
            try:
                parse_expression(value)
            except ExpressionSyntaxError as error:
                key = "successCondition" if info.field_name == "success_condition" else "failureCondition"
                metric = info.data.get("name", "?")
                raise ManifestValueError(f"metric '{metric}': {key} {value!r} does not parse: {error}") from None
        return value

    def known_int(self, field: str) -> int | None:
        """The integer in ``field``, or ``None`` when it is unset or still holds a placeholder."""
        raw = getattr(self, field)
        return None if raw is None or has_placeholder(raw) else int_value(raw)

    def known_duration(self, field: str) -> float | None:
        """The duration in ``field`` (seconds), or ``None`` when unset or still a placeholder."""
        raw = getattr(self, field)
        return None if raw is None or has_placeholder(raw) else duration_value(raw)

    @model_validator(mode="after")
    def _limits_agree(self) -> Metric:
        """Argo's own checks of a metric (``ValidateMetric``), on the values known so far."""
        prefix = f"metric '{self.name}': "
        count = self.known_int("count")
        failure = self.known_int("failure_limit")
        inconclusive = self.known_int("inconclusive_limit")
        consecutive_errors = self.known_int("consecutive_error_limit")
        consecutive_successes = self.known_int("consecutive_success_limit")
        effective_failure = 0 if self.failure_limit is None else failure
        effective_successes = 0 if self.consecutive_success_limit is None else consecutive_successes
        problems = []
        if consecutive_successes is not None and consecutive_successes < 0:
            problems.append("consecutiveSuccessLimit must be >= 0")
        if failure is not None and failure < -1:
            problems.append("failureLimit must be >= 0, or -1 to disable it")
        if effective_failure == -1 and effective_successes == 0:
            problems.append("failureLimit (-1) and consecutiveSuccessLimit (0) cannot both be disabled")
        if inconclusive is not None and inconclusive < 0:
            problems.append("inconclusiveLimit must be >= 0")
        if consecutive_errors is not None and consecutive_errors < 0:
            problems.append("consecutiveErrorLimit must be >= 0")
        if count is not None and count < 0:
            problems.append("count must be >= 0")
        if count is not None and count > 0 and effective_failure is not None and effective_successes is not None:
            if effective_failure >= 0 and count < effective_failure + effective_successes:
                problems.append(f"count ({count}) must be >= failureLimit + consecutiveSuccessLimit "
                                f"({effective_failure} + {effective_successes})")
            elif effective_failure < 0 and count < effective_successes:
                problems.append(f"count ({count}) must be >= consecutiveSuccessLimit ({effective_successes})")
        if count is not None and inconclusive is not None and count > 0 and count < inconclusive:
            problems.append(f"count ({count}) must be >= inconclusiveLimit ({inconclusive})")
        interval = self.known_duration("interval")
        if interval == 0:
            problems.append("interval must be more than 0 (leave it out for a single measurement)")
        if count is not None and count > 1 and self.interval is None:
            problems.append(f"count {count} needs an interval between measurements")
        if problems:
            raise ManifestValueError(prefix + "; ".join(problems))
        return self


class AnalysisTemplateSpec(ManifestModel):
    """``spec`` of a template: metrics, arguments, dry-run rules and references to other templates."""

    metrics: tuple[Metric, ...] = ()
    args: tuple[TemplateArgument, ...] = ()
    dry_run: tuple[DryRun, ...] = ()
    measurement_retention: tuple[MeasurementRetention, ...] = ()
    templates: tuple[TemplateRef, ...] = ()

    @model_validator(mode="after")
    def _names_are_unique(self) -> AnalysisTemplateSpec:
        for what, names in (("metric", [metric.name for metric in self.metrics]),
                            ("argument", [arg.name for arg in self.args]),
                            ("dryRun rule", [rule.metric_name for rule in self.dry_run])):
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ManifestValueError(f"two {what}s are named '{name}'")
                seen.add(name)
        if not self.metrics and not self.templates:
            raise ManifestValueError("the template has no metrics and references no templates")
        return self


class AnalysisTemplate(ManifestModel):
    """An ``AnalysisTemplate`` or ``ClusterAnalysisTemplate`` manifest."""

    api_version: Literal["argoproj.io/v1alpha1"]
    kind: Literal["AnalysisTemplate", "ClusterAnalysisTemplate"]
    metadata: ObjectMeta
    spec: AnalysisTemplateSpec

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name

    @property
    def cluster_scope(self) -> bool:
        """Whether this is a ``ClusterAnalysisTemplate``."""
        return self.kind == "ClusterAnalysisTemplate"

    @property
    def label(self) -> str:
        """``AnalysisTemplate 'success-rate'``: how messages name it."""
        return f"{self.kind} '{self.name}'"
