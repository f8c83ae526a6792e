"""Scenario model of a region-by-region rollout in waves (a scenario with ``regions``).

::

    strategies:
      waves:
        strategy: Waves
        waves: [[us], [eu, ap]]          # default: one region per wave, in the order declared
        bake: 20m                        # watch after each wave before the next
        each: {strategy: Canary, initialPercentage: 10, incrementStep: 30, monitoringDuration: PT5M}
        onFailure: rollback_all          # or: halt (keep earlier waves on the candidate)

``each`` is any other strategy kind, run in every region of a wave at once
(see :mod:`simulator.strategies.waves`). The bake's checks take the keys of
a watch (``analysisInterval``, ``analysisWindow``, ``failureLimit``,
``onInconclusive``, ``rollbackThresholds`` ...); its rules default to those
of ``each`` where it has them.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.errors import ScenarioError
from simulator.scenario.ab_test_config import ABTestConfig
from simulator.scenario.blue_green_config import BlueGreenConfig
from simulator.scenario.canary_config import CanaryConfig
from simulator.scenario.limits import MAX_COUNT
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.rolling_config import RollingConfig
from simulator.scenario.shadow_config import ImmediateConfig, ShadowConfig
from simulator.scenario.strategy_base import LatencyMetric, StrategyBase, WatchingStrategy
from simulator.scenario.strategy_kinds import resolve_strategy_kind
from simulator.scenario.types import Count, Duration
from simulator.scenario.validation_errors import validation_to_scenario_error

__all__ = ["WavesConfig", "WaveStrategyConfig", "WAVE_STRATEGY_CONFIGS"]

WAVE_STRATEGY_CONFIGS: dict[str, type[StrategyBase]] = {
    "canary": CanaryConfig,
    "blue_green": BlueGreenConfig,
    "rolling": RollingConfig,
    "immediate": ImmediateConfig,
    "ab_test": ABTestConfig,
    "shadow": ShadowConfig,
}
"""The strategy kinds a wave may run in each of its regions."""

WaveStrategyConfig = CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig


class WavesConfig(WatchingStrategy):
    """Roll out region by region: ``each`` in every region of a wave at once, a bake watch between waves."""

    kind: ClassVar[str] = "waves"
    waves: list[list[str]] | None = Field(
        None, description="regions per wave, in order (default: one region per wave, in the order declared)"
    )
    bake: Duration = Field(
        600.0, ge=0, description="watch after each wave before the next one starts, seconds (0: none)"
    )
    each: WaveStrategyConfig = Field(
        default_factory=CanaryConfig, description="the strategy run in every region of a wave (default: canary)"
    )
    on_failure: Literal["rollback_all", "halt"] = Field(
        "rollback_all",
        description="a failed region or bake: rollback_all (every region back to the stable version) or halt "
                    "(the earlier waves keep the candidate)",
    )
    rollback_thresholds: RollbackThresholds | None = Field(
        None, description="the rules of the bake's checks (default: those of each, or the seed guide's)"
    )
    latency_metric: LatencyMetric = Field("p99", description="latency statistic the bake's latency rule compares")
    minimum_requests: Count = Field(50, ge=1, le=MAX_COUNT, description="fewer candidate requests means no data")
    minimum_labels: Count = Field(100, ge=1, le=MAX_COUNT, description="fewer labels skips the accuracy rule")
    recheck_interval: Duration = Field(30.0, gt=0, description="wait before looking again when data is missing")
    max_data_wait: Duration | None = Field(
        None, ge=0, description="how long the bake's last check may stay inconclusive before onInconclusive "
                                "applies, seconds (default: the bake plus the labels' delay)"
    )
    ready_timeout: Duration = Field(
        600.0, gt=0, description="a region rolled back must have its stable replicas ready again by then"
    )

    @field_validator("waves")
    @classmethod
    def _waves_not_empty(cls, waves: list[list[str]] | None) -> list[list[str]] | None:
        if waves is None:
            return None
        if not waves or any(not wave for wave in waves):
            raise ValueError(f"got {waves}; expected a non-empty list of non-empty lists of region names")
        seen: set[str] = set()
        for wave in waves:
            for region in wave:
                if region in seen:
                    raise ValueError(f"got region '{region}' in two waves; expected each region in one wave")
                seen.add(region)
        return waves

    @field_validator("each", mode="before")
    @classmethod
    def _each_by_kind(cls, raw: Any) -> Any:
        # Errors are raised as ScenarioError (not ValueError) so that they keep their own key path.
        if isinstance(raw, StrategyBase) or raw is None:
            return CanaryConfig() if raw is None else raw
        if not isinstance(raw, dict):
            raise ScenarioError(f"got {raw!r}; expected a map of settings", path="each", value=raw)
        if "from" in raw:
            raise ScenarioError("got a strategy read from manifests; expected a strategy written here (canary, "
                                "blue-green, rolling, immediate, A/B test or shadow): manifests do not run in "
                                "waves yet", path="each.from", value=raw["from"])
        name = raw.get("strategy") or "canary"
        try:
            kind = resolve_strategy_kind(str(name))
        except ValueError as error:
            raise ScenarioError(str(error), path="each.strategy", value=name) from None
        if kind not in WAVE_STRATEGY_CONFIGS:
            raise ScenarioError(f"got '{name}'; expected the strategy each region of a wave runs (canary, "
                                "blue-green, rolling, immediate, A/B test or shadow), not waves",
                                path="each.strategy", value=name)
        try:
            return WAVE_STRATEGY_CONFIGS[kind].model_validate(raw)
        except ValidationError as error:
            raise validation_to_scenario_error(error, None, raw).located(path_prefix="each") from None

    @model_validator(mode="after")
    def _bake_rules(self) -> WavesConfig:
        if self.rollback_thresholds is None:
            inner = getattr(self.each, "rollback_thresholds", None)
            rules = inner if isinstance(inner, RollbackThresholds) else RollbackThresholds.seed_defaults()
            object.__setattr__(self, "rollback_thresholds", rules)
        return self

    @property
    def monitoring_duration(self) -> float:
        """The bake's length, seconds: the watch's step (for :mod:`simulator.strategies.watch`)."""
        return self.bake

    @property
    def bake_rules(self) -> RollbackThresholds:
        """The rules of the bake's checks (filled in at validation)."""
        assert self.rollback_thresholds is not None
        return self.rollback_thresholds
