"""What the evaluator refuses, and how: a ScenarioError that names the construct and lists what is supported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator.errors import ScenarioError
from simulator.prometheus import (
    PromQLSyntaxError,
    SimulatedPrometheus,
    UnsupportedPromQLError,
    parse_query,
)


@pytest.mark.parametrize(("query", "named"), [
    ("absent(up)", "the function absent()"),
    ('label_replace(up, "a", "b", "c", "d")', "the function label_replace()"),
    ("sum_over_time(up[5m])", "the function sum_over_time()"),
    ("topk(3, up)", "the aggregation topk()"),
    ("quantile(0.9, up)", "the aggregation quantile()"),
    ("stddev by (a) (up)", "the aggregation stddev()"),
    ("up and down", "the set operator 'and'"),
    ("up or down", "the set operator 'or'"),
    ("up unless down", "the set operator 'unless'"),
    ("up / on(a) group_left down", "group_left/group_right"),
    ("up atan2 down", "the binary operator 'atan2'"),
    ("rate(up[5m:1m])", "a subquery"),
    ("max_over_time(rate(up[5m])[10m:1m])", "the function max_over_time()"),
    ("up @ 100", "the @ modifier"),
    ("up[5m]", "a range vector as the query's result"),
    ('"text"', "the string literal 'text'"),
    ('up{a="1" or b="2"}', "'or' between label matchers"),
    ("histogram_quantile(0.9, sum(rate(x_bucket[5m])) by (le)) + absent(y)", "the function absent()"),
    ("time()", "the function time()"),
])
def test_unsupported_constructs_are_named(query: str, named: str) -> None:
    with pytest.raises(UnsupportedPromQLError) as raised:
        parse_query(query)
    message = str(raised.value)
    assert named in message
    assert "supported:" in message and "histogram_quantile" in message and "rate" in message
    assert isinstance(raised.value, ScenarioError)
    assert raised.value.value == query


def test_unsupported_is_reported_before_any_data_is_read() -> None:
    # The unsupported call sits behind an empty selector, which evaluation would never get past.
    with pytest.raises(UnsupportedPromQLError, match="absent"):
        SimulatedPrometheus([]).query("nothing * on() absent(up)", 0.0)


@pytest.mark.parametrize("query", ["sum(", "rate(up)", "up{", "1 > 2", "sum(up[5m])", "", "up{a=~\"(\"}"])
def test_a_query_that_does_not_parse(query: str) -> None:
    with pytest.raises(PromQLSyntaxError) as raised:
        parse_query(query)
    assert isinstance(raised.value, ScenarioError)
    assert "does not parse" in str(raised.value)


def test_supported_queries_parse_to_their_result_type() -> None:
    assert parse_query("sum by (a) (rate(x_total[5m])) / on(a) sum by (a) (rate(y_total[5m]))").kind == "vector"
    assert parse_query("scalar(x) * 2").kind == "scalar"
    assert parse_query("vector(1)").kind == "vector"
    assert parse_query("rate((x_total[5m]))").kind == "vector"


def test_importing_the_simulator_loads_neither_the_parser_nor_this_package() -> None:
    code = ("import sys, simulator, simulator.cli; "
            "print(sorted(m for m in sys.modules if m.startswith(('promql_parser', 'simulator.prometheus'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = ("import sys, simulator.prometheus as p; p.SimulatedPrometheus; "
            "print('promql_parser' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
