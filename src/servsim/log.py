"""The canonical ticket log: one ``tickets`` and one ``events`` table for history and simulation alike.

Times are timezone-naive local wall-clock datetimes. Columns beyond the required
ones are allowed (the simulator adds ``ticket_type``, ``sla_paused_min``,
``direct_cost``, ``moved_by``/``n_moves``: the last timer or overflow rule that moved the ticket,
``reminded_by``/``n_reminders``, and one column per further attribute of the scenario, e.g. ``product``).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

TICKET_COLUMNS = [
    "ticket_id", "created_at", "channel", "category", "priority", "tier", "region",
    "first_response_at", "resolved_at", "closed_at", "abandoned_at",
    "n_escalations", "n_reopens", "final_stage",
]
EVENT_COLUMNS = ["ticket_id", "activity", "pool", "resource", "enqueued_at", "started_at", "ended_at"]
TICKET_TIMES = ["created_at", "first_response_at", "resolved_at", "closed_at", "abandoned_at"]
EVENT_TIMES = ["enqueued_at", "started_at", "ended_at"]


def to_datetimes(minutes: np.ndarray, start: datetime) -> pd.Series:
    """Minutes from ``start`` (NaN allowed) -> datetime64 (NaT), rounded to the millisecond."""
    ms = np.round(np.asarray(minutes, float) * 60_000.0)
    known = ~np.isnan(ms)
    out = np.full(len(ms), np.datetime64("NaT"), dtype="datetime64[ms]")
    out[known] = np.datetime64(pd.Timestamp(start).as_unit("ms").asm8) + ms[known].astype(np.int64)
    return pd.Series(out)


def to_minutes(times: pd.Series, start: datetime) -> np.ndarray:
    """Datetimes -> float minutes from ``start`` (NaT -> NaN)."""
    values = times.to_numpy() if isinstance(times, pd.Series) else np.asarray(times)
    if values.dtype.kind != "M":  # strings, objects, time-zone-aware values
        values = pd.to_datetime(times).to_numpy(dtype="datetime64[ns]")
    unit = np.datetime_data(values.dtype)[0]
    ticks = (values - np.datetime64(pd.Timestamp(start).to_datetime64(), unit)).view(np.int64)
    minutes = ticks / (60.0 * np.timedelta64(1, "s") / np.timedelta64(1, unit))
    minutes[np.isnat(values)] = np.nan
    return minutes


def coded(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    """Integer codes (-1 = missing) -> a categorical with ``names`` as categories."""
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), categories=names)


def check_schema(tickets: pd.DataFrame, events: pd.DataFrame | None = None, source: str = "ticket log") -> None:
    """Raise ``ValueError`` naming the missing columns if a table does not follow the schema."""
    missing = [c for c in TICKET_COLUMNS if c not in tickets.columns]
    if missing:
        raise ValueError(f"{source}: tickets table lacks column(s) {missing}; expected {TICKET_COLUMNS}")
    if events is not None:
        missing = [c for c in EVENT_COLUMNS if c not in events.columns]
        if missing:
            raise ValueError(f"{source}: events table lacks column(s) {missing}; expected {EVENT_COLUMNS}")
