"""Presenting results: terminal tables, JSON documents, files and plots.

The renderers that need matplotlib are imported on first use (PEP 562), so
printing a table does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.lazy_names import lazy_names
from simulator.report.json_output import runs_document
from simulator.report.terminal import print_runs

if TYPE_CHECKING:
    from simulator.report.experiment_plots import experiment_figures
    from simulator.report.files import write_experiment_report, write_run_results
    from simulator.report.plots import timeline_figure, timelines_figure
    from simulator.report.region_plots import region_timeline_figure

__all__ = ["runs_document", "print_runs", "experiment_figures", "timeline_figure", "timelines_figure",
           "region_timeline_figure", "write_experiment_report", "write_run_results"]

# Public name -> the module that defines it, for the names imported on first use.
_LAZY = {
    "experiment_figures": "simulator.report.experiment_plots",
    "timeline_figure": "simulator.report.plots",
    "timelines_figure": "simulator.report.plots",
    "region_timeline_figure": "simulator.report.region_plots",
    "write_experiment_report": "simulator.report.files",
    "write_run_results": "simulator.report.files",
}


__getattr__, __dir__ = lazy_names("simulator.report", globals(), _LAZY, __all__)
