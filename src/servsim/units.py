"""Durations and rates with units, as an operations manager writes them.

The engine's clock runs in minutes, so every duration is converted to minutes
and every rate to tickets per minute.
"""

from __future__ import annotations

import re

MINUTES_PER = {
    "s": 1 / 60, "sec": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "min": 1.0, "m": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": 60.0, "hr": 60.0, "hour": 60.0, "hours": 60.0,
    "d": 1440.0, "day": 1440.0, "days": 1440.0,
    "w": 10080.0, "wk": 10080.0, "week": 10080.0, "weeks": 10080.0,
}
# a UTC offset after a time (08:00+01:00, 08:00:00Z): logs and rosters are read in local wall-clock time
UTC_OFFSET = r"(?<=\d)\s*(?:[+-]\d{2}:?\d{2}|Z)$"
_NUMBER_UNIT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([a-zA-Z]+)\s*$")
_RATE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*/\s*([a-zA-Z]+)\s*$")


def parse_duration(value: str | int | float) -> float:
    """Return a duration in minutes.

    Accepts ``"45min"``, ``"4h"``, ``"2d"``, ``"1.5 hours"``, ``"30s"``, ``"1w"``,
    a bare number (already minutes), or ``"0"``. Negative durations are rejected.
    """
    if type(value) is float and 0.0 <= value < float("inf"):  # the common case (quantile tables): no more checks
        return value
    if type(value) is str and value.endswith("min") and value[:1].isdigit():  # as servsim writes them: "12.5min"
        try:
            minutes = float(value[:-3])
        except ValueError:
            pass
        else:
            if minutes < float("inf"):
                return minutes
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a duration; expected e.g. '30min', '4h', '2d'")
    if isinstance(value, (int, float)):
        minutes = float(value)
    else:
        text = value.strip()
        if re.fullmatch(r"[-+]?[0-9]*\.?[0-9]+", text):
            minutes = float(text)
        else:
            match = _NUMBER_UNIT.match(text)
            if text.startswith("-"):
                raise ValueError(f"{value!r} is negative; a duration must be >= 0")
            if not match or match.group(2).lower() not in MINUTES_PER:
                raise ValueError(
                    f"{value!r} is not a duration; expected a number with a unit "
                    "(s, min, h, d, w), e.g. '30min', '4h', '2d'"
                )
            minutes = float(match.group(1)) * MINUTES_PER[match.group(2).lower()]
    if minutes != minutes or minutes in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite duration; expected e.g. '30min', '4h', '2d'")
    if minutes < 0:
        raise ValueError(f"{value!r} is negative; a duration must be >= 0")
    return minutes


def parse_rate(value: str | int | float) -> float:
    """Return a rate in tickets per minute from ``"12/h"``, ``"300/day"``, ``"1500/week"``.

    A bare number is read as tickets per hour.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{value!r} is not a rate; expected e.g. '12/h' or '1500/week'")
    if isinstance(value, (int, float)):
        per_minute = float(value) / 60.0
    else:
        match = _RATE.match(value)
        if not match or match.group(2).lower() not in MINUTES_PER:
            raise ValueError(
                f"{value!r} is not a rate; expected tickets per unit of time, "
                "e.g. '12/h', '300/day' or '1500/week'"
            )
        per_minute = float(match.group(1)) / MINUTES_PER[match.group(2).lower()]
    if per_minute != per_minute or per_minute in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite rate; expected e.g. '12/h' or '1500/week'")
    if per_minute < 0:
        raise ValueError(f"{value!r} is negative; a rate must be >= 0")
    return per_minute


def format_minutes(minutes: float, like: float | None = None) -> str:
    """Render minutes compactly for tables: ``"42.0min"``, ``"3.50h"``, ``"2.10d"``; in the unit that ``like``
    would get, where given (an interval's bounds in its centre's unit: ``-2.11h [-3.31h, -0.91h]``)."""
    if minutes != minutes:
        return "-"
    scale = abs(minutes if like is None or like != like else like)
    if scale < 120:
        return f"{minutes:.1f}min"
    if scale < 2880:
        return f"{minutes / 60:.2f}h"
    return f"{minutes / 1440:.2f}d"
