"""Matplotlib figures of experiments: KPI means with CIs, time ECDFs, backlog bands, utilisation, sweeps.

Every function returns a ``Figure`` and never calls ``show()`` or touches pyplot's global state; the
figure renders itself as PNG in a notebook (without ``%matplotlib inline``) and the CLI saves it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib import figure

from ..kpi import QUANTILES, describe


class Figure(figure.Figure):
    """A matplotlib figure that Jupyter displays as an image wherever it is the value of a cell."""

    def _repr_png_(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

def label(kpi: str) -> str:
    """A KPI's name for an axis or a panel title, with ``(min)`` for times."""
    text, kind, _ = describe(kpi)
    return text + (" (min)" if kind == "t" else "")


def kpi_bars(summary: pd.DataFrame, names: Sequence[str], kpis: Sequence[str]) -> Figure:
    """One panel per KPI: each scenario's mean with its 95% CI."""
    kpis = [k for k in kpis if k in set(summary["kpi"])]
    cols = min(3, len(kpis)) or 1
    rows = int(np.ceil(len(kpis) / cols)) or 1
    fig = Figure(figsize=(4.2 * cols, 3.0 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    colours = [f"C{i}" for i in range(len(names))]
    for ax, kpi in zip(axes, kpis):
        block = summary[summary["kpi"] == kpi].set_index("scenario").reindex(names)
        err = np.nan_to_num(block["half_width"].to_numpy())
        ax.bar(range(len(names)), block["mean"], yerr=err, color=colours, capsize=4)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_title(label(kpi), fontsize=9)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle("KPI means with 95% confidence intervals", fontsize=10)
    return fig


def time_ecdfs(replications: dict[str, list[dict]], names: Sequence[str]) -> Figure:
    """ECDFs of first-response and resolution time per scenario (quantiles averaged over replications)."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "frt_quantiles", "first-response time"),
                           (axes[1], "ttr_quantiles", "time to resolution")):
        for name in names:
            curves = [s[key] for s in replications[name] if s.get(key)]
            if curves:
                ax.plot(np.mean(curves, axis=0) / 60.0, QUANTILES, label=name)
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set_xlabel("hours")
        ax.set_ylabel("share of tickets")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    return fig


def backlog_bands(replications: dict[str, list[dict]], names: Sequence[str]) -> Figure:
    """Open tickets over the measurement window: mean across replications and a 5–95% band."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.subplots()
    for name in names:
        reps = replications[name]
        length = min(len(s["backlog"]) for s in reps)
        values = np.array([s["backlog"][:length] for s in reps])
        days = np.arange(length) * reps[0]["backlog_step_min"] / 1440.0
        line, = ax.plot(days, values.mean(axis=0), label=name, lw=1)
        ax.fill_between(days, np.percentile(values, 5, axis=0), np.percentile(values, 95, axis=0),
                        color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel("days into the measurement window")
    ax.set_ylabel("open tickets")
    ax.set_title("Backlog: mean and 5–95% band across replications", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def utilisation_bars(summary: pd.DataFrame, names: Sequence[str]) -> Figure:
    """Utilisation per team, one bar per scenario, with 95% CIs."""
    util = summary[summary["kpi"].str.startswith("utilisation/")].copy()
    util["team"] = util["kpi"].str.split("/").str[1]
    teams = list(dict.fromkeys(util["team"]))
    fig = Figure(figsize=(max(6, 1.4 * len(teams) * max(1, len(names)) / 2), 3.6), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(1, len(names))
    for k, name in enumerate(names):
        block = util[util["scenario"] == name].set_index("team").reindex(teams)
        ax.bar(np.arange(len(teams)) + k * width, block["mean"], width,
               yerr=np.nan_to_num(block["half_width"].to_numpy()), capsize=3, label=name)
    ax.set_xticks(np.arange(len(teams)) + width * (len(names) - 1) / 2, teams)
    ax.set_ylabel("busy / staffed time")
    ax.set_title("Utilisation per team (95% CI)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig


def sweep_curve(curves: pd.DataFrame, kpi: str, params: Sequence[str]) -> Figure:
    """``kpi`` against the first parameter, a 95% CI band, one curve per value of the second parameter."""
    rows = curves[curves["kpi"] == kpi]
    if rows.empty:
        raise ValueError(f"no KPI {kpi!r} in the sweep; known: {', '.join(sorted(set(curves['kpi'])))}")
    fig = Figure(figsize=(6, 3.8), layout="constrained")
    ax = fig.subplots()
    x = params[0]
    groups = rows.groupby(params[1]) if len(params) > 1 else [(None, rows)]
    for value, block in groups:
        block = block.sort_values(x)
        line, = ax.plot(block[x], block["mean"], marker="o", label=None if value is None else f"{params[1]}={value}")
        ax.fill_between(block[x], block["ci_low"], block["ci_high"], color=line.get_color(), alpha=0.2, lw=0)
    ax.set_xlabel(x)
    ax.set_ylabel(label(kpi))
    ax.set_title(f"{label(kpi)} vs {x.split('.')[-2] if '.' in x else x} (95% CI)", fontsize=10)
    if len(params) > 1:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def backtest_figures(bt) -> dict[str, Figure]:
    """Resolution-time ECDFs, backlog trajectories and weekly volume: simulated against actual."""
    figs = {}
    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.subplots()
    for values, name in ((bt.actual_ttr, "actual"), (bt.simulated_ttr, "simulated")):
        x = np.sort(values) / 60.0
        ax.plot(x, np.arange(1, len(x) + 1) / max(len(x), 1), label=name)
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlabel("time to resolution (hours)")
    ax.set_ylabel("share of resolved tickets")
    ax.set_title("Backtest: resolution time", fontsize=10)
    ax.legend()
    ax.grid(alpha=0.3)
    figs["backtest_ttr"] = fig

    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.subplots()
    days = bt.actual_backlog.index.to_numpy() / 1440.0
    sim = bt.simulated_backlog.to_numpy()
    ax.plot(days, bt.actual_backlog.to_numpy(), color="black", label="actual")
    ax.plot(days, sim.mean(axis=1), color="C1", label="simulated (mean)")
    ax.fill_between(days, sim.min(axis=1), sim.max(axis=1), color="C1", alpha=0.25, lw=0, label="simulated (range)")
    ax.set_xlabel("days after the cut-off")
    ax.set_ylabel("open tickets")
    ax.set_title("Backtest: backlog", fontsize=10)
    ax.legend()
    ax.grid(alpha=0.3)
    figs["backtest_backlog"] = fig

    fig = Figure(figsize=(8, 3.4), layout="constrained")
    ax = fig.subplots()
    weeks = np.arange(len(bt.weekly))
    ax.bar(weeks - 0.2, bt.weekly["actual"], 0.4, label="actual")
    ax.bar(weeks + 0.2, bt.weekly["simulated"], 0.4, label="simulated (mean)")
    ax.set_xlabel("week of the test period")
    ax.set_ylabel("tickets created")
    ax.set_title("Backtest: weekly volume", fontsize=10)
    ax.legend()
    figs["backtest_weekly"] = fig
    return figs


def fit_qq(fits: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> Figure:
    """QQ plots (fitted vs empirical quantiles, minutes) of fitted durations, one panel per stage."""
    cols = min(3, len(fits)) or 1
    rows = int(np.ceil(len(fits) / cols)) or 1
    fig = Figure(figsize=(3.8 * cols, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, theoretical, empirical) in zip(axes, fits):
        ax.loglog(theoretical, empirical, ".", ms=3)
        lo = np.nanmin([theoretical[theoretical > 0].min(), empirical[empirical > 0].min()])
        hi = np.nanmax([theoretical.max(), empirical.max()])
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("fitted (min)", fontsize=8)
        ax.set_ylabel("observed (min)", fontsize=8)
    for ax in axes[len(fits):]:
        ax.set_visible(False)
    return fig
