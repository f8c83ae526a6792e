"""The outcomes of analysis Jobs: drawn by the world from its own stream, at the Job's failure probability."""

from __future__ import annotations

import pytest
from scipy import stats

from simulator.random_streams import RandomStreams
from simulator.world.jobs import JobOutcomes


def outcomes(seed: int, probability: float, runs: int) -> list[bool]:
    jobs = JobOutcomes(RandomStreams(seed))
    return [jobs.run(probability) for _ in range(runs)]


@pytest.mark.parametrize("probability, expected", [(0.0, True), (1.0, False)])
def test_a_certain_job_draws_nothing(probability: float, expected: bool) -> None:
    jobs = JobOutcomes(RandomStreams(1))
    assert [jobs.run(probability) for _ in range(5)] == [expected] * 5
    assert jobs.runs == 0


@pytest.mark.parametrize("probability", [0.05, 0.3, 0.5])
def test_jobs_fail_at_their_probability(probability: float) -> None:
    runs = 4_000
    failed = outcomes(7, probability, runs).count(False)
    assert stats.binomtest(failed, runs, probability).pvalue > 1e-3


def test_the_same_seed_gives_the_same_outcomes_and_another_seed_others() -> None:
    assert outcomes(3, 0.5, 200) == outcomes(3, 0.5, 200)
    assert outcomes(3, 0.5, 200) != outcomes(4, 0.5, 200)


def test_jobs_leave_every_other_stream_as_it_was() -> None:
    streams, untouched = RandomStreams(9), RandomStreams(9)
    jobs = JobOutcomes(streams)
    for _ in range(50):
        jobs.run(0.4)
    assert streams.generator("traffic").random() == untouched.generator("traffic").random()


@pytest.mark.parametrize("probability", [-0.1, 1.5, float("nan")])
def test_a_probability_outside_0_to_1_is_refused(probability: float) -> None:
    with pytest.raises(ValueError, match="from 0 to 1"):
        JobOutcomes(RandomStreams(1)).run(probability)
