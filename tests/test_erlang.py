"""servsim.erlang against exact rational arithmetic, a brute-force CTMC, a matrix exponential and a simulation."""

from __future__ import annotations

import dataclasses
import heapq
import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.linalg import expm

from servsim.erlang import (
    ErlangA,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    erlang_c_service_level,
    required_agents,
)


def poisson_terms(a: Fraction, n: int) -> list[int]:
    """Integers proportional to a^k / k!, k = 0..n (scaled by q^n n! for a = p / q), so sums stay exact."""
    p, q = a.numerator, a.denominator
    falling = [1] * (n + 1)  # n! / k!
    for k in range(n - 1, -1, -1):
        falling[k] = falling[k + 1] * (k + 1)
    return [p**k * q ** (n - k) * falling[k] for k in range(n + 1)]


def exact_b(a: Fraction, n: int) -> Fraction:
    terms = poisson_terms(a, n)
    return Fraction(terms[-1], sum(terms))


def exact_c(a: Fraction, n: int) -> Fraction:
    terms = poisson_terms(a, n)
    top = terms[-1] * Fraction(n) / (n - a)
    return top / (sum(terms[:-1]) + top)


def ctmc(lam: float, mu: float, theta: float, n: int, states: int = 400) -> np.ndarray:
    """Stationary distribution of the truncated M/M/n+M generator, solved as a linear system."""
    q = np.zeros((states, states))
    for k in range(states - 1):
        q[k, k + 1] = lam
        q[k + 1, k] = min(k + 1, n) * mu + max(k + 1 - n, 0) * theta
    q -= np.diag(q.sum(axis=1))
    lhs = q.T.copy()
    lhs[-1] = 1.0
    rhs = np.zeros(states)
    rhs[-1] = 1.0
    return np.linalg.solve(lhs, rhs)


CASES = [  # arrival_rate, mean_service, mean_patience, agents
    (3.0, 1.0, 2.0, 2),  # overloaded
    (4.0, 0.5, 0.7, 3),
    (10.0, 1.0, 3.0, 12),
    (1.0, 1.0, 5.0, 0),  # nobody is ever served
    (0.9, 2.0, 10.0, 1),
]


@pytest.mark.parametrize("a, n", [(Fraction(10), 10), (Fraction(2), 3), (Fraction(37, 4), 12), (Fraction(1, 3), 1),
                                  (Fraction(950), 1000), (Fraction(1000), 1000), (Fraction(5), 0)])
def test_erlang_b_equals_exact_rational_formula(a, n):
    assert erlang_b(float(a), n) == pytest.approx(float(exact_b(a, n)), rel=1e-12)


def test_erlang_b_textbook_values():
    assert round(erlang_b(10, 10), 4) == 0.2146
    assert erlang_b(2, 3) == pytest.approx(4 / 19, rel=1e-14)
    assert erlang_b(0, 5) == 0.0
    assert erlang_b(3, 0) == 1.0
    assert math.isfinite(erlang_b(1000, 1000)) and 0 < erlang_b(1000, 1000) < 1


@pytest.mark.parametrize("a, n", [(Fraction(2), 3), (Fraction(10), 14), (Fraction(48), 55), (Fraction(37, 4), 12),
                                  (Fraction(950), 1000), (Fraction(1999, 2), 1000)])
def test_erlang_c_equals_exact_rational_formula(a, n):
    assert erlang_c(float(a), n) == pytest.approx(float(exact_c(a, n)), rel=1e-12)


def test_erlang_c_textbook_values():
    assert erlang_c(2, 3) == pytest.approx(4 / 9, rel=1e-14)
    assert erlang_c(3, 3) == 1.0 and erlang_c(5, 3) == 1.0 and erlang_c(0, 0) == 1.0
    assert erlang_c(0, 4) == 0.0


def test_call_centre_examples():
    # 360 calls per half hour (12/min), 4 min calls, 55 agents, 15 s target: 48 Erlangs
    assert erlang_c(48, 55) == pytest.approx(0.238701, abs=1e-6)
    assert erlang_c_mean_wait(12, 4, 55) * 60 == pytest.approx(8.18403, abs=1e-5)  # seconds
    assert erlang_c_service_level(12, 4, 55, 0.25) == pytest.approx(0.845883, abs=1e-6)
    # 100 calls per 30 min, 180 s handling time (10 Erlangs), 20 s target
    assert erlang_c(10, 14) == pytest.approx(0.174132, abs=1e-6)
    assert erlang_c_service_level(100 / 30, 3, 13, 1 / 3) == pytest.approx(0.795595, abs=1e-6)
    assert erlang_c_service_level(100 / 30, 3, 14, 1 / 3) == pytest.approx(0.888350, abs=1e-6)
    assert required_agents(100 / 30, 3, 1 / 3, 0.8) == 14
    assert required_agents(12, 4, 0.25, 0.8) == 55


