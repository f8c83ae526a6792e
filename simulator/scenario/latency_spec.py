"""A version's service-time distribution, as plain data.

A scenario writes a latency in one of these forms (values are latencies:
``40ms``, ``1.5s`` or seconds):

* ``{p50, p99}``: a lognormal through both quantiles (:class:`LognormalQuantiles`);
* ``{dist: lognormal, median | mean, sigma}`` (:class:`LognormalLatency`);
* ``{dist: exponential, mean}`` (:class:`ExponentialLatency`);
* ``{dist: gamma, mean, shape}`` (:class:`GammaLatency`);
* ``{dist: constant, value}`` (or ``mean``; :class:`ConstantLatency`).

These models only hold the numbers. The world builds its sampler from them
(``simulator.world.latency.LatencyDistribution.from_spec``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, model_validator

from simulator.scenario.base import StrictModel, suggest
from simulator.scenario.limits import MAX_GAMMA_SHAPE, MAX_SIGMA
from simulator.scenario.types import Latency, Number
from simulator.scenario.validation_errors import describe_value, one_line

__all__ = [
    "LatencySpec",
    "LognormalQuantiles",
    "LognormalLatency",
    "ExponentialLatency",
    "GammaLatency",
    "ConstantLatency",
    "LATENCY_EXPECTED",
    "MAX_TAIL_RATIO",
]

LATENCY_EXPECTED = (
    "{p50, p99}, {dist: exponential, mean}, {dist: lognormal, median|mean, sigma}, "
    "{dist: gamma, mean, shape}, or {dist: constant, value}"
)

MAX_TAIL_RATIO = 1e10
"""Largest p99 / p50 of a ``{p50, p99}`` latency (a lognormal sigma below 10)."""


class LognormalQuantiles(StrictModel):
    """A lognormal whose median is ``p50`` and 99th percentile ``p99``, seconds."""

    form: ClassVar[str] = "quantiles"
    dist: Literal["lognormal"] = "lognormal"
    p50: Latency = Field(gt=0, description="median service time, seconds")
    p99: Latency = Field(gt=0, description="99th percentile service time, seconds")

    @model_validator(mode="after")
    def _ordered(self) -> LognormalQuantiles:
        if self.p99 <= self.p50:
            raise ValueError(f"got p50 {self.p50:g}s and p99 {self.p99:g}s; expected p99 greater than p50")
        if self.p99 / self.p50 > MAX_TAIL_RATIO:
            raise ValueError(
                f"got p50 {self.p50:g}s and p99 {self.p99:g}s; expected p99 at most {MAX_TAIL_RATIO:g} times p50"
            )
        return self


class LognormalLatency(StrictModel):
    """A lognormal with ``median`` (seconds) and log-standard-deviation ``sigma``.

    Written with ``mean`` instead of ``median``, the median is
    ``mean / exp(sigma**2 / 2)``; the model keeps the median.
    """

    form: ClassVar[str] = "lognormal"
    dist: Literal["lognormal"]
    median: Latency | None = Field(None, gt=0, description="median service time, seconds")
    mean: Latency | None = Field(None, gt=0, exclude=True, description="mean service time, seconds")
    sigma: Number = Field(0.5, gt=0, le=MAX_SIGMA, description="standard deviation of the log of the service time")

    @model_validator(mode="after")
    def _median_from_mean(self) -> LognormalLatency:
        if self.median is None and self.mean is not None:
            object.__setattr__(self, "median", self.mean / math.exp(self.sigma**2 / 2))
            object.__setattr__(self, "mean", None)
        if self.median is None or self.median <= 0:
            raise ValueError(f"got a median of {self.median!r}s; expected a median > 0 (mean too small for sigma)")
        return self


class ExponentialLatency(StrictModel):
    """An exponential distribution with ``mean``, seconds."""

    form: ClassVar[str] = "exponential"
    dist: Literal["exponential"]
    mean: Latency = Field(gt=0, description="mean service time, seconds")


class GammaLatency(StrictModel):
    """A gamma distribution with ``mean`` (seconds) and ``shape``."""

    form: ClassVar[str] = "gamma"
    dist: Literal["gamma"]
    mean: Latency = Field(gt=0, description="mean service time, seconds")
    shape: Number = Field(2.0, gt=0, le=MAX_GAMMA_SHAPE, description="shape parameter (1: exponential)")


class ConstantLatency(StrictModel):
    """Every request takes exactly ``value`` seconds."""

    form: ClassVar[str] = "constant"
    dist: Literal["constant"]
    value: Latency = Field(gt=0, description="service time, seconds")


_FORMS: dict[str, tuple[type[StrictModel], tuple[str, ...], tuple[str, ...]]] = {
    # form: (model, keys of which one is needed, other keys it takes)
    "quantiles": (LognormalQuantiles, ("p50", "p99"), ()),
    "lognormal": (LognormalLatency, ("median", "mean"), ("sigma",)),
    "exponential": (ExponentialLatency, ("mean",), ()),
    "gamma": (GammaLatency, ("mean",), ("shape",)),
    "constant": (ConstantLatency, ("value", "mean"), ()),
}
_SPECS = tuple(model for model, _, _ in _FORMS.values())


def _form_of(value: Any) -> str | None:
    """Which form a latency spec has (the union's tag)."""
    if isinstance(value, dict):
        dist = value.get("dist", "lognormal")
        return "quantiles" if dist == "lognormal" and ("p50" in value or "p99" in value) else dist
    form = getattr(value, "form", None)
    return form if isinstance(form, str) else None


def _normalise(value: Any) -> Any:
    """Check the keys of a written latency and name its form; the values are checked by the models.

    Errors here say what was given, what is missing or unknown, and the
    forms a latency takes.
    """
    if isinstance(value, _SPECS):
        return value
    if not isinstance(value, dict):
        raise ValueError(f"expected {LATENCY_EXPECTED}")
    spec = dict(value)
    dist = spec.get("dist", "lognormal" if "p50" in spec or "p99" in spec else None)
    if dist is None:
        raise ValueError(f"got {describe_value(value)}, which has no 'dist' (nor 'p50'); expected {LATENCY_EXPECTED}")
    if not isinstance(dist, str) or dist.lower() not in ("lognormal", "exponential", "gamma", "constant"):
        raise ValueError(
            f"got dist {describe_value(dist)}{suggest(str(dist), ['lognormal', 'exponential', 'gamma', 'constant'])}"
            f"; expected {LATENCY_EXPECTED}"
        )
    dist = dist.lower()
    spec["dist"] = dist
    form = "quantiles" if dist == "lognormal" and ("p50" in spec or "p99" in spec) else dist
    _, needed, optional = _FORMS[form]
    if form == "quantiles":
        for key in needed:
            if key not in spec:
                raise ValueError(
                    f"got {describe_value(value)}, which needs '{key}' for dist '{dist}'; expected {LATENCY_EXPECTED}"
                )
    elif not any(key in spec for key in needed):
        raise ValueError(
            f"got {describe_value(value)}, which needs '{needed[0]}' for dist '{dist}'; expected {LATENCY_EXPECTED}"
        )
    allowed = ["dist", *(needed if form == "quantiles" else needed[:1]), *optional]
    if form != "quantiles" and needed[0] not in spec:
        allowed = ["dist", needed[1], *optional]  # the alternative key (mean for a median, mean for a value)
    for key in spec:
        if key not in allowed:
            raise ValueError(
                f"unknown key '{one_line(str(key))}' for a {dist} latency"
                f"{suggest(str(key), allowed)}; expected one of: {', '.join(allowed)}"
            )
    if form == "constant" and "mean" in spec:
        spec["value"] = spec.pop("mean")
    return spec


LatencySpec = Annotated[
    Annotated[LognormalQuantiles, Tag("quantiles")]
    | Annotated[LognormalLatency, Tag("lognormal")]
    | Annotated[ExponentialLatency, Tag("exponential")]
    | Annotated[GammaLatency, Tag("gamma")]
    | Annotated[ConstantLatency, Tag("constant")],
    Discriminator(_form_of),
    BeforeValidator(_normalise),
]
"""A version's latency: one of the forms above, chosen by ``dist`` (``{p50, p99}`` needs none)."""
