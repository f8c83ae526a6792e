"""Flagger's canary as a sans-I/O strategy: a plan in the manifest's words, and the scheduler's rules.

* :mod:`~simulator.strategies.flagger.plan`: :class:`FlaggerPlan`, its
  :class:`MetricCheck` and :class:`Webhook` entries, and :func:`judge`
  (a metric's value against its ``thresholdRange``);
* :mod:`~simulator.strategies.flagger.canary`: :class:`FlaggerCanaryStrategy`,
  the state machine (its rules open the module);
* :mod:`~simulator.strategies.flagger.queries`: Flagger's builtin Istio
  queries and the substitution of a query template's variables;
* :mod:`~simulator.strategies.flagger.hey`: the ``hey`` commands a
  webhook hands to flagger-loadtester, read as the load they send;
* :mod:`~simulator.strategies.flagger.from_manifests`: the plan read from a
  ``Canary`` and its ``MetricTemplate`` objects, with the Services and
  Deployments (``<name>-primary``, ``<name>-canary``) each version is
  measured under.
"""

from __future__ import annotations

from simulator.strategies.flagger.canary import FlaggerCanaryStrategy, Phase
from simulator.strategies.flagger.from_manifests import flagger_strategy, plan_from_manifests
from simulator.strategies.flagger.hey import HeyCommand, parse_hey
from simulator.strategies.flagger.plan import FlaggerPlan, LoadTesterCommand, MetricCheck, Webhook, judge
from simulator.strategies.flagger.queries import BUILTIN_QUERIES, TemplateModel, render_query

__all__ = [
    "FlaggerCanaryStrategy", "Phase", "FlaggerPlan", "MetricCheck", "Webhook", "judge", "BUILTIN_QUERIES",
    "TemplateModel", "render_query", "flagger_strategy", "plan_from_manifests", "LoadTesterCommand", "HeyCommand",
    "parse_hey",
]
