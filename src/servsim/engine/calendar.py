"""Weekly shift calendars turned into on-duty intervals (minutes from the scenario start)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ..scenario.model import WEEKDAYS, Clock, Shift, minutes_of_day


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


def staffed_minutes(intervals: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Minutes of ``intervals`` inside ``[lo, hi]``."""
    return sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in intervals)
