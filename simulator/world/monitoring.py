"""Metrics as a strategy sees them: scraped, delayed, windowed, sometimes missing.

Scrapes happen every ``scrape_interval`` seconds (at ``k * interval``) and a
scrape becomes visible ``delay`` seconds later. A scrape taken during a
metrics outage is lost. Counters are cumulative, as in Prometheus, so a window
is the difference between the first and last delivered scrapes inside it
(``increase()`` without extrapolation); when fewer than two scrapes fall in
the window there is no data. A window's utilisation is the increase of the
servers' service-seconds counter over the slot-seconds the readiness gauge
gives for the same span, as ``increase(service_seconds[w])`` over
``avg_over_time(ready_slots[w]) x w`` would.

The view is handed the :class:`~simulator.world.metrics.MonitoringSeries`
alone, never the run's exact totals or true accuracy, so no path leads from
an observation to the truth.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.observations import MetricSeries, WindowStats
from simulator.world.metrics import MonitoringSeries

__all__ = ["MonitoringView", "interval_mean_variance"]


class MonitoringView:
    """Read-only, time-bounded view of the monitoring series (implements ``MetricsReader``)."""

    __slots__ = ("_series", "now", "delay", "scrape_interval", "label_delay", "_outages")

    def __init__(self, series: MonitoringSeries, now: float, delay: float, outages: list[tuple[float, float]],
                 label_delay: float = 0.0) -> None:
        self._series = series
        self.now = now
        self.delay = delay
        self.scrape_interval = series.bin_seconds
        self.label_delay = label_delay
        self._outages = outages

    def _delivered(self, k: int) -> bool:
        t = k * self.scrape_interval
        return not any(start <= t < end for start, end in self._outages)

    def _last_delivered(self, latest: int) -> int | None:
        k = latest
        while k >= 0 and not self._delivered(k):
            k -= 1
        return k if k >= 0 else None

    def window(self, version: str, duration: float, quantiles: bool = True) -> WindowStats:
        """``version``'s metrics over the last ``duration`` seconds visible at ``now``.

        ``quantiles=False`` skips the latency quantiles (``None``) for callers that need only counts and means.
        """
        interval = self.scrape_interval
        t_eval = self.now - self.delay
        if t_eval < 0:
            return WindowStats.empty(version)
        last = self._last_delivered(int(math.floor(t_eval / interval + 1e-9)))
        if last is None:
            return WindowStats.empty(version)
        staleness = t_eval - last * interval
        first = int(math.ceil((t_eval - duration) / interval - 1e-9))
        first = max(first, 0)
        while first < last and not self._delivered(first):
            first += 1
        if first >= last:
            return WindowStats.empty(version, staleness)
        store = self._series
        index = store.versions.index(version)
        bins = slice(first, last)  # scrape k sees bins 0..k-1
        requests = int(store.requests[bins, index].sum())
        failed = int(store.failed[bins, index].sum())
        histograms = store.histogram[bins, index]
        histogram = histograms.sum(axis=0)
        reached = int(histogram.sum())
        latency_sums = store.latency_sum[bins, index]
        latency_sum = float(latency_sums.sum())
        mean_variance, intervals = self._latency_mean_variance(first, last, histograms.sum(axis=1), latency_sums)
        latency_sum_squares = float(store.latency_sum_squares[bins, index].sum())
        labelled = int(store.labelled[bins, index].sum())
        correct = int(store.labelled_correct[bins, index].sum())

        def quantile(q: float) -> float | None:
            return float(store.quantiles(histogram, q)) if reached and quantiles else None

        slot_seconds = store.slot_seconds_in(index, first, last)
        services = int(store.services[bins, index].sum())

        return WindowStats(
            version=version,
            start=first * interval,
            end=last * interval,
            staleness=staleness,
            requests=requests,
            failed=failed,
            latency_mean=latency_sum / reached if reached else None,
            latency_std=_std(latency_sum, latency_sum_squares, reached),
            latency_p50=quantile(0.5),
            latency_p90=quantile(0.9),
            latency_p95=quantile(0.95),
            latency_p99=quantile(0.99),
            labelled=labelled,
            correct=correct,
            latency_samples=reached,
            shadow_compared=int(store.shadow_compared[bins, index].sum()),
            shadow_disagreements=int(store.shadow_disagreements[bins, index].sum()),
            utilisation=float(store.service_seconds[bins, index].sum()) / slot_seconds if slot_seconds > 0 else None,
            queue_wait_mean=float(store.queue_wait_seconds[bins, index].sum()) / services if services else None,
            latency_mean_variance=mean_variance,
            latency_intervals=intervals,
        )

    def _latency_mean_variance(self, first: int, last: int, counts: np.ndarray,
                               sums: np.ndarray) -> tuple[float | None, int]:
        """The variance of the window's mean latency across its scrape intervals (s²), and their number.

        ``counts`` and ``sums`` are the latency samples and their sum (seconds) in each bin from ``first`` to
        ``last``. An interval runs from one delivered scrape to the next, so a lost scrape joins two bins.
        """
        if self._outages:
            starts = [k - first for k in range(first, last) if self._delivered(k)]
            counts, sums = np.add.reduceat(counts, starts), np.add.reduceat(sums, starts)
        return interval_mean_variance(counts, sums)

    def series(self, version: str, duration: float) -> MetricSeries:
        """``version``'s metrics per scrape interval over the same window :meth:`window` uses."""
        stats = self.window(version, duration, quantiles=False)
        store = self._series
        index = store.versions.index(version)
        if not stats.has_data:
            empty = np.empty(0)
            return MetricSeries(version=version, requests=empty, error_rate=empty, latency_p50=empty,
                                latency_p99=empty, labelled=empty, accuracy=empty)
        first = int(round(stats.start / self.scrape_interval))
        last = int(round(stats.end / self.scrape_interval))
        requests = store.requests[first:last, index].astype(float)
        histograms = store.histogram[first:last, index]
        labelled = store.labelled[first:last, index].astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            error_rate = np.where(requests > 0, store.failed[first:last, index] / requests, np.nan)
            accuracy = np.where(labelled > 0, store.labelled_correct[first:last, index] / labelled, np.nan)
        return MetricSeries(version=version, requests=requests, error_rate=error_rate,
                            latency_p50=store.quantiles(histograms, 0.5), latency_p99=store.quantiles(histograms, 0.99),
                            labelled=labelled, accuracy=accuracy)

    def window_since(self, version: str, since: float, quantiles: bool = True) -> WindowStats:
        """``version``'s metrics from the first delivered scrape at or after ``since`` (seconds)."""
        return self.window(version, max(self.now - self.delay - since, 0.0), quantiles)

    def users_since(self, version: str, since: float) -> int:
        """Distinct users ``version`` answered from ``since`` until now (seconds)."""
        index = self._series.versions.index(version)
        return int(np.count_nonzero(self._series.user_last_seen[index] >= since))


