"""A strategy read from Argo Rollouts manifests: ``strategies: {NAME: {from: path.yaml}}``.

The path is relative to the scenario file (a file of several documents, or a
directory). The manifests are read and checked when the scenario loads
(:mod:`simulator.scenario.manifests`); the config keeps the path as written
and where it was found, so that the scenario stays plain data and the
strategy can be made in any process.

An Argo ``Rollout`` with a ``canary`` strategy runs (its steps, pauses,
analysis steps and background analysis; see
:mod:`simulator.strategies.argo`). A ``blueGreen`` Rollout and a Flagger
``Canary`` are read and checked (``rollout-sim validate``) but not yet run:
loading a scenario that runs one is an error that says so.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field, ValidationError, model_validator

from simulator.errors import ScenarioError
from simulator.scenario.manifests import ManifestSet, load_manifests
from simulator.scenario.strategy_base import StrategyBase
from simulator.scenario.types import Duration
from simulator.scenario.validation_errors import validation_to_scenario_error

__all__ = ["ArgoRolloutConfig", "manifest_strategy", "scenario_directory"]

_DIRECTORY: ContextVar[Path | None] = ContextVar("scenario_directory", default=None)


@contextmanager
def scenario_directory(source: str | None):  # type: ignore[no-untyped-def]
    """Resolve ``from:`` paths inside this block relative to the directory of the scenario file ``source``."""
    directory = Path(source).resolve().parent if source and Path(source).is_file() else None
    token = _DIRECTORY.set(directory)
    try:
        yield
    finally:
        _DIRECTORY.reset(token)


class ArgoRolloutConfig(StrategyBase):
    """An Argo Rollouts canary, run from the team's own ``Rollout`` and ``AnalysisTemplate`` manifests."""

    kind: ClassVar[str] = "argo_rollout"
    from_: str = Field(alias="from", description="the manifest file or directory, relative to the scenario file")
    path: str = Field(description="where the manifests were found (filled in when the scenario loads)")
    rollout: str | None = Field(None, description="the Rollout's metadata.name, when the manifests hold several")
    promote_at: list[Duration] = Field(
        default_factory=list,
        description="times of an operator's promote (kubectl argo rollouts promote), seconds: each releases a "
                    "pause without duration, or an inconclusive analysis, or skips the current step",
    )

    @model_validator(mode="after")
    def _nothing_around_it(self) -> ArgoRolloutConfig:
        if self.test_suite is not None or self.post_promotion is not None:
            raise ValueError("got testSuite or postPromotion beside from; expected the manifests alone (put "
                             "analysis in the Rollout's AnalysisTemplates)")
        return self

    def manifests(self) -> ManifestSet:
        """The manifests, read again from :attr:`path`."""
        return load_manifests(self.path)


def manifest_strategy(path: str, config: dict[str, Any]) -> ArgoRolloutConfig:
    """The config of ``strategies.LABEL`` written as ``{from: ...}``; raises :class:`ScenarioError` (at ``path``)."""
    written = config.get("from")
    if not isinstance(written, str) or not written.strip():
        raise ScenarioError(f"got {written!r}; expected the path of a manifest file or directory",
                            path=f"{path}.from", value=written)
    found = config.get("path")
    if not isinstance(found, str):
        directory = _DIRECTORY.get()
        found = str((directory / written) if directory is not None and not Path(written).is_absolute()
                    else Path(written).resolve())
    try:
        manifests = load_manifests(found)
    except ScenarioError as error:
        raise ScenarioError(f"in {written}: {error}", path=f"{path}.from", value=written) from None
    rest = {key: value for key, value in config.items() if key not in ("from", "path")}
    if manifests.canaries and not manifests.rollouts:
        raise ScenarioError(f"{written} holds a Flagger Canary; running Flagger manifests is not supported yet "
                            "(rollout-sim validate checks them); expected an Argo Rollout",
                            path=f"{path}.from", value=written)
    try:
        rollout = manifests.rollout(rest.get("rollout"))
    except ScenarioError as error:
        raise ScenarioError(f"in {written}: {error}", path=f"{path}.from", value=written) from None
    if rollout.spec.strategy.canary is None:
        raise ScenarioError(f"Rollout {rollout.name} in {written} is a blueGreen Rollout; running it is not "
                            "supported yet (rollout-sim validate checks it); expected a canary Rollout",
                            path=f"{path}.from", value=written)
    try:
        return ArgoRolloutConfig.model_validate({**rest, "from": written, "path": found})
    except ValidationError as error:
        raise validation_to_scenario_error(error, None, config).located(path_prefix=path) from None
