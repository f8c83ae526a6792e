"""Saying when a latency failure happened under load.

A candidate on few replicas can take more load per replica than the stable
version (its replica count is rounded up from its weight, a traffic spike
hits every replica alike); its latency then grows with its queue, not
with its model. When a latency rule fails and the candidate was notably
busier than its baseline over the judged window, the reason says so, with
both sides' utilisation and queue wait as the monitoring showed them. It
changes no verdict.
"""

from __future__ import annotations

from simulator.observations import WindowStats

__all__ = ["LOAD_RATIO", "BUSY_LEVEL", "BUSY_FLOOR", "LATENCY_RULES", "load_note"]

LOAD_RATIO = 1.2
"""A candidate busier than this many times its baseline's utilisation was under load (above :data:`BUSY_FLOOR`)."""

BUSY_FLOOR = 0.5
"""Below this share of its slots busy (0-1) a candidate is not called under load, however idle its baseline.

Half busy, an arrival to a replica of 4 slots waits about one time in six
(Erlang C), so queueing starts to show in the tail; at 10 % against 5 %
the ratio is 2 but nothing queues, and saying "under load" would mislead.
"""

BUSY_LEVEL = 0.8
"""A candidate with more than this share of its slots busy (0-1) was under load, whatever the baseline's."""

LATENCY_RULES = ("latencyIncrease", "maxResponseTime")
"""The threshold rules about latency (:mod:`simulator.analysis.thresholds`)."""


def _wait(seconds: float) -> str:
    milliseconds = seconds * 1e3
    return f"{milliseconds:.0f} ms" if milliseconds >= 10 else f"{milliseconds:.1f} ms"


def load_note(candidate: WindowStats, baseline: WindowStats) -> str:
    """`` (under load: candidate 92 % busy vs stable 61 %, queue wait 180 ms vs 4.0 ms)``, or ``""``.

    Not empty when both windows have a utilisation and the candidate's is
    above :data:`BUSY_LEVEL`, or above :data:`BUSY_FLOOR` and more than
    :data:`LOAD_RATIO` times the baseline's. The queue waits (mean, milliseconds) are added when both
    windows have one.
    """
    busy, baseline_busy = candidate.utilisation, baseline.utilisation
    if busy is None or baseline_busy is None:
        return ""
    if not (busy > BUSY_LEVEL or (busy > BUSY_FLOOR and busy > LOAD_RATIO * baseline_busy)):
        return ""
    text = f"candidate {busy:.0%} busy vs stable {baseline_busy:.0%}".replace("%", " %")
    if candidate.queue_wait_mean is not None and baseline.queue_wait_mean is not None:
        text += f", queue wait {_wait(candidate.queue_wait_mean)} vs {_wait(baseline.queue_wait_mean)}"
    return f" (under load: {text})"
