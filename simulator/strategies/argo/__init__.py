"""Argo Rollouts' canary as a sans-I/O strategy: a plan in the manifest's words, and the controller's rules.

* :mod:`~simulator.strategies.argo.plan`: :class:`ArgoCanaryPlan` and its
  steps (:class:`SetWeight`, :class:`Pause`, :class:`SetCanaryScale`,
  :class:`RunAnalysis`), :class:`BackgroundAnalysis` and the operator's
  :class:`Promotion` times;
* :mod:`~simulator.strategies.argo.canary`: :class:`ArgoCanaryStrategy`, the
  state machine (its rules open the module);
* :mod:`~simulator.strategies.argo.replicas`: the pod counts of the basic
  canary (``maxSurge``/``maxUnavailable``) and of a traffic-routed one;
* :mod:`~simulator.strategies.argo.traffic`: what a step asks of the pods and
  the router, and one move towards it;
* :mod:`~simulator.strategies.argo.runs`: an AnalysisRun measured through the
  observation's Prometheus reader.
"""

from __future__ import annotations

from simulator.strategies.argo.canary import ArgoCanaryStrategy
from simulator.strategies.argo.plan import (
    ArgoCanaryPlan,
    BackgroundAnalysis,
    CanaryStep,
    Pause,
    Promotion,
    RunAnalysis,
    SetCanaryScale,
    SetWeight,
    describe_step,
)
from simulator.strategies.argo.replicas import Pods, approximate_counts, basic_canary_counts, weight_to_replicas
from simulator.strategies.argo.runs import AnalysisRunner

__all__ = [
    "ArgoCanaryStrategy", "ArgoCanaryPlan", "SetWeight", "Pause", "SetCanaryScale", "RunAnalysis", "CanaryStep",
    "BackgroundAnalysis", "Promotion", "describe_step", "Pods", "approximate_counts", "basic_canary_counts",
    "weight_to_replicas", "AnalysisRunner",
]
