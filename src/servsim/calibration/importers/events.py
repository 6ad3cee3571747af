"""Import a generic event log (one row per activity) onto the canonical ``tickets`` and ``events`` tables.

An event log has one row per activity instance: a case id, an activity name, a completion timestamp and,
optionally, the resource who did it, the team, a start timestamp and ticket attributes (priority,
category, ...). An :class:`EventMapping` (usually a YAML file, see ``calibration/presets/``) says which
column is which and what the activity names mean (first response, escalation, resolution, ...).

Every row dropped and every value repaired is counted with its reason in the :class:`DataQuality` report.

.. note::
   Most event logs record only *completions*. Then the time between two consecutive events of a case
   (``ended_at - enqueued_at`` in the events table) is a **sojourn**: the waiting time in the queue *plus*
   the work, not the work alone. Only a mapped start column (``started_at``) separates the two.
"""

from __future__ import annotations

import difflib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from ...errors import ServsimError
from ...files import columns_excerpt, load_yaml, read_table
from ...log import EVENT_COLUMNS, TICKET_COLUMNS
from .labels import AttributeColumns
from .quality import DataQuality, ImportResult, wall_clock

ATTRIBUTES = ["channel", "category", "priority", "tier", "region"]
OPTIONAL_COLUMNS = ["resource", "team", "start", *ATTRIBUTES]
ATTRIBUTE = "attribute/"  # prefix of a further attribute's column among the cleaned events
TIME_UNIT = "datetime64[ms]"  # the simulator's unit

# Reasons in the data-quality report.
MISSING_CASE = "missing case id"
MISSING_ACTIVITY = "missing activity"
MISSING_TIME = "missing timestamp"
BAD_TIME = "unparseable timestamp"
DUPLICATE = "exact duplicate row"
OUT_OF_ORDER = "event out of order within its case (sorted by timestamp)"
BAD_START = "unparseable start timestamp (started_at set to NaT)"
START_AFTER_END = "start after completion (started_at set to NaT)"
CLOSED_UNRESOLVED = "closed without a resolution activity (resolved_at set to closed_at)"
CLOSED_EARLY = "closure before the last resolution (closed_at cleared)"
UNMAPPED_PRIORITY = "priority value not in priority_map (priority set to NA)"


OPENER_SHARE = 0.8  # an activity opening this share of the cases opens a ticket: its repeat in a case is a new one
REPEAT_SHARE = 0.01  # ... unless it recurs in more than this share of the cases


