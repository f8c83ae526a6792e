"""How many pods the canary and the stable version get, by Argo Rollouts' rules.

**Basic canary** (no traffic routing). Traffic follows the pods, so the
weight is approximated by pod counts. :func:`approximate_counts` picks the
pair closest to the weight among the canary count rounded down or up, with
the total at ``replicas`` or, when ``maxSurge`` allows, one more; on a tie
the first candidate in that order wins. A canary weight strictly between 0
and the maximum never rounds either side to 0 pods (unless there is a
single replica and no surge), and an exact half rounds the canary up. The
move towards that pair is limited at each reconciliation
(:func:`basic_canary_counts`): the pods of both versions may total at most
``replicas + maxSurge``, the stable version is grown before the canary,
and pods are only removed while ``replicas - maxUnavailable`` stay
available. Removing the stable version's pods counts the canary's
*available* pods when the canary is growing (and the other way round when
it shrinks), so a rollout takes several rounds, each waiting for new pods to
become ready.

**With traffic routing** the canary has ``ceil(weight x replicas / max)``
pods (:func:`weight_to_replicas`) and the stable version all of them, or,
with ``dynamicStableScale``, as many as the larger of its desired and its
current traffic share needs.

Counts are whole pods; weights are in the Rollout's units (``max`` is
``maxTrafficWeight``, 100 by default). Arithmetic is exact (fractions), so
a tie is a tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["Pods", "approximate_counts", "basic_canary_counts", "weight_to_replicas"]


@dataclass(frozen=True, slots=True)
class Pods:
    """One version's pods: ``desired`` (asked for) and ``available`` (ready)."""

    desired: int
    available: int


def weight_to_replicas(replicas: int, weight: int, max_weight: int = 100) -> int:
    """Pods for ``weight`` of ``replicas``, rounded up."""
    return -(-(weight * replicas) // max_weight)


def approximate_counts(replicas: int, weight: int, max_weight: int = 100, max_surge: int = 0) -> tuple[int, int]:
    """The (canary, stable) pod counts whose canary share is closest to ``weight``."""
    if replicas == 0:
        return 0, 0
    exact = Fraction(weight * replicas, max_weight)
    up, down = -(-exact.numerator // exact.denominator), exact.numerator // exact.denominator
    zero_allowed = weight in (0, max_weight) or (replicas == 1 and max_surge == 0)

    def tied(total: int) -> bool:
        share = Fraction(weight * total, max_weight)
        return share - (share.numerator // share.denominator) == Fraction(1, 2)

    candidates: list[tuple[int, int]] = []
    if up < replicas or zero_allowed:
        candidates.append((up, replicas))
    if not tied(replicas) and (down != 0 or zero_allowed):
        candidates.append((down, replicas))
    if max_surge > 0:
        candidates.append((up, replicas + 1))
        if not tied(replicas + 1) and (down != 0 or zero_allowed):
            candidates.append((down, replicas + 1))
    if not candidates:
        return 0, replicas

    def distance(candidate: tuple[int, int]) -> Fraction:
        canary, total = candidate
        return abs(Fraction(canary * max_weight, total) - weight)

    best = candidates[0]
    for candidate in candidates[1:]:
        if distance(candidate) < distance(best):  # strictly closer: the earlier candidate wins a tie
            best = candidate
    return best[0], best[1] - best[0]


def basic_canary_counts(replicas: int, weight: int, max_surge: int, max_unavailable: int, canary: Pods,
                        stable: Pods, max_weight: int = 100) -> tuple[int, int]:
    """The (canary, stable) pod counts one reconciliation moves to, from the current ``canary`` and ``stable``.

    ``max_surge`` and ``max_unavailable`` are counts of pods (resolved from
    the plan). The counts reached once nothing limits the move are
    :func:`approximate_counts`.
    """
    want_canary, want_stable = approximate_counts(replicas, weight, max_weight, max_surge)
    canary_count, stable_count = canary.desired, stable.desired
    ceiling = replicas + max_surge
    room = ceiling - (canary.desired + stable.desired)
    if stable.desired < want_stable and room > 0:
        grown = min(room, want_stable - stable.desired)
        stable_count = stable.desired + grown
        room -= grown
    if canary.desired < want_canary and room > 0:
        canary_count = canary.desired + min(room, want_canary - canary.desired)

    floor = replicas - max_unavailable
    growing = want_canary >= canary.desired
    # The version being drained counts its desired pods; the other only those available.
    countable = _removable(canary, everything=not growing) + _removable(stable, everything=growing)
    if countable <= floor:
        return canary_count, stable_count
    surplus = countable - floor
    if growing:
        stable_count = _drained(stable, want_stable, surplus, stable_count)
        stable_count, canary_count = _within_limits(stable, canary, stable_count, canary_count, ceiling, floor)
    else:
        canary_count = _drained(canary, want_canary, surplus, canary_count)
        canary_count, stable_count = _within_limits(canary, stable, canary_count, stable_count, ceiling, floor)
    return canary_count, stable_count


def _removable(pods: Pods, *, everything: bool) -> int:
    """Pods of a version that a scale-down may count on."""
    if pods.desired < pods.available:  # already shrinking: the extra pods are going away
        return pods.desired
    return pods.desired if everything else pods.available


def _drained(pods: Pods, wanted: int, surplus: int, count: int) -> int:
    """The drained version's count: down towards ``wanted`` by at most ``surplus`` pods."""
    if pods.desired > wanted:
        return max(wanted, pods.desired - surplus)
    return count


def _within_limits(drained: Pods, kept: Pods, drained_count: int, kept_count: int, ceiling: int,
                   floor: int) -> tuple[int, int]:
    """Both counts brought back under the surge ceiling without dropping below the availability floor."""
    over = max(0, kept_count + drained_count - ceiling)
    available = min(drained.available, drained_count)
    kept_count -= over
    available += min(kept.available, kept_count)
    lost = max(0, kept.available - kept_count)
    short = max(0, floor - available)
    kept_count += min(lost, short)
    over = max(0, kept_count + drained_count - ceiling)
    return drained_count - over, kept_count
