"""Calibrating a call centre from a call-by-call log (queue entry, service start and end, abandonment, agent).

Unlike a ticket export, a call log separates waiting from work, so every number of the model is identified:

- **demand**: calls asking for an agent per hour of the week, the mix of call types and customer priorities;
- **service time** per call type, from the agents' service durations;
- **patience** per call type and priority, fitted with right-censoring: a caller who hung up after waiting
  ``w`` shows a patience of ``w``; a caller served after waiting ``w`` had a patience longer than ``w``;
- **teams**: agents who take almost only one call type, and take almost all of it, form that type's desk
  (in the October 1999 log, the internet desk); everyone else is the general team;
- **wrap-up**: how long an agent stays unavailable after a call (after-call work, short pauses), from the
  agents' idle gaps between calls while callers waited, censored where the queue emptied
  (``staffing.unavailable_after_work``);
- **staffing**: who was on duty per interval (``staffing.sessions``), as the average week's shifts and as
  the dated roster of the window (``Calibration.roster``) that a staffing backtest replays; and how many
  contacts one agent takes at once (``staffing.concurrency``: 1 on a phone line, more on chat);
- **priorities**: the shares of customer priorities per call type, from the callers whose priority the log
  records (a log may leave it empty, e.g. for callers who did not wait); and the **queue order**: how far a
  more urgent caller jumps ahead of waiting regular ones (``queue_order``: a head start, strict priority, or
  first come, first served), from the order in which overlapping waits were served.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import ServsimError
from ...scenario import scenario_from_dict
from ..evidence.daily import daily_calls
from ..evidence.queue_order import queue_order
from ..evidence.staffing import concurrency, dated_roster, sessions, unavailable_after_work, weekly_shifts
from ..fitting import ArrivalFitter
from ..importers.labels import shares as _shares
from ..importers.labels import slug as _slug
from ..importers.quality import ImportResult
from .fitted import MIN_FIT, Calibration, StageFit, fit_stage

SPECIALIST = 0.9       # an agent whose calls are at least this share of one type specialises in it
DESK_SHARE = 0.8       # a type whose calls are at least this share served by its specialists gets its own desk
GAP_MIN = 30.0         # idle minutes between two calls beyond which an agent is taken to be off duty
MIN_CALL = 1 / 60      # minutes: the log counts whole seconds; a 0 s service or wait is taken as 1 s
GENERAL = "agents"
MIN_WRAP_UPS = 30      # gaps between calls while callers waited needed to fit a wrap-up time
MIN_ABANDONED = 30     # hang-ups needed to fit a patience (of all callers, a type, or a type and priority)
MIN_KNOWN = 30         # callers of a type with a recorded priority needed for the type's own priority shares
STRAY_GAP_DAYS = 7    # calls this far from the rest of the log, without any call between, are stray dates
MEAN_TOLERANCE = 0.02  # a service-time family whose mean is further off the sample's gives way to the empirical
HOUR_P = 0.001         # service times differing between the hours of the day this significantly get work_by_hour
HOUR_PRIOR_CALLS = 50  # an hour's factor (service time, type share) is shrunk towards 1 by this many calls' weight
# call logs are large and uncensored in service: quantiles fine enough that the table keeps the sample's mean
FINE = np.round(np.concatenate([np.linspace(0, 0.99, 100), [0.995, 0.999, 1.0]]), 3)


def _strays(created: pd.Series) -> np.ndarray:
    """Calls apart from the log's main stretch: split the calls at gaps of more than ``STRAY_GAP_DAYS`` without
    any, the stretch holding the most calls is the log; the others (a mistyped year, a test call) are strays."""
    if created.empty:
        return np.zeros(0, bool)
    values = created.to_numpy()
    order = np.argsort(values, kind="stable")
    times = values[order]
    stretch = np.concatenate([[0], np.cumsum(np.diff(times) > np.timedelta64(STRAY_GAP_DAYS, "D"))])
    main = np.argmax(np.bincount(stretch))
    strays = np.zeros(len(created), bool)
    strays[order] = stretch != main
    return strays


def calibrate_calls(result: ImportResult, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None,
                    name: str = "calibrated", interval_min: int = 30, gap_min: float = GAP_MIN) -> Calibration:
    """A call-centre scenario fitted on the calls of ``[start, end)`` (default: the whole log, whole weeks).

    ``interval_min`` is the roster's interval (15, 30 or 60 minutes); ``gap_min`` the idle time after which an
    agent counts as off duty.
    """
    if interval_min not in (15, 30, 60):
        raise ServsimError(f"interval_min must be 15, 30 or 60 minutes, got {interval_min}")
    t = result.tickets
    strays = _strays(t["created_at"]) if start is None and end is None else np.zeros(len(t), bool)
    t = t[~strays]
    first = pd.Timestamp(start) if start is not None else t["created_at"].min().normalize()
    last = pd.Timestamp(end) if end is not None else t["created_at"].max()
    weeks = int((last - first).days // 7)
    if weeks < 1:
        raise ServsimError(f"{result.quality.source}: call-centre calibration needs at least one whole week; "
                           f"{first:%Y-%m-%d} to {last:%Y-%m-%d} has none")
    end = first + pd.Timedelta(days=7 * weeks)
    calls = t[(t["created_at"] >= first) & (t["created_at"] < end)].reset_index(drop=True)
    if len(calls) < 100:
        raise ServsimError(f"{result.quality.source}: only {len(calls)} calls between {first} and {end}")
    if calls["resolved_at"].isna().all():
        raise ServsimError(f"{result.quality.source}: no call between {first:%Y-%m-%d} and {end:%Y-%m-%d} was "
                           f"answered (all {len(calls):,} hung up): service times cannot be measured")
    notes: list[str] = []
    if result.vru_hangups is not None:
        menu = int(((result.vru_hangups >= first) & (result.vru_hangups < end)).sum())
        if menu:
            notes.append(f"abandonment counts callers who hung up while queued for an agent; the {menu:,} who hung up "
                         f"in the voice menu before asking for one ({menu / (menu + len(calls)):.1%} of the callers) "
                         "are not in the model (a staffing backtest counts them with --count-vru-hangups)")
    if strays.any():
        notes.append(f"{int(strays.sum()):,} calls dated more than {STRAY_GAP_DAYS} days from the rest of the log "
                     "(a stray date) are left out")
    types = calls["category"].astype("string").fillna("unknown").map(_slug)
    recorded = calls["priority"].astype("string")
    if recorded.isna().all():
        raise ServsimError(f"{result.quality.source}: no call has a priority; the priority column is empty")
    priority = recorded.fillna("regular")  # only callers who waited matter for the queue and patience
    served = calls["first_response_at"].notna().to_numpy()
    abandoned = calls["abandoned_at"].notna().to_numpy()
    wait = np.where(served, _minutes(calls["first_response_at"] - calls["created_at"]),
                    _minutes(calls["abandoned_at"] - calls["created_at"]))
    service = _minutes(calls["resolved_at"] - calls["first_response_at"])
    timed = service[served & np.isfinite(service)]
    if len(timed) and (timed <= 0).all():
        raise ServsimError(f"{result.quality.source}: every one of the {len(timed):,} answered calls lasts 0 s (its "
                           "service end is its service start): the log shows no work to calibrate the agents on")

    team_of = _teams(calls["server"].astype("string"), types, served)
    desks = sorted(set(team_of.values()) - {GENERAL})
    type_team = {ty: (f"{ty}_desk" if f"{ty}_desk" in desks else GENERAL) for ty in sorted(types.unique())}
    if desks:
        notes.append("own desks for call types served almost only by their specialists: " + ", ".join(
            f"{d} ({sum(v == d for v in team_of.values())} agents)" for d in desks))

    fits: list[StageFit] = []
    ticket_types, routing, by_hour = {}, [], []
    hour = calls["created_at"].dt.hour.to_numpy()  # of each call's arrival
    pooled_service = fit_stage("all", "service", None, np.maximum(service[served], MIN_CALL),
                          np.zeros(served.sum(), bool), None, notes, FINE, MIN_CALL, MEAN_TOLERANCE)
    for ty in sorted(types.unique()):
        rows = (types == ty).to_numpy()
        fit = fit_stage(ty, "service", None, np.maximum(service[rows & served], MIN_CALL),
                   np.zeros((rows & served).sum(), bool), pooled_service, notes, FINE, MIN_CALL, MEAN_TOLERANCE)
        fits.append(fit)
        stage = "service" if type_team[ty] == GENERAL else f"service_{ty}"
        ticket_types[ty] = {"category": ty, "entry": stage, "steps": {stage: {"work": fit.spec, "next": "resolve"}}}
        hourly = work_by_hour(np.maximum(service[rows & served], MIN_CALL),
                              hour[rows & served])
        if hourly is not None:
            ticket_types[ty]["steps"][stage]["work_by_hour"] = hourly
            by_hour.append(ty)
        routing.append({"ticket_type": ty, "calls": int(rows.sum()), "served": int((rows & served).sum()),
                        "abandoned": int((rows & abandoned).sum()), "team": type_team[ty],
                        "mean_service_min": float(np.nanmean(service[rows & served])) if (rows & served).any() else
                        float("nan")})

    if by_hour:
        notes.append(f"service times vary with the hour of the day (Kruskal-Wallis p < {HOUR_P}): call types "
                     f"{', '.join(by_hour)} get a factor per hour on their work (work_by_hour)")
    patience, patience_fits = _patience(types, priority, wait, served, abandoned, notes)
    fits += patience_fits

    for ty, spec in ticket_types.items():
        known = recorded[(types == ty).to_numpy()].dropna()
        if len(known) >= MIN_KNOWN:
            spec["priorities"] = _shares(known)
    ranked = sorted(set(priority), key=lambda p: p != "high")
    queue, queue_source, head_start = _queue_order(calls, priority, ranked, served, wait, types.map(type_team),
                                                   first, notes)

    arrivals = ArrivalFitter().fit(calls["created_at"], start=first, end=end)
    mix_by_hour = types_by_hour(types.to_numpy(), hour)
    if mix_by_hour is not None:
        notes.append(f"the call types' mix varies with the hour of the day (chi-square p < {HOUR_P}): each type's "
                     "share gets a factor per hour (demand.mix.ticket_types_by_hour)")
    work = result.events.dropna(subset=["resource", "started_at", "ended_at"])
    work = work[(work["started_at"] >= first) & (work["started_at"] < end)]
    stretches = sessions(work["resource"], work["started_at"], work["ended_at"], gap_min)
    roster = dated_roster(stretches, team_of, first, end, interval_min, default_team=GENERAL)
    shifts = weekly_shifts(roster, first)
    slots = concurrency(work["resource"], work["started_at"], work["ended_at"], team_of, GENERAL)
    skills = {team: [ty for ty, tm in type_team.items() if tm == team] for team in set(type_team.values())}
    wrap_ups = _wrap_ups(calls, types, type_team, work, team_of, gap_min, notes)
    fits += wrap_ups.values()
    teams = {team: {"skills": skills[team], "shifts": shifts.get(team) or {},
                    **({"concurrency": slots[team]} if slots.get(team, 1) > 1 else {}),
                    **({"wrap_up": wrap_ups[team].spec} if team in wrap_ups else {})} for team in sorted(skills)}
    for team, k in slots.items():
        if k > 1:
            notes.append(f"{team}: people work on {k} contacts at once (chat-like); concurrency {k}")
    empty = [team for team, spec in teams.items() if not spec["shifts"]]
    if empty:
        raise ServsimError(f"{result.quality.source}: nobody of team(s) {empty} was seen working between "
                           f"{first:%Y-%m-%d} and {end:%Y-%m-%d}; check the log's server column")
    notes.append(f"staffing: agents on duty from their calls (idle gaps up to {gap_min:g} min count as on duty), "
                 f"averaged per hour of the week into shifts; the dated roster per {interval_min} min is in "
                 "roster.csv")
    data = {
        "version": 1, "name": name,
        "description": f"Call centre calibrated on {len(calls):,} calls asking for an agent, "
                       f"{first:%Y-%m-%d} to {end:%Y-%m-%d}.",
        "clock": {"start": first.strftime("%Y-%m-%d %H:%M"), "horizon": f"{weeks}w", "warmup": "1d"},
        "demand": {"channels": {"phone": {"rate": f"{arrivals.weekly_rate_:.6g}/week",
                                          "profile": {"hour_of_week": [round(float(x), 4)
                                                                       for x in arrivals.profile_]},
                                          **patience}},
                   "mix": {"ticket_types": _shares(types), "priorities": _shares(recorded.dropna()),
                           **({"ticket_types_by_hour": mix_by_hour} if mix_by_hour is not None else {})}},
        "teams": teams,
        "stages": {("service" if team == GENERAL else f"service_{team.removesuffix('_desk')}"):
                   {"team": team, "first_response": True} for team in teams},
        "ticket_types": ticket_types,
        "priorities": {p: {"first_response": "1min", "resolution": "1h",
                           **({"head_start": f"{head_start:.4g}min"} if p == ranked[0] and head_start > 0 else {})}
                       for p in ranked},
        "policies": {"queue": queue, "dispatch": "skills", "sla_pauses_while_waiting_for_customer": False},
        "provenance": {
            "demand": "identified: calls per hour of the week, mix, patience (censored fit) from the log",
            "teams": f"identified: agents on duty from their calls (idle gaps up to {gap_min:g} min count as duty)",
            "teams.*.wrap_up": "identified: agents' idle gaps between calls while callers waited (censored fit)",
            "ticket_types": "identified: service durations per call type",
            "policies.queue": queue_source,
            "priorities": "assumed: default SLA targets",
        },
    }
    scenario = scenario_from_dict(data, source=f"calibration of {result.quality.source}")
    staffing = roster.assign(hour_of_week=(roster["start"].dt.day_of_week * 24 + roster["start"].dt.hour))
    staffing = (staffing.groupby(["team", "hour_of_week"])["headcount"].mean().rename("active_people")
                .reset_index().rename(columns={"team": "pool"}))
    drift = pd.DataFrame({"week": range(weeks), "tickets": arrivals.weekly_counts_})
    daily = daily_calls(calls["created_at"], types, calls["first_response_at"], pd.Series(service, index=calls.index),
                        types.map(type_team), roster, first, 7 * weeks)
    return Calibration(scenario, data, fits, arrivals, pd.DataFrame(routing), staffing, (first, end), drift,
                       pd.DataFrame(columns=["from_team", "to_team", "handovers", "share"]),
                       {str(c): _slug(c) for c in calls["category"].astype("string").fillna("unknown").unique()},
                       {"phone": "phone"}, notes, roster, team_of, staffed=True, daily=daily)


def work_by_hour(service: np.ndarray, hour: np.ndarray) -> list[float] | None:
    """Per hour of the day, a call type's mean service time over its mean (``service`` minutes of its answered
    calls, ``hour`` each call's hour of arrival): shrunk towards 1 by ``HOUR_PRIOR_CALLS`` calls' worth of weight,
    scaled to average 1 over the calls; None unless the hours differ (Kruskal-Wallis test over the hours with
    ``MIN_FIT`` calls at ``HOUR_P``)."""
    from scipy.stats import kruskal

    known = np.isfinite(service)  # a call still in service at the window's end has none yet
    service, hour = service[known], hour[known]
    groups = [service[hour == h] for h in range(24) if (hour == h).sum() >= MIN_FIT]
    if len(groups) < 2 or kruskal(*groups).pvalue >= HOUR_P:
        return None
    mean, counts = float(service.mean()), np.bincount(hour, minlength=24).astype(float)
    sums = np.bincount(hour, weights=service, minlength=24)
    factor = (sums / mean + HOUR_PRIOR_CALLS) / (counts + HOUR_PRIOR_CALLS)  # the hour's mean ratio, shrunk to 1
    factor /= float(np.dot(counts, factor) / counts.sum())  # the calls' mean work unchanged
    return [round(float(f), 4) for f in factor]


def types_by_hour(types: np.ndarray, hour: np.ndarray) -> dict[str, list[float]] | None:
    """Per call type, its share of each hour's calls over its share of all calls (``types`` of the calls, ``hour``
    each call's hour of arrival): the hour's share shrunk towards the overall share by ``HOUR_PRIOR_CALLS`` calls'
    worth of weight; None unless the mix differs between the hours (chi-square test of independence over the hours
    with ``MIN_FIT`` calls, at ``HOUR_P``)."""
    from scipy.stats import chi2_contingency

    table = pd.crosstab(pd.Series(types, name="type"), pd.Series(hour, name="hour")).reindex(columns=range(24),
                                                                                              fill_value=0)
    tested = table.loc[:, table.sum() >= MIN_FIT]
    if len(table) < 2 or tested.shape[1] < 2 or chi2_contingency(tested.to_numpy()).pvalue >= HOUR_P:
        return None
    share = table.sum(axis=1) / table.to_numpy().sum()
    hourly = (table + HOUR_PRIOR_CALLS * share.to_numpy()[:, None]) / (table.sum() + HOUR_PRIOR_CALLS).to_numpy()
    factors = hourly.div(share, axis=0)
    return {str(ty): [round(float(f), 4) for f in row] for ty, row in factors.iterrows()}


def _minutes(delta: pd.Series) -> np.ndarray:
    return delta.dt.total_seconds().to_numpy() / 60.0


def _teams(server: pd.Series, types: pd.Series, served: np.ndarray) -> dict[str, str]:
    """Agent -> team: a type's desk for its specialists where they take at least ``DESK_SHARE`` of it."""
    frame = pd.DataFrame({"server": server[served], "type": types[served]}).dropna()
    counts = pd.crosstab(frame["server"], frame["type"])
    share = counts.div(counts.sum(axis=1), axis=0)
    speciality = share.idxmax(axis=1)[share.max(axis=1) >= SPECIALIST]
    team_of = {str(a): GENERAL for a in counts.index}
    for ty in counts.columns:
        own = speciality[speciality == ty].index
        if len(own) and counts.loc[own, ty].sum() >= DESK_SHARE * counts[ty].sum():
            team_of.update({str(a): f"{ty}_desk" for a in own})
    return team_of


