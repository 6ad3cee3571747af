"""One replication as a task any executor can run: scenario in, a small JSON-ready summary out."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..kpi import QUANTILES, KpiReport
from ..log import to_minutes
from ..one_run import SimulationResult, simulate
from ..segments import SEGMENT_KPIS


def flat_kpis(report: KpiReport) -> dict[str, float]:
    """Scalar KPIs under flat names: ``sla_attainment``, ``sla_attainment/P1``, ``utilisation/l2``, and per
    segment ``sla_attainment/region=south``."""
    out = {k: float(v) for k, v in report.overall.items()}
    for prio, row in report.by_priority.iterrows():
        for col in ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p90_min", "resolution_within_target",
                    "sla_attainment"):
            out[f"{col}/{prio}"] = float(row[col])
    if "utilisation" in report.by_pool:
        for pool, value in report.by_pool["utilisation"].items():
            out[f"utilisation/{pool}"] = float(value)
    for stage, row in report.by_stage.iterrows():
        out[f"stage_wait_min/{stage}"] = float(row["mean_wait_min"])
    for row in report.by_segment.itertuples(index=False):
        if row.dimension != "priority":  # already under sla_attainment/P1 etc.
            for col in SEGMENT_KPIS[1:]:
                out[f"{col}/{row.dimension}={row.segment}"] = float(getattr(row, col))
    return out


def run_replication(scenario_data: dict[str, Any], seed: int, replication: int) -> dict[str, Any]:
    """Simulate one replication and return its KPIs, response/resolution-time quantiles and backlog curve."""
    began = time.perf_counter()
    # validated there, once; its size was checked (and --force honoured) by the experiment that made the task
    result = simulate(scenario_data, seed=seed, replication=replication, force=True)
    summary = replication_summary(result, result.kpis())
    summary["wall_time_s"] = time.perf_counter() - began
    return summary


def replication_summary(result: SimulationResult, report: KpiReport) -> dict[str, Any]:
    """A run's KPIs, response/resolution-time quantiles and backlog curve, JSON-ready."""
    t = result.tickets
    w0, w1 = result.window
    created = to_minutes(t["created_at"], w0)
    inside = (created >= 0) & (created < (w1 - w0).total_seconds() / 60)
    frt = (to_minutes(t["first_response_at"], w0) - created)[inside]
    ttr = (to_minutes(t["resolved_at"], w0) - created)[inside]
    return {
        "seed": result.seed, "replication": result.replication,
        "kpis": {k: (None if np.isnan(v) else v) for k, v in flat_kpis(report).items()},
        "frt_quantiles": _quantiles(frt), "ttr_quantiles": _quantiles(ttr),
        "backlog": report.backlog.astype(float).tolist(),
        "backlog_step_min": float(report.backlog.index[1] - report.backlog.index[0]) if len(report.backlog) > 1
        else 60.0,
    }


def _quantiles(x: np.ndarray) -> list[float] | None:
    x = x[~np.isnan(x)]
    return np.quantile(x, QUANTILES).tolist() if len(x) else None
