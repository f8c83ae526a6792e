"""What ``rollout-sim run`` prints on a terminal (one row per strategy, then why), and an experiment's decision."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.experiment.decision_table import Decision
from simulator.report.decision import DECISION_HEADER, decision_cells
from simulator.result import RunResult
from simulator.units import format_duration

__all__ = ["print_runs", "print_decision"]


def _console(console: Console | None) -> Console:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)  # logs and pipes: do not squeeze into 80 columns
    return console


# Cells of decision_cells shown on a terminal (index -> heading, justification): the paired difference and
# which runs were scored are left to the reports, to fit 120 columns.
_DECISION_COLUMNS = {0: ("criterion", "left"), 2: ("best", "left"), 3: ("value [95 %]", "right"),
                     4: ("runner-up", "left"), 5: ("value [95 %]", "right"), 7: ("p (Holm)", "right"),
                     8: ("beats it?", "left"), 9: ("yardsticks", "left")}
assert all(index < len(DECISION_HEADER) for index in _DECISION_COLUMNS)


def print_decision(scenario_name: str, decision: Decision, console: Console | None = None) -> None:
    """Print the decision table (one row per criterion, lower is better) and the recommendation.

    What ``rollout-sim compare`` prints first, before the summary tables.
    """
    console = _console(console)
    if not decision.table.empty:
        table = Table(title=f"{scenario_name}: decision over {decision.seeds} seeds (lower is better; "
                            "beats = paired, significant after Holm)", title_justify="left", box=box.SIMPLE_HEAD,
                      pad_edge=False)
        for column, justify in _DECISION_COLUMNS.values():
            table.add_column(column, justify=justify, overflow="fold",  # type: ignore[arg-type]
                             min_width=22 if column == "criterion" else None)
        for cells in decision_cells(decision.table):
            table.add_row(*(escape(cells[index]) for index in _DECISION_COLUMNS))
        console.print(table)
    console.print(f"[bold]Recommendation[/]: {escape(decision.recommendation)}", highlight=False)

_OUTCOME_STYLE = {"promoted": "green", "rolled_back": "yellow", "incomplete": "red"}


def print_runs(scenario_name: str, results: list[RunResult], console: Console | None = None) -> None:
    """Print a table of ``results`` and each run's decision reason."""
    console = _console(console)
    seeds = sorted({result.seed for result in results})
    table = Table(title=f"{scenario_name} (seed {', '.join(map(str, seeds))})", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for column, justify in [
        ("strategy", "left"), ("outcome", "left"), ("decided", "right"), ("took", "right"),
        ("requests", "right"), ("failed", "right"), ("candidate", "right"), ("cand. failed", "right"),
    ]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for result in results:
        style = _OUTCOME_STYLE.get(result.outcome, "")
        name = result.strategy if result.strategy == result.kind else f"{result.strategy} ({result.kind})"
        table.add_row(
            name,
            f"[{style}]{result.outcome}[/]" if style else result.outcome,
            format_duration(result.decision_time_s) if result.decision_time_s is not None else "-",
            format_duration(result.duration_s),
            f"{result.requests:,}",
            f"{result.failed_requests:,}",
            f"{result.candidate_requests:,}",
            f"{result.candidate_failed_requests:,}",
        )
    console.print(table)
    for result in results:
        console.print(f"[bold]{result.strategy}[/]: {result.outcome} - {result.reason}", highlight=False)
        if result.drift and result.drift["detections"]:
            drift = result.drift
            first = next((d for d in drift["detections"] if d["t"] == drift["first_detection_s"]),
                         drift["detections"][0])
            delay = drift["detection_delay_s"]
            after = f" ({format_duration(delay)} after the drift began)" if delay is not None else ""
            alarms = f"; {drift['false_alarms']} alarm(s) before it began" if drift["false_alarms"] else ""
            console.print(f"  drift detected at {format_duration(first['t'])}{after}{alarms}: {first['detail']}",
                          highlight=False)
