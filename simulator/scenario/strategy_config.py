"""Scenario models of the rollout strategies' configurations.

Keys are written as in the seed guide's JSON (``initialPercentage``) or in
snake_case (``initial_percentage``). The kind of a strategy comes from its
``strategy`` key (``Canary``, ``BlueGreen``, ``blue-green``, ``RollingUpdate``
...) or, when that key is absent, from its label.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulator.scenario.base import CamelModel, suggest
from simulator.scenario.limits import MAX_COUNT, MAX_LOOKS, MAX_REPLICAS, MAX_SAMPLES
from simulator.scenario.types import Count, Duration, Number

__all__ = [
    "RollbackThresholds",
    "CanaryConfig",
    "BlueGreenConfig",
    "RollingConfig",
    "ImmediateConfig",
    "ABTestConfig",
    "ShadowConfig",
    "StrategyConfig",
    "STRATEGY_CONFIGS",
    "resolve_strategy_kind",
]

LatencyMetric = Literal["mean", "p50", "p90", "p95", "p99"]


def _camel(name: str) -> str:
    """``pass_score`` -> ``passScore``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _snake_case(value: object) -> object:
    """``errorRate`` / ``MannWhitney`` / ``mann-whitney`` -> ``error_rate`` / ``mann_whitney``."""
    if isinstance(value, str):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower().replace("-", "_")
    return value


class RollbackThresholds(CamelModel):
    """Rollback rules of seed guide 002, judged candidate against stable over one window.

    A rule left out is not checked. ``None`` for the whole block means the
    seed guide's defaults (:meth:`seed_defaults`).
    """

    accuracy_drop: Number | None = Field(
        None, ge=0, le=1, description="roll back if (stable - candidate) / stable accuracy exceeds this (relative)"
    )
    latency_increase: Number | None = Field(
        None, gt=0, description="roll back if candidate / stable latency exceeds this ratio"
    )
    error_rate_increase: Number | None = Field(
        None, ge=0, le=1, description="roll back if candidate - stable error rate exceeds this (absolute)"
    )
    drift_score: Number | None = Field(
        None, ge=0, description="roll back if the candidate's data drift score exceeds this"
    )

    @classmethod
    def seed_defaults(cls) -> RollbackThresholds:
        """Seed guide 002: accuracy -5 % relative, latency x1.5, error rate +1 point, drift 0.3."""
        return cls(accuracy_drop=0.05, latency_increase=1.5, error_rate_increase=0.01, drift_score=0.3)


class _StrategyBase(CamelModel):
    kind: ClassVar[str]
    strategy: str | None = Field(None, description="strategy kind; defaults to the label")

    @model_validator(mode="after")
    def _name_the_kind(self) -> _StrategyBase:
        # A config whose kind came from its label names it, so that a dump loads back under any label.
        if self.strategy is None:
            object.__setattr__(self, "strategy", self.kind)
        elif resolve_strategy_kind(self.strategy) != self.kind:
            raise ValueError(f"got strategy '{self.strategy}'; expected a {self.kind} strategy")
        return self


OnInconclusive = Literal["wait", "rollback", "promote", "pause"]


class _WatchingStrategy(_StrategyBase):
    """Keys of the strategies that watch a candidate (see :mod:`simulator.strategies.watch`)."""

    analysis_interval: Duration = Field(
        30.0, gt=0, description="seconds between checks inside a step or watch (seed 000: 30 s)"
    )
    analysis_window: Duration = Field(
        60.0, gt=0, description="sliding window of each check inside a step or watch, seconds"
    )
    failure_limit: Count = Field(
        0, ge=0, le=MAX_LOOKS,
        description="failed checks inside steps tolerated over the rollout before rolling back "
                    "(0: abort at the first, as seed 000 and Argo Rollouts)",
    )
    on_inconclusive: OnInconclusive = Field(
        "wait",
        description=(
            "when a step's check stays inconclusive until maxDataWait: wait (then roll back), rollback (at once), "
            "promote (proceed as passed) or pause (hold; the run ends incomplete)"
        ),
    )


