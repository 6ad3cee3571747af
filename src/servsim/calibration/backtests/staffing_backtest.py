"""Staffing backtest of a call centre: calibrate on the weeks before a cut-off, replay the test period's actual
calls and actual roster, and compare per (day, hour) what callers got — abandonment, service level, P(wait),
mean wait — with what happened, next to two baselines computed on the same inputs: the analytic Erlang A
model (M/M/n+M) per team and hour, and the naive "same weekday and hour, averaged over the training weeks".

Two yardsticks say how much of an error is the model's: the **noise floor**, the error the simulation would have
if it were exactly the process (each replication in turn taken as what happened, against the mean of the
others), and the **best gain** over Erlang A it would show then. With ``replay_work`` the calls' actual service
times are replayed too (and Erlang A gets each hour's actual mean handling time): what is left is the error of
the process model alone — roster, availability, patience, queue order — not of the hour's work."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...erlang import erlang_a
from ...errors import ServsimError
from ...one_run import SimulationResult, simulate_validated
from ...scenario import Scenario, scenario_from_dict
from ..evidence.staffing import dated_roster, sessions
from ..importers.callcentre import VRU_HANG
from ..importers.quality import ImportResult
from ..models.calls import GAP_MIN, MIN_CALL, calibrate_calls
from ..models.fitted import Calibration

KPIS = {"abandonment": "abandoned", "service_level_20s": "answered in 20 s", "service_level_60s": "answered in 60 s",
        "p_wait": "waited at all", "mean_wait_min": "mean wait"}
COLUMNS = ("simulated", "erlang_a", "naive")


@dataclass
class StaffingBacktest:
    """Per-cell KPIs of the test period: actual, simulated (mean over replications), Erlang A and naive."""

    calibration: Calibration
    scenario: Scenario                 # the calibrated model set up for the test period (actual roster)
    cells: pd.DataFrame                # one row per (day, hour) cell: offered calls, agents, KPI columns
    table: pd.DataFrame                # per KPI: MAE of each column against actual, and a verdict
    runs: list[SimulationResult] = field(repr=False, default_factory=list)
    min_calls: int = 20                # hours with fewer offered calls are left out of the errors
    replay_work: bool = False          # the calls' actual service times were replayed
    vru_hangups: int = 0               # callers in the whole log who hung up in the voice menu
    vru_counted: int | None = None     # those of the test period counted as offered and abandoned (None: not counted)

    def definitions(self) -> str:
        """What the KPIs count, said with every result."""
        if self.vru_counted is not None:
            return ("abandoned: callers who hung up while queued for an agent or in the voice menu (the test "
                    f"period's {self.vru_counted:,}, the same in every column: the menu comes before any agent), "
                    "out of the calls that asked for an agent and those hung up in the menu; answered in 20 s / 60 s "
                    "and waited at all: out of the calls that asked for an agent")
        vru = (f"; the {self.vru_hangups:,} callers of the log who hung up in the voice menu before asking for an "
               "agent are not calls offered (not counted; --count-vru-hangups counts them)" if self.vru_hangups
               else "")
        return ("abandoned: callers who hung up while queued for an agent, out of the calls that asked for one"
                + vru + "; answered in 20 s / 60 s and waited at all: out of the same calls")

    def summary(self) -> str:
        """The table in words: each KPI's mean absolute error per hour, in percentage points (shares) or minutes."""
        replayed = "; the calls' actual service times replayed" if self.replay_work else ""
        lines = [f"Staffing backtest: {len(self.cells[self.cells['offered'] >= self.min_calls])} hours with at least "
                 f"{self.min_calls} calls{replayed}; mean absolute error per hour against what callers got (lower "
                 "is better); noise floor and best gain: the simulation's error and its gain over Erlang A were it "
                 "exactly the process", f"  ({self.definitions()})",
                 f"  {'':<19}{'simulation':>11}{'Erlang A':>11}{'naive':>11}{'noise floor':>13}{'best gain':>11}"]
        for row in self.table.itertuples():
            unit, scale = ("s", 60.0) if row.kpi == "mean_wait_min" else ("pts", 100.0)
            values = [f"{getattr(row, c) * scale:>7.2f} {unit}" if getattr(row, c) == getattr(row, c) else "-"
                      for c in (*COLUMNS, "noise_floor")]
            best = f"{row.best_gain:.0%}" if row.best_gain == row.best_gain else "-"
            lines.append(f"  {KPIS[row.kpi]:<19}{values[0]:>11}{values[1]:>11}{values[2]:>11}{values[3]:>13}"
                         f"{best:>11}   {row.verdict}")
        return "\n".join(lines)


