"""Build a runnable baseline scenario from an imported ticket log: the front door of calibration.

Where the log names who did what, the model is the process model (:mod:`.network`) if it explains the log, else
the delay-plus-capacity model (:mod:`.capacity`) built on the skeleton below; logs that name nobody get the skeleton.
The skeleton's every number comes from the log:

``pickup`` (until the first response) leads one of three ways — ``first_touch`` (the first
response resolves the ticket), ``handling`` or, for tickets that were ever reassigned,
``escalated`` — then optionally ``wait_customer``, resolved, ``closure`` (until the ticket is
closed); a share of resolutions reopen into ``handling``.

Which way a ticket goes and how long its stage takes are not independent in real logs: tickets
resolved at the first touch are picked up at a different pace from those escalated. So each
stage's route is fitted first (the Aalen–Johansen estimate, which counts tickets still waiting
at the cut-off) and its duration is fitted per route (``work_by_next``).

One ticket type per frequent category (the rest pooled into ``other``), one channel per
frequent channel. Durations are fitted per type, stage and route with right-censoring
(tickets still open at the end of the export), the family chosen by AIC and checked with a
KS distance; where no family is close enough the empirical distribution is used.

Assumption, stated in the scenario's comments and measured by the backtest: the log
records sojourn times (waiting + work), not work. The skeleton therefore treats each
stage's sojourn as its work and staffs each team well above its peak concurrency, so
that the model adds no queueing of its own. Utilisation and staffing what-ifs on such a
scenario mean little until real headcounts and work times replace them.
"""

from __future__ import annotations

import copy
from datetime import datetime

import numpy as np
import pandas as pd

from ...errors import ServsimError
from ...log import to_minutes
from ...one_run import simulate_validated
from ...scenario import scenario_from_dict
from ...scenario.model import RESERVED_COLUMNS
from ..evidence.daily import DailyEvidence, daily_evidence
from ..evidence.history import (
    ACTIVE_SHARE,
    DRIFT_TOLERANCE,
    active_period,
    duration_drift,
    escalation_paths,
    hour_of_week,
    inferred_staffing,
    mean_open_tickets,
    monday,
    ticket_groups,
    ticket_measures,
)
from ..evidence.work import WorkEstimate, estimate_work
from ..fitting import ArrivalFitter, CalibrationError, CompetingRisksFitter
from ..importers.labels import shares as _shares
from ..importers.labels import slug as _slug
from ..importers.quality import ImportResult
from .balance import balance
from .capacity import Balance, Capacity, add_capacity, route_step
from .fitted import MIN_FIT, Calibration, StageFit, fit_stage
from .network import OTHER, Network, build_network
from .waits import remove_waits

MAX_TYPES = 8             # frequent categories kept as ticket types; the rest become "other"
MAX_ATTRIBUTE_VALUES = 12  # frequent values of a further attribute (product, ...) kept; the rest become "other"
MIN_SHARE = 0.01          # channels and categories rarer than this are pooled
PATHS = ("first_touch", "handling", "escalated")  # the ways out of pickup
PROBE_SEED = 20_261_206  # the seed of the run that checks the process model: calibration is deterministic
EXPLAINED = (2.0, 8.0)  # factors by which the process model's time quantiles may miss the log's (see explains)
PROBE_RUNS = 2  # replications of the process model that check it
VARIATION_P = 0.01  # day-to-day variation is added where the dispersion test rejects Poisson arrivals at this level
DEFAULT_TARGETS = {"P1": ("1h", "8h"), "P2": ("4h", "1d"), "P3": ("1d", "5d"), "P4": ("2d", "10d")}


def _pool(values: pd.Series, max_kept: int) -> pd.Series:
    """Keep the most frequent labels (each at least MIN_SHARE), the rest become 'other'."""
    values = values.astype("string").fillna("unknown")
    share = values.value_counts(normalize=True)
    kept = [str(v) for v in share[share >= MIN_SHARE].index[:max_kept]]
    return values.where(values.isin(kept), "other").astype(str)


