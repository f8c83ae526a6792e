"""Summaries with confidence intervals per strategy, and paired comparisons between strategies.

The methods live in :mod:`simulator.experiment.intervals` (Wilson for rates,
Hall-corrected t within the figure's support for means, order statistics
for quantiles) and :mod:`simulator.experiment.paired` (McNemar exact for
yes/no outcomes, paired t or the sign test for numbers, Holm over the
family); this module builds the summary table and keeps every name
importable from one place.

Summary columns per group: ``runs``, ``errors``; per rate ``{rate}``,
``{rate}_low``, ``{rate}_high`` (fractions 0-1); per figure
``{figure}_mean``, ``{figure}_low``, ``{figure}_high`` and, for ``q`` in 50
and 95, ``{figure}_p{q}``, ``{figure}_p{q}_low``, ``{figure}_p{q}_high`` and
``{figure}_p{q}_note`` (in the figure's unit); a run with regions adds its
regions' figures the same way (``regions.NAME.FIGURE_mean``, ...). A note is ``""`` when the
interval is defined and otherwise says why not, e.g. ``"too few runs for a
95 % interval of a p95: 59 needed, 20 run"`` (its bounds are then NaN).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.experiment.figure_kinds import RATES, support_of
from simulator.experiment.figures import FIGURES, region_figure_columns
from simulator.experiment.intervals import (
    interval_note,
    mean_interval,
    quantile_interval,
    quantile_ranks,
    runs_needed,
    too_few_runs,
    wilson,
)
from simulator.experiment.paired import holm, paired_differences

__all__ = ["RATES", "summarise", "paired_differences", "wilson", "mean_interval", "quantile_interval", "holm",
           "quantile_ranks", "runs_needed", "too_few_runs", "support_of"]


def summarise(rows: pd.DataFrame, by: list[str], confidence: float = 0.95) -> pd.DataFrame:
    """One row per group of ``rows`` (by the columns ``by``): rates, means and quantiles with intervals.

    See the module docstring for the columns. Runs that raised (``error``
    set) count in ``runs`` and ``errors`` and nowhere else.
    """
    records = []
    for key, group in rows.groupby(by, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        ok = group[group["error"].isna()]
        record: dict[str, object] = dict(zip(by, key, strict=True))
        record["runs"] = len(group)
        record["errors"] = int(group["error"].notna().sum())
        for rate in RATES:
            if rate not in ok:
                continue
            values = ok[rate].dropna().astype(bool)
            low, high = wilson(int(values.sum()), len(values), confidence)
            record[rate] = values.mean() if len(values) else math.nan
            record[f"{rate}_low"], record[f"{rate}_high"] = low, high
        for figure in [*FIGURES, *region_figure_columns(ok.columns)]:
            if figure not in ok:
                continue
            values = pd.to_numeric(ok[figure], errors="coerce").to_numpy(dtype=float)
            finite = values[np.isfinite(values)]
            mean, low, high = mean_interval(finite, confidence, support=support_of(figure))
            record[f"{figure}_mean"], record[f"{figure}_low"], record[f"{figure}_high"] = mean, low, high
            for q in (50, 95):
                value, low, high = quantile_interval(finite, q / 100, confidence)
                record[f"{figure}_p{q}"] = value
                record[f"{figure}_p{q}_low"], record[f"{figure}_p{q}_high"] = low, high
                record[f"{figure}_p{q}_note"] = interval_note(f"p{q}", len(finite), low, high, confidence)
        records.append(record)
    return pd.DataFrame(records)