def per_call(tickets: pd.DataFrame) -> pd.DataFrame:
    """Each call's hour cell, wait (minutes, to service or to hanging up) and outcome."""
    created = pd.to_datetime(tickets["created_at"])
    answered = pd.to_datetime(tickets["first_response_at"])
    gone = pd.to_datetime(tickets["abandoned_at"])
    wait = (answered.fillna(gone) - created).dt.total_seconds().to_numpy() / 60.0
    return pd.DataFrame({"cell": created.dt.floor("h"), "served": answered.notna().to_numpy(),
                         "abandoned": gone.notna().to_numpy() & answered.isna().to_numpy(), "wait": wait})


def cell_kpis(calls: pd.DataFrame) -> pd.DataFrame:
    """Per hour cell: offered calls and the KPIs (shares of offered calls; waits of all offered calls)."""
    c = calls.assign(sl20=calls["served"] & (calls["wait"] <= 20 / 60 + 1e-9),
                     sl60=calls["served"] & (calls["wait"] <= 1.0 + 1e-9), waited=calls["wait"] > 1e-9)
    g = c.groupby("cell")
    return pd.DataFrame({"offered": g.size(), "abandonment": g["abandoned"].mean(),
                         "service_level_20s": g["sl20"].mean(), "service_level_60s": g["sl60"].mean(),
                         "p_wait": g["waited"].mean(), "mean_wait_min": g["wait"].mean()})


