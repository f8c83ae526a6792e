"""Argo Rollouts' canary and blue-green as sans-I/O strategies: plans in the manifest's words, the controller's rules.

* :mod:`~simulator.strategies.argo.plan`: :class:`ArgoCanaryPlan` and its
  steps (:class:`SetWeight`, :class:`Pause`, :class:`SetCanaryScale`,
  :class:`RunAnalysis`), :class:`BackgroundAnalysis` and the operator's
  :class:`Promotion` times;
* :mod:`~simulator.strategies.argo.canary`: :class:`ArgoCanaryStrategy`, the
  state machine (its rules open the module);
* :mod:`~simulator.strategies.argo.blue_green_plan` and
  :mod:`~simulator.strategies.argo.blue_green`: :class:`ArgoBlueGreenPlan`
  and :class:`ArgoBlueGreenStrategy` (the preview, pre- and post-promotion
  analysis, auto-promotion, the switch and the scale-downs);
* :mod:`~simulator.strategies.argo.replicas`: the pod counts of the basic
  canary (``maxSurge``/``maxUnavailable``) and of a traffic-routed one;
* :mod:`~simulator.strategies.argo.traffic`: what a step asks of the pods and
  the router, and one move towards it;
* :mod:`~simulator.strategies.argo.runs`: an AnalysisRun measured through the
  observation's Prometheus reader.
"""

from __future__ import annotations

from simulator.strategies.argo.blue_green import ArgoBlueGreenStrategy
from simulator.strategies.argo.blue_green_plan import ArgoBlueGreenPlan
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
    "ArgoCanaryStrategy", "ArgoCanaryPlan", "ArgoBlueGreenStrategy",
    "ArgoBlueGreenPlan", "SetWeight", "Pause", "SetCanaryScale", "RunAnalysis", "CanaryStep",
    "BackgroundAnalysis", "Promotion", "describe_step", "Pods", "approximate_counts", "basic_canary_counts",
    "weight_to_replicas", "AnalysisRunner",
]
