"""Presenting a check: terminal table, JUnit XML, Markdown summary, JSON."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from typing import Any

from simulator.check.expectations import Judgement
from simulator.check.run_check import CheckResult

__all__ = ["describe", "junit_xml", "markdown_summary", "json_summary", "print_table"]


def _value(judgement: Judgement) -> str:
    """The measured value and its interval, in the unit the bound was written in (``22m [20.5m, 23.1m]``)."""
    measured = judgement.measured
    if math.isnan(measured):
        return "-"
    show = judgement.expectation.format_value
    interval = ""
    if judgement.low != judgement.high and not math.isnan(judgement.low):
        interval = f" [{show(judgement.low)}, {show(judgement.high)}]"
    return f"{show(measured)}{interval}"


def _notes(judgement: Judgement) -> list[str]:
    """What the verdict alone does not say: the runs that would settle it, why it was judged as it was."""
    notes = [f"about {judgement.runs_to_settle} runs would settle it"] if judgement.runs_to_settle else []
    return notes + ([judgement.message] if judgement.message else [])


def describe(judgement: Judgement) -> str:
    """One line naming scenario, strategy, expectation, measured value and interval, and the verdict."""
    expectation = judgement.expectation
    line = (f"{judgement.scenario} / {expectation.label}: {expectation.key} {expectation.text} — measured "
            f"{_value(judgement)} over {judgement.runs} runs: {judgement.verdict.upper()}")
    return line + "".join(f" ({note})" for note in _notes(judgement))


def print_table(result: CheckResult) -> None:
    """A rich table on a terminal, plain lines otherwise."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    if not console.is_terminal:
        for judgement in result.judgements:
            print(describe(judgement))
    else:
        table = Table(title="rollout-sim check")
        for column in ("scenario", "strategy", "expectation", "measured [interval]", "runs", "verdict", "note"):
            table.add_column(column)
        colours = {"pass": "green", "fail": "red", "inconclusive": "yellow"}
        for j in result.judgements:
            e = j.expectation
            table.add_row(j.scenario, e.label, f"{e.key} {e.text}", _value(j), str(j.runs),
                          f"[{colours[j.verdict]}]{j.verdict}[/]", Text("; ".join(_notes(j))))
        console.print(table)
    for message in result.regressions:
        print(f"REGRESSION {message}")
    passed = sum(j.verdict == "pass" for j in result.judgements)
    failed = sum(j.verdict == "fail" for j in result.judgements)
    print(f"{passed} passed, {failed} failed, {len(result.judgements) - passed - failed} inconclusive"
          + (f", {len(result.regressions)} regressed" if result.regressions else ""))
    borderline = sum(j.point_estimate_only for j in result.judgements)
    if borderline:
        print(f"{borderline} of them judged on a point estimate whose interval crosses the bound: "
              "`confidence: 0.95` in `expect` would call them inconclusive")


def junit_xml(result: CheckResult) -> str:
    """JUnit XML: one test suite per scenario, one test case per expectation."""
    suites = ET.Element("testsuites", name="rollout-sim check")
    by_scenario: dict[str, list[Judgement]] = {}
    for judgement in result.judgements:
        by_scenario.setdefault(judgement.scenario, []).append(judgement)
    for scenario, judgements in by_scenario.items():
        failures = sum(j.verdict == "fail" for j in judgements)
        skipped = sum(j.verdict == "inconclusive" for j in judgements)
        suite = ET.SubElement(suites, "testsuite", name=scenario, tests=str(len(judgements)),
                              failures=str(failures), errors="0", skipped=str(skipped))
        for judgement in judgements:
            expectation = judgement.expectation
            case = ET.SubElement(suite, "testcase", classname=f"{scenario}.{expectation.label}",
                                 name=f"{expectation.key} {expectation.text}")
            if judgement.verdict == "fail":
                ET.SubElement(case, "failure", message=describe(judgement)).text = describe(judgement)
            elif judgement.verdict == "inconclusive":
                ET.SubElement(case, "skipped", message=describe(judgement))
    if result.regressions:
        suite = ET.SubElement(suites, "testsuite", name="baseline", tests=str(len(result.regressions)),
                              failures=str(len(result.regressions)), errors="0", skipped="0")
        for message in result.regressions:
            case = ET.SubElement(suite, "testcase", classname="baseline", name=message.split(":")[0])
            ET.SubElement(case, "failure", message=message).text = message
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


def markdown_summary(result: CheckResult) -> str:
    """A Markdown table for a CI job summary."""
    icons = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}
    lines = ["## rollout-sim check", "",
             "| scenario | strategy | expectation | measured [interval] | runs | verdict | note |",
             "|---|---|---|---|---|---|---|"]
    for j in result.judgements:
        e = j.expectation
        note = "; ".join(_notes(j)).replace("|", "\\|")
        lines.append(f"| {j.scenario} | {e.label} | `{e.key} {e.text}` | {_value(j)} | {j.runs} | "
                     f"{icons[j.verdict]} | {note} |")
    for message in result.regressions:
        lines.append(f"\n❌ regression: {message}")
    for warning in result.warnings:
        lines.append(f"\n⚠️ warning: {warning}")
    return "\n".join(lines) + "\n"


def json_summary(result: CheckResult) -> dict[str, Any]:
    """JSON-ready summary."""
    return {
        "passed": result.passed,
        "expectations": [
            {"scenario": j.scenario, "strategy": j.expectation.label, "expectation": j.expectation.key,
             "condition": j.expectation.text, "measured": j.measured, "low": j.low, "high": j.high,
             "runs": j.runs, "verdict": j.verdict, "runs_to_settle": j.runs_to_settle, "message": j.message}
            for j in result.judgements
        ],
        "regressions": result.regressions,
        "warnings": result.warnings,
    }
