"""Call-by-call logs of a telephone call centre ("Anonymous Bank" layout) -> the canonical ticket log.

The layout is the one of the Technion SEE Lab's "Anonymous Bank" data: one tab-separated line per call,
with the header ``vru+line call_id customer_id priority type date vru_entry vru_exit vru_time q_start q_exit
q_time outcome ser_start ser_exit ser_time server``. A call enters the VRU (the automated phone menu),
may wait in the queue for an agent, and is then served (``AGENT``), hangs up (``HANG``) or is a phantom
(``PHANTOM``). Every dropped or repaired row is counted with its reason in the :class:`DataQuality` report.

Choices, stated because the log does not record them directly:

- A ticket is a call that asked for an agent; its id is ``"<vru+line>/<call_id>"`` (``call_id`` alone is
  not unique). ``created_at`` is the moment it asked for an agent: ``q_start`` if it queued, else
  ``vru_exit`` (it went straight to an agent). ``channel`` is ``phone``, ``category`` the ``type`` code,
  ``priority`` ``high`` for customer priority 2 and ``regular`` for 0 and 1 (the data's documentation
  says 0 is treated like 1), except that it is left empty for a 0 on a call that did not queue: "because of
  a system bug, no id was recorded for callers who did not wait in the queue", and 99.5% of those calls show
  0, so their priority is unknown (calibration takes the shares from the calls that show it); ``tier`` and
  ``region`` are missing. Extra columns: ``vru_entry_at``,
  ``customer_priority`` (the raw 0/1/2) and ``server`` (the agent's name, missing for ``NO_SERVER``).
- Served calls (``AGENT``): ``first_response_at`` is the service start, ``resolved_at`` = ``closed_at`` the
  service end, ``final_stage`` ``service``. Calls that hung up after joining the queue are abandoned:
  ``abandoned_at`` is ``q_exit``, ``final_stage`` ``queue``. A ``HANG`` that never joined the queue hung
  up in the VRU: it never asked for an agent, so it is dropped (counted). ``PHANTOM`` calls are dropped.
- A ``HANG`` whose queue stamps are set but whose ``q_time`` is 0 (it joined the queue and hung up the
  same second: 17 calls in October 1999) is a queue abandonment, not a VRU hang-up; the log's
  documentation counts it with the calls that never queued. A ``HANG`` that queued yet carries service
  stamps without an agent (``NO_SERVER``; 67 calls) is abandoned at ``q_exit``; the stamps are ignored.
- Dates: ``date`` (``YYMMDD``, 19YY for YY >= 50) is the day of VRU entry. The clock times are dated from
  it in the order vru_entry -> vru_exit -> q_start -> q_exit -> ser_start -> ser_exit, adding a day each
  time a stamp is more than 18 hours *earlier* than the previous one (a midnight wrap: no stage of a call
  lasts 6 hours; in October 1999 every wrap steps back more than 22 hours). A stamp 1 to 18 hours earlier than
  the previous one is neither a wrap nor jitter: the stamps contradict each other (a service that "ends" 13 hours
  before it starts is not an 11-hour service) and the call is dropped (counted; none in October 1999). Smaller backward
  steps are clock jitter or data errors of the same day (the log has 1-2 s jitter between the VRU/queue
  and the agents' clocks, and a few errors of up to ~12 min), handled below.
- ``0:00:00`` is the log's code for "stage not reached". A queue stamp of ``0:00:00`` is missing when
  ``q_time`` is 0 and both queue stamps are ``0:00:00``, unless the call left the VRU at 0:00:00 itself
  (a queue visit always starts the instant the VRU is left). A service stamp is missing when the outcome
  is not ``AGENT``; for an ``AGENT`` call when ``ser_time`` is 0 and both service stamps are ``0:00:00``,
  unless the stamp before the service (``q_exit`` or ``vru_exit``) is within 2 s of midnight. Otherwise
  ``0:00:00`` is a real time: the call was there at midnight.
- The 1-2 s clock jitter: a service that starts at most 2 s before the call asked for an agent has its
  start (and, if it also ended before, its end) clamped to ``created_at``. A service that starts more
  than 2 s before it (70 calls in October 1999, all straight from the VRU, mostly with a long VRU time:
  the VRU exit was recorded late) moves ``created_at`` back to the service start, so that the agent's
  work is kept whole. Both repairs are counted.
- Events: one ``service`` activity per ticket in pool ``agents``: enqueued at ``created_at``, started at
  the service start, ended at its end; for an abandoned call ``started_at`` is missing and ``ended_at``
  is the hang-up (the simulator's convention for a caller who hung up).
- A call log has no call still open at its end: ``quality.censored`` is 0. ``export_end`` is the latest
  time of a kept call.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ServsimError
from ...files import columns_excerpt, read_data
from ...log import EVENT_COLUMNS, TICKET_COLUMNS
from .quality import DataQuality, ImportResult

HEADER = ["vru+line", "call_id", "customer_id", "priority", "type", "date", "vru_entry", "vru_exit", "vru_time",
          "q_start", "q_exit", "q_time", "outcome", "ser_start", "ser_exit", "ser_time", "server"]
REQUIRED = [c for c in HEADER if c != "customer_id"]
STAMPS = ["vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit"]   # in the order of a call
DURATIONS = ["vru_time", "q_time", "ser_time"]
OUTCOMES = ("AGENT", "HANG", "PHANTOM")
EXTRA_COLUMNS = ["vru_entry_at", "customer_priority", "server"]
TIME_UNIT = "datetime64[ms]"  # the simulator's unit
STRING = "string[pyarrow]"  # vectorised string operations
DAY = 86_400
WRAP = -64_800      # a backward step of more than 18 hours is a midnight wrap (no stage of a call lasts 6 hours)
BACK = -3_600       # one of 1 to 18 hours is neither a wrap nor the clocks' jitter or small errors
JITTER = 2          # seconds of clock offset between the VRU/queue and the agents' clocks
MIDNIGHT = "0:00:00"

# Reasons in the data-quality report.
BAD_FIELDS = "wrong number of tab-separated fields"
MALFORMED = "priority and type separated by spaces instead of a tab: split on the spaces"
PHANTOM = "PHANTOM call (the log's documentation says to ignore)"
VRU_HANG = "hung up in the VRU before queueing (not demand for agents)"
DUPLICATE = "duplicate (vru+line, call_id): the first kept"
NO_SERVICE_START = "served call (AGENT) without a service start (ser_start 0:00:00 and ser_time 0)"
STAMPS_BACKWARDS = "a time stamp 1 to 18 hours before the one it follows (neither a midnight wrap nor clock jitter)"
SERVICE_BACKWARDS = "service ends before it starts (ser_exit < ser_start after the midnight rule)"
QUEUE_BACKWARDS = "abandoned call leaves the queue before joining it (q_exit < q_start after the midnight rule)"
NO_SERVER = "served call without an agent name (NO_SERVER): agent left missing"
JITTER_START = "service start 1-2 s before the call asked for an agent (clock jitter): started_at set to created_at"
JITTER_END = "service end 1-2 s before the call asked for an agent (clock jitter): ended_at set to created_at"
EARLY_START = ("service start more than 2 s before the call asked for an agent (VRU exit recorded late): "
               "created_at moved back to the service start")
NEGATIVE_VRU = "negative vru_time (vru_exit before vru_entry on the same day): vru_entry_at set to vru_exit"
VRU_AFTER_START = "service start before vru_entry: vru_entry_at set to the service start"
ZERO_SERVICE = "zero-length service (AGENT with ser_time 0): kept"
UNRECORDED_PRIORITY = ("customer priority 0 on a call that did not queue: not recorded (the log's documented bug), "
                       "priority left empty")
MAX_ROW_CHARS = 1_000  # a call row is about 100 characters: a longer one carries a field no call log has
HANG_SERVER = "abandoned call (HANG) with an agent name: the name dropped (nobody served the caller)"
HANG_SERVICE = "HANG after queueing with service stamps but no agent: abandoned at q_exit, service stamps ignored"


def import_callcentre(path: str | Path) -> ImportResult:
    """Read a call-by-call log in the "Anonymous Bank" layout (tab-separated text, optionally gzip-compressed).

    Raises :class:`ServsimError` naming the file when it is missing, not text, empty, or lacks columns.
    """
    path = Path(path)
    quality = DataQuality(source=str(path))
    raw = _read_rows(path, quality)
    calls, vru_hangups = _clean(raw, quality)
    tickets, events = _tables(calls, quality)
    if tickets.empty:
        dropped = "; ".join(f"{n:,} {reason}" for reason, n in quality.dropped.most_common())
        raise ServsimError(f"{path}: no call asked for an agent: of its {quality.rows_read:,} rows, {dropped}")
    quality.tickets = len(tickets)
    quality.censored = 0  # a call log has no call still open at its end
    times = [tickets[c] for c in ("created_at", "vru_entry_at", "first_response_at", "resolved_at", "closed_at",
                                  "abandoned_at")]
    export_end = pd.concat(times).max() if len(tickets) else pd.NaT
    return ImportResult(tickets=tickets, events=events, quality=quality, export_end=pd.Timestamp(export_end),
                        kind="calls", vru_hangups=vru_hangups)  # its events carry real service starts and ends


def _read_text(path: Path) -> str:
    data = read_data(path, "call log")  # a regular file, decompressed within the size cap
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ServsimError(f"{path}: not a text call log: byte {data[exc.start]:#04x} at offset {exc.start} is not "
                           f"UTF-8/ASCII; expected tab-separated text with the header: {' '.join(HEADER)}") from None
    if "\x00" in text:
        raise ServsimError(f"{path}: not a text call log: it holds NUL bytes (binary data); expected tab-separated "
                           f"text with the header: {' '.join(HEADER)}")
    return text.removeprefix("\ufeff")


def _read_rows(path: Path, quality: DataQuality) -> pd.DataFrame:
    """The rows as strings under the header's names; malformed rows repaired or dropped (counted)."""
    lines = _read_text(path).splitlines()
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        raise ServsimError(f"{path}: empty file; expected a call log with the header: {' '.join(HEADER)}")
    header = [name.strip() for name in lines[0].split("\t")]
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise ServsimError(f"{path}: column(s) {twice} appear more than once in the header; expected the "
                           f"tab-separated header: {' '.join(HEADER)}")
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ServsimError(f"{path}: not a call-by-call log: column(s) {missing} are missing; expected the "
                           f"tab-separated header: {' '.join(HEADER)}; the file has {columns_excerpt(header)}")
    long = [k for k, line in enumerate(lines[1:]) if len(line) > MAX_ROW_CHARS]
    if long:  # a field of megabytes (an agent's name) would make every string operation after it huge
        quality.drop(f"row longer than {MAX_ROW_CHARS:,} characters (a call row has about 100)", len(long))
        lines = [lines[0], *(line for line in lines[1:] if len(line) <= MAX_ROW_CHARS)]
    body = pd.Series(lines[1:], dtype=STRING)
    body = body[body.str.strip() != ""]
    if body.empty:
        raise ServsimError(f"{path}: no call rows after the header")
    quality.rows_read = len(body)
    n_fields = body.str.count("\t") + 1
    wrong = (n_fields != len(header)).to_numpy(dtype=bool)
    if wrong.any():
        body = body.copy()
        p = header.index("priority")
        for i in body.index[wrong & (n_fields == len(header) - 1).to_numpy(dtype=bool)]:  # the few malformed rows
            fields = body[i].split("\t")
            match = re.fullmatch(r"\s*(\S+) +(\S+)\s*", fields[p])
            if match:
                fields[p:p + 1] = [match.group(1), match.group(2)]
                body[i] = "\t".join(fields)
                quality.repair(MALFORMED)
        wrong = (body.str.count("\t") + 1 != len(header)).to_numpy(dtype=bool)
        quality.drop(f"{BAD_FIELDS} (expected {len(header)})", wrong.sum())
        body = body[~wrong]
    if body.empty:
        raise ServsimError(f"{path}: none of its {quality.rows_read} rows has the {len(header)} tab-separated fields "
                           f"of its header ({' '.join(header)})")
    rows = pd.read_csv(io.StringIO("\n".join(body.tolist())), sep="\t", header=None, names=header, dtype=str,
                       quoting=csv.QUOTE_NONE, na_filter=False, engine="c")
    return pd.DataFrame({c: rows[c].astype(STRING).str.strip() for c in REQUIRED})


