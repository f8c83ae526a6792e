"""hey command lines read as the load they send: workers, rate, duration, the Service; hey's own refusals."""

from __future__ import annotations

import pytest

from simulator.strategies.flagger.hey import is_hey, parse_hey


def test_flagger_s_tutorial_command_is_two_workers_at_ten_a_second_for_a_minute() -> None:
    hey = parse_hey("hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/")
    assert (hey.workers, hey.period, hey.duration) == (2, 0.1, 60.0)
    assert (hey.service, hey.namespace) == ("podinfo-canary", "test")
    assert hey.rate == pytest.approx(20.0) and hey.requests_per_worker == 600


@pytest.mark.parametrize("command", [
    "hey -z=1m -q=10 -c=2 http://podinfo-canary.test:9898/",
    "hey --z 1m --q 10 --c 2 -m POST -d '{\"test\": 2}' -H 'Cookie: type=insider' http://podinfo-canary.test:9898/echo",
    "/usr/local/bin/hey -disable-keepalive -z 1m -q 10 -c 2 -t 5 -h2 http://podinfo-canary.test.svc.cluster.local/",
    "hey -z 1m -q 10 -c 2 podinfo-canary.test:9898 && echo done",
])
def test_go_flag_spellings_and_other_flags_change_nothing(command: str) -> None:
    hey = parse_hey(command)
    assert (hey.workers, hey.period, hey.duration, hey.service, hey.namespace) == (2, 0.1, 60.0, "podinfo-canary",
                                                                                 "test")


def test_without_z_n_requests_are_shared_by_the_workers_as_hey_shares_them() -> None:
    hey = parse_hey("hey -n 1001 -c 10 -q 5 http://podinfo-canary/")
    assert hey.requests_per_worker == 100  # n // c: hey ignores the remainder
    assert hey.duration == pytest.approx(100 * 0.2) and hey.namespace is None
    assert parse_hey("hey -q 1 http://x/").requests_per_worker == 4  # the defaults: -n 200 -c 50


def test_z_wins_over_n() -> None:
    assert parse_hey("hey -n 10 -c 2 -z 30s -q 1 http://x/").requests_per_worker == 30


def test_the_tick_is_cut_to_whole_microseconds_as_go_s_duration_is() -> None:
    assert parse_hey("hey -z 1m -q 3 -c 1 http://x/").period == pytest.approx(0.333333)


@pytest.mark.parametrize(("command", "message"), [
    ("hey -z 1m -c 2 http://podinfo-canary.test:9898/", "expected -q RATE"),
    ("hey -z 1m -q 0 -c 2 http://podinfo-canary.test:9898/", "expected -q RATE"),
    ("hey -z 1m -q 10 -c 2 -k http://podinfo-canary.test:9898/", "hey has no flag -k"),
    ("hey -n 1 -c 2 -q 10 http://podinfo-canary.test:9898/", "hey refuses -n below -c"),
    ("hey -z 1m -q 10 -c 0 http://x/", "at least 1 worker"),
    ("hey -z 1m -q 10 -c 2", "expected the URL"),
    ("hey -z 1 -q 10 -c 2 http://x/", "a number needs its unit"),
    ("hey -z 1m -q ten -c 2 http://x/", "-q ten"),
    ("curl http://x/", "expected a hey command"),
])
def test_what_hey_would_not_run_or_the_simulation_cannot_is_refused(command: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hey(command)


@pytest.mark.parametrize(("command", "expected"), [
    ("hey -z 1m -q 10 http://x/", True), ("/bin/hey -q 1 http://x/", True),
    ("curl -sd 'anon' http://podinfo-canary.test:9898/token | grep token", False), ("", False),
    ("hey 'unbalanced", False),
])
def test_is_hey_looks_at_the_first_word(command: str, expected: bool) -> None:
    assert is_hey(command) is expected
