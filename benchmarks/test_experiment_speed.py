"""A compare of 5 strategies x 200 seeds of the quickstart scenario on local processes.

The fifth strategy is a second canary judged by the Mann-Whitney judge; every run
covers the scenario's one-hour window (the yardstick runs are left out). Run with
``python -m pytest benchmarks -n 0 --benchmark-only``; the figure to watch is the
wall time of the whole compare on this machine's two cores.
"""

from __future__ import annotations

from simulator.experiment import compare
from tests.helpers import scenario_data


def five_strategies() -> dict:
    data = scenario_data("quickstart.yaml")
    data["strategies"]["judged-canary"] = {**data["strategies"]["canary"], "strategy": "Canary",
                                           "judge": "mann_whitney"}
    return data


def test_compare_five_strategies_two_hundred_seeds(benchmark) -> None:
    data = five_strategies()
    result = benchmark.pedantic(compare, args=(data, 200), kwargs={"jobs": 2, "yardsticks": False}, rounds=1,
                                iterations=1)
    assert len(result.rows) == 1000 and result.rows["error"].isna().all()
    benchmark.extra_info["runs"] = 1000
    benchmark.extra_info["runs_per_second"] = round(1000 / benchmark.stats.stats.min, 1)
    print(f"\ncompare 5 x 200 on 2 processes: {benchmark.stats.stats.min:.1f} s")
