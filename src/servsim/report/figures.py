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


def parameter_label(path: str) -> str:
    """A scenario path as words: ``teams.l2.shifts.evening.headcount`` -> ``headcount (l2, evening)``."""
    parts = [p for p in path.split(".") if p not in ("teams", "shifts", "stages", "ticket_types", "steps",
                                                     "demand", "channels", "policies", "clock", "priorities")]
    if len(parts) <= 1:
        return path.split(".")[-1].replace("_", " ")
    return f"{parts[-1].replace('_', ' ')} ({', '.join(parts[:-1])})"


def percent_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0))


def kpi_bars(summary: pd.DataFrame, names: Sequence[str], kpis: Sequence[str],
             targets: dict[str, float] | None = None) -> Figure:
    """One panel per KPI: each scenario's mean as a point with its 95% CI. The axis fits the values (it does not
    start at zero, so 89.7% against 89.9% is visible); shares on % axes; a dashed line where a target is given."""
    kpis = [k for k in kpis if k in set(summary["kpi"])]
    cols = min(3, len(kpis)) or 1
    rows = int(np.ceil(len(kpis) / cols)) or 1
    fig = Figure(figsize=(4.2 * cols, 2.8 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, kpi in zip(axes, kpis):
        block = summary[summary["kpi"] == kpi].set_index("scenario").reindex(names)
        err = np.nan_to_num(block["half_width"].to_numpy())
        for k, (mean, e) in enumerate(zip(block["mean"], err)):
            ax.errorbar(k, mean, yerr=e, fmt="o", color=f"C{k}", capsize=5, ms=6)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_xlim(-0.6, len(names) - 0.4)
        ax.set_title(label(kpi), fontsize=9)
        if describe(kpi)[1] == "%":
            percent_axis(ax)
        if targets and kpi in targets:
            ax.axhline(targets[kpi], color="grey", ls="--", lw=1)
            ax.annotate("target", (len(names) - 0.45, targets[kpi]), fontsize=7, color="grey", va="bottom",
                        ha="right")
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle("KPI means with 95% confidence intervals", fontsize=10)
    return fig


_VERDICT_COLOURS = {"better": "#1e7b34", "worse": "#b42318", "differs": "C0", "no detectable difference": "0.55",
                    "no material change": "0.55", "no interval (one replication)": "0.55"}


def paired_forest(comparison: pd.DataFrame, kpis: Sequence[str]) -> Figure:
    """Each scenario's paired difference from the baseline with its 95% CI, as a share of the baseline's mean:
    one row per KPI and scenario, green where better, red where worse, grey where no difference is detectable."""
    from ..experiment.explain import row_verdict
    from ..kpi import format_change

    rows = comparison[comparison["kpi"].isin(kpis)].copy()
    rows["order"] = rows["kpi"].map({k: i for i, k in enumerate(kpis)})
    rows = rows.sort_values(["order", "scenario"], kind="stable").reset_index(drop=True)
    base = rows["baseline_mean"].abs().replace(0, np.nan)
    fig = Figure(figsize=(9, 0.42 * len(rows) + 1.2), layout="constrained")
    ax = fig.subplots()
    for y, row in rows.iterrows():
        colour = _VERDICT_COLOURS[row_verdict(row)]
        scale = base[y]
        lo, mid, hi = (row["ci_low"] / scale, row["difference"] / scale, row["ci_high"] / scale)
        ax.errorbar(mid, y, xerr=[[mid - lo], [hi - mid]], fmt="o", color=colour, capsize=4, ms=5)
        centre = row["difference"]
        ax.annotate(f"{format_change(row['kpi'], centre)} [{format_change(row['kpi'], row['ci_low'], centre)}, "
                    f"{format_change(row['kpi'], row['ci_high'], centre)}]", (1.01, y),
                    xycoords=("axes fraction", "data"), fontsize=8, va="center")
    ax.axvline(0, color="black", lw=0.8)
    many = rows["scenario"].nunique() > 1
    ax.set_yticks(range(len(rows)), [label(k) + (f" — {s}" if many else "") for k, s in
                                     zip(rows["kpi"], rows["scenario"])], fontsize=8)
    ax.invert_yaxis()
    percent_axis(ax, "x")
    ax.set_xlabel("paired difference from the baseline, relative to the baseline's mean (95% CI)")
    ax.grid(alpha=0.3, axis="x")
    ax.set_title("What changes, with common random numbers", fontsize=10)
    return fig


_STYLES = ("-", "--", "-.", ":")


def draw_differences(per_draw: dict[str, pd.DataFrame], comparison: pd.DataFrame) -> Figure:
    """One panel per KPI (``per_draw``: KPI -> each change's mean paired difference per re-calibration, ``draw`` 0
    the point): the re-calibrations' differences as dots, the point's difference with its simulation-only interval
    (thick) inside the interval including input uncertainty (thin)."""
    kpis = list(per_draw)
    cols = min(3, len(kpis)) or 1
    rows = int(np.ceil(len(kpis) / cols)) or 1
    fig = Figure(figsize=(4.2 * cols, 2.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    rng = np.random.default_rng(0)  # jitter only
    for ax, kpi in zip(axes, kpis):
        table = per_draw[kpi]
        names = list(dict.fromkeys(table["scenario"]))
        for k, name in enumerate(names):
            drawn = table[(table["scenario"] == name) & (table["draw"] > 0)]["difference"].to_numpy()
            ax.plot(k + rng.uniform(-0.15, 0.15, len(drawn)), drawn, ".", color="0.55", ms=5,
                    label="a re-calibration" if k == 0 else None)
            row = comparison[(comparison["scenario"] == name) & (comparison["kpi"] == kpi)].iloc[0]
            ax.vlines(k + 0.3, row["low"], row["high"], color="C0", lw=1.5,
                      label="95% with input uncertainty" if k == 0 else None)
            ax.vlines(k + 0.3, row["ci_low"], row["ci_high"], color="C1", lw=5,
                      label="95% simulation only" if k == 0 else None)
            ax.plot(k + 0.3, row["difference"], "o", color="k", ms=4)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xticks(range(len(names)), names, rotation=20, ha="right", fontsize=8)
        ax.set_title(label(kpi) + ": change", fontsize=9)
        if describe(kpi)[1] == "%":
            percent_axis(ax)
        ax.grid(alpha=0.3, axis="y")
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    if kpis:
        axes[0].legend(fontsize=7, loc="best")
    fig.suptitle("Paired change per re-calibration on resampled history", fontsize=10)
    return fig


def time_ecdfs(replications: dict[str, list[dict]], names: Sequence[str]) -> Figure:
    """ECDFs of first-response and resolution time per scenario (quantiles averaged over replications); each
    scenario has its own line style so that overlapping curves stay visible."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, key, title in ((axes[0], "frt_quantiles", "first-response time"),
                           (axes[1], "ttr_quantiles", "time to resolution")):
        for k, name in enumerate(names):
            curves = [s[key] for s in replications[name] if s.get(key)]
            if curves:
                ax.plot(np.mean(curves, axis=0) / 60.0, QUANTILES, label=name, ls=_STYLES[k % len(_STYLES)],
                        lw=1.2 + 0.6 * (k == 0), color=f"C{k}")
        ax.set_xscale("symlog", linthresh=0.1)
        ax.set_xlabel("hours")
        ax.set_ylabel("share of tickets")
        percent_axis(ax)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8)
    return fig


def backlog_bands(replications: dict[str, list[dict]], names: Sequence[str], start=None) -> Figure:
    """Open tickets over the measurement window: mean across replications and a 5–95% band; dates on the axis
    when ``start`` (the window's first instant) is given."""
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax = fig.subplots()
    for k, name in enumerate(names):
        reps = replications[name]
        length = min(len(s["backlog"]) for s in reps)
        values = np.array([s["backlog"][:length] for s in reps])
        days = np.arange(length) * reps[0]["backlog_step_min"] / 1440.0
        x = days if start is None else pd.Timestamp(start) + pd.to_timedelta(days, unit="D")
        line, = ax.plot(x, values.mean(axis=0), label=name, lw=1, ls=_STYLES[k % len(_STYLES)])
        ax.fill_between(x, np.percentile(values, 5, axis=0), np.percentile(values, 95, axis=0),
                        color=line.get_color(), alpha=0.2, lw=0)
    if start is None:
        ax.set_xlabel("days into the measurement window")
    else:
        from matplotlib.dates import DateFormatter

        ax.xaxis.set_major_formatter(DateFormatter("%a %d %b"))
        ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel("open tickets")
    ax.set_title("Backlog: mean and 5–95% band across replications", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def utilisation_bars(summary: pd.DataFrame, names: Sequence[str]) -> Figure:
    """Utilisation per team, one bar per scenario, with 95% CIs (a share of staffed time: the bars start at 0%)."""
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
    percent_axis(ax)
    ax.set_title("Utilisation per team (95% CI)", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")
    return fig


def week_heatmap(cells: pd.DataFrame, kpis: Sequence[str]) -> Figure:
    """One panel per KPI (a share): weekday x interval of the week (``cells`` indexed by ``weekday``, ``start``,
    as :func:`servsim.call_kpis.per_interval` gives), blank where nobody called."""
    starts = sorted(set(cells.index.get_level_values("start")))
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    fig = Figure(figsize=(max(7.0, 0.32 * len(starts) + 2), 2.3 * len(kpis)), layout="constrained")
    for ax, kpi in zip(np.atleast_1d(fig.subplots(len(kpis), 1)), kpis):
        grid = cells[kpi].unstack("start").reindex(index=days, columns=starts).to_numpy(float)
        image = ax.imshow(100 * grid, aspect="auto", cmap="RdYlGn" if describe(kpi)[2] > 0 else "RdYlGn_r",
                          vmin=0, vmax=100)
        ax.set_yticks(range(7), days)
        step = max(1, len(starts) // 12)
        ax.set_xticks(range(0, len(starts), step), starts[::step], fontsize=8)
        ax.set_title(label(kpi), fontsize=10)
        fig.colorbar(image, ax=ax, label="%")
    return fig


def sweep_curve(curves: pd.DataFrame, kpi: str, params: Sequence[str], target: float | None = None) -> Figure:
    """``kpi`` against the first parameter, a 95% CI band, one curve per value of the second parameter; whole
    numbers (headcounts) get whole-number ticks, shares a % axis, and a target a dashed line."""
    from matplotlib.ticker import MaxNLocator

    rows = curves[curves["kpi"] == kpi]
    if rows.empty:
        import difflib

        known = sorted(set(curves["kpi"]))
        close = difflib.get_close_matches(kpi, known, n=3, cutoff=0.5)
        raise ValueError(f"no KPI {kpi!r} in the sweep; " + (f"did you mean {' or '.join(map(repr, close))}? "
                                                             if close else "")
                         + f"({len(known)} KPIs: {', '.join(known[:8])}, ...)")
    fig = Figure(figsize=(6, 3.8), layout="constrained")
    ax = fig.subplots()
    x = params[0]
    groups = rows.groupby(params[1]) if len(params) > 1 else [(None, rows)]
    for value, block in groups:
        block = block.sort_values(x)
        line, = ax.plot(block[x], block["mean"], marker="o",
                        label=None if value is None else f"{parameter_label(params[1])} = {value}")
        ax.fill_between(block[x], block["ci_low"], block["ci_high"], color=line.get_color(), alpha=0.2, lw=0)
    values = pd.to_numeric(rows[x], errors="coerce")
    if values.notna().all() and (values == values.round()).all():
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if describe(kpi)[1] == "%":
        percent_axis(ax)
    if target is not None:
        ax.axhline(target, color="grey", ls="--", lw=1, label="target")
    ax.set_xlabel(parameter_label(x))
    ax.set_ylabel(label(kpi))
    ax.set_title(f"{label(kpi)} vs {parameter_label(x)} (95% CI)", fontsize=10)
    if len(params) > 1 or target is not None:
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
    percent_axis(ax)
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
    """QQ plots (fitted vs empirical quantiles, minutes) of fitted durations, one panel per fit, in the order
    given (:meth:`Calibration.qq_panels` puts the worst first)."""
    cols = min(3, len(fits)) or 1
    rows = int(np.ceil(len(fits) / cols)) or 1
    fig = Figure(figsize=(3.8 * cols, 3.4 * rows))
    # fixed margins: a constrained layout of a dozen log-log panels takes seconds to compute
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.5 / (3.4 * rows), top=1 - 0.45 / (3.4 * rows),
                        wspace=0.32, hspace=0.55)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, (title, theoretical, empirical) in zip(axes, fits):
        ax.loglog(theoretical, empirical, ".", ms=3)
        ax.minorticks_off()  # a log axis over many decades has thousands of minor ticks, slow to draw and unread
        lo = np.nanmin([theoretical[theoretical > 0].min(), empirical[empirical > 0].min()])
        hi = np.nanmax([theoretical.max(), empirical.max()])
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.set_title(title, fontsize=8)
        ax.set_xlabel("fitted (min)", fontsize=8)
        ax.set_ylabel("observed (min)", fontsize=8)
    for ax in axes[len(fits):]:
        ax.set_visible(False)
    return fig
