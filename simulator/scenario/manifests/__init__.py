"""Argo Rollouts and Flagger manifests, read as they are applied to a cluster.

:func:`load_manifests` reads a file (multi-document YAML, or JSON) or a
directory (every ``.yaml``, ``.yml`` and ``.json`` file in it, by name)
into a checked :class:`ManifestSet`. A scenario names one with
``strategies: {argo: {from: peers/argo-canary-steps.yaml}}``.

What is read and modelled (frozen pydantic models, in seconds where the
API writes durations):

* ``argoproj.io/v1alpha1`` ``Rollout``: ``spec.replicas``, the canary
  strategy (``steps`` with ``setWeight``, ``pause: {duration}`` and
  ``pause: {}``, ``setCanaryScale``, ``analysis``; background ``analysis``
  with ``startingStep``; ``args`` with ``value`` or ``valueFrom``;
  ``canaryService``/``stableService``; ``maxSurge``/``maxUnavailable``
  (default 25 %); ``trafficRouting`` (which router, not its settings);
  ``dynamicStableScale``; ``scaleDownDelaySeconds`` and
  ``abortScaleDownDelaySeconds`` (default 30)) and the blue-green strategy
  (``activeService``, ``previewService``, ``autoPromotionEnabled`` (default
  true), ``autoPromotionSeconds``, ``prePromotionAnalysis``,
  ``postPromotionAnalysis``, ``scaleDownDelaySeconds`` (default 30),
  ``previewReplicaCount``, ``abortScaleDownDelaySeconds``).
* ``flagger.app/v1beta1`` ``Canary``: ``analysis`` (``interval``,
  ``threshold``, ``maxWeight``, ``stepWeight``, ``stepWeights``,
  ``stepWeightPromotion``, ``iterations``, ``mirror``, ``mirrorWeight``,
  ``match``, ``sessionAffinity`` (``cookieName``, ``maxAge``), ``metrics``
  with ``thresholdRange``, ``interval`` and
  ``templateRef``, ``webhooks`` with their type, url, timeout and
  metadata), ``skipAnalysis``, and the ``<name>-primary``/``<name>-canary``
  services; ``MetricTemplate``: ``provider`` and ``query``.

What is accepted but not modelled: every other field of those objects'
upstream Go types (Argo's ``types.go``, Flagger's ``canary.go`` and
``metric.go``): the pod ``template``, ``selector``, ``workloadRef``,
``minReadySeconds``, ``revisionHistoryLimit``, ``progressDeadlineSeconds``,
``canaryMetadata``, ``antiAffinity``, each traffic router's settings,
Flagger's ``targetRef``, ``service`` (gateways, hosts, retries, ...),
``autoscalerRef``, ``alerts``, the rest of ``sessionAffinity``, ``revertOnDeletion``,
``suspend``, and ``status``. Their keys are still checked, so a misspelt
key is an error with the key it may mean. The steps ``experiment``,
``setHeaderRoute``, ``setMirrorRoute`` and ``plugin`` are read and marked
:attr:`~CanaryStep.unsupported`, for a runner to refuse by name.

Argo's ``AnalysisTemplate`` and ``ClusterAnalysisTemplate`` are kept as
:class:`RawAnalysisTemplate` (kind, metadata, ``spec`` and the document as
written; only the envelope is checked): their model lives in the analysis
layer, which plugs in through ``load_manifests(path,
analysis_template_parser=...)`` (see :mod:`.manifest_set`); its errors are
then reported with the others. Other Kubernetes objects (Service, Deployment,
ConfigMap, ...) and the real kinds that take no part in a rollout
(``AnalysisRun``, ``Experiment``, ``AlertProvider``) are listed in
:attr:`ManifestSet.ignored`. Any other kind or version of the two groups
is an error naming it.

Choices made:

* Types are the API server's: ``setWeight: "10"`` and ``threshold: 2.5``
  are errors, as ``kubectl apply`` would make them; keys are the API's
  camelCase names only.
* Argo pause durations keep whole seconds (``1500ms`` pauses 1 s), as
  Argo does. Flagger intervals follow its CRD (minutes or seconds:
  ``1m30s``, not ``1h``); an analysis runs no faster than every 10 s.
* The checks of Argo's own validation that decide what a rollout does are
  made (exactly one strategy; exactly one key per step; ``setWeight`` 0 to
  ``maxTrafficWeight``; distinct services; ``setCanaryScale``,
  ``dynamicStableScale`` and ``scaleDownDelaySeconds`` need traffic
  routing; ``maxSurge`` and ``maxUnavailable`` not both 0); so is the
  CRD's rule that a Canary's analysis has exactly one of ``iterations``,
  ``stepWeight`` and ``stepWeights``. A Flagger metric that is neither a
  builtin, a ``templateRef`` nor a ``query`` is an error (Flagger would fail
  every check on it), with the builtin name it may mean.
* Names are unique per kind across the set (namespaces aside); a Canary's
  ``templateRef.namespace`` (or its own namespace) must match the
  template's when both are written.
* Every problem is one line, ``FILE: KIND NAME: key.path: got X; expected
  Y``; :func:`manifest_problems` gathers all of them, :func:`load_manifests`
  raises the first and says how many more there are.
"""

from simulator.scenario.manifests.argo_rollout import BlueGreenStrategy, CanaryStrategy, Rollout, TrafficRouting
from simulator.scenario.manifests.argo_steps import (
    STEP_KINDS,
    UNSUPPORTED_STEPS,
    AnalysisArgument,
    AnalysisTemplateRef,
    BackgroundAnalysis,
    CanaryStep,
    Pause,
    RolloutAnalysis,
    SetCanaryScale,
)
from simulator.scenario.manifests.documents import looks_like_manifests
from simulator.scenario.manifests.flagger import (
    BUILTIN_METRICS,
    WEBHOOK_TYPES,
    Canary,
    CanaryAnalysis,
    CanaryMetric,
    CanaryWebhook,
    MetricTemplate,
)
from simulator.scenario.manifests.loader import load_manifests, manifest_problems, read_manifests
from simulator.scenario.manifests.manifest_set import (
    AnalysisTemplateParser,
    IgnoredDocument,
    ManifestEntry,
    ManifestSet,
    RawAnalysisTemplate,
)
from simulator.scenario.manifests.quantities import parse_go_duration, scaled_value
from simulator.scenario.manifests.summary import manifest_report, summary_lines

__all__ = [
    "load_manifests", "read_manifests", "manifest_problems", "manifest_report", "looks_like_manifests",
    "summary_lines", "ManifestSet", "ManifestEntry", "IgnoredDocument", "RawAnalysisTemplate",
    "AnalysisTemplateParser", "Rollout", "CanaryStrategy", "BlueGreenStrategy", "TrafficRouting", "CanaryStep",
    "Pause", "SetCanaryScale", "RolloutAnalysis", "BackgroundAnalysis", "AnalysisTemplateRef", "AnalysisArgument",
    "STEP_KINDS", "UNSUPPORTED_STEPS", "Canary", "CanaryAnalysis", "CanaryMetric", "CanaryWebhook",
    "MetricTemplate", "BUILTIN_METRICS", "WEBHOOK_TYPES", "parse_go_duration", "scaled_value",
]
