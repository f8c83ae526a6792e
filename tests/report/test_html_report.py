"""The experiment report: self-contained HTML, escaped names, renders in a browser."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from simulator.experiment import compare, sweep
from simulator.report import write_experiment_report
from simulator.scenario import load_scenario
from tests.helpers import SCENARIOS, scenario_data, until_rollout_end


@pytest.mark.slow
def test_report_is_self_contained_and_escapes_names(tmp_path) -> None:
    data = scenario_data("quickstart.yaml")
    data["name"] = "<script>alert('x')</script>"
    data["strategies"]["<b>bold</b>"] = {"strategy": "Immediate"}
    data["simulation"] = {"until": "rollout_end"}  # the report's escaping, not the window, is under test
    write_experiment_report(compare(data, runs=3, out=tmp_path), tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert html.count("data:image/png;base64,") >= 3
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere


@pytest.mark.slow
def test_sweep_report_has_a_pareto_view(tmp_path) -> None:
    result = sweep(SCENARIOS / "quickstart.yaml", {"strategies.canary.monitoringDuration": ["2m", "5m"]}, runs=3)
    write_experiment_report(result, tmp_path)
    assert "Sweep: rollout duration against exposure to a bad candidate" in (tmp_path / "report.html").read_text()


def _browser() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.slow
@pytest.mark.skipif(_browser() is None, reason="no Chromium on this machine")
def test_report_renders_in_headless_chromium(tmp_path) -> None:
    write_experiment_report(compare(until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml")), runs=3), tmp_path)
    screenshot = tmp_path / "report.png"
    process = subprocess.run(
        [_browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400",
         f"--screenshot={screenshot}", (tmp_path / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert process.returncode == 0, process.stderr[-2000:]
    assert screenshot.exists() and screenshot.read_bytes()[:4] == b"\x89PNG"
    assert "Uncaught" not in process.stderr


def test_experiment_figures_of_a_result() -> None:
    from simulator.report import experiment_figures

    result = compare(until_rollout_end(load_scenario(SCENARIOS / "quickstart.yaml")), runs=2,
                     strategies=["canary", "immediate"])
    titles = [title for title, _ in experiment_figures(result)]
    assert titles[0].startswith("Timeline of seed 42") and "Outcome rates with 95 % Wilson intervals" in titles
    assert [title for title, _ in experiment_figures(result, timelines=False)] == titles[1:]
