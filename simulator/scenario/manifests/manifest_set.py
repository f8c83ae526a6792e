"""A validated set of manifests: the objects read, in file order, with lookups by name.

Argo's ``AnalysisTemplate`` and ``ClusterAnalysisTemplate`` are held as
:class:`RawAnalysisTemplate` (kind, metadata, the document as written):
their model belongs to the analysis layer (``simulator.analysis.argo``),
which the scenario layer does not import. It plugs in through the
``analysis_template_parser`` of
:func:`~simulator.scenario.manifests.load_manifests`: a callable that takes
a :class:`RawAnalysisTemplate` and returns its model, or raises pydantic's
``ValidationError`` or a :class:`ScenarioError` with locations relative to
the whole document (``spec.metrics[0].interval``). For instance::

    load_manifests(path, analysis_template_parser=lambda raw: parse_analysis_template(raw.document))

Its results are :attr:`ManifestSet.analysis_models`; its errors are
reported like every other problem of the set, naming the file and the
template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import ScenarioError
from simulator.scenario.base import suggest
from simulator.scenario.manifests.argo_rollout import Rollout
from simulator.scenario.manifests.argo_steps import AnalysisTemplateRef
from simulator.scenario.manifests.base import ObjectMeta
from simulator.scenario.manifests.flagger import Canary, CanaryMetric, MetricTemplate
from simulator.scenario.manifests.kserve import InferenceService

__all__ = ["RawAnalysisTemplate", "IgnoredDocument", "ManifestEntry", "ManifestSet", "ManifestObject",
           "AnalysisTemplateParser"]


@dataclass(frozen=True)
class RawAnalysisTemplate:
    """An Argo ``AnalysisTemplate`` or ``ClusterAnalysisTemplate`` as written: its ``spec`` is not validated here."""

    kind: str
    """``AnalysisTemplate`` or ``ClusterAnalysisTemplate``."""
    metadata: ObjectMeta
    spec: Mapping[str, Any]
    """The template's ``spec`` (args, metrics, dryRun, ...), as read from the file."""
    document: Mapping[str, Any]
    """The whole document (apiVersion, kind, metadata, spec), as read from the file."""

    @property
    def name(self) -> str:
        """``metadata.name``."""
        return self.metadata.name


ManifestObject = Rollout | Canary | MetricTemplate | InferenceService | RawAnalysisTemplate
"""An object a manifest set holds."""

AnalysisTemplateParser = Callable[[RawAnalysisTemplate], object]
"""The analysis layer's reader of a template document: its model, or pydantic's ``ValidationError`` / a
``ScenarioError`` located relative to the document."""


@dataclass(frozen=True)
class IgnoredDocument:
    """A document of another kind (Service, Deployment, ConfigMap, ...): listed, not read."""

    file: str
    place: str
    api_version: str
    kind: str
    name: str | None


@dataclass(frozen=True)
class ManifestEntry:
    """One object of the set, with the file and place it came from."""

    file: str
    place: str
    object: ManifestObject

    @property
    def kind(self) -> str:
        """The object's kind (``Rollout``, ``Canary``, ...)."""
        return self.object.kind

    @property
    def name(self) -> str:
        """The object's ``metadata.name``."""
        return self.object.metadata.name

    @property
    def label(self) -> str:
        """``Rollout recommender``: how messages name the object."""
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class ManifestSet:
    """Every object read from a manifest file or directory, in file order.

    Names are unique per kind, and every reference resolves: a Rollout's
    ``templateName`` to an AnalysisTemplate (a ClusterAnalysisTemplate with
    ``clusterScope``), a Canary's ``templateRef`` to a MetricTemplate.
    """

    source: str
    """The file or directory read, as given."""
    entries: tuple[ManifestEntry, ...]
    ignored: tuple[IgnoredDocument, ...] = ()
    analysis_models: Mapping[tuple[str, str], object] = field(default_factory=dict)
    """``{(kind, name): model}`` of the templates, when the set was read with an ``analysis_template_parser``."""

    def _of_kind(self, kind: str) -> dict[str, Any]:
        return {entry.name: entry.object for entry in self.entries if entry.kind == kind}

    @property
    def rollouts(self) -> dict[str, Rollout]:
        """Argo Rollouts by name."""
        return self._of_kind("Rollout")

    @property
    def inference_services(self) -> dict[str, InferenceService]:
        """KServe InferenceServices by name."""
        return self._of_kind("InferenceService")

    @property
    def canaries(self) -> dict[str, Canary]:
        """Flagger Canaries by name."""
        return self._of_kind("Canary")

    @property
    def metric_templates(self) -> dict[str, MetricTemplate]:
        """Flagger MetricTemplates by name."""
        return self._of_kind("MetricTemplate")

    @property
    def analysis_templates(self) -> dict[str, RawAnalysisTemplate]:
        """Argo AnalysisTemplates by name (raw: see the module's notes)."""
        return self._of_kind("AnalysisTemplate")

    @property
    def cluster_analysis_templates(self) -> dict[str, RawAnalysisTemplate]:
        """Argo ClusterAnalysisTemplates by name (raw)."""
        return self._of_kind("ClusterAnalysisTemplate")

    def _only(self, kind: str, name: str | None) -> Any:
        found = self._of_kind(kind)
        if name is not None:
            if name not in found:
                raise ScenarioError(f"got {kind} '{name}'{suggest(name, list(found))}; expected one of: "
                                    f"{', '.join(found) or 'none in the manifests'}", file=self.source)
            return found[name]
        if len(found) != 1:
            raise ScenarioError(f"got {len(found)} {kind} objects ({', '.join(found) or 'none'}); expected "
                                f"exactly one, or a name to choose one", file=self.source)
        return next(iter(found.values()))

    def rollout(self, name: str | None = None) -> Rollout:
        """The Rollout called ``name``, or the only one; a :class:`ScenarioError` otherwise."""
        rollout: Rollout = self._only("Rollout", name)
        return rollout

    def canary(self, name: str | None = None) -> Canary:
        """The Canary called ``name``, or the only one; a :class:`ScenarioError` otherwise."""
        canary: Canary = self._only("Canary", name)
        return canary

    def analysis_template(self, ref: AnalysisTemplateRef) -> RawAnalysisTemplate:
        """The template a Rollout's ``templates[]`` entry names (present: the set was checked)."""
        template: RawAnalysisTemplate = self._of_kind(ref.kind)[ref.template_name]
        return template

    def analysis_model(self, ref: AnalysisTemplateRef) -> object:
        """The analysis layer's model of the template ``ref`` names (read with an ``analysis_template_parser``)."""
        key = (ref.kind, ref.template_name)
        if key not in self.analysis_models:
            raise ScenarioError(f"{ref.kind} '{ref.template_name}' was read without an analysis template parser; "
                                "expected load_manifests(..., analysis_template_parser=...)", file=self.source)
        return self.analysis_models[key]

    def metric_template(self, metric: CanaryMetric) -> MetricTemplate:
        """The MetricTemplate a Canary metric's ``templateRef`` names (present: the set was checked)."""
        if metric.template_ref is None:
            raise ScenarioError(f"metric '{metric.name}' has no templateRef", file=self.source)
        template: MetricTemplate = self.metric_templates[metric.template_ref.name]
        return template
