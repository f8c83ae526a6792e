"""Scenario files: parsing, validation and the frozen configuration models."""

from simulator.scenario.latency_spec import LatencySpec
from simulator.scenario.loader import load_scenario, parse_scenario, read_scenario_data, scenario_schema
from simulator.scenario.model import NO_STRATEGY_LABEL, Scenario
from simulator.scenario.strategy_config import (
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollbackThresholds,
    RollingConfig,
    ShadowConfig,
    resolve_strategy_kind,
)

__all__ = [
    "Scenario",
    "NO_STRATEGY_LABEL",
    "load_scenario",
    "parse_scenario",
    "read_scenario_data",
    "scenario_schema",
    "CanaryConfig",
    "BlueGreenConfig",
    "RollingConfig",
    "ImmediateConfig",
    "ABTestConfig",
    "ShadowConfig",
    "RollbackThresholds",
    "resolve_strategy_kind",
    "LatencySpec",
]
