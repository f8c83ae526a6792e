"""The outcomes of the Kubernetes Jobs an analysis runs (Argo Rollouts' ``job`` provider).

A Job passes or fails by chance: each run draws one uniform number from the
run's ``jobs`` stream, and fails when it falls below the Job's failure
probability. The stream is the world's, so a strategy draws nothing, the
same seed gives the same outcomes, and Jobs never shift the traffic's or the
faults' draws. A probability of 0 or 1 draws nothing.
"""

from __future__ import annotations

import numpy as np

from simulator.random_streams import RandomStreams

__all__ = ["JobOutcomes"]


class JobOutcomes:
    """One run's Job outcomes, drawn from the ``jobs`` stream of ``streams`` in the order they are asked for."""

    def __init__(self, streams: RandomStreams) -> None:
        self._streams = streams
        self._generator: np.random.Generator | None = None
        self.runs = 0
        """Jobs run so far that needed a draw."""

    def run(self, failure_probability: float) -> bool:
        """Whether one run of a Job that fails with ``failure_probability`` (0-1) succeeded."""
        if not 0.0 <= failure_probability <= 1.0:
            raise ValueError(f"a Job's failure probability must be from 0 to 1, got {failure_probability!r}")
        if failure_probability == 0.0:
            return True
        if failure_probability == 1.0:
            return False
        if self._generator is None:
            self._generator = self._streams.generator("jobs")
        self.runs += 1
        return bool(self._generator.random() >= failure_probability)
