"""What ``rollout-sim run`` prints on a terminal (one row per strategy, then why), and what ``compare`` and ``sweep``
print: the decision, the summary per strategy or sweep point, and the paired differences.

Rich tables on a terminal; piped or logged, the same tables 120 columns wide without colour. The cells of
``compare`` and ``sweep`` (pandas) are imported where those tables are printed, so ``run`` does not pay for pandas.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from simulator.result import RunResult
from simulator.units import format_duration

if TYPE_CHECKING:
    import pandas as pd

    from simulator.experiment.decision_table import Decision

__all__ = ["print_runs", "print_decision", "print_experiment", "short_paths"]


def _console(console: Console | None) -> Console:
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)  # logs and pipes: do not squeeze into 80 columns
    return console


# Cells of decision_cells shown on a terminal (index -> heading): the paired difference and which runs were scored
# are left to the reports, and the yardsticks lose their "what-if:", to fit 120 columns.
_DECISION_COLUMNS = {0: "criterion", 2: "best", 3: "value [95 %]", 4: "runner-up", 5: "value [95 %]",
                     7: "p (Holm)", 8: "beats it?", 9: "what-if"}
_DECISION_LABELS = (2, 4)
_DECISION_YARDSTICKS = 9

# Cells of comparison_cells shown on a terminal: the seeds (the summary's runs), the unadjusted p and where each
# comparison came from are left to the reports.
_COMPARISON_COLUMNS = [0, 1, 2, 4, 5, 7, 8]
_COMPARISON_LABELS = (1, 2)

_WITH_INTERVAL = re.compile(r"(\S+) (\[[^\]]*\])")
_SWEEP_POINT = re.compile(r"(.+?) \((.+=.+)\)")


def short_paths(paths: Sequence[str]) -> dict[str, str]:
    """Each swept key path by its last keys, as few as tell it from the others (``latencyIncrease``)."""
    for keys in range(1, max((path.count(".") + 1 for path in paths), default=1) + 1):
        short = {path: ".".join(path.split(".")[-keys:]) for path in paths}
        if len(set(short.values())) == len(short):
            return short
    return {path: path for path in paths}


def _shortened(text: str, short: Mapping[str, str]) -> str:
    for path in sorted(short, key=len, reverse=True):
        text = text.replace(f"{path}=", f"{short[path]}=")
    return text


def _label(cell: str, short: Mapping[str, str]) -> str:
    """A strategy label; a sweep point's (``canary (path=value, ...)``) as the strategy over one line per value."""
    cell = _shortened(cell, short)
    point = _SWEEP_POINT.fullmatch(cell)
    return f"{point[1]}\n" + point[2].replace(", ", "\n") if point else cell


def _stacked(cell: str) -> str:
    """``value [low, high]`` as two lines, the interval under the value."""
    return _WITH_INTERVAL.sub(r"\1\n\2", cell) if _WITH_INTERVAL.fullmatch(cell) else cell


def _numeric(cell: str) -> bool:
    """A number, an interval or a missing value (``-``): right-justified."""
    return cell == "-" or re.match(r"[-+\[]?\d", cell) is not None


def _two_lines(heading: str) -> str:
    """``heading`` broken in two at its middlemost space (dropped) or camelCase or dotted boundary (kept)."""
    breaks = [(match.start(), match.end()) for match in re.finditer(r" |(?<=[a-z])(?=[A-Z])|(?<=\.)", heading)]
    if not breaks:
        return heading
    start, end = min(breaks, key=lambda span: abs(span[0] + span[1] - len(heading)))
    return heading[:start] + "\n" + heading[end:]


def _print_table(console: Console, title: str, header: list[str], rows: list[list[str]], *,
                 wrap: Mapping[int, int] | None = None, grouped: bool = False) -> None:
    """``title``, then a table of ``rows`` that fits the console's width where it can.

    Rich narrows the widest columns first and folds their cells mid-word;
    so, to leave it nothing to narrow, values with an interval take two
    lines, the text of column ``i`` is wrapped at ``wrap[i]`` characters
    (between words), and while the table is too wide, the heading that
    overhangs its cells the most takes two lines. Columns of numbers are
    right-justified. With ``grouped``, the first cell is shown once per run
    of equal first cells.
    """
    wrap = wrap or {}
    shown = [[textwrap.fill(cell, wrap[index], break_long_words=False, break_on_hyphens=False)
              if index in wrap else _stacked(cell) for index, cell in enumerate(cells)] for cells in rows]
    widest = [max((len(line) for cells in shown for line in cells[index].splitlines()), default=0)
              for index in range(len(header))]
    headings = list(header)
    gap = 2  # between two columns
    while sum(max(width, *map(len, heading.splitlines())) for width, heading in zip(widest, headings, strict=True)) \
            + gap * (len(headings) - 1) > console.width:
        overhang = [len(heading) - width if "\n" not in heading and "\n" in _two_lines(heading) else 0
                    for width, heading in zip(widest, headings, strict=True)]
        if max(overhang) <= 0:
            break
        index = overhang.index(max(overhang))
        headings[index] = _two_lines(headings[index])
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, collapse_padding=True)
    for index, heading in enumerate(headings):
        numeric = bool(rows) and all(_numeric(cells[index]) for cells in rows)
        table.add_column(escape(heading), justify="right" if numeric else "left", overflow="fold")
    for index, cells in enumerate(shown):
        first = rows[index][0]
        repeated = grouped and index > 0 and rows[index - 1][0] == first
        last = grouped and (index + 1 == len(rows) or rows[index + 1][0] != first)
        table.add_row(*(escape(cell) for cell in ["" if repeated else cells[0], *cells[1:]]), end_section=last)
    console.print(f"[bold]{escape(title)}[/]", highlight=False)
    console.print(table)
    console.print()


