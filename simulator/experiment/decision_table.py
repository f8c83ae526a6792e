"""The decision table: per criterion, the best strategy, its runner-up, and whether the lead holds on paired seeds.

Rules, in the order they apply:

1. One row per criterion, each to be minimised. A criterion is scored only on
   the runs it concerns: false rollbacks on runs whose candidate is good;
   missed regressions, exposure and harm on runs whose candidate is bad; time
   to full rollout on the promoted runs of a good candidate; cost on every
   run. A harm criterion appears only when its column is in the rows, and a
   criterion only when some strategy has a value for it. With no verdict on
   the candidate (``truth`` empty) only cost is left to rank on.
2. Strategies labelled ``what-if: ...`` are yardsticks (what happens at once,
   or never): never ranked, shown beside the best so it can be placed
   between them.
3. Strategies are ranked by value; ties are broken by the criteria above,
   then by the order the strategies ran in (deterministic, never dict order).
4. "Beats" means the paired comparison on the same seeds favours the best
   and is significant after Holm's correction. It is taken from the
   experiment's paired frame (its ``p_holm`` and ``significant``, or Holm
   applied here over that frame when it has no ``p_holm``) when that frame
   holds the figure on the same runs; the others (rates, criteria restricted
   to promoted runs, figures it does not compare, sweep points) are computed
   here with :func:`~simulator.experiment.stats.paired_differences` and
   Holm-corrected together.
5. The recommendation walks the criteria in order and keeps the strategies
   that the best of those kept does not beat; it names the first kept (by
   value, criterion after criterion) and says which others it cannot be told
   apart from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.experiment.figure_kinds import support_of
from simulator.experiment.stats import holm, mean_interval, paired_differences, wilson
from simulator.units import format_duration

__all__ = ["CRITERIA", "Criterion", "Decision", "decide", "decision_table", "recommendation", "is_yardstick",
           "format_value", "YARDSTICK_PREFIX", "TABLE_COLUMNS", "COMPARISON_COLUMNS"]

YARDSTICK_PREFIX = "what-if:"
"""Strategy labels starting with this are yardsticks, never candidates for best."""


_FIGURE_WORDS = {"extra_replica_seconds": "extra replica-seconds", "replica_seconds": "replica-seconds"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Criterion:
    """One row of the decision table: which figure, on which runs, and how to say a value in words.

    ``figures``: the row columns it may use, the first present wins (cost:
    extra replica-seconds, else replica-seconds). ``truth``: only runs whose
    candidate is ``good`` or ``bad`` (``None``: every run). ``promoted_only``:
    only runs that promoted. ``kind``: ``rate`` (fraction 0-1 of runs, Wilson
    interval) or ``mean`` (Student t interval). ``saying``: the clause for a
    value, with ``{value}`` in it; ``saying_none``: the clause when a rate is 0.
    """

    name: str
    short: str
    figures: tuple[str, ...]
    kind: Literal["rate", "mean"]
    truth: Literal["good", "bad"] | None
    saying: str
    saying_none: str = ""
    promoted_only: bool = False
    unit: Literal["", "seconds"] = ""

    def named(self, figure: str) -> str:
        """The criterion's name for the figure it is scored on."""
        return self.name.format(figure=_FIGURE_WORDS.get(figure, figure))

    def figure_in(self, columns: pd.Index) -> str | None:
        """The figure of this criterion that ``columns`` hold, if any."""
        return next((figure for figure in self.figures if figure in columns), None)

    @property
    def runs_of(self) -> str:
        """Which runs it is scored on, in words."""
        runs = "promoted runs" if self.promoted_only else "runs"
        return f"{runs}, candidate {self.truth}" if self.truth else f"all {runs}"


