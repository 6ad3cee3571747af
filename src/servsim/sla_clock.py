"""Business-hours clocks for SLA targets: a contract counts its response and resolution times only while the
desk is open by its calendar (e.g. Mon–Fri 08:00–18:00, not on public holidays).

A :class:`BusinessCalendar` turns wall-clock minutes (from an origin) into business minutes elapsed since the
origin — a piecewise-linear, non-decreasing function, exact and vectorised with ``np.interp`` — and back, to
find when a business-time deadline falls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BusinessCalendar:
    """Open hours by weekday and the dates on which it is closed all day.

    ``hours``: ``(weekdays, start, end)`` with weekdays 0 = Monday and start/end in minutes of the day
    (end up to 1440); overlapping hours merge.
    """

    hours: tuple[tuple[frozenset[int], int, int], ...]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_spec(cls, spec) -> BusinessCalendar:
        """From a scenario's ``sla_calendars`` entry (``hours``: days/start/end, ``holidays``)."""
        from .scenario.model import WEEKDAYS, minutes_of_day, parse_days

        return cls(tuple((frozenset(WEEKDAYS.index(d) for d in parse_days(h.days)), minutes_of_day(h.start),
                          minutes_of_day(h.end)) for h in spec.hours), frozenset(spec.holidays))

    def open_intervals(self, origin: pd.Timestamp, lo: float, hi: float) -> np.ndarray:
        """``(k, 2)`` array of open intervals, in minutes from ``origin``, covering ``[lo, hi]`` (merged, sorted)."""
        first = (origin + pd.Timedelta(minutes=lo)).normalize() - pd.Timedelta(days=1)
        last = (origin + pd.Timedelta(minutes=hi)).normalize() + pd.Timedelta(days=1)
        days = pd.date_range(first, last, freq="D")
        offset = (days - origin) / pd.Timedelta(minutes=1)
        weekday = days.day_of_week.to_numpy()
        closed = np.isin(days.date, list(self.holidays)) if self.holidays else np.zeros(len(days), bool)
        spans = [np.stack([offset[m] + start, offset[m] + end], axis=1)
                 for weekdays, start, end in self.hours
                 for m in [np.isin(weekday, list(weekdays)) & ~closed] if m.any()]
        if not spans:
            return np.empty((0, 2))
        spans = np.concatenate(spans)
        spans = spans[np.argsort(spans[:, 0], kind="stable")]
        merged = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        return np.asarray(merged, float)

    def clock(self, origin: pd.Timestamp, lo: float, hi: float) -> BusinessClock:
        """The calendar's clock over wall-clock minutes ``[lo, hi]`` from ``origin``."""
        return BusinessClock(self.open_intervals(origin, lo, hi))


class BusinessClock:
    """Business minutes as a function of wall-clock minutes, over a stretch of time (see ``BusinessCalendar``)."""

    def __init__(self, open_intervals: np.ndarray) -> None:
        self.xp = open_intervals.ravel()                          # open, close, open, close, ...
        lengths = np.diff(open_intervals, axis=1).ravel() if len(open_intervals) else np.empty(0)
        done = np.cumsum(lengths)
        self.fp = np.stack([done - lengths, done], axis=1).ravel()  # business minutes at each point

    def elapsed(self, minutes: np.ndarray) -> np.ndarray:
        """Business minutes from the start of the stretch to each wall-clock minute (NaN stays NaN)."""
        if not len(self.xp):
            return np.where(np.isnan(minutes), np.nan, 0.0)
        return np.interp(minutes, self.xp, self.fp)  # flat before the first opening and after the last closing

    def deadline(self, minutes: float, business: float) -> float:
        """The wall-clock minute at which ``business`` business minutes have passed since ``minutes`` (inf if the
        stretch ends first)."""
        target = float(self.elapsed(np.array([minutes]))[0]) + business
        if not len(self.fp) or target > self.fp[-1]:
            return float("inf")
        k = int(np.searchsorted(self.fp, target, side="left"))  # first point that reaches it: a closing, or the
        if k == 0:                                                # first opening when nothing is needed at all
            return max(float(minutes), float(self.xp[0]))
        return float(self.xp[k - 1] + (target - self.fp[k - 1]))  # inside the open interval that ends there
