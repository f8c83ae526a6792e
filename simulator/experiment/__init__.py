"""Experiments at scale: Monte Carlo comparisons and parameter sweeps on paired seeds."""

from simulator.experiment.compare import ScenarioInput, compare, sweep
from simulator.experiment.experiment_result import ExperimentResult
from simulator.experiment.points import apply_params, parse_param, scenario_at
from simulator.experiment.runner import Case, representative_runs, run_case

__all__ = ["compare", "sweep", "ExperimentResult", "ScenarioInput", "parse_param", "apply_params", "scenario_at",
           "Case", "run_case", "representative_runs"]