def test_mm1_closed_forms():
    lam, mu = 0.8, 1.25
    rho = lam / mu
    assert erlang_c(rho, 1) == pytest.approx(rho, rel=1e-14)
    assert erlang_c_mean_wait(lam, 1 / mu, 1) == pytest.approx(rho / (mu - lam), rel=1e-13)
    assert erlang_c_service_level(lam, 1 / mu, 1, 2.0) == pytest.approx(1 - rho * math.exp(-(mu - lam) * 2), rel=1e-13)
    assert erlang_c_mean_wait(1.25, 0.8, 1) == math.inf
    assert erlang_c_service_level(2.0, 1.0, 2, 1.0) == 0.0


@pytest.mark.parametrize("lam, s, patience, n", CASES)
def test_erlang_a_matches_brute_force_ctmc(lam, s, patience, n):
    result = erlang_a(lam, s, patience, n)
    pi = ctmc(lam, 1 / s, 1 / patience, n)
    k = np.arange(len(pi))
    queue = float(np.dot(pi, np.maximum(k - n, 0)))
    assert result.p_wait == pytest.approx(pi[n:].sum(), abs=1e-9)
    assert result.abandonment == pytest.approx(queue / patience / lam, abs=1e-9)
    assert result.mean_wait == pytest.approx(queue / lam, abs=1e-9)
    assert result.mean_queue == pytest.approx(queue, abs=1e-9)
    busy = float(np.dot(pi, np.minimum(k, n)))
    assert result.occupancy == pytest.approx(busy / n if n else 0.0, abs=1e-9)
    assert result.abandonment == pytest.approx(result.mean_wait / patience, rel=1e-12)


@pytest.mark.parametrize("lam, s, patience, n", CASES)
def test_erlang_a_service_level_matches_matrix_exponential(lam, s, patience, n):
    """Answered within t = P(free agent) + P(absorbed in 'served' by t) of the phase-type wait killed at rate theta."""
    pi = ctmc(lam, 1 / s, 1 / patience, n)
    ahead = pi[n:120 + n]  # arrival finds m = 0.. customers waiting
    size = len(ahead) + 1  # states m = 0..M customers ahead, plus "answered" (last)
    c, theta = n / s, 1 / patience
    gen = np.zeros((size, size))
    for m in range(len(ahead)):
        gen[m, m - 1 if m else size - 1] = c + m * theta
        gen[m, m] = -(c + (m + 1) * theta)  # theta more: the arrival's own abandonment (mass lost)
    start = np.append(ahead, 0.0)
    result = erlang_a(lam, s, patience, n)
    for t in (0.0, 0.05, 0.3, 1.0, 5.0):
        expected = pi[:n].sum() + (start @ expm(gen * t))[-1]
        assert result.service_level(t) == pytest.approx(expected, abs=1e-9)


def test_erlang_a_service_level_shape():
    result = erlang_a(10.0, 1.0, 3.0, 11)
    assert result.service_level(0) == pytest.approx(1 - result.p_wait, abs=1e-14)
    levels = [result.service_level(t) for t in np.linspace(0, 4, 41)]
    assert all(b > a for a, b in zip(levels, levels[1:]))
    assert levels[-1] < 1 - result.abandonment
    assert result.service_level(60.0) == pytest.approx(1 - result.abandonment, abs=1e-12)


@pytest.mark.parametrize("lam, s, n", [(2.0, 1.0, 3), (9.0, 1.0, 10), (950.0, 1.0, 1000), (1.0, 3.0, 4)])
def test_erlang_a_reduces_to_erlang_c(lam, s, n):
    for patience in (1e9, math.inf):
        result = erlang_a(lam, s, patience, n)
        assert result.p_wait == pytest.approx(erlang_c(lam * s, n), abs=1e-6)
        assert result.mean_wait == pytest.approx(erlang_c_mean_wait(lam, s, n), abs=1e-6)
        for t in (0.0, 0.1, 1.0):
            assert result.service_level(t) == pytest.approx(erlang_c_service_level(lam, s, n, t), abs=1e-6)
        assert result.abandonment < 1e-6
    assert erlang_a(lam, s, math.inf, n).p_wait == erlang_c(lam * s, n)


def test_erlang_a_without_agents_everyone_abandons():
    result = erlang_a(2.0, 1.0, 4.0, 0)
    assert result.p_wait == 1.0 and result.abandonment == pytest.approx(1.0, abs=1e-14)
    assert result.mean_wait == pytest.approx(4.0, rel=1e-12)
    assert result.mean_queue == pytest.approx(2.0 * 4.0, rel=1e-12)
    assert result.occupancy == 0.0 and result.service_level(100.0) == 0.0


def test_erlang_a_no_arrivals():
    result = erlang_a(0.0, 1.0, 2.0, 3)
    assert (result.p_wait, result.abandonment, result.mean_wait, result.service_level(0)) == (0.0, 0.0, 0.0, 1.0)


def test_erlang_a_large_system_is_finite():
    result = erlang_a(1000.0, 1.0, 5.0, 1000)
    values = [result.p_wait, result.abandonment, result.occupancy, result.service_level(1 / 3)]
    assert all(0 < v < 1 for v in values)
    assert result.abandonment == pytest.approx(result.mean_wait / 5.0, rel=1e-12)
    # flow balance: served rate = busy agents * mu
    assert result.occupancy * 1000 == pytest.approx(1000.0 * (1 - result.abandonment), rel=1e-10)


