"""Reading a finished run out of the world: exact totals, timelines, SLO minutes, shadow figures.

This is where the truth (:class:`~simulator.world.metrics.MetricStore`'s
exact totals and true accuracy) is read, after the run, to build its
:class:`~simulator.result.RunResult`. Strategies never see it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from simulator.result import Decision, RunResult, VersionResult
from simulator.world.metrics import MetricStore
from simulator.world.world import World

__all__ = ["run_result", "version_result", "timeline", "slo_violation_seconds", "shadow_figures",
           "load_test_figures"]


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def version_result(store: MetricStore, index: int) -> VersionResult:
    """What version ``index`` did over the run, from the exact totals."""
    totals = store.totals[index]
    busy, slots = store.load_totals(index)
    return VersionResult(
        requests=totals.requests,
        failed_requests=totals.failed_requests,
        errors=totals.errors,
        timed_out=totals.timed_out,
        dropped=totals.dropped,
        crashed=totals.crashed,
        latency_mean_s=_finite(totals.latency_sum_s / totals.responded) if totals.responded else None,
        latency_p50_s=_finite(store.latency_quantile_exact(index, 0.5)) if totals.responded else None,
        latency_p99_s=_finite(store.latency_quantile_exact(index, 0.99)) if totals.responded else None,
        queue_wait_mean_s=_finite(totals.queue_wait_sum_s / totals.started) if totals.started else None,
        correct_predictions=totals.correct_predictions,
        wrong_predictions=totals.wrong_predictions,
        excess_failed_requests=totals.excess_failed,
        excess_wrong_predictions=totals.excess_wrong,
        slow_requests=totals.slow_requests if store.slow_above is not None else None,
        utilisation_mean=_finite(busy / slots) if slots > 0 else None,
    )


def _with_replicas(result: VersionResult, world: World, index: int) -> VersionResult:
    """``result`` with the version's replica range and its autoscaler's scale events."""
    low, high = world.replica_range.get(index, (None, None))
    return replace(result, replicas_min=low, replicas_max=high, scale_events=world.scale_events[index])


def run_result(world: World, *, label: str, kind: str, seed: int, decision: Decision,
               drift: dict[str, Any] | None = None, drift_checks: list[dict[str, Any]] | None = None) -> RunResult:
    """The result of the run that ``world`` has just finished (call :meth:`World.finish` first).

    ``drift`` and ``drift_checks`` are the drift monitor's summary and checks, when one ran.
    """
    scenario = world.scenario
    store = world.store
    totals = store.totals
    rolled_out = decision.candidate or scenario.candidate
    versions = {
        name: _with_replicas(version_result(store, index), world, index)
        for index, name in enumerate(world.versions)
        if totals[index].requests > 0 or name in (scenario.stable, rolled_out)
    }
    candidate = versions.get(rolled_out) if rolled_out else None
    return RunResult(
        scenario=scenario.name,
        strategy=label,
        kind=kind,
        seed=seed,
        outcome=decision.outcome,
        reason=decision.reason,
        decision_time_s=None if decision.time is None else round(float(decision.time), 6),
        duration_s=round(float(world.env.now if decision.finished_at is None else decision.finished_at), 6),
        window_s=round(float(world.env.now), 6),
        excess_failed_requests=sum(v.excess_failed_requests for v in versions.values()),
        excess_wrong_predictions=sum(v.excess_wrong_predictions for v in versions.values()),
        slow_requests=None if store.slow_above is None else sum(v.slow_requests or 0 for v in versions.values()),
        requests=sum(v.requests for v in versions.values()),
        failed_requests=sum(v.failed_requests for v in versions.values()),
        candidate_requests=candidate.requests if candidate else 0,
        candidate_failed_requests=candidate.failed_requests if candidate else 0,
        wrong_predictions=sum(v.wrong_predictions for v in versions.values()),
        replica_seconds=round(world.replica_seconds(), 6),
        versions=versions,
        events=list(world.events),
        data_plane=type(world.data_plane).__name__,
        analysis=decision.analysis,
        shadow=shadow_figures(world),
        load_tests=load_test_figures(world),
        registry=world.registry.snapshot(),
        drift=drift,
        drift_checks=drift_checks or [],
        slo_violation_s=slo_violation_seconds(world),
        timeline=timeline(world),
    )


def _bins(world: World) -> int:
    return int(math.ceil(world.env.now / world.store.bin_seconds))


def slo_violation_seconds(world: World) -> float | None:
    """Seconds of scrape intervals in which user traffic as a whole missed an objective (``None`` without SLO).

    A load test's requests are left out: they are no user's.
    """
    slo = world.scenario.slo
    if slo is None:
        return None
    series = world.store.series
    synthetic = world.store.synthetic_series
    bins = _bins(world)
    requests = (series.requests[:bins] - synthetic["requests"][:bins]).sum(axis=1)
    violated = np.zeros(bins, dtype=bool)
    if slo.error_rate is not None:
        failed = (series.failed[:bins] - synthetic["failed"][:bins]).sum(axis=1)
        violated |= (requests > 0) & (failed > slo.error_rate * requests)
    if slo.latency_p99 is not None:
        histogram = series.histogram[:bins].astype(np.int64) - synthetic["histogram"][:bins]
        p99 = series.quantiles(histogram.sum(axis=1), 0.99)
        violated |= p99 > slo.latency_p99  # NaN (no traffic) never violates
    return float(violated.sum() * series.bin_seconds)


def shadow_figures(world: World) -> dict[str, dict[str, object]]:
    """Mirrored traffic per version that served any: never seen by users."""
    counts = world.store.shadow_counts
    figures: dict[str, dict[str, object]] = {}
    for index, name in enumerate(world.versions):
        if counts["requests"][index] == 0:
            continue
        compared = int(counts["compared"][index])
        disagreements = int(counts["disagreements"][index])
        figures[name] = {
            "requests": int(counts["requests"][index]),
            "failed_requests": int(counts["failed_requests"][index]),
            "compared": compared,
            "disagreements": disagreements,
            "divergence": disagreements / compared if compared else None,
        }
    return figures


def load_test_figures(world: World) -> dict[str, dict[str, object]]:
    """Load-test requests per version that served any (never a user's): sent and failed."""
    counts = world.store.synthetic_counts
    return {name: {"requests": int(counts["requests"][index]), "failed_requests": int(counts["failed_requests"][index])}
            for index, name in enumerate(world.versions) if counts["requests"][index] > 0}


def timeline(world: World, store: MetricStore | None = None) -> dict[str, np.ndarray]:
    """Per scrape interval and version that served: requests, failures, p50/p99, accuracy and load.

    ``store`` is the metric store read (default: the world's; a region's, for its own timeline).

    ``utilisation`` is the share of the version's slots busy in the interval
    (fraction 0-1, NaN without a ready replica): the time-average of requests
    in service over the time-average of ready replicas x concurrency, each
    request's service split exactly at the interval's edges (see
    :mod:`simulator.world.metrics`). It can pass 1 in an interval where
    replicas stopped while still finishing work they held. ``queue_wait_mean_s``
    is the mean wait (seconds) of the requests that started service in the
    interval (NaN where none did). Both count mirrored copies too.
    ``ready_replicas`` is the time-average of the version's ready replicas in
    the interval (with autoscaling, it follows the load).
    """
    store = world.store if store is None else store
    series = store.series
    bins = _bins(world)
    slot_seconds = series.slot_seconds_until(world.env.now)[:bins]
    started = store.started_by_start[:bins]
    rows = []
    for index, name in enumerate(world.versions):
        requests = series.requests[:bins, index]
        if requests.sum() == 0:
            continue
        histogram = series.histogram[:bins, index]
        labelled = series.labelled[:bins, index]
        answered = store.answered[:bins, index]
        with np.errstate(invalid="ignore", divide="ignore"):
            rows.append({
                "t": np.arange(bins) * series.bin_seconds,
                "version": np.full(bins, name),
                "requests": requests,
                "failed": series.failed[:bins, index],
                "error_rate": np.where(requests > 0, series.failed[:bins, index] / np.maximum(requests, 1), np.nan),
                "latency_p50_s": series.quantiles(histogram, 0.5),
                "latency_p99_s": series.quantiles(histogram, 0.99),
                "labelled": labelled,
                "measured_accuracy": np.where(
                    labelled > 0, series.labelled_correct[:bins, index] / np.maximum(labelled, 1), np.nan
                ),
                "true_accuracy": np.where(
                    answered > 0, store.true_accuracy_sum[:bins, index] / np.maximum(answered, 1), np.nan
                ),
                "utilisation": np.where(
                    slot_seconds[:, index] > 0,
                    store.busy_seconds[:bins, index] / np.where(slot_seconds[:, index] > 0, slot_seconds[:, index], 1),
                    np.nan,
                ),
                "ready_replicas": slot_seconds[:, index] / (series.bin_seconds * world.concurrency),
                "queue_wait_mean_s": np.where(
                    started[:, index] > 0, store.queue_wait_by_start[:bins, index] / np.maximum(started[:, index], 1),
                    np.nan,
                ),
            })
    if not rows:
        return {}
    return {key: np.concatenate([row[key] for row in rows]) for key in rows[0]}
