"""Reference results nobody here wrote: queueing formulas and the ciw simulator.

Nothing in this module imports :mod:`simulator`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

__all__ = [
    "erlang_c_probability_of_wait",
    "erlang_c_mean_wait",
    "mmc_mean_wait_ciw",
    "mgc_mean_wait_ciw_lognormal",
]


def erlang_c_probability_of_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Probability that an arrival to an M/M/c queue waits (Erlang C).

    ``arrival_rate`` and ``service_rate`` in 1/s; computed in log space so
    large ``servers`` do not overflow.
    """
    offered = arrival_rate / service_rate
    utilisation = offered / servers
    if not 0 <= utilisation < 1:
        raise ValueError(f"utilisation must be in [0, 1), got {utilisation}")
    if offered == 0:
        return 0.0
    k = np.arange(servers)
    log_terms = k * math.log(offered) - special.gammaln(k + 1)
    log_sum = special.logsumexp(log_terms)
    log_top = servers * math.log(offered) - special.gammaln(servers + 1) - math.log1p(-utilisation)
    return float(1.0 / (1.0 + math.exp(log_sum - log_top)))


def erlang_c_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue of an M/M/c queue, seconds: ``C(c, a) / (c mu - lambda)``."""
    return erlang_c_probability_of_wait(arrival_rate, service_rate, servers) / (
        servers * service_rate - arrival_rate
    )


def _ciw_mean_wait(service_distribution, arrival_rate: float, servers: int, max_time: float, seed: int,
                   warmup: float) -> float:
    import ciw

    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival_rate)],
        service_distributions=[service_distribution],
        number_of_servers=[servers],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(max_time)
    waits = [record.waiting_time for record in simulation.get_all_records() if record.arrival_date > warmup]
    return float(np.mean(waits))


def mmc_mean_wait_ciw(arrival_rate: float, service_rate: float, servers: int, max_time: float, seed: int,
                      warmup: float) -> float:
    """Mean queue wait of an M/M/c queue estimated by the ciw simulation library, seconds."""
    import ciw

    return _ciw_mean_wait(ciw.dists.Exponential(rate=service_rate), arrival_rate, servers, max_time, seed, warmup)


def mgc_mean_wait_ciw_lognormal(arrival_rate: float, mean_service: float, sigma: float, servers: int,
                                max_time: float, seed: int, warmup: float) -> float:
    """Mean queue wait of an M/LogNormal/c queue estimated by ciw, seconds.

    The lognormal has mean ``mean_service`` seconds and log-standard-deviation ``sigma``.
    """
    import ciw

    mu = math.log(mean_service) - sigma**2 / 2
    return _ciw_mean_wait(ciw.dists.Lognormal(mean=mu, sd=sigma), arrival_rate, servers, max_time, seed, warmup)