def _concurrency(result: ImportResult, measures: pd.DataFrame, column: str, end: pd.Timestamp) -> int:
    """Peak number of tickets in a stage at once, from the per-ticket sojourns (an upper bound on staffing)."""
    created = to_minutes(result.tickets["created_at"], end)
    start = created if column == "frt" else created + measures["frt"].to_numpy()
    stop = start + measures[column].to_numpy()
    ok = ~np.isnan(start) & ~np.isnan(stop)
    times = np.concatenate([start[ok], stop[ok]])
    steps = np.concatenate([np.ones(ok.sum()), -np.ones(ok.sum())])
    level = np.cumsum(steps[np.argsort(times, kind="stable")])
    return int(level.max()) if len(level) else 1


def calibrate(result: ImportResult, start: datetime | str | None = None, end: datetime | str | None = None,
              name: str = "calibrated", utilisation: float | None = None, capacity: bool | None = None,
              balance_on_model: bool = False, daily_variation: bool = False) -> Calibration:
    """Calibrate a baseline scenario on the tickets created in ``[start, end)`` (default: the export's busy
    period, see :func:`~servsim.calibration.evidence.history.active_period`). A call-by-call log is calibrated as a call
    centre (:func:`~servsim.calibration.models.calls.calibrate_calls`).

    Where the log names who did what (``capacity=None``, the default, or ``True``), the model answers staffing
    questions: the teams are staffed with the people on duty in the log and their work is read from their
    completions (:mod:`~servsim.calibration.evidence.work`). It is the process model
    (:mod:`~servsim.calibration.models.network`) where that explains the log (:func:`explains`), else the
    delay-plus-capacity model (:mod:`~servsim.calibration.models.capacity`), whose work content is assumed
    (``utilisation``, default 0.6) and bounded by the log. Giving ``utilisation``, or ``balance_on_model`` (the
    covers' share and each team's work content set on the model: :mod:`~servsim.calibration.models.balance`),
    asks for the delay-plus-capacity model. With ``capacity=False``, or a log that names nobody, the sojourn-only
    skeleton (every stage's sojourn is work, teams sized to add no queueing), which reproduces history but does not
    respond to staffing: its provenance says so, and experiments flag staffing changes on it. ``daily_variation``
    gives the scenario the day-to-day variation of volume the log shows beyond Poisson, where it is significant.
    """
    if utilisation is not None and not 0 < utilisation <= 1:
        raise ServsimError(f"--utilisation must be a share of the staffed time in (0, 1], got {utilisation}")
    if result.kind == "calls":
        from .calls import calibrate_calls

        return calibrate_calls(result, None if start is None else pd.Timestamp(start),
                               None if end is None else pd.Timestamp(end), name=name)
    t = result.tickets
    if t["created_at"].notna().sum() == 0:
        raise ServsimError(f"{result.quality.source}: no tickets with a creation time to calibrate on")
    notes: list[str] = []
    active_first, active_end = active_period(t["created_at"], result.export_end)
    first = pd.Timestamp(start) if start is not None else active_first
    end = pd.Timestamp(end) if end is not None else active_end
    outside = int(((t["created_at"] < first) | (t["created_at"] >= end)).sum())
    if (start is None or end is None) and outside:
        notes.append(f"{outside:,} tickets created outside {first:%Y-%m-%d} to {end:%Y-%m-%d} are left out: the "
                     f"export's busy period (weeks below {ACTIVE_SHARE:.0%} of a typical week's volume, and a "
                     "partial first week, are not history the desk's demand can be calibrated on)")
    first = monday(first) if first.weekday() or first != first.normalize() else first
    weeks = int((end - first).days // 7)
    if weeks < 2:
        raise ServsimError(f"{result.quality.source}: calibration needs at least two whole weeks of history; the "
                           f"period from {first:%Y-%m-%d} to {end:%Y-%m-%d} has {max(weeks, 0)}")
    whole = first + pd.Timedelta(days=7 * weeks)
    after = int(((t["created_at"] >= whole) & (t["created_at"] < end)).sum())
    if after:
        notes.append(f"{after:,} tickets created from {whole:%Y-%m-%d} to {end:%Y-%m-%d %H:%M} are left out: "
                     "calibration takes whole weeks (the arrival profile is weekly)")
    end = whole
    inside = (t["created_at"] >= first) & (t["created_at"] < end)
    abandoned = inside & t["abandoned_at"].notna() & (t["abandoned_at"] < end)
    inside &= ~abandoned
    if inside.sum() < 100:
        left_out = f" ({int(abandoned.sum()):,} abandoned contacts left out)" if abandoned.any() else ""
        raise ServsimError(f"{result.quality.source}: only {int(inside.sum())} tickets created between "
                           f"{first:%Y-%m-%d} and {end:%Y-%m-%d}{left_out}; need 100 or more")
    if abandoned.any():
        notes.append(f"{int(abandoned.sum()):,} abandoned contacts are left out: patience is not calibrated")
    window = t[inside]
    if window["first_response_at"].isna().all() and window["resolved_at"].isna().all():
        raise ServsimError(f"{result.quality.source}: none of the {len(window):,} tickets created between "
                           f"{first:%Y-%m-%d} and {end:%Y-%m-%d} was answered or resolved by the export's end: "
                           "how long a ticket takes cannot be measured")
    window_result = ImportResult(window.reset_index(drop=True), result.events, result.quality, end)
    measures = ticket_measures(window_result, end)
    tw = window_result.tickets
    types = _pool(tw["category"], MAX_TYPES)
    channels = _pool(tw["channel"], 6)
    priority = tw["priority"].astype("string").fillna("P3").astype(str)
    unknown = sorted(set(priority) - set(DEFAULT_TARGETS))
    if unknown:
        example = "priority_map: {Urgent: P1, High: P2, Normal: P3, Low: P4}"
        raise ServsimError(f"{result.quality.source}: priority values {unknown[:8]} are not "
                           f"{', '.join(DEFAULT_TARGETS)}; map them in the mapping's priority_map (e.g. {example})")

    arrivals = ArrivalFitter().fit(tw["created_at"], start=first, end=end)
    if arrivals.overdispersed_:
        notes.append(f"arrivals are overdispersed (weekly dispersion index {arrivals.dispersion_index_:.1f}); a "
                     "Poisson model understates the variability of weekly volume")
    channel_share = channels.value_counts(normalize=True)
    profile = {"daily": [round(float(x), 4) for x in arrivals.daily_],
               "weekdays": [round(float(x), 4) for x in arrivals.weekdays_]}
    demand = {"channels": {_slug(c): {"rate": f"{arrivals.weekly_rate_ * share:.6g}/week", "profile": profile}
                           for c, share in channel_share.items()},
              "mix": {"ticket_types": _shares(types.map(_slug)), "priorities": _shares(priority)}}
    if tw["tier"].notna().any():  # customer tiers (service levels), where the export has them
        demand["mix"]["tiers"] = _shares(tw["tier"].astype("string").fillna("unknown").map(_slug))

    # further attributes the import carries (product, ...): their shares per ticket type, for the breakdowns
    attribute_columns = [c for c in tw.columns if c not in RESERVED_COLUMNS and tw[c].notna().any()
                         and (isinstance(tw[c].dtype, pd.CategoricalDtype) or tw[c].dtype == object)]

    samples = _stage_samples(measures, notes)
    pooled = {(stage, route): fit_stage("all", stage, route, values[rows], censored[rows], None, notes)
              for stage, route, values, censored, rows in samples}
    all_ways_out = _ways_out(measures, np.ones(len(measures), bool))
    reopen_delay = _reopen_delay(window_result, end, notes)
    fits, ticket_types, routing_rows = [], {}, []
    for label in sorted(types.unique()):
        slug = _slug(label)
        tt, type_fits, routing = _ticket_type(slug, (types == label).to_numpy(), measures, samples, pooled,
                                              all_ways_out, reopen_delay, notes)
        in_type = (types == label).to_numpy()
        tt["attributes"] = {name: _shares(_pool(tw.loc[in_type, name], MAX_ATTRIBUTE_VALUES))
                            for name in attribute_columns}
        ticket_types[slug] = tt
        fits += type_fits
        routing_rows.append({"ticket_type": slug, "category": label, **routing})
    _flag_long_fits(fits, (end - first).total_seconds() / 60.0, notes)

    headcount = {team: max(10, int(np.ceil(1.25 * _concurrency(window_result, measures, column, end))))
                 for team, column in (("dispatch", "frt"), ("resolvers", "handling"))}
    data = {
        "version": 1, "name": name,
        "description": f"Calibrated on {int(inside.sum()):,} tickets created {first:%Y-%m-%d} to {end:%Y-%m-%d}.",
        "clock": {"start": first.strftime("%Y-%m-%d %H:%M"), "horizon": f"{weeks}w",
                  "warmup": f"{min(2, max(1, weeks // 4))}w"},
        "demand": demand,
        "teams": {team: {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                            "headcount": n}}} for team, n in headcount.items()},
        "stages": {"pickup": {"team": "dispatch"}, "first_touch": {"team": "resolvers", "first_response": True},
                   "handling": {"team": "resolvers", "first_response": True},
                   "escalated": {"team": "resolvers", "first_response": True, "escalation": True},
                   "wait_customer": {}, "closure": {}},
        "ticket_types": ticket_types,
        # history's KPIs cannot pause the SLA clock (exports don't say when it paused): nor does the model
        "policies": {"sla_pauses_while_waiting_for_customer": False},
        "priorities": {p: {"first_response": f, "resolution": r} for p, (f, r) in DEFAULT_TARGETS.items()
                       if p in set(priority)} or {"P3": {"first_response": "1d", "resolution": "5d"}},
    }
    used = {s for tt in ticket_types.values() for s in tt["steps"]}
    data["stages"] = {k: v for k, v in data["stages"].items() if k in used}
    work = estimate_work(result.events, first, end) if capacity is not False else None
    capacity = work is not None
    notes.extend(work.notes if work is not None else [])
    staffing = work.presence if work is not None else inferred_staffing(result, first, end)
    provenance = {"demand": "identified: arrivals per hour of the week and the mix, from the log",
                  "priorities": "assumed: default SLA targets (the export does not contain them)",
                  "ticket_types.*.steps.*.next": "identified: ways out of each stage (Aalen-Johansen)"}
    pool_team, other_team, work_band = {}, None, {}
    network = None
    if capacity and not staffing.empty and utilisation is None and not balance_on_model:
        network = _process_model(data, window_result, types.map(_slug), work, end, result.quality.source, notes)
    if network is not None:
        notes.extend(network.notes)
        provenance.update(network.provenance)
        pool_team, other_team = network.team_of, OTHER
    elif capacity and not staffing.empty:
        pieces = _pieces(measures, ticket_groups(window_result, end), window_result.tickets)
        busy = work.busy_minutes()
        corrections = None
        if balance_on_model:
            skeleton = copy.deepcopy(data)

            def with_capacity(corrections: Balance) -> tuple[dict, Capacity]:
                built = copy.deepcopy(skeleton)
                return built, add_capacity(built, staffing, pieces, weeks, utilisation, [], corrections, busy)

            corrections, note = balance(with_capacity, f"calibration of {result.quality.source}")
            notes.append(note)
        added = add_capacity(data, staffing, pieces, weeks, utilisation, notes, corrections, busy)
        provenance.update(added.provenance)
        pool_team, other_team, work_band = added.team_of, added.fallback, added.band
        remove_waits(data, f"calibration of {result.quality.source}", notes)
    else:
        provenance.update({"teams": "assumed: sized above the peak number of open tickets, not staffing seen in the "
                                    "log: this sojourn-only model has no queues, so a STAFFING CHANGE ON IT CHANGES "
                                    "NOTHING (calibrate a log that names who did the work for a model that answers)",
                           "ticket_types.*.steps.*.work": "identified: sojourns (waiting + work) in the log"})
        named = result.events["resource"].notna().any()
        notes.append(("sojourn-only model (--no-capacity)" if named else "the log names no resources: no staffing "
                      "can be inferred") + ": the teams are sized above the peak number of tickets in each stage, so "
                     "staffing what-ifs mean nothing")
    daily = daily_evidence(tw["created_at"], channels.map(_slug), types.map(_slug), work, first, 7 * weeks)
    _daily_variation(data, provenance, daily, notes, daily_variation)
    data["provenance"] = provenance
    scenario = scenario_from_dict(data, source=f"calibration of {result.quality.source}")
    if not staffing.empty and network is None:  # what the delay-plus-capacity model's delays stand for
        people = float(staffing.groupby("hour_of_week")["active_people"].sum().mean())
        held = mean_open_tickets(t, first, end) / max(people, 1e-9)
        notes.append(f"on average {held:,.0f} tickets are open per person active in an hour ({people:.1f} people "
                     "active per hour of the week): people hold many tickets at once, so a ticket's time in a stage "
                     "is mostly waiting: the model keeps each sojourn as a delay, with the work and the wait for it "
                     "taken out")
    category_map = {str(c): _slug(ty) for c, ty in zip(tw["category"].astype("string").fillna("unknown"), types)}
    channel_map = {str(c): _slug(ch) for c, ch in zip(tw["channel"].astype("string").fillna("unknown"), channels)}
    created_min = to_minutes(tw["created_at"], first)
    ttr = np.where(measures["resolved"], to_minutes(tw["resolved_at"], first) - created_min, np.inf)
    drift = duration_drift(created_min, ttr, measures["path"].to_numpy() == "first_touch", weeks)
    spread = drift["resolved_within_1d"].max() - drift["resolved_within_1d"].min()
    if spread > DRIFT_TOLERANCE:
        notes.append(f"resolution times drift: the weekly share of tickets resolved within a day ranges from "
                     f"{drift['resolved_within_1d'].min():.0%} to {drift['resolved_within_1d'].max():.0%} over the "
                     "window; the fits average over it — calibrate on the recent weeks (--start) to follow the desk "
                     "as it is now")
    handovers = escalation_paths(result, tw["ticket_id"])
    return Calibration(scenario, data, fits, arrivals, pd.DataFrame(routing_rows), staffing, (first, end), drift,
                       handovers, category_map, channel_map, notes, provenance=provenance,
                       staffed=capacity and not staffing.empty, pool_team=pool_team, other_team=other_team,
                       process=network is not None, daily=daily, work_band=work_band,
                       route_samples=network.route_samples if network is not None else {})


