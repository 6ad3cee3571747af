"""The canonical ticket log: one ``tickets`` and one ``events`` table for history and simulation alike.

Times are timezone-naive local wall-clock datetimes. Columns beyond the required
ones are allowed (the simulator adds ``ticket_type``, ``sla_paused_min``,
``direct_cost``, ``moved_by``/``n_moves``: the last timer or overflow rule that moved the ticket,
``reminded_by``/``n_reminders``, and one column per further attribute of the scenario, e.g. ``product``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Self

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
# the tickets' columns the KPIs read as labels whatever their type (further categorical or text columns are labels
# too) and as numbers
TICKET_LABELS = ("channel", "category", "priority", "tier", "region", "final_stage", "ticket_type", "moved_by",
                 "reminded_by")
TICKET_NUMBERS = ("n_escalations", "n_reopens", "sla_paused_min", "direct_cost", "n_moves", "n_reminders")


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


def label_codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``(names, codes)`` of a labelled column, code -1 where missing; categoricals need no factorising."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.categories, dtype=object).astype(str), column.cat.codes.to_numpy()
    codes, names = pd.factorize(column)
    return np.asarray(names, dtype=object).astype(str), codes


class _Timed:
    """Columns with times in minutes from an ``origin`` (the ``minutes`` of :class:`EventColumns` and
    :class:`TicketColumns`)."""

    origin: pd.Timestamp
    minutes: dict[str, np.ndarray]

    def from_origin(self, origin: pd.Timestamp) -> Self:
        """The same columns with times in minutes from ``origin``."""
        if origin == self.origin:
            return self
        offset = (origin - self.origin).total_seconds() / 60.0
        return replace(self, origin=origin, minutes={c: values - offset for c, values in self.minutes.items()})


@dataclass
class EventColumns(_Timed):
    """The events table as the KPIs read it: ticket ids, each labelled column as codes into its names (-1: none)
    and each time column in minutes from ``origin`` (NaN: not reached). A simulation's KPIs come from these
    columns straight from the engine, so that the table itself is built only when someone asks for it
    (:meth:`frame`); a table — history's, or a simulation's — reads into them with :meth:`of`."""

    origin: pd.Timestamp
    ticket_id: np.ndarray
    labelled: dict[str, tuple[np.ndarray, np.ndarray]]  # activity, pool, resource -> (names, codes)
    minutes: dict[str, np.ndarray]                      # enqueued_at, started_at, ended_at
    # a ticket's activities follow on at once except where it was reopened (n_reopens), as in a simulation
    gaps_only_at_reopens: bool = False

    @classmethod
    def of(cls, events: pd.DataFrame, origin: datetime) -> EventColumns:
        return cls(pd.Timestamp(origin), events["ticket_id"].to_numpy(),
                   {column: label_codes(events[column]) for column in ("activity", "pool", "resource")},
                   {column: to_minutes(events[column], origin) for column in EVENT_TIMES})

    def __len__(self) -> int:
        return len(self.ticket_id)

    def labels(self, column: str) -> np.ndarray:
        """The column's values as strings ('' where none)."""
        names, codes = self.labelled[column]
        return np.append(names, "")[codes]

    def frame(self) -> pd.DataFrame:
        """The events table."""
        return pd.DataFrame({
            "ticket_id": self.ticket_id.astype(np.int64) if self.ticket_id.dtype.kind in "iu" else self.ticket_id,
            **{c: coded(codes, list(names)) for c, (names, codes) in self.labelled.items()},
            **{c: to_datetimes(self.minutes[c], self.origin) for c in EVENT_TIMES},
        }, copy=False)


@dataclass
class TicketColumns(_Timed):
    """The tickets table as the KPIs read it, as :class:`EventColumns` are the events: ticket ids, each label column
    as codes into its names (-1: none), each time column in minutes from ``origin`` (NaN: not reached) and the
    numeric columns. A simulation's KPIs read them straight from the engine, so that the table is built only when
    someone asks for it (:meth:`frame`); a table reads into them with :meth:`of`."""

    origin: pd.Timestamp
    ticket_id: np.ndarray
    labelled: dict[str, tuple[np.ndarray, np.ndarray]]  # channel, priority, ... -> (names, codes)
    minutes: dict[str, np.ndarray]                      # created_at, first_response_at, ... (TICKET_TIMES)
    numbers: dict[str, np.ndarray]                      # n_escalations, n_reopens, ...
    columns: list[str]                                  # the table's columns, in order

    @classmethod
    def of(cls, tickets: pd.DataFrame, origin: datetime) -> TicketColumns:
        """The columns of a tickets table that the KPIs read (see :data:`TICKET_LABELS`, :data:`TICKET_NUMBERS`)."""
        minutes = {c: to_minutes(tickets[c], origin) for c in tickets.columns if c in TICKET_TIMES}
        numbers = {c: tickets[c].to_numpy() for c in tickets.columns if c in TICKET_NUMBERS}
        labelled = ticket_labels(tickets)
        return cls(pd.Timestamp(origin), tickets["ticket_id"].to_numpy(), labelled, minutes, numbers,
                   [c for c in tickets.columns if c == "ticket_id" or c in minutes or c in labelled or c in numbers])

    def __len__(self) -> int:
        return len(self.ticket_id)

    def __contains__(self, column: str) -> bool:
        return column in self.columns

    def frame(self) -> pd.DataFrame:
        """The tickets table."""
        def column(name: str):
            if name in self.minutes:
                return to_datetimes(self.minutes[name], self.origin)
            if name in self.labelled:
                names, codes = self.labelled[name]
                return coded(codes, list(names))
            return self.numbers[name]

        return pd.DataFrame({"ticket_id": self.ticket_id, **{name: column(name) for name in self.columns[1:]}},
                            copy=False)


def ticket_labels(tickets: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The label columns of a tickets table (:data:`TICKET_LABELS` and any further categorical or text column) as
    ``(names, codes)`` (see :func:`label_codes`)."""
    other = {"ticket_id", *TICKET_TIMES, *TICKET_NUMBERS}
    return {c: label_codes(tickets[c]) for c in tickets.columns if c not in other and (
        c in TICKET_LABELS or isinstance(tickets[c].dtype, pd.CategoricalDtype) or tickets[c].dtype == object)}


def check_schema(tickets: pd.DataFrame | TicketColumns, events: pd.DataFrame | EventColumns | None = None,
                 source: str = "ticket log") -> None:
    """Raise ``ValueError`` naming the missing columns if a table does not follow the schema."""
    missing = [c for c in TICKET_COLUMNS if c not in tickets]
    if missing:
        raise ValueError(f"{source}: tickets table lacks column(s) {missing}; expected {TICKET_COLUMNS}")
    if isinstance(events, pd.DataFrame):
        missing = [c for c in EVENT_COLUMNS if c not in events.columns]
        if missing:
            raise ValueError(f"{source}: events table lacks column(s) {missing}; expected {EVENT_COLUMNS}")
