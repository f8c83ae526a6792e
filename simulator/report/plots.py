"""Matplotlib figures of runs over their whole window: traffic, latency, load, errors, accuracy, checks, faults.

The figures are made with the object-oriented API (a :class:`matplotlib.figure.Figure`
drawn by the Agg canvas), never through pyplot: importing this module or
drawing a figure leaves the process's backend alone, so a notebook keeps its
inline backend and shows a returned figure like any other.

Every axis is in seconds of simulated time from the start of the run, so
``axis.axvline(result.decision_time_s)`` lands where the decision is; the tick
labels read as durations (``10m``, ``1h``, ``1h30m``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from simulator.result import RunResult
from simulator.units import format_duration, parse_duration

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

__all__ = ["timeline_figure", "timelines_figure", "plot_timelines", "fault_windows", "FaultWindow",
           "OUTCOME_COLOURS", "VERDICT_COLOURS", "FAULT_COLOURS"]

OUTCOME_COLOURS = {"promoted": "tab:green", "rolled_back": "tab:red"}
"""Colour of the decision line per outcome (anything else is grey)."""

VERDICT_COLOURS = {"pass": "tab:green", "marginal": "tab:olive", "fail": "tab:red", "inconclusive": "tab:gray"}
"""Colour of a check's tick per verdict (``event.data["verdict"]``); a check without one is black."""

FAULT_COLOURS = {"crash": "tab:purple", "latency": "tab:orange", "error_rate": "tab:red",
                 "dependency_outage": "tab:brown", "metrics_outage": "tab:gray", "traffic_spike": "tab:blue",
                 "region_outage": "tab:olive"}
"""Shade of a fault's window per fault kind."""

_OTHER_VERDICT = "black"
_PANELS = ("requests/s", "p99 latency (ms)", "busy (% of slots)", "queue wait (ms)", "ready replicas", "error rate",
           "accuracy (true, measured)", "checks")
_HEIGHTS = (3, 3, 2, 2, 2, 3, 3, 1)
_NICE_STEPS_S = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


class FaultWindow(NamedTuple):
    """A fault as drawn, in seconds from the start of the run.

    ``end_s`` equals ``start_s`` for a fault with no known length (a crash
    whose restart time is unknown); ``name`` is what the legend says.
    """

    start_s: float
    end_s: float
    kind: str
    name: str


def _window_s(result: RunResult) -> float:
    """The run's window in seconds (older results without one: to the end of what was recorded)."""
    if result.window_s > 0:
        return float(result.window_s)
    times = [float(t) for t in result.timeline.get("t", [])]
    return max([result.duration_s, *(event.t for event in result.events), *times]) or 1.0


def _fault_dicts(scenario: Scenario | Mapping[str, Any] | None) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The scenario's faults and service block as plain mappings (keys as written: ``at``, ``for``)."""
    if scenario is None:
        return [], {}
    if isinstance(scenario, Mapping):
        return [dict(fault) for fault in scenario.get("faults") or []], dict(scenario.get("service") or {})
    return ([fault.model_dump(mode="json", by_alias=True) for fault in scenario.faults],
            scenario.service.model_dump(mode="json", by_alias=True))


def _fault_name(fault: Mapping[str, Any]) -> str:
    """What the legend says of ``fault``, with the region it hits where it names one."""
    region = fault.get("region")
    kind = str(fault.get("kind", "fault"))
    return _fault_label(fault) + (f" in {region}" if region and kind != "region_outage" else "")


def _fault_label(fault: Mapping[str, Any]) -> str:
    kind = str(fault.get("kind", "fault"))
    version = fault.get("version")
    on = f" on {version}" if version else ""
    if kind == "crash":
        replicas = int(fault.get("replicas") or 1)
        return f"crash of {replicas} {version} replica{'s' if replicas != 1 else ''}"
    if kind == "latency":
        return f"latency x{float(fault['factor']):g}{on}"
    if kind == "error_rate":
        return f"errors +{float(fault['error_rate']):.0%}{on}"
    if kind == "dependency_outage":
        return f"dependency outage ({float(fault.get('error_rate', 1.0)):.0%} errors)"
    if kind == "traffic_spike":
        return f"traffic x{float(fault['factor']):g}"
    if kind == "region_outage":
        return f"region {fault.get('region')} out"
    return kind.replace("_", " ") + on


