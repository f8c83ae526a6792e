"""The plan of an Argo Rollouts blue-green: plain frozen data, checked when it is built.

A plan says what a ``Rollout``'s ``strategy.blueGreen`` says, in the words
of its manifest: the replicas, the preview's size, auto-promotion, the pre-
and post-promotion analyses, and the scale-down delays. Durations are
seconds. Operator promotes come from the scenario, as :class:`Promotion`
times (see :mod:`simulator.strategies.argo.blue_green` for what one does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.analysis.argo import AnalysisRunSpec
from simulator.strategies.argo.plan import Promotion

__all__ = ["ArgoBlueGreenPlan", "DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY", "DEFAULT_BLUE_GREEN_ABORT_DELAY"]

DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY = 30.0
"""Seconds the old active version keeps its pods after a promotion (``scaleDownDelaySeconds``)."""
DEFAULT_BLUE_GREEN_ABORT_DELAY = 30.0
"""Seconds an aborted preview keeps its pods (``abortScaleDownDelaySeconds``)."""


def _whole(name: str, value: object, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")


def _seconds(name: str, value: float | None) -> None:
    if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be >= 0 seconds, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ArgoBlueGreenPlan:
    """What one Rollout's blue-green strategy asks for.

    ``replicas`` is ``spec.replicas``; ``preview_replicas`` is
    ``previewReplicaCount`` (``None``: the preview gets all ``replicas``).
    ``auto_promotion_enabled`` and ``auto_promotion_s``
    (``autoPromotionSeconds``; 0: promote as soon as the preview is ready and
    its analysis has passed) say when the switch comes by itself; with
    auto-promotion off, ``auto_promotion_s`` is ignored, as in Argo, and only
    a promote switches. ``pre_promotion`` and ``post_promotion`` are the
    analysis runs before and after the switch. ``scale_down_delay_s`` is how
    long the old active version keeps its pods after a successful
    promotion; ``abort_scale_down_delay_s`` how long an aborted preview
    keeps its pods (0: it keeps them).
    """

    replicas: int = 1
    preview_replicas: int | None = None
    auto_promotion_enabled: bool = True
    auto_promotion_s: float = 0.0
    pre_promotion: AnalysisRunSpec | None = None
    post_promotion: AnalysisRunSpec | None = None
    scale_down_delay_s: float = DEFAULT_BLUE_GREEN_SCALE_DOWN_DELAY
    abort_scale_down_delay_s: float = DEFAULT_BLUE_GREEN_ABORT_DELAY
    promotions: tuple[Promotion, ...] = ()

    def __post_init__(self) -> None:
        _whole("replicas", self.replicas)
        if self.preview_replicas is not None:
            _whole("preview_replicas", self.preview_replicas)
        for name in ("auto_promotion_s", "scale_down_delay_s", "abort_scale_down_delay_s"):
            _seconds(name, getattr(self, name))
        for name in ("pre_promotion", "post_promotion"):
            spec = getattr(self, name)
            if spec is None:
                continue
            endless = [metric.name for metric in spec.metrics if metric.count is None]
            if endless:
                raise ValueError(f"{name}: an analysis before or after the switch must end by itself; metric(s) "
                                 f"{', '.join(endless)} run indefinitely (an interval without a count)")
        for promotion in self.promotions:
            if not isinstance(promotion, Promotion):
                raise ValueError(f"promotions hold Promotion objects, got {promotion!r}")

    @property
    def preview_size(self) -> int:
        """Pods of the preview before the switch."""
        return self.replicas if self.preview_replicas is None else min(self.preview_replicas, self.replicas)

    @property
    def pauses(self) -> bool:
        """Whether the rollout pauses before the switch (auto-promotion off, or after ``autoPromotionSeconds``)."""
        return not self.auto_promotion_enabled or self.auto_promotion_s > 0

    def abort_delay(self) -> float | None:
        """Seconds after an abort before the preview is scaled down; ``None``: it keeps its pods."""
        return None if self.abort_scale_down_delay_s == 0 else self.abort_scale_down_delay_s
