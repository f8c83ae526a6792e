"""``rollout-sim check``: run every scenario's expectations and judge them, optionally against a baseline."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from simulator.check.expectations import Expectation, Judgement, judge, parse_expectations
from simulator.errors import ScenarioError
from simulator.experiment import compare
from simulator.experiment.paired import holm
from simulator.experiment.stats import RATES
from simulator.renamed import renamed_keyword
from simulator.scenario.base import suggest
from simulator.scenario.loader import parse_scenario, read_scenario_data
from simulator.world.scenario_warnings import scenario_warnings

__all__ = ["CheckResult", "check", "regressions", "worse_p_value", "scenario_files", "save_baseline",
           "REGRESSION_ALPHA"]

SUFFIXES = (".yaml", ".yml", ".json", ".toml")

REGRESSION_ALPHA = 0.05
"""Family-wise level of ``--baseline``: the chance that a check flags any figure when none got worse."""


@dataclass
class CheckResult:
    """All judgements, and the baseline regressions found (one message each)."""

    judgements: list[Judgement] = field(default_factory=list)
    regressions: list[str] = field(default_factory=list)
    values: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """What the scenarios checked probably did not mean, ``FILE: key.path: message`` each."""

    @property
    def checked(self) -> int:
        """How many expectations were judged (0: nothing was checked)."""
        return len(self.judgements)

    @property
    def passed(self) -> bool:
        """Every expectation passed (inconclusive does not fail) and nothing regressed."""
        return all(j.verdict != "fail" for j in self.judgements) and not self.regressions


def _read(paths: list[str]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each scenario file among ``paths`` with its raw mapping, every file read once."""
    for text in paths:
        path = Path(text)
        if path.is_dir():
            for candidate in sorted(path.iterdir()):
                if candidate.suffix.lower() in SUFFIXES:
                    data = read_scenario_data(candidate)
                    if "expect" in data:
                        yield candidate, data
        elif path.exists():
            yield path, read_scenario_data(path)
        else:
            raise ScenarioError("file not found; expected a scenario file or a directory", file=text)


def scenario_files(paths: list[str]) -> list[Path]:
    """Scenario files among ``paths`` (directories are searched, non-recursively, for files with ``expect``)."""
    return [path for path, _ in _read(paths)]


def _per_seed(rows, expectation: Expectation) -> dict[int, float]:
    mine = rows[(rows["strategy"] == expectation.label) & rows["error"].isna()]
    return {int(seed): float(value) for seed, value in zip(mine["seed"], mine[expectation.metric], strict=True)
            if value is not None and np.isfinite(float(value))}


def check(paths: list[str], *, jobs: int = 1, baseline: dict[str, Any] | None = None,
          progress: bool = False, runs: int | None = None, strategies: list[str] | None = None,
          labels: list[str] | None = None, warn: Callable[[str], None] | None = None) -> CheckResult:
    """Read and validate every file once, first (bad input fails before any run), then run and judge each.

    ``baseline`` is a document from :func:`save_baseline`; ``jobs`` local processes run the runs.
    ``runs`` replaces each scenario's own number of runs; ``strategies`` keeps only the expectations of
    those strategy labels (each must be a label of some scenario checked, else a :class:`ScenarioError`).
    ``labels`` is the old name of ``strategies`` (deprecated). The warnings of the scenarios that have
    expectations to check (:mod:`simulator.world.scenario_warnings`) go to ``warn``, if given, before any run,
    and into the result.
    """
    strategies = renamed_keyword("check", "strategies", strategies, "labels", labels)
    if runs is not None and runs < 1:
        raise ScenarioError(f"--runs: got {runs}; expected an integer >= 1")
    plans = []  # (file, scenario, its expectations to judge)
    for path, data in _read(paths):
        scenario = parse_scenario(data, source=str(path))
        plans.append((str(path), scenario, parse_expectations(scenario.expect, scenario.labels, file=str(path))))
    if strategies:
        known = list(dict.fromkeys(label for _, scenario, _ in plans for label in scenario.labels))
        for label in strategies:
            if label not in known:
                raise ScenarioError(f"--strategy: got '{label}'{suggest(label, known)}; expected a strategy label "
                                    f"of the scenarios checked ({', '.join(known) or 'none'})")
        plans = [(file, scenario, [e for e in expectations if e.label in strategies])
                 for file, scenario, expectations in plans]
    plans = [plan for plan in plans if plan[2]]
    result = CheckResult()
    for file, scenario, _ in plans:
        for warning in scenario_warnings(scenario):
            result.warnings.append(f"{file}: {warning}")
            if warn is not None:
                warn(result.warnings[-1])
    compared: list[tuple[str, Expectation, dict[str, float], dict[int, float]]] = []
    tested_figures: set[tuple[str, str, str]] = set()
    for _, scenario, expectations in plans:
        chosen = list(dict.fromkeys(e.label for e in expectations))
        rows = compare(scenario, runs, strategies=chosen, jobs=jobs, progress=progress, representative=False,
                       yardsticks=False).rows
        for expectation in expectations:
            result.judgements.append(judge(scenario.name, expectation, rows))
            key = f"{scenario.name}|{expectation.label}|{expectation.key}"
            seeds = _per_seed(rows, expectation)
            result.values[key] = {str(seed): value for seed, value in seeds.items()}
            figure = (scenario.name, expectation.label, expectation.metric)
            if baseline is not None and key in baseline.get("values", {}) and figure not in tested_figures:
                # decision_time.mean and decision_time.p95 are the same per-seed values: one test of them
                tested_figures.add(figure)
                compared.append((key, expectation, baseline["values"][key], seeds))
    result.regressions = regressions(compared)
    return result