def fault_windows(result: RunResult, scenario: Scenario | Mapping[str, Any] | None = None) -> list[FaultWindow]:
    """The faults of a run as ``(start_s, end_s, kind, name)``, clipped to the run's window.

    The faults come from ``scenario`` (a :class:`~simulator.scenario.model.Scenario`
    or a mapping as in ``scenario.json``, durations in seconds or with their
    unit): each from ``at`` for ``for`` seconds (to the window's end without ``for``). A crash
    lasts until its replicas restart: the restart time the run logged, else
    ``restart_after``, else the service's ``restart_delay``. Without a
    scenario, only the crashes the run logged are known. Faults starting
    after the window are left out.
    """
    window = _window_s(result)
    crashes: dict[tuple[float, str], float] = {}  # (time, version) -> restart seconds, as the run logged them
    crashed: dict[tuple[float, str], int] = {}  # replicas
    for event in result.events:
        if event.kind == "fault" and event.data.get("fault") == "crash" and event.data.get("restart_after") is not None:
            key = (round(event.t, 6), str(event.data.get("version")))
            crashes[key] = float(event.data["restart_after"])
            crashed[key] = crashed.get(key, 0) + 1
    faults, service = _fault_dicts(scenario)
    if scenario is None:
        faults = [{"kind": "crash", "at": t, "version": version, "replicas": crashed[t, version]}
                  for t, version in crashes]
    windows = []
    for fault in faults:
        start = parse_duration(fault.get("at") or 0.0)
        if start > window:
            continue
        kind = str(fault.get("kind", "fault"))
        if kind == "crash":
            length = crashes.get((round(start, 6), str(fault.get("version"))), fault.get("restart_after"))
            if length is None:
                length = service.get("restart_delay")
            end = start + parse_duration(length or 0.0)
        else:
            length = fault.get("for", fault.get("duration"))
            end = window if length is None else start + parse_duration(length)
        windows.append(FaultWindow(start, min(end, window), kind, _fault_name(fault)))
    return windows


def _tick_label(seconds: float, _position: object = None) -> str:
    """``0``, ``45s``, ``10m``, ``1h30m``, ``2d``: the two largest units of a tick's time."""
    rest = int(round(seconds))
    if rest <= 0:
        return "0"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts[:2])


def _format_time_axis(axis: Axes, window_s: float) -> None:
    step = next((step for step in _NICE_STEPS_S if window_s / step <= 8), _NICE_STEPS_S[-1])
    if window_s >= step:
        axis.xaxis.set_major_locator(MultipleLocator(step))
    axis.xaxis.set_major_formatter(FuncFormatter(_tick_label))
    axis.set_xlim(0.0, window_s)


def _check_verdict(data: Mapping[str, Any]) -> str:
    verdict = data.get("verdict")
    if verdict is None and isinstance(data.get("passed"), bool):
        verdict = "pass" if data["passed"] else "fail"
    return str(verdict) if verdict is not None else "other"


