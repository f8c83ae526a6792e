"""``labels=``, the old name of ``strategies=``, still works for one release and warns naming the new keyword."""

from __future__ import annotations

import pytest

from simulator import compare, run_all, sweep
from simulator.check import check
from tests.helpers import SCENARIOS

QUICKSTART = SCENARIOS / "quickstart.yaml"
CALLS = {
    "compare": lambda **chosen: set(compare(QUICKSTART, 1, yardsticks=False, representative=False,
                                            **chosen).rows["strategy"]),
    "sweep": lambda **chosen: set(sweep(QUICKSTART, {"strategies.canary.monitoringDuration": ["2m"]}, 1,
                                        representative=False, **chosen).rows["strategy"]),
    "check": lambda **chosen: {judgement.expectation.label
                               for judgement in check([str(QUICKSTART)], runs=1, **chosen).judgements},
}


@pytest.mark.parametrize("function", sorted(CALLS))
def test_the_old_keyword_chooses_the_same_strategies_and_warns(function: str) -> None:
    deprecated = rf"{function}\(\): 'labels=' is deprecated.*use 'strategies='"
    with pytest.warns(DeprecationWarning, match=deprecated) as caught:
        old = CALLS[function](labels=["immediate"])
    assert [warning.filename for warning in caught] == [__file__]  # points at the caller, not at the library
    assert old == CALLS[function](strategies=["immediate"]) == {"immediate"}
    with pytest.raises(TypeError, match="got both 'strategies' and 'labels'"):
        CALLS[function](strategies=["immediate"], labels=["immediate"])


def test_run_all_takes_the_old_keyword_too() -> None:
    from simulator import load_scenario

    scenario = load_scenario(QUICKSTART)
    with pytest.warns(DeprecationWarning, match="use 'strategies='"):
        old = run_all(scenario, 1, labels=["immediate"])
    assert [result.strategy for result in old] == [result.strategy for result in
                                                   run_all(scenario, 1, strategies=["immediate"])] == ["immediate"]


def test_the_new_keyword_does_not_warn(recwarn) -> None:
    compare(QUICKSTART, 1, strategies=["immediate"], yardsticks=False, representative=False)
    assert not [warning for warning in recwarn if issubclass(warning.category, DeprecationWarning)]
