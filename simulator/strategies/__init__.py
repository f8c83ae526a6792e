"""Rollout strategies: sans-I/O controllers, made from their configs by kind.

The strategies read from Argo Rollouts and Flagger manifests are imported when one is made: their manifest and
analysis models take long to build, and most scenarios have none.
"""

from __future__ import annotations

from collections.abc import Callable

from simulator.scenario.manifest_strategy_config import ArgoRolloutConfig, FlaggerCanaryConfig
from simulator.scenario.strategy_config import (
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
    ShadowConfig,
    WavesConfig,
)
from simulator.strategies.ab_test import ABTestStrategy
from simulator.strategies.base import Strategy
from simulator.strategies.blue_green import BlueGreenStrategy
from simulator.strategies.canary import CanaryStrategy
from simulator.strategies.immediate import ImmediateStrategy
from simulator.strategies.post_promotion import WatchAfterPromotion
from simulator.strategies.rolling import RollingStrategy
from simulator.strategies.shadow import ShadowStrategy
from simulator.strategies.test_suite_gate import TestSuiteGate
from simulator.strategies.waves import WavesStrategy

__all__ = [
    "Strategy",
    "CanaryStrategy",
    "BlueGreenStrategy",
    "RollingStrategy",
    "ImmediateStrategy",
    "ABTestStrategy",
    "ShadowStrategy",
    "WatchAfterPromotion",
    "TestSuiteGate",
    "WavesStrategy",
    "STRATEGIES",
    "make_strategy",
]


def _argo_strategy(config: ArgoRolloutConfig) -> Strategy:
    from simulator.strategies.argo.from_manifests import argo_strategy

    return argo_strategy(config)


def _flagger_strategy(config: FlaggerCanaryConfig) -> Strategy:
    from simulator.strategies.flagger.from_manifests import flagger_strategy

    return flagger_strategy(config)


STRATEGIES: dict[type, Callable[..., Strategy]] = {
    CanaryConfig: CanaryStrategy,
    BlueGreenConfig: BlueGreenStrategy,
    RollingConfig: RollingStrategy,
    ImmediateConfig: ImmediateStrategy,
    ABTestConfig: ABTestStrategy,
    ShadowConfig: ShadowStrategy,
    ArgoRolloutConfig: _argo_strategy,
    FlaggerCanaryConfig: _flagger_strategy,
    WavesConfig: lambda config: WavesStrategy(config, make_strategy),  # each region's strategy made as any other
}
"""Strategy class (or factory) for each config class."""


def make_strategy(
    config: CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig
    | ArgoRolloutConfig | FlaggerCanaryConfig | WavesConfig,
) -> Strategy:
    """A fresh strategy object for ``config``, wrapped in the watches its config asks for."""
    strategy: Strategy = STRATEGIES[type(config)](config)
    if config.post_promotion is not None:
        strategy = WatchAfterPromotion(strategy, config.post_promotion)
    if config.test_suite is not None:  # outermost: the suite runs before anything is deployed
        strategy = TestSuiteGate(strategy, config.test_suite)
    return strategy
