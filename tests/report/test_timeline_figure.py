"""The timeline figure of a run: the whole window, the decision, every check by verdict, the faults.

Read back from the Figure's artists (no pixels): marks carry a ``gid``
(``decision``, ``rollout-end``, ``check``, ``fault``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable

import pytest
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from simulator.report import files as files_module
from simulator.report import timeline_figure, write_run_results
from simulator.report.plots import OUTCOME_COLOURS, VERDICT_COLOURS, fault_windows, timelines_figure
from simulator.scenario import load_scenario
from simulator.scenario.written_dump import written_dump
from tests.helpers import SCENARIOS
from tests.report.synthetic_runs import (
    CHECKS,
    CRASH_AT_S,
    CRASH_RESTART_S,
    DECISION_S,
    LOAD,
    ROLLOUT_END_S,
    SCENARIO_DATA,
    WINDOW_S,
    synthetic_run,
)

PANELS = 8  # requests/s, p99 latency, busy share, queue wait, ready replicas, error rate, accuracy, checks
BUSY, WAIT = 2, 3  # the load panels


def marks(axis, gid: str) -> list[Artist]:
    return [artist for artist in axis.get_children() if artist.get_gid() == gid]


def legend_texts(figure: Figure) -> list[str]:
    return [text.get_text() for axis in figure.axes if axis.get_legend() for text in axis.get_legend().get_texts()]


def x_extent(patch: Patch) -> tuple[float, float]:
    xs = patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]
    return float(xs.min()), float(xs.max())


def line_x(line: Line2D) -> set[float]:
    return {float(x) for x in line.get_xdata()}


def fault_spans(axis) -> set[tuple[float, float]]:
    return {x_extent(artist) if isinstance(artist, Patch) else (min(line_x(artist)),) * 2
            for artist in marks(axis, "fault")}


def test_every_panel_spans_the_window_after_the_decision_too() -> None:
    result = synthetic_run()
    figure = timeline_figure(result)
    assert len(figure.axes) == PANELS
    for axis in figure.axes:
        assert axis.get_xlim() == (0.0, WINDOW_S)
    traffic = [line for line in figure.axes[0].get_lines() if line.get_gid() is None]
    assert {line.get_label() for line in traffic} == {"v1", "v2"}
    assert all(max(line.get_xdata()) >= WINDOW_S - 60 > DECISION_S for line in traffic)


def test_a_shorter_window_is_shown_whole_too() -> None:
    figure = timeline_figure(synthetic_run(window_s=1800.0))
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, 1800.0)}


def test_the_decision_is_a_labelled_line_on_every_panel() -> None:
    figure = timeline_figure(synthetic_run(outcome="rolled_back"))
    for axis in figure.axes:
        (line,) = marks(axis, "decision")
        assert line_x(line) == {DECISION_S}
        assert to_rgba(line.get_color()) == to_rgba(OUTCOME_COLOURS["rolled_back"])
        (end,) = marks(axis, "rollout-end")
        assert line_x(end) == {ROLLOUT_END_S}
    assert "rolled back at 21m 00s" in legend_texts(figure)
    assert [text.get_text().strip() for text in marks(figure.axes[0], "decision-label")] == ["rolled back"]


def test_a_promotion_that_ends_the_rollout_at_once_has_no_second_line() -> None:
    figure = timeline_figure(synthetic_run(outcome="promoted", rollout_end_s=DECISION_S))
    for axis in figure.axes:
        (line,) = marks(axis, "decision")
        assert line_x(line) == {DECISION_S}
        assert to_rgba(line.get_color()) == to_rgba(OUTCOME_COLOURS["promoted"])
        assert marks(axis, "rollout-end") == []
    assert "promoted at 21m 00s" in legend_texts(figure)


def test_no_decision_no_decision_line() -> None:
    figure = timeline_figure(synthetic_run(outcome="incomplete", decision_s=None, rollout_end_s=WINDOW_S))
    assert all(marks(axis, "decision") == [] and marks(axis, "rollout-end") == [] for axis in figure.axes)


def _ticks(collections: Iterable[Artist]) -> list[tuple[float, float, tuple[float, ...]]]:
    ticks = []
    for collection in collections:
        assert isinstance(collection, LineCollection)
        colours = collection.get_colors()
        for index, segment in enumerate(collection.get_segments()):
            (x0, y0), (x1, y1) = segment
            assert x0 == x1 and y0 == 0.0
            ticks.append((float(x0), float(y1), tuple(colours[index % len(colours)])))
    return sorted(ticks)


def test_one_tick_per_check_coloured_by_its_verdict() -> None:
    result = synthetic_run()
    checks_axis = timeline_figure(result).axes[-1]
    expected = []
    for t, data in CHECKS:
        verdict = data.get("verdict") or ("pass" if data["passed"] else "fail")
        expected.append((t, 0.5 if data.get("in_step") else 1.0, tuple(to_rgba(VERDICT_COLOURS[verdict]))))
    assert _ticks(marks(checks_axis, "check")) == sorted(expected)
    assert len({colour for _, _, colour in expected}) == 4  # pass, inconclusive, marginal, fail all differ


def test_fault_windows_are_shaded_on_every_panel_and_named() -> None:
    figure = timeline_figure(synthetic_run(), SCENARIO_DATA)
    latency = (600.0, 900.0)
    crash = (CRASH_AT_S, CRASH_AT_S + CRASH_RESTART_S)  # the restart the run logged, not the service default
    errors = (3000.0, WINDOW_S)  # no "for": to the end of the window
    for axis in figure.axes:
        assert fault_spans(axis) == {latency, crash, errors}  # the metrics outage at 4000 s is after the window
    names = legend_texts(figure)
    assert {"latency x3 on v2", "crash of 1 v1 replica", "errors +10% on v2"} <= set(names)
    assert not any("metrics" in name for name in names)
    assert {text.get_text().strip() for text in marks(figure.axes[0], "fault-name")} == {
        "latency x3 on v2", "crash of 1 v1 replica", "errors +10% on v2"}


def test_without_a_scenario_only_the_logged_crash_is_shaded() -> None:
    figure = timeline_figure(synthetic_run())
    assert fault_spans(figure.axes[0]) == {(CRASH_AT_S, CRASH_AT_S + CRASH_RESTART_S)}


def test_a_scenario_and_its_scenario_json_give_the_same_faults() -> None:
    scenario = load_scenario(SCENARIOS / "failures.yaml")
    result = synthetic_run()
    windows = fault_windows(result, scenario)
    assert windows == fault_windows(result, written_dump(scenario, mode="json"))
    assert [(w.start_s, w.end_s, w.kind) for w in windows if w.kind != "crash"] == [
        (1200.0, 1320.0, "dependency_outage"), (1920.0, 2160.0, "metrics_outage"), (2400.0, 3000.0, "latency")]


def test_the_figure_is_made_without_pyplot() -> None:
    figure = timeline_figure(synthetic_run(), SCENARIO_DATA)
    assert isinstance(figure, Figure) and figure.canvas.manager is None  # pyplot's figures have a manager
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=40)
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_runs_side_by_side_each_span_the_window() -> None:
    results = [synthetic_run(outcome="promoted"), synthetic_run(outcome="rolled_back")]
    figure = timelines_figure(results, SCENARIO_DATA)
    assert len(figure.axes) == PANELS * len(results)
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, WINDOW_S)}
    colours = {to_rgba(line.get_color()) for axis in figure.axes for line in marks(axis, "decision")}
    assert colours == {to_rgba(OUTCOME_COLOURS["promoted"]), to_rgba(OUTCOME_COLOURS["rolled_back"])}


def test_run_out_draws_the_timeline_with_the_scenario_faults(tmp_path, monkeypatch) -> None:
    drawn: list[Figure] = []
    draw = files_module.plot_timelines

    def spy(*args, **kwargs) -> Figure:
        drawn.append(draw(*args, **kwargs))
        return drawn[-1]

    monkeypatch.setattr(files_module, "plot_timelines", spy)
    written = write_run_results(tmp_path / "run", "synthetic", [synthetic_run()], SCENARIO_DATA)
    assert tmp_path / "run" / "timeline.png" in written
    (figure,) = drawn
    assert (600.0, 900.0) in fault_spans(figure.axes[0])
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, WINDOW_S)}


@pytest.mark.slow
def test_a_simulated_run_has_a_tick_for_each_of_its_checks() -> None:
    from simulator.driver import run

    scenario = load_scenario(SCENARIOS / "failures.yaml")
    result = run(scenario, "canary", seed=42)
    figure = timeline_figure(result, scenario)
    checks = [event for event in result.events if event.kind == "check"]
    assert checks and len(_ticks(marks(figure.axes[-1], "check"))) == len(checks)
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, result.window_s)}
    assert result.decision_time_s is not None and result.decision_time_s < result.window_s
    assert len(fault_spans(figure.axes[0])) == len(scenario.faults)


@pytest.mark.slow
def test_the_experiment_report_opens_its_figures_with_the_timeline_over_the_window(tmp_path) -> None:
    from simulator.experiment import compare
    from simulator.report import experiment_figures, write_experiment_report

    scenario = load_scenario(SCENARIOS / "failures.yaml")
    result = compare(scenario, runs=1, strategies=["canary"], yardsticks=False)
    title, figure = experiment_figures(result)[0]
    assert title.startswith("Timeline of seed")
    (run,) = result.representative
    assert {axis.get_xlim() for axis in figure.axes} == {(0.0, run.window_s)} and run.window_s == scenario.window
    shaded = {(w.start_s, w.end_s) for w in fault_windows(run, scenario)}
    assert len(shaded) == len(scenario.faults) and fault_spans(figure.axes[0]) == shaded
    write_experiment_report(result, tmp_path)
    assert (tmp_path / "report.md").read_text().rstrip().endswith(f"![{title}](figure-1.svg)")
    assert (tmp_path / "figure-1.svg").exists()
    html = (tmp_path / "report.html").read_text()
    assert html.index(f'<img alt="{title}"') == html.index("<img ")  # the first figure


def test_load_panels_show_each_versions_busy_share_in_percent_and_its_queue_wait_in_ms() -> None:
    figure = timeline_figure(synthetic_run())
    busy, wait = figure.axes[BUSY], figure.axes[WAIT]
    assert busy.get_ylabel() == "busy (% of slots)" and wait.get_ylabel() == "queue wait (ms)"
    assert busy.get_ylim() == (0.0, 105.0)
    traffic = {line.get_label(): line.get_color() for line in figure.axes[0].get_lines() if line.get_gid() is None}
    for axis, gid, column, scale in ((busy, "utilisation", 0, 100.0), (wait, "queue-wait", 1, 1e3)):
        lines = marks(axis, gid)
        assert len(lines) == 2
        shown = sorted((round(float(line.get_ydata()[0]), 9), line.get_color()) for line in lines)
        assert shown == sorted((round(LOAD[version][column] * scale, 9), traffic[version]) for version in LOAD)
    (full,) = marks(busy, "all-slots-busy")
    assert set(full.get_ydata()) == {100.0}


def test_results_without_load_columns_still_draw_every_panel() -> None:
    figure = timeline_figure(synthetic_run(load=False))
    assert len(figure.axes) == PANELS
    assert marks(figure.axes[BUSY], "utilisation") == [] and marks(figure.axes[WAIT], "queue-wait") == []
    (line,) = marks(figure.axes[BUSY], "decision")
    assert line_x(line) == {DECISION_S}
