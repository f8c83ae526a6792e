"""What every strategy config shares, and the keys of the strategies that watch a candidate."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import CamelModel
from simulator.scenario.limits import MAX_LOOKS
from simulator.scenario.post_promotion_config import PostPromotionWatch
from simulator.scenario.strategy_kinds import resolve_strategy_kind
from simulator.scenario.test_suite_config import TestSuiteConfig
from simulator.scenario.types import Count, Duration

__all__ = [
    "StrategyBase", "WatchingStrategy", "LatencyMetric", "OnInconclusive", "camel", "snake_case", "check_weights",
]

LatencyMetric = Literal["mean", "p50", "p90", "p95", "p99"]


def camel(name: str) -> str:
    """``pass_score`` -> ``passScore``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def snake_case(value: object) -> object:
    """``errorRate`` / ``MannWhitney`` / ``mann-whitney`` -> ``error_rate`` / ``mann_whitney``."""
    if isinstance(value, str):
        return re.sub(r"(?<!^)(?=[A-Z])", "_", value).lower().replace("-", "_")
    return value


def check_weights(weights: list[float], *, end_at_100: bool = True) -> list[float]:
    """A schedule of traffic weights, %: non-empty, each in (0, 100], strictly increasing (ending at 100)."""
    if not weights:
        raise ValueError("expected a non-empty list of weights in % ending at 100")
    if any(not 0 < weight <= 100 for weight in weights):
        raise ValueError(f"expected weights in (0, 100], got {weights}")
    if any(later <= earlier for earlier, later in zip(weights, weights[1:], strict=False)):
        raise ValueError(f"expected strictly increasing weights, got {weights}")
    if end_at_100 and weights[-1] != 100:
        raise ValueError(f"expected the last step to be 100, got {weights[-1]}")
    return weights


class StrategyBase(CamelModel):
    """Keys every strategy takes."""

    kind: ClassVar[str]
    strategy: str | None = Field(None, description="strategy kind; defaults to the label")
    test_suite: TestSuiteConfig | None = Field(
        None, description="seed 004's model test suite, run before anything is deployed; a failure rolls back"
    )
    post_promotion: PostPromotionWatch | None = Field(
        None, description="keep checking the promoted version and roll back on a failed check (seed 000)"
    )

    @model_validator(mode="after")
    def _name_the_kind(self) -> StrategyBase:
        # A config whose kind came from its label names it, so that a dump loads back under any label.
        if self.strategy is None:
            object.__setattr__(self, "strategy", self.kind)
        elif self.strategy != self.kind and resolve_strategy_kind(self.strategy) != self.kind:
            raise ValueError(f"got strategy '{self.strategy}'; expected a {self.kind} strategy")
        return self


OnInconclusive = Literal["wait", "rollback", "promote", "pause"]


class WatchingStrategy(StrategyBase):
    """Keys of the strategies that watch a candidate (see :mod:`simulator.strategies.watch`)."""

    analysis_interval: Duration = Field(
        30.0, gt=0, description="seconds between checks inside a step or watch (seed 000: 30 s)"
    )
    analysis_window: Duration = Field(
        60.0, gt=0, description="sliding window of each check inside a step or watch, seconds"
    )
    failure_limit: Count = Field(
        0, ge=0, le=MAX_LOOKS,
        description="failed checks inside steps tolerated over the rollout before rolling back "
                    "(0: abort at the first, as seed 000 and Argo Rollouts)",
    )
    on_inconclusive: OnInconclusive = Field(
        "wait",
        description=(
            "when a step's check stays inconclusive until maxDataWait: wait (then roll back), rollback (at once), "
            "promote (proceed as passed) or pause (hold; the run ends incomplete)"
        ),
    )
