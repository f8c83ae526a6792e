"""What an experiment returns: rows, summaries, paired differences, events and representative runs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from simulator.errors import ScenarioError
from simulator.experiment.decision_table import Decision, decide
from simulator.experiment.figures import explain_truth
from simulator.experiment.points import scenario_at
from simulator.result import RunResult
from simulator.scenario.model import Scenario
from simulator.world.truth import DERIVED

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
        sentence, warnings = self._truth()
        return replace(decide(self.rows, self.paired), truth=sentence, truth_warnings=warnings)

    def _truth(self) -> tuple[str, tuple[str, ...]]:
        """The truth runs were scored against, in one line, and the strategies that disagree with it.

        A sweep scores each point's runs against that point's truth; when the
        points differ (a swept latency crosses the seed guide's threshold),
        the line names each point's.
        """
        params = [column for column in self.rows.columns if str(column).startswith("param:")]
        if not params:
            truth = explain_truth(self.scenario)
            return truth.sentence(), truth.warnings
        points = self.rows[params].drop_duplicates().to_dict("records")
        truths = []
        for point in points:
            values = {str(column).removeprefix("param:"): value for column, value in point.items()}
            try:
                truths.append((values, explain_truth(scenario_at(self.scenario, values))))
            except ScenarioError:  # a point that did not validate ran nothing: it has no truth to show
                continue
        if not truths:
            truth = explain_truth(self.scenario)
            return truth.sentence(), truth.warnings
        if len({(truth.verdict, truth.detail) for _, truth in truths}) == 1:
            first = truths[0][1]
            return first.sentence(), tuple(dict.fromkeys(w for _, truth in truths for w in truth.warnings))

        def named(values: dict[str, object]) -> str:
            return ", ".join(f"{path.rsplit('.', 1)[-1]}={value}" for path, value in values.items())

        sentence = "truth differs by sweep point: " + "; ".join(
            f"{named(values)}: {truth.verdict} ({truth.detail.removeprefix(DERIVED)})" for values, truth in truths)
        warnings = tuple(f"at {named(values)}: {warning}" for values, truth in truths for warning in truth.warnings)
        return sentence, warnings

    def decision_table(self) -> pd.DataFrame:
        """One row per criterion: the best strategy, its value and interval, the runner-up, and whether the best
        beats it on paired seeds after Holm's correction (see :mod:`simulator.experiment.decision_table`)."""
        return self.decision().table

    def recommendation(self) -> str:
        """Which strategy to choose and why, in plain words, with how sure the seeds make it."""
        return self.decision().recommendation
