"""One replication as a task any executor can run: scenario in, a small JSON-ready summary out."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..kpi import KpiReport
from ..one_run import SimulationResult, simulate, simulate_validated
from ..scenario import Scenario, scenario_from_dict


def run_replication(scenario_data: dict[str, Any] | Scenario, seed: int, replication: int) -> dict[str, Any]:
    """Simulate one replication and return its KPIs, response/resolution-time quantiles and backlog curve
    (``scenario_data``: a scenario's mapping, or the scenario validated from it)."""
    began = time.perf_counter()
    # its size was checked (and --force honoured) by the experiment that made the task
    if isinstance(scenario_data, Scenario):
        result = simulate_validated(scenario_data, seed=seed, replication=replication, force=True)
    else:
        result = simulate(scenario_data, seed=seed, replication=replication, force=True)
    summary = replication_summary(result, result.kpis())
    summary["wall_time_s"] = time.perf_counter() - began
    return summary


def run_batch(batch: list[tuple[Any, dict, int, int]]) -> list[tuple[Any, dict]]:
    """Run a batch of tasks ``(key, scenario data, seed, replication)`` in one worker call: tasks that share a
    scenario's data share it in the batch, and it is validated once."""
    validated: dict[int, Scenario] = {}
    out = []
    for key, data, seed, rep in batch:
        if id(data) not in validated:
            validated[id(data)] = scenario_from_dict(data)
        out.append((key, run_replication(validated[id(data)], seed, rep)))
    return out


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