def _flag_long_fits(fits: list[StageFit], window_min: float, notes: list[str]) -> None:
    """Say which fitted durations have a mean longer than the window: censoring left their tail to the fitted
    family, and the model's tickets that take them stay open to the horizon."""
    long = sorted((f for f in fits if f.mean_min > window_min), key=lambda f: -f.mean_min)
    if long:
        named = ", ".join(f"{f.ticket_type}/{f.stage}{f' -> {f.route}' if f.route else ''} {f.mean_min / 1440:,.0f} "
                          f"days ({f.n_censored / max(f.n, 1):.0%} censored)" for f in long[:3])
        notes.append(f"implausible durations: {len(long)} fitted mean(s) longer than the {window_min / 1440:.0f}-day "
                     f"window ({named}{', ...' if len(long) > 3 else ''}): beyond the longest follow-up their tail "
                     "is the fitted family's guess, and tickets that take them stay open to the horizon; a longer "
                     "window follows them further")


def _daily_variation(data: dict, provenance: dict, daily: DailyEvidence, notes: list[str], apply: bool) -> None:
    """Say whether the log's daily volumes vary more than Poisson
    (:meth:`~servsim.calibration.evidence.daily.DailyEvidence.variation`) and, with ``apply``, give the scenario that
    variation where it is significant. (Not by default: it adds congestion the backtests do not bear out, ServiceNow's
    end backlog +15% against +14%, and widens every interval.)"""
    cv, p = daily.variation()
    if p != p:
        return
    if p >= VARIATION_P or cv <= 0:
        notes.append(f"daily volumes vary as Poisson arrivals would (dispersion test p = {p:.2g})")
    elif apply:
        data["demand"]["daily_variation"] = round(cv, 4)
        provenance["demand.daily_variation"] = (f"identified: daily volumes vary more than Poisson arrivals would "
                                                f"(dispersion test p = {p:.2g}); a day's rate varies by {cv:.0%}")
        notes.append(f"daily volumes vary more than Poisson (p = {p:.2g}): the scenario's rate varies from day to "
                     f"day by {cv:.0%} (demand.daily_variation), so that per-day and per-hour KPIs vary as much")
    else:
        notes.append(f"daily volumes vary more than Poisson (p = {p:.2g}), by {cv:.0%} a day: calibrate with "
                     f"--daily-variation (or set demand.daily_variation: {cv:.2f}) for per-day and per-hour KPIs "
                     "that vary as much")