def staffing_backtest(result: ImportResult, train_until: str | pd.Timestamp, test_until: str | pd.Timestamp | None
                      = None, history_weeks: int | None = None, replications: int = 10, seed: int = 0,
                      min_calls: int = 20, interval_min: int = 30, replay_work: bool = False,
                      count_vru_hangups: bool = False) -> StaffingBacktest:
    """Calibrate on calls before ``train_until`` and replay ``[train_until, test_until)`` with its actual calls
    and roster; cells (hours) with fewer than ``min_calls`` offered calls are left out of the errors.

    ``replay_work``: each served call also keeps its actual service time (the rest are drawn), and Erlang A gets
    each hour's actual mean service time. ``count_vru_hangups``: callers who hung up in the voice menu count as
    offered and abandoned (in every column alike: the menu comes before any agent, so no staffing changes them).
    """
    source = result.quality.source
    if isinstance(train_until, str) and "," in train_until:
        raise ServsimError(f"{source}: train_until {train_until!r}: a call log's staffing backtest takes one cut-off "
                           "date (several cut-offs are a rolling-origin backtest of a ticket log)")
    cut = pd.Timestamp(train_until)
    end = pd.Timestamp(test_until) if test_until is not None else result.export_end.ceil("D")
    if end <= cut:
        raise ServsimError(f"{source}: test_until ({end:%Y-%m-%d}) must be after train_until ({cut:%Y-%m-%d})"
                           + ("; the log ends before that cut-off" if test_until is None else ""))
    if count_vru_hangups and result.vru_hangups is None:
        raise ServsimError(f"{source}: count_vru_hangups: this log does not record callers who hung up in a voice "
                           "menu")
    if replications < 1:
        raise ServsimError(f"replications must be at least 1, got {replications}")
    if history_weeks is not None and history_weeks < 1:
        raise ServsimError(f"history_weeks must be at least 1 (weeks of calls before the cut-off to calibrate on), "
                           f"got {history_weeks}")
    t = result.tickets
    test = t[(t["created_at"] >= cut) & (t["created_at"] < end)]
    if test.empty:
        raise ServsimError(f"{source}: no call asked for an agent between {cut:%Y-%m-%d} and {end:%Y-%m-%d} (PHANTOM "
                           "calls and VRU hang-ups do not count): nothing to test the model on; move the cut-off")
    start = cut - pd.Timedelta(weeks=history_weeks) if history_weeks else t["created_at"].min().normalize()
    cal = calibrate_calls(result.as_of(cut), start=start, end=cut, name="staffing-backtest",
                          interval_min=interval_min)

    # the test period's roster (given, as a planner's): its intervals on the clock's grid however the cut falls, so
    # that its hours are the cells' hours, and sessions from the half day before, so that agents on duty at the cut
    # are on duty from it
    grid = f"{interval_min}min"
    work = result.events.dropna(subset=["resource", "started_at", "ended_at"])
    work = work[(work["started_at"] >= cut.floor(grid) - pd.Timedelta(hours=12)) & (work["started_at"] < end)]
    roster = dated_roster(sessions(work["resource"], work["started_at"], work["ended_at"], GAP_MIN), cal.team_of,
                          cut.floor(grid), end.ceil(grid), interval_min)
    roster = roster[roster["team"].isin(list(cal.scenario.teams))]
    types = test["category"].astype("string").fillna("unknown").map(cal.category_map)
    largest = max(cal.scenario.demand.mix.ticket_types, key=cal.scenario.demand.mix.ticket_types.get)
    trace = pd.DataFrame({"created_at": test["created_at"], "channel": "phone",
                          "ticket_type": types.fillna(largest).to_numpy(),
                          "priority": test["priority"].astype("string").to_numpy()})  # empty: drawn
    work = None  # minutes of service per call of the trace (NaN: not served), where replayed
    if replay_work:  # the work of the call's only stage; NaN: drawn
        work = (test["resolved_at"] - test["first_response_at"]).dt.total_seconds() / 60.0
        trace["remaining_min"] = work.clip(lower=MIN_CALL)
    data = cal.scenario.model_dump(mode="json", by_alias=True)
    data["clock"].update(start=str(cut), horizon=(end - cut).total_seconds() / 60.0, warmup=0.0)
    data["roster"] = [{**r, "start": str(r["start"]), "end": str(r["end"])} for r in roster.to_dict("records")]
    scenario = scenario_from_dict(data, source="staffing backtest")
    runs = [simulate_validated(scenario, seed=seed, replication=r, arrivals=trace) for r in range(replications)]

    actual = cell_kpis(per_call(test))
    per_run = [cell_kpis(per_call(run.tickets))[list(KPIS)].reindex(actual.index) for run in runs]
    first, train_end = cal.window
    train = t[(t["created_at"] >= first) & (t["created_at"] < train_end)]
    train_calls = per_call(train).assign(
        ticket_type=train["category"].astype("string").fillna("unknown").map(cal.category_map).to_numpy())
    analytic = _erlang_a_cells(cal, train_calls, trace, roster, actual.index, work)
    naive = _naive(train_calls, actual.index)
    vru_counted = None
    if count_vru_hangups:  # the same hang-ups added to every column's calls of the hour
        hung = result.vru_hangups[(result.vru_hangups >= cut) & (result.vru_hangups < end)]
        vru_counted = len(hung)
        menu = hung.dt.floor("h").value_counts().reindex(actual.index).fillna(0).to_numpy()
        offered = actual["offered"].to_numpy()  # the same calls in every column: the test period's, replayed
        per_run = [_with_menu(frame, offered, menu) for frame in per_run]
        analytic = _with_menu(analytic, offered, menu)
        trained = result.vru_hangups[(result.vru_hangups >= first) & (result.vru_hangups < train_end)]
        naive = _with_menu(naive, naive["offered"].to_numpy(), _naive_menu(trained, actual.index))
        actual = _with_menu(actual, offered, menu)
    simulated = sum(per_run) / len(runs)
    cells = actual.rename(columns={k: f"{k}_actual" for k in KPIS})
    for name, frame in (("simulated", simulated), ("erlang_a", analytic), ("naive", naive)):
        cells = cells.join(frame[list(KPIS)].rename(columns={k: f"{k}_{name}" for k in KPIS}))
    cells["agents"] = _agents_per_cell(roster, actual.index)
    kept = (cells["offered"] >= min_calls).to_numpy()
    rows = []
    for kpi in KPIS:
        mae = {col: float((cells[f"{kpi}_{col}"] - cells[f"{kpi}_actual"])[kept].abs().mean()) for col in COLUMNS}
        gain = 1 - mae["simulated"] / mae["erlang_a"] if mae["erlang_a"] > 0 else float("nan")
        best = min(mae, key=mae.get)
        names = {"simulated": "the simulation", "erlang_a": "Erlang A", "naive": "the naive average"}
        verdict = (f"simulation {abs(gain):.0%} {'better' if gain >= 0 else 'worse'} than Erlang A; "
                   f"{names[best]} is closest")
        floor, best_gain = _noise_floor(np.array([r[kpi].to_numpy() for r in per_run])[:, kept],
                                        cells[f"{kpi}_erlang_a"].to_numpy()[kept])
        rows.append({"kpi": kpi, **mae, "noise_floor": floor, "best_gain": best_gain,
                     "improvement_vs_erlang_a": gain, "verdict": verdict})
    return StaffingBacktest(cal, scenario, cells.reset_index(), pd.DataFrame(rows), runs, min_calls, replay_work,
                            int(result.quality.dropped.get(VRU_HANG, 0)), vru_counted)