CRITERIA: tuple[Criterion, ...] = (
    Criterion(name="false rollbacks of a good candidate", short="false rollbacks", figures=("false_rollback",),
              kind="rate", truth="good", saying="rolled the good candidate back in {value}",
              saying_none="had no false rollbacks"),
    Criterion(name="missed regressions (bad candidate promoted)", short="missed regressions",
              figures=("missed_regression",), kind="rate", truth="bad", saying="promoted the bad candidate in {value}",
              saying_none="missed no regression"),
    Criterion(name="exposure: requests served by a bad candidate", short="exposure",
              figures=("candidate_requests",), kind="mean", truth="bad",
              saying="exposed {value} requests to the bad candidate"),
    Criterion(name="harm: excess failed requests", short="excess failed requests",
              figures=("excess_failed_requests",), kind="mean", truth="bad",
              saying="caused {value} excess failed requests"),
    Criterion(name="harm: excess wrong predictions", short="excess wrong predictions",
              figures=("excess_wrong_predictions",), kind="mean", truth="bad",
              saying="caused {value} excess wrong predictions"),
    Criterion(name="harm: slow requests", short="slow requests", figures=("slow_requests",), kind="mean",
              truth="bad", saying="served {value} slow requests"),
    Criterion(name="harm: minutes outside the SLO", short="minutes outside the SLO",
              figures=("slo_violation_minutes",), kind="mean", truth="bad",
              saying="spent {value} minutes outside the SLO"),
    Criterion(name="time to full rollout of a good candidate (s)", short="time to full rollout",
              figures=("duration_s",), kind="mean", truth="good", promoted_only=True, unit="seconds",
              saying="took {value} to roll the good candidate out fully"),
    Criterion(name="cost: {figure}", short="cost", figures=("extra_replica_seconds", "replica_seconds"),
              kind="mean", truth=None, saying="used {value} {figure}"),
)
"""The criteria, in the order they are ranked on (safety first, then speed, then cost)."""

TABLE_COLUMNS = [
    "criterion", "figure", "runs_of", "direction", "best", "value", "low", "high", "runs", "runner_up",
    "runner_up_value", "runner_up_low", "runner_up_high", "difference", "difference_low", "difference_high",
    "seeds", "p_value", "p_holm", "test", "beats_runner_up", "verdict", "not_distinguishable_from", "yardsticks",
]
"""Columns of :func:`decision_table` (values in the figure's unit: fraction 0-1 of runs for rates, requests,
seconds, minutes or replica-seconds for means; ``difference`` is best minus runner-up on paired seeds)."""

COMPARISON_COLUMNS = ["criterion", "figure", "a", "b", "seeds", "difference", "low", "high", "p_value", "p_holm",
                      "test", "significant", "source"]
"""Columns of :attr:`Decision.comparisons` (``difference`` = a - b, per seed)."""


def is_yardstick(label: str) -> bool:
    """Whether ``label`` names a yardstick run (``what-if: ...``) rather than a strategy to choose."""
    return str(label).startswith(YARDSTICK_PREFIX)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    if abs(value) >= 100 or value == round(value):
        return f"{value:,.0f}"
    return f"{value:,.3g}"


def format_value(value: float, kind: str, unit: str = "") -> str:
    """A criterion's value for people: a percentage for rates, ``5m 30s`` for seconds, ``6,074`` otherwise."""
    if value is None or not math.isfinite(value):
        return "-"
    if kind == "rate":
        return f"{value:.0%}"
    if unit == "seconds":
        return format_duration(value)
    return _number(value)


@dataclass(frozen=True, slots=True)
class _Score:
    value: float
    low: float
    high: float
    runs: int


@dataclass(frozen=True, slots=True)
class _Comparison:
    a: str
    b: str
    seeds: int
    difference: float
    low: float
    high: float
    p_value: float
    p_holm: float
    test: str
    significant: bool
    source: str


@dataclass
class _Assessment:
    criterion: Criterion
    figure: str
    scores: dict[str, _Score]
    yardsticks: dict[str, _Score]
    ranking: list[str]
    comparisons: dict[tuple[str, str], _Comparison] = field(default_factory=dict)

    def comparison(self, first: str, second: str) -> _Comparison | None:
        """The paired comparison oriented ``first - second``."""
        if (first, second) in self.comparisons:
            return self.comparisons[(first, second)]
        found = self.comparisons.get((second, first))
        if found is None:
            return None
        return _Comparison(first, second, found.seeds, 0.0 - found.difference, 0.0 - found.high, 0.0 - found.low,
                           found.p_value,
                           found.p_holm, found.test, found.significant, found.source)

    def beats(self, first: str, second: str) -> bool:
        """Whether ``first`` is lower than ``second`` on paired seeds, significantly after Holm."""
        found = self.comparison(first, second)
        return bool(found is not None and found.significant and found.difference < 0)

    def ranked(self) -> list[str]:
        """The ranking restricted to strategies with a value."""
        return [label for label in self.ranking if math.isfinite(self.scores[label].value)]


