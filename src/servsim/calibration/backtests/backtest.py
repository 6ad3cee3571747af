"""Backtest: calibrate on history up to a cut-off, simulate the period after it from the backlog that
was actually open at the cut-off, and compare simulated with actual KPIs — how far to trust the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from scipy import stats

from ...engine.streams import Streams
from ...errors import ServsimError
from ...kpi import KpiContext, compute_kpis
from ...log import EVENT_COLUMNS, EventColumns, to_minutes
from ...one_run import SimulationResult, simulate
from ...scenario import Scenario, scenario_from_dict
from ...scenario.model import RosterRow
from ..evidence.history import active_people, active_period, ticket_measures
from ..fitting import residual_durations
from ..importers.quality import ImportResult
from ..models.build import calibrate
from ..models.fitted import Calibration

KPIS = ["tickets", "weekly_volume", "frt_mean_min", "frt_p50_min", "frt_p90_min", "ttr_mean_min", "ttr_p50_min",
        "ttr_p90_min", "resolved_in_1h", "resolved_in_1d", "resolved_in_3d", "resolution_within_target",
        "escalation_rate", "reopen_rate", "backlog_at_horizon", "backlog_mean"]
# shares of the test period's tickets resolved within these minutes: Kaplan–Meier, open tickets censored at its end
CARRIED = "carried_over"  # a process model's stage for tickets answered before the cut-off (see _carried_over)
RESOLVED_IN = {"resolved_in_1h": 60.0, "resolved_in_1d": 1440.0, "resolved_in_3d": 4320.0}


@dataclass
class Backtest:
    """Simulated against actual KPIs over the test period."""

    calibration: Calibration
    scenario: Scenario                  # the calibrated scenario set up for the test period
    table: pd.DataFrame                 # kpi, actual, simulated, ci_low, ci_high, relative_error
    actual_backlog: pd.Series
    simulated_backlog: pd.DataFrame     # one column per replication
    actual_ttr: np.ndarray
    simulated_ttr: np.ndarray
    weekly: pd.DataFrame                # week, actual, simulated
    runs: list[SimulationResult] = field(repr=False, default_factory=list)  # the simulated ticket logs

    def figures(self):
        from ...report.figures import backtest_figures

        return backtest_figures(self)


def _backlog_at_cut(result: ImportResult, cut: pd.Timestamp, stages: set[str]
                    ) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]]]:
    """The tickets open at the cut-off, with the stage each is in and how long it has been there (minutes); and,
    per stage, the sojourns (with censoring flags) of all tickets created before the cut-off — the history their
    time left is drawn from. ``result`` is the export as of the cut-off (``ImportResult.as_of``)."""
    before = result.tickets
    measures = ticket_measures(result, cut)
    is_open = before["resolved_at"].isna().to_numpy()
    answered = before["first_response_at"].notna().to_numpy()
    escalated = (before["n_escalations"] > 0).to_numpy() & ("escalated" in stages)
    stage = np.where(~answered, "pickup", np.where(escalated, "escalated", "handling"))
    since = before["first_response_at"].where(answered, before["created_at"])
    elapsed = (cut - since).dt.total_seconds().to_numpy() / 60.0
    open_rows = before[is_open].assign(stage=stage[is_open], elapsed=elapsed[is_open])
    path = measures["path"].to_numpy()
    history = {"pickup": (measures["frt"].to_numpy(), measures["frt_censored"].to_numpy())}
    for k in ("handling", "escalated"):
        history[k] = (measures["handling"].to_numpy()[path == k], measures["handling_censored"].to_numpy()[path == k])
    return open_rows, history


def _time_left(backlog: pd.DataFrame, history: dict[str, tuple[np.ndarray, np.ndarray]],
               rng: np.random.Generator, never: float) -> np.ndarray:
    """Minutes each backlog ticket has left in its stage, drawn from the Kaplan–Meier estimate of that stage's
    sojourns given the time already spent; ``never`` where history shows no end that late."""
    left = np.full(len(backlog), never)
    for stage, (durations, censored) in history.items():
        rows = (backlog["stage"] == stage).to_numpy()
        if rows.any():
            left[rows] = residual_durations(durations, censored, backlog["elapsed"].to_numpy()[rows], rng)
    return np.minimum(left, never)


def _carried_over(scenario: Scenario, backlog: pd.DataFrame) -> tuple[Scenario, pd.DataFrame]:
    """A process model (whose stages are the log's activities) given the tickets open at the cut-off: those not yet
    answered enter their type's first stage and queue for it like new tickets; the others wait out the time they
    have left (drawn from history, see :func:`_time_left`) in a stage of their own, ``CARRIED``, then resolve."""
    data = scenario.model_dump(mode="json", by_alias=True)
    data["stages"][CARRIED] = {}
    for tt in data["ticket_types"].values():
        tt["steps"][CARRIED] = {"work": {"kind": "constant", "value": 0.0}, "next": "resolve"}
    entry = {name: tt.entry for name, tt in scenario.ticket_types.items()}
    stage = np.where(backlog["stage"] == "pickup", backlog["ticket_type"].map(entry), CARRIED)
    return scenario_from_dict(data, source=f"{scenario.name} with the tickets open at the cut-off"), \
        backlog.assign(stage=stage)


def _default_end(result: ImportResult, cut: pd.Timestamp) -> pd.Timestamp:
    """The end of the export's busy period (trailing weeks of stragglers left out: they describe no week of the
    desk), or the export's end where the busy period ends within a week of the cut-off."""
    busy_end = active_period(result.tickets["created_at"], result.export_end)[1]
    return busy_end if busy_end >= cut + pd.Timedelta(days=7) else result.export_end.floor("D")


