"""Calibration fitters against known truths: censored duration fits, competing risks, residual times."""

from __future__ import annotations

import numpy as np
import pytest

from servsim.calibration.fitting import CalibrationError, CompetingRisksFitter, DurationFitter, residual_durations


def test_competing_risks_count_the_slow_way_out_that_censoring_hides():
    """Half the tickets leave quickly (mean 10 min), half slowly (mean 1000 min); follow-up is cut at random.
    Counting only the ways out seen so far overstates the quick one; Aalen–Johansen recovers one half."""
    rng = np.random.default_rng(5)
    n = 20_000
    slow = rng.random(n) < 0.5
    duration = np.where(slow, rng.exponential(1000.0, n), rng.exponential(10.0, n))
    follow_up = rng.uniform(0, 8_000, n)
    censored = duration > follow_up
    observed = np.minimum(duration, follow_up)
    cause = np.where(censored, "", np.where(slow, "slow", "quick"))
    shares = CompetingRisksFitter().fit(observed, cause, censored).shares_
    naive = np.mean(cause[~censored] == "slow")
    se = np.sqrt(0.25 / n)
    assert abs(shares["slow"] - 0.5) < 4 * se * 1.5  # AJ's variance is a little above the binomial's
    assert naive < 0.5 - 6 * se                       # the bias the estimator removes
    assert sum(shares.values()) == pytest.approx(1.0)


def test_competing_risks_with_nothing_observed_is_an_error():
    with pytest.raises(CalibrationError, match="every duration is censored"):
        CompetingRisksFitter().fit([1.0, 2.0], ["", ""], [True, True])


def test_residual_time_of_an_exponential_is_memoryless():
    rng = np.random.default_rng(11)
    history = rng.exponential(100.0, 50_000)
    left = residual_durations(history, np.zeros(len(history), bool), np.full(20_000, 150.0), rng)
    assert np.isfinite(left).all()
    assert abs(left.mean() - 100.0) < 4 * 100.0 / np.sqrt(len(left)) + 2.0  # + the empirical tail's truncation


def test_residual_time_follows_the_conditional_distribution():
    """Uniform(0, 1000) durations, 300 elapsed: the time left is uniform on (0, 700)."""
    rng = np.random.default_rng(12)
    history = rng.uniform(0, 1000, 50_000)
    left = residual_durations(history, np.zeros(len(history), bool), np.full(20_000, 300.0), rng)
    assert abs(np.median(left) - 350.0) < 10.0
    assert left.max() <= 700.0 + 1e-9


def test_no_end_seen_that_late_means_no_end_in_sight():
    """Beyond the last resolution history has seen (the Kaplan–Meier tail is flat), the time left is infinite."""
    durations = np.array([10.0, 20.0, 30.0, 5000.0])
    censored = np.array([False, False, False, True])
    left = residual_durations(durations, censored, np.array([5.0, 40.0]), np.random.default_rng(0))
    assert np.isfinite(left[0]) and left[0] <= 25.0
    assert left[1] == np.inf


def test_censored_fit_recovers_a_lognormal_mean():
    rng = np.random.default_rng(3)
    x = rng.lognormal(np.log(60.0) - 0.5 * 0.8**2, 0.8, 5000)
    follow_up = rng.uniform(0, 400, len(x))
    fit = DurationFitter().fit(np.minimum(x, follow_up), x > follow_up)
    assert fit.family_ == "lognormal"
    assert fit.mean_ == pytest.approx(60.0, rel=0.05)
    naive = DurationFitter().fit(x[x <= follow_up])
    assert naive.mean_ < 0.9 * 60.0  # dropping the censored tickets would understate it


@pytest.mark.parametrize("value", [0.0, 0.5, 12.0])
def test_durations_all_alike_are_a_constant_with_a_note(value):
    """A sample in which every duration is the same (every call served in 0 s, say) has no family to fit: it is a
    constant (at least the smallest duration), said in a note, and fitted at once."""
    from servsim.calibration.models.fitted import MIN_DURATION, fit_stage

    notes: list[str] = []
    fit = fit_stage("calls", "service", None, np.full(500, value), np.zeros(500, bool), None, notes)
    assert fit.family == "constant" and fit.spec == {"kind": "constant", "value": max(value, MIN_DURATION)}
    assert notes == [f"calls/service: all 500 durations are {max(value, MIN_DURATION):g} min: a constant, no family "
                     "fitted"]
