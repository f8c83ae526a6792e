"""Scenario models of the rollout strategies' configurations, one module per strategy.

Keys are written as in the seed guide's JSON (``initialPercentage``) or in
snake_case (``initial_percentage``). The kind of a strategy comes from its
``strategy`` key (``Canary``, ``BlueGreen``, ``blue-green``, ``RollingUpdate``
...) or, when that key is absent, from its label.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulator.scenario.ab_test_config import ABTestConfig
from simulator.scenario.blue_green_config import BlueGreenConfig
from simulator.scenario.canary_config import CanaryConfig
from simulator.scenario.rollback_thresholds import RollbackThresholds
from simulator.scenario.rolling_config import RollingConfig
from simulator.scenario.shadow_config import ImmediateConfig, ShadowConfig
from simulator.scenario.strategy_base import StrategyBase
from simulator.scenario.strategy_kinds import resolve_strategy_kind
from simulator.scenario.waves_config import WavesConfig

__all__ = [
    "RollbackThresholds",
    "CanaryConfig",
    "BlueGreenConfig",
    "RollingConfig",
    "ImmediateConfig",
    "ABTestConfig",
    "ShadowConfig",
    "WavesConfig",
    "StrategyConfig",
    "STRATEGY_CONFIGS",
    "resolve_strategy_kind",
]

STRATEGY_CONFIGS: dict[str, type[StrategyBase]] = {
    "canary": CanaryConfig,
    "blue_green": BlueGreenConfig,
    "rolling": RollingConfig,
    "immediate": ImmediateConfig,
    "ab_test": ABTestConfig,
    "shadow": ShadowConfig,
    "waves": WavesConfig,
}

StrategyConfig = Annotated[
    CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig | WavesConfig,
    Field(description="a strategy config"),
]
