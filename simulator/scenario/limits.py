"""Upper bounds of the numbers a scenario may hold.

Every number that sizes an allocation or feeds a random sampler has one, so
that a typo such as ``rate: 1e30`` is a one-line error at validation and
never a crash (or an hour of swapping) in the middle of a run. The bounds
are far above any useful scenario.
"""

from __future__ import annotations

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "MAX_VALUES",
    "MAX_RATE",
    "MAX_USERS",
    "MAX_USER_SLOTS",
    "MAX_REPLICAS",
    "MAX_CONCURRENCY",
    "MAX_HORIZON",
    "MAX_DURATION",
    "MAX_LATENCY",
    "MAX_SIGMA",
    "MAX_GAMMA_SHAPE",
    "MAX_FACTOR",
    "MAX_HISTOGRAM_CELLS",
    "MAX_RUNS",
    "MAX_SEED",
    "MAX_COUNT",
    "MAX_SAMPLES",
    "MAX_LOOKS",
    "MAX_DRIFT_CHECKS",
    "MAX_WAKEUPS",
    "MAX_FEATURE_VALUE",
    "MAX_WEIGHT",
    "MAX_SHIFT",
]

DAY = 86400.0

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest scenario file read, bytes (10 MiB)."""

MAX_NESTING = 64
"""Deepest nesting of maps and lists in a scenario."""

MAX_VALUES = 1_000_000
"""Most values (scalars, maps and lists, each time a YAML alias repeats them) in a scenario."""

MAX_RATE = 1e7
"""Highest arrival rate, requests/s: the base rate, and the peak with every pattern and spike applied."""

MAX_USERS = 10_000_000
"""Most distinct users (``traffic.users``)."""

MAX_USER_SLOTS = 10_000_000
"""Most users x versions: the world keeps one slot per user and version."""

MAX_REPLICAS = 100_000
"""Most replicas of a version (``service.replicas``, crashed replicas, a rolling batch)."""

MAX_CONCURRENCY = 10_000
"""Most requests one replica serves at once."""

MAX_HORIZON = 400 * DAY
"""Longest simulated time of a run, seconds (400 days)."""

MAX_DURATION = 10 * 365 * DAY
"""Longest duration written anywhere, seconds (10 years; longer means never)."""

MAX_LATENCY = DAY
"""Longest latency parameter (p50, p99, mean, median, value, SLO), seconds (1 day)."""

MAX_SIGMA = 10.0
"""Largest log-standard-deviation of a lognormal latency."""

MAX_GAMMA_SHAPE = 10_000.0
"""Largest shape of a gamma latency."""

MAX_FACTOR = 1000.0
"""Largest multiplier of a latency fault, a traffic spike pattern or a traffic spike fault."""

MAX_HISTOGRAM_CELLS = 100_000_000
"""Most latency histogram cells monitoring keeps: scrape intervals x versions x buckets."""

MAX_RUNS = 1_000_000
"""Most Monte Carlo runs of a scenario."""

MAX_SEED = 2**53
"""Largest seed: exact in every JSON reader (a double holds integers up to 2**53)."""

MAX_COUNT = 1_000_000_000
"""Largest count threshold (minimum requests, labels or samples before a decision)."""

MAX_SAMPLES = 1_000_000
"""Most samples drawn at once (smoke tests, drift monitor windows)."""

MAX_LOOKS = 1000
"""Most looks of an A/B test."""

MAX_WAKEUPS = 1_000_000
"""Most times a periodic step may run within the horizon (horizon / period): data-plane slices, rechecks."""

MAX_DRIFT_CHECKS = 100_000
"""Most drift monitor checks in a run (horizon / window): each draws and tests a sample."""

MAX_FEATURE_VALUE = 1e9
"""Largest mean (in absolute value) and standard deviation of a numeric feature."""

MAX_WEIGHT = 1e9
"""Largest category weight of a categorical feature (weights are normalised)."""

MAX_SHIFT = 1000.0
"""Largest data drift shift (standard deviations, absolute) and scale factor."""