def _relative(simulated: float, actual: float) -> float:
    """The relative error; infinite (signed) where the actual value is 0 and the simulated one is not."""
    if actual:
        return (simulated - actual) / actual
    if simulated != simulated:  # NaN
        return float("nan")
    return 0.0 if simulated == 0 else float(np.copysign(np.inf, simulated))


def backtest(result: ImportResult, train_until: datetime | str, replications: int = 10, seed: int = 0,
             test_until: datetime | str | None = None, history_weeks: int | None = None, capacity: bool | None = None,
             utilisation: float | None = None, replay: bool = False, balance_on_model: bool = False) -> Backtest:
    """Calibrate on tickets created before ``train_until``; simulate ``[train_until, test_until)`` (default: to the
    end of the export's busy period, see :func:`~servsim.calibration.evidence.history.active_period`).

    The simulated period starts from the tickets actually open at the cut-off, each in the stage it was in and
    with the time it has left there drawn given the time it has already spent (``_time_left``), and runs with
    the actual arrival volume of the test period (the calibrated rates scaled to it); both sides are censored
    at ``test_until`` alike. ``history_weeks`` calibrates on only the weeks just before the cut-off
    (default: all history). With ``capacity`` (see :func:`~servsim.calibration.models.build.calibrate`) the model's
    desk keeps the weekly staffing of the training weeks; with ``replay`` as well, it is given the test period
    as it happened instead — its actual tickets at their actual times (trace-driven) and its actual roster, the
    people of each team active per hour (:func:`actual_roster`) — so that what is left is the process model's
    own error, e.g. in weeks with public holidays, when both demand and staff drop.
    """
    cut = pd.Timestamp(train_until)
    end = pd.Timestamp(test_until) if test_until is not None else _default_end(result, cut)
    if end < cut + pd.Timedelta(days=7):
        raise ServsimError(f"the test period {cut:%Y-%m-%d} to {end:%Y-%m-%d} is shorter than a week; "
                           "choose an earlier --train-until")
    if replications < 1:
        raise ServsimError(f"replications must be at least 1, got {replications}")
    if history_weeks is not None and history_weeks < 1:
        raise ServsimError(f"history_weeks must be at least 1 (weeks before the cut-off to calibrate on), got "
                           f"{history_weeks}")
    start = None if history_weeks is None else cut - pd.Timedelta(weeks=history_weeks)
    known = result.as_of(cut)  # calibration and the backlog see only what was known at the cut-off
    cal = calibrate(known, start=start, end=cut, name="backtest", capacity=capacity, utilisation=utilisation,
                    balance_on_model=balance_on_model)
    if replay and not cal.staffed:
        raise ServsimError("replaying the test period's roster needs a model staffed from the log: add --capacity "
                           "(and a log that names who did the work)")
    t = result.tickets
    horizon = (end - cut).total_seconds() / 60.0
    new = t[(t["created_at"] >= cut) & (t["created_at"] < end)]
    actual_new = len(new)
    base = cal.scenario
    expected = sum(ch.rate for ch in base.demand.channels.values()) * horizon
    scale = actual_new / expected if expected > 0 else 1.0
    channels = {name: ch.model_copy(update={"rate": ch.rate * scale}) for name, ch in base.demand.channels.items()}
    scenario = base.model_copy(update={
        "clock": base.clock.model_copy(update={"start": cut.to_pydatetime(), "horizon": horizon, "warmup": 0.0}),
        "demand": base.demand.model_copy(update={"channels": channels}),
    })

    open_at_cut, history = _backlog_at_cut(known, cut, set(base.stages))
    backlog = pd.DataFrame({
        "created_at": open_at_cut["created_at"],
        "channel": open_at_cut["channel"].astype("string").fillna("unknown").map(cal.channel_map)
        .fillna(next(iter(channels))),
        "ticket_type": open_at_cut["category"].astype("string").fillna("unknown").map(cal.category_map)
        .fillna(_largest(base)),
        "priority": open_at_cut["priority"].astype("string").fillna("P3"),
        "stage": open_at_cut["stage"],
    })
    keep = backlog["priority"].isin(list(base.priorities)).to_numpy()
    backlog, open_at_cut = backlog[keep], open_at_cut[keep]
    if not cal.staffed:  # the delay-only skeleton adds no queueing: room for the backlog
        extra = len(backlog)
        teams = {name: team.model_copy(update={"shifts": {
            k: sh.model_copy(update={"headcount": sh.headcount + extra}) for k, sh in team.shifts.items()}})
            for name, team in base.teams.items()}
        scenario = scenario.model_copy(update={"teams": teams})

    targets = {p: (v.first_response, v.resolution) for p, v in base.priorities.items()}
    ctx = KpiContext(window_start=cut, window_end=end, targets=targets, backlog_step_min=1440.0)
    empty_events = pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})
    actual = _measure(result.as_of(end).tickets, empty_events, ctx)  # counts as known at the end, like the runs
    trace = None
    if replay:
        roster = actual_roster(result, cal, cut, end)
        scenario = scenario.model_copy(update={"roster": [RosterRow(**row) for row in roster.to_dict("records")]})
        trace = _actual_arrivals(new, cal)
    never = 10 * horizon  # open beyond the test period
    if cal.process:
        scenario, backlog = _carried_over(scenario, backlog)

    def time_left(replication: int) -> np.ndarray:  # a process model's unanswered tickets queue afresh
        left = _time_left(open_at_cut, history, Streams(seed, replication)("backtest/time_left"), never)
        return np.where(backlog["stage"] == CARRIED, left, np.nan) if cal.process else left

    runs = [simulate(scenario, seed=seed, replication=r, arrivals=trace,
                     initial_backlog=backlog.assign(remaining_min=time_left(r))) for r in range(replications)]
    sims = [_measure(run.tickets, run.event_columns, ctx) for run in runs]

    rows = []
    for kpi in KPIS:
        values = np.array([s["kpis"][kpi] for s in sims], float)
        mean = float(np.nanmean(values))
        half = float(stats.t.ppf(0.975, len(values) - 1) * np.nanstd(values, ddof=1) / np.sqrt(len(values))) \
            if len(values) > 1 else float("nan")
        a = actual["kpis"][kpi]
        rows.append({"kpi": kpi, "actual": a, "simulated": mean, "ci_low": mean - half, "ci_high": mean + half,
                     "relative_error": _relative(mean, a)})
    sim_ttr = np.concatenate([s["ttr"] for s in sims])
    for name, distance in (("ttr_wasserstein_min", stats.wasserstein_distance(actual["ttr"], sim_ttr)),
                           ("ttr_ks_distance", stats.ks_2samp(actual["ttr"], sim_ttr).statistic)):
        rows.append({"kpi": name, "actual": 0.0, "simulated": float(distance), "ci_low": np.nan,
                     "ci_high": np.nan, "relative_error": np.nan})
    weekly = pd.DataFrame({"actual": actual["weekly"],
                           "simulated": pd.concat([s["weekly"] for s in sims], axis=1).mean(axis=1)})
    return Backtest(cal, scenario, pd.DataFrame(rows), actual["backlog"],
                    pd.concat([s["backlog"] for s in sims], axis=1), actual["ttr"], sim_ttr, weekly, runs)