def _with_menu(frame: pd.DataFrame, offered: np.ndarray, menu: np.ndarray) -> pd.DataFrame:
    """``frame``'s abandonment per cell with ``menu`` callers who hung up in the voice menu counted as offered and
    abandoned (``offered``: the calls that asked for an agent, per cell)."""
    total = offered + menu
    share = (frame["abandonment"].to_numpy() * offered + menu) / np.where(total > 0, total, 1)
    return frame.assign(abandonment=np.where(total > 0, share, np.nan))


def _naive_menu(hangups: pd.Series, cells: pd.Index) -> np.ndarray:
    """Voice-menu hang-ups of the training weeks per (weekday, hour) slot, pooled as the naive column's calls are."""
    slots = hangups.dt.day_of_week * 24 + hangups.dt.hour
    return slots.value_counts().reindex(cells.day_of_week * 24 + cells.hour).fillna(0).to_numpy()


def _noise_floor(runs: np.ndarray, erlang: np.ndarray) -> tuple[float, float]:
    """The error the simulation would have were it exactly the process, and its gain over Erlang A then: each
    replication's cells (rows of ``runs``) in turn taken as what happened, against the mean of the other
    replications (scaled by sqrt((n-1)/n) to the error of a mean of all n) and against Erlang A. Within an hour
    callers share one queue, so this floor is well above a binomial one. NaN with fewer than two replications."""
    n = len(runs)
    if n < 2:
        return float("nan"), float("nan")
    others = (runs.sum(axis=0) - runs) / (n - 1)
    model = np.nanmean(np.abs(others - runs), axis=1) * np.sqrt((n - 1) / n)
    analytic = np.nanmean(np.abs(erlang - runs), axis=1)
    judged = analytic > 0  # a replication Erlang A matches exactly says nothing about the gain
    return float(model.mean()), float(np.mean(1 - model[judged] / analytic[judged])) if judged.any() else float("nan")


def _agents_per_cell(roster: pd.DataFrame, cells: pd.Index) -> pd.Series:
    hours = roster.assign(cell=roster["start"].dt.floor("h"))
    per_team = hours.groupby(["cell", "team"])["headcount"].mean()  # time-average over the hour's intervals
    return per_team.groupby("cell").sum().reindex(cells).fillna(0.0)


