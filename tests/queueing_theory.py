"""Exact results of classical queueing models, used as oracles for the simulation engine.

Conventions: ``lam`` is an arrival rate and ``mu`` a service rate (per server), both per
unit of time (the tests use minutes); ``theta`` is the abandonment rate of a waiting
customer (1 / mean patience); ``c`` is the number of servers. Every function is exact
(no approximation formulas); the Erlang A results come from the stationary distribution
of the birth–death chain, truncated only where the neglected tail mass is below 1e-12.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

TAIL_TOLERANCE = 1e-12


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability of ``c`` servers with offered load ``a = lam / mu``.

    Uses the numerically stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``.
    """
    if c < 0 or a < 0:
        raise ValueError(f"need c >= 0 and a >= 0, got c={c}, a={a}")
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Erlang C: probability that an arrival to an M/M/c queue has to wait, P(W_q > 0).

    ``C = c B / (c - a (1 - B))`` with ``a = lam / mu`` and ``B`` the Erlang B probability.
    Requires ``rho = a / c < 1``.
    """
    a = lam / mu
    if not a < c:
        raise ValueError(f"M/M/c is unstable: offered load {a:g} >= c = {c}")
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """Mean waiting time in queue of an M/M/c (FIFO) queue: ``E[W_q] = C(c, a) / (c mu - lam)``."""
    return erlang_c(c, lam, mu) / (c * mu - lam)


def mmc_mean_sojourn(c: int, lam: float, mu: float) -> float:
    """Mean time in system of an M/M/c queue: ``E[W_q] + 1 / mu``."""
    return mmc_mean_wait(c, lam, mu) + 1.0 / mu


@dataclass(frozen=True)
class ErlangA:
    """Stationary performance of the M/M/c+M queue (exponential patience), per arrival."""

    p_wait: float        # P(an arrival finds all servers busy) = P(N >= c), by PASTA
    p_abandon: float     # fraction of arrivals who abandon = theta E[L_q] / lam
    mean_wait: float     # mean time in queue of all arrivals (served and abandoning) = E[L_q] / lam
    mean_queue: float    # E[L_q], time-average number waiting
    states: int          # number of states kept after truncation


def erlang_a(c: int, lam: float, mu: float, theta: float) -> ErlangA:
    """Exact Erlang A (M/M/c+M) from the birth–death CTMC on N = number in system.

    Birth rate ``lam`` in every state; death rate ``min(n, c) mu + max(n - c, 0) theta`` in
    state ``n``. The unnormalised stationary weights are ``p_0 = 1``,
    ``p_n = p_{n-1} lam / death(n)``. Death rates never decrease with ``n``, so once the ratio
    ``r = lam / death(n + 1)`` is below one the tail after state ``n`` is at most
    ``p_n r / (1 - r)``, and its share of ``E[L_q]`` is at most ``p_n r / (1 - r) (n - c + 1 / (1 - r))``.
    The chain is truncated at the first state where that second bound (which also bounds the
    first) is below ``1e-12`` times the mass kept, so both the neglected probability and the
    neglected part of ``E[L_q]`` are below ``1e-12``. With ``theta = 0`` this is the M/M/c queue
    (it needs ``lam < c mu``) and the results equal Erlang C.

    A waiting customer leaves the queue either to service or by abandoning, so by Little's
    law the mean wait of all arrivals is ``E[L_q] / lam``, and abandonments happen at rate
    ``theta E[L_q]``, i.e. a fraction ``theta E[L_q] / lam`` of arrivals.
    """
    if c < 1 or lam <= 0 or mu <= 0 or theta < 0:
        raise ValueError(f"need c >= 1, lam > 0, mu > 0, theta >= 0; got c={c}, lam={lam}, mu={mu}, theta={theta}")
    if theta == 0 and not lam < c * mu:
        raise ValueError(f"without abandonment the queue is unstable: lam={lam:g} >= c mu={c * mu:g}")

    def death(n: int) -> float:
        return min(n, c) * mu + max(n - c, 0) * theta

    # weights are rescaled on the fly so that they never overflow for large loads
    weights = [1.0]
    total = 1.0
    n = 0
    while True:
        r = lam / death(n + 1)
        # for r < 1: sum_{k>n} p_k <= p_n r / (1 - r) and
        # sum_{k>n} (k - c) p_k <= p_n r / (1 - r) * (n - c + 1 / (1 - r)); the second bound covers both
        if r < 1.0 and weights[-1] * r / (1.0 - r) * (max(n - c, 0) + 1.0 / (1.0 - r)) < TAIL_TOLERANCE * total:
            break
        weights.append(weights[-1] * r)
        total += weights[-1]
        n += 1
        if total > 1e250:
            scale = 1.0 / total
            weights = [w * scale for w in weights]
            total = 1.0
        if n > 10_000_000:  # pragma: no cover - only for absurd parameters
            raise RuntimeError("Erlang A state space did not converge")
    probs = [w / total for w in weights]
    p_wait = sum(probs[c:])
    mean_queue = sum((k - c) * p for k, p in enumerate(probs) if k > c)
    return ErlangA(p_wait=p_wait, p_abandon=theta * mean_queue / lam, mean_wait=mean_queue / lam,
                   mean_queue=mean_queue, states=len(probs))


def cobham_priority_waits(lams: Sequence[float], means: Sequence[float],
                          second_moments: Sequence[float] | None = None) -> list[float]:
    """Mean waits in queue of each class of a non-preemptive priority M/G/1 queue (Cobham, 1954).

    Classes are listed most urgent first; within a class service is FIFO. With
    ``rho_i = lam_i E[S_i]`` and ``sigma_k = rho_1 + ... + rho_k``,

        ``W_k = W_0 / ((1 - sigma_{k-1}) (1 - sigma_k))``,  ``W_0 = sum_i lam_i E[S_i^2] / 2``,

    where ``W_0`` is the mean residual work of the customer in service seen by an arrival.
    ``second_moments`` defaults to exponential service, ``E[S^2] = 2 E[S]^2``. With one class
    this is the Pollaczek–Khinchine mean wait ``lam E[S^2] / (2 (1 - rho))``.
    """
    if len(lams) != len(means) or not lams:
        raise ValueError("need one arrival rate and one mean service time per class")
    if second_moments is None:
        second_moments = [2.0 * m * m for m in means]
    rhos = [lam * m for lam, m in zip(lams, means)]
    if not sum(rhos) < 1.0:
        raise ValueError(f"unstable: total load {sum(rhos):g} >= 1")
    w0 = sum(lam * s2 for lam, s2 in zip(lams, second_moments)) / 2.0
    waits = []
    sigma_before = 0.0
    for rho in rhos:
        sigma = sigma_before + rho
        waits.append(w0 / ((1.0 - sigma_before) * (1.0 - sigma)))
        sigma_before = sigma
    return waits


def pollaczek_khinchine_wait(lam: float, mean: float, second_moment: float) -> float:
    """Mean wait in queue of an M/G/1 FIFO queue: ``lam E[S^2] / (2 (1 - rho))``."""
    rho = lam * mean
    if not rho < 1.0:
        raise ValueError(f"unstable: rho = {rho:g} >= 1")
    return lam * second_moment / (2.0 * (1.0 - rho))


def shortest_first_wait(lam: float, mean: float) -> float:
    """Mean wait in queue of an M/M/1 queue served shortest job first, not pre-emptive (Phipps, 1956): a job of size
    ``x`` waits on average ``W_0 / (1 - rho(x))^2``, where ``W_0 = lam E[S^2] / 2`` is the mean residual work in
    service and ``rho(x) = lam E[S; S <= x]`` the load of the jobs shorter than ``x``; averaged over ``x``."""
    from scipy import integrate

    if not lam * mean < 1.0:
        raise ValueError(f"unstable: rho = {lam * mean:g} >= 1")
    w0 = lam * mean * mean  # lam E[S^2] / 2 with E[S^2] = 2 mean^2

    def load_below(x: float) -> float:
        return lam * mean * (1.0 - math.exp(-x / mean) * (1.0 + x / mean))

    return integrate.quad(lambda x: w0 / (1.0 - load_below(x)) ** 2 * math.exp(-x / mean) / mean, 0.0, math.inf)[0]


def jackson_tandem_sojourn(lam: float, c1: int, mu1: float, c2: int, mu2: float, p: float) -> float:
    """Mean sojourn time of an external arrival in the open Jackson network L1 -> (p) L2.

    Every customer is served at node 1 (an M/M/c1 with rate ``lam``); a fraction ``p`` then
    goes on to node 2, whose arrivals are Poisson with rate ``p lam`` (Burke's theorem plus
    Bernoulli thinning), so node 2 is an M/M/c2. The mean sojourn of an arrival is
    ``T_1 + p T_2`` with ``T_i`` the mean time in system of node ``i``; by Little's law this is
    also ``(L_1 + L_2) / lam``.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"escalation probability must be in [0, 1], got {p}")
    t1 = mmc_mean_sojourn(c1, lam, mu1)
    t2 = mmc_mean_sojourn(c2, p * lam, mu2) if p > 0 else 0.0
    return t1 + p * t2


