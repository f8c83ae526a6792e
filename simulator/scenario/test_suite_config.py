"""Scenario model of seed 004's model test suite, run as a gate before a strategy deploys anything."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from simulator.scenario.base import CamelModel
from simulator.scenario.limits import MAX_SAMPLES
from simulator.scenario.types import Count, Duration, Fraction

__all__ = ["TestSuiteConfig"]


class TestSuiteConfig(CamelModel):
    """Seed 004's ``ModelTestSuite`` thresholds (performance, bias and drift tests) for the ``testSuite`` key.

    The suite scores the candidate on ``samples`` labelled held-out
    examples before it is deployed; the candidate is rolled back without
    taking traffic if any test fails. A threshold set to ``null`` leaves its
    test out. Performance scores are weighted averages over the two classes
    (scikit-learn's ``average='weighted'``, as in the seed).
    """

    __test__: ClassVar[bool] = False  # not a pytest test class

    samples: Count = Field(
        1000, ge=10, le=MAX_SAMPLES,
        description="labelled held-out examples the suite scores (and training inputs the drift test compares)",
    )
    accuracy: Fraction | None = Field(0.80, ge=0, le=1, description="minimum accuracy, 0-1 (seed 004: 0.80)")
    precision: Fraction | None = Field(0.75, ge=0, le=1, description="minimum weighted precision, 0-1 (seed 004: 0.75)")
    recall: Fraction | None = Field(0.75, ge=0, le=1, description="minimum weighted recall, 0-1 (seed 004: 0.75)")
    f1: Fraction | None = Field(0.75, ge=0, le=1, description="minimum weighted F1 score, 0-1 (seed 004: 0.75)")
    bias: Fraction | None = Field(
        0.1, ge=0, le=1,
        description="largest accuracy difference between the groups of a protected attribute, 0-1 (seed 004: 0.1)",
    )
    drift: Fraction | None = Field(
        0.05, ge=0, le=1,
        description="smallest KS p-value of each numeric feature, test-set inputs against training inputs "
                    "(seed 004: 0.05)",
    )
    protected_attributes: list[str] | None = Field(
        None, description="categorical features the bias test groups by (default: every categorical feature)"
    )
    positive_share: Fraction = Field(
        0.5, gt=0, lt=1, description="share of positive labels in the held-out set, 0-1 (exclusive)"
    )
    duration: Duration = Field(300.0, ge=0, description="time the suite takes before the rollout starts, seconds")
