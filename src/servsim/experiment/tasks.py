"""One replication as a task any executor can run: scenario in, a small JSON-ready summary out."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..kpi import KpiReport
from ..one_run import SimulationResult, simulate_validated
from ..scenario import Scenario, scenario_from_dict


def run_replication(scenario: Scenario, seed: int, replication: int) -> dict[str, Any]:
    """Simulate one replication of a validated scenario and return its KPIs, response/resolution-time quantiles and
    backlog curve."""
    began = time.perf_counter()
    # its size was checked (and --force honoured) by the experiment that made the task
    result = simulate_validated(scenario, seed=seed, replication=replication, force=True)
    summary = replication_summary(result, result.kpis())
    summary["wall_time_s"] = time.perf_counter() - began
    return summary


def run_tasks(tasks: Iterable[tuple[Any, dict, int, int]]) -> Iterator[tuple[Any, dict]]:
    """Run tasks ``(key, scenario data, seed, replication)`` in turn, yielding ``(key, summary)``: tasks that share a
    scenario's data (the same object) share its validation, done once."""
    validated: dict[int, Scenario] = {}
    for key, data, seed, rep in tasks:
        if id(data) not in validated:
            validated[id(data)] = scenario_from_dict(data)
        yield key, run_replication(validated[id(data)], seed, rep)


def run_batch(batch: list[tuple[Any, dict, int, int]]) -> list[tuple[Any, dict]]:
    """Run a batch of tasks in one worker call (see :func:`run_tasks`)."""
    return list(run_tasks(batch))


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
