"""Named random streams derived from one root seed.

Each stream (``traffic``, ``faults``, ``smoke``, ...) gets its own
:class:`numpy.random.Generator`, derived from the run's root
:class:`numpy.random.SeedSequence` by a stable hash of its name, never by the
order in which streams are asked for. So the same seed gives the same draws
on any executor, two strategies run with the same seed see the same traffic,
and adding a fault does not change the traffic.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["RandomStreams", "stream_key"]


def stream_key(name: str) -> tuple[int, int]:
    """Return the stable spawn key of the stream called ``name``."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return (int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:8], "little"))


class RandomStreams:
    """Factory of independent, named generators for one run.

    ``RandomStreams(42).generator("traffic")`` always returns a generator in
    the same state, whatever other streams were created before it.
    """

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    def made(self, name: str) -> bool:
        """Whether the generator of stream ``name`` exists already (and so may have drawn)."""
        return name in self._generators

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use, then shared)."""
        generator = self._generators.get(name)
        if generator is None:
            sequence = np.random.SeedSequence(self.seed, spawn_key=stream_key(name))
            generator = np.random.Generator(np.random.PCG64(sequence))
            self._generators[name] = generator
        return generator
