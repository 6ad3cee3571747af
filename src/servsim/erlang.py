"""Exact analytic queueing formulas (Erlang B, C and A): the closed-form baseline of the simulator.

The staffing backtest reports them as a baseline column and users call them as ``servsim.erlang``.
Results are exact (no approximation formulas); times are in minutes and rates per minute. Recursions
and log-space weights keep them finite for thousands of agents and Erlangs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import betainc, logsumexp

_TAIL = 1e-14  # neglected stationary mass (and its share of the mean queue) in Erlang A
_MAX_STATES = 5_000_000


def _number(name: str, value: float, *, positive: bool = False, allow_inf: bool = False) -> float:
    """Return ``value`` as a float, or raise ValueError naming the argument and the value."""
    rule = f"a {'' if allow_inf else 'finite '}number {'>' if positive else '>='} 0"
    x = float(value) if isinstance(value, (int, float, np.integer, np.floating)) else math.nan
    if isinstance(value, bool) or math.isnan(x) or (math.isinf(x) and not allow_inf) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be {rule}, got {value}")
    return x


def _agents(value: int, name: str = "agents") -> int:
    """Return ``value`` as an int >= 0, or raise ValueError naming the argument and the value."""
    integral = isinstance(value, (int, np.integer, float)) and float(value).is_integer()
    if isinstance(value, bool) or not integral or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value}")
    return int(value)


def erlang_b(load: float, agents: int) -> float:
    """Erlang B blocking probability of an M/M/n/n loss system.

    Parameters
    ----------
    load : offered load in Erlangs (arrival rate per minute times mean service in minutes).
    agents : number of agents (servers), >= 0.

    Uses the stable recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``.
    """
    a, n = _number("load", load), _agents(agents)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(load: float, agents: int) -> float:
    """Erlang C: probability that an arrival to an M/M/n queue must wait.

    Parameters
    ----------
    load : offered load in Erlangs (arrival rate per minute times mean service in minutes).
    agents : number of agents, >= 0.

    ``C = n B / (n - a (1 - B))`` with ``B`` the Erlang B probability; 1.0 when ``load >= agents``.
    """
    a, n = _number("load", load), _agents(agents)
    if a >= n:
        return 1.0
    b = erlang_b(a, n)
    return n * b / (n - a * (1.0 - b))


def erlang_c_mean_wait(arrival_rate: float, mean_service: float, agents: int) -> float:
    """Mean wait in queue (minutes) of an M/M/n queue, ``C s / (n - a)``; inf if unstable.

    Parameters
    ----------
    arrival_rate : arrivals per minute.
    mean_service : mean service time in minutes.
    agents : number of agents.
    """
    lam, s = _number("arrival_rate", arrival_rate), _number("mean_service", mean_service, positive=True)
    n, a = _agents(agents), lam * s
    return math.inf if a >= n else erlang_c(a, n) * s / (n - a)


def erlang_c_service_level(arrival_rate: float, mean_service: float, agents: int, target: float) -> float:
    """P(wait <= target) of an M/M/n queue, ``1 - C exp(-(n - a) target / s)``; 0 if unstable.

    Parameters
    ----------
    arrival_rate : arrivals per minute.
    mean_service : mean service time in minutes.
    agents : number of agents.
    target : acceptable wait in minutes.
    """
    lam, s = _number("arrival_rate", arrival_rate), _number("mean_service", mean_service, positive=True)
    n, t, a = _agents(agents), _number("target", target), lam * s
    return 0.0 if a >= n else 1.0 - erlang_c(a, n) * math.exp(-(n - a) * t / s)


@dataclass(frozen=True)
class ErlangA:
    """Stationary per-arrival performance of the M/M/n+M (Palm/Erlang A) queue.

    Attributes
    ----------
    p_wait : probability that an arrival finds all agents busy (PASTA).
    abandonment : probability that an arrival abandons.
    mean_wait : mean time in queue over all arrivals, served or abandoning, in minutes.
    occupancy : mean number of busy agents / agents (0.0 when agents = 0).
    mean_queue : time-average number of waiting customers.
    """

    p_wait: float
    abandonment: float
    mean_wait: float
    occupancy: float
    mean_queue: float
    _rates: tuple[float, float, float] = field(repr=False, compare=False)  # (lambda, n mu, theta)
    _p_free: float = field(repr=False, compare=False)  # P(arrival finds a free agent)
    _ahead: np.ndarray = field(repr=False, compare=False)  # m = customers ahead of a waiting arrival
    _p_ahead: np.ndarray = field(repr=False, compare=False)  # P(arrival waits with m ahead)

    def service_level(self, target: float) -> float:
        """Probability that an arrival is answered (served) within ``target`` minutes.

        Parameters
        ----------
        target : acceptable wait in minutes; abandoned calls count as not answered.

        A waiting arrival with ``m`` customers ahead reaches an agent after
        ``V = sum_{j=0..m} Exp(n mu + j theta)``, whose density is
        ``K e^{-n mu v} (1 - e^{-theta v})^m``. Being answered by ``t`` means ``V <= t`` and
        patience ``> V``, of probability ``E[1{V <= t} e^{-theta V}]``, which integrates in closed
        form to ``n mu / (n mu + (m+1) theta) * I_x(m+1, n mu/theta + 1)`` with
        ``x = 1 - e^{-theta t}`` and ``I`` the regularized incomplete beta function. The result
        is ``P(free agent) + sum_m P(m ahead) * that``; with ``theta = 0`` it is Erlang C.
        """
        t = _number("target", target)
        lam, c, theta = self._rates
        if theta == 0.0:
            return 1.0 - self.p_wait * math.exp(-(c - lam) * t)
        if c == 0.0:
            return 0.0
        m = self._ahead
        answered = c / (c + (m + 1) * theta) * betainc(m + 1, c / theta + 1, -math.expm1(-theta * t))
        return float(min(1.0, self._p_free + np.dot(self._p_ahead, answered)))


def _birth_death(lam: float, mu: float, theta: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """States and stationary probabilities of N (number in system) of M/M/n+M, theta > 0.

    Log weights are accumulated outwards from the mode, where ``lam / death(k)`` crosses 1, so
    the kept weights stay near 1. Ratios fall monotonically away from the mode, so the mass
    beyond a state ``j`` with ratio ``r < 1`` is at most ``w_j r / (1 - r)``; each side stops once
    that bound times ``(queue length at j + 1 / (1 - r))`` is below 1e-14 of the mode's weight.
    """
    if lam == 0.0:
        return np.zeros(1, dtype=np.int64), np.ones(1)

    def death(k: np.ndarray | int) -> np.ndarray:
        return np.minimum(k, n) * mu + np.maximum(np.asarray(k) - n, 0) * theta

    # the mode (last k with death(k) <= lam); being off by one through rounding would only cost states
    mode = min(int(lam / mu), n) if lam < n * mu else n + int((lam - n * mu) / theta)
    sides = []
    for step in (1, -1):  # walk right (k > mode), then left (k < mode)
        chunks, last, k, size = [], 0.0, mode, 1024
        while step == 1 or k > 0:
            if sum(map(len, chunks)) > _MAX_STATES:
                raise ValueError(f"mean_patience = {1 / theta:g} min is too long for this overload: the Erlang A "
                                 f"state space exceeds {_MAX_STATES} states")
            j = k + step * np.arange(1, size + 1)
            with np.errstate(divide="ignore", invalid="ignore"):  # log weights of j, then tail ratio beyond j
                lw = last + step * np.cumsum(np.log(lam / death(j + (step < 0))))
                r = (lam / death(j + (step > 0))) ** step
                bound = lw + np.log(r / (1 - r)) + np.log(np.maximum(j - n, 0) + 1 / (1 - r))
            stop = np.flatnonzero(bound < math.log(_TAIL))
            chunks.append(lw[: stop[0] + 1] if stop.size else lw)
            if stop.size:
                break
            last, k, size = lw[-1], int(j[-1]), 2 * size
        sides.append(np.concatenate(chunks) if chunks else np.empty(0))
    right, left = sides
    logw = np.concatenate([left[::-1], [0.0], right])
    states = np.arange(mode - len(left), mode + len(right) + 1)
    return states, np.exp(logw - logsumexp(logw))


def erlang_a(arrival_rate: float, mean_service: float, mean_patience: float, agents: int) -> ErlangA:
    """Exact M/M/n+M (Palm/Erlang A) queue with exponential patience.

    Parameters
    ----------
    arrival_rate : arrivals per minute.
    mean_service : mean service time in minutes.
    mean_patience : mean patience in minutes; ``inf`` gives Erlang C (needs load < agents).
    agents : number of agents, >= 0 (with 0 every arrival waits and abandons).

    Uses the birth–death stationary distribution of the number in system (birth ``lam``, death
    ``min(k, n) mu + (k - n)^+ theta``), truncated where the tail mass is below 1e-14. By PASTA
    an arrival finding ``m`` waiting customers abandons with probability
    ``(m+1) theta / (n mu + (m+1) theta)`` and waits ``(m+1) / (n mu + (m+1) theta)`` minutes on
    average, so abandonment = ``theta E[L_q] / lam`` and mean_wait = ``E[L_q] / lam``.
    """
    lam, s = _number("arrival_rate", arrival_rate), _number("mean_service", mean_service, positive=True)
    patience, n = _number("mean_patience", mean_patience, positive=True, allow_inf=True), _agents(agents)
    mu, theta, c = 1.0 / s, 1.0 / patience, n / s
    if theta == 0.0:
        if lam * s >= n:
            raise ValueError(
                f"mean_patience=inf needs a stable queue, but the load arrival_rate * mean_service = {lam * s:g} "
                f"Erlangs is >= agents = {n}; give a finite mean_patience or more agents"
            )
        p_wait = erlang_c(lam * s, n)
        wait, empty = p_wait / (c - lam), np.empty(0)
        return ErlangA(p_wait, 0.0, wait, lam * s / n, lam * wait, (lam, c, 0.0), 1.0 - p_wait, empty, empty)
    states, p = _birth_death(lam, mu, theta, n)
    waiting = states >= n
    ahead, p_ahead = states[waiting] - n, p[waiting]
    rate_out = c + (ahead + 1) * theta
    occupancy = float(np.dot(p, np.minimum(states, n))) / n if n else 0.0
    for arr in (ahead, p_ahead):
        arr.setflags(write=False)
    return ErlangA(
        p_wait=min(1.0, float(p_ahead.sum())),
        abandonment=min(1.0, float(np.dot(p_ahead, (ahead + 1) * theta / rate_out))),
        mean_wait=float(np.dot(p_ahead, (ahead + 1) / rate_out)),
        occupancy=occupancy,
        mean_queue=float(np.dot(p_ahead, ahead)),
        _rates=(lam, c, theta), _p_free=float(p[~waiting].sum()), _ahead=ahead, _p_ahead=p_ahead,
    )


def required_agents(arrival_rate: float, mean_service: float, target_wait: float, service_level: float,
                    mean_patience: float = math.inf, max_agents: int = 10000) -> int:
    """Smallest number of agents answering a fraction ``service_level`` within ``target_wait``.

    Parameters
    ----------
    arrival_rate : arrivals per minute.
    mean_service : mean service time in minutes.
    target_wait : acceptable wait in minutes.
    service_level : required fraction of arrivals answered within target_wait, in [0, 1].
    mean_patience : mean patience in minutes; ``inf`` uses Erlang C, finite uses Erlang A.
    max_agents : largest staffing considered.

    The service level grows with the number of agents, so a doubling then bisection search is exact.
    """
    lam, s = _number("arrival_rate", arrival_rate), _number("mean_service", mean_service, positive=True)
    t, goal = _number("target_wait", target_wait), _number("service_level", service_level)
    if goal > 1:
        raise ValueError(f"service_level must be a number in [0, 1], got {service_level}")
    patience = _number("mean_patience", mean_patience, positive=True, allow_inf=True)
    cap = _agents(max_agents, "max_agents")

    def ok(n: int) -> bool:
        if math.isinf(patience):
            return erlang_c_service_level(lam, s, n, t) >= goal
        return erlang_a(lam, s, patience, n).service_level(t) >= goal

    if ok(0):
        return 0
    lo, hi = 0, max(1, math.ceil(lam * s))  # ok(lo) is False
    while hi < cap and not ok(hi):
        lo, hi = hi, 2 * hi
    hi = min(hi, cap)
    if hi <= lo or not ok(hi):
        raise ValueError(f"service_level {goal:g} within target_wait {t:g} min is not reachable with "
                         f"max_agents = {cap} (offered load {lam * s:g} Erlangs)")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi
