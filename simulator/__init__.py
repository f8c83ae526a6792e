"""rollout-sim: simulate rolling out ML model versions before touching a cluster.

>>> from simulator import load_scenario, run
>>> result = run(load_scenario("scenarios/quickstart.yaml"), "canary")  # doctest: +SKIP
"""

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