def interval_mean_variance(counts: np.ndarray, sums: np.ndarray) -> tuple[float | None, int]:
    """Variance of the mean ``sum(sums) / sum(counts)`` over intervals taken as independent, and their number.

    The cluster-robust estimate with the small-sample factor ``k / (k - 1)``
    for ``k`` intervals holding samples: ``k / (k - 1) x sum_i (s_i - m c_i)^2
    / C^2``, with ``m`` the mean, ``c_i`` and ``s_i`` an interval's count and
    sum, ``C`` the total count. It is the variance statsmodels gives the
    constant of an ordinary least squares fit with errors clustered by
    interval, in the square of the sums' unit (s² for latency sums in
    seconds). ``None`` with fewer than two intervals holding samples.
    """
    used = counts > 0
    intervals = int(np.count_nonzero(used))
    if intervals < 2:
        return None, intervals
    total = float(counts.sum())
    residuals = sums[used] - float(sums.sum()) / total * counts[used]
    return intervals / (intervals - 1) * float(residuals @ residuals) / (total * total), intervals


def _std(total: float, total_squares: float, count: int) -> float | None:
    """Sample standard deviation from a sum and a sum of squares."""
    if count < 2:
        return None
    variance = (total_squares - total * total / count) / (count - 1)
    return math.sqrt(max(variance, 0.0))
