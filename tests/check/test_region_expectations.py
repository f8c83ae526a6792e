"""Expectations of a region's figures and of the blast radius: parsed, named in the schema, judged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.check import parse_expectations
from simulator.check.expectation_syntax import REGION_FIGURE_NAMES, expectation_key_names
from simulator.check.expectations import judge
from simulator.errors import ScenarioError
from simulator.experiment.figures import REGION_FIGURES


def test_region_figure_names_are_the_experiment_layers() -> None:
    assert REGION_FIGURE_NAMES == REGION_FIGURES
    assert "regions.*.candidate_requests" in expectation_key_names()


def test_a_regions_figure_is_judged_on_its_column() -> None:
    (expectation,) = parse_expectations({"waves": {"regions.eu.candidate_requests.max": "== 0"}}, ["waves"])
    assert (expectation.metric, expectation.aggregate) == ("regions.eu.candidate_requests", "max")
    rows = pd.DataFrame({"strategy": "waves", "seed": [1, 2, 3], "error": None,
                         "regions.eu.candidate_requests": [0, 0, 0]})
    assert judge("s", expectation, rows).verdict == "pass"
    rows.loc[2, "regions.eu.candidate_requests"] = 12
    assert judge("s", expectation, rows).verdict == "fail"


def test_the_blast_radius_is_a_share() -> None:
    (expectation,) = parse_expectations({"waves": {"blast_radius_users": "<= 50%"}}, ["waves"])
    rows = pd.DataFrame({"strategy": "waves", "seed": np.arange(4), "error": None,
                         "blast_radius_users": [0.2, 0.3, 0.25, 0.3]})
    judgement = judge("s", expectation, rows)
    assert judgement.verdict == "pass" and judgement.measured == pytest.approx(0.2625)
    assert expectation.format_value(judgement.measured) == "26.25%"


def test_a_figure_no_run_has_is_a_failure_that_says_so() -> None:
    (expectation,) = parse_expectations({"waves": {"regions.eu.requests": ">= 1"}}, ["waves"])
    judgement = judge("s", expectation, pd.DataFrame({"strategy": ["waves"], "seed": [1], "error": [None]}))
    assert judgement.verdict == "fail" and judgement.message == "no run produced this figure"


@pytest.mark.parametrize("key", ["regions.eu.candidate_reqs", "regions.eu", "regions..requests",
                                 "regions.eu.requests.p99"])
def test_a_misspelt_regions_figure_is_refused(key: str) -> None:
    with pytest.raises(ScenarioError, match=f"expect.waves.{key}"):
        parse_expectations({"waves": {key: ">= 1"}}, ["waves"])