def _process_model(data: dict, window: ImportResult, type_of: pd.Series, work: WorkEstimate, end: pd.Timestamp,
                   source: str, notes: list[str]) -> Network | None:
    """Write the process model (:mod:`~servsim.calibration.models.network`) into ``data`` if it explains the log (its
    times to first response and to resolution, simulated, near the log's: :func:`explains`). Else
    ``None``, ``data`` untouched and a note saying why: where people hold tickets for days while waiting on others,
    queues for the work the log shows cannot explain the times it took."""
    candidate = copy.deepcopy(data)
    start = pd.Timestamp(candidate["clock"]["start"])
    try:
        network = build_network(candidate, window.events, window.tickets, type_of, work, end)
        logged = time_quantiles(window.tickets, start, end)
        simulated = _simulated_quantiles(candidate, source, start, end, logged)
    except ServsimError as exc:  # a log whose process the model cannot express: say why, and keep the other model
        notes.append(f"the process model could not be built from this log ({str(exc).splitlines()[0][:300]}): the "
                     "delay-plus-capacity model is used")
        return None
    said = ", ".join(f"{k} {simulated[k]:.1f} h against {logged[k]:.1f} h" for k in logged)
    if not explains(simulated, logged):
        notes.append(f"queues for the work the log shows do not explain the times it took ({said} in the log): "
                     "people hold tickets while waiting on others and the work each piece took cannot be told from "
                     "their completions, so the delay-plus-capacity model keeps the log's sojourns as delays and adds "
                     "work to them at an assumed utilisation, bounded by the log")
        return None
    notes.append(f"the process model explains the log with queues and work alone ({said} in the log)")
    data.clear()
    data.update(candidate)
    return network


