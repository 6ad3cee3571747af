"""Who was on duty, from the work a log shows: on-duty sessions per person, a dated roster per team and
interval, and the average week as weekly shifts.

A log never records log-ins, only work. A person is taken to be on duty from the start of a piece of work to
its end, and through idle gaps shorter than ``gap_min`` between two pieces (waiting for the next call is
part of a shift; a longer silence is a break or the end of the shift).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...scenario.model import WEEKDAYS

WEEK_MIN = 10080


def sessions(resource: pd.Series, start: pd.Series, end: pd.Series, gap_min: float) -> pd.DataFrame:
    """On-duty stretches (``resource, start, end``): each person's work intervals joined across idle gaps
    shorter than ``gap_min`` minutes."""
    frame = pd.DataFrame({"resource": resource.astype("string"), "start": pd.to_datetime(start),
                          "end": pd.to_datetime(end)}).dropna()
    frame = frame[frame["end"] >= frame["start"]].sort_values(["resource", "start"], kind="stable")
    # a new session where the person changes or the gap since the latest end so far is too long
    latest = frame.groupby("resource", sort=False)["end"].cummax().groupby(frame["resource"], sort=False).shift()
    gap = (frame["start"] - latest).dt.total_seconds() / 60.0
    new = latest.isna() | (gap > gap_min)
    block = new.cumsum()
    return (frame.groupby(block, sort=False)
            .agg(resource=("resource", "first"), start=("start", "min"), end=("end", "max"))
            .reset_index(drop=True))


def dated_roster(stretches: pd.DataFrame, team_of: dict[str, str], start: pd.Timestamp, end: pd.Timestamp,
                 interval_min: int, default_team: str = "agents") -> pd.DataFrame:
    """Headcount per team and interval of ``[start, end)`` (rows ``team, start, end, headcount``).

    The headcount is the time-average number of people on duty in the interval, rounded.
    """
    n_cells = int((end - start).total_seconds() // 60 // interval_min)
    edges = start + pd.to_timedelta(np.arange(n_cells + 1) * interval_min, unit="min")
    rows = []
    teams = np.array([team_of.get(r, default_team) for r in stretches["resource"].astype(str)], dtype=object)
    for team in sorted(set(teams) | set(team_of.values())):
        own = stretches[teams == team]
        lo = (own["start"] - start).dt.total_seconds().to_numpy() / 60.0
        hi = (own["end"] - start).dt.total_seconds().to_numpy() / 60.0
        # minutes on duty per cell: clip every stretch to every cell it overlaps, via cumulative coverage
        grid = np.arange(n_cells + 1) * float(interval_min)
        covered = np.array([np.clip(np.minimum(hi, g) - lo, 0.0, None).sum() for g in grid])
        counts = np.diff(covered) / interval_min
        rows.append(pd.DataFrame({"team": team, "start": edges[:-1], "end": edges[1:],
                                  "headcount": np.rint(counts).astype(int)}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["team", "start", "end", "headcount"])


def weekly_shifts(roster: pd.DataFrame, week_start: pd.Timestamp, stacked: bool = True) -> dict[str, dict[str, dict]]:
    """The average week of a dated roster as weekly shifts per team, stacked: each day's (rounded mean) headcount
    per hour is cut into layers, the k-th person on duty from the first hour at least k are on duty to the last,
    so that a person stays on through the day's changes of headcount (``Mon 08:00-17:00 x 5`` plus ``Mon
    11:00-15:00 x 2``, not three blocks of other people, each of whom would finish their piece of work at every
    change of headcount as the shift ends). Shifts alike on several days are one shift of those days. Not
    ``stacked``: one shift per run of hours with the same headcount, each of other people (the delay-plus-capacity
    model's, whose delays were measured with them)."""
    out: dict[str, dict[str, dict]] = {}
    for team, rows in roster.groupby("team", sort=True):
        minutes = (rows["start"] - week_start).dt.total_seconds().to_numpy() / 60.0
        hour = ((minutes % WEEK_MIN) // 60).astype(int)
        length = (rows["end"] - rows["start"]).dt.total_seconds().to_numpy() / 60.0
        person_min = np.bincount(hour, weights=rows["headcount"].to_numpy() * length, minlength=168)
        covered = np.bincount(hour, weights=length, minlength=168)
        level = np.rint(np.divide(person_min, covered, out=np.zeros(168), where=covered > 0)).astype(int)
        weekday0 = week_start.weekday()
        if not stacked:
            out[str(team)] = _runs(level, weekday0)
            continue
        blocks: dict[tuple[int, int], list[str]] = {}  # (start, end) -> one entry per person and day
        for d in range(7):
            day = WEEKDAYS[(weekday0 + d) % 7]
            hours = level[d * 24:(d + 1) * 24]
            for k in range(1, int(hours.max(initial=0)) + 1):
                on = np.r_[False, hours >= k, False].astype(int)
                for start, stop in zip(np.flatnonzero(np.diff(on) == 1), np.flatnonzero(np.diff(on) == -1)):
                    blocks.setdefault((int(start), int(stop)), []).append(day)
        shifts = {}
        for start, stop, on_days, n in _layers(blocks):
            days = _days_label(on_days)
            shifts[f"{days.lower().replace('-', '_to_').replace(',', '_')}_{start:02d}_{stop:02d}"] = {
                "days": days, "start": f"{start:02d}:00", "end": f"{stop:02d}:00", "headcount": n}
        out[str(team)] = shifts
    return out


def _runs(level: np.ndarray, weekday0: int) -> dict[str, dict]:
    """One shift per day and run of hours with the same headcount (``level``: people per hour of the week)."""
    shifts = {}
    for d in range(7):
        day = WEEKDAYS[(weekday0 + d) % 7]
        h = 0
        while h < 24:
            n = level[d * 24 + h]
            stop = h + 1
            while stop < 24 and level[d * 24 + stop] == n:
                stop += 1
            if n > 0:
                shifts[f"{day.lower()}_{h:02d}"] = {"days": day, "start": f"{h:02d}:00", "end": f"{stop:02d}:00",
                                                    "headcount": int(n)}
            h = stop
    return shifts


def _days_label(days: tuple[str, ...]) -> str:
    """``('Mon', 'Tue', 'Wed')`` -> ``'Mon-Wed'``; days that are not a run of the week -> ``'Mon,Wed'``."""
    at = [WEEKDAYS.index(d) for d in days]
    if len(days) > 2 and at == list(range(at[0], at[0] + len(at))):
        return f"{days[0]}-{days[-1]}"
    return ",".join(days)


def _layers(blocks: dict[tuple[int, int], list[str]]) -> list[tuple[int, int, tuple[str, ...], int]]:
    """Shifts ``(start, end, days, headcount)`` from the people on duty ``start``-``end`` on each day (one entry per
    person and day): on the days with equal counts, one shift of that many people — weekdays and the weekend apart,
    so that a change to the weekend's shifts leaves the week's alone."""
    out = []
    for (start, stop), days in sorted(blocks.items()):
        counts = pd.Series(days).value_counts()
        for n, group in counts.groupby(counts):
            for part in (WEEKDAYS[:5], WEEKDAYS[5:]):
                on_days = tuple(day for day in part if day in group.index)
                if on_days:
                    out.append((start, stop, on_days, int(n)))
    return out


def concurrency(resource: pd.Series, start: pd.Series, end: pd.Series, team_of: dict[str, str],
                default_team: str, quantile: float = 0.95) -> dict[str, int]:
    """Tickets one person works on at once, per team: at each start of a piece of work, how many of that person's
    pieces are in progress (itself included); a team's concurrency is the median over its people of their
    ``quantile`` of that count (clock jitter of a few seconds between consecutive calls stays below it)."""
    frame = pd.DataFrame({"resource": resource.astype("string"), "start": pd.to_datetime(start),
                          "end": pd.to_datetime(end)}).dropna()
    frame = frame[frame["end"] > frame["start"]]
    levels: dict[str, list[float]] = {}
    for person, own in frame.groupby("resource", sort=False):
        starts = np.sort(own["start"].to_numpy())
        ends = np.sort(own["end"].to_numpy())
        # pieces begun up to and including this start, less those ended by then
        in_progress = np.arange(1, len(starts) + 1) - np.searchsorted(ends, starts, side="right")
        team = team_of.get(str(person), default_team)
        levels.setdefault(team, []).append(float(np.quantile(in_progress, quantile)))
    return {team: max(1, int(np.rint(np.median(values)))) for team, values in levels.items()}


def unavailable_after_work(resource: pd.Series, start: pd.Series, end: pd.Series, waiting: pd.DataFrame,
                           gap_min: float) -> tuple[np.ndarray, np.ndarray]:
    """How long a person stays unavailable after a piece of work (wrap-up, notes, a short pause), seen where
    someone was waiting for them: ``(minutes, censored)``.

    Between two pieces of one session (idle gap up to ``gap_min``) that begin while a customer waits
    (``waiting``: rows ``from, to`` of the waits this person could have ended), an available person would have
    taken the next customer at once, so the gap is time unavailable. Once nobody waits any more the gap says
    nothing further: it is right-censored at that moment.
    """
    times = np.concatenate([waiting["from"].to_numpy("datetime64[ms]"), waiting["to"].to_numpy("datetime64[ms]")])
    steps = np.concatenate([np.ones(len(waiting), np.int64), -np.ones(len(waiting), np.int64)])
    order = np.lexsort((steps, times))  # at one instant a wait ends before the next begins
    times, queued = times[order], np.cumsum(steps[order])
    empty = times[queued == 0]
    frame = pd.DataFrame({"resource": resource.astype("string"), "start": pd.to_datetime(start),
                          "end": pd.to_datetime(end)}).dropna().sort_values(["resource", "start"], kind="stable")
    same = (frame["resource"] == frame["resource"].shift(-1)).fillna(False).to_numpy(bool)
    done = frame["end"].to_numpy("datetime64[ms]")[:-1][same[:-1]]
    following = frame["start"].to_numpy("datetime64[ms]")[1:][same[:-1]]
    gap = np.maximum((following - done) / np.timedelta64(1, "m"), 0.0)
    at = np.searchsorted(times, done, side="right") - 1
    someone_waits = (at >= 0) & (queued[np.maximum(at, 0)] > 0)
    nxt = np.searchsorted(empty, done, side="right")
    until_empty = np.where(nxt < len(empty), (empty[np.minimum(nxt, len(empty) - 1)] - done)
                           / np.timedelta64(1, "m"), np.inf)
    keep = someone_waits & (gap <= gap_min)
    return np.minimum(gap, until_empty)[keep], (until_empty < gap)[keep]
