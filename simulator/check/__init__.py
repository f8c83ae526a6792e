"""Guarding rollout policies in CI: expectations, confidence, baselines, JUnit XML and Markdown."""

from simulator.check.expectations import Expectation, Judgement, judge, parse_expectations
from simulator.check.run_check import CheckResult, check, save_baseline, scenario_files

__all__ = ["check", "CheckResult", "Expectation", "Judgement", "judge", "parse_expectations", "save_baseline",
           "scenario_files"]
