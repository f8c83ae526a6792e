"""Scenario model of an A/B test's configuration (seed guide 002)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator

from simulator.scenario.limits import MAX_COUNT, MAX_LOOKS
from simulator.scenario.strategy_base import StrategyBase, snake_case
from simulator.scenario.types import Count, Duration, Fraction, Number

__all__ = ["ABTestConfig"]


class ABTestConfig(StrategyBase):
    """A/B test per seed guide 002: split users, collect, test, declare a winner."""

    kind: ClassVar[str] = "ab_test"
    split_ratio: Fraction = Field(0.5, gt=0, lt=1, description="share of users sent to the candidate, 0-1")
    minimum_samples: Count = Field(
        10_000, ge=2, le=MAX_COUNT,
        description="samples per arm before the final test: labelled predictions for accuracy, else requests",
    )
    significance_level: Fraction = Field(0.05, gt=0, lt=1, description="alpha of the test")
    primary_metric: Literal["accuracy", "error_rate", "latency"] = Field(
        "accuracy", description=(
            "accuracy and error_rate: chi-square test; latency: Welch's t-test, its variance across scrape "
            "intervals (5 per arm at least)"
        )
    )
    duration: Duration = Field(604800.0, gt=0, description="longest the test may run, seconds")
    test: Literal["fixed_horizon", "peeking", "sequential"] = Field(
        "fixed_horizon",
        description=(
            "fixed_horizon: test once at minimumSamples; peeking: the fixed-horizon test at every look "
            "(inflates false positives; the seed's 'declare winner after significance reached'); "
            "sequential: mSPRT, valid at every look"
        ),
    )
    looks: Count = Field(
        10, ge=1, le=MAX_LOOKS, description="looks at equally spaced sample sizes up to minimumSamples"
    )
    sequential_tau: Number = Field(
        0.1, gt=0, le=100, description="mSPRT mixing scale, in per-observation standard deviations"
    )
    check_interval: Duration = Field(60.0, gt=0, description="how often the sample size is looked at, seconds")
    ready_timeout: Duration = Field(600.0, gt=0)
    guardrails: list[Literal["accuracy", "error_rate", "latency"]] = Field(
        ["error_rate", "latency"],
        description=(
            "metrics tested beside the primary at every look; a significant regression of the candidate "
            "(at alpha / number of guardrails) stops the test and keeps stable. The primary metric is not "
            "tested again as a guardrail"
        ),
    )
    capacity: Literal["proportional", "shared"] = Field(
        "proportional",
        description=(
            "proportional: stable is scaled down to ceil((1 - splitRatio) x replicas) while the test runs, so "
            "each arm serves its share on capacity proportional to it (restored before the test ends); "
            "shared: stable keeps all its replicas (the candidate arm runs more loaded: latency is confounded)"
        ),
    )

    _metric_aliases = field_validator("primary_metric", mode="before")(lambda value: snake_case(value))

    @field_validator("guardrails", mode="before")
    @classmethod
    def _guardrail_aliases(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [snake_case(item) for item in value]
        return value

    @field_validator("guardrails")
    @classmethod
    def _distinct_guardrails(cls, guardrails: list[str]) -> list[str]:
        repeated = sorted({metric for metric in guardrails if guardrails.count(metric) > 1})
        if repeated:
            raise ValueError(f"expected each guardrail once, got {', '.join(repeated)} more than once")
        return guardrails

    def active_guardrails(self) -> list[Literal["accuracy", "error_rate", "latency"]]:
        """The guardrails tested: those listed, except the primary metric (its own test covers it)."""
        return [metric for metric in self.guardrails if metric != self.primary_metric]
