"""Matplotlib figures of runs: traffic, latency and errors over time, with decisions marked."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from simulator.result import RunResult  # noqa: E402

__all__ = ["plot_timelines"]

_DECISION_COLOURS = {"promoted": "tab:green", "rolled_back": "tab:red"}


def plot_timelines(results: list[RunResult], path: str | Path | None = None):  # -> matplotlib Figure
    """One column per run: requests/s, p99 latency, error rate and accuracy per version over time.

    Accuracy is drawn twice: the truth (solid) and what labels measured
    (dotted, late by the label delay). Decisions are vertical lines (green
    promoted, red rolled back), drift detections orange ticks.
    Saved to ``path`` when given; the figure is returned either way.
    """
    columns = max(1, len(results))
    figure, axes = plt.subplots(4, columns, figsize=(4.2 * columns, 10), sharex="col", squeeze=False)
    for column, result in enumerate(results):
        frame = result.timeline_frame()
        top, middle, bottom, accuracy = axes[0, column], axes[1, column], axes[2, column], axes[3, column]
        top.set_title(f"{result.strategy} ({result.outcome})", fontsize=10)
        if not frame.empty:
            bin_seconds = float(np.diff(np.unique(frame["t"]))[0]) if frame["t"].nunique() > 1 else 1.0
            for version, rows in frame.groupby("version", sort=False):
                minutes = rows["t"] / 60.0
                top.plot(minutes, rows["requests"] / bin_seconds, label=str(version), lw=1)
                middle.plot(minutes, rows["latency_p99_s"] * 1e3, lw=1)
                bottom.plot(minutes, rows["error_rate"], lw=1)
                line = accuracy.plot(minutes, rows["true_accuracy"], lw=1)[0]
                accuracy.plot(minutes, rows["measured_accuracy"], lw=1, ls=":", color=line.get_color())
        for detection in (result.drift or {}).get("detections", []):
            accuracy.axvline(detection["t"] / 60.0, color="tab:orange", lw=0.8, alpha=0.6)
        if result.decision_time_s is not None:
            for axis in (top, middle, bottom, accuracy):
                axis.axvline(result.decision_time_s / 60.0, color=_DECISION_COLOURS.get(result.outcome, "grey"),
                             ls="--", lw=1)
        top.set_ylabel("requests/s")
        middle.set_ylabel("p99 latency (ms)")
        bottom.set_ylabel("error rate")
        accuracy.set_ylabel("accuracy (true, measured)")
        accuracy.set_xlabel("minutes")
        top.legend(fontsize=8, loc="best")
        for axis in (top, middle, bottom, accuracy):
            axis.grid(alpha=0.3)
    figure.tight_layout()
    if path is not None:
        figure.savefig(path, dpi=110)
        plt.close(figure)
    return figure