def _wrap_ups(calls: pd.DataFrame, types: pd.Series, type_team: dict[str, str], work: pd.DataFrame,
              team_of: dict[str, str], gap_min: float, notes: list[str]) -> dict[str, StageFit]:
    """Per team, the time an agent stays unavailable after a call (after-call work, short pauses), from the gaps
    between an agent's calls while callers of the team waited (:func:`~.staffing.unavailable_after_work`)."""
    waited = calls["first_response_at"].fillna(calls["abandoned_at"])
    team_of_call = types.map(type_team).to_numpy()
    team_of_work = work["resource"].astype("string").map(team_of).fillna(GENERAL).to_numpy()
    fits = {}
    for team in sorted(set(type_team.values())):
        mine = (team_of_call == team) & waited.notna().to_numpy()
        waiting = pd.DataFrame({"from": calls["created_at"][mine], "to": waited[mine]})
        own = work[team_of_work == team]
        values, censored = unavailable_after_work(own["resource"], own["started_at"], own["ended_at"], waiting,
                                                  gap_min)
        if (~censored).sum() < MIN_WRAP_UPS:
            notes.append(f"{team}: only {int((~censored).sum())} gaps between calls while callers waited (need "
                         f"{MIN_WRAP_UPS}); no wrap-up time in the model")
            continue
        fits[team] = fit_stage(team, "wrap_up", None, np.maximum(values, MIN_CALL), censored, None, notes, FINE,
                               MIN_CALL)
        notes.append(f"{team}: agents are unavailable for {fits[team].mean_min * 60:.0f} s on average after a call "
                     f"(wrap-up, short pauses; {len(values):,} gaps while callers waited, {censored.mean():.0%} "
                     "censored)")
    return fits


