"""Argo Rollouts analysis without I/O: templates, the condition language, and the AnalysisRun state machine.

What is here, and what a strategy does with it:

1. :func:`parse_analysis_template` reads an ``AnalysisTemplate`` or
   ``ClusterAnalysisTemplate`` document (argoproj.io/v1alpha1) into a
   strict model: an unknown key is an error that names the closest known
   one; durations (Go syntax: ``30s``, ``1m30s``, ``500ms``; no days),
   integers (``3`` or ``"3"``) and conditions are checked at once unless
   they hold a ``{{args.x}}`` placeholder. Providers: ``prometheus``
   (``address``, ``query``, ``timeout`` in seconds; ``headers``,
   ``authentication`` and ``insecure`` are kept and unused; ``rangeQuery``
   is refused) and ``job`` (kept as data; the chance that the simulated Job
   fails is the annotation ``rollout-sim/failure-probability`` of its
   metadata, 0 by default, so the manifest stays one a cluster accepts).
   Argo's other providers (web, datadog, ...) are refused by name.
2. :func:`build_analysis_run` merges the templates a Rollout names (and, via
   a :class:`TemplateLibrary`, those they reference) into an
   :class:`AnalysisRunSpec`, with the arguments filled
   (:mod:`~simulator.analysis.argo.args`) and every value parsed.
3. :class:`AnalysisRunState` runs it in simulated time: ``due(t)`` names the
   metrics to measure, ``record(metric, t, value)`` judges a value (a float
   for a PromQL scalar, the list of a vector's values, ``True``/``False``
   for a job, or a :class:`MeasurementError`), and ``phase``, ``message``
   and ``next_time()`` tell the caller what the run concluded and when to
   come back. The rules are in :mod:`~simulator.analysis.argo.run_state`
   and :mod:`~simulator.analysis.argo.conditions`.

The condition language is the part of expr-lang/expr that applies to a
number or a list of numbers (:mod:`~simulator.analysis.argo.expr_parser`,
:mod:`~simulator.analysis.argo.expr_eval`), parsed by a small Pratt parser
and evaluated by walking the tree; Python's ``eval`` is never used.

Where Argo's documentation is silent, ambiguous or contradicts its
controller, the controller's behaviour is followed, and these choices are
made:

* **No condition at all**: every measurement is Successful (the controller);
  the documentation's section on inconclusive runs says Inconclusive.
* **One condition only**: a measurement is never Inconclusive; with only a
  ``successCondition`` it is Failed when the condition does not hold, with
  only a ``failureCondition`` Successful when it does not hold. With both,
  the failure condition wins when both hold, and neither holding is
  Inconclusive.
* **Limits are exceeded, not reached**: ``failureLimit: 1`` fails the metric
  at the second failed measurement, the default ``consecutiveErrorLimit`` of
  4 errors it at the fifth error in a row, ``inconclusiveLimit: 0`` at the
  first inconclusive measurement. Errors do not count towards ``count``.
* **An empty result** (a vector with no sample) is ``[]``: ``result[0]`` is
  an evaluation error, so the measurement is an Error, as in Argo;
  ``len(result) == 0 || result[0] < 1`` handles it. ``isNil(x)`` and
  ``default(x, d)`` look at the measured value whatever ``x`` is, as Argo's
  helpers do.
* **A condition that does not parse**, or names an unknown variable or
  function, is refused when the manifest is read, naming the template, the
  metric and the expression; Argo only finds out when it measures (each
  measurement is then an Error). Types are checked as the condition runs,
  so a type error on a branch not taken goes unnoticed (expr checks types
  before running).
* **Timing**: the first measurement is due ``initialDelay`` after the run
  starts; the next one ``interval`` after the previous one was *taken* (a
  late measurement delays the next), and 10 s after an Error whatever the
  interval. A metric is due at a time ``t`` when its due time is ``<= t``.
  Neither ``interval`` nor ``count`` means one measurement; ``count: 0``
  with an interval runs until the run is terminated (a step analysis with
  ``count: 0`` is not run at all; that is the Rollout's decision).
  ``interval: 0s`` is refused.
* **The run ends at once**: when a metric that is not a dry run ends Failed,
  Error or Inconclusive, the run completes at that same simulated time
  (Argo's controller takes one more reconciliation, well under a second).
  Terminating marks unfinished metrics Successful, so a background analysis
  ended by its Rollout is Successful unless a limit was already exceeded.
* **dryRun** rules are regular expressions searched for in metric names
  (unanchored, as Go's ``regexp.MatchString``: ``.*`` matches all, and a
  plain name also matches longer names containing it); a rule that matches
  no metric is an error. A dry-run metric stops when its own limits say so,
  but never decides the run.
* **Arguments**: a number written as a value (``value: 9090``) is taken as
  its text; a Rollout argument that no template declares is ignored; an
  argument from a ``secretKeyRef`` becomes ``*****``; a placeholder other
  than ``{{args.NAME}}`` is an error, as in Argo.
* **measurementRetention** is accepted; every measurement is kept.
* A job metric ignores its conditions: the Job succeeded or it failed.
"""

from __future__ import annotations

from simulator.analysis.argo.args import ArgContext, merge_args, substitute
from simulator.analysis.argo.conditions import Condition, judge_value
from simulator.analysis.argo.durations import parse_go_duration
from simulator.analysis.argo.expr_eval import ExpressionEvalError, evaluate
from simulator.analysis.argo.expr_lexer import ExpressionSyntaxError
from simulator.analysis.argo.expr_parser import FUNCTIONS, parse_expression
from simulator.analysis.argo.phases import AnalysisPhase, Measurement, MeasurementError
from simulator.analysis.argo.provider_models import (
    FAILURE_PROBABILITY_ANNOTATION,
    JobProvider,
    MetricProvider,
    PrometheusProvider,
)
from simulator.analysis.argo.run_spec import (
    AnalysisRunSpec,
    JobRun,
    PrometheusQuery,
    ResolvedMetric,
    TemplateLibrary,
    build_analysis_run,
    parse_analysis_template,
)
from simulator.analysis.argo.run_state import ERROR_RETRY_INTERVAL, AnalysisRunState, MetricResult
from simulator.analysis.argo.template_models import (
    AnalysisTemplate,
    AnalysisTemplateSpec,
    DryRun,
    Metric,
    RolloutArgument,
    TemplateArgument,
    TemplateRef,
)

__all__ = [
    "parse_analysis_template", "AnalysisTemplate", "AnalysisTemplateSpec", "Metric", "MetricProvider",
    "PrometheusProvider", "JobProvider", "TemplateArgument", "RolloutArgument", "DryRun", "TemplateRef",
    "FAILURE_PROBABILITY_ANNOTATION",
    "TemplateLibrary", "build_analysis_run", "AnalysisRunSpec", "ResolvedMetric", "PrometheusQuery", "JobRun",
    "ArgContext", "merge_args", "substitute",
    "Condition", "judge_value", "parse_expression", "evaluate", "FUNCTIONS", "ExpressionSyntaxError",
    "ExpressionEvalError",
    "AnalysisRunState", "MetricResult", "AnalysisPhase", "Measurement", "MeasurementError",
    "ERROR_RETRY_INTERVAL", "parse_go_duration",
]