@dataclass(frozen=True)
class Decision:
    """The decision table, the comparisons behind it, and the recommendation in words.

    ``table``: one row per criterion (see :data:`TABLE_COLUMNS`).
    ``comparisons``: every paired comparison the table used (see
    :data:`COMPARISON_COLUMNS`). ``recommended``: the strategy recommended, or
    ``None`` when nothing separates them. ``seeds``: how many seeds the
    strategies ran on. ``unranked``: the criteria that could not be ranked, and why.
    ``truth``: the ground truth the outcomes were scored against, and how it
    came about; ``truth_warnings``: strategies whose own thresholds disagree.
    """

    table: pd.DataFrame
    comparisons: pd.DataFrame
    recommendation: str
    recommended: str | None
    seeds: int
    unranked: list[str]
    truth: str = ""
    truth_warnings: tuple[str, ...] = ()

    @property
    def figures(self) -> list[str]:
        """The row figures the criteria use, in table order."""
        return list(dict.fromkeys(self.table["figure"])) if not self.table.empty else []

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping: ``table`` (records), ``recommendation``, ``recommended``, ``seeds``, ``unranked``."""
        import json

        return {"table": json.loads(self.table.to_json(orient="records")) if not self.table.empty else [],
                "recommendation": self.recommendation, "recommended": self.recommended, "seeds": self.seeds,
                "unranked": self.unranked, "truth": self.truth, "truth_warnings": list(self.truth_warnings)}


def _labelled(rows: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished, with ``label``: the strategy, and the sweep point when there is one."""
    frame = rows.copy()
    if "error" not in frame:
        frame["error"] = None
    frame = frame[frame["error"].isna()]
    params = [c for c in frame.columns if str(c).startswith("param:")]
    if params:
        points = frame[params].astype(str).apply(
            lambda point: ", ".join(f"{p.removeprefix('param:')}={v}" for p, v in point.items()), axis=1)
        frame["label"] = frame["strategy"].astype(str) + " (" + points + ")"
    else:
        frame["label"] = frame["strategy"].astype(str)
    return frame


def _subset(frame: pd.DataFrame, criterion: Criterion, figure: str) -> pd.DataFrame:
    keep = pd.Series(True, index=frame.index)
    if criterion.truth is not None:
        keep &= frame["truth"] == criterion.truth if "truth" in frame else False
    if criterion.promoted_only:
        keep &= frame["promoted"].astype(bool) if "promoted" in frame else False
    return frame[keep & frame[figure].notna()]


def _score(values: pd.Series, kind: str, confidence: float, figure: str) -> _Score:
    if kind == "rate":
        flags = values.astype(bool)
        low, high = wilson(int(flags.sum()), len(flags), confidence)
        return _Score(float(flags.mean()) if len(flags) else math.nan, low, high, len(flags))
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    mean, low, high = mean_interval(numbers, confidence, support=support_of(figure))
    return _Score(mean, low, high, int(np.isfinite(numbers).sum()))


def _assess(frame: pd.DataFrame, criterion: Criterion, figure: str, labels: list[str], previous: dict[str, list[float]],
            confidence: float) -> _Assessment:
    subset = _subset(frame, criterion, figure)
    scores: dict[str, _Score] = {}
    for label in labels:
        values = subset.loc[subset["label"] == label, figure]
        scores[label] = _score(values, criterion.kind, confidence, figure)
    candidates = [label for label in labels if not is_yardstick(label)]
    yardsticks = {label: scores[label] for label in labels if is_yardstick(label) and scores[label].runs}
    order = {label: index for index, label in enumerate(candidates)}

    def key(label: str) -> tuple[Any, ...]:
        value = scores[label].value
        return (not math.isfinite(value), value if math.isfinite(value) else 0.0, *previous[label], order[label])

    ranking = sorted(candidates, key=key)
    for label in candidates:
        value = scores[label].value
        previous[label].append(value if math.isfinite(value) else math.inf)
    return _Assessment(criterion, figure, {label: scores[label] for label in candidates}, yardsticks, ranking)


def _paired_lookup(paired: pd.DataFrame | None, confidence: float) -> dict[tuple[str, str, str], _Comparison]:
    """The experiment's paired comparisons by (a, b, figure), with Holm-corrected p-values."""
    if paired is None or paired.empty:
        return {}
    if "p_holm" in paired:
        adjusted = paired["p_holm"].to_numpy(dtype=float)
        significant = paired["significant"].astype(bool).to_numpy()
    else:
        adjusted = holm(paired["p_value"].to_numpy(dtype=float))
        significant = adjusted < 1 - confidence
    found = {}
    for (_, row), p_holm, flag in zip(paired.iterrows(), adjusted, significant, strict=True):
        found[(str(row["a"]), str(row["b"]), str(row["figure"]))] = _Comparison(
            str(row["a"]), str(row["b"]), int(row["seeds"]), float(row["difference"]), float(row["low"]),
            float(row["high"]), float(row["p_value"]), float(p_holm), str(row.get("test", "paired t")),
            bool(flag), "paired")
    return found