class MappingError(ServsimError, ValueError):
    """An event mapping or the file it is applied to is unusable; the message names file, key and fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class ColumnMap(_Strict):
    """Which column of the export holds what; ``None`` means the export has no such column."""

    case: str = Field(description="case (ticket) id")
    activity: str = Field(description="activity name")
    timestamp: str = Field(description="completion time of the activity")
    resource: str | None = Field(None, description="who did it")
    team: str | None = Field(None, description="team / resource group; becomes the events' pool")
    start: str | None = Field(None, description="start time of the activity, if the log has one")
    priority: str | None = None
    category: str | None = None
    channel: str | None = None
    tier: str | None = None
    region: str | None = None
    attributes: AttributeColumns = Field(default_factory=dict)


class ActivityMap(_Strict):
    """Which activity names mean what. A name may be listed under several meanings (e.g. first response
    and resolution), except that a reopen is never a resolution or closure, and ``bookkeeping`` names
    (status records that neither reopen nor resolve a ticket) have no other meaning."""

    first_response: list[str] = Field(default_factory=list)
    escalation: list[str] = Field(default_factory=list)
    wait_customer: list[str] = Field(default_factory=list)
    resolution: list[str] = Field(default_factory=list)
    closure: list[str] = Field(default_factory=list)
    reopen: list[str] = Field(default_factory=list)
    bookkeeping: list[str] = Field(default_factory=list)

    @field_validator("*", mode="before")
    @classmethod
    def _one_name_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _meanings_do_not_conflict(self) -> ActivityMap:
        both = set(self.reopen) & (set(self.resolution) | set(self.closure))
        if both:
            raise ValueError(f"{sorted(both)} listed both as reopen and as resolution/closure")
        others = set().union(*(getattr(self, k) for k in type(self).model_fields if k != "bookkeeping"))
        both = set(self.bookkeeping) & others
        if both:
            raise ValueError(f"bookkeeping activities {sorted(both)} may not have another meaning")
        return self


class EventMapping(_Strict):
    """How a generic event log maps onto servsim's ticket log; load one with :func:`load_event_mapping`.

    Attributes
    ----------
    columns : ColumnMap
        Column names of the export.
    timestamp_format : str or None
        ``strftime`` format of the timestamp (and start) column; ``None`` infers it from the first value.
    dayfirst : bool
        With an inferred format, read ``01/02/2024`` as 1 February.
    separator, encoding : str
        How the CSV file is written.
    activities : ActivityMap
        Activity names by meaning.
    infer_reopens : bool
        Count a resolved ticket as reopened when work (any activity that is not a resolution, closure,
        customer wait or bookkeeping) follows the resolution; explicit ``reopen`` activities always count.
    priority_map : dict
        Raw priority value -> priority name (``P1`` ... ``P4``); empty keeps the raw values.
    stage_of_activity : dict
        Activity name -> stage name written in the events' ``activity`` column; default: the name itself.
    """

    columns: ColumnMap
    timestamp_format: str | None = None
    dayfirst: bool = False
    separator: str = ","
    encoding: str = "utf-8"
    activities: ActivityMap = Field(default_factory=ActivityMap)
    infer_reopens: bool = True
    priority_map: dict[str, str] = Field(default_factory=dict)
    stage_of_activity: dict[str, str] = Field(default_factory=dict)

    _source: str = PrivateAttr(default="event mapping")

    @property
    def source(self) -> str:
        """The mapping file this came from (for error messages), or ``'event mapping'``."""
        return self._source


_MODELS: dict[tuple, type[BaseModel]] = {(): EventMapping, ("columns",): ColumnMap, ("activities",): ActivityMap}


# ----------------------------------------------------------------------------------------------- loading
def load_event_mapping(path: str | Path) -> EventMapping:
    """Read an :class:`EventMapping` from a YAML file.

    Parameters
    ----------
    path : str or Path
        The YAML file.

    Returns
    -------
    EventMapping
        The validated mapping; it remembers its file for error messages.

    Raises
    ------
    MappingError
        If the file is missing or not YAML, or a key is unknown, missing or invalid; the message names the
        file and the key (with a suggestion for misspelt keys).
    """
    path = Path(path)
    data = load_yaml(path, "mapping file", MappingError)
    if not isinstance(data, dict):
        raise MappingError(f"{path}: an event mapping must be a mapping of sections (columns, activities, ...)")
    try:
        mapping = EventMapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(_format_errors(exc, path.name)) from None
    mapping._source = path.name
    return mapping


def _format_errors(exc: ValidationError, source: str) -> str:
    """One line per validation problem: ``file: key.path: what is wrong``."""
    lines = [f"{source}: {_describe(err)}" for err in exc.errors()]
    return lines[0] if len(lines) == 1 else f"{len(lines)} problem(s):\n  " + "\n  ".join(lines)


def _describe(err: dict) -> str:
    loc = tuple(str(part) for part in err["loc"])
    key = ".".join(loc) or "(top level)"
    if err["type"] == "extra_forbidden":
        allowed = list(_MODELS.get(loc[:-1], EventMapping).model_fields)
        close = difflib.get_close_matches(loc[-1], allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"expected one of {allowed}"
        return f"{key}: unknown key; {hint}"
    if err["type"] == "missing":
        return f"{key}: required key is missing"
    return f"{key}: {err['msg']} (got {err.get('input')!r})"


# ------------------------------------------------------------------------------------------------ import
def import_events(path: str | Path, mapping: EventMapping | str | Path) -> ImportResult:
    """Map a generic event log (CSV, optionally compressed) onto the canonical ticket log.

    Parameters
    ----------
    path : str or Path
        The export: one row per activity instance.
    mapping : EventMapping, str or Path
        The column and activity mapping, or the YAML file holding it.

    Returns
    -------
    ImportResult
        ``tickets`` (one row per case, in order of creation), ``events`` (one row per kept row, by ticket
        then time), the data-quality report and ``export_end`` (the latest timestamp in the export).

    Notes
    -----
    Ticket times: ``created_at`` is the case's earliest start or completion; ``first_response_at`` the
    first first-response activity; ``resolved_at`` the last resolution since the ticket was last reopened
    (a ticket reopened and not resolved again is open, as in the simulator); ``closed_at`` likewise.
    Tickets open at ``export_end`` are kept and counted as censored.

    Events: ``enqueued_at`` is the previous event's completion in the same case (the case's creation for
    the first), ``ended_at`` the completion. With completion-only logs ``ended_at - enqueued_at`` is a
    sojourn (waiting + work), not work; ``started_at`` is only known when a start column is mapped.

    Raises
    ------
    MappingError
        If the file is missing, a mapped column is not in it, or none of its rows is usable. A UTC offset after a
        time is dropped (counted): the log is read in local wall-clock time, as the ticket importer reads it.
    """
    if not isinstance(mapping, EventMapping):
        mapping = load_event_mapping(mapping)
    path = Path(path)
    quality = DataQuality(source=str(path))
    raw = _read(path, mapping)
    quality.rows_read = len(raw)
    ev = _clean(raw, mapping, quality, path)
    if ev.empty:
        reasons = "; ".join(f"{n:,} {reason}" for reason, n in quality.dropped.most_common())
        example = raw[mapping.columns.timestamp].dropna()
        raise MappingError(f"{path}: none of its {len(raw):,} rows is usable ({reasons}); e.g. "
                           f"{mapping.columns.timestamp} = {example.iloc[0] if len(example) else None!r} against "
                           f"timestamp_format {mapping.timestamp_format!r}")
    _warn_unseen(mapping, set(ev["activity"].unique()), path)
    ev = _split_reused_cases(ev, quality, {*mapping.activities.resolution, *mapping.activities.closure})
    ev = _order(ev, quality)
    _classify(ev, mapping)
    _count_unnamed_reopens(ev, mapping, quality)
    tickets = _tickets(ev, mapping, quality)
    events = _events(ev, mapping)
    quality.tickets = len(tickets)
    quality.censored = int(tickets["resolved_at"].isna().sum())
    export_end = ev["ts"].max() if len(ev) else pd.NaT
    return ImportResult(tickets=tickets, events=events, quality=quality, export_end=export_end)


def _read(path: Path, mapping: EventMapping) -> pd.DataFrame:
    """All columns as strings; a mapped column missing from the file is a :class:`MappingError`."""
    options = {"sep": mapping.separator, "encoding": mapping.encoding}
    header = list(read_table(path, "event log", MappingError, nrows=0, **options).columns)
    wanted = {key: col for key, col in mapping.columns.model_dump(exclude={"attributes"}).items() if col is not None}
    wanted |= {f"attributes.{name}": col for name, col in mapping.columns.attributes.items()}
    missing = [f"columns.{key}: {col!r}" for key, col in wanted.items() if col not in header]
    if missing:
        raise MappingError(f"{mapping.source}: column(s) not in {path.name}: {'; '.join(missing)}. "
                           f"The file's columns: {columns_excerpt(header)}")
    return read_table(path, "event log", MappingError, dtype=str, keep_default_na=True, **options)


def _clean(raw: pd.DataFrame, mapping: EventMapping, quality: DataQuality, path: Path) -> pd.DataFrame:
    """Drop unusable rows (counted) and return the mapped columns: case, activity, ts, start, ..."""
    cols = mapping.columns
    case = raw[cols.case].str.strip().replace("", np.nan)
    activity = raw[cols.activity].str.strip().replace("", np.nan)
    ts = _parse_times(raw[cols.timestamp], mapping, path, quality)
    keep = _count_drop(quality, case.notna(), MISSING_CASE, pd.Series(True, index=raw.index))
    keep = _count_drop(quality, activity.notna(), MISSING_ACTIVITY, keep)
    keep = _count_drop(quality, raw[cols.timestamp].notna(), MISSING_TIME, keep)
    keep = _count_drop(quality, ts.notna(), BAD_TIME, keep)
    keep = _count_drop(quality, ~(raw[keep].duplicated().reindex(raw.index, fill_value=False)), DUPLICATE, keep)
    ev = pd.DataFrame({"case": case, "activity": activity, "ts": ts, "row": np.arange(len(raw))})
    ev["start"] = _starts(raw, ts, mapping, quality, keep, path)
    for key in ["resource", "team", *ATTRIBUTES]:
        col = getattr(cols, key)
        ev[key] = raw[col].str.strip().replace("", np.nan) if col else pd.Series(np.nan, index=raw.index,
                                                                                 dtype=object)
    for name, col in cols.attributes.items():
        ev[ATTRIBUTE + name] = raw[col].str.strip().replace("", np.nan)
    return ev[keep].reset_index(drop=True)


def _count_drop(quality: DataQuality, ok: pd.Series, reason: str, keep: pd.Series) -> pd.Series:
    """Count the still-kept rows that fail ``ok`` under ``reason``; return the narrowed keep mask."""
    quality.drop(reason, int((keep & ~ok).sum()))
    return keep & ok


def _parse_times(values: pd.Series, mapping: EventMapping, path: Path, quality: DataQuality) -> pd.Series:
    """Strings -> timezone-naive datetimes (NaT where unparseable), in the simulator's unit; a UTC offset is dropped
    (counted): the log is read in local wall-clock time."""
    values = wall_clock(values, str(values.name), quality)
    try:
        times = pd.to_datetime(values, format=mapping.timestamp_format, dayfirst=mapping.dayfirst, errors="coerce")
    except ValueError as exc:  # e.g. mixed UTC offsets
        raise MappingError(f"{mapping.source}: timestamps of {path.name} column {values.name!r} cannot be read "
                           f"({exc}); set timestamp_format") from None
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_localize(None)  # keep the wall-clock time as written
    return times.astype(TIME_UNIT)


def _starts(raw: pd.DataFrame, ts: pd.Series, mapping: EventMapping, quality: DataQuality,
            keep: pd.Series, path: Path) -> pd.Series:
    """The start column (NaT if unmapped); unparseable or after-completion starts become NaT, counted."""
    col = mapping.columns.start
    if col is None:
        return pd.Series(pd.NaT, index=raw.index, dtype=TIME_UNIT)
    start = _parse_times(raw[col], mapping, path, quality)
    bad = raw[col].notna() & start.isna()
    late = start > ts
    quality.repair(BAD_START, int((bad & keep).sum()))
    quality.repair(START_AFTER_END, int((late & keep).sum()))
    return start.mask(late)


def _count_unnamed_reopens(ev: pd.DataFrame, mapping: EventMapping, quality: DataQuality, shown: int = 10) -> None:
    """Count the reopenings by activities the mapping names nowhere (taken as work, such an activity after a
    resolution reopens the ticket): a quality check or a note the mapping forgot would otherwise reopen silently."""
    named = {name for names in mapping.activities.model_dump().values() for name in names}
    unnamed = ev["implicit_reopen"] & ~ev["activity"].isin(named | set(mapping.stage_of_activity))
    counts = ev.loc[unnamed, "activity"].value_counts()
    for name, n in counts.iloc[:shown].items():
        quality.repair(f"reopened by {name!r} after its resolution: an activity named nowhere in the mapping is taken "
                       "as work (name it under activities if it means something else)", n)
    quality.repair(f"reopened by {len(counts) - shown} more activities named nowhere in the mapping",
                   int(counts.iloc[shown:].sum()))


def _warn_unseen(mapping: EventMapping, seen: set, path: Path) -> None:
    """Warn about mapped activity names that never occur in the log (probably misspelt)."""
    named = {f"activities.{key}": names for key, names in mapping.activities.model_dump().items()}
    named["stage_of_activity"] = list(mapping.stage_of_activity)
    for key, names in named.items():
        for name in names:
            if name not in seen:
                close = difflib.get_close_matches(name, sorted(seen), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                warnings.warn(f"{mapping.source}: {key}: activity {name!r} never occurs in {path.name}{hint}",
                              UserWarning, stacklevel=3)


def _split_reused_cases(ev: pd.DataFrame, quality: DataQuality, ended: set[str]) -> pd.DataFrame:
    """A case id reused for several tickets: where the activity that opens at least ``OPENER_SHARE`` of the cases
    (e.g. 'Insert ticket') occurs again within a case, a new ticket starts (``case#2``, ...), counted. Unless it is a
    step that recurs within tickets (a re-rating): it occurs again before the case's resolution or closure (an
    activity of ``ended``) in more than ``REPEAT_SHARE`` of the cases; then every repeat is kept in its case, and
    counted. (A reused id shows as a repeat after the first ticket's end, however many cases reuse ids: an export
    whose ticket numbers restarted halfway has one in every case.)"""
    if ev.empty:
        return ev
    ordered = ev.sort_values(["case", "ts", "row"], kind="stable")
    case = ordered["case"]
    firsts = ordered.groupby("case", sort=False)["activity"].first()
    opener = firsts.value_counts()
    if opener.iloc[0] < OPENER_SHARE * len(firsts) or len(firsts) < 20:
        return ev
    name = opener.index[0]
    again = (ordered["activity"] == name).groupby(case, sort=False).cumsum().gt(1) & (ordered["activity"] == name)
    if not again.any():
        return ev
    ending = ordered["activity"].isin(ended)
    after_end = (ending.groupby(case, sort=False).cumsum() - ending).gt(0)  # an ending came before, in the case
    if case[again & ~after_end].nunique() > REPEAT_SHARE * len(firsts):  # a step that recurs within tickets
        quality.repair(f"{name!r} occurs again within a case: kept as a step that recurs in one ticket (it recurs "
                       "before the resolution in too many cases to mean a reused case id)", int(again.sum()))
        return ev
    quality.repair(f"case id reused: a new ticket starts where {name!r} occurs again in a case (tickets split off)",
                   int(again.sum()))
    number = again.groupby(case, sort=False).cumsum()
    ev = ev.copy()
    split = number[number > 0]
    ev.loc[split.index, "case"] = case[split.index].astype(str) + "#" + (split + 1).astype(str)
    return ev


def _order(ev: pd.DataFrame, quality: DataQuality) -> pd.DataFrame:
    """Sort cases by creation and each case's events by time (file order among ties); count repairs."""
    by_case = ev.groupby("case", sort=False)
    previous_latest = by_case["ts"].cummax().groupby(ev["case"], sort=False).shift()
    quality.repair(OUT_OF_ORDER, int((ev["ts"] < previous_latest).sum()))
    ev["created"] = ev["start"].fillna(ev["ts"]).groupby(ev["case"], sort=False).transform("min")
    ev["first_row"] = by_case["row"].transform("min")
    ev = ev.sort_values(["created", "first_row", "ts", "row"], kind="stable", ignore_index=True)
    ev["code"] = pd.factorize(ev["case"])[0]
    return ev