def _valid(values: pd.Series, pattern: str) -> pd.Series:
    """``values`` where they match ``pattern`` in full, else missing (as arrow strings: vectorised)."""
    values = values.astype(STRING)
    return values.where(values.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool))


def _number(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values).astype("float64")


def _clock(values: pd.Series) -> pd.Series:
    """``H:MM:SS`` -> seconds of the day (NaN when unparseable)."""
    values = _valid(values, r"([01]?\d|2[0-3]):[0-5]\d:[0-5]\d")
    return (_number(values.str.slice(0, -6)) * 3600 + _number(values.str.slice(-5, -3)) * 60
            + _number(values.str.slice(-2)))


def _day(values: pd.Series) -> pd.Series:
    """``YYMMDD`` -> the date (19YY for YY >= 50, else 20YY; NaT when unparseable)."""
    values = _valid(values, r"\d{6}")
    yy = _number(values.str.slice(0, 2))
    parts = {"year": np.where(yy >= 50, 1900, 2000) + yy, "month": _number(values.str.slice(2, 4)),
             "day": _number(values.str.slice(4, 6))}
    return pd.to_datetime(pd.DataFrame(parts, index=values.index), errors="coerce")


def _integer(values: pd.Series) -> pd.Series:
    """Whole numbers (NaN when not one)."""
    return _number(_valid(values, r"-?\d+"))


