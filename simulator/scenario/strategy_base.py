"""What every strategy config shares, and the keys of the strategies that watch a candidate."""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from simulator.scenario.base import CamelModel
from simulator.scenario.limits import MAX_LOOKS
from simulator.scenario.strategy_kinds import resolve_strategy_kind
from simulator.scenario.types import Count, Duration

__all__ = ["StrategyBase", "WatchingStrategy", "LatencyMetric", "OnInconclusive", "camel", "snake_case"]

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


class StrategyBase(CamelModel):
    kind: ClassVar[str]
    strategy: str | None = Field(None, description="strategy kind; defaults to the label")

    @model_validator(mode="after")
    def _name_the_kind(self) -> StrategyBase:
        # A config whose kind came from its label names it, so that a dump loads back under any label.
        if self.strategy is None:
            object.__setattr__(self, "strategy", self.kind)
        elif resolve_strategy_kind(self.strategy) != self.kind:
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