def _classify(ev: pd.DataFrame, mapping: EventMapping) -> None:
    """Add boolean columns per meaning, the implicit reopens and the 'tail' since the last reopening."""
    acts = mapping.activities
    for key in type(acts).model_fields:
        ev[key] = ev["activity"].isin(getattr(acts, key))
    ends = ev["resolution"] | ev["closure"]
    work = ~(ends | ev["wait_customer"] | ev["bookkeeping"] | ev["reopen"])
    opening = ev["reopen"] | (work & mapping.infer_reopens)
    state = pd.Series(np.where(ends, 1.0, np.where(opening, 0.0, np.nan)))  # 1 resolved/closed, 0 open
    before = state.groupby(ev["code"]).shift().groupby(ev["code"]).ffill()
    ev["implicit_reopen"] = opening & ~ev["reopen"] & (before == 1.0)
    position = pd.Series(np.arange(len(ev)))
    last_opening = position.where(opening, -1).groupby(ev["code"]).transform("max")
    ev["tail"] = position > last_opening  # events after the last (re)opening decide resolved/closed


def _tickets(ev: pd.DataFrame, mapping: EventMapping, quality: DataQuality) -> pd.DataFrame:
    """One row per case with the canonical ticket columns."""
    g = ev.groupby("code", sort=True)
    ts = ev["ts"]
    resolved = ts.where(ev["resolution"] & ev["tail"]).groupby(ev["code"]).max()
    closed = ts.where(ev["closure"] & ev["tail"]).groupby(ev["code"]).max()
    resolved, closed = _repair_closures(resolved, closed, quality)
    extra = [ATTRIBUTE + name for name in mapping.columns.attributes]
    attributes = g[ATTRIBUTES + extra].first()
    attributes["priority"] = _map_priority(attributes["priority"], mapping, quality)
    stages = _stages(ev["activity"], mapping)
    tickets = pd.DataFrame({
        "ticket_id": g["case"].first(),
        "created_at": g["created"].first(),
        **{key: pd.Categorical(attributes[key]) for key in ATTRIBUTES},
        "first_response_at": ts.where(ev["first_response"]).groupby(ev["code"]).min(),
        "resolved_at": resolved,
        "closed_at": closed,
        "abandoned_at": pd.Series(pd.NaT, index=resolved.index, dtype=TIME_UNIT),
        "n_escalations": g["escalation"].sum().astype(np.int64),
        "n_reopens": (ev["reopen"] | ev["implicit_reopen"]).groupby(ev["code"]).sum().astype(np.int64),
        "final_stage": pd.Categorical(stages.groupby(ev["code"]).last()),
        **{key.removeprefix(ATTRIBUTE): pd.Categorical(attributes[key]) for key in extra},
    })
    return tickets[TICKET_COLUMNS + list(mapping.columns.attributes)].reset_index(drop=True)


