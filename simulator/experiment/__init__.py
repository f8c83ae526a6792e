"""Experiments at scale: Monte Carlo comparisons and parameter sweeps on paired seeds."""

from simulator.experiment.compare import ExperimentResult, compare, parse_param, sweep
from simulator.experiment.runner import Case, apply_params, run_case

__all__ = ["compare", "sweep", "ExperimentResult", "parse_param", "Case", "run_case", "apply_params"]
