"""Checks of the PromQL queries in a scenario's manifest strategies, before any run.

A strategy read from Argo Rollouts or Flagger manifests queries the
simulated Prometheus; a query that does not parse, or uses what the
simulated Prometheus does not implement, would otherwise fail in the first
run that reaches it (and in every run of a sweep). :func:`query_problems`
makes each such strategy as a run would (its analysis templates merged and
their arguments filled, Flagger's variables rendered) and parses every
query, so ``rollout-sim validate``, ``run``, ``compare``, ``sweep`` and
``check`` report it at once, naming the strategy, the metric and the
construct.
"""

from __future__ import annotations

from collections.abc import Iterator

from simulator.analysis.argo import AnalysisRunSpec, PrometheusQuery
from simulator.errors import ScenarioError
from simulator.scenario.manifest_strategy_config import ArgoRolloutConfig, FlaggerCanaryConfig
from simulator.scenario.model import Scenario

__all__ = ["query_problems", "strategy_queries"]


def _run_queries(spec: AnalysisRunSpec | None, analysis: str) -> Iterator[tuple[str, str]]:
    if spec is None:
        return
    for metric in spec.metrics:
        if isinstance(metric.provider, PrometheusQuery):
            yield f"{analysis} analysis, metric {metric.name}", metric.provider.query


def strategy_queries(strategy: object) -> list[tuple[str, str]]:
    """``(where, query)`` for every PromQL query a manifest strategy runs (none for any other strategy)."""
    from simulator.strategies.argo import ArgoBlueGreenStrategy, ArgoCanaryStrategy, RunAnalysis
    from simulator.strategies.flagger.canary import FlaggerCanaryStrategy

    found: list[tuple[str, str]] = []
    if isinstance(strategy, ArgoCanaryStrategy):
        plan = strategy.plan
        for index, step in enumerate(plan.steps):
            if isinstance(step, RunAnalysis):
                found += _run_queries(step.spec, f"step {index + 1}")
        found += _run_queries(plan.background.spec if plan.background else None, "background")
    elif isinstance(strategy, ArgoBlueGreenStrategy):
        found += _run_queries(strategy.plan.pre_promotion, "pre-promotion")
        found += _run_queries(strategy.plan.post_promotion, "post-promotion")
    elif isinstance(strategy, FlaggerCanaryStrategy):
        found += [(f"metric {check.name}", check.query) for check in strategy.plan.checks if check.query is not None]
    return found


def query_problems(scenario: Scenario, *, file: str | None = None) -> list[ScenarioError]:
    """One error per manifest strategy that cannot be made, or per query it runs that cannot be evaluated."""
    from simulator.prometheus.errors import PromQLError
    from simulator.prometheus.promql import parse_query
    from simulator.strategies import make_strategy

    problems: list[ScenarioError] = []
    for label, config in scenario.strategies.items():
        if not isinstance(config, (ArgoRolloutConfig, FlaggerCanaryConfig)):
            continue
        where = f"strategies.{label}.from"
        try:
            strategy = make_strategy(config)
        except ScenarioError as error:
            problems.append(ScenarioError(f"in {config.from_}: {error.reason}", file=file, path=where,
                                          value=config.from_))
            continue
        for metric, query in strategy_queries(strategy):
            try:
                parse_query(query)
            except PromQLError as error:
                problems.append(ScenarioError(f"in {config.from_}: {metric}: {error.reason}", file=file, path=where,
                                              value=query))
    return problems