def _clean(raw: pd.DataFrame, quality: DataQuality) -> tuple[pd.DataFrame, pd.Series]:
    """Parsed, dated and checked calls that asked for an agent, every drop counted; and when the callers who hung
    up in the VRU did so."""
    phantom = (raw["outcome"] == "PHANTOM").to_numpy(dtype=bool)
    quality.drop(PHANTOM, phantom.sum())
    rows = raw[~phantom]
    unknown = ~rows["outcome"].isin(OUTCOMES).to_numpy(dtype=bool)
    for value, n in rows.loc[unknown, "outcome"].value_counts().items():
        quality.drop(f"unknown outcome {value!r} (expected AGENT, HANG or PHANTOM)", n)
    rows = rows[~unknown]

    calls = pd.DataFrame({"ticket_id": (rows["vru+line"] + "/" + rows["call_id"]).astype(str),
                          "type": rows["type"].astype(str).replace("", np.nan), "outcome": rows["outcome"].astype(str),
                          "server": rows["server"].astype(str)}, index=rows.index)
    parsed = [("vru+line", rows["vru+line"].where(rows["vru+line"] != ""), "missing vru+line"),
              ("call_id", rows["call_id"].where(rows["call_id"] != ""), "missing call_id"),
              ("date", _day(rows["date"]), "unparseable date (expected YYMMDD)"),
              ("priority", _integer(rows["priority"]).where(rows["priority"].isin(["0", "1", "2"])),
               "priority not 0, 1 or 2")]
    parsed += [(c, _clock(rows[c]), f"unparseable {c} (expected H:MM:SS)") for c in STAMPS]
    parsed += [(c, _integer(rows[c]), f"unparseable {c} (expected whole seconds)") for c in DURATIONS]
    bad = np.zeros(len(rows), dtype=bool)
    for column, values, reason in parsed:
        failed = ~bad & values.isna().to_numpy(dtype=bool)
        quality.drop(reason, failed.sum())
        bad |= failed
        if column not in ("vru+line", "call_id"):
            calls[column] = values
    calls = calls[~bad]
    duplicate = calls["ticket_id"].duplicated()
    quality.drop(DUPLICATE, duplicate.sum())
    calls = calls[~duplicate]
    for column in ("q_time", "ser_time"):
        negative = calls[column] < 0
        quality.drop(f"negative {column}", negative.sum())
        calls = calls[~negative]
    calls = calls.copy()
    raw = raw.loc[calls.index].astype(str)

    # "0:00:00" = stage not reached (see the module's docstring), then the stamps in order with midnight wraps
    raw_q = raw[["q_start", "q_exit"]]
    raw_s = raw[["ser_start", "ser_exit"]]
    no_queue = (raw_q == MIDNIGHT).all(axis=1) & (calls["q_time"] == 0) & (raw["vru_exit"] != MIDNIGHT)
    before_service = calls["q_exit"].where(~no_queue, calls["vru_exit"])
    at_midnight = (before_service >= DAY - JITTER) | (before_service <= JITTER)
    served = calls["outcome"] == "AGENT"
    no_service = ~served | ((raw_s == MIDNIGHT).all(axis=1) & (calls["ser_time"] == 0) & ~at_midnight)
    calls.loc[no_queue, ["q_start", "q_exit"]] = np.nan
    hang_service = ~served & ~no_queue & ~(raw_s == MIDNIGHT).all(axis=1)
    calls.loc[no_service, ["ser_start", "ser_exit"]] = np.nan

    vru_hang = (calls["outcome"] == "HANG") & no_queue
    quality.drop(VRU_HANG, vru_hang.sum())
    hung = calls[vru_hang]  # when they hung up: the VRU exit, a day on where its clock wrapped past midnight
    seconds = hung["vru_exit"] + DAY * (hung["vru_exit"] < hung["vru_entry"]).astype(int)
    vru_hangups = pd.Series(hung["date"].to_numpy(dtype="datetime64[ns]") + pd.to_timedelta(seconds, unit="s")
                            .to_numpy(), name="hung_up_at").sort_values(ignore_index=True)
    started = served & no_service
    quality.drop(NO_SERVICE_START, started.sum())
    keep = ~vru_hang & ~started
    calls, hang_service = calls[keep].copy(), hang_service[keep]
    quality.repair(HANG_SERVICE, hang_service.sum())

    days = pd.Series(0, index=calls.index)
    contradicts = pd.Series(False, index=calls.index)
    previous = calls[STAMPS[0]].copy()
    midnight = calls["date"].to_numpy(dtype="datetime64[ns]")
    for column in STAMPS:
        clock = calls[column]
        step = clock - previous
        days += (step < WRAP).astype(int) - (step > DAY + BACK).astype(int)  # wraps, and jitter back over midnight
        contradicts |= (step >= WRAP) & (step < BACK)
        seconds = (clock + days * DAY).to_numpy()
        calls[column + "_at"] = midnight + pd.to_timedelta(seconds, unit="s").to_numpy()
        previous = clock.fillna(previous)

    quality.drop(STAMPS_BACKWARDS, contradicts.sum())
    calls = calls[~contradicts]
    served = calls["outcome"] == "AGENT"
    backwards = served & (calls["ser_exit_at"] < calls["ser_start_at"])
    quality.drop(SERVICE_BACKWARDS, backwards.sum())
    left = ~served & (calls["q_exit_at"] < calls["q_start_at"])
    quality.drop(QUEUE_BACKWARDS, left.sum())
    return calls[~backwards & ~left].copy(), vru_hangups