def regressions(compared: list[tuple[str, Expectation, dict[str, float], dict[int, float]]],
                alpha: float = REGRESSION_ALPHA) -> list[str]:
    """The figures significantly worse than their baseline, one message each.

    ``compared`` holds, per figure, its key, its expectation (which side is
    worse), the baseline's values by seed (keys are strings, as stored) and
    the values now by seed. Each figure is tested on its seeds in both
    (:func:`worse_p_value`), and the p-values of all of them are adjusted
    together by Holm's method: an innocuous change that reshuffles every
    figure's seeds (a new release drawing differently) fails no more than
    ``alpha`` of checks, however many figures they hold.
    """
    tested = [(key, found) for key, expectation, before, now in compared
              if (found := worse_p_value(expectation, before, now)) is not None]
    adjusted = holm([p_value for _, (p_value, _) in tested])
    family = f"{len(tested)} figure{'s' if len(tested) != 1 else ''}"
    return [f"{key}: worse than the baseline ({what}, p={p_value:.2g}, Holm-adjusted over {family} {p_holm:.2g})"
            for (key, (p_value, what)), p_holm in zip(tested, adjusted, strict=True) if p_holm < alpha]


def worse_p_value(expectation: Expectation, before: dict[str, float],
                  now: dict[int, float]) -> tuple[float, str] | None:
    """One-sided p-value that the figure got worse, paired by seed, and what was compared.

    ``None`` with fewer than two seeds in both, or when no seed's value changed.

    Yes/no outcomes (rates): McNemar's exact test, the binomial test on the seeds whose outcome changed.
    Other figures: the paired t-test of the differences, or the exact sign test when they do not vary.
    """
    seeds = [seed for seed in now if str(seed) in before]
    if len(seeds) < 2:
        return None
    old = np.array([before[str(seed)] for seed in seeds])
    new = np.array([now[seed] for seed in seeds])
    differences = (new - old) if expectation.worse_is_higher else (old - new)  # > 0 means worse
    what = f"paired over {len(seeds)} seeds: mean {old.mean():.4g} -> {new.mean():.4g}"
    worse, changed = int((differences > 0).sum()), int((differences != 0).sum())
    if changed == 0:
        return None  # the same on every seed: nothing to test, and no place in the family (it could never fail)
    if expectation.metric in RATES:
        return float(stats.binomtest(worse, changed, 0.5, alternative="greater").pvalue), f"{what}, McNemar"
    if np.std(differences, ddof=1) == 0:
        # Every seed moved by the same amount: the exact sign test, one-sided (worse), not a t-test on no spread.
        return (0.5 ** len(differences) if differences.mean() > 0 else 1.0), f"{what}, sign test"
    return float(stats.ttest_1samp(differences, 0.0, alternative="greater").pvalue), f"{what}, paired t"


def save_baseline(result: CheckResult, path: str | Path) -> None:
    """Store every expectation's per-seed values, for ``--baseline`` later."""
    Path(path).write_text(json.dumps({"values": result.values}, indent=1) + "\n")