def _draw_run(axes: Sequence[Axes], result: RunResult, scenario: Scenario | Mapping[str, Any] | None,
              title: str | None) -> None:
    top, latency, busy, waiting, replicas, errors, accuracy, checks = axes
    data_axes = (top, latency, busy, waiting, replicas, errors, accuracy)
    window = _window_s(result)
    frame = result.timeline_frame()
    top.set_title(title if title is not None else f"{result.strategy} (seed {result.seed}): {result.outcome}",
                  fontsize=10)
    handles: list[Artist] = []
    if not frame.empty:
        times = np.unique(frame["t"])
        bin_seconds = float(np.diff(times)[0]) if times.size > 1 else 1.0
        for version, rows in frame.groupby("version", sort=False):
            (traffic,) = top.plot(rows["t"], rows["requests"] / bin_seconds, label=str(version), lw=1)
            handles.append(traffic)
            colour = traffic.get_color()
            latency.plot(rows["t"], rows["latency_p99_s"] * 1e3, lw=1, color=colour)
            if "utilisation" in rows:  # results from before load was recorded have no such columns
                busy.plot(rows["t"], rows["utilisation"] * 100.0, lw=1, color=colour, gid="utilisation")
            if "queue_wait_mean_s" in rows:
                waiting.plot(rows["t"], rows["queue_wait_mean_s"] * 1e3, lw=1, color=colour, gid="queue-wait")
            if "ready_replicas" in rows:
                replicas.plot(rows["t"], rows["ready_replicas"], lw=1, color=colour, gid="ready-replicas")
            errors.plot(rows["t"], rows["error_rate"], lw=1, color=colour)
            accuracy.plot(rows["t"], rows["true_accuracy"], lw=1, color=colour)
            accuracy.plot(rows["t"], rows["measured_accuracy"], lw=1, ls=":", color=colour)
    for detection in (result.drift or {}).get("detections", []):
        accuracy.axvline(detection["t"], color="tab:orange", lw=0.8, alpha=0.6, gid="drift-detection")

    for fault in fault_windows(result, scenario):
        colour = FAULT_COLOURS.get(fault.kind, "tab:gray")
        for index, axis in enumerate((*data_axes, checks)):
            label = fault.name if index == 0 else None
            if fault.end_s > fault.start_s:
                artist: Artist = axis.axvspan(fault.start_s, fault.end_s, color=colour, alpha=0.15, lw=0,
                                              label=label, gid="fault")
            else:
                artist = axis.axvline(fault.start_s, color=colour, alpha=0.6, lw=2, label=label, gid="fault")
            if index == 0:
                handles.append(artist)
        top.text(fault.start_s, 0.98, f" {fault.name}", transform=top.get_xaxis_transform(), fontsize=6,
                 rotation=90, va="top", ha="left", color=colour, gid="fault-name", clip_on=True)

    if result.decision_time_s is not None:
        word = result.outcome.replace("_", " ")
        colour = OUTCOME_COLOURS.get(result.outcome, "grey")
        label = f"{word} at {format_duration(result.decision_time_s)}"
        for index, axis in enumerate((*data_axes, checks)):
            line = axis.axvline(result.decision_time_s, color=colour, ls="--", lw=1.2,
                                label=label if index == 0 else None, gid="decision")
            if index == 0:
                handles.append(line)
        top.text(result.decision_time_s, 0.98, f"{word} ", transform=top.get_xaxis_transform(), fontsize=7,
                 rotation=90, va="top", ha="right", color=colour, gid="decision-label")
    for event in result.events:
        # A decision revised later (a promotion rolled back by the watch after it) is marked too.
        if event.kind in OUTCOME_COLOURS and event.t != result.decision_time_s:
            for axis in (*data_axes, checks):
                axis.axvline(event.t, color=OUTCOME_COLOURS[event.kind], ls="--", lw=0.8, alpha=0.6,
                             gid="earlier-decision")
            top.text(event.t, 0.98, f"{event.kind.replace('_', ' ')} ", transform=top.get_xaxis_transform(),
                     fontsize=7, rotation=90, va="top", ha="right", color=OUTCOME_COLOURS[event.kind],
                     gid="decision-label")
    ended = result.duration_s
    if (result.decision_time_s is None or abs(ended - result.decision_time_s) > 1e-9) and 0 < ended < window:
        label = f"rollout ended at {format_duration(ended)}"
        for index, axis in enumerate((*data_axes, checks)):
            line = axis.axvline(ended, color="black", ls=":", lw=1, label=label if index == 0 else None,
                                gid="rollout-end")
            if index == 0:
                handles.append(line)

    by_verdict: dict[str, list[tuple[float, bool]]] = {}
    for event in result.events:
        if event.kind == "check":
            by_verdict.setdefault(_check_verdict(event.data), []).append((event.t, bool(event.data.get("in_step"))))
    for verdict, ticks in by_verdict.items():
        # In-step checks (within a step, before its end) reach half way; the others the full height.
        collection = checks.vlines([t for t, _ in ticks], 0.0, [0.5 if in_step else 1.0 for _, in_step in ticks],
                                   colors=VERDICT_COLOURS.get(verdict, _OTHER_VERDICT), lw=1.2,
                                   label=f"check: {verdict} ({len(ticks)})", gid="check")
        handles.append(collection)
    checks.set_ylim(0.0, 1.05)
    checks.set_yticks([])
    busy.axhline(100.0, color="black", lw=0.6, ls=":", gid="all-slots-busy")
    busy.set_ylim(0.0, 105.0)
    busy.yaxis.set_major_locator(MultipleLocator(25))
    waiting.set_ylim(bottom=0.0)
    replicas.set_ylim(bottom=0.0)

    for axis, label in zip((*data_axes, checks), _PANELS, strict=True):
        axis.set_ylabel(label, fontsize=8)
        axis.grid(alpha=0.3)
        _format_time_axis(axis, window)
    checks.set_xlabel(f"time since start (window {format_duration(window)})", fontsize=8)
    checks.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.9), ncols=2,
                  frameon=False)


