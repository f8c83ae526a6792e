"""What an experiment returns: rows, summaries, paired differences, events and representative runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from simulator.experiment.decision_table import Decision, decide
from simulator.experiment.figures import explain_truth
from simulator.result import RunResult
from simulator.scenario.model import Scenario

__all__ = ["ExperimentResult"]


@dataclass
class ExperimentResult:
    """The outcome of :func:`~simulator.experiment.compare` or :func:`~simulator.experiment.sweep`.

    ``rows``: one per run (figures in seconds, requests, fractions 0-1; see
    :data:`~simulator.experiment.figures.FIGURES`), tagged with strategy, seed
    and ``param:PATH`` columns. ``summary``: one row per strategy (and sweep
    point) with 95 % intervals. ``paired``: per-seed differences between
    strategies (compare only). ``executed``: runs made by this call (the
    others came from the journal in ``out``). ``scenario``: the validated
    scenario as run (for a sweep, without any point applied). ``events``: one
    row per event of every run (time ``t`` in seconds). ``representative``:
    each strategy's run on the scenario's first seed, whole, for timelines.
    :meth:`decision_table` and :meth:`recommendation` give the answer: per
    criterion the best strategy and whether it beats the runner-up, and which
    strategy to choose, in words. Render it all with :mod:`simulator.report`
    (``experiment_figures``, ``write_experiment_report``).
    """

    rows: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    executed: int
    scenario: Scenario
    out: Path | None = None
    events: pd.DataFrame = field(default_factory=pd.DataFrame)
    representative: list[RunResult] = field(default_factory=list)

    @property
    def parameters(self) -> list[str]:
        """The swept key paths (empty for a compare)."""
        return [c.removeprefix("param:") for c in self.summary.columns if c.startswith("param:")]

    def decision(self) -> Decision:
        """The decision table, the paired comparisons behind it and the recommendation
        (:func:`~simulator.experiment.decision_table.decide`)."""
        truth = explain_truth(self.scenario)
        return replace(decide(self.rows, self.paired), truth=truth.sentence(), truth_warnings=truth.warnings)

    def decision_table(self) -> pd.DataFrame:
        """One row per criterion: the best strategy, its value and interval, the runner-up, and whether the best
        beats it on paired seeds after Holm's correction (see :mod:`simulator.experiment.decision_table`)."""
        return self.decision().table

    def recommendation(self) -> str:
        """Which strategy to choose and why, in plain words, with how sure the seeds make it."""
        return self.decision().recommendation
