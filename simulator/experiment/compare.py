"""Monte Carlo comparison of strategies, and parameter sweeps, on paired seeds.

Every strategy (and every sweep point) runs on the same seeds, so it sees the
same traffic and failures. The scenario (a path, a raw mapping or a
:class:`~simulator.scenario.Scenario`) is validated once, on entry, and each
sweep point once; after that only validated scenarios travel.

With ``out``, each finished run is appended to ``runs.jsonl`` at once; run
again with the same ``out``, only the missing runs are made. At the end the
directory holds the scenario as run, ``runs.parquet``, ``events.parquet`` and
``summary.json`` (:mod:`simulator.experiment.store`);
``simulator.report.write_experiment_report`` renders the report beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.experiment.experiment_result import ExperimentResult
from simulator.experiment.points import grid, scenario_at
from simulator.experiment.runner import Case, Work, execute, representative_runs, with_progress
from simulator.experiment.stats import paired_differences, summarise
from simulator.experiment.store import journal, open_results, store_data
from simulator.renamed import renamed_keyword
from simulator.scenario.loader import load_scenario, parse_scenario
from simulator.scenario.model import YARDSTICK_LABELS, Scenario

__all__ = ["compare", "sweep", "ScenarioInput"]

ScenarioInput = str | Path | Mapping[str, Any] | Scenario
"""A scenario file's path, its raw mapping, or a validated :class:`~simulator.scenario.Scenario`."""


def _as_scenario(scenario: ScenarioInput) -> tuple[Scenario, str]:
    """The validated scenario, and where it came from (for error messages)."""
    if isinstance(scenario, Scenario):
        return scenario, f"scenario '{scenario.name}'"
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario), str(scenario)
    if isinstance(scenario, Mapping):
        return parse_scenario(dict(scenario), source="<scenario>"), "<scenario>"
    raise TypeError(f"scenario: got {type(scenario).__name__}; expected a path, a mapping or a Scenario")


def _run_cases(scenario: Scenario, work: list[Work], *, out: str | Path | None, executor: str, jobs: int | None,
               scheduler: str | None, progress: bool, description: str, group_by: list[str],
               representative: bool) -> ExperimentResult:
    directory = Path(out) if out else None
    rows = open_results(directory, scenario) if directory is not None else []
    finished = {row["case"] for row in rows}
    todo = [(point, case) for point, case in work if case.key not in finished]
    executed = 0
    with journal(directory) as record:
        for row in with_progress(execute(todo, executor=executor, jobs=jobs, scheduler=scheduler),
                                 len(todo), description, progress and bool(todo)):
            rows.append(row)
            executed += 1
            record(row)
    cases = [case for _, case in work]
    wanted = {case.key for case in cases}
    kept = [row for row in rows if row["case"] in wanted]
    events = pd.DataFrame([
        {"strategy": row["strategy"], "seed": row["seed"], **{k: v for k, v in row.items() if k.startswith("param:")},
         **event}
        for row in kept for event in row.get("events") or []
    ])
    frame = pd.DataFrame([{k: v for k, v in row.items() if k != "events"} for row in kept])
    order = {case.key: i for i, case in enumerate(cases)}
    frame = frame.sort_values("case", key=lambda keys: keys.map(order)).reset_index(drop=True)
    if "error" not in frame:
        frame["error"] = None
    summary = summarise(frame, group_by)
    paired = paired_differences(frame) if group_by == ["strategy"] else pd.DataFrame()
    result = ExperimentResult(frame, summary, paired, executed, scenario, directory, events)
    if directory is not None:
        store_data(result, directory)
    if representative:
        result.representative = representative_runs(scenario, list(dict.fromkeys(frame["strategy"])))
    return result


def compare(scenario: ScenarioInput, runs: int | None = None, *, strategies: list[str] | None = None,
            out: str | Path | None = None, executor: str = "local", jobs: int | None = None,
            scheduler: str | None = None, progress: bool = False, representative: bool = True,
            yardsticks: bool = True, labels: list[str] | None = None) -> ExperimentResult:
    """Run every strategy (or those labelled in ``strategies``) on the scenario's seeds (``runs`` of them) and compare.

    ``scenario`` is a path, a raw mapping or a :class:`~simulator.scenario.Scenario`;
    it is validated once, here. ``out`` is a results directory (resumable,
    see :mod:`simulator.experiment.store`). ``executor``: ``local`` (``jobs``
    spawned processes, one by default), ``serial`` or ``dask`` (at
    ``scheduler``). With ``representative``, each strategy is also run once
    more, whole, on the first seed, for timelines
    (:attr:`ExperimentResult.representative`). With ``yardsticks`` (and a
    candidate to roll out), two what-if runs join every seed: the candidate
    switched in at once (``what-if: at once``) and never deployed
    (``what-if: never``); a strategy's harm lands between the two.
    ``labels`` is the old name of ``strategies`` (deprecated).
    """
    strategies = renamed_keyword("compare", "strategies", strategies, "labels", labels)
    base, _ = _as_scenario(scenario)
    labels = list(strategies or base.labels)
    if yardsticks and base.candidate is not None and base.retraining is None:
        labels += [label for label in YARDSTICK_LABELS if label not in labels]
    work = [(base, Case(label, seed)) for seed in base.seeds(runs) for label in labels]
    return _run_cases(base, work, out=out, executor=executor, jobs=jobs, scheduler=scheduler, progress=progress,
                      description=f"compare {base.name}", group_by=["strategy"], representative=representative)


def sweep(scenario: ScenarioInput, params: Mapping[str, list[Any]], runs: int | None = None, *,
          strategies: list[str] | None = None, out: str | Path | None = None, executor: str = "local",
          jobs: int | None = None, scheduler: str | None = None, progress: bool = False,
          representative: bool = True, labels: list[str] | None = None) -> ExperimentResult:
    """Run the grid of ``params`` (dotted key path -> values), every point on the same seeds.

    Each point is applied to the scenario's dump and validated once, before
    any run; a bad point raises :class:`~simulator.errors.ScenarioError`
    naming the parameter. Without ``strategies`` (labels), a parameter under
    ``strategies.LABEL`` restricts the sweep to those labels. The other
    arguments are those of :func:`compare` (representative runs are of the
    scenario without any point applied).
    """
    strategies = renamed_keyword("sweep", "strategies", strategies, "labels", labels)
    base, source = _as_scenario(scenario)
    if strategies is None:
        touched = {path.split(".")[1] for path in params if path.startswith("strategies.") and path.count(".") >= 2}
        labels = [label for label in base.labels if label in touched] or base.labels
    else:
        labels = list(strategies)
    points = grid(params)
    scenarios = [scenario_at(base, point, source=source) for point in points]
    work = [(at, Case(label, seed, point)) for point, at in zip(points, scenarios, strict=True)
            for seed in base.seeds(runs) for label in labels]
    group_by = ["strategy"] + [f"param:{path}" for path in params]
    return _run_cases(base, work, out=out, executor=executor, jobs=jobs, scheduler=scheduler, progress=progress,
                      description=f"sweep {base.name}", group_by=group_by, representative=representative)