def _new_figure(columns: int) -> tuple[Figure, np.ndarray]:
    figure = Figure(figsize=(5.6 * columns + 1.6, 15.0))
    FigureCanvasAgg(figure)  # draws and saves without pyplot: no backend is chosen or changed
    axes = figure.subplots(len(_PANELS), columns, sharex="col", squeeze=False,
                           gridspec_kw={"height_ratios": list(_HEIGHTS)})
    return figure, axes


def timeline_figure(result: RunResult, scenario: Scenario | Mapping[str, Any] | None = None, *,
                    title: str | None = None) -> Figure:
    """One run over its whole window ``[0, window_s]`` as a :class:`matplotlib.figure.Figure`.

    Panels, top to bottom: requests/s, p99 latency (ms), load -- the share
    of each version's slots busy (utilisation, 0-100 %, dotted line at all
    busy) and the mean queue wait (ms) of the requests that started in each
    interval --, ready replicas (time-averaged per interval), error rate and
    accuracy (true solid, label-measured dotted) per version, then the checks strip. A version busier than the other
    with a longer queue wait had its latency raised by load, not only by its
    model. Marked on every panel: the decision (dashed, green
    promoted, red rolled back, at ``decision_time_s``), the rollout's end
    (dotted, at ``duration_s`` when it differs from the decision), and the
    faults of ``scenario`` (a :class:`~simulator.scenario.model.Scenario`
    or its ``model_dump(by_alias=True)``) as shaded windows named in the
    legend and at their start. Each check event is a tick in the strip
    coloured by its verdict (:data:`VERDICT_COLOURS`), half height for an
    in-step check. Drift detections are orange lines on the accuracy panel.
    x is in seconds from the start of the run.

    Nothing goes through pyplot: in a notebook, show it as the cell's value
    (or ``display(figure)``); ``figure.savefig(path)`` writes it.
    """
    return timelines_figure([result], scenario, titles=None if title is None else [title])


def timelines_figure(results: Sequence[RunResult], scenario: Scenario | Mapping[str, Any] | None = None, *,
                     titles: Sequence[str] | None = None,
                     scenarios: Sequence[Scenario | Mapping[str, Any] | None] | None = None) -> Figure:
    """Several runs side by side, one column each as in :func:`timeline_figure` (e.g. one per strategy).

    ``scenarios`` gives each column its own faults instead of ``scenario``'s (a region's, say).
    """
    figure, axes = _new_figure(max(1, len(results)))
    for column, result in enumerate(results):
        _draw_run(list(axes[:, column]), result, scenario if scenarios is None else scenarios[column],
                  None if titles is None else titles[column])
    # Laid out once, here: a layout engine would lay it out again on every draw, at twice the cost of a save.
    figure.tight_layout()
    return figure


def plot_timelines(results: Sequence[RunResult], path: str | Path | None = None,
                   scenario: Scenario | Mapping[str, Any] | None = None) -> Figure:
    """:func:`timelines_figure` of ``results``, saved to ``path`` (PNG, 110 dpi) when given; returned either way."""
    figure = timelines_figure(results, scenario)
    if path is not None:
        figure.savefig(path, dpi=110)
    return figure