def explains(simulated: dict[str, float], logged: dict[str, float]) -> bool:
    """Whether simulated time quantiles match the logged ones: none off by more than a factor ``EXPLAINED[1]``,
    half of them within a factor ``EXPLAINED[0]`` (one quantile's miss does not undo a model whose queues explain
    the rest; a model that misses the tail by a factor of eight explains nothing)."""
    ratios = _log_misses(simulated, logged)
    return bool(ratios) and max(ratios) <= np.log(EXPLAINED[1]) and np.median(ratios) <= np.log(EXPLAINED[0])


def _log_misses(simulated: dict[str, float], logged: dict[str, float]) -> list[float]:
    """|log(simulated / logged)| per quantile the log reaches."""
    with np.errstate(divide="ignore"):  # a quantile never reached (inf) against a finite one: infinitely off
        return [abs(np.log(simulated[k] / v)) if simulated[k] != v else 0.0 for k, v in logged.items() if v > 0]


def _simulated_quantiles(data: dict, source: str, start: pd.Timestamp, end: pd.Timestamp,
                         logged: dict[str, float]) -> dict[str, float]:
    """:func:`time_quantiles` of ``PROBE_RUNS`` runs of ``data``, or of the first alone where it misses ``logged``
    by more than the square of the factor ``explains`` allows (more runs cannot bring that back)."""
    scenario = scenario_from_dict(data, source=f"calibration of {source}")
    runs = []
    for replication in range(PROBE_RUNS):
        runs.append(simulate_validated(scenario, seed=PROBE_SEED, replication=replication).tickets)
        simulated = time_quantiles(pd.concat(runs, ignore_index=True), start, end)
        if max(_log_misses(simulated, logged), default=0.0) > 2 * np.log(EXPLAINED[1]):
            break
    return simulated


