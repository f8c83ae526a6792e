"""Reading a manifest file or directory into a checked :class:`ManifestSet`.

Each document is read by its ``apiVersion`` and ``kind``: the kinds of
:data:`READ_KINDS` are validated, the real but unsimulated kinds of those
groups (:data:`KEPT_ASIDE`) and every other Kubernetes object are listed as
ignored, and any other kind or version of the two groups is an error that
names it. Then names are checked for duplicates and references for their
targets. Every problem is one :class:`ScenarioError` line; all of them are
gathered, so ``rollout-sim validate`` can print each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.errors import ScenarioError
from simulator.scenario.base import suggest
from simulator.scenario.manifests.argo_rollout import Rollout
from simulator.scenario.manifests.base import ManifestModel, Mapping, ObjectMeta
from simulator.scenario.manifests.documents import Document, read_documents
from simulator.scenario.manifests.flagger import Canary, MetricTemplate
from simulator.scenario.manifests.kserve import InferenceService
from simulator.scenario.manifests.manifest_set import (
    AnalysisTemplateParser,
    IgnoredDocument,
    ManifestEntry,
    ManifestSet,
    RawAnalysisTemplate,
)
from simulator.scenario.manifests.problems import locate, problems_of, with_count
from simulator.scenario.validation_errors import describe_value, one_line

__all__ = ["load_manifests", "read_manifests", "manifest_problems", "READ_KINDS", "KEPT_ASIDE", "API_VERSIONS"]

ARGO = "argoproj.io/v1alpha1"
FLAGGER = "flagger.app/v1beta1"
KSERVE = "serving.kserve.io/v1beta1"
KUBEFLOW = "serving.kubeflow.org/v1beta1"
API_VERSIONS = {"argoproj.io": ARGO, "flagger.app": FLAGGER, "serving.kserve.io": KSERVE,
                "serving.kubeflow.org": KUBEFLOW}
"""The groups read, with the one version of each that is."""

READ_KINDS: dict[str, tuple[str, ...]] = {
    ARGO: ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate"),
    FLAGGER: ("Canary", "MetricTemplate"),
    KSERVE: ("InferenceService",),
    KUBEFLOW: ("InferenceService",),
}
"""The kinds read, by apiVersion."""

KEPT_ASIDE: dict[str, tuple[str, ...]] = {
    ARGO: ("AnalysisRun", "Experiment"), FLAGGER: ("AlertProvider",),
    KSERVE: ("TrainedModel", "InferenceGraph", "ServingRuntime", "ClusterServingRuntime"), KUBEFLOW: ("TrainedModel",),
}
"""Real kinds of those groups that take no part in a simulated rollout: listed as ignored."""

_MODELS: dict[str, type[BaseModel]] = {"Rollout": Rollout, "Canary": Canary, "MetricTemplate": MetricTemplate,
                                        "InferenceService": InferenceService}


class _TemplateDocument(ManifestModel):
    """The envelope of an AnalysisTemplate or ClusterAnalysisTemplate; its ``spec`` is left to the analysis layer."""

    api_version: str
    kind: str
    metadata: ObjectMeta
    spec: Mapping
    status: Any = None


def _label(document: Document, kind: str) -> str:
    metadata = document.data.get("metadata") if isinstance(document.data, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    if isinstance(name, str) and name and name.isprintable() and len(name) <= 253:
        return f"{kind} {name}"
    return f"{kind} ({document.place})"


def _name_of(document: Document) -> str | None:
    metadata = document.data.get("metadata") if isinstance(document.data, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


class _Reader:
    """Reads documents one by one, gathering entries, ignored documents and problems."""

    def __init__(self) -> None:
        self.entries: list[ManifestEntry] = []
        self.ignored: list[IgnoredDocument] = []
        self.problems: list[ScenarioError] = []
        self.unreadable: set[tuple[str, str]] = set()
        """(kind, name) of objects with a problem: references to them are not reported again."""

    def problem(self, document: Document, label: str, reason: str, path: str | None = None,
                value: object = None) -> None:
        error = ScenarioError(one_line(reason), path=path, value=value)
        self.problems.append(locate(error, file=document.file, label=label))

    def read(self, document: Document) -> None:
        data = document.data
        if not isinstance(data, dict):
            self.problem(document, document.place, f"got {type(data).__name__}; expected a Kubernetes object "
                         "(a mapping with apiVersion, kind, metadata and spec)", value=data)
            return
        api_version, kind = data.get("apiVersion"), data.get("kind")
        for key, value in (("apiVersion", api_version), ("kind", kind)):
            if not isinstance(value, str) or not value:
                reason = "missing required key" if value is None else f"got {describe_value(value)}; expected text"
                self.problem(document, document.place, f"{reason} (every manifest names its apiVersion and kind)",
                             path=key, value=value)
                return
        assert isinstance(api_version, str) and isinstance(kind, str)
        group = api_version.split("/")[0] if "/" in api_version else ""
        if group not in API_VERSIONS:
            self.ignored.append(IgnoredDocument(document.file, document.place, api_version, kind, _name_of(document)))
            return
        label = _label(document, kind)
        if api_version != API_VERSIONS[group]:
            self.problem(document, label, f"got apiVersion {describe_value(api_version)}; expected "
                         f"{API_VERSIONS[group]} (the version read)", path="apiVersion", value=api_version)
        elif kind in KEPT_ASIDE[api_version]:
            self.ignored.append(IgnoredDocument(document.file, document.place, api_version, kind, _name_of(document)))
        elif kind not in READ_KINDS[api_version]:
            known = [*READ_KINDS[api_version], *KEPT_ASIDE[api_version]]
            self.problem(document, label, f"got kind {describe_value(kind)} of {api_version}{suggest(kind, known)}; "
                         f"expected one of: {', '.join(READ_KINDS[api_version])}", path="kind", value=kind)
        else:
            self._validate(document, kind, label)

    def _validate(self, document: Document, kind: str, label: str) -> None:
        data = document.data
        try:
            if kind in _MODELS:
                read: Any = _MODELS[kind].model_validate(data)
            else:
                envelope = _TemplateDocument.model_validate(data)
                read = RawAnalysisTemplate(kind, envelope.metadata, envelope.spec, data)
        except ValidationError as error:
            self.problems += problems_of(error, data, file=document.file, label=label)
            name = _name_of(document)
            if name:
                self.unreadable.add((kind, name))
            return
        self.entries.append(ManifestEntry(document.file, document.place, read))


def _duplicates(reader: _Reader) -> None:
    first: dict[tuple[str, str], ManifestEntry] = {}
    unique: list[ManifestEntry] = []
    for entry in reader.entries:
        key = (entry.kind, entry.name)
        if key in first:
            earlier = first[key]
            reader.problems.append(ScenarioError(
                f"got a second {entry.kind} named '{entry.name}'; expected one per name (the first is "
                f"{earlier.place} of {earlier.file})", file=entry.file, path=f"{entry.label}: metadata.name",
                value=entry.name))
            continue
        first[key] = entry
        unique.append(entry)
    reader.entries = unique


def _missing(reader: _Reader, entry: ManifestEntry, path: str, kind: str, name: str, names: list[str],
             other: tuple[str, list[str], str] | None = None) -> None:
    if (kind, name) in reader.unreadable:
        return
    hint = suggest(name, names)
    if other is not None and name in other[1]:
        hint = f" ({other[0]} '{name}' exists: {other[2]})"
    have = f"the manifests have {', '.join(names)}" if names else f"the manifests have no {kind}"
    article = "an" if kind[0] in "AEIOU" else "a"
    reader.problems.append(ScenarioError(f"got '{name}'{hint}; expected the name of {article} {kind} ({have})",
                                         file=entry.file, path=f"{entry.label}: {path}", value=name))


def _references(reader: _Reader) -> None:
    by_kind: dict[str, dict[str, ManifestEntry]] = {}
    for entry in reader.entries:
        by_kind.setdefault(entry.kind, {})[entry.name] = entry
    templates = list(by_kind.get("AnalysisTemplate", {}))
    clustered = list(by_kind.get("ClusterAnalysisTemplate", {}))
    metric_templates = by_kind.get("MetricTemplate", {})
    for entry in reader.entries:
        if isinstance(entry.object, Rollout):
            for path, ref in entry.object.analysis_refs():
                if ref.cluster_scope and ref.template_name not in clustered:
                    _missing(reader, entry, path, ref.kind, ref.template_name, clustered,
                             ("AnalysisTemplate", templates, "remove clusterScope to use it"))
                elif not ref.cluster_scope and ref.template_name not in templates:
                    _missing(reader, entry, path, ref.kind, ref.template_name, templates,
                             ("ClusterAnalysisTemplate", clustered, "set clusterScope: true to use it"))
        elif isinstance(entry.object, Canary):
            _metric_references(reader, entry, entry.object, metric_templates)


def _metric_references(reader: _Reader, entry: ManifestEntry, canary: Canary,
                       metric_templates: dict[str, ManifestEntry]) -> None:
    for index, metric in enumerate(canary.spec.analysis.metrics):
        ref = metric.template_ref
        if ref is None:
            continue
        path = f"spec.analysis.metrics[{index}].templateRef"
        if ref.name not in metric_templates:
            _missing(reader, entry, f"{path}.name", "MetricTemplate", ref.name, list(metric_templates))
            continue
        wanted = ref.namespace or canary.metadata.namespace
        found = metric_templates[ref.name].object.metadata.namespace
        if wanted and found and wanted != found:
            reader.problems.append(ScenarioError(
                f"got namespace '{wanted}'; expected '{found}', the namespace of MetricTemplate '{ref.name}'",
                file=entry.file, path=f"{entry.label}: {path}.namespace", value=wanted))


def _parse_templates(reader: _Reader, parser: AnalysisTemplateParser) -> dict[tuple[str, str], object]:
    models: dict[tuple[str, str], object] = {}
    for entry in reader.entries:
        template = entry.object
        if not isinstance(template, RawAnalysisTemplate):
            continue
        try:
            models[(template.kind, template.name)] = parser(template)
        except ValidationError as error:
            reader.problems += problems_of(error, template.document, file=entry.file, label=entry.label)
        except ScenarioError as error:
            own_label = f"{template.kind} '{template.name}': "  # a parser may name the template itself
            if error.reason.startswith(own_label):
                error = ScenarioError(error.reason[len(own_label):], path=error.path, value=error.value,
                                      expected=error.expected)
            reader.problems.append(locate(error, file=entry.file, label=entry.label))
    return models


def read_manifests(path: str | Path, *, analysis_template_parser: AnalysisTemplateParser | None = None,
                   ) -> tuple[ManifestSet, list[ScenarioError]]:
    """Every object of the manifests at ``path`` that could be read, and every problem found, in file order.

    ``analysis_template_parser`` (see :mod:`.manifest_set`) validates each
    AnalysisTemplate and ClusterAnalysisTemplate; without it their ``spec``
    is kept as written.
    """
    documents, problems = read_documents(path)
    reader = _Reader()
    reader.problems = problems
    for document in documents:
        reader.read(document)
    _duplicates(reader)
    _references(reader)
    models = _parse_templates(reader, analysis_template_parser) if analysis_template_parser else {}
    if not reader.entries and not reader.problems:
        kinds = ", ".join(kind for kinds in READ_KINDS.values() for kind in kinds)
        reader.problems.append(ScenarioError(f"no Argo Rollouts or Flagger objects; expected one of: {kinds}",
                                             file=str(path)))
    manifests = ManifestSet(str(path), tuple(reader.entries), tuple(reader.ignored), models)
    return manifests, reader.problems


def manifest_problems(path: str | Path, *, analysis_template_parser: AnalysisTemplateParser | None = None,
                      ) -> list[ScenarioError]:
    """Every problem of the manifests at ``path``, one :class:`ScenarioError` each (empty when they are sound)."""
    return read_manifests(path, analysis_template_parser=analysis_template_parser)[1]


def load_manifests(path: str | Path, *, analysis_template_parser: AnalysisTemplateParser | None = None,
                   ) -> ManifestSet:
    """Read and check the manifests at ``path`` (a file, or a directory of ``.yaml``/``.yml``/``.json`` files).

    Raises the first problem as a one-line :class:`ScenarioError` that says
    how many more there are.
    """
    manifests, problems = read_manifests(path, analysis_template_parser=analysis_template_parser)
    if problems:
        raise with_count(problems[0], len(problems) - 1)
    return manifests
