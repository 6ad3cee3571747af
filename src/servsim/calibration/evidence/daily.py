"""What a log says day by day: the quantities a calibration estimates, totalled per calendar day of its window, so
that they can be re-estimated on resampled days (:mod:`~servsim.calibration.uncertainty`) without importing or
calibrating again, and so that day-to-day variation of volume can be measured.

Per day: tickets created per channel and per ticket type; per pool of people (the log's teams): the estimated
minutes of work of the pieces completed that day, their number, and the person-minutes on duty in sessions that
began that day (:mod:`~servsim.calibration.evidence.work`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from .work import WorkEstimate

DAY_MIN = 1440.0


@dataclass(frozen=True)
class DailyEvidence:
    """Day-by-day totals of a calibration window: one row per day, its ``weekday`` (0 = Monday).

    ``channels`` and ``types``: tickets created (days x channel or type); ``busy``, ``pieces``, ``present``: per pool
    of people (days x pool) the estimated work minutes, pieces of work and person-minutes on duty (empty frames
    where the log names no people)."""

    weekday: np.ndarray
    channels: pd.DataFrame
    types: pd.DataFrame
    busy: pd.DataFrame
    pieces: pd.DataFrame
    present: pd.DataFrame

    @property
    def days(self) -> int:
        return len(self.weekday)

    def variation(self) -> tuple[float, float]:
        """The day-to-day variation of volume beyond Poisson, as the coefficient of variation ``v`` of a daily rate
        multiplier (a day of weekday ``w`` has mean ``m_w`` and variance ``m_w + v² m_w²``; moments pooled over
        the weekdays), and the p-value of the test that there is none (the dispersion test: under Poisson
        ``sum (n_w - 1) var_w / m_w`` is chi-squared with ``sum (n_w - 1)`` degrees of freedom)."""
        total = self.types.sum(axis=1).to_numpy(float)
        excess = squares = statistic = freedom = 0.0
        for day in range(7):
            counts = total[self.weekday == day]
            mean = counts.mean() if len(counts) else 0.0
            if len(counts) < 2 or mean <= 0:
                continue
            variance = counts.var(ddof=1)
            excess += variance - mean
            squares += mean**2
            statistic += (len(counts) - 1) * variance / mean
            freedom += len(counts) - 1
        if freedom == 0:
            return 0.0, float("nan")
        return float(np.sqrt(max(excess, 0.0) / squares)), float(stats.chi2.sf(statistic, freedom))


def daily_evidence(created_at: pd.Series, channel: pd.Series, ticket_type: pd.Series, work: WorkEstimate | None,
                   first: pd.Timestamp, days: int) -> DailyEvidence:
    """The day-by-day totals of ``days`` days from ``first`` (midnight): tickets from their creation times, channels
    and types (aligned series), work and presence from ``work`` (``None``: the log names nobody)."""
    per_day = _per_day(first, days)
    if work is None or work.pieces.empty:
        busy = pieces = present = pd.DataFrame(index=pd.RangeIndex(days, name="day"))
    else:
        p, s = work.pieces, work.sessions
        pool = p["pool"].astype(str)
        busy = per_day(p["end"], pool, p["minutes"])
        pieces = per_day(p["end"], pool)
        length = (s["end"] - s["start"]).dt.total_seconds() / 60.0
        present = per_day(s["start"], s["pool"].astype(str), length)
    return DailyEvidence((first.day_of_week + np.arange(days)) % 7, per_day(created_at, channel.astype(str)),
                         per_day(created_at, ticket_type.astype(str)), busy, pieces, present)


def daily_calls(created_at: pd.Series, call_type: pd.Series, answered_at: pd.Series, service_min: pd.Series,
                team: pd.Series, roster: pd.DataFrame, first: pd.Timestamp, days: int) -> DailyEvidence:
    """The day-by-day totals of a call log's window (one channel, ``phone``): calls created per type; per team, the
    minutes of service of the calls answered that day, their number, and the person-minutes of the dated roster
    (``team, start, end, headcount``)."""
    per_day = _per_day(first, days)
    served = answered_at.notna() & service_min.notna()
    length = (roster["end"] - roster["start"]).dt.total_seconds() / 60.0 * roster["headcount"]
    return DailyEvidence((first.day_of_week + np.arange(days)) % 7,
                         per_day(created_at, pd.Series("phone", index=created_at.index)),
                         per_day(created_at, call_type.astype(str)),
                         per_day(answered_at[served], team[served].astype(str), service_min[served]),
                         per_day(answered_at[served], team[served].astype(str)),
                         per_day(roster["start"], roster["team"].astype(str), length))


def _per_day(first: pd.Timestamp, days: int):
    """A function totalling ``weights`` (default 1) per day from ``first`` and ``label``: a days x label frame."""
    index = pd.RangeIndex(days, name="day")

    def per_day(when: pd.Series, label: pd.Series, weights: pd.Series | None = None) -> pd.DataFrame:
        day = ((pd.to_datetime(when) - first) / pd.Timedelta(minutes=DAY_MIN)).to_numpy()
        inside = (day >= 0) & (day < days)
        frame = pd.DataFrame({"day": np.floor(day[inside]).astype(int), "label": label.to_numpy()[inside],
                              "weight": 1.0 if weights is None else np.asarray(weights, float)[inside]})
        table = frame.pivot_table(index="day", columns="label", values="weight", aggfunc="sum", fill_value=0.0)
        return table.reindex(index, fill_value=0.0).rename_axis(columns=None).astype(float)

    return per_day