def _queue_order(calls: pd.DataFrame, priority: pd.Series, ranked: list[str], served: np.ndarray, wait: np.ndarray,
                 team: pd.Series, first: pd.Timestamp, notes: list[str]) -> tuple[str, str, float]:
    """The queue discipline (``priority``, or ``fifo``), its provenance and the most urgent priority's head start in
    minutes (0: none), from callers who waited and were served (:func:`~.queue_order.queue_order`)."""
    if len(ranked) < 2:
        return "fifo", "assumed: first come, first served (one priority)", 0.0
    waited = served & (wait > 0)
    urgent = (priority == ranked[0]).to_numpy()
    minutes = [_minutes(calls[c][waited] - first) for c in ("created_at", "first_response_at")]
    order = queue_order(*minutes, urgent[waited], team.to_numpy()[waited])
    if order is None:
        notes.append(f"queue order: too few overlapping waits of {ranked[0]} and other callers; {ranked[0]} "
                     "strictly first (assumed)")
        return "priority", f"assumed: {ranked[0]} strictly first (too few overlapping waits to tell)", 0.0
    seen = (f"{order.pairs:,} overlapping waits, {order.overtaken:.0%} overtaken, the cut-off classifies "
            f"{order.agreement:.0%}")
    if np.isinf(order.head_start_min):
        notes.append(f"queue order: {ranked[0]} callers are served before earlier callers however long those "
                     f"waited (strict priority; {seen})")
        return "priority", f"identified: {ranked[0]} strictly first ({seen})", 0.0
    notes.append(f"queue order: {ranked[0]} callers jump ahead of callers who came up to "
                 f"{order.head_start_min * 60:.0f} s before them (a head start; {seen})")
    return "fifo", (f"identified: first come, first served, {ranked[0]} with a head start of "
                    f"{order.head_start_min * 60:.0f} s ({seen})"), order.head_start_min


