"""The reports open with the decision table and the recommendation; pairwise tables follow for its criteria only."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from simulator.experiment import ExperimentResult
from simulator.experiment.stats import paired_differences, summarise
from simulator.report import write_experiment_report
from simulator.report.html import experiment_html
from simulator.report.markdown import experiment_markdown
from simulator.report.terminal import print_decision
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS
from tests.report.test_html_report import _browser

SEEDS = range(8)


def rows_of(strategy: str, promoted: bool, exposure: float, seed: int) -> list[dict]:
    spread = np.random.default_rng(seed).standard_normal(len(SEEDS))
    return [{"case": f"{strategy}|{s}|", "strategy": strategy, "kind": strategy, "seed": s, "truth": "bad",
             "error": None, "outcome": "promoted" if promoted else "rolled_back", "promoted": promoted,
             "rolled_back": not promoted, "incomplete": False, "right_decision": not promoted, "false_rollback": False,
             "missed_regression": promoted, "decision_time_s": 300.0 + s, "duration_s": 400.0 + s,
             "candidate_requests": exposure * (1 + 0.01 * spread[i]), "failed_requests": 10 + s,
             "replica_seconds": 2400.0 + s}
            for i, s in enumerate(SEEDS)]


@pytest.fixture
def result() -> ExperimentResult:
    rows = pd.DataFrame(rows_of("canary", False, 6000, 1) + rows_of("<b>immediate</b>", True, 90000, 2)
                        + rows_of("what-if: never", False, 0, 3))
    return ExperimentResult(rows, summarise(rows, ["strategy"]), paired_differences(rows), len(rows),
                            load_scenario(SCENARIOS / "quickstart.yaml"))


def test_markdown_opens_with_the_decision_and_pairs_only_the_criteria(result) -> None:
    text = experiment_markdown("demo", result.summary, result.paired, result.decision())
    decision_at, outcomes_at = text.index("## Decision"), text.index("| strategy | runs |")
    assert decision_at < outcomes_at and text.index("**Recommendation.** canary:") < outcomes_at
    table = text[decision_at:outcomes_at]
    assert "| exposure: requests served by a bad candidate | runs, candidate bad | canary |" in table
    assert "| yes |" in table and "what-if: never 0" in table
    pairs = text[text.index("## Paired differences of the criteria"):]
    assert "failed_requests" not in pairs and "| exposure: requests served by a bad candidate | canary |" in pairs
    assert "what-if" not in pairs  # yardsticks are not compared
    without = experiment_markdown("demo", result.summary, result.paired)
    assert "## Decision" not in without and "| failed_requests |" in without  # the full paired table as before


def test_terminal_prints_the_table_and_the_recommendation(result) -> None:
    console = Console(file=io.StringIO(), width=120, color_system=None)
    print_decision("demo", result.decision(), console)
    printed = console.file.getvalue()
    assert "decision over 8 seeds" in printed and "Recommendation: canary:" in " ".join(printed.split())
    lines = printed.splitlines()
    at = next(index for index, line in enumerate(lines) if line.lstrip().startswith("exposure:"))
    assert re.search(r"exposure:.*\scanary\s+6,0\d\d\s+<b>immediate</b>\s+\d\d,\d\d\d\s.*\syes\s+never 0", lines[at])
    assert re.search(r"\s\[5,\d\d\d, 6,0\d\d\]\s", lines[at + 1])  # each value's interval under it


def test_html_has_the_decision_before_the_outcomes_and_the_first_figure(result) -> None:
    import matplotlib.pyplot as plt

    figure, _ = plt.subplots()
    page = experiment_html("demo", "", result.rows, result.summary, result.paired, [("a figure", figure)],
                           result.decision())
    assert page.index('id="decision-table"') < page.index("<h2>Outcomes</h2>") < page.index("<figure>")
    assert "<b>immediate</b>" not in page and "&lt;b&gt;immediate&lt;/b&gt;" in page
    assert 'id="decision-comparisons"' in page and "failed_requests" not in page


@pytest.mark.slow
@pytest.mark.skipif(_browser() is None, reason="no Chromium on this machine")
def test_chromium_shows_the_decision_table_above_the_first_figure(result, tmp_path) -> None:
    write_experiment_report(result, tmp_path)
    probe = ("<script>const table = document.getElementById('decision-table').getBoundingClientRect();"
             "const figure = document.querySelector('figure img').getBoundingClientRect();"
             "const advice = document.querySelector('.recommendation').getBoundingClientRect();"
             "document.body.setAttribute('data-layout', JSON.stringify({table_top: table.top, "
             "table_bottom: table.bottom, figure_top: figure.top, advice_bottom: advice.bottom, "
             "rows: document.querySelectorAll('#decision-table tr').length}));</script></body>")
    page = tmp_path / "probe.html"
    page.write_text((tmp_path / "report.html").read_text().replace("</body>", probe))
    process = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    found = re.search(r'data-layout="([^"]*)"', process.stdout)
    assert found, process.stdout[:2000]
    layout = json.loads(html.unescape(found.group(1)))
    assert layout["rows"] == 1 + len(result.decision_table())  # heading and one row per criterion
    assert layout["table_bottom"] > layout["table_top"] and layout["advice_bottom"] <= layout["table_top"]
    assert layout["table_bottom"] < layout["figure_top"]
