"""The validated, frozen scenario: everything one simulated rollout needs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from simulator.errors import ScenarioError
from simulator.scenario.base import StrictModel, suggest
from simulator.scenario.drift_config import (
    DEFAULT_FEATURES,
    DriftConfig,
    FeaturesConfig,
    NumericFeature,
    RetrainingConfig,
)
from simulator.scenario.strategy_config import (
    STRATEGY_CONFIGS,
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
    ShadowConfig,
    resolve_strategy_kind,
)
from simulator.scenario.types import Duration
from simulator.scenario.world_config import (
    Fault,
    MonitoringConfig,
    RollbackOperation,
    ServiceConfig,
    SimulationConfig,
    SLOConfig,
    TrafficConfig,
    VersionConfig,
)

__all__ = ["Scenario", "NO_STRATEGY_LABEL"]

NO_STRATEGY_LABEL = "none"
"""Label of the single run of a scenario without strategies (steady serving)."""

AnyStrategyConfig = CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig


class Scenario(StrictModel):
    """A rollout scenario: the world, the versions, and the strategies to try."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: int = Field(0, ge=0, description="seed of the first run; run i uses seed + i")
    horizon: Duration = Field(3600.0, gt=0, description="simulated time a run may take at most, seconds")
    runs: int = Field(30, ge=1, description="Monte Carlo repetitions for compare and check")
    traffic: TrafficConfig
    service: ServiceConfig
    versions: dict[str, VersionConfig] = Field(min_length=1)
    stable: str
    candidate: str | None = None
    faults: list[Fault] = Field(default_factory=list)
    features: FeaturesConfig | None = Field(
        None, description="features requests carry (default: three numeric, two categorical)"
    )
    drift: DriftConfig | None = Field(None, description="data and concept drift over time")
    retraining: RetrainingConfig | None = Field(None, description="retrain on drift or schedule, then roll out")
    operations: list[RollbackOperation] = Field(
        default_factory=list, description="operator actions at given times (rollback to a version)"
    )
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    strategies: dict[str, AnyStrategyConfig] = Field(default_factory=dict)
    slo: SLOConfig | None = Field(None, description="objectives whose violated minutes experiments count")
    truth: Literal["good", "bad"] | None = Field(
        None, description="whether the candidate should be promoted (default: derived from the versions)"
    )
    prediction_correlation: float = Field(
        0.95, ge=0, le=1,
        description="correlation of two versions' errors on the same request (two versions of one model mostly agree)",
    )
    expect: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="per strategy label, expected figures (read by `check`)"
    )
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)

    @field_validator("strategies", mode="before")
    @classmethod
    def _strategies_by_kind(cls, raw: Any) -> Any:
        # Errors here are raised as ScenarioError (not ValueError) so that they
        # keep their own key path through pydantic.
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise ValueError("expected a map from a label to a strategy config")
        parsed: dict[str, Any] = {}
        for label, config in raw.items():
            path = f"strategies.{label}"
            if isinstance(config, tuple(STRATEGY_CONFIGS.values())):
                parsed[str(label)] = config
                continue
            if config is None:
                config = {}
            if not isinstance(config, dict):
                raise ScenarioError(f"got {config!r}; expected a map of settings", path=path, value=config)
            kind_name = config.get("strategy", label)
            try:
                kind = resolve_strategy_kind(str(kind_name))
            except ValueError as error:
                where = f"{path}.strategy" if "strategy" in config else path
                raise ScenarioError(str(error), path=where, value=kind_name) from None
            try:
                parsed[str(label)] = STRATEGY_CONFIGS[kind].model_validate(config)
            except ValidationError as error:
                from simulator.scenario.loader import validation_to_scenario_error

                raise validation_to_scenario_error(error, None).located(path_prefix=path) from None
        return parsed

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = list(self.versions)

        def known(name: str, path: str, what: str) -> None:
            if name not in self.versions:
                raise ScenarioError(
                    f"got '{name}'; expected the name of a version{suggest(name, names)} ({', '.join(names)})",
                    path=path,
                    value=name,
                )

        known(self.stable, "stable", "stable")
        if self.candidate is not None:
            known(self.candidate, "candidate", "candidate")
            if self.candidate == self.stable:
                raise ScenarioError(
                    f"got '{self.candidate}', the stable version; expected another version", path="candidate"
                )
        if self.strategies and self.candidate is None and self.retraining is None:
            raise ScenarioError("missing key; strategies need a candidate version to roll out", path="candidate")
        if self.retraining is not None:
            if self.retraining.deploy_with not in self.strategies:
                raise ScenarioError(
                    f"got '{self.retraining.deploy_with}'; expected a strategy label"
                    f"{suggest(self.retraining.deploy_with, list(self.strategies))} ({', '.join(self.strategies)})",
                    path="retraining.deploy_with",
                )
            try:
                VersionConfig.model_validate(self.retraining.produces)
            except ValidationError as error:
                from simulator.scenario.loader import validation_to_scenario_error

                raise validation_to_scenario_error(error, None).located(path_prefix="retraining.produces") from None
        categorical = self.feature_set().categorical
        for name, version_config in self.all_versions().items():
            for key in version_config.segments:
                feature, value = key.split("=")
                if feature not in categorical or value not in categorical[feature].categories:
                    choices = [f"{f}={c}" for f, spec in categorical.items() for c in spec.categories]
                    raise ScenarioError(
                        f"got '{key}'; expected a categorical feature and category{suggest(key, choices)}",
                        path=f"versions.{name}.segments" if name in self.versions else "retraining.produces.segments",
                    )
        if self.drift is not None and self.drift.concept is not None:
            for version in self.drift.concept.accuracy_loss:
                if version not in self.all_versions():
                    known(version, f"drift.concept.accuracy_loss.{version}", "version")
        if NO_STRATEGY_LABEL in self.strategies:
            raise ScenarioError(
                f"'{NO_STRATEGY_LABEL}' is reserved for steady serving; expected another label",
                path=f"strategies.{NO_STRATEGY_LABEL}",
            )
        for index, operation in enumerate(self.operations):
            if operation.rollback_to != "previous":
                known(operation.rollback_to, f"operations[{index}].rollback_to", "operation")
        for index, fault in enumerate(self.faults):
            fault_version = getattr(fault, "version", None)
            if fault_version is not None:
                known(fault_version, f"faults[{index}].version", "fault")
        return self

    def retrained_names(self) -> list[str]:
        """Names the retrained versions will have, in order."""
        if self.retraining is None:
            return []
        return [f"{self.stable}-retrained-{i}" for i in range(1, self.retraining.max_retrains + 1)]

    def all_versions(self) -> dict[str, VersionConfig]:
        """The declared versions, then the versions retraining may produce."""
        versions = dict(self.versions)
        if self.retraining is not None:
            produced = VersionConfig.model_validate(self.retraining.produces)
            versions.update({name: produced for name in self.retrained_names()})
        return versions

    def feature_set(self) -> FeaturesConfig:
        """The features requests carry: declared (or the defaults) plus any drifted feature not declared.

        A drifted feature that is not declared is numeric and standard normal.
        """
        features = self.features or DEFAULT_FEATURES
        numeric = dict(features.numeric)
        for drift in self.drift.data if self.drift else []:
            if drift.feature not in numeric and drift.feature not in features.categorical:
                numeric[drift.feature] = NumericFeature()
        return FeaturesConfig(numeric=numeric, categorical=dict(features.categorical))

    @property
    def labels(self) -> list[str]:
        """Strategy labels in file order, or ``["none"]`` for a scenario without strategies."""
        return list(self.strategies) or [NO_STRATEGY_LABEL]

    def seeds(self, runs: int | None = None) -> list[int]:
        """The seeds of the scenario's Monte Carlo runs."""
        return [self.seed + index for index in range(runs or self.runs)]