def _patience(types: pd.Series, priority: pd.Series, wait: np.ndarray, served: np.ndarray, abandoned: np.ndarray,
              notes: list[str]) -> tuple[dict, list[StageFit]]:
    """Patience per type and priority (right-censored at the waits of served callers), falling back to the
    type's, then to all callers' where a cell has too few abandonments."""
    waited = (abandoned | (served & (wait > 0))) & ~np.isnan(wait)
    values, censored = np.maximum(wait, MIN_CALL), served
    if (waited & abandoned).sum() < MIN_ABANDONED:
        notes.append(f"patience: only {int((waited & abandoned).sum())} callers hung up in the queue (need "
                     f"{MIN_ABANDONED}); the model has no abandonment")
        return {}, []
    pooled = fit_stage("all", "patience", None, values[waited], censored[waited], None, notes, FINE, MIN_CALL)
    fits, table = [pooled], {}
    by_type: dict[str, dict] = {}
    for ty in sorted(types.unique()):
        rows = waited & (types == ty).to_numpy()
        if (rows & abandoned).sum() >= MIN_ABANDONED:
            fit = fit_stage(ty, "patience", None, values[rows], censored[rows], pooled, notes, FINE, MIN_CALL)
            fits.append(fit)
            by_type[ty] = fit.spec
        for p in sorted(priority.unique()):
            cell = rows & (priority == p).to_numpy()
            if (cell & abandoned).sum() >= MIN_ABANDONED:
                fit = fit_stage(ty, "patience", p, values[cell], censored[cell], pooled, notes, FINE, MIN_CALL)
                fits.append(fit)
                table.setdefault(ty, {})[p] = fit.spec
    spec: dict = {"patience": pooled.spec}
    if table or by_type:
        spec["patience_by"] = {k: v for k, v in (("by_type", by_type), ("by_type_and_priority", table)) if v}
    return spec, fits
