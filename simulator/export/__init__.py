"""A scenario's canary or blue-green strategy written as Argo Rollouts or Flagger manifests that run back the same.

``rollout-sim export SCENARIO --to argo|flagger`` calls :func:`export_manifests`:

* Argo Rollouts: a ``Rollout`` (a canary with traffic routing, setWeight and
  analysis steps; or ``blueGreen`` with ``activeService``/``previewService``,
  ``prePromotionAnalysis`` and ``postPromotionAnalysis``) and the
  ``AnalysisTemplate`` objects it references (:mod:`.argo`,
  :mod:`.argo_blue_green`, :mod:`.argo_analysis`);
* Flagger: a ``Canary`` (``interval``, ``threshold``, ``stepWeight``/``maxWeight``
  or ``stepWeights``) and a ``MetricTemplate`` per rule (:mod:`.flagger`).

Each rollback rule becomes a Prometheus query and a condition that check
the same thing (:mod:`.rules`, built from :mod:`.promql`). A setting with no
faithful equivalent is refused with a :class:`~simulator.errors.ScenarioError`
naming its key, or carried out approximately and said so in the YAML's
header (:class:`~simulator.export.context.Approximation`); ``docs/export.md``
has the table. The text reads back through ``strategies: {NAME: {from:
FILE}}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from simulator.errors import ScenarioError

if TYPE_CHECKING:
    from simulator.scenario.model import Scenario

__all__ = ["export_manifests", "exportable_labels", "choose_strategy", "EXPORT_TARGETS", "ExportTarget"]

ExportTarget = Literal["argo", "flagger"]
EXPORT_TARGETS: tuple[ExportTarget, ...] = ("argo", "flagger")
"""The tools whose manifests can be written."""

_KINDS = {"argo": ("canary", "blue_green"), "flagger": ("canary",)}
_TOOL = {"argo": "Argo Rollouts", "flagger": "Flagger"}


def exportable_labels(scenario: Scenario, target: ExportTarget) -> list[str]:
    """The strategy labels of ``scenario`` whose kind ``target`` can express (canary; blue-green for Argo)."""
    return [label for label, config in scenario.strategies.items() if config.kind in _KINDS[target]]


def choose_strategy(scenario: Scenario, target: ExportTarget, requested: str | None) -> str:
    """The label to export: ``requested``, or else the only one ``target`` can export; :class:`ScenarioError` otherwise.

    Without ``requested``, the strategies of a kind the target expresses
    are tried: the one that exports is chosen (or the one of that kind,
    whose export then says what stops it); several that export, or several
    that do not, are an error listing their labels.
    """
    from simulator.scenario.base import suggest

    labels = list(scenario.strategies)
    if requested is not None:
        if requested not in scenario.strategies:
            raise ScenarioError(f"got '{requested}'{suggest(requested, labels)}; expected one of the scenario's "
                                f"strategies: {', '.join(labels) or 'it has none'}", path="--strategy",
                                value=requested)
        return requested
    candidates = exportable_labels(scenario, target)
    kinds = " or ".join(kind.replace("_", "-") for kind in _KINDS[target])
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ScenarioError(f"got strategies {', '.join(labels) or '(none)'}, none of them a {kinds} strategy; "
                            f"expected one that {_TOOL[target]} can express", path="strategies")
    exportable = []
    for label in candidates:
        try:
            export_manifests(scenario, label, target)
        except ScenarioError:
            continue
        exportable.append(label)
    if len(exportable) == 1:
        return exportable[0]
    if exportable:
        raise ScenarioError(f"got {len(exportable)} strategies {_TOOL[target]} can express ({', '.join(exportable)}); "
                            "expected --strategy NAME to choose one", path="strategies")
    raise ScenarioError(f"got {kinds} strategies {', '.join(candidates)}, none of which exports as it is; expected "
                        "--strategy NAME to export one (the error then says what stops it)", path="strategies")


def export_manifests(scenario: Scenario, label: str, target: ExportTarget, *, source: str | None = None) -> str:
    """The manifests of strategy ``label`` of ``scenario`` for ``target``, as YAML text with a header.

    ``source`` is the scenario's file, named in the header. Raises
    :class:`ScenarioError` (located under ``strategies.LABEL``) for a
    strategy or setting the target cannot carry out.
    """
    from simulator.export.context import ExportContext, refuse_common
    from simulator.export.documents import render_documents
    from simulator.scenario.blue_green_config import BlueGreenConfig
    from simulator.scenario.canary_config import CanaryConfig

    if target not in EXPORT_TARGETS:
        raise ScenarioError(f"got '{target}'; expected one of: {', '.join(EXPORT_TARGETS)}", path="--to",
                            value=target)
    config = scenario.strategies.get(label)
    if config is None:
        choose_strategy(scenario, target, label)  # raises: no strategy has that label
        raise AssertionError(f"strategy {label!r} is both missing and found")
    context = ExportContext(scenario, label)
    kinds = " or ".join(kind.replace("_", "-") for kind in _KINDS[target])
    if not isinstance(config, CanaryConfig | BlueGreenConfig) or config.kind not in _KINDS[target]:
        raise ScenarioError(f"got a {config.kind.replace('_', '-')} strategy; expected a {kinds} strategy: "
                            f"{_TOOL[target]} has no manifest for it", path=context.path, value=label)
    refuse_common(context, config)
    if target == "flagger":
        from simulator.export.flagger import flagger_canary

        assert isinstance(config, CanaryConfig)
        documents, what = flagger_canary(context, config), "Flagger Canary"
    elif isinstance(config, CanaryConfig):
        from simulator.export.argo import argo_canary

        documents, what = argo_canary(context, config), "Argo Rollouts canary"
    else:
        from simulator.export.argo_blue_green import argo_blue_green

        documents, what = argo_blue_green(context, config), "Argo Rollouts blue-green"
    origin = f" ({source})" if source else ""
    header = [
        f"{what} for strategy '{label}' of scenario '{scenario.name}'{origin}, written by rollout-sim export.",
        f"It runs back in the simulator as a strategy entry: {label}: {{from: THIS_FILE}}.",
        *_series_lines(target, context.name),
    ]
    return render_documents(documents, header, context.notes)


def _series_lines(target: str, name: str) -> list[str]:
    if target == "flagger":
        return [f"The queries read Istio's istio_requests_total and istio_request_duration_milliseconds by workload "
                f"({name} and {name}-primary) and model_predictions_total by Service ({name}-canary and "
                f"{name}-primary); Prometheus at the MetricTemplates' address."]
    return ["The queries read http_requests_total, http_request_duration_seconds and model_predictions_total by "
            "the Service label (the arguments candidate-service and stable-service); Prometheus at the "
            "templates' address."]
