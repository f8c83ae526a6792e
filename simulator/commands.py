"""What a strategy asks for: frozen command objects the driver carries out.

A strategy's ``step`` returns a list of commands. All but the last take no
simulated time; the last one is where the strategy yields: a wait
(:class:`Wait`, :class:`WaitUntilReady`), a smoke test
(:class:`RunSmokeTest`), a pre-deploy test suite (:class:`RunTestSuite`), or
the end (:class:`Finish`).

In a scenario with regions, the commands that deploy or route take a
``region``: without one they act in every region (a deployment's replicas
spread over the regions as their stable fleets are; see
:mod:`simulator.world.regional_world`). A strategy that runs several
regions at once (waves) yields on :class:`WaitAny`: the first of several
waits, one per branch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "Command",
    "ScaleTo",
    "SetWeights",
    "RouteByReplicas",
    "Mirror",
    "SessionAffinity",
    "LoadTest",
    "Note",
    "Decide",
    "Wait",
    "WaitUntilReady",
    "RunSmokeTest",
    "RunTestSuite",
    "Finish",
    "WaitAny",
    "BranchWait",
    "YIELDING_COMMANDS",
    "Outcome",
]

Outcome = Literal["promoted", "rolled_back"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScaleTo:
    """Run ``replicas`` replicas of ``version`` (new ones start up; extra ones stop)."""

    version: str
    replicas: int
    region: str | None = None

    def __post_init__(self) -> None:
        if self.replicas < 0:
            raise ValueError(f"replicas must be >= 0, got {self.replicas}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SetWeights:
    """Route traffic by ``weights``: percent per version, summing to 100.

    With ``sticky`` each user always lands on the same version (A/B tests);
    otherwise every request is routed on its own.
    """

    weights: Mapping[str, float]
    sticky: bool = False
    region: str | None = None

    def __post_init__(self) -> None:
        total = sum(self.weights.values())
        if any(w < 0 for w in self.weights.values()) or abs(total - 100.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 100, got {dict(self.weights)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mirror:
    """Copy ``percentage`` % of user requests to ``version``, whose answers never reach users (0 stops)."""

    version: str
    percentage: float
    region: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.percentage <= 100:
            raise ValueError(f"mirror percentage must be in [0, 100], got {self.percentage}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionAffinity:
    """Keep a user whom the router's weights sent to ``version`` on it, for ``max_age`` seconds (a cookie).

    From the request that first lands a user on ``version``, every later
    request of theirs goes to ``version`` for ``max_age`` seconds, while its
    weight is above 0; once its weight is 0 the cookies are void. ``max_age``
    0 stops the stickiness. Sticky (per-user) splits are left as they are.
    """

    version: str
    max_age: float

    def __post_init__(self) -> None:
        if not self.max_age >= 0:
            raise ValueError(f"session affinity max_age must be >= 0 seconds, got {self.max_age}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadTest:
    """Ask the load tester to run ``task``: synthetic requests to ``version``'s own Service.

    ``workers`` clients each send one request every ``period`` seconds (the
    first ``period`` after the start) for ``duration`` seconds. A run of the
    same ``task`` still going is left alone and the call is skipped. The
    requests load ``version``'s pods and show in its metrics, but are no
    user's: they count in no user-facing figure.
    """

    task: str
    version: str
    workers: int
    period: float
    duration: float

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise ValueError(f"load test workers must be >= 1, got {self.workers}")
        if not self.period > 0:
            raise ValueError(f"load test period must be > 0 seconds, got {self.period}")
        if not self.duration >= 0:
            raise ValueError(f"load test duration must be >= 0 seconds, got {self.duration}")

    @property
    def rate(self) -> float:
        """Requests per second, all workers together."""
        return self.workers / self.period


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteByReplicas:
    """Route traffic across all ready replicas of all versions alike (a plain service)."""

    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """Record an event (a check and its figures) in the run's event log.

    ``detail`` is the human sentence; ``data`` the same facts as JSON-ready
    fields (step, weight, verdict, measured values).
    """

    kind: str
    detail: str
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Decide:
    """The rollout's decision: promote or roll back, and why.

    ``analysis`` carries the figures behind it (test statistics, checks) for
    the run result. ``after_promotion`` marks a rollback that revises a
    promotion (a failed health check after it); every other decision is made
    once.
    """

    outcome: Outcome
    reason: str
    analysis: Mapping[str, object] | None = None
    after_promotion: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """Yield for ``seconds`` of simulated time."""

    seconds: float

    def __post_init__(self) -> None:
        if not self.seconds >= 0:
            raise ValueError(f"wait must be >= 0 seconds, got {self.seconds}")


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitUntilReady:
    """Yield until every desired replica of ``version`` is ready, or ``timeout`` seconds pass."""

    version: str
    timeout: float
    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSmokeTest:
    """Send ``samples`` synthetic requests to ``version``; the result comes in the next observation."""

    version: str
    samples: int
    region: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunTestSuite:
    """Score ``version`` on a labelled held-out test set before it is deployed (seed 004's ``ModelTestSuite``).

    ``samples`` examples; minimum ``accuracy``, weighted ``precision``,
    ``recall`` and ``f1`` (fractions 0-1); at most ``bias`` accuracy
    difference between the groups of each of ``protected_attributes``
    (``None``: every categorical feature); KS p-value of each numeric
    feature's test-set inputs against its training inputs at least
    ``drift``. A threshold of ``None`` leaves its test out. The suite takes
    ``duration`` seconds; its result comes in the next observation.
    """

    __test__ = False  # not a pytest test class

    version: str
    samples: int
    duration: float
    accuracy: float | None
    precision: float | None
    recall: float | None
    f1: float | None
    bias: float | None
    drift: float | None
    protected_attributes: tuple[str, ...] | None = None
    positive_share: float = 0.5

    def __post_init__(self) -> None:
        if self.samples < 1:
            raise ValueError(f"test suite samples must be >= 1, got {self.samples}")
        if not self.duration >= 0:
            raise ValueError(f"test suite duration must be >= 0 seconds, got {self.duration}")
        if not 0 < self.positive_share < 1:
            raise ValueError(f"positive_share must be between 0 and 1 (exclusive), got {self.positive_share}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Finish:
    """The strategy has nothing more to do."""


BranchWait = Wait | WaitUntilReady | RunSmokeTest | RunTestSuite
"""What one branch of a :class:`WaitAny` waits for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitAny:
    """Yield until the first of several waits is over: one per branch (a region of a wave, a bake's timer).

    ``waits`` maps a branch's name to its wait. They join the branches the
    driver already holds from earlier ``WaitAny`` commands (a branch named
    again is replaced); the next observation's ``woken`` names every branch
    whose wait is over, with its smoke test or test suite result (``None``
    for a plain wait), and the driver forgets them. A smoke test or test
    suite runs when its branch is given and ends when its duration is over.
    """

    waits: Mapping[str, BranchWait]


Command = (
    ScaleTo | SetWeights | RouteByReplicas | Mirror | SessionAffinity | LoadTest | Note | Decide | Wait
    | WaitUntilReady | RunSmokeTest | RunTestSuite | Finish | WaitAny
)

YIELDING_COMMANDS = (Wait, WaitUntilReady, RunSmokeTest, RunTestSuite, Finish, WaitAny)
