"""The data of an experiment's results directory: the scenario, the journal of runs, the tables.

* ``scenario.json``: the validated scenario as run, as a loadable scenario file
  (durations with their unit). It is written before the first run; a
  directory that holds another scenario is refused.
* ``runs.jsonl``: one line per finished run, appended and flushed as it
  finishes: the journal a rerun with the same directory resumes from (a line
  cut short by a kill is skipped, and its run made again).
* At the end: ``runs.parquet``, ``events.parquet`` (when there are events),
  ``summary.json`` (with ``decision``: the decision table's rows and the
  recommendation, see :mod:`simulator.experiment.decision_table`) and
  ``scenario.json`` again.

Everything but the journal goes through :func:`simulator.files.staged_files`,
so no file is ever half-written. :mod:`simulator.report` adds the rendered
report beside these files; this module renders nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simulator.errors import ScenarioError
from simulator.experiment.experiment_result import ExperimentResult
from simulator.files import staged_files
from simulator.scenario.loader import parse_scenario
from simulator.scenario.model import Scenario
from simulator.scenario.written_dump import written_dump

__all__ = ["scenario_document", "open_results", "journal", "store_data"]

JOURNAL = "runs.jsonl"
SCENARIO = "scenario.json"


def scenario_document(scenario: Scenario) -> str:
    """``scenario.json``: the scenario as a file a person could write (durations with their unit).

    It loads back (``load_scenario``) to the same scenario.
    """
    return json.dumps(written_dump(scenario, mode="json"), indent=2) + "\n"


def _holds(stored: Any, scenario: Scenario) -> bool:
    """Whether a stored ``scenario.json`` describes ``scenario`` (also when written as a raw file mapping)."""
    if stored == json.loads(scenario_document(scenario)):
        return True
    if not isinstance(stored, dict):
        return False
    try:
        return parse_scenario(stored, written=False) == scenario
    except ScenarioError:
        return False


def open_results(directory: Path, scenario: Scenario) -> list[dict[str, Any]]:
    """Prepare ``directory`` for ``scenario`` and return the rows of the runs its journal holds.

    Raises :class:`ScenarioError` when the directory holds results of a
    different scenario.
    """
    directory.mkdir(parents=True, exist_ok=True)
    scenario_file = directory / SCENARIO
    if scenario_file.exists():
        try:
            stored = json.loads(scenario_file.read_text())
        except (OSError, json.JSONDecodeError):
            stored = None
        if not _holds(stored, scenario):
            raise ScenarioError(
                f"{directory}: holds results of a different scenario; expected an empty or matching --out"
            )
    else:
        with staged_files(directory) as staging:
            (staging / SCENARIO).write_text(scenario_document(scenario))
    rows = []
    log = directory / JOURNAL
    if log.exists():
        for line in log.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut short when the previous run was killed
    return rows


@contextmanager
def journal(directory: Path | None) -> Iterator[Callable[[dict[str, Any]], None]]:
    """Yield a function that appends a row to ``directory``'s ``runs.jsonl`` at once (a no-op without one)."""
    if directory is None:
        yield lambda row: None
        return
    with (directory / JOURNAL).open("a") as handle:
        def record(row: dict[str, Any]) -> None:
            handle.write(json.dumps(row, default=str) + "\n")
            handle.flush()

        yield record


def store_data(result: ExperimentResult, directory: Path) -> list[Path]:
    """Write ``scenario.json``, ``runs.parquet``, ``events.parquet`` and ``summary.json``; return their paths."""
    rows = result.rows
    summary = {
        "scenario": result.scenario.name,
        "runs": int(len(rows)),
        "errors": int(rows["error"].notna().sum()),
        "summary": json.loads(result.summary.to_json(orient="records")),
        "paired": json.loads(result.paired.to_json(orient="records")) if not result.paired.empty else [],
        "decision": result.decision().to_dict(),
    }
    with staged_files(directory) as staging:
        (staging / SCENARIO).write_text(scenario_document(result.scenario))
        rows.to_parquet(staging / "runs.parquet", index=False)
        if not result.events.empty:
            result.events.astype({"detail": str}).to_parquet(staging / "events.parquet", index=False)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        names = sorted(item.name for item in staging.iterdir())
    return [directory / name for name in names]
