"""One replication as a task any executor can run: scenario in, a small JSON-ready summary out."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..kpi import KpiReport
from ..one_run import SimulationResult, simulate


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
    quantiles = report.time_quantiles
    step, backlog = report.backlog_curve()
    return {
        "seed": result.seed, "replication": result.replication,
        "kpis": {k: (None if np.isnan(v) else v) for k, v in report.flat().items()},
        "frt_quantiles": _listed(quantiles.get("frt")), "ttr_quantiles": _listed(quantiles.get("ttr")),
        "backlog": backlog.tolist(), "backlog_step_min": step,
    }


def _listed(x: np.ndarray | None) -> list[float] | None:
    return None if x is None else x.tolist()