def _compare(frame: pd.DataFrame, assessments: list[_Assessment], paired: pd.DataFrame | None,
             confidence: float) -> None:
    """Fill each assessment's pairwise comparisons: from ``paired`` when it covers the same runs, else computed."""
    known = _paired_lookup(paired, confidence)
    params = any(str(c).startswith("param:") for c in frame.columns)
    computed: list[tuple[_Assessment, dict[str, Any]]] = []
    for assessment in assessments:
        criterion, figure = assessment.criterion, assessment.figure
        candidates = list(assessment.scores)
        subset = _subset(frame, criterion, figure)
        subset = subset[subset["label"].isin(candidates)]
        missing = []
        for i, first in enumerate(candidates):
            for second in candidates[i + 1:]:
                whole = frame[frame["label"].isin([first, second])]
                same_runs = len(subset[subset["label"].isin([first, second])]) == len(whole)
                stored = known.get((first, second, figure)) if same_runs and not params else None
                if stored is not None:
                    assessment.comparisons[(first, second)] = stored
                else:
                    missing.append((first, second))
        if not missing:
            continue
        pairs = set(missing)
        differences = paired_differences(subset.assign(strategy=subset["label"]), figures=(figure,),
                                         confidence=confidence)
        for _, row in differences.iterrows():
            if (row["a"], row["b"]) in pairs:
                computed.append((assessment, row.to_dict()))
    adjusted = holm([row["p_value"] for _, row in computed])
    for (assessment, row), p_holm in zip(computed, adjusted, strict=True):
        assessment.comparisons[(row["a"], row["b"])] = _Comparison(
            row["a"], row["b"], int(row["seeds"]), float(row["difference"]), float(row["low"]), float(row["high"]),
            float(row["p_value"]), float(p_holm), str(row.get("test", "paired t")), bool(p_holm < 1 - confidence),
            "computed")


def _row(assessment: _Assessment) -> dict[str, Any]:
    ranked = assessment.ranked()
    best = ranked[0]
    score = assessment.scores[best]
    runner_up = ranked[1] if len(ranked) > 1 else None
    other = assessment.scores[runner_up] if runner_up else _Score(math.nan, math.nan, math.nan, 0)
    comparison = assessment.comparison(best, runner_up) if runner_up else None
    if runner_up is None:
        verdict = "only strategy" if len(assessment.scores) == 1 else "only strategy with runs"
    elif comparison is None:
        verdict = "too few runs to compare"
    elif assessment.beats(best, runner_up):
        verdict = "better"
    elif score.value == other.value:
        verdict = "tied"
    else:
        verdict = "not distinguishable"
    return {
        "criterion": assessment.criterion.named(assessment.figure), "figure": assessment.figure,
        "runs_of": assessment.criterion.runs_of, "direction": "lower", "best": best, "value": score.value,
        "low": score.low, "high": score.high, "runs": score.runs, "runner_up": runner_up,
        "runner_up_value": other.value, "runner_up_low": other.low, "runner_up_high": other.high,
        "difference": comparison.difference if comparison else math.nan,
        "difference_low": comparison.low if comparison else math.nan,
        "difference_high": comparison.high if comparison else math.nan,
        "seeds": comparison.seeds if comparison else 0,
        "p_value": comparison.p_value if comparison else math.nan,
        "p_holm": comparison.p_holm if comparison else math.nan,
        "test": comparison.test if comparison else None,
        "beats_runner_up": verdict == "better", "verdict": verdict,
        "not_distinguishable_from": [label for label in ranked[1:] if not assessment.beats(best, label)],
        "yardsticks": {label: yardstick.value for label, yardstick in assessment.yardsticks.items()},
    }


def _said(assessment: _Assessment, label: str) -> str:
    criterion, score = assessment.criterion, assessment.scores[label]
    if criterion.kind == "rate":
        count = int(round(score.value * score.runs))
        if count == 0 and criterion.saying_none:
            return f"{criterion.saying_none} (0 of {score.runs} runs)"
        return criterion.saying.format(value=f"{count} of {score.runs} runs")
    return criterion.saying.format(value=format_value(score.value, criterion.kind, criterion.unit),
                                   figure=_FIGURE_WORDS.get(assessment.figure, assessment.figure))


