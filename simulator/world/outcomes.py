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
from numba import njit

from simulator.world.drift import DriftSchedule
from simulator.world.faults import FaultSchedule
from simulator.world.metrics import FinishedRequests, Status
from simulator.world.serving import ServedChunk

__all__ = ["RequestOutcomes"]

_STATUS_OK = Status.OK  # a plain module constant, for numba


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
        if self._plain(arrays):
            return self._decide_plain(arrays)
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
            from scipy import special  # here: only shadow copies need it, and its import slows every start

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

    def _plain(self, arrays: ServedChunk) -> bool:
        """Whether the chunk's outcomes are plain: no error fault, no drift of accuracy, no shadow copy."""
        drift = self.drift
        shadow = arrays.get("shadow")
        return (not self.faults.errors and not self.faults.dependency and not drift.segments
                and (drift.concept is None or not drift.loss.any()) and (shadow is None or not shadow.any()))

    def _decide_plain(self, arrays: ServedChunk) -> FinishedRequests:
        """:meth:`decide` for a plain chunk (:meth:`_plain`), in one compiled pass, to the same bits.

        Each version's error rate and accuracy are constant then, and nothing is compared with production.
        """
        version = np.asarray(arrays["version"], dtype=np.int64)
        n = len(version)
        no_flags = np.zeros(n, dtype=bool)
        shadow = arrays.get("shadow", no_flags)
        synthetic = arrays.get("synthetic", no_flags)
        error, correct, labelled, baseline_failed, baseline_correct = (np.empty(n, dtype=bool) for _ in range(5))
        true_accuracy = np.empty(n)
        counterfactual = _plain_outcomes(
            version, np.asarray(arrays["status"], dtype=np.int64), arrays["u_error"], arrays["u_correct"],
            arrays["u_label"], shadow | synthetic, synthetic, np.asarray(self.error_rates, dtype=np.float64),
            np.asarray(self.drift.base_accuracy, dtype=np.float64), float(self.label_fraction),
            -1 if self.baseline is None else self.baseline,
            error, correct, labelled, true_accuracy, baseline_failed, baseline_correct,
        )
        return FinishedRequests(
            arrival=arrays["arrival"], version=arrays["version"], status=arrays["status"], start=arrays["start"],
            client_end=arrays["client_end"], error=error, correct=correct, labelled=labelled, user=arrays["user"],
            shadow=shadow, compared=np.zeros(n, dtype=bool), disagrees=np.zeros(n, dtype=bool),
            true_accuracy=true_accuracy, baseline_failed=baseline_failed if counterfactual else None,
            baseline_correct=baseline_correct if counterfactual else None,
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


@njit(cache=True, nogil=True)
def _plain_outcomes(  # one compiled pass takes every array it fills
    version: np.ndarray, status: np.ndarray, u_error: np.ndarray, u_correct: np.ndarray, u_label: np.ndarray,
    apart: np.ndarray, synthetic: np.ndarray, error_rates: np.ndarray, accuracies: np.ndarray,
    label_fraction: float, baseline: int, error: np.ndarray, correct: np.ndarray, labelled: np.ndarray,
    true_accuracy: np.ndarray, baseline_failed: np.ndarray, baseline_correct: np.ndarray,
) -> bool:  # pragma: no cover - compiled
    """Errors, correctness, labels and the baseline's counterfactual of plain requests (see ``_decide_plain``).

    Error probabilities are ``1 - (1 - rate)``, as the fault schedule combines
    causes, so that they round as there. ``baseline`` is -1 for none. Returns
    whether any request has a counterfactual (a user request another version
    served); the baseline arrays mean something only then.
    """
    n = version.shape[0]
    counterfactual = False
    for i in range(n):
        v = version[i]
        accuracy = accuracies[v]
        error[i] = status[i] == _STATUS_OK and u_error[i] < 1.0 - (1.0 - error_rates[v])
        true_accuracy[i] = accuracy
        correct[i] = u_correct[i] < accuracy
        labelled[i] = u_label[i] < label_fraction and not synthetic[i]
        if baseline >= 0 and v != baseline and not apart[i]:
            counterfactual = True
            baseline_failed[i] = u_error[i] < 1.0 - (1.0 - error_rates[baseline])
            baseline_correct[i] = u_correct[i] < accuracies[baseline]
        else:
            baseline_failed[i] = status[i] != _STATUS_OK or error[i]
            baseline_correct[i] = correct[i]
    return counterfactual
