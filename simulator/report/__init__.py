"""Presenting results: terminal tables, JSON documents, files and plots."""

from simulator.report.json_output import runs_document
from simulator.report.terminal import print_runs

__all__ = ["runs_document", "print_runs"]
