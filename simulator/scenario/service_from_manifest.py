"""``service: {from: isvc.yaml}``: the serving settings of a KServe ``InferenceService``, read as they are.

The InferenceService's predictor gives the replicas the stable version
starts with (``minReplicas``), its autoscaling (Knative's KPA, or an HPA for
``scaleMetric: cpu``) and, when set, ``containerConcurrency``; see
:mod:`simulator.scenario.manifests.kserve` for the mapping. The other
``service`` keys (``timeout``, ``balancer``, ``concurrency`` when the
InferenceService leaves it out) are written beside ``from``; one the
InferenceService sets is an error if it says something else. The result is
plain ``service`` settings, so a scenario's dump needs no manifest to load.
"""

from __future__ import annotations

from typing import Any

from simulator.scenario.base import suggest
from simulator.scenario.manifest_strategy_config import manifest_path

__all__ = ["service_from_manifest"]


def service_from_manifest(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (a ``service`` mapping with ``from``) with the InferenceService's settings in place of ``from``."""
    from simulator.errors import ScenarioError
    from simulator.scenario.manifests import load_manifests

    rest = dict(data)
    written = rest.pop("from")
    name = rest.pop("inferenceService", None)
    if not isinstance(written, str) or not written.strip():
        raise ValueError(f"from: got {written!r}; expected the path of a file holding a KServe InferenceService")
    try:
        manifests = load_manifests(manifest_path(written))
    except ScenarioError as error:
        raise ValueError(f"from: in {written}: {error}") from None
    services = manifests.inference_services
    if not services:
        raise ValueError(f"from: {written} holds no KServe InferenceService; expected one (serving.kserve.io/v1beta1 "
                         "or serving.kubeflow.org/v1beta1)")
    if name is None and len(services) > 1:
        raise ValueError(f"from: {written} holds InferenceServices {', '.join(services)}; expected "
                         "inferenceService: NAME to choose")
    chosen = name if name is not None else next(iter(services))
    if chosen not in services:
        raise ValueError(f"inferenceService: got '{chosen}'{suggest(str(chosen), list(services))}; expected one of "
                         f"{', '.join(services)}")
    settings = services[chosen].service_settings()
    for key, value in settings.items():
        if key in rest and rest[key] != value:
            raise ValueError(f"{key}: got {rest[key]!r} beside from; expected none, since InferenceService {chosen} "
                             f"sets it ({value!r})")
    return {**rest, **settings}
