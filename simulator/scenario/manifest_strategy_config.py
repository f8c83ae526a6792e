"""A strategy read from the team's rollout manifests: ``strategies: {NAME: {from: path.yaml}}``.

The path is relative to the scenario file (a file of several documents, or a
directory). The manifests are read and checked when the scenario loads
(:mod:`simulator.scenario.manifests`); the config keeps the path as written
and where it was found, so that the scenario stays plain data and the
strategy can be made in any process.

* An Argo ``Rollout`` runs, with a ``canary`` strategy (its steps, pauses,
  analysis steps and background analysis) or a ``blueGreen`` one (the
  preview, pre- and post-promotion analysis, auto-promotion; see
  :mod:`simulator.strategies.argo`): :class:`ArgoRolloutConfig`, with the
  operator's promotes (``promoteAt``).
* A Flagger ``Canary`` runs (its analysis every ``interval``, metrics and
  MetricTemplates queried from the simulated Prometheus, webhooks as gates;
  see :mod:`simulator.strategies.flagger`): :class:`FlaggerCanaryConfig`.
  Its webhooks call nothing here; the scenario says what each answers, and
  from when::

      strategies:
        flagger:
          from: peers/flagger-canary.yaml
          webhooks:
            approve-promotion: [{at: 0s, result: hold}, {at: 20m, result: pass}]
            load-test: fail                # from the start: the same as [{at: 0s, result: fail}]

  ``pass`` is a 2xx answer, ``fail`` any other; ``hold`` is ``fail`` said of
  a gate (``confirm-rollout``, ``confirm-traffic-increase``,
  ``confirm-promotion``), which holds the canary until it passes. A
  webhook not named answers ``pass``, except a ``rollback`` webhook, which
  answers ``fail`` (a ``pass`` from it rolls the canary back).

  A Canary with ``analysis.match`` (A/B testing by HTTP headers or cookies)
  needs ``matchShare``: the share of users whose requests match (a fraction
  0-1 or a percent: ``matchShare: 10%``). Simulated users carry no headers;
  these users, each always the same ones, are the ones whose requests go to
  the canary.

Which kind an entry runs: ``rollout: NAME`` or ``promoteAt`` pick Argo,
``canary: NAME`` or ``webhooks`` pick Flagger; otherwise the one kind the
manifests hold.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.errors import ScenarioError
from simulator.scenario.base import CamelModel, suggest
from simulator.scenario.strategy_base import StrategyBase
from simulator.scenario.types import Duration, Fraction
from simulator.scenario.validation_errors import validation_to_scenario_error

if TYPE_CHECKING:  # the manifest models load when a scenario names manifests, not at start-up
    from simulator.scenario.manifests import Canary, ManifestSet

__all__ = ["ArgoRolloutConfig", "FlaggerCanaryConfig", "WebhookAnswer", "ManifestStrategyConfig",
           "manifest_strategy", "manifest_path", "scenario_directory", "GATE_WEBHOOKS", "ANSWERED_WEBHOOKS"]

_DIRECTORY: ContextVar[Path | None] = ContextVar("scenario_directory", default=None)

GATE_WEBHOOKS = ("confirm-rollout", "confirm-traffic-increase", "confirm-promotion")
"""Flagger webhooks that hold the canary while they fail (``hold`` is said of these)."""

ANSWERED_WEBHOOKS = (*GATE_WEBHOOKS, "pre-rollout", "rollout", "rollback")
"""Flagger webhooks whose answer changes what the canary does (``post-rollout`` and ``event`` only notify)."""


@contextmanager
def scenario_directory(source: str | None):  # type: ignore[no-untyped-def]
    """Resolve ``from:`` paths inside this block relative to the directory of the scenario file ``source``."""
    directory = Path(source).resolve().parent if source and Path(source).is_file() else None
    token = _DIRECTORY.set(directory)
    try:
        yield
    finally:
        _DIRECTORY.reset(token)


class _FromManifests(StrategyBase):
    """Keys of every strategy read from manifests."""

    from_: str = Field(alias="from", description="the manifest file or directory, relative to the scenario file")
    path: str = Field(description="where the manifests were found (filled in when the scenario loads)")

    @model_validator(mode="after")
    def _nothing_around_it(self) -> _FromManifests:
        if self.test_suite is not None or self.post_promotion is not None:
            raise ValueError("got testSuite or postPromotion beside from; expected the manifests alone (put "
                             "analysis in the manifests' own templates)")
        return self

    def manifests(self) -> ManifestSet:
        """The manifests, read again from :attr:`path`."""
        from simulator.scenario.manifests import load_manifests

        return load_manifests(self.path)


class ArgoRolloutConfig(_FromManifests):
    """An Argo Rollouts canary or blue-green, run from the team's own ``Rollout`` and ``AnalysisTemplate`` manifests."""

    kind: ClassVar[str] = "argo_rollout"
    rollout: str | None = Field(None, description="the Rollout's metadata.name, when the manifests hold several")
    promote_at: list[Duration] = Field(
        default_factory=list,
        description="times of an operator's promote (kubectl argo rollouts promote), seconds: each releases a "
                    "pause without duration (or a blue-green's pause before the switch), or an inconclusive "
                    "analysis, or skips the current canary step",
    )


