"""Build a runnable baseline scenario from an imported ticket log.

The model is a fixed skeleton whose every number comes from the log:

``pickup`` (until the first response) -> ``handling`` or, for tickets that were ever
reassigned, ``escalated`` -> optionally ``wait_customer`` -> resolved -> ``closure``
(until the ticket is closed); a share of resolutions reopen into ``handling``.

One ticket type per frequent category (the rest pooled into ``other``), one channel per
frequent channel. Durations are fitted per type and stage with right-censoring (tickets
still open at the end of the export), the family chosen by AIC and checked with a KS
distance; where no family is close enough the empirical distribution is used.

Assumption, stated in the scenario's comments and measured by the backtest: the log
records sojourn times (waiting + work), not work. The skeleton therefore treats each
stage's sojourn as its work and staffs each team well above its peak concurrency, so
that the model adds no queueing of its own. Utilisation and staffing what-ifs on such a
scenario mean little until real headcounts and work times replace them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from ..errors import ServsimError
from ..log import to_minutes
from ..scenario import Scenario, scenario_from_dict
from .fitting import ArrivalFitter, CalibrationError, DurationFitter
from .quality import ImportResult

MAX_TYPES = 8             # frequent categories kept as ticket types; the rest become "other"
MIN_SHARE = 0.01          # channels and categories rarer than this are pooled
MIN_FIT = 30              # observations below which a type borrows the fit of all types
KS_TOLERANCE = 0.05       # largest CDF distance accepted from a parametric family
MIN_DURATION = 0.5        # minutes: logs with minute resolution record zero-length stretches
QQ_PROBABILITIES = np.linspace(0.01, 0.99, 50)
DEFAULT_TARGETS = {"P1": ("1h", "8h"), "P2": ("4h", "1d"), "P3": ("1d", "5d"), "P4": ("2d", "10d")}


@dataclass
class StageFit:
    ticket_type: str
    stage: str
    n: int
    n_censored: int
    family: str
    mean_min: float
    ks: float
    aic: float
    spec: dict
    qq: tuple[np.ndarray, np.ndarray] | None = None   # fitted and observed quantiles, for QQ plots


@dataclass
class Calibration:
    """A calibrated scenario with everything that explains it."""

    scenario: Scenario
    data: dict                         # the scenario as a plain mapping (for YAML with comments)
    fits: list[StageFit]
    arrivals: ArrivalFitter
    routing: pd.DataFrame              # per type: share, escalation, wait, reopen probabilities
    staffing: pd.DataFrame             # inferred active people per hour of week (where resources are logged)
    window: tuple[pd.Timestamp, pd.Timestamp]
    category_map: dict[str, str]       # category in the log -> ticket type
    channel_map: dict[str, str]        # channel in the log -> channel
    notes: list[str] = field(default_factory=list)

    def fit_table(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in f.__dict__.items() if k not in ("spec", "qq")} for f in self.fits])


def _monday(ts: pd.Timestamp) -> pd.Timestamp:
    day = ts.normalize()
    return day - pd.Timedelta(days=day.weekday())


def _pool(values: pd.Series, max_kept: int) -> pd.Series:
    """Keep the most frequent labels (each at least MIN_SHARE), the rest become 'other'."""
    values = values.astype("string").fillna("unknown")
    share = values.value_counts(normalize=True)
    kept = [str(v) for v in share[share >= MIN_SHARE].index[:max_kept]]
    return values.where(values.isin(kept), "other").astype(str)


def _slug(label: str) -> str:
    out = "".join(c.lower() if c.isalnum() else "_" for c in str(label)).strip("_")
    return out or "unknown"


def ticket_measures(result: ImportResult, end: pd.Timestamp) -> pd.DataFrame:
    """Per ticket, in minutes: time to first response, handling, customer wait, closure; censoring flags."""
    t = result.tickets
    created = to_minutes(t["created_at"], end)          # negative: minutes before ``end``
    fr = to_minutes(t["first_response_at"], end)
    res = to_minutes(t["resolved_at"], end)
    closed = to_minutes(t["closed_at"], end)
    res = np.where(res > 0, np.nan, res)                 # resolved after the cut: not yet, as seen at ``end``
    closed = np.where(closed > 0, np.nan, closed)
    fr = np.where(fr > 0, np.nan, fr)
    fr = np.where(np.isnan(fr) & ~np.isnan(res), res, fr)  # no reply recorded: the resolution was the reply
    wait = _customer_wait(result, t["ticket_id"], end)
    frt = np.where(np.isnan(fr), -created, fr - created)
    handling_end = np.where(np.isnan(res), 0.0, res)
    handling = handling_end - np.where(np.isnan(fr), created, fr) - wait
    closure = np.where(np.isnan(closed), -np.nan_to_num(res, nan=0.0), closed - res)
    return pd.DataFrame({
        "frt": frt, "frt_censored": np.isnan(fr),
        "handling": np.clip(handling, 0.0, None), "handling_censored": np.isnan(res) | np.isnan(fr),
        "wait": wait, "closure": closure, "closure_censored": np.isnan(closed) & ~np.isnan(res),
        "resolved": ~np.isnan(res), "escalated": t["n_escalations"].to_numpy() > 0,
        "reopened": t["n_reopens"].to_numpy() > 0,
    }, index=t.index)


def _customer_wait(result: ImportResult, ticket_ids: pd.Series, end: pd.Timestamp) -> np.ndarray:
    e = result.events
    if e.empty:
        return np.zeros(len(ticket_ids))
    waiting = e["activity"].astype(str).str.startswith("wait")
    e = e[waiting]
    start = to_minutes(e["enqueued_at"], end)
    stop = np.fmin(np.nan_to_num(to_minutes(e["ended_at"], end), nan=0.0), 0.0)
    spent = pd.Series(np.clip(stop - start, 0.0, None), index=e["ticket_id"].astype(str).to_numpy())
    return spent.groupby(level=0).sum().reindex(ticket_ids.astype(str)).fillna(0.0).to_numpy()


def _fit(ttype: str, stage: str, values: np.ndarray, censored: np.ndarray, fallback: StageFit | None,
         notes: list[str]) -> StageFit:
    ok = ~np.isnan(values)
    values, censored = values[ok], censored[ok]
    if (~censored).sum() < MIN_FIT:
        if fallback is None:
            raise ServsimError(f"too few observations to fit stage {stage!r} ({(~censored).sum()} uncensored); "
                               "calibrate a longer period or pool more categories")
        notes.append(f"{ttype}/{stage}: {(~censored).sum()} observations, borrowed the fit of all types")
        return StageFit(ttype, stage, int(ok.sum()), int(censored.sum()), fallback.family, fallback.mean_min,
                        fallback.ks, fallback.aic, fallback.spec)
    fitter = DurationFitter(min_duration=MIN_DURATION).fit(values, censored)
    spec, family = fitter.distribution(), fitter.family_
    if fitter.ks_statistic_ > KS_TOLERANCE and family != "empirical":
        spec = fitter.empirical_distribution()
        notes.append(f"{ttype}/{stage}: best family {family} is {fitter.ks_statistic_:.3f} away in CDF "
                     f"(> {KS_TOLERANCE}); the empirical distribution is used")
        family = "empirical"
    from ..distributions import as_distribution

    return StageFit(ttype, stage, int(len(values)), int(censored.sum()), family, as_distribution(spec).mean,
                    float(fitter.ks_statistic_), float(fitter.aic_), spec, fitter.qq(QQ_PROBABILITIES))


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


def inferred_staffing(result: ImportResult, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Distinct resources active per team and hour of the week, averaged over the weeks of the window."""
    e = result.events.dropna(subset=["resource"])
    when = pd.to_datetime(e["ended_at"]).fillna(pd.to_datetime(e["enqueued_at"]))
    keep = (when >= start) & (when < end)
    e, when = e[keep], when[keep]
    if e.empty:
        return pd.DataFrame(columns=["pool", "hour_of_week", "active_people"])
    weeks = max((end - start).days / 7.0, 1.0)
    slot = when.dt.day_of_week * 24 + when.dt.hour
    frame = pd.DataFrame({"pool": e["pool"].astype(str).to_numpy(), "slot": slot.to_numpy(),
                          "week": ((when - start).dt.days // 7).to_numpy(), "resource": e["resource"].astype(str)})
    active = frame.groupby(["pool", "slot", "week"])["resource"].nunique().groupby(["pool", "slot"]).sum() / weeks
    return active.rename("active_people").reset_index().rename(columns={"slot": "hour_of_week"})


def build_scenario(result: ImportResult, start: datetime | str | None = None, end: datetime | str | None = None,
                   name: str = "calibrated") -> Calibration:
    """Calibrate a baseline scenario on the tickets created in ``[start, end)`` (default: the whole export)."""
    t = result.tickets
    first = pd.Timestamp(start) if start is not None else _monday(t["created_at"].min()) + pd.Timedelta(days=7)
    end = pd.Timestamp(end) if end is not None else min(result.export_end, t["created_at"].max())
    first = _monday(first) if first.weekday() or first != first.normalize() else first
    weeks = int((end - first).days // 7)
    if weeks < 2:
        raise ServsimError(f"calibration needs at least two whole weeks of history; {first:%Y-%m-%d} to "
                           f"{end:%Y-%m-%d} has {weeks}")
    end = first + pd.Timedelta(days=7 * weeks)
    inside = (t["created_at"] >= first) & (t["created_at"] < end)
    abandoned = inside & t["abandoned_at"].notna() & (t["abandoned_at"] < end)
    inside &= ~abandoned
    if inside.sum() < 100:
        raise ServsimError(f"only {int(inside.sum())} tickets created between {first} and {end}; need 100 or more")
    notes: list[str] = []
    if abandoned.any():
        notes.append(f"{int(abandoned.sum()):,} abandoned contacts are left out: patience is not calibrated")
    window_result = ImportResult(t[inside].reset_index(drop=True), result.events, result.quality, end)
    measures = ticket_measures(window_result, end)
    tw = window_result.tickets
    types = _pool(tw["category"], MAX_TYPES)
    channels = _pool(tw["channel"], 6)
    priority = tw["priority"].astype("string").fillna("P3").astype(str)

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

    fits, ticket_types, routing_rows = [], {}, []
    pooled: dict[str, StageFit] = {}
    everything = np.ones(len(tw), bool)
    for stage, column, mask in _stage_samples(measures):
        pooled[stage] = _fit("all", stage, measures[column].to_numpy()[mask(everything)],
                             measures[f"{column}_censored"].to_numpy()[mask(everything)]
                             if f"{column}_censored" in measures else np.zeros(mask(everything).sum(), bool),
                             None, notes) if mask(everything).any() else None
    for label in sorted(types.unique()):
        in_type = (types == label).to_numpy()
        slug = _slug(label)
        p_esc = float(measures["escalated"][in_type].mean())
        p_wait = float((measures["wait"][in_type] > 0).mean())
        p_reopen = min(float(measures["reopened"][in_type].mean()), 0.95)
        routing_rows.append({"ticket_type": slug, "category": label, "tickets": int(in_type.sum()),
                             "escalation": p_esc, "customer_wait": p_wait, "reopen": p_reopen})
        steps = {}
        for stage, column, mask in _stage_samples(measures):
            rows = mask(in_type)
            if pooled.get(stage) is None:
                continue
            censored = measures[f"{column}_censored"].to_numpy()[rows] if f"{column}_censored" in measures \
                else np.zeros(rows.sum(), bool)
            fit = _fit(slug, stage, measures[column].to_numpy()[rows], censored, pooled[stage], notes)
            fits.append(fit)
            steps[stage] = {"work": fit.spec}
        after = {"resolve": 1 - p_wait, "wait_customer": p_wait} if "wait_customer" in steps and p_wait > 0 \
            else "resolve"
        steps["pickup"]["next"] = {"handling": 1 - p_esc, "escalated": p_esc} if "escalated" in steps and p_esc > 0 \
            else "handling"
        steps["handling"]["next"] = after
        if "escalated" in steps:
            steps["escalated"]["next"] = after
        if "wait_customer" in steps:
            steps["wait_customer"]["next"] = "resolve"
        tt = {"category": slug, "entry": "pickup", "steps": steps}
        if "closure" in steps:
            tt["closing"] = ["closure"]
        if p_reopen > 0:
            tt["reopen"] = {"probability": round(p_reopen, 6), "delay": {"kind": "constant", "value": "1d"},
                            "reenter": "handling"}
        ticket_types[slug] = tt

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
        "stages": {"pickup": {"team": "dispatch"}, "handling": {"team": "resolvers", "first_response": True},
                   "escalated": {"team": "resolvers", "first_response": True, "escalation": True},
                   "wait_customer": {}, "closure": {}},
        "ticket_types": ticket_types,
        "priorities": {p: {"first_response": f, "resolution": r} for p, (f, r) in DEFAULT_TARGETS.items()
                       if p in set(priority)} or {"P3": {"first_response": "1d", "resolution": "5d"}},
    }
    used = {s for tt in ticket_types.values() for s in tt["steps"]}
    data["stages"] = {k: v for k, v in data["stages"].items() if k in used}
    scenario = scenario_from_dict(data, source=f"calibration of {result.quality.source}")
    staffing = inferred_staffing(result, first, end)
    category_map = {str(c): _slug(ty) for c, ty in zip(tw["category"].astype("string").fillna("unknown"), types)}
    channel_map = {str(c): _slug(ch) for c, ch in zip(tw["channel"].astype("string").fillna("unknown"), channels)}
    return Calibration(scenario, data, fits, arrivals, pd.DataFrame(routing_rows), staffing, (first, end),
                       category_map, channel_map, notes)


def _stage_samples(measures: pd.DataFrame):
    """(stage, measure column, row selector) for every stage of the skeleton."""
    esc = measures["escalated"].to_numpy()
    waited = measures["wait"].to_numpy() > 0
    resolved = measures["resolved"].to_numpy()
    yield "pickup", "frt", lambda m: m
    yield "handling", "handling", lambda m: m & ~esc
    yield "escalated", "handling", lambda m: m & esc
    if waited.any():
        yield "wait_customer", "wait", lambda m: m & waited
    yield "closure", "closure", lambda m: m & resolved


def _shares(values: pd.Series) -> dict[str, float]:
    counts = values.value_counts()
    shares = (counts / counts.sum()).round(6)
    shares.iloc[0] += 1.0 - shares.sum()  # rounding: make the row sum to exactly 1
    return {str(k): float(v) for k, v in shares.items()}


__all__ = ["Calibration", "CalibrationError", "build_scenario"]
