"""The HTML report of each kind of result: a run, a comparison, a sweep, an optimisation, a calibration and a
backtest. Each page says the question and its answer first, then the evidence: KPIs with units, targets and
verdicts, the per-team and per-stage changes behind them, figures, assumptions, seeds and the scenario diff."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..call_kpis import per_interval, service_level_name
from ..experiment.explain import (
    change_in_words,
    change_interval,
    drivers,
    in_words,
    row_verdict,
    what_changes,
)
from ..experiment.uncertain import in_words as in_words_uncertain
from ..kpi import WEEK_MIN, KpiContext, describe, format_change, format_value, headline_kpis, kpi_label
from ..scenario import Scenario
from ..scenario.provenance import changed_fields
from ..segments import readable, where_time_goes
from ..units import format_minutes
from . import figures
from .html import Page, bullets, esc, figure, paragraph, preformatted, table
from .html import verdict as coloured

if TYPE_CHECKING:
    from ..calibration.backtests.backtest import Backtest
    from ..calibration.backtests.staffing_backtest import StaffingBacktest
    from ..calibration.importers.quality import DataQuality
    from ..calibration.models.fitted import Calibration
    from ..experiment import Experiment, Sweep
    from ..experiment.optimize import Optimum
    from ..experiment.uncertain import UncertainExperiment
    from ..one_run import SimulationResult



def window_text(s: Scenario) -> str:
    """``"Mon 05 Jan 2026 to Mon 02 Mar 2026 (8 weeks after 1 week of warm-up)"``."""
    start = pd.Timestamp(s.clock.start)
    lo, hi = start + pd.Timedelta(minutes=s.clock.warmup), start + pd.Timedelta(minutes=s.clock.horizon)
    return f"{lo:%a %d %b %Y} to {hi:%a %d %b %Y} ({_span(s.clock.horizon - s.clock.warmup)} after " \
           f"{_span(s.clock.warmup)} of warm-up)"


def _span(minutes: float) -> str:
    """A period in the largest whole unit: ``8 weeks``, ``3 days``, else :func:`format_minutes`."""
    for size, unit in ((10080, "week"), (1440, "day")):
        if minutes >= size and minutes % size == 0:
            n = int(minutes // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return format_minutes(minutes) if minutes else "no"


def kpi_name(kpi: str, s: Scenario) -> str:
    """A KPI's label, costs in the scenario's currency."""
    return kpi_label(kpi, s.currency)


def targets_table(s: Scenario) -> str:
    rows = [{"priority": p, "first response within": format_minutes(t.first_response),
             "resolution within": format_minutes(t.resolution)} for p, t in s.priorities.items()]
    return table(pd.DataFrame(rows))


def experiment_page(exp: Experiment, title: str | None = None) -> Page:
    """A comparison of scenarios (or one scenario's replications)."""
    names, base = exp.names, exp.scenarios[exp.names[0]]
    summary = exp.summary().set_index(["kpi", "scenario"])
    comparison = exp.compare() if len(names) > 1 else None
    n = len(exp.replications[names[0]])
    kpis = headline_kpis(k for k, name in summary.index if name == names[0])
    if comparison is None:
        page = Page(title or f"servsim run: {names[0]}",
                    f"How does {names[0]} perform over {window_text(base)}?",
                    [f"{esc(kpi_name(k, base))}: <b>{esc(format_value(k, summary.loc[(k, names[0]), 'mean']))}</b>"
                     for k in kpis[:6]])
    else:
        answer_box = []
        for name in names[1:]:
            parts = what_changes(comparison, name, names[0], base, kpis, _sentence, esc)
            answer_box.append(f"<b>{esc(name)}</b>: " + "; ".join(parts))
        page = Page(title or f"servsim compare: {' vs '.join(names)}",
                    f"What changes if we run {', '.join(names[1:])} instead of {names[0]}? Measured over "
                    f"{window_text(base)}.", answer_box)
    page.add("KPIs", _kpi_table(exp, summary, comparison, kpis),
             paragraph(f"Means over {n} replications with 95% confidence intervals; differences are paired "
                       f"(replication r of every scenario sees the same customers), {exp.ci_method}.", "note"))
    page.add("SLA targets", targets_table(base), _per_priority(summary, names))
    segment_kpis = [k for k in summary.index.get_level_values(0).unique()
                    if k.partition("/")[0] in ("sla_attainment", "ttr_p90_min") and "=" in k]
    if segment_kpis and n > 1:  # one run's segments are a plain table (run_page)
        page.add("By segment", paragraph("SLA attainment and resolution time (p90) per channel, ticket type, tier, "
                                         "region and further attributes such as product.", "note"),
                 _kpi_table(exp, summary, comparison, sorted(segment_kpis, key=lambda k: (k.partition("/")[0] !=
                                                                                           "sla_attainment", k))))
    if comparison is not None:
        page.add("What explains the changes", *[_drivers_block(comparison, name) for name in names[1:]])
        page.add("Differences at a glance", figure(figures.paired_forest(comparison, kpis), "paired differences"))
    page.add("Distributions, backlog and utilisation",
             figure(exp.plot_kpis(), "KPI means") if comparison is None else "",
             figure(exp.plot_ecdf(), "first-response and resolution time ECDFs"),
             figure(exp.plot_backlog(), "backlog over the window"),
             figure(exp.plot_utilisation(), "utilisation per team"))
    page.add("Assumptions", bullets(_assumptions(exp)))
    if comparison is not None:
        page.add("Scenario differences", *[_diff_block(base, exp.scenarios[name]) for name in names[1:]])
    page.facts = {"scenarios": ", ".join(names), "replications": str(n), "seed": str(exp.seed),
                  "window": window_text(base)}
    return page


def uncertain_page(found: UncertainExperiment) -> Page:
    """A comparison over a calibration's input uncertainty: the answer with intervals that include what the history
    cannot pin down, then the comparison at the point calibration."""
    names, base = found.names, found.point.scenarios[found.names[0]]
    comparison = found.compare()
    kpis = headline_kpis(comparison["kpi"])
    page = experiment_page(found.point, f"servsim compare with input uncertainty: {' vs '.join(names)}")
    answer = []
    for name in names[1:]:
        rows = comparison[(comparison["scenario"] == name) & comparison["kpi"].isin(kpis)]
        moved = rows[rows["verdict"] != "no detectable difference"]
        answer.append(f"<b>{esc(name)}</b>: " + ("; ".join(
            f"{esc(describe(r['kpi'])[0])} {esc(format_change(r['kpi'], r['difference']))} "
            f"[{esc(format_change(r['kpi'], r['low'], r['difference']))}, "
            f"{esc(format_change(r['kpi'], r['high'], r['difference']))}], "
            f"{coloured(r['verdict'])}" for _, r in moved.head(5).iterrows())
            or f"no detectable difference from {esc(names[0])} in any headline KPI"))
    said = in_words_uncertain(found, comparison[comparison["kpi"].isin(kpis)]["input_share"])
    if said:
        answer.append(esc(said[0].upper() + said[1:] + "."))
    page.answer = answer
    rows = []
    for _, r in comparison[comparison["kpi"].isin(kpis)].iterrows():
        k = r["kpi"]
        rows.append({"KPI": kpi_name(k, base), "change": r["scenario"], "difference": format_change(k, r["difference"]),
                     "95% with input uncertainty": f"[{format_change(k, r['low'], r['difference'])}, "
                                                   f"{format_change(k, r['high'], r['difference'])}]",
                     "95% simulation only": f"[{format_change(k, r['ci_low'], r['difference'])}, "
                                            f"{format_change(k, r['ci_high'], r['difference'])}]",
                     "from the history": "" if r["input_share"] != r["input_share"] else f"{r['input_share']:.0%}",
                     "verdict": coloured(r["verdict"])})
    section = ("What the history cannot pin down", [
        paragraph(f"Every scenario was also run on {found.draws} re-calibrations of the baseline on resampled days of "
                  f"its history ({found.draw_replications} replications each): the spread of their answers, less "
                  "simulation noise, is what the history leaves uncertain. 'Robustly' means the interval that "
                  "includes it excludes no change; 'at the point estimate only' means only the simulation-only "
                  "interval does.", "note"),
        table(pd.DataFrame(rows), raw=["verdict"]),
        figure(found.plot_draws(comparison=comparison), "paired change per re-calibration") if len(names) > 1 else ""])
    page.sections.insert(0, section)
    page.facts["re-calibrations"] = f"{found.draws} x {found.draw_replications} replications"
    return page


def _sentence(row: pd.Series) -> str:
    return f"{esc(change_in_words(row))}, {coloured(row_verdict(row))}"


def _kpi_table(exp: Experiment, summary: pd.DataFrame, comparison: pd.DataFrame | None, kpis: list[str]) -> str:
    names, base = exp.names, exp.scenarios[exp.names[0]]
    rows = []
    for kpi in kpis:
        row = {"KPI": kpi_name(kpi, base)}
        for name in names:
            mean, half = summary.loc[(kpi, name), ["mean", "half_width"]]
            row[name] = f"{format_value(kpi, mean)} ± {format_change(kpi, half, mean).lstrip('+')}"
        if comparison is not None:
            for name in names[1:]:
                d = comparison[(comparison["kpi"] == kpi) & (comparison["scenario"] == name)].iloc[0]
                row[f"{name} − {names[0]}"] = change_interval(d)
                row[f"verdict ({name})"] = coloured(row_verdict(d))
        rows.append(row)
    frame = pd.DataFrame(rows)
    return table(frame, raw=[c for c in frame.columns if c.startswith("verdict")])


def _per_priority(summary: pd.DataFrame, names: Sequence[str]) -> str:
    """Per priority: first response and resolution within target, attained."""
    rows = []
    for kpi in ("frt_within_target", "resolution_within_target"):
        for key in summary.index.get_level_values(0).unique():
            if key.startswith(kpi + "/") and "=" not in key:  # per priority, not per segment
                rows.append({"attained": f"{describe(key)[0]}",
                             **{name: format_value(key, summary.loc[(key, name), "mean"]) for name in names
                                if (key, name) in summary.index}})
    return table(pd.DataFrame(rows)) if rows else ""


def _drivers_block(comparison: pd.DataFrame, name: str) -> str:
    found = drivers(comparison, name)
    if found.empty:
        return paragraph(f"{name}: no wait before a stage and no team's utilisation changed detectably.")
    lines = [in_words(row) for _, row in found.iterrows()]
    return f"<p><b>{esc(name)}</b>: the waits and workloads that moved most</p>" + bullets(lines)


def _assumptions(exp: Experiment) -> list[str]:
    base = exp.scenarios[exp.names[0]]
    out = [f"Replications use common random numbers: replication r of each scenario sees the same customers, "
           f"so differences are paired ({exp.ci_method}).",
           f"KPIs cover tickets created in the window {window_text(base)}; tickets still open at the horizon "
           "count as not resolved within target.",
           "Costs: staff hours on duty at each team's hourly cost, plus visit costs"
           + (f", in {base.currency}." if base.currency else "; no currency set (field `currency`): marked ¤.")]
    out += [f"{path}: {why}" for path, why in base.provenance.items() if why.lower().startswith("assumed")][:20]
    return out


def _diff_block(base: Scenario, other: Scenario) -> str:
    changes = changed_fields(base, other)
    if not changes:
        return paragraph(f"{other.name}: the same scenario as {base.name} (only its name differs).")
    rows = [{"field": path, base.name: _short(old), other.name: _short(new)} for path, (old, new) in changes.items()]
    return f"<p><b>{esc(other.name)}</b> changes {len(rows)} field(s):</p>" + table(pd.DataFrame(rows[:60]))


def _short(value) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def run_page(result: SimulationResult) -> Page:
    """One simulated run: its KPIs, per priority, team and stage, and its figures."""
    from ..experiment import Experiment
    from ..experiment.tasks import replication_summary

    report = result.kpis()
    exp = Experiment({result.scenario.name: result.scenario}, {result.scenario.name: [replication_summary(result,
                                                                                                        report)]},
                     result.seed)
    page = experiment_page(exp, title=f"servsim run: {result.scenario.name} (seed {result.seed})")
    page.question = (f"How does {result.scenario.name} perform over {window_text(result.scenario)}? "
                     "One replication: no confidence intervals (use compare for those).")
    page.sections[0] = ("KPIs", [table(pd.DataFrame([{"KPI": kpi_name(k, result.scenario), "value": format_value(k, v)}
                                                     for k, v in report.overall.items()]))])
    page.add("By team", table(report.by_pool.drop(columns=["utilisation_by_shift"], errors="ignore").round(3),
                              index=True))
    page.add("By stage", table(report.by_stage.round(2), index=True))
    if not report.by_depot.empty:
        page.add("Spare parts by depot",
                 paragraph("Units demanded in the window, the share taken from stock at once, demands that found "
                           "none (each a second visit or a wait before the visit), units on hand on average, "
                           "replenishment orders and the cost of holding and ordering.", "note"),
                 table(_depots_for_people(report.by_depot, result.scenario.currency)))
    ctx = KpiContext.from_scenario(result.scenario, result.staffing)
    page.add("Where the time goes",
             paragraph("Per ticket, until it is resolved: time queued for a person, being worked on and waiting for "
                       "the customer at each stage, and how much longer the tickets that missed their resolution "
                       "target spent there than those that met it.", "note"),
             table(readable(where_time_goes(result.tickets, result.events, ctx, ()))),
             table(readable(where_time_goes(result.tickets, result.events, ctx, ("priority",)))))
    page.add("By segment", table(readable(report.by_segment)))
    if ctx.call_channels:
        _calls_by_hour(page, result, ctx)
    page.facts["tickets"] = f"{len(result.tickets):,}"
    return page


def _calls_by_hour(page: Page, result: SimulationResult, ctx: KpiContext) -> None:
    """A call centre's KPIs per hour of the week: heat maps and the table."""
    thresholds = list(ctx.service_level[0])
    cells = per_interval(result.tickets, ctx.window_start, ctx.window_end, ctx.call_channels, thresholds)
    weeks = (ctx.window_end - ctx.window_start).total_seconds() / 60.0 / WEEK_MIN
    first = service_level_name(thresholds[0])
    shown = pd.DataFrame({
        "weekday": cells.index.get_level_values("weekday").astype(str), "hour": cells.index.get_level_values("start"),
        "calls a week": (cells["calls"] / weeks).round(1),
        **{kpi_name(level, result.scenario): [format_value(level, v) for v in cells[level]]
           for level in map(service_level_name, thresholds)},
        "ASA": [format_value("asa_min", v) for v in cells["asa_min"]],
        "abandoned": [format_value("abandonment_rate", v) for v in cells["abandonment"]],
        "waited": [format_value("waited_share", v) for v in cells["waited_share"]]})
    page.add("Calls by hour of the week",
             paragraph("Each hour of the week over the measured weeks: the calls offered and what their callers got "
                       "(shares of the calls offered). One replication: use compare for intervals, and servsim staff "
                       "for the agents each hour needs.", "note"),
             figure(figures.week_heatmap(cells.rename(columns={"abandonment": "abandonment_rate"}),
                                 [first, "abandonment_rate"]), "service level and abandonment by hour of the week"),
             table(shown))


def _depots_for_people(depots: pd.DataFrame, currency: str) -> pd.DataFrame:
    """The per-depot spare-part table with shares in %, stock to a tenth and costs in the scenario's currency."""
    unit = f" ({currency})" if currency else ""
    return pd.DataFrame({
        "part": depots["part"], "depot": depots["depot"], "units demanded": depots["demanded"],
        "filled from stock": [format_value("part_fill_rate", v) for v in depots["fill_rate"]],
        "stock-outs": depots["stockouts"], "units on hand, mean": depots["on_hand_mean"].round(1),
        "orders": depots["orders"], f"inventory cost{unit}": [f"{v:,.0f}" for v in depots["inventory_cost"]]})


def sweep_page(sweep: Sweep, kpis: Sequence[str], target: dict[str, float] | None = None,
               uncertain: pd.DataFrame | None = None) -> Page:
    """A sweep: each KPI's curve over the parameter values, and the table of means; with ``uncertain`` (the summary
    of :meth:`~servsim.experiment.uncertain.UncertainExperiment.summary`), each point's intervals including what
    the history cannot pin down."""
    params = [c for c in sweep.points.columns if c != "scenario"]
    curves = sweep.curves()
    base = sweep.scenarios[sweep.names[0]]
    answer = []
    for kpi in kpis:
        rows = curves[curves["kpi"] == kpi]
        if rows.empty:
            continue
        lo, hi = rows.loc[rows["mean"].idxmin()], rows.loc[rows["mean"].idxmax()]
        answer.append(f"{esc(kpi_name(kpi, base))} ranges from <b>{esc(format_value(kpi, lo['mean']))}</b> "
                      f"({esc(lo['scenario'])}) to <b>{esc(format_value(kpi, hi['mean']))}</b> ({esc(hi['scenario'])})")
    page = Page(f"servsim sweep: {', '.join(map(figures.parameter_label, params))}",
                f"How do the KPIs change with {' and '.join(figures.parameter_label(p) for p in params)}? "
                f"Measured over {window_text(base)}.", answer)
    for kpi in kpis:
        if (curves["kpi"] == kpi).any():
            page.add(kpi_name(kpi, base), figure(sweep.plot_sweep(kpi, target=(target or {}).get(kpi)), kpi))
    steps = sweep.steps()
    steps = steps[steps["kpi"].isin(kpis)]
    if not steps.empty:
        page.add("Step by step", paragraph(
            f"What each step of {figures.parameter_label(params[0])} changes, as paired differences from the point "
            "below it with 95% confidence intervals: every point sees the same customers (common random numbers), "
            "so a step's effect stands out from the noise the points share.", "note"), _steps_table(steps, base))
        for kpi in kpis:
            own = steps[steps["kpi"] == kpi]
            moved = own[own["distinguishable"]]
            if own.empty:
                continue
            if moved.empty:
                page.answer.append(f"{esc(kpi_name(kpi, base))}: no step makes a detectable difference")
                continue
            big = moved.loc[moved["difference"].abs().idxmax()]
            page.answer.append(f"{esc(kpi_name(kpi, base))}: the biggest step is {esc(big['from'])} → "
                               f"{esc(big['to'])}, {_sentence(big)}; {len(own) - len(moved)} of {len(own)} steps "
                               "make no detectable difference")
    wide = curves[curves["kpi"].isin(kpis)].pivot_table(index=params, columns="kpi", values="mean")
    shown = wide[[k for k in kpis if k in wide.columns]]
    shown = shown.apply(lambda col: col.map(lambda v: format_value(col.name, v)))
    shown.columns = [kpi_name(k, base) for k in shown.columns]
    shown.index.names = [figures.parameter_label(p) for p in params]
    page.add("Means per point", table(shown, index=True),
             paragraph("95% confidence intervals are in curves.csv and shown as bands in the figures.", "note"))
    if uncertain is not None:
        rows = [{"point": r["scenario"], "KPI": kpi_name(r["kpi"], base), "mean": format_value(r["kpi"], r["mean"]),
                 "95% with input uncertainty": f"[{format_value(r['kpi'], r['low'])}, "
                                               f"{format_value(r['kpi'], r['high'])}]",
                 "from the history": "" if r["input_share"] != r["input_share"] else f"{r['input_share']:.0%}"}
                for _, r in uncertain[uncertain["kpi"].isin(kpis)].iterrows()]
        page.sections.insert(0, ("What the history cannot pin down", [
            paragraph("Every point was also run on re-calibrations of the baseline on resampled days of its history: "
                      "these intervals include what the history leaves uncertain; the curves below are simulation "
                      "noise only.", "note"), table(pd.DataFrame(rows))]))
    page.facts = {"points": str(len(sweep.names)), "replications": str(len(sweep.replications[sweep.names[0]])),
                  "seed": str(sweep.seed), "window": window_text(base)}
    return page


def _steps_table(steps: pd.DataFrame, base: Scenario) -> str:
    rows = []
    for (lower, upper), block in steps.groupby(["from", "to"], sort=False):
        row = {"step": f"{lower} → {upper}"}
        for _, d in block.iterrows():
            row[kpi_name(d["kpi"], base)] = f"{esc(change_interval(d))} {coloured(row_verdict(d))}"
        rows.append(row)
    frame = pd.DataFrame(rows)
    return table(frame, raw=[c for c in frame.columns if c != "step"])


def optimize_page(found: Optimum) -> Page:
    """An optimisation: the staffing chosen, its cost, each requirement with its bound, and the frontier."""
    levers = found.table().rename(columns={"first_guess": "Erlang C guess"})
    levers["lever"] = levers["lever"].map(figures.parameter_label)
    if found.chosen is None:
        answer = [esc(n) for n in found.notes] or ["no staffing within the bounds meets every requirement"]
    else:
        answer = ["Cheapest staffing that meets every requirement: "
                  + ", ".join(f"<b>{esc(r.lever)} = {r.chosen}</b>" for r in levers.itertuples()),
                  f"Weekly staff cost {found.weekly_cost:,.0f} against {found.baseline_cost:,.0f} today "
                  f"({found.weekly_cost - found.baseline_cost:+,.0f})",
                  "Binding: " + esc(", ".join(found.binding))]
    name = found.scenario.name if found.scenario is not None else "scenario"
    page = Page(f"servsim optimize: {name}",
                "What is the cheapest staffing within the bounds that meets "
                + "; ".join(str(r) for r in found.requirements) + "?", answer)
    page.add("Staffing", table(levers))
    if not found.checks.empty:
        checks = found.checks.assign(holds=found.checks["holds"].map({True: "yes", False: "no"}),
                                     margin=found.checks["margin"].map(lambda m: f"{m:.0%}"),
                                     binds=found.checks["requirement"].isin(found.binding).map({True: "binds",
                                                                                                False: ""}))
        page.add("Requirements at the chosen staffing (fresh confirmation replications)",
                 table(checks[["requirement", "mean", "bound", "target", "holds", "margin", "binds"]].round(4)))
    if not found.frontier.empty:
        page.add("Cost against the requirements explored", figure(_frontier_figure(found), "frontier"),
                 paragraph(f"{len(found.frontier)} staffing(s) evaluated.", "note"))
    if found.notes:
        page.add("Notes", bullets(found.notes))
    return page


def _frontier_figure(found: Optimum):
    """Weekly cost against the first requirement's KPI for every staffing explored, the target dashed."""
    fig = figures.Figure(figsize=(7, 3.8), layout="constrained")
    ax = fig.subplots()
    req = found.requirements[0]
    explored = found.frontier[~found.frontier["confirmation"].astype(bool)]
    feasible = explored["feasible"].astype(bool)
    column = f"{req} (mean)"
    ax.scatter(explored["weekly_cost"][~feasible], explored[column][~feasible], color="0.6", label="misses a target")
    ax.scatter(explored["weekly_cost"][feasible], explored[column][feasible], color="C2", label="meets every target")
    ax.axhline(req.value, color="grey", ls="--", lw=1, label="target")
    if found.chosen is not None:
        ax.axvline(found.weekly_cost, color="C3", ls=":", lw=1.2, label="chosen")
    if describe(req.kpi)[1] == "%":
        figures.percent_axis(ax)
    ax.set_xlabel("weekly staff cost")
    ax.set_ylabel(figures.label(req.kpi))
    ax.set_title("Staffings explored: cost against the first requirement", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def calibration_page(cal: Calibration, quality: DataQuality, qq_png: bytes | None = None) -> Page:
    """A calibration: what the log says, what was identified and assumed, and how well each duration fits
    (``qq_png``: the QQ plots already drawn, e.g. the ``fits_qq.png`` written beside it)."""
    first, end = cal.window
    s = cal.scenario
    assumed = [f"{p}: {w}" for p, w in cal.provenance.items() if w.lower().startswith("assumed")]
    identified = [p for p, w in cal.provenance.items() if w.lower().startswith("identified")]
    worst = max(cal.fits, key=lambda f: f.ks) if cal.fits else None
    answer = [f"A baseline of <b>{len(s.teams)} team(s)</b>, {len(s.stages)} stage(s) and "
              f"{len(s.ticket_types)} ticket type(s) from {first:%d %b %Y} to {end:%d %b %Y}",
              f"{len(identified)} group(s) of numbers identified from the log, {len(assumed)} assumed"]
    if worst is not None:
        answer.append(f"Worst duration fit: {esc(worst.ticket_type)}/{esc(worst.stage)} "
                      f"(KS distance {worst.ks:.3f}, model uses {esc(worst.family)})")
    page = Page(f"servsim calibration: {s.name}", f"What does the log {quality.source} say, and how well does the "
                "calibrated model reproduce it?", answer)
    page.add("Data quality", preformatted(quality.to_text()))
    page.add("Arrivals", preformatted(cal.arrivals.summary()))
    page.add("Routing (shares of tickets per type)", table(cal.routing.round(4), index=True))
    fits = cal.fit_table().sort_values("ks", ascending=False)
    panels = cal.qq_panels()
    page.add("Fitted durations (worst first)", table(fits.round(4)),
             figure(qq_png or figures.fit_qq(panels), "QQ plots") if panels else "")
    page.add("What was identified and what was assumed", bullets(identified[:40]), bullets(assumed[:40]))
    if cal.notes:
        page.add("Notes", bullets(cal.notes[:60]))
    return page


def backtest_page(bt: Backtest) -> Page:
    """A backtest: simulated against actual over the test period, with a verdict per KPI."""
    rows = bt.table.copy()
    answer = [f"{esc(r.kpi)}: simulated {r.simulated:,.4g} against actual {r.actual:,.4g} "
              f"({r.relative_error:+.0%})" for r in rows.itertuples() if r.relative_error == r.relative_error][:6]
    page = Page("servsim backtest", "Does the calibrated model reproduce what happened after the cut-off?", answer)
    page.add("Simulated against actual", table(rows.round(4)),
             paragraph("relative error = (simulated − actual) / actual; simulated is the mean of replications "
                       "with its 95% CI.", "note"))
    page.add("Figures", *[figure(fig, name) for name, fig in bt.figures().items()])
    return page


def staffing_backtest_page(bt: StaffingBacktest) -> Page:
    """A call-centre staffing backtest: per-hour errors of the simulation, Erlang A and the naive average."""
    answer = [esc(line.strip()) for line in bt.summary().splitlines()[2:]]
    page = Page("servsim staffing backtest", "Given the test period's actual calls and roster, how well does the "
                "model predict each hour's service level, waits and abandonment, against Erlang A and a naive "
                "average?", answer)
    page.add("Mean absolute error per hour", preformatted(bt.summary()))
    cells = bt.cells.head(400)
    page.add("Per hour", table(cells.round({c: 3 for c in cells.select_dtypes("number").columns})))
    return page


def write_report(result, path, **context) -> Path:
    """Write the HTML report of ``result`` (a SimulationResult, Experiment, Sweep, Optimum, Backtest or
    StaffingBacktest; a Calibration needs ``quality=``) to ``path``; returns the path.

    ``context``: ``kpis=``, ``targets=`` (KPI -> target line) and ``uncertain=`` (the summary over input
    uncertainty) for a sweep; ``qq_png=`` (its QQ plots, already drawn) for a calibration."""
    from ..calibration.backtests.backtest import Backtest
    from ..calibration.backtests.staffing_backtest import StaffingBacktest
    from ..calibration.models.fitted import Calibration
    from ..experiment import Experiment, Sweep
    from ..experiment.optimize import Optimum
    from ..experiment.uncertain import UncertainExperiment
    from ..one_run import SimulationResult

    if isinstance(result, UncertainExperiment):
        page = uncertain_page(result)
    elif isinstance(result, Sweep):
        page = sweep_page(result, context.get("kpis") or result.moving_kpis(),
                          context.get("targets"), context.get("uncertain"))
    elif isinstance(result, Experiment):
        page = experiment_page(result)
    elif isinstance(result, SimulationResult):
        page = run_page(result)
    elif isinstance(result, Optimum):
        page = optimize_page(result)
    elif isinstance(result, Calibration):
        page = calibration_page(result, context["quality"], context.get("qq_png"))
    elif isinstance(result, Backtest):
        page = backtest_page(result)
    elif isinstance(result, StaffingBacktest):
        page = staffing_backtest_page(result)
    else:
        raise TypeError(f"no report for a {type(result).__name__}")
    return page.write(path)