def test_erlang_a_is_frozen():
    result = erlang_a(1.0, 1.0, 1.0, 1)
    assert isinstance(result, ErlangA)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_wait = 0.5


def simulate_answered(lam: float, s: float, patience: float, n: int, target: float, customers: int, seed: int):
    """FIFO M/M/n+M by the agents' next-free times; returns per-customer answered-within / abandoned flags."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers)).tolist()
    services = rng.exponential(s, customers).tolist()
    patiences = rng.exponential(patience, customers).tolist()
    free = [0.0] * n
    answered = np.zeros(customers, dtype=bool)
    abandoned = np.zeros(customers, dtype=bool)
    for i, (arrival, service, limit) in enumerate(zip(arrivals, services, patiences)):
        wait = max(free[0] - arrival, 0.0)
        if wait > limit:
            abandoned[i] = True
        else:
            heapq.heapreplace(free, arrival + wait + service)
            answered[i] = wait <= target
    return answered, abandoned


def test_erlang_a_service_level_matches_simulation():
    lam, s, patience, n, target = 4.5, 1.0, 1.5, 5, 0.2
    answered, abandoned = simulate_answered(lam, s, patience, n, target, 200_000, seed=11)
    exact = erlang_a(lam, s, patience, n)
    for flags, value in ((answered, exact.service_level(target)), (abandoned, exact.abandonment)):
        batches = flags[10_000:].reshape(38, -1).mean(axis=1)  # batch means after a warm-up
        se = batches.std(ddof=1) / math.sqrt(len(batches))
        assert se < 0.005
        assert abs(batches.mean() - value) < 4 * se


@pytest.mark.parametrize("lam, s, t, goal, patience", [(100 / 30, 3.0, 1 / 3, 0.8, math.inf),
                                                       (10.0, 1.0, 1 / 3, 0.8, math.inf),
                                                       (10.0, 1.0, 1 / 3, 0.8, 2.0),
                                                       (30.0, 1.0, 0.1, 0.9, 0.5),
                                                       (2.0, 1.0, 0.5, 0.5, 0.3),
                                                       (0.0, 1.0, 0.0, 1.0, math.inf)])
def test_required_agents_matches_scan(lam, s, t, goal, patience):
    def level(n):
        if math.isinf(patience):
            return erlang_c_service_level(lam, s, n, t)
        return erlang_a(lam, s, patience, n).service_level(t)

    expected = next(n for n in range(200) if level(n) >= goal)
    assert required_agents(lam, s, t, goal, mean_patience=patience) == expected


def test_required_agents_edges():
    assert required_agents(10.0, 1.0, 0.5, 0.0) == 0
    assert required_agents(10.0, 1.0, 1 / 3, 0.8, max_agents=13) == 13
    with pytest.raises(ValueError, match=r"service_level 0.8 within target_wait 0.333333 min is not reachable with "
                                         r"max_agents = 12 \(offered load 10 Erlangs\)"):
        required_agents(10.0, 1.0, 1 / 3, 0.8, max_agents=12)
    with pytest.raises(ValueError, match="not reachable with max_agents = 5"):
        required_agents(10.0, 1.0, 1 / 3, 0.8, mean_patience=2.0, max_agents=5)


@pytest.mark.parametrize("call, message", [
    (lambda: erlang_a(-1, 1, 1, 1), "arrival_rate must be a finite number >= 0, got -1"),
    (lambda: erlang_c_mean_wait(math.inf, 1, 1), "arrival_rate must be a finite number >= 0, got inf"),
    (lambda: erlang_c_mean_wait(1, 0, 1), "mean_service must be a finite number > 0, got 0"),
    (lambda: erlang_b(math.nan, 3), "load must be a finite number >= 0, got nan"),
    (lambda: erlang_c(1, -2), "agents must be an integer >= 0, got -2"),
    (lambda: erlang_c(1, 2.5), "agents must be an integer >= 0, got 2.5"),
    (lambda: erlang_a(1, 1, 0, 1), "mean_patience must be a number > 0, got 0"),
    (lambda: erlang_c_service_level(1, 1, 2, -0.5), "target must be a finite number >= 0, got -0.5"),
    (lambda: erlang_a(1, 1, 1, 1).service_level(math.nan), "target must be a finite number >= 0, got nan"),
    (lambda: required_agents(1, 1, 0.1, 1.5), r"service_level must be a number in \[0, 1\], got 1.5"),
    (lambda: required_agents(1, 1, -1, 0.5), "target_wait must be a finite number >= 0, got -1"),
    (lambda: required_agents(1, 1, 0.1, 0.5, max_agents=-1), "max_agents must be an integer >= 0, got -1"),
    (lambda: erlang_a(3, 1, math.inf, 3), "mean_patience=inf needs a stable queue.*= 3 Erlangs is >= agents = 3"),
])
def test_invalid_input_names_argument_and_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()
