"""Confidence intervals across replications: Student-t intervals of means and of paired differences."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student t quantiles, without loading all of scipy.stats

CI_METHOD = "95% Student-t interval across independent replications"
LEVEL = 0.95


def t_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """``(mean, half-width, n)`` of a t-interval; the half-width is NaN with fewer than two values."""
    x = np.asarray(values, float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), 0
    if n == 1:
        return float(x[0]), float("nan"), 1
    half = stdtrit(n - 1, 0.5 + level / 2) * x.std(ddof=1) / np.sqrt(n)
    return float(x.mean()), float(half), n


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% CI per scenario and KPI from tidy ``scenario, replication, kpi, value`` rows."""
    rows = []
    for (scenario, kpi), group in results.groupby(["scenario", "kpi"], sort=False):
        mean, half, n = t_interval(group["value"].to_numpy())
        rows.append({"scenario": scenario, "kpi": kpi, "n": n, "mean": mean, "ci_low": mean - half,
                     "ci_high": mean + half, "half_width": half})
    return pd.DataFrame(rows)


def paired_differences(results: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """For every other scenario: mean paired difference from ``baseline`` per KPI, its CI, and whether it is
    distinguishable from zero. Replication r of both scenarios shares its random streams (common random numbers)."""
    wide = results.pivot_table(index=["kpi", "replication"], columns="scenario", values="value", aggfunc="first",
                               sort=False)
    rows = []
    for scenario in [s for s in results["scenario"].unique() if s != baseline]:
        for kpi, block in wide.groupby(level="kpi", sort=False):
            diff = (block[scenario] - block[baseline]).to_numpy()
            mean, half, n = t_interval(diff)
            base_mean = float(np.nanmean(block[baseline].to_numpy())) if block[baseline].notna().any() \
                else float("nan")
            rows.append({
                "scenario": scenario, "kpi": kpi, "n": n, "baseline_mean": base_mean, "difference": mean,
                "ci_low": mean - half, "ci_high": mean + half,
                "relative": mean / base_mean if base_mean else float("nan"),
                "distinguishable": bool(n > 1 and not np.isnan(half) and (mean - half > 0 or mean + half < 0)),
            })
    return pd.DataFrame(rows)


def variance_split(values: np.ndarray) -> tuple[float, float, int]:
    """Split the spread of outputs ``values[i, j]`` (input draw ``i``, replication ``j`` of it) into the part due to
    the inputs and the part due to simulation (a random-effects analysis of variance, the estimator of Ankenman and
    Nelson's quick input-uncertainty check): ``(input variance, simulation variance of one replication, draws used)``.
    The input variance is the variance of the draws' means less the simulation's share of it, at least 0. Draws
    with fewer than two values are left out; NaN where fewer than two draws remain."""
    x = np.asarray(values, float)
    counts = np.sum(~np.isnan(x), axis=1)
    x = x[counts >= 2]
    counts = counts[counts >= 2]
    if len(x) < 2:
        return float("nan"), float("nan"), len(x)
    means = np.nanmean(x, axis=1)
    within = float(np.nansum((x - means[:, None]) ** 2) / np.sum(counts - 1))
    between = float(np.var(means, ddof=1))
    return max(0.0, between - within * float(np.mean(1.0 / counts))), within, len(x)


def input_interval(point: np.ndarray, draws: np.ndarray, level: float = LEVEL) -> dict[str, float]:
    """A point estimate's interval including input uncertainty: centred on the mean of ``point`` (replications of
    the point scenario), its variance the input variance of ``draws`` (:func:`variance_split`) plus the point's
    own simulation variance, with a Student-t quantile on their Welch-Satterthwaite degrees of freedom, and at least
    as wide as the simulation-only interval. Returns ``mean``, ``input_var``, ``simulation_var`` (of the point's
    mean), ``low``, ``high``, ``input_share`` (of the variance) and ``draws``."""
    mean, half, n = t_interval(point, level)
    sim_var = (half / stdtrit(n - 1, 0.5 + level / 2)) ** 2 if n > 1 and half == half else float("nan")
    input_var, _, used = variance_split(draws)
    total = input_var + sim_var
    # Welch-Satterthwaite degrees of freedom of the sum of the two variance estimates
    freedom = total**2 / (input_var**2 / max(used - 1, 1) + sim_var**2 / max(n - 1, 1)) if total > 0 else n - 1
    width = stdtrit(freedom, 0.5 + level / 2) * np.sqrt(total) if used > 1 and n > 1 else float("nan")
    width = max(width, half)  # never narrower than the simulation-only interval (more freedom, not more certainty)
    return {"mean": mean, "input_var": input_var, "simulation_var": sim_var, "low": mean - width,
            "high": mean + width, "input_share": input_var / total if total > 0 else float("nan"), "draws": used}
