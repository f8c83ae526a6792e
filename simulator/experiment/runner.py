"""Running many (strategy, seed, parameter point) cases, on one core, local processes or Dask.

Every case is a validated :class:`~simulator.scenario.Scenario` (with the
case's sweep point already applied) and a :class:`Case` (label, seed,
parameters), run by :func:`run_case`, a top-level function; both pickle, so
any executor can ship them to another process or machine. A run is
deterministic given its case, so the rows do not depend on the executor.
An exception in one case is recorded in its row; the others go on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from simulator.driver import run
from simulator.experiment.figures import candidate_truth, run_figures
from simulator.result import RunResult
from simulator.scenario.model import Scenario
from simulator.world.draw_ahead import drawing_in_line
from simulator.world.traffic_replay import replaying_traffic

__all__ = ["Case", "Work", "run_case", "execute", "representative_runs", "with_progress"]


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


Work = tuple[Scenario, Case]
"""A case and the scenario it runs on (its ``params`` already applied)."""


def run_case(scenario: Scenario, case: Case) -> dict[str, Any]:
    """Run one case on ``scenario`` (the case's point already applied); return its row.

    If the run raises, the row has ``error`` set instead of figures.
    """
    row: dict[str, Any] = {"case": case.key, "strategy": case.label, "seed": case.seed}
    row.update({f"param:{k}": v for k, v in case.params.items()})
    try:
        result = run(scenario, case.label, case.seed)
        row.update(run_figures(result, scenario, candidate_truth(scenario)))
        row["events"] = [event.to_dict() for event in result.events]
    except Exception as error:  # recorded per run: one failure loses no other run
        row["error"] = f"{type(error).__name__}: {error}"
    return row


def representative_runs(scenario: Scenario, labels: Sequence[str], limit: int = 6) -> list[RunResult]:
    """The first ``limit`` of ``labels``, each run on the scenario's first seed, whole (with timelines).

    A label the scenario does not have, or whose run raises (its error is
    in the rows already), is left out.
    """
    results = []
    for label in [label for label in list(labels)[:limit] if label in scenario.labels]:
        try:
            results.append(run(scenario, label, scenario.seed))
        except Exception:  # the same run's error is recorded in its row
            continue
    return results


def _run_batch(batch: list[Work]) -> list[dict[str, Any]]:
    """A batch's rows, in a worker process: its traffic drawn in line, since the pool keeps every core busy.

    A seed's strategies follow one another in the work, so all but the first
    replay the requests the first drew (:mod:`simulator.world.traffic_replay`).
    """
    with drawing_in_line(), _replaying(batch):
        return [run_case(scenario, case) for scenario, case in batch]


def _replaying(work: Sequence[Work]) -> AbstractContextManager[None]:
    """Replaying the traffic where runs of a seed follow one another (a comparison's strategies).

    Elsewhere it would only cost: recording keeps every request drawn.
    """
    follow = any(first.seed == second.seed for (_, first), (_, second) in zip(work, work[1:], strict=False))
    return replaying_traffic() if follow else nullcontext()


def execute(work: Sequence[Work], *, executor: str = "local", jobs: int | None = None,
            scheduler: str | None = None) -> Iterator[dict[str, Any]]:
    """Run every (scenario, case) of ``work``, yielding rows as they complete (in any order).

    ``executor``: ``serial`` (this process), ``local`` (``jobs`` spawned
    processes; one by default), or ``dask`` (the scheduler at ``scheduler``,
    or a local cluster).
    """
    if not work:
        return
    jobs = jobs or 1
    if executor == "serial" or (executor == "local" and jobs == 1):
        with _replaying(work):
            for scenario, case in work:
                yield run_case(scenario, case)
        return
    batches = _batches(work, max(1, len(work) // (jobs * 8)))
    if executor == "local":
        yield from _local(batches, jobs)
    elif executor == "dask":
        yield from _dask(batches, scheduler, jobs)
    else:
        raise ValueError(f"unknown executor '{executor}'; expected serial, local or dask")


def _batches(work: Sequence[Work], size: int) -> list[list[Work]]:
    return [list(work[i:i + size]) for i in range(0, len(work), size)]


def _local(batches: list[list[Work]], jobs: int) -> Iterator[dict[str, Any]]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(jobs, os.cpu_count() or 1, len(batches)), mp_context=context) as pool:
        futures = [pool.submit(_run_batch, batch) for batch in batches]
        for future in as_completed(futures):
            yield from future.result()


def _dask(batches: list[list[Work]], scheduler: str | None, jobs: int) -> Iterator[dict[str, Any]]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the extra
        raise RuntimeError("the dask executor needs the 'dask' extra: pip install 'rollout-sim[dask]'") from None
    cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True)
    with Client(scheduler or cluster) as client:
        futures = [client.submit(_run_batch, batch, pure=False) for batch in batches]
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

