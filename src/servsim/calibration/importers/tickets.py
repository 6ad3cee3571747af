"""Generic ticket tables (one row per ticket, e.g. a Zendesk tickets + metrics export) -> the canonical log.

A YAML column mapping says which column holds what. Times are either timestamps
(``first_response_at: "First reply at"``) or offsets in minutes from creation
(``first_response_minutes: "First reply time (min)"``), as Zendesk's metrics give them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ...errors import ServsimError
from ...files import columns_excerpt, load_yaml, read_table
from ...log import EVENT_COLUMNS, TICKET_COLUMNS
from .labels import AttributeColumns
from .quality import DataQuality, ImportResult, wall_clock


class TicketColumns(BaseModel):
    """File columns holding each canonical field (absent = not in the export)."""

    model_config = ConfigDict(extra="forbid")
    ticket_id: str
    created_at: str
    first_response_at: str | None = None
    first_response_minutes: str | None = None
    resolved_at: str | None = None
    resolution_minutes: str | None = None
    closed_at: str | None = None
    abandoned_at: str | None = None
    channel: str | None = None
    category: str | None = None
    priority: str | None = None
    tier: str | None = None
    region: str | None = None
    team: str | None = Field(None, description="the team that resolved the ticket (becomes final_stage)")
    n_escalations: str | None = None
    n_reopens: str | None = None
    status: str | None = None
    attributes: AttributeColumns = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_form_each(self) -> TicketColumns:
        for a, b in (("first_response_at", "first_response_minutes"), ("resolved_at", "resolution_minutes")):
            if getattr(self, a) and getattr(self, b):
                raise ValueError(f"give {a} or {b}, not both")
        return self


class TicketMapping(BaseModel):
    """How a ticket table maps onto the canonical schema."""

    model_config = ConfigDict(extra="forbid")
    format: str = "tickets"
    columns: TicketColumns
    timestamp_format: str | None = Field(None, description="strftime format; absent = inferred")
    dayfirst: bool = False
    priority_map: dict[str, str] = Field(default_factory=dict, description="raw value -> P1..P4")
    drop_statuses: list[str] = Field(default_factory=list, description="statuses to drop (e.g. deleted, spam)")
    escalations_include_first_team: bool = Field(
        False, description="the escalation column counts teams visited (Zendesk group stations): subtract one")


def load_ticket_mapping(path: str | Path) -> TicketMapping:
    """Read and validate a ticket-table mapping YAML file."""
    data = load_yaml(path, "mapping file")
    try:
        return TicketMapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise ServsimError(f"{path}: invalid ticket mapping: {problems}") from None


# the times a log's tables can hold (pandas' nanosecond clock runs from 1677-09-21 to 2262-04-11)
_EARLIEST, _LATEST = pd.Timestamp("1678-01-01"), pd.Timestamp("2261-12-31")


def import_tickets(path: str | Path, mapping: TicketMapping, mapping_source: str = "mapping") -> ImportResult:
    """Read a CSV ticket table with ``mapping``; every dropped or repaired row is counted."""
    path = Path(path)
    raw = read_table(path, "ticket table", dtype=str, keep_default_na=True)
    cols = mapping.columns
    wanted = {k: v for k, v in cols.model_dump(exclude={"attributes"}).items() if v}
    wanted |= {f"attributes.{name}": col for name, col in cols.attributes.items()}
    missing = {k: v for k, v in wanted.items() if v not in raw.columns}
    if missing:
        raise ServsimError(f"{mapping_source}: columns.{next(iter(missing))}: column "
                           f"{next(iter(missing.values()))!r} is not in {path.name}; its columns are: "
                           f"{columns_excerpt(raw.columns)}")
    quality = DataQuality(source=str(path), rows_read=len(raw))
    rows = raw.drop_duplicates()
    quality.drop("exact duplicate row", len(raw) - len(rows))
    no_id = rows[cols.ticket_id].isna()
    quality.drop("no ticket id", no_id.sum())
    rows = rows[~no_id]
    dup_id = rows[cols.ticket_id].duplicated(keep="last")
    quality.drop("repeated ticket id (the last row kept)", dup_id.sum())
    rows = rows[~dup_id]
    if cols.status and mapping.drop_statuses:
        gone = rows[cols.status].isin(mapping.drop_statuses)
        for status, n in rows.loc[gone, cols.status].value_counts().items():
            quality.drop(f"status {status!r} (drop_statuses)", n)
        rows = rows[~gone]

    def when(column: str | None) -> pd.Series:
        if column is None:
            return pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ns]")
        values = wall_clock(rows[column], column, quality)
        parsed = pd.to_datetime(values, format=mapping.timestamp_format, dayfirst=mapping.dayfirst, errors="coerce")
        parsed = parsed.where((parsed >= _EARLIEST) & (parsed <= _LATEST))  # (year 2999: no time a log can hold)
        return parsed.astype("datetime64[ns]")

    def time(column: str | None) -> pd.Series:
        """A time column other than the creation time: a value that is no time is counted and left missing."""
        series = when(column)
        if column is not None:
            quality.repair(f"unparseable or out-of-range time in {column!r} (years {_EARLIEST.year}-"
                           f"{_LATEST.year}): set missing", int((rows[column].notna() & series.isna()).sum()))
        return series

    created = when(cols.created_at)
    bad = created.isna()
    quality.drop(f"unparseable, out-of-range or missing {cols.created_at!r}", bad.sum())
    rows, created = rows[~bad], created[~bad]
    first = _time_or_offset(rows, created, cols.first_response_at, cols.first_response_minutes, time, quality)
    resolved = _time_or_offset(rows, created, cols.resolved_at, cols.resolution_minutes, time, quality)
    closed, abandoned = time(cols.closed_at), time(cols.abandoned_at)
    for name, series in (("first response", first), ("resolution", resolved), ("closure", closed),
                         ("abandonment", abandoned)):
        early = series < created
        quality.repair(f"{name} before creation: set missing", early.sum())
        series[early] = pd.NaT
    priority = rows[cols.priority] if cols.priority else pd.Series(pd.NA, index=rows.index)
    if mapping.priority_map:
        unknown = priority.notna() & ~priority.isin(list(mapping.priority_map))
        quality.repair("priority not in priority_map: left missing", unknown.sum())
        priority = priority.map(mapping.priority_map)

    def text(column: str | None) -> pd.Series:
        return rows[column] if column else pd.Series(pd.NA, index=rows.index)

    def count(column: str | None) -> pd.Series:
        """A count column: a value that is no whole number from 0 up is counted and taken as 0."""
        if column is None:
            return pd.Series(0, index=rows.index)
        values = pd.to_numeric(rows[column], errors="coerce")
        bad = rows[column].notna() & ~((values >= 0) & (values % 1 == 0))
        quality.repair(f"{column!r} not a count (a whole number from 0 up): set 0", int(bad.sum()))
        return values.where(~bad).fillna(0).astype(int)

    tickets = pd.DataFrame({
        "ticket_id": rows[cols.ticket_id].astype(str), "created_at": created, "channel": text(cols.channel),
        "category": text(cols.category), "priority": priority, "tier": text(cols.tier), "region": text(cols.region),
        "first_response_at": first, "resolved_at": resolved, "closed_at": closed,
        "abandoned_at": abandoned,
        "n_escalations": (count(cols.n_escalations) - int(mapping.escalations_include_first_team)).clip(lower=0),
        "n_reopens": count(cols.n_reopens),
        "final_stage": text(cols.team),
        **{name: text(col) for name, col in cols.attributes.items()},
    })[TICKET_COLUMNS + list(cols.attributes)].sort_values("created_at", kind="stable", ignore_index=True)
    for column in ("channel", "category", "priority", "tier", "region", "final_stage", *cols.attributes):
        tickets[column] = tickets[column].astype("category")
    quality.tickets = len(tickets)
    quality.censored = int((tickets["resolved_at"].isna() & tickets["abandoned_at"].isna()).sum())
    end = pd.concat([tickets[c] for c in ("created_at", "first_response_at", "resolved_at", "closed_at")]).max()
    events = pd.DataFrame({c: pd.Series(dtype="object") for c in EVENT_COLUMNS})
    return ImportResult(tickets=tickets, events=events, quality=quality, export_end=end)


def _time_or_offset(rows, created, at_column, minutes_column, when, quality) -> pd.Series:
    if minutes_column is None:
        return when(at_column)
    minutes = pd.to_numeric(rows[minutes_column], errors="coerce")
    bad = rows[minutes_column].notna() & minutes.isna()
    quality.repair(f"unparseable {minutes_column!r}: set missing", bad.sum())
    return created + pd.to_timedelta(minutes, unit="min")
