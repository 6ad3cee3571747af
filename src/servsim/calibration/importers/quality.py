"""What an importer did to the rows it read: every dropped or repaired row is counted with its reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...units import UTC_OFFSET


def wall_clock(values: pd.Series, column: str, quality: DataQuality) -> pd.Series:
    """Times as text, read as local wall-clock time: a UTC offset after a time is dropped (counted), the time as
    written kept — a desk's log is in its own local time, as the simulation's clock is."""
    values = values.astype("string")
    offset = values.str.contains(UTC_OFFSET, na=False)
    if offset.any():
        quality.repair(f"time-zone offset in {column!r} dropped (the wall-clock time as written is kept)",
                       int(offset.sum()))
        values = values.str.replace(UTC_OFFSET, "", regex=True)
    return values


@dataclass
class DataQuality:
    """Counts of what happened to an export's rows on the way to the canonical ticket log."""

    source: str
    rows_read: int = 0
    dropped: Counter = field(default_factory=Counter)    # reason -> rows dropped
    repaired: Counter = field(default_factory=Counter)   # reason -> rows (or tickets) repaired and kept
    tickets: int = 0
    censored: int = 0                                    # tickets still open at the end of the export

    def drop(self, reason: str, n: int = 1) -> None:
        if n:
            self.dropped[reason] += int(n)

    def repair(self, reason: str, n: int = 1) -> None:
        if n:
            self.repaired[reason] += int(n)

    def to_dict(self) -> dict:
        return {"source": self.source, "rows_read": self.rows_read, "tickets": self.tickets,
                "censored_open_at_end": self.censored, "dropped": dict(self.dropped),
                "repaired": dict(self.repaired), "rows_dropped_total": sum(self.dropped.values())}

    def to_text(self) -> str:
        lines = [f"Data quality of {self.source}",
                 f"  rows read: {self.rows_read:,}; tickets kept: {self.tickets:,} "
                 f"({self.censored:,} still open at the end of the export, kept as censored)"]
        lines.append(f"  rows dropped: {sum(self.dropped.values()):,}")
        lines += [f"    {n:>8,}  {reason}" for reason, n in self.dropped.most_common()]
        lines.append(f"  repaired and kept: {sum(self.repaired.values()):,}")
        lines += [f"    {n:>8,}  {reason}" for reason, n in self.repaired.most_common()]
        return "\n".join(lines)


@dataclass
class ImportResult:
    """An export mapped onto the canonical schema (``servsim.log``), with its data-quality report."""

    tickets: pd.DataFrame
    events: pd.DataFrame
    quality: DataQuality
    export_end: pd.Timestamp  # the last time the export saw; tickets open then are censored
    kind: str = "tickets"     # "calls" for call-by-call logs, whose events carry real service starts and ends
    vru_hangups: pd.Series | None = None  # call logs: when callers hung up in the voice menu (never asked for an agent)

    def as_of(self, cut: pd.Timestamp) -> ImportResult:
        """The export as it would have looked at ``cut``: tickets created before it, later times missing, and
        escalation and reopen counts as of ``cut`` where the events carry them (``n_escalations`` and
        ``n_reopens`` once each event ended; ticket tables without events keep their final counts)."""
        cut = pd.Timestamp(cut)
        tickets = self.tickets[self.tickets["created_at"] < cut].copy()
        for column in ("first_response_at", "resolved_at", "closed_at", "abandoned_at"):
            tickets[column] = tickets[column].where(tickets[column] <= cut)
        events = self.events[pd.to_datetime(self.events["enqueued_at"]) < cut].copy()
        ended = pd.to_datetime(events["ended_at"])
        events["ended_at"] = ended.where(ended <= cut)
        for column in ("n_escalations", "n_reopens"):
            if column in events:
                known = events[events["ended_at"].notna()].groupby(events["ticket_id"].astype(str))[column].max()
                ids = tickets["ticket_id"].astype(str)
                tickets[column] = ids.map(known).fillna(0).astype(np.int64).to_numpy()
        hangups = None if self.vru_hangups is None else self.vru_hangups[self.vru_hangups < cut]
        return ImportResult(tickets.reset_index(drop=True), events.reset_index(drop=True), self.quality, cut, self.kind,
                            hangups)
