"""The validated, frozen scenario: everything one simulated rollout needs."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from simulator.errors import ScenarioError
from simulator.scenario.base import StrictModel, suggest
from simulator.scenario.drift_config import (
    DEFAULT_FEATURES,
    DriftConfig,
    FeaturesConfig,
    NumericFeature,
    RetrainingConfig,
)
from simulator.scenario.expect_block import check_expect_block
from simulator.scenario.limits import (
    MAX_DRIFT_CHECKS,
    MAX_HISTOGRAM_CELLS,
    MAX_HORIZON,
    MAX_RATE,
    MAX_RUNS,
    MAX_SEED,
    MAX_USER_SLOTS,
    MAX_WAKEUPS,
)
from simulator.scenario.manifest_strategy_config import ArgoRolloutConfig, FlaggerCanaryConfig, manifest_strategy
from simulator.scenario.region_config import RegionConfig, check_regions, fill_service_replicas
from simulator.scenario.rule_sources import resolve_rule_sources
from simulator.scenario.strategy_base import StrategyBase
from simulator.scenario.strategy_config import (
    STRATEGY_CONFIGS,
    ABTestConfig,
    BlueGreenConfig,
    CanaryConfig,
    ImmediateConfig,
    RollingConfig,
    ShadowConfig,
    WavesConfig,
    resolve_strategy_kind,
)
from simulator.scenario.strategy_kinds import strategy_for_criticality
from simulator.scenario.types import Count, Duration, Fraction, at_most
from simulator.scenario.validation_errors import format_limit, validation_to_scenario_error
from simulator.scenario.world_config import (
    DiurnalPattern,
    ErrorRateFault,
    Fault,
    LatencyFault,
    MonitoringConfig,
    Operation,
    PromoteOperation,
    ServiceConfig,
    SimulationConfig,
    SLOConfig,
    SpikePattern,
    TrafficConfig,
    TrafficSpikeFault,
    VersionConfig,
)
from simulator.units import parse_duration

__all__ = ["Scenario", "parse_strategy", "NO_STRATEGY_LABEL", "WHAT_IF_AT_ONCE", "WHAT_IF_NEVER", "YARDSTICK_LABELS"]

NO_STRATEGY_LABEL = "none"

WHAT_IF_AT_ONCE = "what-if: at once"
"""The yardstick run that switches everyone to the candidate as soon as it is up (no checks)."""

WHAT_IF_NEVER = "what-if: never"
"""The yardstick run that never deploys the candidate (the stable version serves the whole window)."""

YARDSTICK_LABELS = (WHAT_IF_AT_ONCE, WHAT_IF_NEVER)
"""The what-if runs every strategy is measured between."""
"""Label of the single run of a scenario without strategies (steady serving)."""

AnyStrategyConfig = (CanaryConfig | BlueGreenConfig | RollingConfig | ImmediateConfig | ABTestConfig | ShadowConfig
                     | WavesConfig                     | ArgoRolloutConfig | FlaggerCanaryConfig)

Horizon = Annotated[float, BeforeValidator(at_most(parse_duration, MAX_HORIZON, "seconds (400 days)"))]
"""The simulated time a run may take at most, seconds; at most 400 days."""


def _series_note(stores: int) -> str:
    """`` x 4 series (all regions, and each)`` where regions multiply the monitoring series; else nothing."""
    return f" x {stores} series (all regions, and each)" if stores > 1 else ""


def _strategy_from_criticality(config: dict[str, Any], path: str) -> dict[str, Any]:
    """``{criticality: high, ...}`` -> ``{strategy: canary, ...}`` (seed guide 002's selection table)."""
    criticality = config["criticality"]
    if "strategy" in config:
        raise ScenarioError(
            f"got criticality '{criticality}' beside strategy '{config['strategy']}'; expected one of them "
            "(criticality only picks the default strategy, so it has no effect when strategy is set)",
            path=f"{path}.criticality", value=criticality,
        )
    try:
        kind = strategy_for_criticality(str(criticality))
    except ValueError as error:
        raise ScenarioError(str(error), path=f"{path}.criticality", value=criticality) from None
    rest = {key: value for key, value in config.items() if key != "criticality"}
    return {"strategy": kind, **rest}


def parse_strategy(label: str, config: Any) -> StrategyBase:
    """One entry of ``strategies``: its kind from ``strategy``, ``criticality`` or the label, then its config.

    Raises a :class:`ScenarioError` whose path starts at ``strategies.LABEL``.
    """
    path = f"strategies.{label}"
    if isinstance(config, StrategyBase):
        return config
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise ScenarioError(f"got {config!r}; expected a map of settings", path=path, value=config)
    if "from" in config:  # Argo Rollouts or Flagger manifests, read as they are
        return manifest_strategy(path, config)
    if "criticality" in config:
        config = _strategy_from_criticality(config, path)
    kind_name = config.get("strategy") or label
    try:
        kind = resolve_strategy_kind(str(kind_name))
    except ValueError as error:
        where = f"{path}.strategy" if "strategy" in config else path
        raise ScenarioError(str(error), path=where, value=kind_name) from None
    try:
        return STRATEGY_CONFIGS[kind].model_validate(config)
    except ValidationError as error:
        raise validation_to_scenario_error(error, None, config).located(path_prefix=path) from None
    except ScenarioError as error:  # raised inside a config with its own path (a Waves strategy's each)
        raise error.located(path_prefix=path) from None


class Scenario(StrictModel):
    """A rollout scenario: the world, the versions, and the strategies to try."""

    name: str = Field(min_length=1)
    description: str = ""
    seed: Count = Field(0, ge=0, le=MAX_SEED, description="seed of the first run; run i uses seed + i")
    horizon: Horizon = Field(3600.0, gt=0, description="simulated time a run may take at most, seconds")
    runs: Count = Field(30, ge=1, le=MAX_RUNS, description="Monte Carlo repetitions for compare and check")
    observe: Duration | None = Field(
        None, gt=0,
        description="the window every run is simulated for, from the start, after its decision too, so that every "
                    "strategy's figures cover the same time (seconds; default: the horizon; at most the horizon)",
    )
    traffic: TrafficConfig
    service: ServiceConfig
    regions: dict[str, RegionConfig] | None = Field(
        None, description="regions, each its own pool of replicas with its share of the traffic (default: one); "
                          "service then gives the settings they share",
    )
    versions: dict[str, VersionConfig] = Field(min_length=1)
    stable: str
    candidate: str | None = None
    faults: list[Fault] = Field(default_factory=list)
    features: FeaturesConfig | None = Field(
        None, description="features requests carry (default: three numeric, two categorical)"
    )
    drift: DriftConfig | None = Field(None, description="data and concept drift over time")
    retraining: RetrainingConfig | None = Field(None, description="retrain on drift or schedule, then roll out")
    operations: list[Operation] = Field(
        default_factory=list,
        description="operator actions at given times (rollback to a version, or promote an Argo Rollout "
                    "or a KServe InferenceService's canary)",
    )
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    strategies: dict[str, AnyStrategyConfig] = Field(default_factory=dict)
    slo: SLOConfig | None = Field(None, description="objectives whose violated minutes experiments count")
    truth: Literal["good", "bad"] | None = Field(
        None, description="whether the candidate should be promoted (default: derived from the versions)"
    )
    prediction_correlation: Fraction = Field(
        0.95, ge=0, le=1,
        description="correlation of two versions' errors on the same request (two versions of one model mostly agree)",
    )
    expect: dict[str, Any] = Field(
        default_factory=dict,
        description="expected figures per strategy label, and an optional `confidence` (0-1) for all of them "
                    "(judged by `check`)",
    )
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)

    @model_validator(mode="before")
    @classmethod
    def _replicas_from_regions(cls, data: Any) -> Any:
        return fill_service_replicas(data)

    @field_validator("strategies", mode="before")
    @classmethod
    def _strategies_by_kind(cls, raw: Any) -> Any:
        # Errors here are raised as ScenarioError (not ValueError) so that they
        # keep their own key path through pydantic.
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            raise ValueError("expected a map from a label to a strategy config")
        return {str(label): parse_strategy(str(label), config) for label, config in raw.items()}

    @field_validator("expect", mode="before")
    @classmethod
    def _expect_structure(cls, raw: Any) -> Any:
        return check_expect_block(raw)

    @model_validator(mode="after")
    def _cross_references(self) -> Scenario:
        names = list(self.versions)
        if self.observe is not None and self.observe > self.horizon:
            raise ScenarioError(f"got {self.observe:g}s, longer than the horizon ({self.horizon:g}s); expected a "
                                "window of at most the horizon", path="observe", value=self.observe)

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
            if getattr(self.strategies[self.retraining.deploy_with], "baseline", "stable") == "fresh":
                raise ScenarioError(
                    "got baseline: fresh for the strategy retraining deploys with; expected baseline: stable "
                    "(a fresh baseline is started for the scenario's own candidate only)",
                    path=f"strategies.{self.retraining.deploy_with}.baseline", value="fresh",
                )
            for name in self.retrained_names():
                if name in self.versions:
                    raise ScenarioError(
                        f"got '{name}'; expected another name (retraining names its versions "
                        f"'{self.stable}-retrained-1', '-2', ...)",
                        path=f"versions.{name}",
                    )
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
        for label, strategy_config in self.strategies.items():
            suite = strategy_config.test_suite
            attributes = suite.protected_attributes if suite is not None else None
            for index, attribute in enumerate(attributes or []):
                if attribute not in categorical:
                    raise ScenarioError(
                        f"got '{attribute}'; expected a categorical feature{suggest(attribute, list(categorical))} "
                        f"({', '.join(categorical) or 'none declared'})",
                        path=f"strategies.{label}.testSuite.protectedAttributes[{index}]", value=attribute,
                    )
        if self.drift is not None and self.drift.concept is not None:
            for version in self.drift.concept.accuracy_loss:
                if version not in self.all_versions():
                    known(version, f"drift.concept.accuracy_loss.{version}", "version")
        for reserved in (NO_STRATEGY_LABEL, *YARDSTICK_LABELS):
            if reserved in self.strategies:
                raise ScenarioError(
                    f"'{reserved}' is reserved (steady serving and the what-if yardsticks); expected another label",
                    path=f"strategies.{reserved}",
                )
        for index, operation in enumerate(self.operations):
            if isinstance(operation, PromoteOperation):
                self._check_promote(index, operation)
            elif operation.rollback_to != "previous":
                known(operation.rollback_to, f"operations[{index}].rollback_to", "operation")
        for index, fault in enumerate(self.faults):
            fault_version = getattr(fault, "version", None)
            if fault_version is not None:
                known(fault_version, f"faults[{index}].version", "fault")
        check_regions(self)
        if self.regions:
            scaled = (["service.autoscaling"] if self.service.autoscaling is not None else []) + [
                f"versions.{name}.autoscaling" for name, version in self.versions.items()
                if version.autoscaling is not None]
            if scaled:
                raise ScenarioError("got autoscaling in a scenario with regions; expected one or the other "
                                    "(autoscaling per region is not simulated yet)", path=scaled[0])
        self._check_scale_to_zero()
        waves = {f"{label}.each": config.each for label, config in self.strategies.items()
                 if isinstance(config, WavesConfig)}
        resolve_rule_sources(waves, drift_monitored=self.monitoring.drift is not None,
                             labelled=self.monitoring.labels.fraction > 0)
        resolve_rule_sources(self.strategies, drift_monitored=self.monitoring.drift is not None,
                             labelled=self.monitoring.labels.fraction > 0)
        return self

    def _check_scale_to_zero(self) -> None:
        """Scale to zero needs the batch data plane, which holds requests at the activator."""
        if self.simulation.data_plane != "per_request":
            return
        at_zero = (["service.autoscaling.min"] if self.service.autoscaling and self.service.autoscaling.min == 0
                   else []) + [f"versions.{name}.autoscaling.min" for name, version in self.versions.items()
                               if version.autoscaling is not None and version.autoscaling.min == 0]
        if at_zero:
            raise ScenarioError("got min 0 with the per_request data plane; expected min 1 or more, or the batch "
                                "data plane (only it holds requests at the activator while a version scales from "
                                "zero)", path=at_zero[0], value=0)

    def _check_promote(self, index: int, operation: PromoteOperation) -> None:
        """A promote names a strategy that runs an Argo Rollout or a KServe InferenceService's canary.

        ``full`` (``promote --full``) is Argo's alone: a KServe promote already sends all traffic at once.
        """
        argo = [label for label, config in self.strategies.items() if isinstance(config, ArgoRolloutConfig)]
        kserve = [label for label, config in self.strategies.items()
                  if isinstance(config, CanaryConfig) and config.inference_service is not None]
        targets = f"Argo Rollouts: {', '.join(argo) or 'none'}; KServe canaries: {', '.join(kserve) or 'none'}"
        label = operation.promote
        where = f"operations[{index}].promote"
        if label not in self.strategies:
            raise ScenarioError(f"got '{label}'; expected the label of a strategy that runs an Argo Rollout or a "
                                f"KServe InferenceService's canary{suggest(label, argo + kserve)} ({targets})",
                                path=where, value=label)
        if label in kserve and operation.full:
            raise ScenarioError(f"got full: true for '{label}', a KServe InferenceService's canary; expected no "
                                "full (a KServe promote sends all traffic to the new revision at once: there are "
                                "no steps to skip)", path=f"operations[{index}].full", value=True)
        if label not in argo and label not in kserve:
            raise ScenarioError(f"got '{label}', a {self.strategies[label].kind} strategy; expected one that runs an "
                                f"Argo Rollout or a KServe InferenceService's canary ({targets}): only those take "
                                "promotes", path=where, value=label)

    def promotions(self, label: str) -> list[PromoteOperation]:
        """The promotes of the strategy labelled ``label``, in time order."""
        found = [operation for operation in self.operations
                 if isinstance(operation, PromoteOperation) and operation.promote == label]
        return sorted(found, key=lambda operation: operation.at)

    @model_validator(mode="after")
    def _sizes(self) -> Scenario:
        # Bounds on products of fields, each of which is bounded on its own: the
        # peak arrival rate, and the arrays a run allocates.
        peak = self.peak_rate()
        if peak > MAX_RATE:
            raise ScenarioError(
                f"got a peak arrival rate of {peak:.3g} requests/s (rate x patterns x traffic spikes); "
                f"expected at most {MAX_RATE:.0e}",
                path="traffic",
            )
        n_versions = len(self.all_versions())
        stores = 1 + len(self.regions or {})  # with regions, each region keeps its own series too
        if self.traffic.users * n_versions * stores > MAX_USER_SLOTS:
            raise ScenarioError(
                f"got {self.traffic.users:,} users x {n_versions} versions{_series_note(stores)}; "
                f"expected at most {format_limit(MAX_USER_SLOTS)} (fewer users)",
                path="traffic.users",
            )
        monitoring = self.monitoring
        intervals = math.ceil((self.horizon + monitoring.labels.delay) / monitoring.scrape_interval) + 2
        buckets = math.ceil(math.log(300.0 / 0.0005) / math.log(monitoring.latency_bucket_factor)) + 2
        cells = intervals * n_versions * buckets * stores
        if cells > MAX_HISTOGRAM_CELLS:
            raise ScenarioError(
                f"got {intervals:,} scrape intervals (horizon and label delay) x {n_versions} versions x "
                f"{buckets} latency buckets{_series_note(stores)} = {cells:,} histogram cells; expected at most "
                f"{format_limit(MAX_HISTOGRAM_CELLS)} (scrape less often, or a shorter horizon)",
                path="monitoring.scrape_interval",
            )
        for path, period in self._periods():
            if self.horizon / period > MAX_WAKEUPS:
                raise ScenarioError(
                    f"got {period:g}s: {self.horizon / period:,.0f} times within the horizon; expected at most "
                    f"{format_limit(MAX_WAKEUPS)} (a longer period, or a shorter horizon)",
                    path=path,
                )
        drift = monitoring.drift
        if drift is not None and self.horizon / drift.window > MAX_DRIFT_CHECKS:
            raise ScenarioError(
                f"got a window of {drift.window:g}s: {self.horizon / drift.window:,.0f} drift checks within the "
                f"horizon; expected at most {format_limit(MAX_DRIFT_CHECKS)} (a longer window)",
                path="monitoring.drift.window",
            )
        return self

    def _periods(self) -> list[tuple[str, float]]:
        """Periods of steps that repeat until the horizon at worst, with their key paths (seconds)."""
        periods = [("simulation.max_slice", self.simulation.max_slice)]
        for label, config in self.strategies.items():
            for name, field in type(config).model_fields.items():
                if name.endswith("_interval") and getattr(config, name) is not None:
                    periods.append((f"strategies.{label}.{field.alias or name}", getattr(config, name)))
        return periods

    def peak_rate(self) -> float:
        """The highest arrival rate the traffic can reach, requests/s: every pattern and spike at its peak.

        With regions, the sum of each region's peak (its share, its own pattern, its spikes).
        """
        if self.regions:
            return sum(self._peak(region.share * self.traffic.rate,
                                  self.traffic.pattern if region.traffic is None else region.traffic, name)
                       for name, region in self.regions.items())
        return self._peak(self.traffic.rate, self.traffic.pattern, None)

    def _peak(self, rate: float, patterns: list[Any], region: str | None) -> float:
        peak = rate
        for pattern in patterns:
            if isinstance(pattern, DiurnalPattern):
                peak *= 1.0 + pattern.amplitude
            elif isinstance(pattern, SpikePattern):
                peak *= max(pattern.factor, 1.0)
        for fault in self.faults:
            if isinstance(fault, TrafficSpikeFault) and fault.region in (None, region):
                peak *= max(fault.factor, 1.0)
        return peak

    def retrained_names(self) -> list[str]:
        """Names the retrained versions will have, in order."""
        if self.retraining is None:
            return []
        return [f"{self.stable}-retrained-{i}" for i in range(1, self.retraining.max_retrains + 1)]

    def all_versions(self) -> dict[str, VersionConfig]:
        """The declared versions, then the versions retraining may produce."""
        versions = dict(self.versions)
        if self.retraining is not None:
            versions.update({name: self.retraining.produces for name in self.retrained_names()})
        return versions

    @property
    def window(self) -> float:
        """Seconds every run is simulated for: ``observe``, or the horizon."""
        return self.horizon if self.observe is None else self.observe

    def with_fresh_baseline(self) -> tuple[Scenario, str]:
        """A copy with a second deployment of the stable version, and that deployment's name.

        The copy is the same model: the stable version's properties (segments
        included), the latency and error-rate faults aimed at it and its
        concept drift. Crash faults stay with the stable version's own
        replicas, as they hit a deployment, not a model. Used by a canary with
        ``baseline: fresh`` (Kayenta's practice).
        """
        name = f"{self.stable}-baseline"
        while name in self.all_versions():
            name += "-fresh"
        faults = list(self.faults)
        faults += [fault.model_copy(update={"version": name}) for fault in self.faults
                   if isinstance(fault, LatencyFault | ErrorRateFault) and fault.version == self.stable]
        drift = self.drift
        if drift is not None and drift.concept is not None and self.stable in drift.concept.accuracy_loss:
            loss = {**drift.concept.accuracy_loss, name: drift.concept.accuracy_loss[self.stable]}
            drift = drift.model_copy(update={"concept": drift.concept.model_copy(update={"accuracy_loss": loss})})
        versions = {**self.versions, name: self.versions[self.stable]}
        return self.model_copy(update={"versions": versions, "faults": faults, "drift": drift}), name

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
