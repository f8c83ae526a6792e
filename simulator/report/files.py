"""Writing a run's results to a directory: JSON, CSV timelines and events, a PNG plot.

Everything is written to a temporary directory beside the target and moved
into place at the end, so an error never leaves a half-written result.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from simulator.report.json_output import runs_document
from simulator.report.plots import plot_timelines
from simulator.result import RunResult

__all__ = ["write_run_results"]


def write_run_results(out_dir: str | Path, scenario_name: str, results: list[RunResult],
                      scenario_data: dict | None = None) -> list[Path]:
    """Write ``runs.json``, ``scenario.json``, timelines (``timeline.parquet`` and ``.csv``), ``events.csv``,
    drift checks (``drift.parquet`` and ``.csv``, when a drift monitor ran) and ``timeline.png`` into ``out_dir``."""
    target = Path(out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
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
        plot_timelines(results, staging / "timeline.png")
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for item in sorted(staging.iterdir()):
            os.replace(item, target / item.name)
            written.append(target / item.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
