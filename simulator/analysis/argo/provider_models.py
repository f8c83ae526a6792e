"""A metric's ``provider``: ``prometheus`` and ``job`` are simulated; Argo's others are refused by name."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from simulator.analysis.argo.fields import ManifestModel, ManifestValueError

__all__ = ["PrometheusProvider", "JobProvider", "MetricProvider", "WebMetricHeader", "ARGO_PROVIDERS",
           "SIMULATED_PROVIDERS", "FAILURE_PROBABILITY_ANNOTATION"]

ARGO_PROVIDERS = ("prometheus", "kayenta", "web", "datadog", "wavefront", "newRelic", "job", "cloudWatch",
                  "graphite", "influxdb", "skywalking", "plugin")
"""Every provider key of Argo Rollouts' ``MetricProvider``."""

SIMULATED_PROVIDERS = ("prometheus", "job")

FAILURE_PROBABILITY_ANNOTATION = "rollout-sim/failure-probability"
"""Annotation of a ``job`` provider's metadata: the chance (0-1) that the simulated Job fails."""


class WebMetricHeader(ManifestModel):
    """An HTTP header sent with a query (kept, not used: the simulated Prometheus needs none)."""

    key: str
    value: str


class PrometheusProvider(ManifestModel):
    """``provider.prometheus``: an instant query; ``timeout`` in seconds (Argo's default 30)."""

    address: str | None = None
    query: str = Field(min_length=1)
    timeout: int | None = Field(default=None, ge=0)
    insecure: bool = False
    headers: tuple[WebMetricHeader, ...] = ()
    authentication: dict[str, Any] | None = None
    range_query: dict[str, Any] | None = None

    @field_validator("timeout", mode="before")
    @classmethod
    def _timeout_is_seconds(cls, value: object) -> object:
        if isinstance(value, bool) or (value is not None and not isinstance(value, int)):
            raise ValueError("expected a whole number of seconds (Argo's prometheus timeout is an integer)")
        return value

    @field_validator("range_query")
    @classmethod
    def _no_range_query(cls, value: object) -> object:
        if value is not None:
            raise ManifestValueError("rangeQuery is not supported: the simulated Prometheus answers instant "
                                     "queries; write the range into the query (rate(x[5m]))")
        return value


class JobProvider(ManifestModel):
    """``provider.job``: a Kubernetes Job, kept as data; the simulated Job passes or fails at random.

    Its chance of failing is the annotation ``rollout-sim/failure-probability``
    of the job's metadata (``"0.1"``; 0 when absent), so the manifest stays
    one a cluster accepts.
    """

    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: dict[str, Any]

    @model_validator(mode="after")
    def _probability_is_a_fraction(self) -> JobProvider:
        self.failure_probability  # noqa: B018 - raises on a bad annotation
        return self

    @property
    def failure_probability(self) -> float:
        """The chance (0-1) that one run of the Job fails."""
        annotations = self.metadata.get("annotations") or {}
        if not isinstance(annotations, dict):
            raise ManifestValueError("job metadata.annotations must be a mapping")
        text = annotations.get(FAILURE_PROBABILITY_ANNOTATION)
        if text is None:
            return 0.0
        try:
            probability = float(text)
        except (TypeError, ValueError):
            probability = float("nan")
        if isinstance(text, bool) or not 0.0 <= probability <= 1.0:
            raise ManifestValueError(f"annotation {FAILURE_PROBABILITY_ANNOTATION}: got {text!r}; "
                                     f"expected a probability from 0 to 1 such as \"0.1\"")
        return probability


class MetricProvider(ManifestModel):
    """Exactly one provider; ``prometheus`` or ``job``."""

    prometheus: PrometheusProvider | None = None
    job: JobProvider | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_simulated_providers(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in ARGO_PROVIDERS and key not in SIMULATED_PROVIDERS:
                    raise ManifestValueError(
                        f"provider '{key}' is not supported: the simulator measures with the providers "
                        f"{' and '.join(SIMULATED_PROVIDERS)} only (Argo's '{key}' provider queries a system "
                        f"it does not simulate)")
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> MetricProvider:
        given = [name for name in SIMULATED_PROVIDERS if getattr(self, name) is not None]
        if not given:
            raise ManifestValueError(f"no provider given; expected one of: {', '.join(SIMULATED_PROVIDERS)}")
        if len(given) > 1:
            raise ManifestValueError(f"several providers given ({', '.join(given)}); a metric has exactly one")
        return self

    @property
    def kind(self) -> str:
        """``"prometheus"`` or ``"job"``."""
        return "prometheus" if self.prometheus is not None else "job"
