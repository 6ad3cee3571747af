"""What an importer did to the rows it read: every dropped or repaired row is counted with its reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd


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
