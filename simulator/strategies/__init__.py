"""Rollout strategies: sans-I/O controllers, made from their configs by kind."""

from __future__ import annotations

from simulator.scenario.strategy_config import (
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
)
from simulator.strategies.ab_test import ABTestStrategy
from simulator.strategies.base import Strategy
from simulator.strategies.blue_green import BlueGreenStrategy
from simulator.strategies.canary import CanaryStrategy
from simulator.strategies.immediate import ImmediateStrategy
from simulator.strategies.rolling import RollingStrategy

__all__ = [
    "Strategy",
    "CanaryStrategy",
    "BlueGreenStrategy",
    "RollingStrategy",
    "ImmediateStrategy",
    "ABTestStrategy",
    "STRATEGIES",
    "make_strategy",
]

STRATEGIES: dict[type, type] = {
    CanaryConfig: CanaryStrategy,
    BlueGreenConfig: BlueGreenStrategy,
    RollingConfig: RollingStrategy,
    ImmediateConfig: ImmediateStrategy,
    ABTestConfig: ABTestStrategy,
}
"""Strategy class for each config class."""


def make_strategy(
    config: CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig,
) -> Strategy:
    """A fresh strategy object for ``config``."""
    return STRATEGIES[type(config)](config)