def time_quantiles(tickets: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> dict[str, float]:
    """Hours to first response and to resolution (p50, p90) of the tickets created after the first week of
    ``[start, end)``; a ticket not answered or resolved by ``end`` counts as longer than any."""
    created = pd.to_datetime(tickets["created_at"])
    inside = ((created >= start + pd.Timedelta(weeks=1)) & (created < end)).to_numpy()
    out = {}
    for name, column in (("frt", "first_response_at"), ("ttr", "resolved_at")):
        done = pd.to_datetime(tickets[column])
        hours = ((done - created).dt.total_seconds() / 3600.0).where(done < end, np.inf).to_numpy()[inside]
        for q in (50, 90):
            out[f"{name}_p{q}"] = float(np.quantile(hours, q / 100, method="inverted_cdf")) if len(hours) else np.nan
    return out


def _pieces(measures: pd.DataFrame, groups: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """One row per piece of work a ticket needed — its answer (``pickup -> way out``) and its resolution or
    hand-back to the customer (``handling|escalated -> resolve|wait_customer``) — with the minutes the ticket
    spent in the stage before it, the group that did it (the one holding the ticket at the answer, or at the
    resolution), the group that answered the ticket (``entry_group``) and the hour of the week it was done in
    (``hour``, Monday 0-1 h is 0): how the capacity model shares the work among teams, keeps who hands over to
    whom and tells a team's own work from what it did for a team off duty."""
    path = measures["path"].to_numpy()
    waited = measures["wait"].to_numpy() > 0
    done = measures["resolved"].to_numpy()
    entry, final = groups["entry_group"].to_numpy(), groups["final_group"].to_numpy()
    answered = pd.to_datetime(tickets["first_response_at"]).fillna(pd.to_datetime(tickets["resolved_at"]))
    handed = answered + pd.to_timedelta(measures["handling"].to_numpy(), unit="min")  # back to the customer
    resolved = pd.to_datetime(tickets["resolved_at"])
    parts = []
    for k in PATHS:
        rows = path == k
        parts.append(pd.DataFrame({"stage": "pickup", "target": k, "minutes": measures["frt"].to_numpy()[rows],
                                   "group": entry[rows], "entry_group": entry[rows],
                                   "hour": hour_of_week(answered[rows])}))
    for stage in ("handling", "escalated"):
        on = path == stage
        for target, rows, at in (("resolve", on & ~waited & done, resolved), ("wait_customer", on & waited, handed)):
            parts.append(pd.DataFrame({"stage": stage, "target": target,
                                       "minutes": measures["handling"].to_numpy()[rows], "group": final[rows],
                                       "entry_group": entry[rows], "hour": hour_of_week(at[rows])}))
    return pd.concat(parts, ignore_index=True)


def _ticket_type(slug: str, in_type: np.ndarray, measures: pd.DataFrame, samples: list, pooled: dict,
                 all_ways_out: dict[str, float], reopen_delay: dict, notes: list[str]
                 ) -> tuple[dict, list[StageFit], dict]:
    """One ticket type of the skeleton: its steps (as a scenario mapping), its own fits, its routing row."""
    fit = {(stage, route): fit_stage(slug, stage, route, values[rows & in_type], censored[rows & in_type],
                                pooled[(stage, route)], notes)
           for stage, route, values, censored, rows in samples}
    own_fits = list(fit.values())
    for stage, other in (("handling", "escalated"), ("escalated", "handling")):
        for route in ("resolve", "wait_customer"):
            if (stage, route) not in fit and (other, route) in fit and ("pickup", stage) in fit:
                fit[(stage, route)] = fit[(other, route)]  # too few in any type to fit: borrow the other's
                notes.append(f"{slug}/{stage} -> {route}: too few tickets in the log to fit; uses {other}'s fit")
    answered = in_type & ~measures["frt_censored"].to_numpy()
    ways_out = _ways_out(measures, in_type) if answered.sum() >= MIN_FIT else all_ways_out
    ways_out = {k: ways_out[k] for k in PATHS if ways_out.get(k, 0) > 0 and ("pickup", k) in fit
                and (k == "first_touch" or (k, "resolve") in fit or (k, "wait_customer") in fit)}
    waited = measures["wait"].to_numpy() > 0
    p_reopen = min(float(measures["reopened"][in_type].mean()), 0.95)
    routing = {"tickets": int(in_type.sum()), **{k: ways_out.get(k, 0.0) for k in PATHS},
               "customer_wait": float(waited[in_type].mean()), "reopen": p_reopen}

    steps = {"pickup": _routed_step({k: fit[("pickup", k)] for k in ways_out}, ways_out)}
    if "first_touch" in ways_out:
        steps["first_touch"] = {"work": {"kind": "constant", "value": 0.0}, "next": "resolve"}
    for stage in ("handling", "escalated"):
        if stage in ways_out:
            on = in_type & (measures["path"].to_numpy() == stage)
            p_wait = float(waited[on].mean()) if on.any() and ("wait_customer", None) in fit else 0.0
            by_route = {"resolve": fit.get((stage, "resolve")), "wait_customer": fit.get((stage, "wait_customer"))}
            steps[stage] = _routed_step(by_route, {"resolve": 1 - p_wait, "wait_customer": p_wait})
    if any("wait_customer" in (st["next"] if isinstance(st["next"], dict) else {st["next"]: 1.0})
           for st in steps.values()):  # a route to it, the only one (a name) or one of several (a table)
        steps["wait_customer"] = {"work": fit[("wait_customer", None)].spec, "next": "resolve"}
    tt = {"category": slug, "entry": "pickup", "steps": steps}
    if ("closure", None) in fit:
        steps["closure"] = {"work": fit[("closure", None)].spec}
        tt["closing"] = ["closure"]
    if p_reopen > 0:
        tt["reopen"] = {"probability": round(p_reopen, 6), "delay": reopen_delay,
                        "reenter": "handling" if "handling" in steps else next(k for k in PATHS if k in steps)}
    return tt, own_fits, routing


def _stage_samples(measures: pd.DataFrame, notes: list[str]):
    """(stage, route, durations, censored flags, row mask) for every duration the skeleton fits.

    Pickup durations are fitted per way out, on the tickets whose first response has been seen
    (the way out of a ticket still waiting is not known yet; the route shares count them).
    """
    path = measures["path"].to_numpy()
    waited = measures["wait"].to_numpy() > 0
    n = len(measures)
    out = []
    for k in PATHS:
        if (path == k).sum() >= MIN_FIT:
            out.append(("pickup", k, measures["frt"].to_numpy(), np.zeros(n, bool), path == k))
        elif (path == k).any():
            notes.append(f"only {(path == k).sum()} tickets went from pickup to {k}: too few to model that route")
    censored = measures["handling_censored"].to_numpy()
    for stage in ("handling", "escalated"):
        for route, rows in (("resolve", (path == stage) & ~waited), ("wait_customer", (path == stage) & waited)):
            if (rows & ~censored).sum() >= MIN_FIT:
                out.append((stage, route, measures["handling"].to_numpy(), censored, rows))
    if waited.sum() >= MIN_FIT:
        out.append(("wait_customer", None, measures["wait"].to_numpy(), np.zeros(n, bool), waited))
    resolved = measures["resolved"].to_numpy()
    if (resolved & ~measures["closure_censored"].to_numpy()).sum() >= MIN_FIT:
        out.append(("closure", None, measures["closure"].to_numpy(), measures["closure_censored"].to_numpy(),
                    resolved))
    return out


def _reopen_delay(result: ImportResult, end: pd.Timestamp, notes: list[str]) -> dict:
    """Time from a resolution to the reopening, fitted on the logs that record the resolved state as an activity
    (``resolved``, e.g. ServiceNow's audit trail) where the next activity of the ticket is not its closure."""
    e = result.events
    ids = set(result.tickets["ticket_id"].astype(str))
    e = e[e["ticket_id"].astype(str).isin(ids)].sort_values(["ticket_id", "enqueued_at"], kind="stable")
    activity = e["activity"].astype(str)
    same_ticket = e["ticket_id"].astype(str).eq(e["ticket_id"].astype(str).shift(-1))
    reopened = (activity == "resolved") & same_ticket & ~activity.shift(-1).isin(["resolved", "closed"])
    ended, began = pd.to_datetime(e["ended_at"]), pd.to_datetime(e["enqueued_at"])
    delays = ((ended - began).dt.total_seconds() / 60.0)[reopened & (ended <= end)]
    if len(delays) < MIN_FIT:
        notes.append(f"reopen delay: {len(delays)} reopenings with a logged resolution in the window (need "
                     f"{MIN_FIT}); one day is assumed")
        return {"kind": "constant", "value": "1d"}
    return fit_stage("all", "reopen", None, delays.to_numpy(), np.zeros(len(delays), bool), None, notes).spec


def _ways_out(measures: pd.DataFrame, rows: np.ndarray) -> dict[str, float]:
    """Shares of the ways out of pickup among ``rows``, counting the tickets still waiting (Aalen–Johansen)."""
    return CompetingRisksFitter().fit(measures["frt"][rows], measures["path"][rows],
                                      measures["frt_censored"][rows]).shares_


def _routed_step(fits: dict[str, StageFit], shares: dict[str, float]) -> dict:
    """A step whose route targets each have a fitted work time: the commonest target's is ``work``, the others
    go under ``work_by_next``. Targets without a fit or share are left out and the shares renormalised."""
    shares = {k: p for k, p in shares.items() if p > 0 and fits.get(k) is not None}
    if not shares:
        raise CalibrationError("no route out of a stage has observations; calibrate a longer period")
    step: dict = {}
    route_step(step, {k: fits[k].spec for k in shares}, shares, main=max(shares, key=shares.get))
    return step


__all__ = ["Calibration", "CalibrationError", "calibrate"]
