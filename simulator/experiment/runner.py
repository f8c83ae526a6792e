"""Running many (strategy, seed, parameter point) cases, on one core, local processes or Dask.

Every case is described by plain data (the scenario's raw mapping, a label,
a seed and parameter overrides) and run by :func:`run_case`, a top-level
function, so any executor can ship it to another process or machine. A run
is deterministic given its case, so the rows do not depend on the executor.
An exception in one case is recorded in its row; the others go on.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from simulator.driver import run
from simulator.experiment.figures import candidate_truth, run_figures
from simulator.scenario.loader import parse_scenario

__all__ = ["Case", "run_case", "apply_params", "execute", "with_progress"]


@dataclass(frozen=True)
class Case:
    """One run to make: ``label`` on ``seed`` with ``params`` (dotted key path -> value) applied."""

    label: str
    seed: int
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A stable identifier (used to resume)."""
        point = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.label}|{self.seed}|{point}"


def apply_params(data: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """A copy of the raw scenario ``data`` with each dotted key path set to its value."""
    data = copy.deepcopy(data)
    for path, value in params.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    return data


def run_case(data: dict[str, Any], case: Case) -> dict[str, Any]:
    """Run one case; return its row (with ``error`` set instead of figures if it raised)."""
    row: dict[str, Any] = {"case": case.key, "strategy": case.label, "seed": case.seed}
    row.update({f"param:{k}": v for k, v in case.params.items()})
    try:
        scenario = parse_scenario(apply_params(data, case.params))
        result = run(scenario, case.label, case.seed)
        row.update(run_figures(result, scenario, candidate_truth(scenario)))
        row["events"] = [event.to_dict() for event in result.events]
    except Exception as error:  # recorded per run: one failure loses no other run
        row["error"] = f"{type(error).__name__}: {error}"
    return row


def _run_batch(data: dict[str, Any], cases: list[Case]) -> list[dict[str, Any]]:
    return [run_case(data, case) for case in cases]


def execute(data: dict[str, Any], cases: list[Case], *, executor: str = "local", jobs: int | None = None,
            scheduler: str | None = None) -> Iterator[dict[str, Any]]:
    """Run ``cases``, yielding rows as they complete (in any order).

    ``executor``: ``serial`` (this process), ``local`` (``jobs`` spawned
    processes; one by default), or ``dask`` (the scheduler at ``scheduler``,
    or a local cluster).
    """
    if not cases:
        return
    jobs = jobs or 1
    if executor == "serial" or (executor == "local" and jobs == 1):
        for case in cases:
            yield run_case(data, case)
        return
    batches = _batches(cases, max(1, len(cases) // (jobs * 8)))
    if executor == "local":
        yield from _local(data, batches, jobs)
    elif executor == "dask":
        yield from _dask(data, batches, scheduler, jobs)
    else:
        raise ValueError(f"unknown executor '{executor}'; expected serial, local or dask")


def _batches(cases: list[Case], size: int) -> list[list[Case]]:
    return [cases[i:i + size] for i in range(0, len(cases), size)]


def _local(data: dict[str, Any], batches: list[list[Case]], jobs: int) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or 1, len(batches)), mp_context=context) as pool:
        futures = [pool.submit(_run_batch, data, batch) for batch in batches]
        for future in as_completed(futures):
            yield from future.result()


def _dask(data: dict[str, Any], batches: list[list[Case]], scheduler: str | None,
          jobs: int) -> Iterator[dict[str, Any]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the extra
        raise RuntimeError("the dask executor needs the 'dask' extra: pip install 'rollout-sim[dask]'") from None
    cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)
    with Client(scheduler or cluster) as client:
        futures = [client.submit(_run_batch, data, batch, pure=False) for batch in batches]
        for future in as_completed(futures):
            yield from future.result()
    if cluster is not None:
        cluster.close()


def with_progress(rows: Iterable[dict[str, Any]], total: int, description: str,
                  show: bool) -> Iterator[dict[str, Any]]:
    """Pass ``rows`` through, with a rich progress bar when ``show``."""
    if not show:
        yield from rows
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), transient=False) as progress:
        task = progress.add_task(description, total=total)
        for row in rows:
            progress.advance(task)
            yield row

