"""The in-sample check of a call-centre calibration: the calibrated model simulated over its own training weeks,
against what its callers got, overall and per (weekday, hour), each against the band that the model's own noise
allows.

A model that misses the weeks it was fitted on will miss the weeks after them: the check says where (which KPI,
which hours) before anyone relies on it. The band of a KPI is where one realisation of the model falls 95% of the
time (the replications' mean ± a Student-t quantile times their spread, widened for the mean's own error); the
log is one realisation, so a KPI outside its band is a difference the noise does not explain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...call_kpis import per_interval
from ...errors import ServsimError
from ...one_run import simulate_validated
from ..models.fitted import Calibration

KPIS = {"abandonment": "abandoned", "waited_share": "waited at all", "service_level_20s": "answered within 20 s",
        "service_level_60s": "answered within 60 s"}
MIN_CELL_CALLS = 30  # calls of a (weekday, hour) cell in the log below which it is left out of the cells' share
REPLICATIONS = 5


@dataclass
class InSample:
    """``overall``: per KPI the log's value, the model's mean and band, and whether the log is inside;
    ``cells``: the same per (weekday, hour) with at least ``MIN_CELL_CALLS`` calls in the log."""

    overall: pd.DataFrame
    cells: pd.DataFrame
    replications: int

    def table(self) -> pd.DataFrame:
        """Overall (weekday ``all``) and per cell, one row per KPI."""
        return pd.concat([self.overall.assign(weekday="all", start="", calls=np.nan), self.cells],
                         ignore_index=True)[["weekday", "start", "calls", "kpi", "log", "simulated", "low", "high",
                                             "inside"]]

    def note(self) -> str:
        outside = self.overall[~self.overall["inside"]]
        cells = self.cells.groupby("kpi")["inside"].mean()
        parts = [f"{KPIS[row.kpi]} {row.simulated:.1%} [{row.low:.1%}, {row.high:.1%}] against {row.log:.1%} in the "
                 "log" for row in self.overall.itertuples()]
        verdict = ("WARNING: outside the model's noise on " + ", ".join(KPIS[k] for k in outside["kpi"]) +
                   ": the model does not reproduce the weeks it was fitted on, and will miss the weeks after them by "
                   "as much") if len(outside) else "every KPI inside the model's noise"
        return (f"in-sample check (the model over its own training weeks, {self.replications} replications): "
                + "; ".join(parts) + f"; {verdict}. Per (weekday, hour) with {MIN_CELL_CALLS}+ calls, inside the "
                "band: " + ", ".join(f"{KPIS[k]} {share:.0%}" for k, share in cells.items())
                + " (in_sample.csv)")


def in_sample_check(cal: Calibration, calls: pd.DataFrame, replications: int = REPLICATIONS,
                    seed: int = 0) -> InSample:
    """Simulate ``cal.scenario`` (a call centre calibrated on ``calls``: the log's tickets) over its window and
    compare (see the module); the first day is the model's warm-up and is left out on both sides."""
    s = cal.scenario
    start = pd.Timestamp(s.clock.start) + pd.Timedelta(minutes=s.clock.warmup)
    end = pd.Timestamp(s.clock.start) + pd.Timedelta(minutes=s.clock.horizon)
    channels = set(s.demand.channels)  # a call log's: every channel is calls (if nobody hung up, without patience)
    log = per_interval(calls, start, end, channels)
    if log.empty:
        raise ServsimError(f"{cal.scenario.name}: no call between {start:%Y-%m-%d %H:%M} and {end:%Y-%m-%d %H:%M} "
                           "after the model's warm-up day: nothing to check the model on")
    runs = [per_interval(simulate_validated(s, seed, r).tickets, start, end, channels) for r in range(replications)]
    rows, cell_rows = [], []
    counts = log["calls"]
    for kpi in KPIS:
        for where, actual, simulated in (("all", _pooled(log, kpi), [_pooled(r, kpi) for r in runs]),
                                         *((cell, log.at[cell, kpi], [r[kpi].get(cell, np.nan) for r in runs])
                                           for cell in counts.index[counts >= MIN_CELL_CALLS])):
            x = np.asarray(simulated, float)
            mean, sd = float(np.nanmean(x)), float(np.nanstd(x, ddof=1))
            half = stats.t.ppf(0.975, replications - 1) * sd * np.sqrt(1 + 1 / replications)
            low, high = max(mean - half, 0.0), min(mean + half, 1.0)  # shares
            row = {"kpi": kpi, "log": float(actual), "simulated": mean, "low": low, "high": high,
                   "inside": bool(low <= actual <= high)}
            if where == "all":
                rows.append(row)
            else:
                cell_rows.append({"weekday": where[0], "start": where[1], "calls": int(counts[where]), **row})
    return InSample(pd.DataFrame(rows), pd.DataFrame(cell_rows), replications)


def _pooled(cells: pd.DataFrame, kpi: str) -> float:
    """A KPI over every cell: its values weighted by the cells' calls."""
    return float(np.average(cells[kpi], weights=cells["calls"]))