def _erlang_a_cells(cal: Calibration, train_calls: pd.DataFrame, trace: pd.DataFrame, roster: pd.DataFrame,
                    cells: pd.Index, work: pd.Series | None = None) -> pd.DataFrame:
    """Erlang A per team and hour on the same inputs: the hour's actual calls, their mean handling time as the model
    draws it (each type's mean service, times its factor for the hour where service varies by hour, and the team's
    wrap-up) and the team's patience from the training weeks (patience as abandonments / total waiting time,
    the standard estimator), the hour's mean headcount (interpolated between the neighbouring whole numbers of
    agents). ``work`` (minutes per call of ``trace``, NaN where not served): the service part of the handling time
    is the hour's actual mean instead, where the hour has served calls."""
    s = cal.scenario
    team_of_type = {ty: s.stages[tt.entry].team for ty, tt in s.ticket_types.items()}
    routing = cal.routing.set_index("ticket_type")
    train_team = train_calls["ticket_type"].map(team_of_type)
    hours = roster.assign(cell=roster["start"].dt.floor("h")).groupby(["team", "cell"])["headcount"].mean()
    arrivals = trace.assign(cell=trace["created_at"].dt.floor("h"), team=trace["ticket_type"].map(team_of_type))
    out = {kpi: np.zeros(len(cells)) for kpi in KPIS}
    offered = arrivals.groupby("cell").size().reindex(cells).fillna(0).to_numpy()
    for team, calls in arrivals.groupby("team"):
        own = routing[[team_of_type[ty] == team for ty in routing.index] & (routing["served"] > 0).to_numpy()]
        # a person is held for the service and the wrap-up after it (handling time, as workforce planners count it)
        wrap_up = s.teams[team].wrap_up.mean if s.teams[team].wrap_up is not None else 0.0
        # the service the model draws for the hour's calls: their types' means, times each type's factor for the
        # hour where the service times vary with it (work_by_hour), the same inputs as the simulation's
        expected = calls["ticket_type"].map(own["mean_service_min"]).to_numpy(float)
        factors = [s.ticket_types[ty].steps[s.ticket_types[ty].entry].work_by_hour for ty in calls["ticket_type"]]
        hour = calls["cell"].dt.hour.to_numpy()
        expected = expected * np.array([1.0 if f is None else f[h] for f, h in zip(factors, hour)])
        fallback = float(np.average(own["mean_service_min"], weights=own["served"]))
        service = pd.Series(np.where(np.isnan(expected), fallback, expected)).groupby(
            calls["cell"].to_numpy()).mean().reindex(cells).fillna(fallback).to_numpy()
        if work is not None:
            hourly = work[calls.index].groupby(calls["cell"]).mean().reindex(cells).to_numpy()
            service = np.where(np.isnan(hourly), service, hourly)
        history = train_calls[(train_team == team).to_numpy()]
        # abandonments per minute waited; a team whose callers never waited gets a patience of an hour (unknown)
        waited = float(np.nansum(history["wait"]))
        patience = waited / max(int(history["abandoned"].sum()), 1) if waited > 0 else 60.0
        counts = calls.groupby("cell").size().reindex(cells).fillna(0).to_numpy()
        agents = hours.get(team, pd.Series(dtype=float)).reindex(cells).fillna(0.0).to_numpy()
        for i, (lam, n, handling) in enumerate(zip(counts / 60.0, agents, service + wrap_up)):
            if lam == 0:
                continue
            lo, w = int(np.floor(n)), n - np.floor(n)
            models = [(erlang_a(lam, handling, patience, lo), 1 - w)]
            if w > 0:
                models.append((erlang_a(lam, handling, patience, lo + 1), w))
            values = {"abandonment": sum(m.abandonment * v for m, v in models),
                      "service_level_20s": sum(m.service_level(20 / 60) * v for m, v in models),
                      "service_level_60s": sum(m.service_level(1.0) * v for m, v in models),
                      "p_wait": sum(m.p_wait * v for m, v in models),
                      "mean_wait_min": sum(m.mean_wait * v for m, v in models)}
            for kpi, value in values.items():
                out[kpi][i] += value * counts[i] / offered[i]  # the hour's KPI weighted over teams by calls
    return pd.DataFrame(out, index=cells)


def _naive(train_calls: pd.DataFrame, cells: pd.Index) -> pd.DataFrame:
    """Each cell predicted by the training weeks' calls of the same weekday and hour, pooled."""
    by_slot = cell_kpis(train_calls.assign(cell=train_calls["cell"].dt.day_of_week * 24 + train_calls["cell"].dt.hour))
    slots = pd.Index(cells.day_of_week * 24 + cells.hour)
    return by_slot.reindex(slots).set_index(cells)
