"""What a ticket log says before any fitting: per-ticket stage durations and the way each ticket left
pickup, the export's busy period, week-by-week drift of durations, and the staffing seen in resource
activity. Shared by calibration (``build``) and the backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...log import to_minutes
from ..importers.quality import ImportResult

ACTIVE_SHARE = 0.1        # weeks below this share of a typical week's volume are outside the export's busy period
PARTIAL_WEEK = pd.Timedelta(days=1)  # an export whose first ticket comes later into its first week starts partway
LAST_WEEK_MISSING = 0.02  # a last week counts whole where the full weeks had at most this share of their tickets later
DRIFT_TOLERANCE = 0.15    # spread of the weekly share resolved within a day above which the report warns


def monday(ts: pd.Timestamp) -> pd.Timestamp:
    """The Monday 00:00 on or before ``ts``."""
    day = ts.normalize()
    return day - pd.Timedelta(days=day.weekday())


def hour_of_week(times: pd.Series) -> np.ndarray:
    """Hour of the week of each time (Monday 0-1 h is 0), -1 where unknown."""
    hour = times.dt.day_of_week * 24 + times.dt.hour
    return hour.fillna(-1).astype(int).to_numpy()


def active_period(created: pd.Series, export_end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Whole weeks (Monday to Monday) from the first to the last whose volume is at least ``ACTIVE_SHARE`` of a
    typical week's (the week the median ticket was created in): exports often trail off into a few stragglers
    before and after the period they were taken for, and a rate averaged over those would describe no week of
    the desk. Quiet weeks inside the period (holidays) stay.

    The last week counts where it is whole as far as the desk's own week shows: at most ``LAST_WEEK_MISSING`` of
    the full weeks' tickets came later in their week than the last ticket seen (an export taken to Sunday night
    ends its last week at 23:50, not at the next Monday; one taken on Thursday does not)."""
    created = pd.to_datetime(created).dropna()
    first = monday(created.min())
    if created.min() - first > PARTIAL_WEEK:
        first += pd.Timedelta(days=7)  # a partial first week would understate its volume
    last = min(export_end, created.max())
    week = pd.Timedelta(days=7)
    weeks = max(int((last - first) // week), 0)
    if weeks == 0:
        return first, last
    full = created[(created >= first) & (created < first + weeks * week)]
    if ((full - first) % week > (last - first) % week).mean() <= LAST_WEEK_MISSING:
        weeks += 1
    index = ((created[created >= first] - first).dt.days // 7).to_numpy()
    counts = np.bincount(index[index < weeks], minlength=weeks)
    ordered = np.sort(counts)
    typical = ordered[np.searchsorted(np.cumsum(ordered), 0.5 * ordered.sum())]  # the week the median ticket saw
    active = np.flatnonzero(counts >= ACTIVE_SHARE * typical)
    return first + pd.Timedelta(days=7 * int(active[0])), first + pd.Timedelta(days=7 * int(active[-1] + 1))


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
    escalated = t["n_escalations"].to_numpy() > 0
    answered = ~np.isnan(fr)
    first_touch = answered & ~np.isnan(res) & (res <= fr)
    # which way the ticket left pickup ("" while still waiting for its first response)
    path = np.where(~answered, "", np.where(escalated, "escalated", np.where(first_touch, "first_touch", "handling")))
    return pd.DataFrame({
        "frt": frt, "frt_censored": np.isnan(fr), "path": path,
        "handling": np.clip(handling, 0.0, None), "handling_censored": np.isnan(res) | np.isnan(fr),
        "wait": wait, "closure": closure, "closure_censored": np.isnan(closed) & ~np.isnan(res),
        "resolved": ~np.isnan(res), "escalated": escalated,
        "reopened": t["n_reopens"].to_numpy() > 0,
    }, index=t.index)


def _customer_wait(result: ImportResult, ticket_ids: pd.Series, end: pd.Timestamp) -> np.ndarray:
    e = result.events
    if e.empty:
        return np.zeros(len(ticket_ids))
    waiting = waits_for_customer(e)
    e = e[waiting]
    start = to_minutes(e["enqueued_at"], end)
    stop = np.fmin(np.nan_to_num(to_minutes(e["ended_at"], end), nan=0.0), 0.0)
    spent = pd.Series(np.clip(stop - start, 0.0, None), index=e["ticket_id"].astype(str).to_numpy())
    return spent.groupby(level=0).sum().reindex(ticket_ids.astype(str)).fillna(0.0).to_numpy()


def waits_for_customer(events: pd.DataFrame) -> pd.Series:
    """Which events are the customer's wait: as the event mapping says (``customer_wait``), else (other importers)
    the stages whose names begin with ``wait``."""
    if "customer_wait" in events:
        return events["customer_wait"].astype(bool)
    return events["activity"].astype(str).str.startswith("wait")


def ticket_groups(result: ImportResult, end: pd.Timestamp) -> pd.DataFrame:
    """Per ticket (aligned with ``result.tickets``): the group that held it at its first response
    (``entry_group``) and at its resolution, or last before ``end`` (``final_group``), from the pools of its
    activities begun by ``end``. Missing where the log names no group."""
    t = result.tickets
    out = pd.DataFrame({"entry_group": pd.Series(np.nan, index=t.index, dtype=object),
                        "final_group": pd.Series(np.nan, index=t.index, dtype=object)})
    e = result.events.dropna(subset=["pool", "enqueued_at"])
    e = e[pd.to_datetime(e["enqueued_at"]) < end]
    if e.empty:
        return out
    held = pd.DataFrame({"ticket": e["ticket_id"].astype(str).to_numpy(), "at": pd.to_datetime(e["enqueued_at"]),
                         "pool": e["pool"].astype(str).to_numpy()}).sort_values("at", kind="stable")
    ids = t["ticket_id"].astype(str).to_numpy()
    for column, times in (("entry_group", t["first_response_at"]), ("final_group", t["resolved_at"])):
        at = pd.to_datetime(times).where(pd.to_datetime(times) < end, end)
        asked = pd.DataFrame({"ticket": ids, "at": at.to_numpy(), "row": np.arange(len(t))}).dropna(subset=["at"])
        asked = asked.sort_values("at", kind="stable")
        group = pd.Series(np.nan, index=asked["row"].to_numpy(), dtype=object)
        for direction in ("backward", "forward"):  # the activity under way then; else the ticket's first one
            found = pd.merge_asof(asked, held, on="at", by="ticket", direction=direction)
            group = group.fillna(pd.Series(found["pool"].to_numpy(), index=found["row"].to_numpy()))
        out[column] = group.reindex(np.arange(len(t))).to_numpy()
    return out


def active_people(result: ImportResult, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Distinct resources with an activity ending (or, not ended, queued) per pool and dated hour of the window:
    rows ``pool, hour, active_people`` (hours where nobody was active are left out)."""
    e = result.events.dropna(subset=["resource"])
    when = pd.to_datetime(e["ended_at"]).fillna(pd.to_datetime(e["enqueued_at"]))
    keep = (when >= start) & (when < end)
    frame = pd.DataFrame({"pool": e["pool"].astype(str)[keep].to_numpy(), "hour": when[keep].dt.floor("h").to_numpy(),
                          "resource": e["resource"].astype(str)[keep].to_numpy()})
    return frame.groupby(["pool", "hour"])["resource"].nunique().rename("active_people").reset_index()


def inferred_staffing(result: ImportResult, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Distinct resources active per team and hour of the week, averaged over the weeks of the window."""
    active = active_people(result, start, end)
    if active.empty:
        return pd.DataFrame(columns=["pool", "hour_of_week", "active_people"])
    weeks = max((end - start).days / 7.0, 1.0)
    slot = active["hour"].dt.day_of_week * 24 + active["hour"].dt.hour
    per_slot = active.groupby([active["pool"], slot.rename("hour_of_week")])["active_people"].sum() / weeks
    return per_slot.reset_index()


def duration_drift(created_min: np.ndarray, ttr_min: np.ndarray, first_touch: np.ndarray, weeks: int) -> pd.DataFrame:
    """Per creation week: tickets, the share resolved at first touch and the share resolved within a day (among
    tickets created at least a day before the end of the window) — whether durations held still over it.

    ``created_min`` counts minutes from the window's start; ``ttr_min`` is ``inf`` for tickets not yet resolved.
    """
    followed = created_min + 1440 <= weeks * 10080
    frame = pd.DataFrame({"week": (created_min // 10080).astype(int), "first_touch": first_touch,
                          "within": np.where(followed, ttr_min <= 1440, np.nan)})
    out = frame.groupby("week").agg(tickets=("week", "size"), first_touch=("first_touch", "mean"),
                                    resolved_within_1d=("within", "mean"))
    return out.reindex(range(weeks)).rename_axis("week").reset_index()


def escalation_paths(result: ImportResult, ticket_ids: pd.Series, top: int = 15) -> pd.DataFrame:
    """The commonest hand-overs between teams (consecutive activities of a ticket in different pools): from, to,
    how many times, and the share of all hand-overs. Empty where the log has no teams."""
    e = result.events.dropna(subset=["pool"])
    e = e[e["ticket_id"].astype(str).isin(set(ticket_ids.astype(str)))]
    if e.empty:
        return pd.DataFrame(columns=["from_team", "to_team", "handovers", "share"])
    e = e.sort_values(["ticket_id", "enqueued_at"], kind="stable")
    ticket, pool = e["ticket_id"].astype(str).to_numpy(), e["pool"].astype(str).to_numpy()
    moved = (ticket[1:] == ticket[:-1]) & (pool[1:] != pool[:-1])
    pairs = pd.DataFrame({"from_team": pool[:-1][moved], "to_team": pool[1:][moved]})
    counts = pairs.value_counts().rename("handovers").reset_index()
    counts["share"] = counts["handovers"] / max(len(pairs), 1)
    return counts.head(top)


def mean_open_tickets(tickets: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Time-average number of tickets open (created, not yet resolved) between ``start`` and ``end``."""
    span = (end - start).total_seconds() / 60.0
    opened = np.maximum(to_minutes(tickets["created_at"], start), 0.0)
    resolved = np.fmin(np.nan_to_num(to_minutes(tickets["resolved_at"], start), nan=span), span)
    return float(np.clip(resolved - opened, 0.0, None).sum() / span)
