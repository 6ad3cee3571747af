"""Arrival times of a non-homogeneous Poisson stream with a rate that is constant within each hour of the week.

Exact, not by thinning: unit-rate exponential gaps are mapped through the inverse of the
cumulative rate, which is piecewise linear, so ``numpy.interp`` inverts it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np

HOURS_PER_WEEK = 168


def hour_of_week_offset(start: datetime) -> float:
    """Minutes from the Monday 00:00 before ``start`` to ``start``."""
    return start.weekday() * 1440 + start.hour * 60 + start.minute + start.second / 60


def arrival_times(rng: np.random.Generator, rate_per_min: float, factors: np.ndarray,
                  start: datetime, horizon: float,
                  dated: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Arrival times in minutes from ``start`` within ``[0, horizon)``.

    Parameters
    ----------
    rate_per_min : weekly-average rate (tickets per minute).
    factors : 168 relative rates, Monday 00:00 first, mean 1.
    horizon : length of the period, minutes.
    dated : optional multiplier of each hour's rate given the hours' starts (minutes from ``start``): trend
        and dated demand calendar.
    """
    if rate_per_min <= 0:
        return np.empty(0)
    offset = hour_of_week_offset(start)
    first_hour = int(offset // 60)
    n_hours = int(np.ceil((offset + horizon) / 60)) - first_hour + 1
    hours = np.arange(first_hour, first_hour + n_hours)
    rates = rate_per_min * factors[hours % HOURS_PER_WEEK]          # per minute, hour by hour
    edges = hours * 60.0 - offset                                     # hour starts, minutes from start
    if dated is not None:
        rates = rates * dated(edges)
    cum = np.concatenate([[0.0], np.cumsum(rates * 60.0)])            # cumulative rate at edges
    grid = np.concatenate([edges, [edges[-1] + 60.0]])
    cum -= np.interp(0.0, grid, cum)                                  # Λ(0) = 0
    total = np.interp(horizon, grid, cum)
    expected = max(total, 1.0)
    out = []
    reached = 0.0
    while True:
        # draw in chunks: a bit more than expected, so one chunk almost always suffices
        gaps = rng.exponential(1.0, int(expected * 1.1 + 10 * np.sqrt(expected) + 16))
        points = reached + np.cumsum(gaps)
        reached = points[-1]
        out.append(points[points < total])
        if reached >= total:
            break
    hazard = np.concatenate(out)
    # invert Λ: the segment j with cum[j] <= h < cum[j+1] is never a flat (rate 0) one
    j = np.searchsorted(cum, hazard, side="right") - 1
    return grid[j] + (hazard - cum[j]) / (cum[j + 1] - cum[j]) * (grid[j + 1] - grid[j])


def dated_multiplier(start: datetime, trend: float, calendar: list) -> Callable[[np.ndarray], np.ndarray] | None:
    """The demand's trend (growth per week, compounded) and dated periods (``start``..``end`` days inclusive,
    ``factor``) as a multiplier of hourly rates; None when neither is set (the weekly pattern alone)."""
    if not trend and not calendar:
        return None
    origin = np.datetime64(start, "s")

    def multiplier(edges: np.ndarray) -> np.ndarray:
        out = (1.0 + trend) ** (np.maximum(edges, 0.0) / 10080.0) if trend else np.ones(len(edges))
        days = (origin + ((edges + 30.0) * 60).astype("timedelta64[s]")).astype("datetime64[D]")
        for period in calendar:
            out = np.where((days >= np.datetime64(period.start)) & (days <= np.datetime64(period.end)),
                           out * period.factor, out)
        return out

    return multiplier


def daily_multiplier(rng: np.random.Generator, cv: float, start: datetime, horizon: float,
                     dated: Callable[[np.ndarray], np.ndarray] | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """``dated`` (or 1) times a random factor per calendar day from ``start`` over ``horizon`` minutes: gamma with
    mean 1 and coefficient of variation ``cv``, drawn from ``rng`` once for all channels."""
    offset = start.hour * 60 + start.minute + start.second / 60
    days = int(np.ceil((offset + horizon) / 1440.0)) + 1
    factors = rng.gamma(1 / cv**2, cv**2, days)

    def multiplier(edges: np.ndarray) -> np.ndarray:
        day = np.clip(((edges + offset + 30.0) // 1440.0).astype(np.int64), 0, days - 1)  # the hour's middle
        return factors[day] * (dated(edges) if dated is not None else 1.0)

    return multiplier