class WebhookAnswer(CamelModel):
    """From ``at`` seconds into the run on, a Flagger webhook answers ``result`` (until a later answer)."""

    at: Duration = Field(0.0, ge=0, description="seconds into the run from which the webhook answers so")
    result: Literal["pass", "fail", "hold"] = Field(
        description="pass (a 2xx answer), fail (any other), hold (fail, said of a confirm-* gate)")


class FlaggerCanaryConfig(_FromManifests):
    """A Flagger canary, run from the team's own ``Canary`` and ``MetricTemplate`` manifests.

    ``webhooks`` says what each of the Canary's webhooks (by ``name``)
    answers, and from when (see the module's notes); a webhook not named
    answers ``pass`` throughout (a ``rollback`` webhook ``fail``).
    """

    kind: ClassVar[str] = "flagger_canary"
    canary: str | None = Field(None, description="the Canary's metadata.name, when the manifests hold several")
    webhooks: dict[str, list[WebhookAnswer]] = Field(
        default_factory=dict,
        description="webhook name -> its answers from given times: [{at: 10m, result: pass}] (or one result "
                    "from the start: fail); a webhook not named passes (a rollback webhook fails)",
    )

    match_share: Fraction | None = Field(
        None, gt=0, le=1,
        description="share of users whose requests match the Canary's analysis.match (A/B testing): 0-1 or '10%'",
    )

    @field_validator("webhooks", mode="before")
    @classmethod
    def _one_result_from_the_start(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: [{"at": 0.0, "result": answers}] if isinstance(answers, str) else answers
                    for name, answers in value.items()}
        return value

    @model_validator(mode="after")
    def _one_answer_at_a_time(self) -> FlaggerCanaryConfig:
        for name, answers in self.webhooks.items():
            times = [answer.at for answer in answers]
            if not answers:
                raise ValueError(f"webhooks.{name}: got no answers; expected a result, or a list of "
                                 "{at, result}")
            if len(set(times)) != len(times):
                raise ValueError(f"webhooks.{name}: got two answers at the same time ({sorted(times)} s); expected "
                                 "one result at each time")
        return self

    def answers(self, name: str) -> list[WebhookAnswer]:
        """The scenario's answers of webhook ``name``, in time order (none: the default answer throughout)."""
        return sorted(self.webhooks.get(name, []), key=lambda answer: answer.at)


ManifestStrategyConfig = ArgoRolloutConfig | FlaggerCanaryConfig
"""A strategy read from manifests."""

_ARGO_KEYS = ("rollout", "promoteAt", "promote_at")
_FLAGGER_KEYS = ("canary", "webhooks", "matchShare", "match_share")


def manifest_path(written: str) -> str:
    """Where a ``from:`` path written in the scenario file points: relative to the file's directory."""
    directory = _DIRECTORY.get()
    return str((directory / written) if directory is not None and not Path(written).is_absolute()
               else Path(written).resolve())


