"""Experiments at scale: Monte Carlo comparisons and parameter sweeps on paired seeds.

The public names are imported on first use (PEP 562): a worker process that
runs cases (:mod:`simulator.experiment.runner`) needs neither pandas nor
scipy.stats, which only the comparison of the rows does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy_names import lazy_names

if TYPE_CHECKING:
    from simulator.experiment.compare import ScenarioInput, compare, sweep
    from simulator.experiment.experiment_result import ExperimentResult
    from simulator.experiment.points import apply_params, parse_param, scenario_at
    from simulator.experiment.runner import Case, representative_runs, run_case

__all__ = ["compare", "sweep", "ExperimentResult", "ScenarioInput", "parse_param", "apply_params", "scenario_at",
           "Case", "run_case", "representative_runs"]

# Public name -> the module that defines it.
_ORIGINS = {
    "compare": "simulator.experiment.compare",
    "sweep": "simulator.experiment.compare",
    "ScenarioInput": "simulator.experiment.compare",
    "ExperimentResult": "simulator.experiment.experiment_result",
    "parse_param": "simulator.experiment.points",
    "apply_params": "simulator.experiment.points",
    "scenario_at": "simulator.experiment.points",
    "Case": "simulator.experiment.runner",
    "run_case": "simulator.experiment.runner",
    "representative_runs": "simulator.experiment.runner",
}


__getattr__, __dir__ = lazy_names("simulator.experiment", globals(), _ORIGINS, __all__)
