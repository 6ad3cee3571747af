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
