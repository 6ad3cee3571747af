"""Paired differences in words: a verdict per KPI change, and the per-team and per-stage changes behind it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..kpi import WEEK_MIN, currency_unit, describe, format_change, material
from ..scenario import Scenario
from ..scenario.model import Materiality

DRIVER_PREFIXES = ("stage_wait_min/", "utilisation/")


NO_INTERVAL = "no interval (one replication)"
NOT_MATERIAL = "no material change"
WEEKS_A_MONTH = 52 / 12


def verdict(kpi: str, difference: float, distinguishable: bool, interval: bool = True,
            baseline: float = float("nan"), threshold: float | None = None) -> str:
    """``better``, ``worse``, ``differs`` (a KPI with no better direction), ``no detectable difference``,
    :data:`NOT_MATERIAL` where the change is detectable but too small to act on (under ``threshold``, or by
    default under 1 point of a share or 5% of the ``baseline`` of anything else: :func:`~servsim.kpi.material`), or
    :data:`NO_INTERVAL` where the difference has no confidence interval to judge it by (``interval`` false)."""
    if not interval and difference == difference:
        return NO_INTERVAL
    if not distinguishable:
        return "no detectable difference"
    if not material(kpi, difference, baseline, threshold=threshold):
        return NOT_MATERIAL
    direction = describe(kpi)[2]
    if not direction:
        return "differs"
    return "better" if difference * direction > 0 else "worse"


def material_at(kpi: str, baseline: float, rule: Materiality) -> float:
    """The smallest change of ``kpi`` worth acting on, in its unit, by ``rule`` (the scenario's ``materiality``):
    the KPI's own threshold (or its family's: ``sla_attainment`` for ``sla_attainment/P1``), else ``rule.shares``
    for a share, ``rule.relative`` of the ``baseline`` for anything else (0, any change, where the baseline is 0
    or unknown)."""
    own = rule.kpis.get(kpi, rule.kpis.get(kpi.split("/", 1)[0]))
    if own is not None:
        return own
    if describe(kpi)[1] == "%":
        return rule.shares
    return rule.relative * abs(baseline) if baseline == baseline and baseline != 0 else 0.0


def with_thresholds(comparison: pd.DataFrame, rule: Materiality) -> pd.DataFrame:
    """``comparison`` (paired differences, with ``kpi`` and ``baseline_mean``) with each row's ``material_at``
    (none to compare: as it is)."""
    if comparison.empty:
        return comparison.copy()
    at = [material_at(k, b, rule) for k, b in zip(comparison["kpi"], comparison["baseline_mean"])]
    return comparison.assign(material_at=np.asarray(at, float))


def change_interval(row: pd.Series) -> str:
    """One comparison row's difference with its CI: ``+1.9 pts [+1.2 pts, +2.6 pts]``."""
    kpi = row["kpi"]
    centre = row["difference"]
    return (f"{format_change(kpi, centre)} "
            f"[{format_change(kpi, row['ci_low'], centre)}, {format_change(kpi, row['ci_high'], centre)}]")


def change_in_words(row: pd.Series) -> str:
    """One comparison row's change: ``SLA attainment +1.9 pts [+1.2 pts, +2.6 pts]``."""
    return f"{describe(row['kpi'])[0]} {change_interval(row)}"


def row_verdict(row: pd.Series) -> str:
    """The verdict of one comparison row (see :func:`verdict`)."""
    return verdict(row["kpi"], row["difference"], row["distinguishable"], row["ci_low"] == row["ci_low"],
                   row.get("baseline_mean", float("nan")), row.get("material_at"))


def in_words(row: pd.Series) -> str:
    """One comparison row as a sentence: ``SLA attainment +1.9 pts [+1.2 pts, +2.6 pts], better``."""
    return f"{change_in_words(row)}, {row_verdict(row)}"