def _check_webhook_names(config: FlaggerCanaryConfig, canary: Canary, path: str) -> None:
    """Each webhook the scenario answers is one of the Canary's, and one whose answer matters."""
    kinds = {hook.name: hook.kind for hook in canary.spec.analysis.webhooks}
    for name, answers in config.webhooks.items():
        where = f"{path}.webhooks.{name}"
        if name not in kinds:
            raise ScenarioError(f"got webhook '{name}'{suggest(name, list(kinds))}; expected one of Canary "
                                f"{canary.name}'s webhooks: {', '.join(kinds) or 'it has none'}", path=where,
                                value=name)
        kind = kinds[name]
        if kind not in ANSWERED_WEBHOOKS:
            raise ScenarioError(f"webhook '{name}' is a {kind} webhook, which only notifies; expected one of the "
                                f"webhooks whose answer changes the rollout ({', '.join(ANSWERED_WEBHOOKS)})",
                                path=where, value=name)
        if kind not in GATE_WEBHOOKS and any(answer.result == "hold" for answer in answers):
            raise ScenarioError(f"webhook '{name}' is a {kind} webhook: it passes or fails, only a gate "
                                f"({', '.join(GATE_WEBHOOKS)}) holds; expected pass or fail",
                                path=where, value="hold")


def _check_match_share(config: FlaggerCanaryConfig, canary: Canary, path: str) -> None:
    """``matchShare`` is there when the Canary matches requests (A/B testing), and only then."""
    match = canary.spec.analysis.match
    if match and config.match_share is None:
        raise ScenarioError(f"Canary {canary.name} routes the requests that match analysis.match to the canary, and "
                            "simulated users carry no headers; expected the share of users whose requests match, "
                            "such as matchShare: 10%", path=f"{path}.matchShare", value=None)
    if not match and config.match_share is not None:
        raise ScenarioError(f"got matchShare {config.match_share:g} but Canary {canary.name} has no analysis.match; "
                            "expected matchShare only for A/B testing", path=f"{path}.matchShare",
                            value=config.match_share)


def _which_kind(manifests: ManifestSet, rest: dict[str, Any], written: str, path: str) -> str:
    """``argo`` or ``flagger``: what the entry runs (see the module's notes)."""
    argo_keys = [key for key in _ARGO_KEYS if key in rest]
    flagger_keys = [key for key in _FLAGGER_KEYS if key in rest]
    if argo_keys and flagger_keys:
        raise ScenarioError(f"got {', '.join(argo_keys)} (an Argo Rollout's) beside {', '.join(flagger_keys)} (a "
                            "Flagger Canary's); expected the keys of one kind", path=path, value=argo_keys[0])
    if argo_keys or (manifests.rollouts and not manifests.canaries):
        return "argo"
    if flagger_keys or (manifests.canaries and not manifests.rollouts):
        return "flagger"
    if manifests.rollouts and manifests.canaries:
        raise ScenarioError(f"{written} holds both Argo Rollouts ({', '.join(manifests.rollouts)}) and Flagger "
                            f"Canaries ({', '.join(manifests.canaries)}); expected rollout: NAME or canary: NAME to "
                            "choose", path=f"{path}.from", value=written)
    raise ScenarioError(f"{written} holds neither an Argo Rollout, a Flagger Canary nor a KServe InferenceService; "
                        "expected one to run",
                        path=f"{path}.from", value=written)


