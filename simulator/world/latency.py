"""Service-time distributions of a model version.

A scenario gives a version's latency either as ``{p50, p99}`` (a lognormal is
fitted through both quantiles) or as an explicit distribution
(``{dist: exponential, mean: 250ms}``, ``lognormal``, ``gamma``, ``constant``);
the scenario keeps it as plain data (:mod:`simulator.scenario.latency_spec`)
and :meth:`LatencyDistribution.from_spec` makes the sampler.

Samples are made from per-request uniforms and standard normals that the
traffic stream draws once per request (``transform``), so two versions serving
the same request see the same quantile of their own distribution: common
random numbers between versions and between strategies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

from simulator.scenario.latency_spec import (
    ConstantLatency,
    ExponentialLatency,
    GammaLatency,
    LatencySpec,
    LognormalLatency,
    LognormalQuantiles,
)

if TYPE_CHECKING:
    import numpy as np
    from scipy import stats

__all__ = ["LatencyDistribution", "Z_P99"]

_STANDARD_NORMAL = NormalDist()
Z_P99 = _STANDARD_NORMAL.inv_cdf(0.99)
"""The standard normal's 99th percentile (the same float as ``scipy.stats.norm.ppf(0.99)``)."""


@dataclass(frozen=True, slots=True)
class LatencyDistribution:
    """A service-time distribution, in seconds.

    ``kind`` is ``lognormal`` (parameters ``mu``, ``sigma`` of the log),
    ``exponential`` (``mean``), ``gamma`` (``shape``, ``scale``) or
    ``constant`` (``value``).
    """

    kind: str
    mu: float = 0.0
    sigma: float = 0.0
    mean_s: float = 0.0
    shape: float = 1.0
    scale: float = 1.0
    value: float = 0.0

    @classmethod
    def from_spec(cls, spec: LatencySpec) -> LatencyDistribution:
        """The distribution a scenario's latency spec describes."""
        if isinstance(spec, LognormalQuantiles):
            return cls.lognormal_from_quantiles(spec.p50, spec.p99)
        if isinstance(spec, LognormalLatency):
            assert spec.median is not None  # the spec fills it from the mean
            return cls.lognormal(spec.median, spec.sigma)
        if isinstance(spec, ExponentialLatency):
            return cls.exponential(spec.mean)
        if isinstance(spec, GammaLatency):
            return cls.gamma(spec.mean, spec.shape)
        if isinstance(spec, ConstantLatency):
            return cls.constant(spec.value)
        raise TypeError(f"not a latency spec: {spec!r}")

    @classmethod
    def lognormal_from_quantiles(cls, p50: float, p99: float) -> LatencyDistribution:
        """The lognormal whose median is ``p50`` and 99th percentile ``p99`` (seconds)."""
        if not (p50 > 0 and p99 > p50):
            raise ValueError(f"need 0 < p50 < p99, got p50={p50}, p99={p99}")
        return cls(kind="lognormal", mu=math.log(p50), sigma=math.log(p99 / p50) / Z_P99)

    @classmethod
    def lognormal(cls, median: float, sigma: float) -> LatencyDistribution:
        """A lognormal with the given median (seconds) and log-standard-deviation."""
        return cls(kind="lognormal", mu=math.log(median), sigma=sigma)

    @classmethod
    def exponential(cls, mean: float) -> LatencyDistribution:
        """An exponential distribution with the given mean (seconds)."""
        return cls(kind="exponential", mean_s=mean)

    @classmethod
    def gamma(cls, mean: float, shape: float) -> LatencyDistribution:
        """A gamma distribution with the given mean (seconds) and shape."""
        return cls(kind="gamma", shape=shape, scale=mean / shape)

    @classmethod
    def constant(cls, value: float) -> LatencyDistribution:
        """Every request takes exactly ``value`` seconds."""
        return cls(kind="constant", value=value)

    def frozen(self) -> stats.rv_continuous:
        """The equivalent ``scipy.stats`` frozen distribution (for quantiles and tests).

        A constant has no continuous equivalent: ``ValueError``.
        """
        from scipy import stats
        if self.kind == "lognormal":
            return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))
        if self.kind == "exponential":
            return stats.expon(scale=self.mean_s)
        if self.kind == "gamma":
            return stats.gamma(a=self.shape, scale=self.scale)
        raise ValueError("a constant latency has no continuous scipy equivalent")

    def mean(self) -> float:
        """Mean service time in seconds."""
        if self.kind == "lognormal":
            return math.exp(self.mu + self.sigma**2 / 2)
        if self.kind == "exponential":
            return self.mean_s
        if self.kind == "gamma":
            return self.shape * self.scale
        return self.value

    def quantile(self, q: float) -> float:
        """The ``q``-quantile in seconds (closed forms but for the gamma, which asks scipy)."""
        if self.kind == "lognormal":
            return math.exp(self.sigma * _STANDARD_NORMAL.inv_cdf(q)) * math.exp(self.mu)
        if self.kind == "exponential":
            return -self.mean_s * math.log1p(-q)
        if self.kind == "gamma":
            return float(self.frozen().ppf(q))
        return self.value

    def share_above(self, seconds: float) -> float:
        """The probability that a service time exceeds ``seconds``, 0-1."""
        if seconds <= 0:
            return 1.0
        if self.kind == "lognormal":
            return 1.0 - _STANDARD_NORMAL.cdf((math.log(seconds) - self.mu) / self.sigma)
        if self.kind == "exponential":
            return math.exp(-seconds / self.mean_s)
        if self.kind == "gamma":
            return float(self.frozen().sf(seconds))
        return 1.0 if self.value > seconds else 0.0

    def transform(self, uniform: np.ndarray, normal: np.ndarray) -> np.ndarray:
        """Map per-request draws to service times in seconds.

        ``uniform`` holds U(0, 1) draws and ``normal`` N(0, 1) draws, one per
        request; each distribution uses whichever makes it exact and fast.
        """
        import numpy as np  # not at import: validate reads quantiles without it
        if self.kind == "lognormal":
            return np.exp(self.mu + self.sigma * normal)
        if self.kind == "exponential":
            return -self.mean_s * np.log1p(-uniform)
        if self.kind == "gamma":
            from scipy import special

            return self.scale * special.gammaincinv(self.shape, uniform)
        return np.full(uniform.shape, self.value)

    def describe(self) -> str:
        """A short human description, e.g. ``lognormal(p50=40ms, p99=160ms)``."""
        if self.kind == "lognormal":
            p50 = math.exp(self.mu)
            p99 = math.exp(self.mu + self.sigma * Z_P99)
            return f"lognormal(p50={p50 * 1e3:.3g}ms, p99={p99 * 1e3:.3g}ms)"
        if self.kind == "exponential":
            return f"exponential(mean={self.mean_s * 1e3:.3g}ms)"
        if self.kind == "gamma":
            return f"gamma(mean={self.mean() * 1e3:.3g}ms, shape={self.shape:.3g})"
        return f"constant({self.value * 1e3:.3g}ms)"