def actual_roster(result: ImportResult, cal: Calibration, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The roster of ``[start, end)`` as the log shows it: per team of a staffed calibration and hour, the people
    of its groups active in that hour (as the calibration counts them), 0 where nobody was."""
    active = active_people(result, start, end)
    team = active["pool"].map(cal.pool_team).fillna(cal.other_team).to_numpy()
    per_hour = active.groupby([team, active["hour"]])["active_people"].sum()
    hours = pd.date_range(start.ceil("h"), end, freq="h", inclusive="left")
    rows = []
    for name in cal.scenario.teams:
        level = per_hour.get(name, pd.Series(dtype=float)).reindex(hours, fill_value=0)
        rows.append(pd.DataFrame({"team": name, "start": hours, "end": hours + pd.Timedelta(hours=1),
                                  "headcount": level.to_numpy().astype(int)}))
    return pd.concat(rows, ignore_index=True)


def _actual_arrivals(tickets: pd.DataFrame, cal: Calibration) -> pd.DataFrame:
    """The test period's tickets as trace-driven arrivals of the calibrated model (a category or channel it does
    not know becomes its largest ticket type or its first channel; a priority it does not know, its commonest)."""
    s = cal.scenario
    mix = s.demand.mix.priorities or {}
    commonest = max(mix, key=mix.get) if mix else next(iter(s.priorities))
    priority = tickets["priority"].astype("string")
    return pd.DataFrame({
        "created_at": tickets["created_at"].to_numpy(),
        "channel": tickets["channel"].astype("string").fillna("unknown").map(cal.channel_map)
        .fillna(next(iter(s.demand.channels))).to_numpy(),
        "ticket_type": tickets["category"].astype("string").fillna("unknown").map(cal.category_map)
        .fillna(_largest(s)).to_numpy(),
        "priority": priority.where(priority.isin(list(s.priorities)), commonest).to_numpy(),
    })


def _largest(s: Scenario) -> str:
    shares = s.demand.mix.ticket_types or {}
    return max(shares, key=shares.get) if shares else next(iter(s.ticket_types))


def _measure(tickets: pd.DataFrame, events: pd.DataFrame | EventColumns, ctx: KpiContext) -> dict:
    """The backtest's KPIs of one ticket log over the test period, both sides censored at its end."""
    end = ctx.window_end
    seen = tickets.copy()
    for column in ("first_response_at", "resolved_at", "closed_at", "abandoned_at"):
        seen[column] = seen[column].where(seen[column] < end)   # what the export showed at the end of the test
    report = compute_kpis(seen, events, ctx)
    created = to_minutes(seen["created_at"], ctx.window_start)
    span = (end - ctx.window_start).total_seconds() / 60.0
    inside = (created >= 0) & (created < span)
    ttr = (to_minutes(seen["resolved_at"], ctx.window_start) - created)[inside]
    weeks = int(span // 10080)
    week = (created[inside] // 10080).astype(int)
    weekly = pd.Series(np.bincount(week[week < weeks], minlength=weeks), name="tickets")
    kpis = {k: report.overall.get(k, np.nan) for k in KPIS}
    kpis["weekly_volume"] = float(weekly.mean()) if weeks else float("nan")
    kpis.update(_resolved_in(ttr, span - created[inside]))
    return {"kpis": kpis, "ttr": ttr[~np.isnan(ttr)], "weekly": weekly, "backlog": report.backlog}


def _resolved_in(ttr: np.ndarray, followed: np.ndarray) -> dict[str, float]:
    """Kaplan–Meier shares of tickets resolved within each of :data:`RESOLVED_IN`: ``ttr`` is NaN for a ticket
    still open at the end, which is censored at ``followed`` (its time from creation to the end). Unlike a quantile
    of the resolved tickets, a share at a fixed time does not move with how many were still open at the end."""
    done = ~np.isnan(ttr)
    durations = np.maximum(np.where(done, ttr, followed), 1e-6)
    if not done.any():
        return {name: 0.0 for name in RESOLVED_IN}
    cdf = stats.ecdf(stats.CensoredData(uncensored=durations[done], right=durations[~done])).cdf
    return {name: float(cdf.evaluate(minutes)) for name, minutes in RESOLVED_IN.items()}


def rolling_backtest(result: ImportResult, cutoffs: list[datetime | str], test_weeks: int = 3,
                     history_weeks: int | None = None, replications: int = 5, seed: int = 0,
                     capacity: bool | None = None, replay: bool = False, balance_on_model: bool = False
                     ) -> pd.DataFrame:
    """Backtests from several cut-offs (rolling origin), each testing the ``test_weeks`` after it: one row per
    KPI with each cut-off's relative error and their mean, smallest and largest — how much a single cut-off's
    verdict can be trusted."""
    if len(cutoffs) < 2:
        raise ServsimError(f"a rolling-origin backtest needs at least two cut-offs, got {len(cutoffs)}")
    errors = {}
    for cut in cutoffs:
        cut = pd.Timestamp(cut)
        bt = backtest(result, cut, replications=replications, seed=seed, history_weeks=history_weeks,
                      test_until=cut + pd.Timedelta(weeks=test_weeks), capacity=capacity, replay=replay,
                      balance_on_model=balance_on_model)
        errors[f"{cut:%Y-%m-%d}"] = bt.table.set_index("kpi")["relative_error"]
    table = pd.DataFrame(errors).dropna(how="all")
    return table.assign(mean=table.mean(axis=1), smallest=table.min(axis=1), largest=table.max(axis=1)).reset_index()
