"""What became of each finished request: errors, correct predictions, labels.

A data plane decides *when* a request ended and how (served, timed out,
dropped, crashed); :class:`RequestOutcomes` decides, from the request's own
uniform draws, whether the model failed it, whether its prediction was right
and whether a label will come back. Shadow copies get a prediction correlated
with production's on the same request (a Gaussian copula). Synthetic
requests (a load test's) get no label, and no counterfactual: they are no
user's.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from simulator.world.drift import DriftSchedule
from simulator.world.faults import FaultSchedule
from simulator.world.metrics import FinishedRequests, Status
from simulator.world.serving import ServedChunk

__all__ = ["RequestOutcomes"]


class RequestOutcomes:
    """Turns served chunks into :class:`~simulator.world.metrics.FinishedRequests`.

    ``error_rates`` per version are fractions 0-1; ``label_fraction`` is the
    share of predictions that get a label; ``prediction_correlation`` the
    copula correlation of two versions' errors on the same request.
    ``baseline`` is the index of the version every other one is measured
    against (production before the rollout): for each request another version
    served, what the baseline would have done with the same draws -- failed
    or not, right or wrong -- is decided too, so harm is counted exactly.
    """

    def __init__(self, faults: FaultSchedule, error_rates: np.ndarray, drift: DriftSchedule, label_fraction: float,
                 prediction_correlation: float, baseline: int | None = None) -> None:
        self.baseline = baseline
        self.faults = faults
        self.error_rates = error_rates
        self.drift = drift
        self.label_fraction = label_fraction
        self.prediction_correlation = prediction_correlation

    def decide(self, arrays: ServedChunk) -> FinishedRequests:
        """Errors, correctness and labels of final requests from their draws.

        ``disagrees`` marks the shadow copies whose prediction differs from
        production's on the same request.
        """
        version = arrays["version"]
        status = arrays["status"]
        arrival = arrays["arrival"]
        p_error = self.faults.error_probability(self.error_rates, version, arrival)
        error = (status == Status.OK) & (arrays["u_error"] < p_error)
        true_accuracy = self.drift.accuracy(version, arrival, arrays.get("u_segment"))
        correct = arrays["u_correct"] < true_accuracy
        labelled = arrays["u_label"] < self.label_fraction
        shadow = arrays.get("shadow")
        if shadow is None:
            shadow = np.zeros(len(version), dtype=bool)
        synthetic = arrays.get("synthetic")
        if synthetic is None:
            synthetic = np.zeros(len(version), dtype=bool)
        labelled &= ~synthetic
        compared = np.zeros(len(version), dtype=bool)
        disagrees = np.zeros(len(version), dtype=bool)
        if shadow.any():
            origin = arrays["origin"][shadow]
            rho = self.prediction_correlation
            z_production = special.ndtri(arrays["u_correct"][shadow])
            z_shadow = rho * z_production + np.sqrt(1.0 - rho * rho) * special.ndtri(arrays["u_shadow"][shadow])
            shadow_correct = z_shadow < special.ndtri(true_accuracy[shadow])
            segment_draws = arrays["u_segment"][shadow] if "u_segment" in arrays else None
            production_accuracy = self.drift.accuracy(origin, arrival[shadow], segment_draws)
            production_correct = arrays["u_correct"][shadow] < production_accuracy
            production_error = self.faults.error_probability(self.error_rates, origin, arrival[shadow])
            production_answered = arrays["u_error"][shadow] >= production_error
            correct[shadow] = shadow_correct
            compared[shadow] = (status[shadow] == Status.OK) & ~error[shadow] & production_answered
            disagrees[shadow] = compared[shadow] & (shadow_correct != production_correct)
        baseline_failed, baseline_correct = self._baseline(arrays, error, correct, shadow | synthetic)
        return FinishedRequests(
            arrival=arrival, version=version, status=status, start=arrays["start"],
            client_end=arrays["client_end"], error=error, correct=correct, labelled=labelled, user=arrays["user"],
            shadow=shadow, compared=compared, disagrees=disagrees, true_accuracy=true_accuracy,
            baseline_failed=baseline_failed, baseline_correct=baseline_correct,
            service_end=arrays.get("service_end"), synthetic=synthetic,
        )

    def _baseline(self, arrays: ServedChunk, error: np.ndarray, correct: np.ndarray,
                  apart: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Whether the baseline version would have failed each request, and been right, with the same draws.

        For the baseline's own requests that is what happened (a failure for
        any reason); for another version's, its error and correctness draws
        against the baseline's error probability and accuracy at that time.
        Timeouts, drops and crashes come from queueing, which has no
        per-request counterfactual: they count against the version that
        served the request. ``apart`` marks the requests that are no user's
        (shadow copies, load tests): they have none.
        """
        if self.baseline is None:
            return None, None
        version, status = arrays["version"], arrays["status"]
        other = (version != self.baseline) & ~apart
        if not other.any():  # the baseline served everything: nothing to count (the common case, steady serving)
            return None, None
        baseline_failed = (status != Status.OK) | error
        baseline_correct = correct.copy()
        same = np.full(int(other.sum()), self.baseline, dtype=version.dtype)
        arrival = arrays["arrival"][other]
        p_error = self.faults.error_probability(self.error_rates, same, arrival)
        baseline_failed[other] = arrays["u_error"][other] < p_error
        segments = arrays["u_segment"][other] if "u_segment" in arrays else None
        baseline_correct[other] = arrays["u_correct"][other] < self.drift.accuracy(same, arrival, segments)
        return baseline_failed, baseline_correct
