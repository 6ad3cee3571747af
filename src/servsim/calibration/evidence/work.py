"""What a completion-only log says about work: when each piece of work began, who was on duty, and how busy they were.

Exports record when a person *completed* something, not when they started. The start is bounded all the same: a
person cannot have begun a piece before the ticket was ready for it (its previous event, ``enqueued_at``), nor, one
piece at a time, before they completed their previous piece. Taking the later of the two as the start is the rule
process-discovery tools use for end-only logs (start-time estimation; queue inference from transactional data):
while a person works through a queue, the time between two of their completions *is* the second piece's work; when
they were idle, the piece began when it became ready. Over a person's session the estimated intervals tile the
time they were busy, so **utilisation follows from the data** instead of being assumed.

- **Sessions.** A person is on duty from the start of their first piece to the end of their last (for the process
  model, its middle where work was waiting when they stopped: their duty ended during it), through silences
  shorter than ``SESSION_GAP_MIN``, and through longer ones (up to ``MAX_PIECE_MIN``) that end a piece which was
  ready before the silence began: work was waiting, so the person was working on it, not away (cutting such a
  long piece would cut the tail of the work, which carries much of its mean). The first piece of a session has
  no previous completion to bound it: its work is the mean of the identified pieces of the same activity and
  team (at most the time since the ticket was ready) and it is counted as not identified.
- **Regular hours.** A session that began or ended without work waiting began or ended its duty at a moment the
  log cannot show (the person was idle); where the person keeps regular hours on that weekday (their sessions'
  starts and ends within 90 minutes between quartiles on at least 3 such days), it reaches their usual start and
  end (for the process model): lightly loaded second lines were otherwise found on duty 10-12% less than rostered.
- **Presence.** People on duty per team and hour of the week are the time-average of the sessions over the window,
  fractional (1.4 people, not the 1 or 2 of the hours in which someone completed something).
- **Every activity by a person is work** (a reply, a hand-over, a request for information, rework after a reply):
  an event with a resource is a piece.
- **Tickets held at once.** Where a person holds ``k`` tickets at once, consecutive completions interleave and the
  previous completion cuts a piece short: it began when a slot freed, at the ``k``-th completion before its own
  (:func:`_concurrency` finds ``k``; :func:`_begun_as_slots_free` applies it).

Bad input is named and counted in the notes: events without a resource (not work), a person seen in two teams (kept
in the team of most of their work), a person in session around the clock (a system account: left out of presence
and work), clock skew that makes a piece end before the ticket was ready (bounded at zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SESSION_GAP_MIN = 360.0  # a person's silence longer than this ends their session (the end of a shift) ...
MAX_PIECE_MIN = 480.0  # ... unless work was waiting for them all along, up to this long
SYSTEM_HOURS_PER_DAY = 20.0  # in session longer than this a day on average: a system account, not a person
WEEK_HOURS = 168
MIN_PIECES = 30  # pieces begun on an empty desk a pool needs before they tell how many tickets a person holds at once
MAX_CONCURRENCY = 20
REGULAR_MIN_DAYS = 3  # sessions on one weekday before a person's usual hours on it are known ...
REGULAR_SPREAD_MIN = 90.0  # ... and their starts and ends may spread this much (between quartiles)
SLOT_TOLERANCE = 0.1  # slots' work may fall this far short of the pieces begun on an empty desk (see _concurrency)


@dataclass(frozen=True)
class WorkEstimate:
    """The work a log shows (see the module).

    ``pieces``: one row per event with a resource in the window (``event``, the row of the events table, ``ticket_id,
    activity, pool, resource, enabled, start, end, minutes, identified``); ``sessions``: ``resource, pool, start,
    end``; ``presence``: people on duty per ``pool`` and ``hour_of_week`` (fractional, averaged over the window's
    weeks, column ``active_people``); ``queue_presence``: the same where a piece is work from its start to its
    end, so that a person who stopped while work was waiting stopped during their last piece (see
    :func:`_with_idle_edges`: the process model's; where people hold tickets for days, a piece is mostly waiting
    and its middle says nothing of when they left); ``notes``: what was left out or could not be identified,
    counted; ``concurrency``: tickets a person of each pool holds at once (:func:`_concurrency`)."""

    pieces: pd.DataFrame
    sessions: pd.DataFrame
    presence: pd.DataFrame
    notes: list[str]
    concurrency: dict[str, int]
    queue_presence: pd.DataFrame | None = None

    def busy_minutes(self) -> pd.Series:
        """Estimated work per pool, person-minutes over the window (a piece held with others at once takes its
        share of the person's time)."""
        busy = self.pieces.groupby("pool", observed=True)["minutes"].sum()
        return busy / pd.Series(self.concurrency, dtype=float).reindex(busy.index).fillna(1.0)

    def present_minutes(self) -> pd.Series:
        """Person-minutes on duty per pool over the window."""
        length = (self.sessions["end"] - self.sessions["start"]).dt.total_seconds() / 60.0
        return length.groupby(self.sessions["pool"].to_numpy()).sum()

    def utilisation(self) -> pd.Series:
        """Busy share of the time on duty, per pool."""
        present = self.present_minutes()
        return (self.busy_minutes().reindex(present.index, fill_value=0.0) / present.where(present > 0)).dropna()


def estimate_work(events: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                  gap_min: float = SESSION_GAP_MIN) -> WorkEstimate | None:
    """Estimate the work, sessions and presence of the people of ``events`` (servsim's events table) completed in
    ``[start, end)``; ``None`` where no event in the window names a resource."""
    notes: list[str] = []
    e = events[(pd.to_datetime(events["ended_at"]) >= start) & (pd.to_datetime(events["ended_at"]) < end)]
    customer = e["customer_wait"].astype(bool) if "customer_wait" in e else pd.Series(False, index=e.index)
    if (customer & e["resource"].notna()).any():
        notes.append(f"{int((customer & e['resource'].notna()).sum()):,} customer waits name a resource (the "
                     "customer, a mailbox): not counted as work")
    named = e["resource"].notna() & ~customer
    if not named.any():
        return None
    if e["resource"].isna().any():
        notes.append(f"{int(e['resource'].isna().sum()):,} events in the window name no person (creations, customer "
                     "replies, system steps): not counted as work")
    e = e[named]
    frame = pd.DataFrame({
        "event": e.index.to_numpy(), "ticket_id": e["ticket_id"].astype(str).to_numpy(),
        "activity": e["activity"].astype(str).to_numpy(),
        "pool": e["pool"].astype("string").fillna("unknown").astype(str).to_numpy(),
        "resource": e["resource"].astype(str).to_numpy(),
        "enabled": pd.to_datetime(e["enqueued_at"]).to_numpy(),
        "logged_start": pd.to_datetime(e["started_at"]).to_numpy(),
        "end": pd.to_datetime(e["ended_at"]).to_numpy()})
    frame["pool"] = _one_team_each(frame, notes)
    frame = frame.sort_values(["resource", "end"], kind="stable", ignore_index=True)
    same = frame["resource"].eq(frame["resource"].shift())
    previous = frame["end"].shift().where(same)
    gap = (frame["end"] - previous).dt.total_seconds() / 60.0
    enabled = frame["enabled"].fillna(frame["end"])
    waiting = enabled <= previous  # the piece was ready when the person completed their previous one
    first = previous.isna() | (gap > MAX_PIECE_MIN) | ((gap > gap_min) & ~waiting)
    skewed = int((enabled > frame["end"]).sum())
    if skewed:
        notes.append(f"{skewed:,} pieces of work end before their ticket was ready (clock skew): their work is 0")
    enabled = enabled.where(enabled <= frame["end"], frame["end"])
    bounded = previous.where(~first).where(lambda p: p > enabled, enabled)  # max(ready, previous completion)
    logged = frame["logged_start"].notna()
    frame["start"] = frame["logged_start"].where(logged, bounded)
    frame["identified"] = logged | ~first
    minutes = ((frame["end"] - frame["start"]).dt.total_seconds() / 60.0).clip(lower=0.0)
    typical = minutes[frame["identified"]].groupby([frame["pool"], frame["activity"]]).mean()
    overall = float(minutes[frame["identified"]].mean()) if frame["identified"].any() else 0.0
    key = pd.MultiIndex.from_frame(frame[["pool", "activity"]])
    imputed = pd.Series(typical.reindex(key).to_numpy(), index=frame.index).fillna(overall)
    ready = ((frame["end"] - enabled).dt.total_seconds() / 60.0).clip(lower=0.0)
    minutes = minutes.where(frame["identified"], np.minimum(imputed, ready))
    frame["minutes"] = minutes
    frame["start"] = frame["end"] - pd.to_timedelta(minutes, unit="min")
    frame["enabled"] = enabled
    unidentified = int((~frame["identified"]).sum())
    if unidentified:
        notes.append(f"{unidentified:,} of {len(frame):,} pieces of work open a person's session (nothing bounds "
                     "their start): their work is the mean of their activity's")
    frame["session"] = (first | ~same).cumsum().to_numpy()
    frame["idle_before"] = (frame["start"] - previous).dt.total_seconds().div(60.0).clip(lower=0.0).where(~first)
    frame["ready_first"] = first & (frame["enabled"] <= frame["start"])  # a session opened on waiting work
    frame, stretches = _without_system_accounts(frame, start, end, notes)
    queued = _presence(_with_idle_edges(frame, stretches, stopped_mid_piece=True), start, end)
    stretches = _with_idle_edges(frame, stretches)
    presence = _presence(stretches, start, end)
    held, scale = _concurrency(frame, notes)
    frame = _begun_as_slots_free(frame, held, scale)
    return WorkEstimate(frame.drop(columns="logged_start"), stretches, presence, notes, held, queued)


def _begun_as_slots_free(frame: pd.DataFrame, held: dict[str, int],
                         scale: dict[str, float] | None = None) -> pd.DataFrame:
    """Pieces of people who hold ``k`` > 1 tickets at once, begun at the later of the ticket's readiness and the
    ``k``-th completion before theirs in the person's session (the slot it took was freed then), not the previous
    one. With ``k`` slots, completions interleave: the previous completion came from another ticket held at the
    same time and cut the piece short (by about ``k`` times), while the piece begun when it was ready is a sample of
    the work biased short (a long piece sees another completion first): on the ground-truth desks' chat-like first
    lines, this rule finds each activity's mean work within about 10%, the one-at-a-time rule 25-40% short. With
    ``scale``, each pool's pieces are stretched so that their mean is that of the pieces begun on an empty desk
    (see :func:`_concurrency`): the rule itself falls 2-13% short."""
    slots = frame["pool"].map(held).fillna(1).astype(int)
    several = frame["identified"] & frame["logged_start"].isna() & (slots > 1)
    if not several.any():
        return frame
    frame = frame.copy()
    by_session = frame.groupby("session")
    begin = by_session["start"].transform("min")
    floor = frame["enabled"].where(frame["enabled"] > begin, begin)
    start = frame["start"].copy()
    for k in np.unique(slots[several]):
        rows = several & (slots == k)
        freed = by_session["end"].shift(k)[rows]
        start[rows] = floor[rows].where(freed.isna() | (freed < floor[rows]), freed)
    minutes = ((frame["end"] - start).dt.total_seconds() / 60.0).clip(lower=0.0)
    if scale:
        minutes = minutes.where(~several, minutes * frame["pool"].map(scale).fillna(1.0))
    frame["minutes"] = minutes
    frame["start"] = frame["end"] - pd.to_timedelta(minutes, unit="min")
    return frame


def _concurrency(frame: pd.DataFrame, notes: list[str]) -> tuple[dict[str, int], dict[str, float]]:
    """Tickets a person of each pool works on at once and, where more than one, the factor that gives their pieces
    under that many slots (:func:`_begun_as_slots_free`) the mean of those begun on an empty desk.

    A piece that became ready while its person held nothing (every piece of theirs ready before it was complete)
    began at once, whatever the person's slots: from readiness to completion is its whole work, and whether the
    desk was empty depends on the pieces before it, not on its length. Those pieces are an unbiased sample of the
    work's mean. ``k`` is the fewest slots under which the identified pieces carry that mean (to
    ``1 - SLOT_TOLERANCE``, less its standard error): with too few slots the pieces begin at completions of other
    tickets held at the same time and are cut short, with too many they take in the wait for a slot (the slots'
    rule itself falls 2-13% short at the right ``k``). Needs ``MIN_PIECES`` pieces begun on an empty desk;
    otherwise one at a time."""
    by_ready = frame.sort_values(["session", "enabled", "end"], kind="stable")
    ended_before = by_ready.groupby("session")["end"].cummax().groupby(by_ready["session"]).shift()
    empty = (by_ready["identified"] & by_ready["logged_start"].isna() & ended_before.notna()
             & (ended_before <= by_ready["enabled"]))
    whole = ((by_ready["end"] - by_ready["enabled"]).dt.total_seconds() / 60.0)[empty]
    out, scale = {}, {}
    for pool, sample in whole.groupby(by_ready.loc[empty, "pool"]):
        if len(sample) < MIN_PIECES:
            continue
        target = (1.0 - SLOT_TOLERANCE) * float(sample.mean()) - float(sample.sem())
        pieces = frame[frame["pool"] == pool]
        for k in range(1, MAX_CONCURRENCY + 1):
            slotted = _begun_as_slots_free(pieces, {str(pool): k})
            carried = float(slotted.loc[slotted["identified"], "minutes"].mean())
            if carried >= target:
                break
        out[str(pool)] = k
        if k > 1 and carried > 0:
            scale[str(pool)] = max(float(sample.mean()) / carried, 1.0)
    several = {pool: k for pool, k in out.items() if k > 1}
    if several:
        notes.append("people hold several tickets at once (pieces begun on an empty desk take longer than those "
                     "begun at the person's previous completion: completions of tickets held together interleave): "
                     + ", ".join(f"{pool} {k}" for pool, k in several.items()))
    return out, scale


def _one_team_each(frame: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Each person's team: the pool of most of their pieces (a person seen in two teams is named and kept in one)."""
    counts = frame.groupby(["resource", "pool"]).size()
    main = counts.groupby(level="resource").idxmax().map(lambda pair: pair[1])
    several = counts.groupby(level="resource").size()
    several = several[several > 1]
    if len(several):
        moved = int((frame["pool"] != frame["resource"].map(main)).sum())
        notes.append(f"{len(several):,} people work in more than one team ({', '.join(several.index[:5])}"
                     f"{', ...' if len(several) > 5 else ''}): each is counted in the team of most of their work "
                     f"({moved:,} pieces moved)")
    return frame["resource"].map(main)


def _without_system_accounts(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp,
                             notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pieces and sessions without resources in session around the clock (system accounts), named."""
    stretches = (frame.groupby("session", sort=False)
                 .agg(resource=("resource", "first"), start=("start", "min"), end=("end", "max"),
                      ready=("ready_first", "first"), last_start=("start", "last"))
                 .reset_index(drop=True))
    stretches["start"] = stretches["start"].clip(lower=start)
    days = max((end - start).total_seconds() / 86400.0, 1.0)
    hours = ((stretches["end"] - stretches["start"]).dt.total_seconds() / 3600.0).groupby(stretches["resource"]).sum()
    system = hours[hours / days > SYSTEM_HOURS_PER_DAY].index
    if len(system):
        n = int(frame["resource"].isin(system).sum())
        notes.append(f"{len(system)} resource(s) are in session more than {SYSTEM_HOURS_PER_DAY:.0f} h a day "
                     f"({', '.join(map(str, system[:5]))}): system accounts, not people; their {n:,} events are "
                     "left out of work and presence")
        frame = frame[~frame["resource"].isin(system)]
        stretches = stretches[~stretches["resource"].isin(system)]
    pool = frame.groupby("resource")["pool"].first()
    stretches = stretches.assign(pool=stretches["resource"].astype(str).map(pool).to_numpy())
    return frame.reset_index(drop=True), stretches.reset_index(drop=True)


def _with_idle_edges(frame: pd.DataFrame, stretches: pd.DataFrame, stopped_mid_piece: bool = False) -> pd.DataFrame:
    """Sessions widened by the idle time a person of their pool has on average between two pieces: after the last
    completion someone on duty waits for work as long as between pieces, and so before a first piece that was not
    waiting for them (work waiting at the start of a shift is taken at once).

    With ``stopped_mid_piece`` (pieces are work from start to end, the process model's presence), an edge without
    work waiting reaches the person's regular hours (:func:`_regular_hours`), and a session that closed while work
    of its pool was waiting (ready, and begun later) closed because the person's duty ended, during their last
    piece, which they finished. Where in it is not known; the piece that covers a given moment is, on average, a
    long one (the inspection paradox), and the moment falls evenly within it, so its middle is the unbiased
    estimate of the end of duty. (The completion, taken as the end, overstated a busy team's
    presence by half a piece a shift: second lines at 87-97% were found on duty 3-4% longer than rostered on the
    six ground-truth desks, and re-identified at 90% in servsim's own world where they ran at 98%.)"""
    idle = frame.groupby("pool")["idle_before"].mean().fillna(0.0)
    widen = pd.to_timedelta(stretches["pool"].map(idle).fillna(0.0).to_numpy(), unit="min")
    ready = stretches["ready"].to_numpy().astype(bool)
    start = stretches["start"] - widen.where(~ready, pd.Timedelta(0))
    end = stretches["end"] + widen
    if stopped_mid_piece:
        waiting = _work_waiting(frame, stretches)
        end = end.where(~waiting, stretches["last_start"] + (stretches["end"] - stretches["last_start"]) / 2)
        usual_start, usual_end = _regular_hours(stretches)  # an idle edge reaches the person's usual hours
        start = start.where(ready | ~(usual_start < start), usual_start)
        end = end.where(waiting | ~(usual_end > end), usual_end)
    return stretches.assign(start=start, end=end).drop(columns=["ready", "last_start"])


def _regular_hours(stretches: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per session, the usual start and end of its person's sessions on that weekday (NaT where their hours are not
    regular: fewer than ``REGULAR_MIN_DAYS`` such days, or starts or ends spread over more than
    ``REGULAR_SPREAD_MIN`` between their quartiles). An idle person leaves no trace: a session that began or ended
    without work waiting began or ended its duty at an unknown moment, which a person of regular hours shows on
    their other days (the earlier quartile of their starts, the later of their ends)."""
    day = stretches["start"].dt.normalize()
    opened = (stretches["start"] - day).dt.total_seconds() / 60.0
    closed = (stretches["end"] - day).dt.total_seconds() / 60.0
    key = [stretches["resource"].to_numpy(), stretches["start"].dt.day_of_week.to_numpy()]
    by = pd.DataFrame({"opened": opened, "closed": closed}).groupby(key)
    q1, q3 = by.transform("quantile", 0.25), by.transform("quantile", 0.75)
    regular = ((by["opened"].transform("size") >= REGULAR_MIN_DAYS)
               & ((q3 - q1) <= REGULAR_SPREAD_MIN).all(axis=1))
    usual_start = (day + pd.to_timedelta(q1["opened"], unit="min")).where(regular)
    usual_end = (day + pd.to_timedelta(q3["closed"], unit="min")).where(regular)
    return usual_start, usual_end


def _work_waiting(frame: pd.DataFrame, stretches: pd.DataFrame) -> np.ndarray:
    """Whether, at each session's last completion, a piece of its pool was ready and not yet begun."""
    out = np.zeros(len(stretches), bool)
    for pool, rows in stretches.groupby("pool").groups.items():
        own = frame[frame["pool"] == pool]
        ready = np.sort(own["enabled"].to_numpy())
        begun = np.sort(own["start"].to_numpy())
        at = stretches.loc[rows, "end"].to_numpy()
        # ready by then, less begun by then (a piece is begun after it is ready): those waiting
        out[np.asarray(stretches.index.get_indexer(rows))] = (
            np.searchsorted(ready, at, side="right") - np.searchsorted(begun, at, side="right")) > 0
    return out


def _presence(stretches: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """People on duty per pool and hour of the week (Monday 0-1 h is 0), the time-average over ``[start, end)``."""
    weeks = max((end - start).total_seconds() / (WEEK_HOURS * 3600.0), 1.0)
    n_hours = int(np.ceil((end - start).total_seconds() / 3600.0))
    grid = np.arange(n_hours + 1) * 60.0
    hour_of_week = (start.day_of_week * 24 + start.hour + np.arange(n_hours)) % WEEK_HOURS
    rows = []
    for pool, own in stretches.groupby("pool", sort=True):
        lo = np.sort((own["start"] - start).dt.total_seconds().to_numpy() / 60.0)
        hi = np.sort((own["end"] - start).dt.total_seconds().to_numpy() / 60.0)
        # minutes on duty before each grid time: sum of min(hi, g) - min(lo, g), by sorted prefix sums
        covered = _clipped_sum(hi, grid) - _clipped_sum(lo, grid)
        per_hour = np.diff(covered) / 60.0
        people = np.bincount(hour_of_week, weights=per_hour, minlength=WEEK_HOURS) / weeks
        rows.append(pd.DataFrame({"pool": pool, "hour_of_week": np.arange(WEEK_HOURS), "active_people": people}))
    if not rows:
        return pd.DataFrame(columns=["pool", "hour_of_week", "active_people"])
    out = pd.concat(rows, ignore_index=True)
    return out[out["active_people"] > 0].reset_index(drop=True)


def _clipped_sum(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``sum(min(values, g))`` for each ``g`` of ``grid`` (``values`` sorted)."""
    below = np.searchsorted(values, grid, side="right")
    prefix = np.concatenate([[0.0], np.cumsum(values)])
    return prefix[below] + grid * (len(values) - below)