def what_changes(comparison: pd.DataFrame, scenario: str, reference: str, base: Scenario, kpis: Sequence[str],
                 sentence=in_words, text=str, shown: int = 4) -> list[str]:
    """What ``scenario`` changes from ``reference`` (whose scenario is ``base``), as a manager reads it: its staff
    cost a week and a month (the difference in ``cost_total`` over the weeks of measurement, with its interval and
    currency) and in FTE (the paid hours a week over ``fte_hours``),
    then the headline ``kpis`` that moved materially for the better (at most ``shown``), then those that moved for
    the worse: its side effects. Each KPI's row is written by ``sentence``, the rest by ``text`` (an HTML page
    escapes both)."""
    weeks, unit = (base.clock.horizon - base.clock.warmup) / WEEK_MIN, currency_unit(base.currency)
    rows = comparison[(comparison["scenario"] == scenario) & comparison["kpi"].isin(kpis)]
    words = rows.apply(row_verdict, axis=1) if len(rows) else pd.Series(dtype=str)
    better, worse = rows[words == "better"].head(shown), rows[words == "worse"].head(shown)
    parts = []
    mine = comparison[comparison["scenario"] == scenario].set_index("kpi")
    if "cost_total" in mine.index and weeks > 0 and mine.loc["cost_total", "baseline_mean"] > 0:
        c = mine.loc["cost_total"]
        said = (f"staff cost {c['difference'] / weeks:+,.0f} {unit} a week [{c['ci_low'] / weeks:+,.0f}, "
                f"{c['ci_high'] / weeks:+,.0f}], {c['difference'] / weeks * WEEKS_A_MONTH:+,.0f} {unit} a month")
        hours = mine["difference"].get("paid_hours_week", 0.0)
        if hours == hours and abs(hours) >= 0.05 * base.fte_hours / 60.0:
            said += f" ({in_fte(hours, base)})"
        parts.append(text(said))
    parts += [sentence(r) for _, r in better.iterrows()]
    if len(worse):
        parts.append(text("side effects: ") + "; ".join(sentence(r) for _, r in worse.iterrows()))
    if better.empty and worse.empty:
        parts.append(text(f"no material change from {reference} in any headline KPI"))
    return parts


def in_fte(hours_a_week: float, base: Scenario) -> str:
    """A change of paid hours a week in full-time equivalents of ``base`` (its ``fte_hours``): ``+1.2 FTE of 40 h a
    week``."""
    return f"{hours_a_week / (base.fte_hours / 60.0):+.1f} FTE of {base.fte_hours / 60.0:g} h a week"


def drivers(comparison: pd.DataFrame, scenario: str, waits: int = 3, teams: int = 2) -> pd.DataFrame:
    """Where a change in first response or resolution comes from: the waits before stages and the teams'
    utilisations of ``scenario`` that changed detectably, the largest relative changes first (``waits`` stages,
    then ``teams`` teams; a wait under a minute or a utilisation under 1% counts as that much)."""
    rows = comparison[(comparison["scenario"] == scenario) & comparison["distinguishable"]]
    picked = []
    for prefix, limit, floor in zip(DRIVER_PREFIXES, (waits, teams), (1.0, 0.01)):
        block = rows[rows["kpi"].str.startswith(prefix)]
        size = block["difference"].abs() / block["baseline_mean"].abs().clip(lower=floor)
        picked.append(block.loc[size.sort_values(ascending=False).index].head(limit))
    return pd.concat(picked)


def segment_changes(comparison: pd.DataFrame, scenario: str, kpi: str = "sla_attainment", top: int = 5
                    ) -> pd.DataFrame:
    """The segments (``kpi/region=south``, ``kpi/product=printer``) of ``scenario`` whose ``kpi`` changed detectably,
    the largest changes first."""
    rows = comparison[(comparison["scenario"] == scenario) & comparison["distinguishable"]
                      & comparison["kpi"].str.startswith(kpi + "/") & comparison["kpi"].str.contains("=")]
    return rows.loc[rows["difference"].abs().sort_values(ascending=False).index].head(top)