@dataclass(frozen=True)
class BaseStock:
    """Stationary performance of a base-stock inventory with Poisson demand and backorders (Palm's theorem)."""

    fill_rate: float         # share of demands filled from stock: P(X <= S - 1)
    mean_on_hand: float      # E[(S - X)+]
    mean_backorders: float   # E[(X - S)+]
    mean_wait: float         # mean wait per demand (all demands), by Little's law: E[backorders] / lam


def base_stock(s: int, lam: float, mean_lead_time: float) -> BaseStock:
    """Unit Poisson demand at rate ``lam``, one-for-one replenishment to base stock ``s`` with i.i.d. lead times of
    any distribution with mean ``mean_lead_time``: the units on order X are the customers of an M/G/inf queue,
    Poisson with mean ``lam * mean_lead_time`` (Palm's theorem); on hand is (s - X)+ and backorders (X - s)+."""
    import math

    a = lam * mean_lead_time
    pmf = [math.exp(-a)]
    for k in range(1, s + 1):
        pmf.append(pmf[-1] * a / k)
    on_hand = sum((s - k) * p for k, p in enumerate(pmf))
    backorders = a - s + on_hand  # E[(X - s)+] = E[X] - s + E[(s - X)+]
    return BaseStock(sum(pmf[:s]), on_hand, backorders, backorders / lam)
