"""rollout-sim: simulate rolling out ML model versions before touching a cluster.

>>> from simulator import load_scenario, run
>>> result = run(load_scenario("scenarios/quickstart.yaml"), "canary")  # doctest: +SKIP

The public names are imported on first use (PEP 562), so that ``import
simulator`` -- and with it ``rollout-sim --help`` and ``rollout-sim validate``
-- does not pay for numba, scipy and pandas, which only running a simulation
needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy_names import lazy_names

if TYPE_CHECKING:
    from simulator.driver import run, run_all
    from simulator.errors import EngineError, ScenarioError, SimulatorError, StrategyError
    from simulator.experiment import compare, sweep
    from simulator.result import RunResult, VersionResult
    from simulator.scenario import Scenario, load_scenario, parse_scenario, scenario_schema
    from simulator.scenario.world_config import RollbackOperation

__all__ = [
    "load_scenario",
    "parse_scenario",
    "scenario_schema",
    "run",
    "run_all",
    "compare",
    "sweep",
    "Scenario",
    "RollbackOperation",
    "RunResult",
    "VersionResult",
    "SimulatorError",
    "ScenarioError",
    "StrategyError",
    "EngineError",
]

__version__ = "0.1.0"

# Public name -> the module that defines it.
_ORIGINS = {
    "load_scenario": "simulator.scenario",
    "parse_scenario": "simulator.scenario",
    "scenario_schema": "simulator.scenario",
    "Scenario": "simulator.scenario",
    "RollbackOperation": "simulator.scenario.world_config",
    "run": "simulator.driver",
    "run_all": "simulator.driver",
    "compare": "simulator.experiment",
    "sweep": "simulator.experiment",
    "RunResult": "simulator.result",
    "VersionResult": "simulator.result",
    "SimulatorError": "simulator.errors",
    "ScenarioError": "simulator.errors",
    "StrategyError": "simulator.errors",
    "EngineError": "simulator.errors",
}


__getattr__, __dir__ = lazy_names("simulator", globals(), _ORIGINS, __all__)
