"""Monte Carlo comparison of strategies, and parameter sweeps, on paired seeds.

Every strategy (and every sweep point) runs on the same seeds, so it sees the
same traffic and failures. With ``out``, each finished run is appended to
``runs.jsonl`` at once; run again with the same ``out``, only the missing runs
are made. At the end the directory holds the scenario as run, ``runs.parquet``,
``summary.json`` and ``report.md``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import ScenarioError
from simulator.experiment.runner import Case, apply_params, execute, with_progress
from simulator.experiment.stats import paired_differences, summarise
from simulator.scenario.loader import parse_scenario, read_scenario_data

__all__ = ["ExperimentResult", "compare", "sweep", "parse_param"]


@dataclass
class ExperimentResult:
    """Rows (one per run), the summary per strategy (and sweep point), and paired differences."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    paired: pd.DataFrame
    executed: int
    out: Path | None = None
    events: pd.DataFrame | None = None

    def figures(self) -> list[tuple[str, Any]]:
        """The report's matplotlib figures (without timelines) as (title, figure) pairs, e.g. for notebooks."""
        from simulator.report.experiment_plots import experiment_figures

        params = [c.removeprefix("param:") for c in self.summary.columns if c.startswith("param:")]
        return experiment_figures(self.rows, self.summary, [], params)


def parse_param(text: str) -> tuple[str, list[Any]]:
    """``strategies.canary.incrementStep=10,20,40`` -> (path, [10, 20, 40]); numbers become numbers."""
    path, sep, values = text.partition("=")
    if not sep or not path or not values:
        raise ScenarioError(f"--param: got '{text}'; expected KEY.PATH=VALUE1,VALUE2,...")

    def convert(value: str) -> Any:
        for kind in (int, float):
            try:
                return kind(value)
            except ValueError:
                pass
        return value

    return path.strip(), [convert(v.strip()) for v in values.split(",")]


def _scenario_data(scenario: Any) -> tuple[dict[str, Any], str]:
    if isinstance(scenario, (str, Path)):
        return read_scenario_data(scenario), str(scenario)
    if isinstance(scenario, dict):
        return scenario, "<scenario>"
    return json.loads(scenario.model_dump_json(by_alias=True)), "<scenario>"


def _run_cases(data: dict[str, Any], cases: list[Case], *, out: str | Path | None, executor: str, jobs: int | None,
               scheduler: str | None, progress: bool, description: str, group_by: list[str]) -> ExperimentResult:
    done: list[dict[str, Any]] = []
    directory = Path(out) if out else None
    log = None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        scenario_file = directory / "scenario.json"
        if scenario_file.exists() and json.loads(scenario_file.read_text()) != json.loads(json.dumps(data)):
            raise ScenarioError(
                f"{directory}: holds results of a different scenario; expected an empty or matching --out"
            )
        scenario_file.write_text(json.dumps(data, indent=2, default=str) + "\n")
        log = directory / "runs.jsonl"
        if log.exists():
            for line in log.read_text().splitlines():
                try:
                    done.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short when the previous run was killed
    finished = {row["case"] for row in done}
    todo = [case for case in cases if case.key not in finished]
    rows = done
    executed = 0
    handle = log.open("a") if log is not None else None
    try:
        for row in with_progress(execute(data, todo, executor=executor, jobs=jobs, scheduler=scheduler),
                                 len(todo), description, progress and bool(todo)):
            rows.append(row)
            executed += 1
            if handle is not None:
                handle.write(json.dumps(row, default=str) + "\n")
                handle.flush()
    finally:
        if handle is not None:
            handle.close()
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
    result = ExperimentResult(frame, summary, paired, executed, directory, events)
    if directory is not None:
        _write(directory, data, result)
    return result


def _representative(data: dict[str, Any], rows: pd.DataFrame) -> list[Any]:
    """Each strategy's run on the first seed, for the report's timelines (cheap: one run each)."""
    from simulator.driver import run

    scenario = parse_scenario(data)
    labels = list(dict.fromkeys(rows["strategy"]))[:6]
    return [run(scenario, label, scenario.seed) for label in labels if label in scenario.labels]