def print_decision(scenario_name: str, decision: Decision, console: Console | None = None, *,
                   paths: Sequence[str] = ()) -> None:
    """Print the decision table (one row per criterion, lower is better) and the recommendation.

    What ``rollout-sim compare`` prints first, before the summary tables.
    Each of ``paths`` (a sweep's parameters) is shown by its last keys
    (:func:`short_paths`).
    """
    from simulator.experiment.decision_table import YARDSTICK_PREFIX
    from simulator.report.decision import decision_cells

    console = _console(console)
    short = short_paths(paths)
    if decision.truth:
        console.print(f"Outcomes are scored against the {escape(decision.truth)}.", highlight=False)
    for warning in decision.truth_warnings:
        console.print(f"[bold]Warning[/]: {escape(warning)}.", highlight=False)
    if not decision.table.empty:
        header = list(_DECISION_COLUMNS.values())
        rows = []
        for cells in decision_cells(decision.table):
            for index in _DECISION_LABELS:
                cells[index] = _label(cells[index], short)
            yardsticks = cells[_DECISION_YARDSTICKS]
            cells[_DECISION_YARDSTICKS] = yardsticks.replace(f"{YARDSTICK_PREFIX} ", "").replace("; ", "\n")
            rows.append([cells[index] for index in _DECISION_COLUMNS])
        if all(row[-1] == "-" for row in rows):  # no yardsticks (a sweep)
            header, rows = header[:-1], [row[:-1] for row in rows]
        _print_table(console, f"{scenario_name}: decision over {decision.seeds} seeds (lower is better; "
                              "beats = paired, significant after Holm)", header, rows,
                     wrap={0: 18, header.index("beats it?"): 15})
    console.print(f"[bold]Recommendation[/]: {escape(_shortened(decision.recommendation, short))}", highlight=False)


def print_experiment(scenario_name: str, summary: pd.DataFrame, paired: pd.DataFrame,
                     decision: Decision | None = None, console: Console | None = None) -> None:
    """Print what ``compare`` and ``sweep`` found: the tables of ``report.md``, as rich tables.

    With ``decision``: the decision table and the recommendation
    (:func:`print_decision`), the summary (outcome rates and means with 95 %
    intervals per strategy or sweep point), then the paired differences the
    criteria rest on; without it, every paired difference. A sweep's
    parameters are shown by their last keys, named once at the top.
    """
    from simulator.report.decision import COMPARISON_HEADER, comparison_cells
    from simulator.report.region_cells import REGIONS_NOTE, region_cells, region_header
    from simulator.report.summary_cells import PAIRED_HEADER, SUMMARY_NOTE, paired_cells, summary_cells, summary_header

    console = _console(console)
    paths = [column.removeprefix("param:") for column in summary.columns if column.startswith("param:")]
    short = short_paths(paths)
    if decision is None or decision.table.empty:
        console.print(f"[bold]{escape(scenario_name)}[/]", highlight=False)  # else the decision table's title says it
    for path in paths:
        console.print(f"Swept: {escape(short[path])} = {escape(path)}", highlight=False)
    if decision is not None:
        print_decision(scenario_name, decision, console, paths=paths)
        console.print()
    header = [short.get(column, column) for column in summary_header(summary)]
    _print_table(console, SUMMARY_NOTE, header, summary_cells(summary))
    regional = region_cells(summary)
    if regional:
        header = [short.get(column, column) for column in region_header(summary)]
        _print_table(console, REGIONS_NOTE, header, regional, grouped=True)
    if decision is not None:
        if not decision.comparisons.empty:
            rows = []
            for cells in comparison_cells(decision):
                for index in _COMPARISON_LABELS:
                    cells[index] = _label(cells[index], short)
                rows.append([cells[index] for index in _COMPARISON_COLUMNS])
            header = [COMPARISON_HEADER[index] for index in _COMPARISON_COLUMNS]
            _print_table(console, "Paired differences of the criteria (A - B, same seeds)", header, rows,
                         wrap={0: 18, header.index("95 % interval"): 18}, grouped=True)
    elif not paired.empty:
        _print_table(console, "Paired differences (A - B, same seeds)", PAIRED_HEADER, paired_cells(paired))


_OUTCOME_STYLE = {"promoted": "green", "rolled_back": "yellow", "incomplete": "red"}


def _share(value: object) -> str:
    """A share 0-1 as a percentage with one decimal, ``-`` where there is none."""
    return f"{float(value) * 100:.1f} %" if isinstance(value, (int, float)) else "-"


def _regions_table(results: list[RunResult]) -> Table:
    """The runs with regions, one row per region and one for all of them: counts and blast radius."""
    table = Table(title="By region; blast radius: the users and requests that met the candidate before the decision",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("strategy", "region", "requests", "failed", "candidate", "cand. failed", "users met",
                   "requests met"):
        table.add_column(column, justify="left" if column in ("strategy", "region") else "right")
    for result in results:
        if not result.regions:
            continue
        for index, (name, region) in enumerate(result.regions.items()):
            blast = region.get("blast_radius") or {}
            table.add_row(result.strategy if index == 0 else "", name, f"{region['requests']:,}",
                          f"{region['failed_requests']:,}", f"{region['candidate_requests']:,}",
                          f"{region['candidate_failed_requests']:,}", _share(blast.get("users")),
                          _share(blast.get("requests")))
        blast = result.blast_radius or {}
        table.add_row("", "all", f"{result.requests:,}", f"{result.failed_requests:,}",
                      f"{result.candidate_requests:,}", f"{result.candidate_failed_requests:,}",
                      _share(blast.get("users")), _share(blast.get("requests")), end_section=True)
    return table


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
    if any(result.regions for result in results):
        console.print(_regions_table(results))
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
