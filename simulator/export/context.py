"""What every exporter shares: the strategy being exported, its names, and the notes on what is approximated.

A setting with no faithful equivalent in the target's manifests is one of
two things, chosen per setting (the table is in ``docs/export.md``):

* a refusal: a :class:`~simulator.errors.ScenarioError` naming the key path,
  the value and why (the command line exits 2 and writes nothing);
* an :class:`Approximation`: the manifests do something close, and the
  YAML's header says what, under the key it concerns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulator.errors import ScenarioError

if TYPE_CHECKING:
    from simulator.scenario.blue_green_config import BlueGreenConfig
    from simulator.scenario.canary_config import CanaryConfig
    from simulator.scenario.model import Scenario

__all__ = ["Approximation", "ExportContext", "resource_name", "refuse_common", "PROMETHEUS_ADDRESS"]

PROMETHEUS_ADDRESS = "http://prometheus.monitoring:9090"
"""Where the exported analyses find Prometheus (edit it for a cluster's own)."""

_NAME_LENGTH = 40  # leaves room for suffixes such as "-error-rate-increase" within Kubernetes' 63 characters


def resource_name(text: str) -> str:
    """``text`` as a Kubernetes object name (DNS-1123 label): lower case, digits and dashes, at most 40 long."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:_NAME_LENGTH].strip("-")
    return name or "model"


@dataclass(frozen=True, slots=True)
class Approximation:
    """A setting the manifests carry out approximately: ``key`` (its path in the scenario) and what happens."""

    key: str
    text: str

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"


@dataclass(slots=True)
class ExportContext:
    """The strategy ``label`` of ``scenario`` being exported; approximations gather in ``notes``."""

    scenario: Scenario
    label: str
    notes: list[Approximation] = field(default_factory=list)

    @property
    def path(self) -> str:
        """The strategy's key path: ``strategies.LABEL``."""
        return f"strategies.{self.label}"

    @property
    def name(self) -> str:
        """The Rollout's or Canary's name, from the scenario's name."""
        return resource_name(self.scenario.name)

    @property
    def replicas(self) -> int:
        """Replicas of the stable version."""
        return self.scenario.service.replicas

    @property
    def label_delay(self) -> float:
        """Seconds after a response before its label arrives."""
        return self.scenario.monitoring.labels.delay

    def note(self, key: str, text: str) -> None:
        """Record that ``key`` (below the strategy) is approximated: ``text`` says how."""
        self.notes.append(Approximation(f"{self.path}.{key}", text))

    def refuse(self, key: str, value: object, why: str, expected: str) -> ScenarioError:
        """The error for ``key`` (below the strategy), set to ``value``, which has no faithful equivalent.

        One line: ``got VALUE: WHY; expected EXPECTED``.
        """
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return ScenarioError(f"got {shown}: {why}; expected {expected}", path=f"{self.path}.{key}", value=value)


def refuse_common(context: ExportContext, config: CanaryConfig | BlueGreenConfig) -> None:
    """Refuse what neither Argo Rollouts nor Flagger can carry out, for canaries and blue-green alike."""
    from simulator.export.rules import refuse_untranslatable

    if config.test_suite is not None:
        raise context.refuse("testSuite", "a test suite", "seed 004's model test suite runs before anything is "
                             "deployed, outside the rollout's manifests", "no testSuite in a strategy to export")
    if config.post_promotion is not None:
        raise context.refuse("postPromotion", "a post-promotion watch", "checks of the promoted version after the "
                             "rollout have no place in the manifests", "no postPromotion in a strategy to export")
    refuse_untranslatable(config.rollback_thresholds, context.path)
