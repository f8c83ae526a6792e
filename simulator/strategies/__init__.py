"""Rollout strategies: sans-I/O controllers, made from their configs by kind."""

from __future__ import annotations

from simulator.scenario.strategy_config import (
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
    ShadowConfig,
)
from simulator.strategies.ab_test import ABTestStrategy
from simulator.strategies.base import Strategy
from simulator.strategies.blue_green import BlueGreenStrategy
from simulator.strategies.canary import CanaryStrategy
from simulator.strategies.immediate import ImmediateStrategy
from simulator.strategies.rolling import RollingStrategy
from simulator.strategies.shadow import ShadowStrategy

__all__ = [
    "Strategy",
    "CanaryStrategy",
    "BlueGreenStrategy",
    "RollingStrategy",
    "ImmediateStrategy",
    "ABTestStrategy",
    "ShadowStrategy",
    "STRATEGIES",
    "make_strategy",
]

STRATEGIES: dict[type, type] = {
    CanaryConfig: CanaryStrategy,
    BlueGreenConfig: BlueGreenStrategy,
    RollingConfig: RollingStrategy,
    ImmediateConfig: ImmediateStrategy,
    ABTestConfig: ABTestStrategy,
    ShadowConfig: ShadowStrategy,
}
"""Strategy class for each config class."""


def make_strategy(
    config: CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig,
) -> Strategy:
    """A fresh strategy object for ``config``."""
    return STRATEGIES[type(config)](config)
