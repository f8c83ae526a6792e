"""One AnalysisRun a rollout started, measured through the observation it is given.

The rollout asks an :class:`AnalysisRunner` to :meth:`~AnalysisRunner.measure`
whenever it is observed; every metric due by then is measured once, at the
observation's time, and each measurement becomes a ``check`` event. A
``prometheus`` metric asks the observation's
:class:`~simulator.observations.PrometheusReader`: a scalar's value or a
vector's values go to the run as they are (an empty vector is ``[]``, which
a condition like ``result[0] < 1`` cannot evaluate: an Error measurement, as
in Argo), and a failed query is a
:class:`~simulator.analysis.argo.MeasurementError`. A ``job`` metric whose
Job always succeeds (failure probability 0, the default) or always fails
(1) needs no draw; any other probability is drawn by the world, through
the observation's :class:`~simulator.observations.JobRunner` (one draw per
measurement), since a strategy draws no random numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulator.analysis.argo import (
    AnalysisPhase,
    AnalysisRunSpec,
    AnalysisRunState,
    JobRun,
    Measurement,
    MeasurementError,
    ResolvedMetric,
)
from simulator.commands import Note
from simulator.errors import StrategyError
from simulator.observations import Observation, QueryFailure

__all__ = ["AnalysisRunner", "measured_value", "VERDICTS"]

VERDICTS = {AnalysisPhase.SUCCESSFUL: "pass", AnalysisPhase.FAILED: "fail", AnalysisPhase.INCONCLUSIVE: "inconclusive",
            AnalysisPhase.ERROR: "error"}
"""A measurement's phase as a check's verdict in the event log."""

_ENDINGS = {AnalysisPhase.SUCCESSFUL: "succeeded", AnalysisPhase.FAILED: "failed", AnalysisPhase.ERROR: "errored",
            AnalysisPhase.INCONCLUSIVE: "was inconclusive"}


def measured_value(metric: ResolvedMetric, observation: Observation) -> object:
    """What ``metric``'s provider gives at the observation's time, for :meth:`AnalysisRunState.record`."""
    provider = metric.provider
    if isinstance(provider, JobRun):
        if provider.failure_probability <= 0:
            return True
        if provider.failure_probability >= 1:
            return False
        if observation.jobs is None:
            raise StrategyError(f"metric {metric.name} is a job that fails with probability "
                                f"{provider.failure_probability:g}; a strategy draws no random numbers, and the "
                                "observation carries no job runner")
        return observation.jobs.run(provider.failure_probability)
    reader = observation.prometheus
    if reader is None:
        raise StrategyError(f"metric {metric.name} runs the PromQL query {provider.query!r}, but the observation "
                            "carries no Prometheus reader")
    answer = reader.query(provider.query)
    if isinstance(answer, QueryFailure):
        return MeasurementError(answer.message)
    return answer


@dataclass
class AnalysisRunner:
    """An AnalysisRun of ``spec`` started at ``started_at`` seconds; ``label`` names it (``background``, ``step 3``)."""

    label: str
    spec: AnalysisRunSpec
    started_at: float

    def __post_init__(self) -> None:
        self.state = AnalysisRunState(self.spec, started_at=self.started_at)
        self.handled = False  # whether the rollout has acted on the run's conclusion

    @property
    def phase(self) -> AnalysisPhase:
        """The run's phase (Running until it concludes)."""
        return self.state.phase

    @property
    def completed(self) -> bool:
        """Whether the run has concluded."""
        return self.state.completed

    def next_time(self) -> float | None:
        """When a measurement is next due (seconds), or ``None`` once the run has concluded."""
        return self.state.next_time()

    def measure(self, observation: Observation, where: Mapping[str, object]) -> list[Note]:
        """Measure every metric due at ``observation.now``; a ``check`` event per measurement, ``where`` in its data."""
        notes: list[Note] = []
        now = observation.now
        for name in self.state.due(now):
            if self.state.completed:  # a deciding metric ended the run: the rest are not measured
                break
            metric = self.spec.metric(name)
            measurement = self.state.record(name, now, measured_value(metric, observation))
            notes.append(self._note(metric, measurement, where))
        if self.state.completed and notes:
            notes.append(Note(kind="analysis", detail=self.conclusion(),
                              data={**where, "analysis": self.label, "phase": str(self.phase),
                                    "message": self.state.message}))
        return notes

    def terminate(self, now: float) -> None:
        """End the run at ``now`` (seconds): unfinished metrics succeed unless a limit was already broken."""
        self.state.terminate(now)

    def conclusion(self) -> str:
        """One sentence: ``step 3 analysis p99-latency failed: result[0] = 0.31 fails ...``."""
        phase = self.phase
        if phase == AnalysisPhase.SUCCESSFUL or not phase.completed:
            return f"{self.label} analysis {_ENDINGS.get(phase, str(phase).lower())}: {self.state.message}"
        for result in self.state.results():
            if not result.dry_run and result.phase == phase:
                prefix = f"{result.name}: "
                detail = result.message[len(prefix):] if result.message.startswith(prefix) else result.message
                return f"{self.label} analysis {result.name} {_ENDINGS[phase]}: {detail}"
        return f"{self.label} analysis {_ENDINGS[phase]}: {self.state.message}"

    def _note(self, metric: ResolvedMetric, measurement: Measurement, where: Mapping[str, object]) -> Note:
        value = measurement.value
        shown = list(value) if isinstance(value, tuple) else value
        dry = " [dry run]" if metric.dry_run else ""
        return Note(kind="check", detail=f"{self.label} analysis, {metric.name}: {measurement.message}{dry}",
                    data={**where, "analysis": self.label, "metric": metric.name,
                          "verdict": VERDICTS.get(measurement.phase, "other"), "phase": str(measurement.phase),
                          "value": shown, "dry_run": metric.dry_run, "message": measurement.message})
