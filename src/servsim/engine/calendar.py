"""Weekly shift calendars turned into on-duty intervals (minutes from the scenario start)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from ..scenario.model import WEEKDAYS, Clock, RosterRow, Shift, minutes_of_day


def duty_intervals(shift: Shift, clock: Clock) -> list[tuple[float, float]]:
    """The ``(on, off)`` intervals of one person on ``shift`` within ``[0, horizon]``.

    Breaks split a day's interval; holidays remove the day.
    """
    start = clock.start
    day0 = datetime(start.year, start.month, start.day)
    offset = (start - day0).total_seconds() / 60
    holidays = set(clock.holidays)
    days = set(shift.days)
    begin, end = minutes_of_day(shift.start), minutes_of_day(shift.end)
    pieces = [(begin, end)]
    for b in sorted(shift.breaks, key=lambda b: minutes_of_day(b.start)):
        b0, b1 = minutes_of_day(b.start), minutes_of_day(b.end)
        last = pieces.pop()
        pieces += [(last[0], b0), (b1, last[1])]
    out = []
    n_days = int((offset + clock.horizon) // 1440) + 1
    for d in range(n_days + 1):
        date = day0 + timedelta(days=d)
        if WEEKDAYS[date.weekday()] not in days or date.date() in holidays:
            continue
        for a, b in pieces:
            lo = max(d * 1440 + a - offset, 0.0)
            hi = min(d * 1440 + b - offset, clock.horizon)
            if hi > lo:
                out.append((lo, hi))
    return out


def absences(intervals: list[tuple[float, float]], share: float, block: float,
             rng: np.random.Generator) -> list[tuple[float, float]]:
    """``intervals`` less random stretches of absence (shrinkage): each ``block`` minutes of on-duty time,
    counted from the start of each interval, is away with probability ``share``, independently."""
    if share <= 0:
        return intervals
    out: list[tuple[float, float]] = []
    for lo, hi in intervals:
        edges = [*np.arange(lo, hi, block).tolist(), hi]
        present = (rng.random(len(edges) - 1) >= share).tolist()
        for a, b, here in zip(edges, edges[1:], present):
            if not here:
                continue
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)  # consecutive blocks at work: one stretch, not a shift change
            else:
                out.append((a, b))
    return out


def staffed_minutes(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Minutes of ``intervals`` inside ``[lo, hi]``."""
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in intervals)


Intervals = list[tuple[float, float]]


def roster_intervals(rows: list[RosterRow], clock: Clock) -> tuple[tuple[float, float], list[Intervals]]:
    """A team's dated roster as on-duty intervals, one list per person: person ``k`` is on duty wherever the
    headcount exceeds ``k``. Also returns the span the roster covers (minutes from the start, clipped to the
    horizon); inside it, time that no row covers has nobody on duty."""
    start = clock.start
    edges = sorted((max((r.start - start).total_seconds() / 60, 0.0), min((r.end - start).total_seconds() / 60,
                                                                            clock.horizon), r.headcount)
                   for r in rows)
    edges = [(lo, hi, n) for lo, hi, n in edges if hi > lo]
    if not edges:
        return (0.0, 0.0), []
    people: list[Intervals] = [[] for _ in range(max(n for _, _, n in edges))]
    for lo, hi, n in edges:
        for k in range(n):
            own = people[k]
            if own and own[-1][1] == lo:
                own[-1] = (own[-1][0], hi)  # consecutive rows: one stretch on duty, not a shift change
            else:
                own.append((lo, hi))
    return (edges[0][0], max(hi for _, hi, _ in edges)), people


def outside(intervals: list[tuple[float, float]], span: tuple[float, float]) -> list[tuple[float, float]]:
    """The parts of ``intervals`` outside ``span`` (where a roster does not override the weekly shifts)."""
    lo, hi = span
    out = []
    for a, b in intervals:
        if a < lo:
            out.append((a, min(b, lo)))
        if b > hi:
            out.append((max(a, hi), b))
    return [(a, b) for a, b in out if b > a]
