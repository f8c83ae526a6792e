"""The state machine of one AnalysisRun: when each metric is measured and what the run concludes.

Sans I/O: the caller asks which metrics are :meth:`~AnalysisRunState.due`
at a simulated time, measures them (a PromQL query, a simulated Job) and
hands each value to :meth:`~AnalysisRunState.record`. Times are seconds of
simulated time.

Per metric, as Argo's analysis controller does it:

* the first measurement is due ``initialDelay`` after the run starts; the
  next one ``interval`` after the previous one was taken, or 10 s after a
  measurement in Error, whatever the interval;
* Successful, Failed and Inconclusive measurements count towards ``count``;
  Errors do not. A measurement that is not an Error ends a run of
  consecutive errors; one that is not Successful ends a run of consecutive
  successes;
* after each measurement the metric is Failed once failed measurements
  exceed ``failureLimit`` (unless it is -1), Inconclusive once inconclusive
  ones exceed ``inconclusiveLimit``, Error once consecutive errors exceed
  ``consecutiveErrorLimit``; with ``failureLimit: 1`` the second failed
  measurement fails the metric, with the default 4 the fifth error in a row;
* otherwise it is Successful once ``consecutiveSuccessLimit`` (if above 0)
  successes in a row are reached, or once ``count`` measurements are
  taken: then Successful, except that with a ``consecutiveSuccessLimit``
  never reached it is Inconclusive (``failureLimit`` in force) or Failed
  (``failureLimit: -1``);
* a metric without ``count`` runs until the run is terminated.

The run: as soon as a metric that is not a dry run ends Failed, Error or
Inconclusive, the run terminates at that same instant. Terminating (also on
:meth:`~AnalysisRunState.terminate`, when a Rollout ends its background
analysis) takes no further measurements and marks every unfinished metric
Successful. Once every metric is finished the run takes the worst phase of
its metrics that are not dry runs (Failed, then Error, then Inconclusive,
then Successful); a dry-run metric's phase is reported but never decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.analysis.argo.conditions import judge_value
from simulator.analysis.argo.phases import AnalysisPhase, Measurement, MeasurementError, normalize_value
from simulator.analysis.argo.run_spec import AnalysisRunSpec, JobRun, ResolvedMetric
from simulator.errors import StrategyError
from simulator.scenario.base import suggest

__all__ = ["AnalysisRunState", "MetricResult", "ERROR_RETRY_INTERVAL"]

ERROR_RETRY_INTERVAL = 10.0
"""Seconds after a measurement in Error before the next one (Argo's ``DefaultErrorRetryInterval``)."""

_TOLERANCE = 1e-9  # seconds: a measurement "at" its due time may carry rounding from the caller's clock


@dataclass(frozen=True, slots=True)
class MetricResult:
    """One metric's progress: its phase, its counters and every measurement, oldest first."""

    name: str
    phase: AnalysisPhase
    message: str
    dry_run: bool
    count: int
    successful: int
    failed: int
    inconclusive: int
    error: int
    consecutive_error: int
    consecutive_success: int
    measurements: tuple[Measurement, ...]


@dataclass
class _Progress:
    metric: ResolvedMetric
    phase: AnalysisPhase = AnalysisPhase.PENDING
    message: str = ""
    count: int = 0
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    consecutive_error: int = 0
    consecutive_success: int = 0
    measurements: list[Measurement] = field(default_factory=list)

    def add(self, measurement: Measurement) -> None:
        self.measurements.append(measurement)
        phase = measurement.phase
        if phase == AnalysisPhase.ERROR:
            self.error += 1
            self.consecutive_error += 1
            self.consecutive_success = 0
            return
        self.count += 1
        self.consecutive_error = 0
        if phase == AnalysisPhase.SUCCESSFUL:
            self.successful += 1
            self.consecutive_success += 1
        else:
            self.consecutive_success = 0
            if phase == AnalysisPhase.FAILED:
                self.failed += 1
            else:
                self.inconclusive += 1

    def tally(self) -> str:
        parts = [f"{self.successful} successful"]
        for number, word in ((self.failed, "failed"), (self.inconclusive, "inconclusive"), (self.error, "errors")):
            if number:
                parts.append(f"{number} {word}")
        return ", ".join(parts)

    def due_time(self, started_at: float) -> float:
        if not self.measurements:
            return started_at + self.metric.initial_delay
        last = self.measurements[-1]
        if last.phase == AnalysisPhase.ERROR or self.metric.interval is None:
            return last.time + ERROR_RETRY_INTERVAL
        return last.time + self.metric.interval

    def assess(self, terminating: bool) -> None:
        """Argo's ``assessMetricStatus``: the metric's phase after its latest measurement."""
        if self.phase.completed:
            return
        metric = self.metric
        name = metric.name
        if not self.measurements:
            if terminating:
                self._finish(AnalysisPhase.SUCCESSFUL, f"{name}: terminated before its first measurement")
            return
        last = self.measurements[-1].message
        limit_broken: tuple[AnalysisPhase, str] | None = None
        if metric.failure_limit >= 0 and self.failed > metric.failure_limit:
            limit_broken = (AnalysisPhase.FAILED,
                            f"{name}: {last} ({self.failed} failed > failureLimit {metric.failure_limit})")
        if self.inconclusive > metric.inconclusive_limit:
            limit_broken = (AnalysisPhase.INCONCLUSIVE, f"{name}: {last} ({self.inconclusive} inconclusive > "
                                                        f"inconclusiveLimit {metric.inconclusive_limit})")
        if self.consecutive_error > metric.consecutive_error_limit:
            limit_broken = (AnalysisPhase.ERROR, f"{name}: {last} ({self.consecutive_error} consecutive errors > "
                                                 f"consecutiveErrorLimit {metric.consecutive_error_limit})")
        if limit_broken is not None:
            self._finish(*limit_broken)
            return
        wanted = metric.consecutive_success_limit
        if wanted > 0 and self.consecutive_success >= wanted:
            self._finish(AnalysisPhase.SUCCESSFUL,
                         f"{name}: {self.consecutive_success} successes in a row reached consecutiveSuccessLimit "
                         f"{wanted} ({self.tally()})")
        elif metric.count is not None and self.count >= metric.count:
            if wanted > 0:
                phase = AnalysisPhase.INCONCLUSIVE if metric.failure_limit >= 0 else AnalysisPhase.FAILED
                self._finish(phase, f"{name}: count {metric.count} reached without {wanted} successes in a row "
                                    f"(consecutiveSuccessLimit; {self.tally()})")
            else:
                self._finish(AnalysisPhase.SUCCESSFUL, f"{name}: count {metric.count} reached ({self.tally()})")
        elif terminating:
            self._finish(AnalysisPhase.SUCCESSFUL,
                         f"{name}: terminated after {len(self.measurements)} measurements ({self.tally()})")
        else:
            self.phase = AnalysisPhase.RUNNING
            self.message = f"{name}: {last}"

    def _finish(self, phase: AnalysisPhase, message: str) -> None:
        self.phase = phase
        self.message = message + (" [dry run]" if self.metric.dry_run else "")

    def result(self) -> MetricResult:
        return MetricResult(self.metric.name, self.phase, self.message, self.metric.dry_run, self.count,
                            self.successful, self.failed, self.inconclusive, self.error, self.consecutive_error,
                            self.consecutive_success, tuple(self.measurements))


class AnalysisRunState:
    """One AnalysisRun of ``spec``, started at ``started_at`` (seconds of simulated time)."""

    def __init__(self, spec: AnalysisRunSpec, started_at: float = 0.0) -> None:
        self.spec = spec
        self.started_at = started_at
        self.completed_at: float | None = None
        self.terminated = False
        self._phase = AnalysisPhase.RUNNING
        self._message = ""
        self._progress = {metric.name: _Progress(metric) for metric in spec.metrics}
        self._last_time = started_at

    # what the caller reads -------------------------------------------

    @property
    def phase(self) -> AnalysisPhase:
        """Running until every metric is finished; then Successful, Failed, Error or Inconclusive."""
        return self._phase

    @property
    def message(self) -> str:
        """One line saying why the run is in its phase: the deciding metric, its value and its condition."""
        return self._message

    @property
    def completed(self) -> bool:
        """Whether the run has its final phase."""
        return self._phase.completed

    def result(self, metric: str) -> MetricResult:
        """The progress of ``metric``."""
        return self._get(metric).result()

    def results(self) -> tuple[MetricResult, ...]:
        """The progress of every metric, in the run's order."""
        return tuple(progress.result() for progress in self._progress.values())

    def due(self, time: float) -> list[str]:
        """The metrics to measure at ``time``, in the run's order (none once the run is completed)."""
        if self.completed:
            return []
        return [name for name, progress in self._progress.items()
                if not progress.phase.completed and progress.due_time(self.started_at) <= time + _TOLERANCE]

    def next_time(self) -> float | None:
        """When the next measurement is due, or ``None`` once the run is completed."""
        if self.completed:
            return None
        times = [progress.due_time(self.started_at) for progress in self._progress.values()
                 if not progress.phase.completed]
        return min(times) if times else None

    # what the caller does --------------------------------------------

    def record(self, metric: str, time: float, value: object) -> Measurement:
        """Record one measurement of ``metric`` taken at ``time``; returns it, judged.

        ``value`` is what the provider gave: for a ``prometheus`` metric a
        number (a scalar), a sequence of numbers (a vector, possibly empty)
        or ``None``; for a ``job`` metric ``True`` (the Job succeeded) or
        ``False`` (it failed); for either a :class:`MeasurementError`.
        """
        progress = self._get(metric)
        if self.completed:
            raise StrategyError(f"analysis run already {self._phase} at t={self.completed_at:g}s; "
                                f"cannot record {metric} at t={time:g}s")
        if progress.phase.completed:
            raise StrategyError(f"metric {metric} is already {progress.phase}; cannot record it at t={time:g}s")
        due = progress.due_time(self.started_at)
        if time + _TOLERANCE < due:
            raise StrategyError(f"metric {metric} is not due before t={due:g}s; cannot record it at t={time:g}s")
        measurement = self._judge(progress.metric, time, value)
        progress.add(measurement)
        self._last_time = max(self._last_time, time)
        progress.assess(terminating=False)
        self._assess(time)
        return measurement

    def terminate(self, time: float) -> None:
        """End the run at ``time`` (a Rollout ending its background analysis): unfinished metrics succeed."""
        if self.completed:
            return
        self.terminated = True
        self._assess(max(time, self._last_time))

    # inside -----------------------------------------------------------

    def _get(self, metric: str) -> _Progress:
        progress = self._progress.get(metric)
        if progress is None:
            names = list(self._progress)
            raise StrategyError(f"no metric '{metric}' in this analysis run{suggest(metric, names)}; "
                                f"metrics: {', '.join(names)}")
        return progress

    @staticmethod
    def _judge(metric: ResolvedMetric, time: float, value: object) -> Measurement:
        if isinstance(value, MeasurementError):
            return Measurement(metric.name, time, AnalysisPhase.ERROR, None, value.message)
        if isinstance(metric.provider, JobRun):
            if not isinstance(value, bool):
                raise StrategyError(f"metric {metric.name} is a job: record True (the Job succeeded), False "
                                    f"(it failed) or a MeasurementError, not {value!r}")
            if value:
                return Measurement(metric.name, time, AnalysisPhase.SUCCESSFUL, None, "the job succeeded")
            return Measurement(metric.name, time, AnalysisPhase.FAILED, None, "the job failed")
        try:
            result = normalize_value(value)
        except TypeError as error:
            raise StrategyError(f"metric {metric.name}: {error}") from None
        phase, message = judge_value(result, metric.success_condition, metric.failure_condition)
        stored = tuple(result) if isinstance(result, list) else result
        return Measurement(metric.name, time, phase, stored, message)

    def _assess(self, time: float) -> None:
        """Argo's ``assessRunStatus``: terminate on a deciding failure; complete once every metric is finished."""
        progresses = list(self._progress.values())
        terminating = self.terminated or any(
            not p.metric.dry_run and p.phase in (AnalysisPhase.FAILED, AnalysisPhase.ERROR,
                                                 AnalysisPhase.INCONCLUSIVE) for p in progresses)
        if terminating:
            for progress in progresses:
                progress.assess(terminating=True)
        if not all(progress.phase.completed for progress in progresses):
            return
        deciding = [p for p in progresses if not p.metric.dry_run]
        worst = max(deciding, key=lambda p: p.phase.severity, default=None)  # max keeps the first of equals
        if worst is None or worst.phase == AnalysisPhase.SUCCESSFUL:
            self._phase = AnalysisPhase.SUCCESSFUL
            self._message = "; ".join(p.message for p in progresses)
        else:
            self._phase = worst.phase
            self._message = worst.message
        self.completed_at = time
