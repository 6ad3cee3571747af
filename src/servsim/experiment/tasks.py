"""One replication as a task any executor can run: scenario in, a small JSON-ready summary out."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..kpi import KpiReport
from ..one_run import SimulationResult, simulate
from ..segments import SEGMENT_KPIS


def flat_kpis(report: KpiReport) -> dict[str, float]:
    """Scalar KPIs under flat names: ``sla_attainment``, ``sla_attainment/P1``, ``utilisation/l2``, and per
    segment ``sla_attainment/region=south``."""
    out = {k: float(v) for k, v in report.overall.items()}
    _add_rows(out, report.by_priority, ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p90_min",
                                        "resolution_within_target", "sla_attainment"))
    if "utilisation" in report.by_pool:
        _add_rows(out, report.by_pool, ("utilisation",))
    _add_rows(out, report.by_stage, ("mean_wait_min",), as_names=("stage_wait_min",))
    segments = report.by_segment
    if len(segments):  # the priorities' are already under sla_attainment/P1 etc.
        dims = segments["dimension"].tolist()
        rows = [f"{d}={s}" for d, s in zip(dims, segments["segment"].tolist())]
        _add_rows(out, segments, SEGMENT_KPIS[1:], index=rows, keep=[d != "priority" for d in dims])
    return out


def _add_rows(out: dict[str, float], table: pd.DataFrame, columns: Sequence[str],
              as_names: Sequence[str] | None = None, index: list[str] | None = None,
              keep: list[bool] | None = None) -> None:
    """``out[f"{name}/{row}"]``: each row's values of ``columns`` (named ``as_names``, default the columns' names),
    row by row; rows named ``index`` (default the table's) and only those in ``keep`` (default all)."""
    values = np.column_stack([table[column].to_numpy(float) for column in columns]).tolist()
    names = as_names or columns
    for row, row_values, wanted in zip(index or table.index.tolist(), values, keep or [True] * len(values)):
        if wanted:
            out.update((f"{name}/{row}", v) for name, v in zip(names, row_values))


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
    return {
        "seed": result.seed, "replication": result.replication,
        "kpis": {k: (None if np.isnan(v) else v) for k, v in flat_kpis(report).items()},
        "frt_quantiles": _listed(quantiles.get("frt")), "ttr_quantiles": _listed(quantiles.get("ttr")),
        "backlog": report.backlog.astype(float).tolist(),
        "backlog_step_min": float(report.backlog.index[1] - report.backlog.index[0]) if len(report.backlog) > 1
        else 60.0,
    }


def _listed(x: np.ndarray | None) -> list[float] | None:
    return None if x is None else x.tolist()
