"""What ``compare`` and ``sweep`` print: rich tables that fit a 120-column log, not Markdown."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from rich.console import Console

from simulator.experiment import ExperimentResult
from simulator.experiment.stats import paired_differences, summarise
from simulator.report.terminal import print_experiment, short_paths
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS
from tests.report.test_decision_report import rows_of

LIMIT = "strategies.canary.rollbackThresholds.latencyIncrease"
WINDOW = "strategies.canary.monitoringDuration"


def printed(result: ExperimentResult) -> str:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    print_experiment("demo", result.summary, result.paired, result.decision(), console)
    return console.file.getvalue()


def compared() -> ExperimentResult:
    rows = pd.DataFrame(rows_of("canary", False, 6000, 1) + rows_of("<b>immediate</b>", True, 90000, 2)
                        + rows_of("what-if: never", False, 0, 3))
    return ExperimentResult(rows, summarise(rows, ["strategy"]), paired_differences(rows), len(rows),
                            load_scenario(SCENARIOS / "quickstart.yaml"))


def swept() -> ExperimentResult:
    """Four points of two parameters of a canary, the looser limit promoting the bad candidate."""
    rows = []
    for limit in (1.5, 2.5):
        for window in ("2m", "5m"):
            point = rows_of("canary", limit > 2, 90000 if limit > 2 else 2400, int(limit * 10))
            rows += [{**row, "case": f"{row['case']}{limit}|{window}", f"param:{LIMIT}": limit,
                      f"param:{WINDOW}": window} for row in point]
    frame = pd.DataFrame(rows)
    return ExperimentResult(frame, summarise(frame, ["strategy", f"param:{LIMIT}", f"param:{WINDOW}"]),
                            pd.DataFrame(), len(frame), load_scenario(SCENARIOS / "quickstart.yaml"))


def test_compare_prints_the_decision_summary_and_pairs_as_tables() -> None:
    text = printed(compared())
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert not [line for line in lines if line.lstrip().startswith("|")]  # no Markdown table
    assert re.search(r"^canary +8 +0% +100% +100% +30\d ", text, re.MULTILINE)  # value over its interval
    assert re.search(r"^ +\[0%, 32%\] +\[68%, 100%\] ", text, re.MULTILINE)
    assert "Recommendation: canary:" in text and "<b>immediate</b>" in text
    assert text.index("decision over 8 seeds") < text.index("Outcome rates") < text.index("Paired differences")
    assert "what-if: never" in text  # a name in the summary is never folded mid-word
    # The criteria's pairs: each criterion named once over its rows.
    pairs = text[text.index("Paired differences"):]
    assert pairs.count("exposure: requests") == 1 and "failed_requests" not in pairs


def test_a_sweep_names_its_parameters_by_their_last_key() -> None:
    text = printed(swept())
    assert max(map(len, text.splitlines())) <= 120
    assert text.startswith(f"Swept: latencyIncrease = {LIMIT}\nSwept: monitoringDuration = {WINDOW}\n")
    assert text.count(f"{LIMIT}") == 1  # only where the short names are explained
    assert "latencyIncrease=1.5" in text and "monitoringDuration=2m" in text
    best = next(line for line in text.splitlines() if line.startswith("exposure: requests"))
    assert re.match(r"exposure: requests +canary +2,[34]\d\d ", best)
    # Long headings take two lines (at a camelCase boundary too) rather than squeeze the values into folds.
    assert re.search(r"^ +latency +monitoring +.*\n^strategy +Increase +Duration +runs ", text, re.MULTILINE)
    assert re.search(r"^ +\[68%, 100%\] +\[0%, 32%\] +\[0%, 32%\] +\[\d\d\d, \d\d\d\] +\[8\d,\d\d\d, 9\d,\d\d\d\] ",
                     text, re.MULTILINE)
    pairs = text[text.index("Paired differences"):]
    assert pairs.count("exposure: requests") == 1  # named once over its six pairs


@pytest.mark.parametrize(("paths", "short"), [
    ([LIMIT, WINDOW], ["latencyIncrease", "monitoringDuration"]),
    (["strategies.canary.monitoringDuration", "strategies.blue_green.monitoringDuration"],
     ["canary.monitoringDuration", "blue_green.monitoringDuration"]),
    (["seed"], ["seed"]),
])
def test_short_paths_are_as_short_as_tells_them_apart(paths: list[str], short: list[str]) -> None:
    assert list(short_paths(paths).values()) == short


def test_the_terminal_columns_are_cells_the_reports_make() -> None:
    from simulator.report import terminal
    from simulator.report.decision import COMPARISON_HEADER, DECISION_HEADER

    assert max(terminal._DECISION_COLUMNS) < len(DECISION_HEADER)
    assert max(terminal._COMPARISON_COLUMNS) < len(COMPARISON_HEADER)
    assert terminal._DECISION_YARDSTICKS in terminal._DECISION_COLUMNS
