"""The one writer of results directories' rendered files: ``run --out``, and the report of compare and sweep.

Everything goes through :func:`simulator.files.staged_files` (staged beside
the target, then each file moved into place), the same mechanism
:mod:`simulator.experiment.store` writes an experiment's data with, so an
error never leaves a half-written file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from simulator.files import staged_files
from simulator.report.experiment_plots import experiment_figures
from simulator.report.html import experiment_html
from simulator.report.json_output import runs_document
from simulator.report.markdown import experiment_markdown
from simulator.report.plots import plot_timelines
from simulator.report.region_plots import plot_region_timelines
from simulator.result import RunResult

if TYPE_CHECKING:
    from simulator.experiment import ExperimentResult

__all__ = ["write_run_results", "write_experiment_report"]


def write_run_results(out_dir: str | Path, scenario_name: str, results: list[RunResult],
                      scenario_data: dict | None = None) -> list[Path]:
    """Write ``runs.json``, ``scenario.json``, timelines (``timeline.parquet`` and ``.csv``), ``events.csv``,
    drift checks (``drift.parquet`` and ``.csv``, when a drift monitor ran) and ``timeline.png`` into ``out_dir``.

    ``timeline.png`` shows every run over its whole window, one column each
    (:func:`simulator.report.plots.timelines_figure`), with the faults of
    ``scenario_data`` (the scenario as written: :func:`simulator.scenario.written_dump.written_dump`) shaded.
    A scenario with regions adds each region's timeline (``timeline-regions.csv`` and ``.parquet``, a
    ``region`` column first) and its figure, one column per region (``timeline-regions.png`` for the first run,
    ``timeline-regions-LABEL.png`` for each other; :mod:`simulator.report.region_plots`).
    """
    target = Path(out_dir)
    with staged_files(target) as staging:
        (staging / "runs.json").write_text(json.dumps(runs_document(scenario_name, results), indent=2) + "\n")
        if scenario_data is not None:
            (staging / "scenario.json").write_text(json.dumps(scenario_data, indent=2, default=str) + "\n")
        frames = []
        for result in results:
            frame = result.timeline_frame()
            if not frame.empty:
                frame.insert(0, "strategy", result.strategy)
                frame.insert(1, "seed", result.seed)
                frames.append(frame)
        if frames:
            timeline = pd.concat(frames, ignore_index=True)
            timeline.to_csv(staging / "timeline.csv", index=False)
            timeline.to_parquet(staging / "timeline.parquet", index=False)
        checks = [{"strategy": r.strategy, "seed": r.seed, **check} for r in results for check in r.drift_checks]
        if checks:
            drift = pd.DataFrame(checks)
            drift.to_csv(staging / "drift.csv", index=False)
            drift.to_parquet(staging / "drift.parquet", index=False)
        events = pd.DataFrame(
            [{"strategy": r.strategy, "seed": r.seed, **e.to_dict()} for r in results for e in r.events]
        )
        events.to_csv(staging / "events.csv", index=False)
        plot_timelines(results, staging / "timeline.png", scenario_data)
        regional = [result for result in results if result.regions]
        if regional:
            frame = pd.concat([result.region_timeline_frame().assign(strategy=result.strategy, seed=result.seed)
                               for result in regional], ignore_index=True)
            frame.to_csv(staging / "timeline-regions.csv", index=False)
            frame.to_parquet(staging / "timeline-regions.parquet", index=False)
            plot_region_timelines(regional, staging / "timeline-regions.png", scenario_data)
        names = sorted(item.name for item in staging.iterdir())
    return [target / name for name in names]


def write_experiment_report(result: ExperimentResult, out_dir: str | Path) -> list[Path]:
    """Render ``report.md``, ``report.html``, ``figure-N.png`` and ``.svg`` and ``timeline.parquet`` into ``out_dir``.

    Both reports open with the decision table and the recommendation
    (:meth:`~simulator.experiment.ExperimentResult.decision`).

    ``result`` comes from :func:`~simulator.experiment.compare` or
    :func:`~simulator.experiment.sweep`; ``out_dir`` is typically the
    directory they stored their data in (``out``). ``timeline.parquet`` holds
    the representative runs' timelines (per scrape interval and version),
    tagged with strategy and seed. The timeline of the representative runs
    over the whole window (decisions, checks and the scenario's faults
    marked) is the first figure, in ``report.html`` and at the end of
    ``report.md`` (``figure-1.svg``). Returns the paths written.
    """
    target = Path(out_dir)
    scenario = result.scenario
    with staged_files(target) as staging:
        decision = result.decision()
        markdown = experiment_markdown(scenario.name, result.summary, result.paired, decision)
        figures = experiment_figures(result)
        if result.representative:  # the timeline is the first figure
            markdown += f"\n## Timeline\n\n![{figures[0][0]}](figure-1.svg)\n"
        (staging / "report.md").write_text(markdown)
        timelines = [run.timeline_frame().assign(strategy=run.strategy, seed=run.seed)
                     for run in result.representative]
        timelines = [frame for frame in timelines if not frame.empty]
        if timelines:
            pd.concat(timelines, ignore_index=True).to_parquet(staging / "timeline.parquet", index=False)
        for number, (_, figure) in enumerate(figures, start=1):
            stem = staging / f"figure-{number}"
            figure.savefig(stem.with_suffix(".png"), dpi=100, bbox_inches="tight")
            figure.savefig(stem.with_suffix(".svg"), bbox_inches="tight")
        html = experiment_html(scenario.name, scenario.description, result.rows, result.summary, result.paired,
                               figures, decision)
        (staging / "report.html").write_text(html)
        names = sorted(item.name for item in staging.iterdir())
    return [target / name for name in names]