class CanaryConfig(_WatchingStrategy):
    """Canary per seed guide 002 (or an explicit ``steps`` schedule per seed 000)."""

    kind: ClassVar[str] = "canary"
    initial_percentage: Number | None = Field(
        None, gt=0, le=100, description="first candidate weight, % (default 10; not with steps)"
    )
    increment_step: Number | None = Field(
        None, ge=0.01, le=100, description="weight added after each passed check, % (default 15; not with steps)"
    )
    monitoring_duration: Duration = Field(300.0, gt=0, description="time at each weight before checking, seconds")
    steps: list[Number] | None = Field(
        None, description="explicit weights, % (seed 000: 10, 25, 50, 75, 100); each is checked"
    )
    rollback_thresholds: RollbackThresholds = Field(default_factory=RollbackThresholds.seed_defaults)
    latency_metric: LatencyMetric = Field("p99", description="latency statistic the latency rule compares")
    minimum_requests: Count = Field(
        50, ge=1, le=MAX_COUNT, description="fewer candidate requests in a window means no data"
    )
    minimum_labels: Count = Field(
        100, ge=1, le=MAX_COUNT, description="fewer labels per version skips the accuracy rule"
    )
    recheck_interval: Duration = Field(30.0, gt=0, description="wait before looking again when data is missing")
    max_data_wait: Duration | None = Field(
        None, ge=0, description="how long a step's check may stay inconclusive before onInconclusive applies, "
                                "seconds (default: monitoringDuration plus the labels' delay)"
    )
    candidate_replicas: Literal["proportional", "full"] = Field(
        "proportional", description="candidate replicas follow the weight (ceil) or start at full size"
    )
    capacity: Literal["shared", "proportional"] | None = Field(
        None,
        description=(
            "shared: the stable version keeps all its replicas (instant rollback); proportional: it shrinks to "
            "its share as the canary grows (dynamicStableScale), so both serve at the same load "
            "(default: proportional under the statistical judge, shared under the threshold judge)"
        ),
    )
    ready_timeout: Duration = Field(600.0, gt=0, description="roll back if new replicas are not ready by then")
    judge: Literal["threshold", "mann_whitney"] = Field(
        "threshold",
        description="threshold: the seed guide's rules on window totals; mann_whitney: per-interval statistical judge",
    )
    judge_alpha: Number | None = Field(
        None, gt=0, lt=0.5, description="significance level of the Mann-Whitney judge (default 0.05; judge only)"
    )
    pass_score: Number | None = Field(
        None, ge=0, le=100, description="judge score to proceed, % (seed 003: 90; judge only)"
    )
    marginal_score: Number | None = Field(
        None, ge=0, le=100, description="below this judge score roll back, % (seed 003: 70; judge only)"
    )
    max_holds: Count | None = Field(
        None, ge=0, le=MAX_LOOKS, description="marginal scores allowed in a row before rolling back (default 2)"
    )

    _JUDGE_DEFAULTS: ClassVar[dict[str, float]] = {
        "judge_alpha": 0.05, "pass_score": 90.0, "marginal_score": 70.0, "max_holds": 2,
    }

    @model_validator(mode="after")
    def _keys_that_take_effect(self) -> CanaryConfig:
        # A key that would change nothing is an error, not a silent no-op.
        if self.steps is not None:
            for field, key in (("initial_percentage", "initialPercentage"), ("increment_step", "incrementStep")):
                if getattr(self, field) is not None:
                    raise ValueError(f"got {key} {getattr(self, field):g} beside steps; expected one of them "
                                     f"({key} has no effect when steps is set)")
        if self.judge == "threshold":
            for field in self._JUDGE_DEFAULTS:
                if getattr(self, field) is not None:
                    key = _camel(field)
                    raise ValueError(f"got {key} {getattr(self, field):g} with the threshold judge; expected "
                                     f"judge: mann_whitney ({key} has no effect with the threshold judge)")
        elif self.judge_setting("marginal_score") > self.judge_setting("pass_score"):
            raise ValueError(f"got marginalScore {self.judge_setting('marginal_score'):g} above passScore "
                             f"{self.judge_setting('pass_score'):g}; expected marginalScore <= passScore")
        if self.judge == "mann_whitney" and self.latency_metric not in ("p50", "p99"):
            raise ValueError(f"got latencyMetric {self.latency_metric} with judge: mann_whitney; expected p50 or p99 "
                             "(the statistical judge weighs the p50 and p99 of each interval)")
        if self.judge == "mann_whitney" and self.rollback_thresholds.drift_score is not None:
            if "rollback_thresholds" in self.model_fields_set and \
                    "drift_score" in self.rollback_thresholds.model_fields_set:
                raise ValueError(f"got driftScore {self.rollback_thresholds.drift_score:g} with judge: mann_whitney; "
                                 "expected the threshold judge or no driftScore (the statistical judge weighs error "
                                 "rate, latency and accuracy, not drift)")
            object.__setattr__(self, "rollback_thresholds",
                               self.rollback_thresholds.model_copy(update={"drift_score": None}))
        return self

    @property
    def capacity_mode(self) -> str:
        """``shared`` or ``proportional``, the default filled in from the judge."""
        if self.capacity is not None:
            return self.capacity
        return "proportional" if self.judge == "mann_whitney" else "shared"

    def judge_setting(self, field: str) -> float:
        """The judge's ``judge_alpha``, ``pass_score``, ``marginal_score`` or ``max_holds``, defaults filled in."""
        value = getattr(self, field)
        return self._JUDGE_DEFAULTS[field] if value is None else value

    _judge_aliases = field_validator("judge", mode="before")(lambda value: _snake_case(value))

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, steps: list[float] | None) -> list[float] | None:
        if steps is None:
            return None
        if not steps:
            raise ValueError("expected a non-empty list of weights in % ending at 100")
        if any(not 0 < step <= 100 for step in steps):
            raise ValueError(f"expected weights in (0, 100], got {steps}")
        if any(later <= earlier for earlier, later in zip(steps, steps[1:], strict=False)):
            raise ValueError(f"expected strictly increasing weights, got {steps}")
        if steps[-1] != 100:
            raise ValueError(f"expected the last step to be 100, got {steps[-1]}")
        return steps

    def schedule(self) -> list[float]:
        """The candidate weights in order, in %, ending at 100."""
        if self.steps is not None:
            return list(self.steps)
        initial = 10.0 if self.initial_percentage is None else self.initial_percentage
        increment = 15.0 if self.increment_step is None else self.increment_step
        weights = [min(initial, 100.0)]
        while weights[-1] < 100.0:
            weights.append(min(weights[-1] + increment, 100.0))
        return weights