def _write(directory: Path, data: dict[str, Any], result: ExperimentResult) -> None:
    from simulator.report.experiment_plots import experiment_figures
    from simulator.report.html import experiment_html
    from simulator.report.markdown import experiment_markdown

    result.rows.to_parquet(directory / "runs.parquet", index=False)
    if result.events is not None and not result.events.empty:
        result.events.astype({"detail": str}).to_parquet(directory / "events.parquet", index=False)
    summary = {
        "scenario": data.get("name"),
        "runs": int(len(result.rows)),
        "errors": int(result.rows["error"].notna().sum()),
        "summary": json.loads(result.summary.to_json(orient="records")),
        "paired": json.loads(result.paired.to_json(orient="records")) if not result.paired.empty else [],
    }
    (directory / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    (directory / "report.md").write_text(experiment_markdown(str(data.get("name")), result.summary, result.paired))
    params = [c.removeprefix("param:") for c in result.summary.columns if c.startswith("param:")]
    representative = _representative(data, result.rows)
    timelines = [r.timeline_frame().assign(strategy=r.strategy, seed=r.seed) for r in representative]
    timelines = [t for t in timelines if not t.empty]
    if timelines:
        pd.concat(timelines, ignore_index=True).to_parquet(directory / "timeline.parquet", index=False)
    figures = experiment_figures(result.rows, result.summary, representative, params)
    for number, (_, figure) in enumerate(figures, start=1):
        stem = directory / f"figure-{number}"
        figure.savefig(stem.with_suffix(".png"), dpi=100, bbox_inches="tight")
        figure.savefig(stem.with_suffix(".svg"), bbox_inches="tight")
    html = experiment_html(str(data.get("name")), str(data.get("description", "")), result.rows, result.summary,
                           result.paired, figures)
    (directory / "report.html").write_text(html)


def compare(scenario: Any, runs: int | None = None, *, labels: list[str] | None = None, out: str | Path | None = None,
            executor: str = "local", jobs: int | None = None, scheduler: str | None = None,
            progress: bool = False) -> ExperimentResult:
    """Run every strategy (or ``labels``) on the scenario's seeds (``runs`` of them) and compare.

    ``scenario`` is a path, a raw mapping or a :class:`~simulator.scenario.Scenario`.
    """
    data, source = _scenario_data(scenario)
    parsed = parse_scenario(data, source=source)
    labels = labels or parsed.labels
    cases = [Case(label, seed) for seed in parsed.seeds(runs) for label in labels]
    return _run_cases(data, cases, out=out, executor=executor, jobs=jobs, scheduler=scheduler,
                      progress=progress, description=f"compare {parsed.name}", group_by=["strategy"])


def sweep(scenario: Any, params: dict[str, list[Any]], runs: int | None = None, *, labels: list[str] | None = None,
          out: str | Path | None = None, executor: str = "local", jobs: int | None = None,
          scheduler: str | None = None, progress: bool = False) -> ExperimentResult:
    """Run the grid of ``params`` (dotted key path -> values), every point on the same seeds.

    Without ``labels``, a parameter under ``strategies.LABEL`` restricts the
    sweep to those labels.
    """
    data, source = _scenario_data(scenario)
    parsed = parse_scenario(data, source=source)
    if labels is None:
        touched = {path.split(".")[1] for path in params if path.startswith("strategies.") and path.count(".") >= 2}
        labels = [label for label in parsed.labels if label in touched] or parsed.labels
    points = [dict(zip(params, values, strict=True)) for values in itertools.product(*params.values())]
    for point in points:
        parse_scenario(apply_params(data, point), source=f"{source} with {point}")
    cases = [Case(label, seed, point) for point in points for seed in parsed.seeds(runs) for label in labels]
    group_by = ["strategy"] + [f"param:{path}" for path in params]
    return _run_cases(data, cases, out=out, executor=executor, jobs=jobs, scheduler=scheduler,
                      progress=progress, description=f"sweep {parsed.name}", group_by=group_by)