def manifest_strategy(path: str, config: dict[str, Any]) -> StrategyBase:
    """The config of ``strategies.LABEL`` written as ``{from: ...}``; raises :class:`ScenarioError` (at ``path``)."""
    written = config.get("from")
    if not isinstance(written, str) or not written.strip():
        raise ScenarioError(f"got {written!r}; expected the path of a manifest file or directory",
                            path=f"{path}.from", value=written)
    found = config.get("path")
    if not isinstance(found, str):
        found = manifest_path(written)
    try:
        from simulator.scenario.manifests import load_manifests

        manifests = load_manifests(found)
    except ScenarioError as error:
        raise ScenarioError(f"in {written}: {error}", path=f"{path}.from", value=written) from None
    rest = {key: value for key, value in config.items() if key not in ("from", "path")}
    if manifests.inference_services and not manifests.rollouts and not manifests.canaries:
        return _kserve_canary(manifests, rest, written, path)
    if _which_kind(manifests, rest, written, path) == "flagger":
        return _flagger(manifests, rest, written, found, path, config)
    try:
        manifests.rollout(rest.get("rollout"))  # the Rollout named is there
    except ScenarioError as error:
        raise ScenarioError(f"in {written}: {error}", path=f"{path}.from", value=written) from None
    try:
        return ArgoRolloutConfig.model_validate({**rest, "from": written, "path": found})
    except ValidationError as error:
        raise validation_to_scenario_error(error, None, config).located(path_prefix=path) from None


def _kserve_canary(manifests: ManifestSet, rest: dict[str, Any], written: str, path: str) -> StrategyBase:
    """A KServe InferenceService's canary: its ``canaryTrafficPercent`` held for ``monitoringDuration``, then
    the rollback thresholds decide between all traffic on the new revision and none (seed 002's defaults).

    The canary names its InferenceService (``inference_service``): an operator's promote from the scenario's
    operations is its ``canaryTrafficPercent: 100`` (see :class:`~simulator.strategies.canary.CanaryStrategy`).
    """
    from simulator.scenario.canary_config import CanaryConfig
    from simulator.scenario.strategy_config import ImmediateConfig

    name = rest.pop("inferenceService", rest.pop("inference_service", None))
    services = manifests.inference_services
    if name is None and len(services) > 1:
        raise ScenarioError(f"{written} holds InferenceServices {', '.join(services)}; expected inferenceService: "
                            "NAME to choose", path=f"{path}.from", value=written)
    chosen = name if name is not None else next(iter(services))
    if chosen not in services:
        raise ScenarioError(f"got '{chosen}'{suggest(str(chosen), list(services))}; expected one of the "
                            f"InferenceServices in {written}: {', '.join(services)}", path=f"{path}.inferenceService",
                            value=chosen)
    percent = services[chosen].canary_traffic_percent
    derived = {"initialPercentage": percent, "incrementStep": None if percent is None else 100 - percent}
    for key, value in derived.items():
        if key in rest and rest[key] != value:
            raise ScenarioError(f"got {key} {rest[key]!r} beside from; expected none (InferenceService {chosen}'s "
                                f"canaryTrafficPercent {percent} sets it)", path=f"{path}.{key}", value=rest[key])
    try:
        if percent is None or percent == 100:  # no canary: the new revision takes all traffic once ready
            return ImmediateConfig.model_validate({key: value for key, value in rest.items()
                                                   if key not in derived})
        if percent == 0:
            raise ScenarioError(f"InferenceService {chosen} in {written}: canaryTrafficPercent 0 sends the new "
                                "revision no traffic; expected 1 to 100 (or none) to roll it out",
                                path=f"{path}.from", value=written)
        # inferenceService marks the canary as the KServe operator's, so that it takes promotes.
        return CanaryConfig.model_validate({**rest, **derived, "inferenceService": chosen})
    except ValidationError as error:
        raise validation_to_scenario_error(error, None, rest).located(path_prefix=path) from None


def _flagger(manifests: ManifestSet, rest: dict[str, Any], written: str, found: str, path: str,
             config: dict[str, Any]) -> FlaggerCanaryConfig:
    try:
        flagger = FlaggerCanaryConfig.model_validate({**rest, "from": written, "path": found})
    except ValidationError as error:
        raise validation_to_scenario_error(error, None, config).located(path_prefix=path) from None
    try:
        canary = manifests.canary(flagger.canary)
    except ScenarioError as error:
        where = f"{path}.canary" if flagger.canary is not None else f"{path}.from"
        raise ScenarioError(f"in {written}: {error}", path=where, value=flagger.canary or written) from None
    _check_webhook_names(flagger, canary, path)
    _check_match_share(flagger, canary, path)
    return flagger
