"""A pytest plugin: scenario files with an ``expect`` block become test items.

``pytest scenarios/`` collects every ``.yaml``/``.yml``/``.json``/``.toml``
file given on the command line or found under a directory given on it whose
top level has ``versions`` and ``expect``; each expectation is one test item,
judged as ``rollout-sim check`` judges it. Registered through the ``pytest11``
entry point, so users' existing test runs pick it up.

Being loaded by every pytest session on a machine where the package is
installed, this module imports only pytest and the standard library; the
scenario loader and the experiment layer (pydantic, numpy, scipy, pandas) are
imported when a file that looks like a scenario with expectations is met.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

__all__ = ["pytest_collect_file"]

# The suffixes of simulator.check.run_check.SUFFIXES, repeated here because
# importing run_check would pull the experiment layer into every pytest session.
_SUFFIXES = (".yaml", ".yml", ".json", ".toml")


def _is_scenario(path: Path) -> bool:
    if path.suffix.lower() not in _SUFFIXES or path.name.startswith("."):
        return False
    # Both top-level keys must appear in the text; most data files are turned
    # away here without importing the scenario loader or parsing them.
    try:
        text = path.read_bytes()
    except OSError:
        return False
    if b"expect" not in text or b"versions" not in text:
        return False
    from simulator.scenario.loader import read_scenario_data

    try:
        data = read_scenario_data(path)
    except Exception:
        return False
    return isinstance(data, dict) and "expect" in data and "versions" in data


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect scenario files that carry expectations (JSON/TOML/YAML files named on the command line)."""
    if _is_scenario(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file: runs its strategies once for all its expectations."""

    def collect(self):
        from simulator.check.expectations import parse_expectations
        from simulator.scenario.loader import load_scenario

        scenario = load_scenario(self.path)
        expectations = parse_expectations(scenario.expect, scenario.labels, file=str(self.path))
        self._rows: Any = None
        for expectation in expectations:
            yield ExpectationItem.from_parent(self, name=f"{expectation.label}: {expectation.key} {expectation.text}",
                                              expectation=expectation, scenario_name=scenario.name)

    def rows(self):
        if self._rows is None:
            from simulator.experiment import compare

            self._rows = compare(self.path, yardsticks=False).rows
        return self._rows


class ExpectationItem(pytest.Item):
    """One expectation of one scenario file."""

    def __init__(self, *, expectation, scenario_name: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.expectation = expectation
        self.scenario_name = scenario_name

    def runtest(self) -> None:
        from simulator.check.expectations import judge
        from simulator.check.outputs import describe

        scenario_file = self.parent
        assert isinstance(scenario_file, ScenarioFile)
        judgement = judge(self.scenario_name, self.expectation, scenario_file.rows())
        if judgement.verdict == "fail":
            raise ExpectationFailed(describe(judgement))
        if judgement.verdict == "inconclusive":
            pytest.skip(describe(judgement))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ExpectationFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.scenario_name}: {self.name}"


class ExpectationFailed(Exception):
    """An expectation did not hold."""