class BlueGreenConfig(_WatchingStrategy):
    """Blue-green per seed guide 002."""

    kind: ClassVar[str] = "blue_green"
    smoke_test_samples: Count = Field(
        100, ge=0, le=MAX_SAMPLES, description="synthetic requests sent to green before the switch"
    )
    monitoring_duration: Duration = Field(300.0, gt=0, description="watch time after the switch, seconds")
    keep_blue_duration: Duration = Field(300.0, ge=0, description="blue kept warm after the watch, seconds")
    rollback_thresholds: RollbackThresholds = Field(default_factory=RollbackThresholds.seed_defaults)
    latency_metric: LatencyMetric = "p99"
    minimum_requests: Count = Field(50, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    recheck_interval: Duration = Field(30.0, gt=0)
    max_data_wait: Duration | None = Field(
        None, ge=0, description="how long a check may stay inconclusive before onInconclusive applies, seconds "
                                "(default: monitoringDuration plus the labels' delay)"
    )
    ready_timeout: Duration = Field(600.0, gt=0, description="roll back if green is not ready by then")


class RollingConfig(_StrategyBase):
    """Rolling update per seeds 000 and 002: ``batchSize`` replicas at a time."""

    kind: ClassVar[str] = "rolling"
    batch_size: Count = Field(1, ge=1, le=MAX_REPLICAS, description="replicas replaced per batch")
    delay: Duration = Field(30.0, ge=0, description="wait after a batch is ready, before its health check, seconds")
    error_rate_threshold: Number = Field(
        0.05, ge=0, le=1, description="health check fails above this candidate error rate (seed 000: 0.05)"
    )
    response_time_threshold: Duration = Field(
        5.0, gt=0, description="health check fails above this candidate latency, seconds (seed 000: 5s)"
    )
    latency_metric: LatencyMetric = "p99"
    rollback_thresholds: RollbackThresholds | None = Field(
        None, description="optional relative rules, candidate against stable"
    )
    minimum_requests: Count = Field(20, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    recheck_interval: Duration = Field(15.0, gt=0, description="wait before looking again when data is missing")
    max_data_wait: Duration | None = Field(
        None, ge=0, description="revert after a health check stays inconclusive this long, seconds "
                                "(default: 300 s plus the labels' delay)"
    )
    ready_timeout: Duration = Field(600.0, gt=0, description="a batch not ready after this fails the rollout")


class ImmediateConfig(_StrategyBase):
    """Switch all traffic to the candidate as soon as it is up; no checks."""

    kind: ClassVar[str] = "immediate"
    ready_timeout: Duration = Field(600.0, gt=0, description="give up if the new replicas are not ready by then")


class ABTestConfig(_StrategyBase):
    """A/B test per seed guide 002: split users, collect, test, declare a winner."""

    kind: ClassVar[str] = "ab_test"
    split_ratio: Number = Field(0.5, gt=0, lt=1, description="share of users sent to the candidate, 0-1")
    minimum_samples: Count = Field(
        10_000, ge=2, le=MAX_COUNT,
        description="samples per arm before the final test: labelled predictions for accuracy, else requests",
    )
    significance_level: Number = Field(0.05, gt=0, lt=1, description="alpha of the test")
    primary_metric: Literal["accuracy", "error_rate", "latency"] = Field(
        "accuracy", description="accuracy and error_rate: chi-square test; latency: Welch's t-test"
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

    _metric_aliases = field_validator("primary_metric", mode="before")(lambda value: _snake_case(value))

    @field_validator("guardrails", mode="before")
    @classmethod
    def _guardrail_aliases(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return [_snake_case(item) for item in value]
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


class ShadowConfig(_StrategyBase):
    """Shadow deployment per seed guide 002: mirror traffic, compare, promote or retire."""

    kind: ClassVar[str] = "shadow"
    mirror_percentage: Number = Field(100.0, gt=0, le=100, description="share of user requests copied, %")
    duration: Duration = Field(3600.0, gt=0, description="how long the shadow runs before the verdict, seconds")
    max_divergence: Number = Field(
        0.05, ge=0, le=1, description="promote only if at most this share of predictions differ from production"
    )
    rollback_thresholds: RollbackThresholds = Field(default_factory=RollbackThresholds.seed_defaults)
    latency_metric: LatencyMetric = "p99"
    minimum_requests: Count = Field(50, ge=1, le=MAX_COUNT)
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT)
    ready_timeout: Duration = Field(600.0, gt=0)


STRATEGY_CONFIGS: dict[str, type[_StrategyBase]] = {
    "canary": CanaryConfig,
    "blue_green": BlueGreenConfig,
    "rolling": RollingConfig,
    "immediate": ImmediateConfig,
    "ab_test": ABTestConfig,
    "shadow": ShadowConfig,
}

StrategyConfig = Annotated[
    CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig,
    Field(description="a strategy config"),
]

_ALIASES = {
    "canary": "canary",
    "bluegreen": "blue_green",
    "rolling": "rolling",
    "rollingupdate": "rolling",
    "immediate": "immediate",
    "recreate": "immediate",
    "abtesting": "ab_test",
    "abtest": "ab_test",
    "ab": "ab_test",
    "shadow": "shadow",
}


def resolve_strategy_kind(name: str) -> str:
    """Map a strategy name or alias (case-insensitive) to its kind, or raise ``ValueError``."""
    key = re.sub(r"[\s_\-]", "", name).lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise ValueError(
        f"unknown strategy kind '{name}'{suggest(name, list(STRATEGY_CONFIGS) + ['BlueGreen', 'RollingUpdate'])}; "
        f"expected one of: {', '.join(STRATEGY_CONFIGS)} (set it with the 'strategy' key)"
    )