def _value_words(assessment: _Assessment, score: _Score) -> str:
    criterion = assessment.criterion
    if criterion.kind == "rate":
        return f"{int(round(score.value * score.runs))} of {score.runs}"
    return format_value(score.value, criterion.kind, criterion.unit)


def _names(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _reason(assessment: _Assessment, label: str) -> str:
    """What ``label`` did on this criterion: against the worst strategy it beats (or a worse yardstick), or
    behind the best strategy that beats it."""
    clause = _said(assessment, label)
    ahead = [other for other in assessment.ranked() if assessment.beats(other, label)]
    if ahead:
        best = min(assessment.scores[other].value for other in ahead)
        names = [other for other in ahead if assessment.scores[other].value == best]
        return clause + f", more than the {_value_words(assessment, assessment.scores[names[0]])} of {_names(names)}"
    beaten = [other for other in assessment.ranked() if other != label and assessment.beats(label, other)]
    if beaten:
        worst = max(assessment.scores[other].value for other in beaten)
        names = [other for other in beaten if assessment.scores[other].value == worst]
        clause += f" against {_value_words(assessment, assessment.scores[names[0]])} for {_names(names)}"
    elif assessment.yardsticks:
        label_value = assessment.scores[label].value
        worse = {name: score for name, score in assessment.yardsticks.items() if score.value > label_value}
        if worse:
            name = max(worse, key=lambda n: (worse[n].value, n))
            clause += f" against {_value_words(assessment, worse[name])} for {name}"
    return clause


def _between(assessment: _Assessment, label: str) -> str:
    """Where ``label`` lands between the yardsticks, when there are two that bracket it."""
    value = assessment.scores[label].value
    below = {n: s.value for n, s in assessment.yardsticks.items() if s.value <= value}
    above = {n: s.value for n, s in assessment.yardsticks.items() if s.value >= value}
    if not below or not above or set(below) == set(above):
        return ""
    low_name = max(below, key=lambda n: (below[n], n))
    high_name = min(above, key=lambda n: (above[n], n))
    if low_name == high_name:
        return ""
    return (f" ({assessment.criterion.short} between {_value_words(assessment, assessment.yardsticks[low_name])} for"
            f" {low_name} and {_value_words(assessment, assessment.yardsticks[high_name])} for {high_name})")


def _ratio(assessment: _Assessment, label: str, other: str) -> str:
    mine, theirs = assessment.scores[label].value, assessment.scores[other].value
    if assessment.criterion.kind == "mean" and mine > 0 and theirs / mine >= 1.1:
        return f", {theirs / mine:.1f}x the {assessment.criterion.short}"
    return ""


def _recommend(assessments: list[_Assessment], candidates: list[str], seeds: int,
               unranked: list[str]) -> tuple[str | None, str]:
    """The recommended strategy (or ``None``) and the paragraph that says why."""
    caveat = " ".join(unranked)
    if not candidates:
        return None, "Nothing to recommend: no strategy ran (yardsticks only)."
    if not assessments:
        return None, f"Nothing to rank on: no criterion has runs. {caveat}".strip()
    on_seeds = f"on these {seeds} seed{'s' if seeds != 1 else ''}"
    if len(candidates) == 1:
        only = candidates[0]
        reasons = [_said(a, only) + _between(a, only) for a in assessments if only in a.ranked()]
        return only, (f"{only} is the only strategy run, so there is nothing to choose between; {on_seeds} it "
                      f"{_names(reasons)}. {caveat}").strip()
    survivors = list(candidates)
    dropped: list[tuple[_Assessment, list[str], list[str]]] = []  # (where, dropped, criteria passed before)
    passed: list[str] = []
    for assessment in assessments:
        scored = [label for label in assessment.ranked() if label in survivors]
        if scored:
            leader = scored[0]
            kept = [label for label in scored if label == leader or not assessment.beats(leader, label)]
            gone = [label for label in survivors if label not in kept]
            if gone:
                dropped.append((assessment, gone, list(passed)))
            survivors = kept
        passed.append(assessment.criterion.short)

    def overall(label: str) -> tuple[float, ...]:
        values = [a.scores[label].value for a in assessments]
        return (*[v if math.isfinite(v) else math.inf for v in values], float(candidates.index(label)))

    survivors.sort(key=overall)
    alike = [label for label in survivors[1:] if overall(label)[:-1] == overall(survivors[0])[:-1]]
    if len(alike) == len(survivors) - 1 and len(survivors) > 1:
        return None, (f"No strategy stands out: {_names(survivors)} are not distinguishable on any criterion "
                      f"{on_seeds} (the same values on every one). {caveat}").strip()
    chosen = survivors[0]
    alike_on = [a for a in assessments if len({a.scores[label].value for label in candidates}) == 1]
    reasons = [_reason(a, chosen) + _between(a, chosen) for a in assessments
               if chosen in a.ranked() and a not in alike_on]
    text = f"{chosen}: {on_seeds} it {_names(reasons)}." if reasons else f"{chosen}."
    if alike_on:
        text += f" All strategies are alike on {_names([a.criterion.short for a in alike_on])}."
    for assessment, gone, before in dropped:
        shown = [label for label in gone if label in assessment.ranked()]
        if not shown or not before:
            continue
        verb = "does" if len(shown) == 1 else "do"
        parts = [(f"{label} " if len(shown) > 1 else "") + _said(assessment, label) + _ratio(assessment, chosen, label)
                 for label in shown]
        text += f" {_names(shown)} {verb} as well on {_names(before)}, but {'; '.join(parts)}."
    rivals = survivors[1:]
    if rivals:
        text += (f" It is not distinguishable from {_names(rivals)} {on_seeds}: it leads on the averages only, "
                 "and more seeds would tell.")
    untested = [a.criterion.short for a in assessments if a not in alike_on
                and any(a.comparison(chosen, other) is None for other in a.ranked() if other != chosen)]
    if untested:
        text += f" Too few paired runs to test {_names(untested)}: those rest on the averages alone."
    return chosen, f"{text} {caveat}".strip()


def decide(rows: pd.DataFrame, paired: pd.DataFrame | None = None, *, confidence: float = 0.95) -> Decision:
    """The decision table and recommendation of an experiment's run ``rows`` (and its ``paired`` frame).

    ``rows``: one row per run, with ``strategy``, ``seed``, ``truth``,
    ``error`` and the figures of :mod:`simulator.experiment.figures`.
    ``paired``: the experiment's paired comparisons (optional; see the module's
    rule 4). ``confidence``: of every interval, and 1 - the significance level.
    """
    frame = _labelled(rows)
    labels = list(dict.fromkeys(frame["label"]))
    candidates = [label for label in labels if not is_yardstick(label)]
    seeds = int(frame.loc[~frame["label"].map(is_yardstick), "seed"].nunique()) if "seed" in frame else 0
    truths = set(frame["truth"].dropna()) if "truth" in frame else set()
    unranked = []
    if not truths:
        unranked.append("The candidate's verdict (good or bad) is not known, so false rollbacks, missed "
                        "regressions, exposure and harm cannot be ranked; the table ranks on what it can.")
    previous: dict[str, list[float]] = {label: [] for label in candidates}
    assessments = []
    for criterion in CRITERIA:
        figure = criterion.figure_in(frame.columns)
        if figure is None:
            continue
        assessment = _assess(frame, criterion, figure, labels, previous, confidence)
        if assessment.ranked():
            assessments.append(assessment)
    _compare(frame, assessments, paired, confidence)
    table = pd.DataFrame([_row(a) for a in assessments], columns=TABLE_COLUMNS)
    comparisons = pd.DataFrame(
        [{"criterion": a.criterion.named(a.figure), "figure": a.figure, "a": c.a, "b": c.b, "seeds": c.seeds,
          "difference": c.difference, "low": c.low, "high": c.high, "p_value": c.p_value, "p_holm": c.p_holm,
          "test": c.test, "significant": c.significant, "source": c.source}
         for a in assessments for c in a.comparisons.values()], columns=COMPARISON_COLUMNS)
    recommended, words = _recommend(assessments, candidates, seeds, unranked)
    return Decision(table, comparisons, words, recommended, seeds, unranked)


def decision_table(rows: pd.DataFrame, paired: pd.DataFrame | None = None, *, confidence: float = 0.95
                   ) -> pd.DataFrame:
    """One row per criterion: best strategy, value and interval, runner-up, and whether the best beats it.

    See :data:`TABLE_COLUMNS` and the module's rules.
    """
    return decide(rows, paired, confidence=confidence).table


def recommendation(rows: pd.DataFrame, paired: pd.DataFrame | None = None, *, confidence: float = 0.95) -> str:
    """The recommendation in plain words, with its reasons and how sure it is."""
    return decide(rows, paired, confidence=confidence).recommendation