def _repair_closures(resolved: pd.Series, closed: pd.Series, quality: DataQuality) -> tuple[pd.Series, pd.Series]:
    """Closed without resolution -> resolved at closure; closure before the last resolution -> not closed."""
    unresolved = resolved.isna() & closed.notna()
    quality.repair(CLOSED_UNRESOLVED, int(unresolved.sum()))
    resolved = resolved.fillna(closed)
    early = closed < resolved
    quality.repair(CLOSED_EARLY, int(early.sum()))
    return resolved, closed.mask(early)


def _map_priority(raw: pd.Series, mapping: EventMapping, quality: DataQuality) -> pd.Series:
    """Raw priority values -> names via ``priority_map`` (unmapped values -> NA, counted per ticket)."""
    if not mapping.priority_map:
        return raw
    mapped = raw.map(mapping.priority_map)
    unmapped = raw.notna() & mapped.isna()
    if unmapped.any():
        quality.repair(f"{UNMAPPED_PRIORITY}: {sorted(raw[unmapped].unique())}", int(unmapped.sum()))
    return mapped


def _events(ev: pd.DataFrame, mapping: EventMapping) -> pd.DataFrame:
    """One row per kept event with the canonical event columns (plus ``source_activity``, the running counts and
    ``customer_wait``: the activity is one the mapping names as the customer's wait, whatever its stage's name)."""
    previous = ev["ts"].groupby(ev["code"]).shift().fillna(ev["created"])
    enqueued = previous.mask(ev["start"] < previous, ev["start"])  # overlapping activities: never wait < 0
    events = pd.DataFrame({
        "ticket_id": ev["case"],
        "activity": pd.Categorical(_stages(ev["activity"], mapping)),
        "pool": pd.Categorical(ev["team"]),
        "resource": pd.Categorical(ev["resource"]),
        "enqueued_at": enqueued,
        "started_at": ev["start"],
        "ended_at": ev["ts"],
        "source_activity": pd.Categorical(ev["activity"]),
        "customer_wait": ev["wait_customer"].to_numpy(bool),
        # the ticket's counts once this event is logged: what a cut-off then knew (ImportResult.as_of)
        "n_escalations": ev["escalation"].astype(np.int64).groupby(ev["code"]).cumsum(),
        "n_reopens": (ev["reopen"] | ev["implicit_reopen"]).astype(np.int64).groupby(ev["code"]).cumsum(),
    })
    return events[[*EVENT_COLUMNS, "source_activity", "customer_wait", "n_escalations", "n_reopens"]]


def _stages(activity: pd.Series, mapping: EventMapping) -> pd.Series:
    """Activity names -> stage names (``stage_of_activity``; unmapped names are their own stage)."""
    stage_of = mapping.stage_of_activity
    return activity.map(lambda name: stage_of.get(name, name))
