"""Every distribution's sample moments match its analytic mean and variance (CLT intervals, seeded)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from servsim.distributions import as_distribution
from servsim.units import parse_duration, parse_rate

SPECS = [
    {"kind": "exponential", "mean": "12min"},
    {"kind": "lognormal", "mean": "2h", "cv": 0.7},
    {"kind": "gamma", "mean": "30min", "cv": 1.5},
    {"kind": "weibull", "shape": 1.4, "scale": "45min"},
    {"kind": "triangular", "low": "2min", "mode": "5min", "high": "20min"},
    {"kind": "uniform", "low": "1min", "high": "9min"},
    {"kind": "constant", "value": "7min"},
    {"kind": "empirical", "values": ["1min", "2min", "10min"]},
    {"kind": "empirical", "quantiles": {0: "1min", 0.5: "8min", 0.9: "20min", 1: "45min"}},
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["kind"] + ("-q" if "quantiles" in s else ""))
def test_sample_moments_match_analytic_moments(spec):
    dist = as_distribution(spec)
    draw = dist.sampler(np.random.default_rng(12345))
    x = np.array([draw() for _ in range(200_000)])
    n = len(x)
    z = stats.norm.ppf(0.9995)  # a 99.9% interval: the mean estimate's spread is known exactly
    assert abs(x.mean() - dist.mean) <= z * math.sqrt(dist.variance / n) + 1e-12
    if dist.variance > 0:
        # the sample variance's standard error from the fourth central moment
        m4 = np.mean((x - x.mean()) ** 4)
        assert abs(x.var() - dist.variance) <= z * math.sqrt((m4 - dist.variance**2) / n)


def test_same_generator_state_gives_same_values():
    dist = as_distribution({"kind": "gamma", "mean": "30min", "cv": 0.5})
    a = dist.sampler(np.random.default_rng(3))
    b = dist.sampler(np.random.default_rng(3))
    assert [a() for _ in range(3000)] == [b() for _ in range(3000)]


@pytest.mark.parametrize("text, minutes", [("30min", 30), ("4h", 240), ("2d", 2880), ("1w", 10080),
                                           ("90s", 1.5), ("1.5 hours", 90), (15, 15)])
def test_durations_with_units(text, minutes):
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize("text, per_minute", [("12/h", 0.2), ("300/day", 300 / 1440), ("1008/week", 0.1), (6, 0.1)])
def test_rates_with_units(text, per_minute):
    assert parse_rate(text) == pytest.approx(per_minute)


def test_bad_units_are_explained():
    with pytest.raises(ValueError, match=r"'4 fortnights' is not a duration; expected a number with a unit"):
        parse_duration("4 fortnights")
    with pytest.raises(ValueError, match=r"'12 per hour' is not a rate; expected tickets per unit of time"):
        parse_rate("12 per hour")


def test_arrivals_follow_the_hourly_profile_and_never_fall_in_closed_hours():
    from datetime import datetime

    from servsim.engine.arrivals import arrival_times

    daily = np.array([0] * 8 + [2.0] * 10 + [0] * 6)            # open 08:00-18:00 only
    factors = np.tile(daily, 7) / np.tile(daily, 7).mean()
    times = arrival_times(np.random.default_rng(4), 1.0, factors, datetime(2026, 1, 5), 4 * 10080.0)
    hours = (times // 60) % 24
    assert ((hours >= 8) & (hours < 18)).all()
    expected = 4 * 10080.0                                       # rate 1/min on average
    assert abs(len(times) - expected) <= 4 * np.sqrt(expected)
    # within the open hours, arrivals are uniform: each hour gets a tenth (chi-square at 0.1%)
    counts = np.bincount(hours.astype(int) - 8, minlength=10)
    assert stats.chisquare(counts).pvalue > 0.001
