"""Guarding rollout policies in CI: expectations, confidence, baselines, JUnit XML and Markdown.

The public names are imported on first use, so that loading the pytest plugin
(:mod:`simulator.check.pytest_plugin`, which every pytest session on a
machine with the package installed loads) costs nothing until a scenario
file is collected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy_names import lazy_names

if TYPE_CHECKING:
    from simulator.check.expectations import Expectation, Judgement, judge, parse_expectations
    from simulator.check.run_check import CheckResult, check, save_baseline, scenario_files

__all__ = ["check", "CheckResult", "Expectation", "Judgement", "judge", "parse_expectations", "save_baseline",
           "scenario_files"]

_ORIGINS = {
    "Expectation": "simulator.check.expectations",
    "Judgement": "simulator.check.expectations",
    "judge": "simulator.check.expectations",
    "parse_expectations": "simulator.check.expectations",
    "CheckResult": "simulator.check.run_check",
    "check": "simulator.check.run_check",
    "save_baseline": "simulator.check.run_check",
    "scenario_files": "simulator.check.run_check",
}


__getattr__, __dir__ = lazy_names("simulator.check", globals(), _ORIGINS, __all__)