def _tables(calls: pd.DataFrame, quality: DataQuality) -> tuple[pd.DataFrame, pd.DataFrame]:
    served = (calls["outcome"] == "AGENT").to_numpy()
    queued = calls["q_start_at"].notna().to_numpy()
    created = calls["q_start_at"].where(queued, calls["vru_exit_at"])
    start = calls["ser_start_at"]
    end = calls["ser_exit_at"]

    early = start < created  # only served calls have a service start
    jitter = early & (created - start <= pd.Timedelta(seconds=JITTER))
    quality.repair(JITTER_START, jitter.sum())
    start = start.mask(jitter, created)
    end_jitter = jitter & (end < created)
    quality.repair(JITTER_END, end_jitter.sum())
    end = end.mask(end_jitter, created)
    moved = early & ~jitter
    quality.repair(EARLY_START, moved.sum())
    created = created.mask(moved, start)

    vru_entry = calls["vru_entry_at"]
    negative_vru = calls["vru_time"] < 0
    quality.repair(NEGATIVE_VRU, negative_vru.sum())
    vru_entry = vru_entry.mask(negative_vru, calls["vru_exit_at"])
    inside = vru_entry > created  # a service moved back to before the VRU entry
    quality.repair(VRU_AFTER_START, inside.sum())
    vru_entry = vru_entry.mask(inside, created)

    server = calls["server"].where(~calls["server"].isin(["NO_SERVER", ""]))
    quality.repair(NO_SERVER, (served & server.isna()).sum())
    named = ~served & server.notna()  # nobody served the caller who hung up: the name is no agent's work
    quality.repair(HANG_SERVER, named.sum())
    server = server.mask(named)
    zero = served & (calls["ser_time"] == 0) & (calls["ser_exit_at"] == calls["ser_start_at"])
    quality.repair(ZERO_SERVICE, zero.sum())
    for stage in ("q", "ser"):
        span = (calls[f"{stage}_exit_at"] - calls[f"{stage}_start_at"]).dt.total_seconds()
        differs = (span != calls[f"{stage}_time"]) & span.notna()
        quality.repair(f"{stage}_time disagrees with {stage}_exit - {stage}_start: the time stamps used",
                       differs.sum())

    abandoned = calls["q_exit_at"].where(~served)
    unrecorded = (calls["priority"] == 0) & (calls["q_time"] == 0)
    quality.repair(UNRECORDED_PRIORITY, unrecorded.sum())
    tickets = pd.DataFrame({
        "ticket_id": calls["ticket_id"].astype(str),
        "created_at": created,
        "channel": "phone",
        "category": calls["type"],
        "priority": np.where(unrecorded, None, np.where(calls["priority"] == 2, "high", "regular")),
        "tier": pd.NA,
        "region": pd.NA,
        "first_response_at": start,
        "resolved_at": end,
        "closed_at": end,
        "abandoned_at": abandoned,
        "n_escalations": np.zeros(len(calls), dtype=np.int64),
        "n_reopens": np.zeros(len(calls), dtype=np.int64),
        "final_stage": np.where(served, "service", "queue"),
        "vru_entry_at": vru_entry,
        "customer_priority": calls["priority"].astype(np.int64),
        "server": server,
    })
    for column in ("created_at", "first_response_at", "resolved_at", "closed_at", "abandoned_at", "vru_entry_at"):
        tickets[column] = tickets[column].astype(TIME_UNIT)
    for column in ("channel", "category", "priority", "tier", "region", "final_stage", "server"):
        tickets[column] = tickets[column].astype("category")
    tickets = tickets[[*TICKET_COLUMNS, *EXTRA_COLUMNS]].sort_values(["created_at", "ticket_id"], kind="stable",
                                                                     ignore_index=True)
    events = pd.DataFrame({
        "ticket_id": tickets["ticket_id"],
        "activity": pd.Categorical(["service"] * len(tickets)),
        "pool": pd.Categorical(["agents"] * len(tickets)),
        "resource": tickets["server"],
        "enqueued_at": tickets["created_at"],
        "started_at": tickets["first_response_at"],
        "ended_at": tickets["resolved_at"].fillna(tickets["abandoned_at"]),
    })
    return tickets, events[EVENT_COLUMNS]
