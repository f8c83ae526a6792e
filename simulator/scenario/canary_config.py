"""Scenario model of a canary's configuration (seed guides 002, 000 and 003)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from simulator.scenario.limits import MAX_COUNT, MAX_LOOKS
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.strategy_base import LatencyMetric, WatchingStrategy, camel, check_weights, snake_case
from simulator.scenario.types import Count, Duration, Number, Percentage

__all__ = ["CanaryConfig"]


class CanaryConfig(WatchingStrategy):
    """Canary per seed guide 002, or an explicit ``steps`` schedule (seed 000), or held to a duration (seed 003).

    Seed 000's canary is ``steps: [5, 10, 25, 50, 75, 100]``, ``initialDuration:
    10m``, ``monitoringDuration: 5m`` with ``maxErrorRate: 0.01`` and
    ``maxResponseTime: 2s``; seed 003's is ``steps: [5, 10, 25, 50]`` (up to
    its maximum canary traffic) with ``rolloutDuration`` and ``judge:
    mann_whitney`` (its 70 % / 90 % rule).

    ``inferenceService`` marks a KServe InferenceService's canary: the loader
    sets it (to the service's ``metadata.name``) when it reads a strategy
    ``{from: isvc.yaml}``, and a dump carries it back, as ``path`` is carried
    for the other strategies read from manifests. Only such a canary takes an
    operator's ``promote`` from the scenario's operations (KServe's
    ``canaryTrafficPercent: 100``). A KServe canary is one weight, then 100 %.
    """

    kind: ClassVar[str] = "canary"
    initial_percentage: Percentage | None = Field(
        None, gt=0, le=100, description="first candidate weight, % (default 10; not with steps)"
    )
    increment_step: Percentage | None = Field(
        None, ge=0.01, le=100, description="weight added after each passed check, % (default 15; not with steps)"
    )
    monitoring_duration: Duration = Field(300.0, gt=0, description="time at each weight before checking, seconds")
    initial_duration: Duration | None = Field(
        None, gt=0, description="time at the first weight before its check, seconds (seed 000: 10 min; "
                                "default monitoringDuration)"
    )
    steps: list[Percentage] | None = Field(
        None, description="explicit weights, % (seed 000: 5, 10, 25, 50, 75, 100); each is checked; they end at "
                          "100 unless rolloutDuration is set"
    )
    rollout_duration: Duration | None = Field(
        None, gt=0,
        description="promote at the first passed check once this long has passed since the first step, seconds, "
                    "whatever the weight; until then the last weight is held and checked every monitoringDuration "
                    "(seed 003's rollout_duration_minutes)",
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
    baseline: Literal["stable", "fresh"] = Field(
        "stable",
        description=(
            "stable: judge the canary against the stable version's own replicas; fresh (Kayenta's practice): start "
            "a new deployment of the stable version sized like the canary, give it the canary's weight, and judge "
            "against it, so both arms are equally new, equally large and equally loaded (weights up to 50 %)"
        ),
    )
    judge: Literal["threshold", "mann_whitney"] = Field(
        "threshold",
        description="threshold: the seed guide's rules on window totals; mann_whitney: per-interval statistical judge",
    )
    judge_alpha: Number | None = Field(
        None, gt=0, lt=0.5, description="significance level of the Mann-Whitney judge (default 0.05; judge only)"
    )
    pass_score: Percentage | None = Field(
        None, ge=0, le=100, description="judge score to proceed, % (seed 003: 90; judge only)"
    )
    marginal_score: Percentage | None = Field(
        None, ge=0, le=100, description="below this judge score roll back, % (seed 003: 70; judge only)"
    )
    max_holds: Count | None = Field(
        None, ge=0, le=MAX_LOOKS, description="marginal scores allowed in a row before rolling back (default 2)"
    )
    inference_service: str | None = Field(
        None, min_length=1,
        description="the KServe InferenceService whose canary this is (set by from: isvc.yaml, not written by "
                    "hand); such a canary takes operator promotes",
    )

    _JUDGE_DEFAULTS: ClassVar[dict[str, float]] = {
        "judge_alpha": 0.05, "pass_score": 90.0, "marginal_score": 70.0, "max_holds": 2,
    }

    @model_validator(mode="after")
    def _keys_that_take_effect(self) -> CanaryConfig:
        # A key that would change nothing is an error, not a silent no-op.
        if self.steps is not None and self.steps[-1] != 100 and self.rollout_duration is None:
            raise ValueError(f"got steps ending at {self.steps[-1]:g}; expected the last step to be 100, or a "
                             "rolloutDuration after which the canary is promoted from its last weight")
        if self.baseline == "fresh":
            checked = [weight for weight in self.schedule() if weight < 100]
            if any(weight > 50 for weight in checked):
                raise ValueError(f"got baseline: fresh with weights {', '.join(f'{w:g}' for w in checked)} %; expected "
                                 "every weight before 100 to be at most 50 (the fresh baseline takes as much traffic "
                                 "as the canary), e.g. steps: [10, 25, 50, 100]")
            if self.rollout_duration is not None:
                raise ValueError("got baseline: fresh with rolloutDuration; expected one of them (a duration-held "
                                 "canary is promoted from its top weight, which a fresh baseline cannot match)")
        if self.inference_service is not None and (
                self.steps is not None or self.initial_percentage is None or self.initial_percentage >= 100
                or self.increment_step != 100 - self.initial_percentage):
            raise ValueError(f"got inferenceService {self.inference_service} on a canary that is not one weight "
                             "then 100 %; expected it only as a KServe canary sets it (from: isvc.yaml)")
        if self.steps is not None:
            for field, key in (("initial_percentage", "initialPercentage"), ("increment_step", "incrementStep")):
                if getattr(self, field) is not None:
                    raise ValueError(f"got {key} {getattr(self, field):g} beside steps; expected one of them "
                                     f"({key} has no effect when steps is set)")
        if self.judge == "threshold":
            for field in self._JUDGE_DEFAULTS:
                if getattr(self, field) is not None:
                    key = camel(field)
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

    _judge_aliases = field_validator("judge", mode="before")(lambda value: snake_case(value))

    @field_validator("steps")
    @classmethod
    def _check_steps(cls, steps: list[float] | None) -> list[float] | None:
        # Ending below 100 is allowed with rolloutDuration; the model validator checks that.
        return None if steps is None else check_weights(steps, end_at_100=False)

    def step_duration(self, step_index: int) -> float:
        """Seconds the step ``step_index`` (0-based) runs before its check."""
        if step_index == 0 and self.initial_duration is not None:
            return self.initial_duration
        return self.monitoring_duration

    def schedule(self) -> list[float]:
        """The candidate weights in order, in % (ending at 100 unless ``rolloutDuration`` is set)."""
        if self.steps is not None:
            return list(self.steps)
        initial = 10.0 if self.initial_percentage is None else self.initial_percentage
        increment = 15.0 if self.increment_step is None else self.increment_step
        weights = [min(initial, 100.0)]
        while weights[-1] < 100.0:
            weights.append(min(weights[-1] + increment, 100.0))
        return weights
