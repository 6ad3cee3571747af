"""Fitting durations (with right-censoring) and arrival rates from history.

Both fitters follow the scientific-Python convention: ``fit(...)`` returns the fitter, and
what was learnt is in attributes ending in ``_``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ..errors import ServsimError

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
KM_PROBABILITIES = np.round(np.linspace(0, 1, 41), 3)
TAIL_CAP = 0.995  # the empirical table's p=1 value is the fitted family's 99.5% quantile (a finite maximum)


class CalibrationError(ServsimError, ValueError):
    """History cannot be fitted as asked; the message says what to look at."""


def _frozen(family: str, theta: np.ndarray):
    """scipy distribution from unconstrained parameters (logs of positive parameters)."""
    if family == "exponential":
        return stats.expon(scale=math.exp(theta[0]))
    if family == "lognormal":
        return stats.lognorm(s=math.exp(theta[1]), scale=math.exp(theta[0]))
    if family == "gamma":
        return stats.gamma(a=math.exp(theta[0]), scale=math.exp(theta[1]))
    return stats.weibull_min(c=math.exp(theta[0]), scale=math.exp(theta[1]))


def _log_likelihood(family: str, theta: np.ndarray, events: np.ndarray, censored: np.ndarray) -> float:
    """Log-likelihood of ``_frozen(family, theta)`` for observed ``events`` and right-censored values, in closed
    form (freezing a scipy distribution per evaluation of the optimiser cost most of a calibration)."""
    a, b = math.exp(theta[0]), math.exp(theta[-1])
    if family == "exponential":
        return float(-len(events) * theta[0] - events.sum() / a - censored.sum() / a)
    if family == "lognormal":  # theta = (log scale, log sigma)
        z, zc = (np.log(events) - theta[0]) / b, (np.log(censored) - theta[0]) / b
        return float((-np.log(events) - theta[1] - 0.5 * math.log(2 * math.pi) - 0.5 * z * z).sum()
                     + special.log_ndtr(-zc).sum())
    if family == "gamma":  # theta = (log shape, log scale)
        return float(((a - 1) * np.log(events) - events / b).sum() - len(events) * (special.gammaln(a) + a * theta[1])
                     + np.log(special.gammaincc(a, censored / b)).sum())
    z, zc = events / b, censored / b  # weibull: theta = (log shape, log scale)
    return float((theta[0] - theta[1] + (a - 1) * np.log(z) - z ** a).sum() - (zc ** a).sum())


def _start(family: str, x: np.ndarray) -> np.ndarray:
    m, v = x.mean(), max(x.var(), 1e-12)
    logs = np.log(x)
    if family == "exponential":
        return np.array([math.log(m)])
    if family == "lognormal":
        return np.array([logs.mean(), math.log(max(logs.std(), 1e-3))])
    if family == "gamma":
        shape = m * m / v
        return np.array([math.log(shape), math.log(m / shape)])
    return np.array([0.0, math.log(m)])


def _closed_form(family: str, events: np.ndarray, censored: np.ndarray) -> np.ndarray | None:
    """The maximum-likelihood ``theta`` where it has a closed form (exponential; lognormal without censoring)."""
    if family == "exponential":
        return np.array([math.log((events.sum() + censored.sum()) / len(events))])
    if family == "lognormal" and not len(censored):
        logs = np.log(events)
        return np.array([logs.mean(), math.log(max(logs.std(), 1e-12))])
    return None


def kaplan_meier(durations, censored) -> tuple[np.ndarray, np.ndarray]:
    """Sorted durations and the Kaplan–Meier estimate of P(T <= t) at each (right-censoring)."""
    order = np.argsort(np.asarray(durations, float), kind="stable")
    x, c = np.asarray(durations, float)[order], np.asarray(censored, bool)[order]
    at_risk = len(x) - np.arange(len(x))
    return x, 1.0 - np.cumprod(np.where(c, 1.0, 1.0 - 1.0 / at_risk))


def residual_durations(durations, censored, elapsed, rng: np.random.Generator) -> np.ndarray:
    """Time left for items that have lasted ``elapsed`` so far, drawn from the Kaplan–Meier estimate of
    ``durations`` given that they last longer than ``elapsed``.

    Where history shows no end beyond ``elapsed`` (the estimate's flat tail), the time left is ``inf``:
    the history gives no ground to end such an item at any particular time.
    """
    x, cdf = kaplan_meier(durations, censored)
    elapsed = np.asarray(elapsed, float)
    if not len(x):
        return np.full(len(elapsed), np.inf)
    reached = np.searchsorted(x, elapsed, side="right")
    f_elapsed = np.where(reached > 0, cdf[np.maximum(reached - 1, 0)], 0.0)
    u = f_elapsed + rng.random(len(elapsed)) * (1.0 - f_elapsed)
    ends = np.searchsorted(cdf, u, side="left")
    total = np.where(ends < len(x), x[np.minimum(ends, len(x) - 1)], np.inf)
    return np.maximum(total - elapsed, 0.0)


class DurationFitter:
    """Maximum-likelihood fit of candidate families to durations (minutes) with right-censoring.

    Attributes after ``fit``: ``family_``, ``params_`` (scipy's parameters), ``mean_``, ``log_likelihood_``,
    ``aic_``, ``bic_``, ``table_`` (every candidate), ``ks_statistic_`` and ``ks_pvalue_`` (of the chosen
    family against the uncensored values — approximate when there is censoring), ``n_``, ``n_censored_``,
    ``n_clipped_``.
    """

    def __init__(self, families: Sequence[str] = FAMILIES, criterion: str = "aic",
                 min_duration: float | None = None, min_observations: int = 5) -> None:
        unknown = sorted(set(families) - set(FAMILIES))
        if unknown:
            raise CalibrationError(f"unknown families {unknown}; expected some of {', '.join(FAMILIES)}")
        if criterion not in ("aic", "bic"):
            raise CalibrationError(f"criterion must be 'aic' or 'bic', got {criterion!r}")
        self.families, self.criterion = tuple(families), criterion
        self.min_duration, self.min_observations = min_duration, min_observations

    def fit(self, durations, censored=None) -> DurationFitter:
        x = np.asarray(durations, float)
        c = np.zeros(len(x), bool) if censored is None else np.asarray(censored, bool)
        if np.isnan(x).any():
            raise CalibrationError(f"{int(np.isnan(x).sum())} durations are NaN; drop them before fitting")
        self.n_clipped_ = 0
        if self.min_duration is not None:
            low = x < self.min_duration
            self.n_clipped_ = int(low.sum())
            x = np.where(low, self.min_duration, x)
        if (x <= 0).any():
            raise CalibrationError(f"{int((x <= 0).sum())} durations are zero or negative; filter zero-length "
                                   "activities or pass min_duration")
        events = x[~c]
        if len(events) < self.min_observations:
            raise CalibrationError(f"only {len(events)} uncensored durations (need {self.min_observations}); "
                                   "merge ticket classes or calibrate a longer period")
        self._x, self._c, self.n_, self.n_censored_ = x, c, len(x), int(c.sum())
        rows = []
        for family in self.families:
            observed, cut = x[~c], x[c]

            def nll(theta, family=family, observed=observed, cut=cut):
                value = -_log_likelihood(family, theta, observed, cut)
                return value if np.isfinite(value) else np.inf

            exact = _closed_form(family, observed, cut)
            if exact is not None:
                res = optimize.OptimizeResult(x=exact, fun=nll(exact), success=True)
            else:
                with np.errstate(all="ignore"):
                    res = optimize.minimize(nll, _start(family, events), method="Nelder-Mead",
                                            options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-6})
            ll = -res.fun if np.isfinite(res.fun) else -np.inf
            k = len(res.x)
            d = _frozen(family, res.x)
            ks = stats.kstest(events, d.cdf)
            rows.append({"family": family, "theta": res.x, "loglik": ll, "aic": 2 * k - 2 * ll,
                         "bic": k * math.log(len(x)) - 2 * ll, "ks_statistic": ks.statistic,
                         "ks_pvalue": ks.pvalue, "mean": float(d.mean()), "converged": bool(res.success)})
        table = pd.DataFrame(rows)
        if not np.isfinite(table["loglik"]).any():
            raise CalibrationError("no family could be fitted (every likelihood is -inf); check for outliers")
        best = table.loc[table[self.criterion].idxmin()]
        self.table_ = table.drop(columns="theta")
        self.family_, self._theta = best["family"], best["theta"]
        dist = _frozen(self.family_, self._theta)
        self.params_ = dist.kwds
        self.mean_ = float(dist.mean())
        self.log_likelihood_, self.aic_, self.bic_ = float(best["loglik"]), float(best["aic"]), float(best["bic"])
        self.ks_statistic_, self.ks_pvalue_ = float(best["ks_statistic"]), float(best["ks_pvalue"])
        return self

    def distribution(self) -> dict:
        """The chosen fit as a servsim distribution spec (minutes)."""
        d = _frozen(self.family_, self._theta)
        mean, sd = float(d.mean()), float(d.std())
        if self.family_ == "exponential":
            return {"kind": "exponential", "mean": mean}
        if self.family_ in ("lognormal", "gamma"):
            return {"kind": self.family_, "mean": mean, "cv": sd / mean}
        return {"kind": "weibull", "shape": math.exp(self._theta[0]), "scale": math.exp(self._theta[1])}

    def empirical_distribution(self, probabilities=KM_PROBABILITIES) -> dict:
        """Kaplan–Meier quantiles (at ``probabilities``, which include 0 and 1) as an empirical spec.

        Where censoring leaves the Kaplan–Meier estimate short of 1 (durations longer than anything
        followed up), the missing upper quantiles come from the fitted family, never below the largest
        value seen: putting that mass at the largest value would invent a peak at the end of follow-up.
        """
        x, cdf = kaplan_meier(self._x, self._c)
        tail = _frozen(self.family_, self._theta)
        quantiles = {}
        for p in probabilities:
            if p == 0:
                quantiles[0.0] = round(float(x[0]), 1)
            elif p > cdf[-1] or p == 1:
                quantiles[float(p)] = round(float(max(x[-1], tail.ppf(min(p, TAIL_CAP)))), 1)
            else:
                quantiles[float(p)] = round(float(x[np.searchsorted(cdf, p)]), 1)
        return {"kind": "empirical", "quantiles": quantiles}

    def qq(self, probabilities) -> tuple[np.ndarray, np.ndarray]:
        """Fitted and observed (uncensored) quantiles at ``probabilities``, for a QQ plot."""
        p = np.asarray(probabilities, float)
        return _frozen(self.family_, self._theta).ppf(p), np.quantile(self._x[~self._c], p)


class CompetingRisksFitter:
    """Aalen–Johansen estimate of which way a stage ends (its cause) and when, under right-censoring.

    A ticket still in the stage at the cut-off is censored: it has not yet chosen its way out. Dropping
    such tickets would understate the ways out that take long; the Aalen–Johansen cumulative incidence
    counts them in proportion to the hazard at their ages instead.

    Attributes after ``fit``: ``shares_`` (cause -> probability of leaving that way, summing to 1),
    ``cumulative_incidence_`` (DataFrame: time and one column per cause), ``n_``, ``n_censored_``.
    """

    def fit(self, durations, causes, censored) -> CompetingRisksFitter:
        x = np.asarray(durations, float)
        cause = np.asarray(causes).astype(str)
        c = np.asarray(censored, bool)
        if np.isnan(x).any():
            raise CalibrationError(f"{int(np.isnan(x).sum())} durations are NaN; drop them before fitting")
        labels = sorted({str(k) for k in cause[~c]})
        if not labels:
            raise CalibrationError("every duration is censored: no way out of the stage has been observed yet")
        order = np.argsort(x, kind="stable")
        x, cause, c = x[order], cause[order], c[order]
        _, cdf = kaplan_meier(x, c)  # x is sorted: the same order
        survival_before = np.concatenate([[1.0], 1.0 - cdf[:-1]])
        step = np.where(c, 0.0, survival_before / (len(x) - np.arange(len(x))))
        incidence = {k: np.cumsum(np.where(cause == k, step, 0.0)) for k in labels}
        totals = {k: float(v[-1]) for k, v in incidence.items()}
        self.shares_ = {k: totals[k] / sum(totals.values()) for k in labels}
        self.cumulative_incidence_ = pd.DataFrame({"time": x, **incidence})
        self.n_, self.n_censored_ = len(x), int(c.sum())
        return self


class ArrivalFitter:
    """Arrival rate by hour of the week from creation times, with an overdispersion and trend check.

    Attributes after ``fit``: ``hour_of_week_rate_`` (168 tickets/hour, Monday 00:00 first), ``weekly_rate_``,
    ``profile_`` (168 factors, mean 1), ``daily_`` (24) and ``weekdays_`` (7) factors, ``weekly_counts_``,
    ``dispersion_index_`` (variance / mean of weekly counts; 1 for Poisson), ``overdispersed_`` (chi-square
    test at 1%), ``trend_per_week_`` (relative change per week, Poisson regression) and ``trend_pvalue_``.
    """

    def fit(self, created_at: pd.Series, start=None, end=None) -> ArrivalFitter:
        times = pd.to_datetime(pd.Series(created_at)).dropna()
        start = pd.Timestamp(start) if start is not None else times.min().normalize()
        end = pd.Timestamp(end) if end is not None else times.max()
        weeks = int((end - start).days // 7)
        if weeks < 1:
            raise CalibrationError(f"arrival fitting needs at least one whole week; {start} to {end} has none")
        end = start + pd.Timedelta(days=7 * weeks)
        times = times[(times >= start) & (times < end)]
        slot = (times.dt.day_of_week * 24 + times.dt.hour).to_numpy()
        # hour-of-week slots are counted over the weeks of the window, whatever weekday it starts on
        self.hour_of_week_rate_ = np.bincount(slot, minlength=168) / weeks
        self.weekly_rate_ = float(self.hour_of_week_rate_.sum())
        self.profile_ = self.hour_of_week_rate_ / max(self.hour_of_week_rate_.mean(), 1e-12)
        grid = self.profile_.reshape(7, 24)
        self.weekdays_ = grid.mean(axis=1)
        self.daily_ = grid.sum(axis=0) / max(grid.sum(), 1e-12) * 24
        week = ((times - start).dt.days // 7).to_numpy()
        counts = np.bincount(week, minlength=weeks)
        self.weekly_counts_ = counts
        mean = counts.mean()
        self.dispersion_index_ = float(counts.var(ddof=1) / mean) if weeks > 1 and mean > 0 else float("nan")
        statistic = (weeks - 1) * self.dispersion_index_ if weeks > 1 else float("nan")
        self.overdispersed_ = bool(weeks > 2 and stats.chi2.sf(statistic, weeks - 1) < 0.01)
        self.trend_per_week_, self.trend_pvalue_ = _poisson_trend(counts)
        return self

    def summary(self) -> str:
        peak = int(np.argmax(self.hour_of_week_rate_))
        days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        text = (f"{self.weekly_rate_:,.0f} tickets a week, busiest hour {days[peak // 24]} {peak % 24:02d}:00 "
                f"({self.hour_of_week_rate_[peak]:.1f}/h); weekly counts "
                f"{'over' if self.overdispersed_ else 'not over'}dispersed (index {self.dispersion_index_:.1f})")
        if self.trend_pvalue_ < 0.01:
            text += f"; trend {100 * self.trend_per_week_:+.1f}% a week (p={self.trend_pvalue_:.2g})"
        return text


def _poisson_trend(counts: np.ndarray) -> tuple[float, float]:
    """Relative change per week of a log-linear Poisson mean, and the Wald p-value of the slope."""
    n = len(counts)
    if n < 3 or counts.sum() == 0:
        return 0.0, 1.0
    w = np.arange(n) - (n - 1) / 2

    def nll(b):
        eta = b[0] + b[1] * w
        return -(counts * eta - np.exp(eta)).sum()

    res = optimize.minimize(nll, [math.log(max(counts.mean(), 1e-9)), 0.0], method="BFGS")
    mu = np.exp(res.x[0] + res.x[1] * w)
    info = np.array([[mu.sum(), (mu * w).sum()], [(mu * w).sum(), (mu * w * w).sum()]])
    se = math.sqrt(np.linalg.inv(info)[1, 1])
    z = res.x[1] / se
    return float(math.expm1(res.x[1])), float(2 * stats.norm.sf(abs(z)))
