"""ServiceNow incident audit-trail exports (one row per update of an incident) -> the canonical ticket log.

Each row is a snapshot of an incident's state after an update. A ticket is an incident
(``number``); an activity is a stretch of consecutive snapshots with the same state,
assignment group and assignee, from the update that began it to the update that ended it.

Choices, stated because the export does not record them directly:

- ``created_at`` is ``opened_at``; ``resolved_at`` and ``closed_at`` are the incident's last values
  (an incident closed without a ``resolved_at`` is taken as resolved when closed, and counted).
- ``first_response_at`` is the first update that moved the incident out of ``New``
  (ServiceNow exports carry no first-reply time).
- ``n_escalations`` is the incident's largest ``reassignment_count``; ``n_reopens`` its largest
  ``reopen_count``; ``final_stage`` the assignment group of its last snapshot.
- Rows whose state is not a known ServiceNow state (e.g. ``-100``) are dropped and counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ServsimError
from ...files import columns_excerpt, read_table
from ...log import EVENT_COLUMNS, TICKET_COLUMNS
from .quality import DataQuality, ImportResult

STATES = {
    "New": "new", "Active": "handling", "Awaiting User Info": "wait_customer", "Awaiting Vendor": "wait_vendor",
    "Awaiting Problem": "wait_problem", "Awaiting Evidence": "wait_evidence", "Resolved": "resolved",
    "Closed": "closed",
}
PRIORITIES = {"1 - Critical": "P1", "2 - High": "P2", "3 - Moderate": "P3", "4 - Low": "P4"}
REQUIRED = ["number", "incident_state", "opened_at", "sys_updated_at", "sys_mod_count", "reassignment_count",
            "reopen_count", "priority", "assignment_group", "resolved_at", "closed_at"]
DATE_FORMAT = "%d/%m/%Y %H:%M"


def import_servicenow(path: str | Path, date_format: str = DATE_FORMAT) -> ImportResult:
    """Read a ServiceNow incident export (CSV, or a zip holding one CSV; ``?`` means missing).

    Parameters
    ----------
    date_format : strftime format of the date columns (the UCI export is day-first ``d/m/YYYY HH:MM``).
    """
    path = Path(path)
    raw = read_table(path, "ServiceNow incident export", na_values=["?"], low_memory=False, dtype=str)
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ServsimError(f"{path}: not a ServiceNow incident export: column(s) {missing} are missing; "
                           f"the file has {columns_excerpt(raw.columns)}")
    quality = DataQuality(source=str(path), rows_read=len(raw))
    rows = _clean_rows(raw, quality, date_format)
    tickets = _tickets(rows, quality)
    events = _events(rows)
    quality.tickets = len(tickets)
    quality.censored = int(tickets["resolved_at"].isna().sum())
    return ImportResult(tickets=tickets, events=events, quality=quality, export_end=rows["updated"].max())


def _clean_rows(raw: pd.DataFrame, quality: DataQuality, date_format: str) -> pd.DataFrame:
    rows = raw.drop_duplicates()
    quality.drop("exact duplicate row", len(raw) - len(rows))
    no_number = rows["number"].isna()
    quality.drop("no incident number", no_number.sum())
    rows = rows[~no_number]
    unknown = ~rows["incident_state"].isin(list(STATES))
    for state, n in rows.loc[unknown, "incident_state"].fillna("(missing)").value_counts().items():
        quality.drop(f"unknown incident_state {state!r}", n)
    rows = rows[~unknown].copy()
    for column, name in (("opened_at", "opened"), ("sys_updated_at", "updated"), ("resolved_at", "resolved"),
                         ("closed_at", "closed")):
        rows[name] = pd.to_datetime(rows[column], format=date_format, errors="coerce")
    for column, name in (("opened_at", "opened"), ("sys_updated_at", "updated")):
        bad = rows[name].isna()
        quality.drop(f"unparseable or missing {column} (expected {date_format})", bad.sum())
        rows = rows[~bad]
    for column, name in (("resolved_at", "resolved"), ("closed_at", "closed")):
        bad = rows[column].notna() & rows[name].isna()
        quality.repair(f"unparseable {column}: treated as missing", bad.sum())
    for column in ("sys_mod_count", "reassignment_count", "reopen_count"):
        rows[column] = pd.to_numeric(rows[column], errors="coerce").fillna(0).astype(int)
    return rows.sort_values(["number", "updated", "sys_mod_count"], kind="stable", ignore_index=True)


def _tickets(rows: pd.DataFrame, quality: DataQuality) -> pd.DataFrame:
    by = rows.groupby("number", sort=False)
    last = by.tail(1).set_index("number")
    first_rows = by.head(1).set_index("number")
    left_new = rows[rows["incident_state"] != "New"].groupby("number", sort=False)["updated"].min()
    created = first_rows["opened"]
    resolved = last["resolved"]
    closed = last["closed"]
    bad_resolved = resolved < created
    quality.repair("resolved_at before opened_at: resolution time set missing", bad_resolved.sum())
    resolved = resolved.mask(bad_resolved)
    closed_only = resolved.isna() & closed.notna() & ~bad_resolved
    quality.repair("closed without resolved_at: resolution taken as the closure time", closed_only.sum())
    resolved = resolved.mask(closed_only, closed)
    first_response = left_new.reindex(created.index)
    early = first_response < created
    quality.repair("first update before opened_at: first response set to opened_at", early.sum())
    first_response = first_response.mask(early, created)
    tickets = pd.DataFrame({
        "ticket_id": created.index.astype(str),
        "created_at": created.to_numpy(),
        "channel": last["contact_type"].to_numpy() if "contact_type" in last else pd.NA,
        "category": last["category"].to_numpy() if "category" in last else pd.NA,
        "priority": last["priority"].map(PRIORITIES).to_numpy(),
        "tier": pd.NA,
        "region": last["location"].to_numpy() if "location" in last else pd.NA,
        "first_response_at": first_response.to_numpy(),
        "resolved_at": resolved.to_numpy(),
        "closed_at": closed.to_numpy(),
        "abandoned_at": pd.NaT,
        "n_escalations": by["reassignment_count"].max().to_numpy(),
        "n_reopens": by["reopen_count"].max().to_numpy(),
        "final_stage": last["assignment_group"].to_numpy(),
    })
    unmapped = tickets["priority"].isna().sum()
    quality.repair("priority not one of '1 - Critical'..'4 - Low': left missing", unmapped)
    for column in ("channel", "category", "priority", "tier", "region", "final_stage"):
        tickets[column] = tickets[column].astype("category")
    return tickets[TICKET_COLUMNS].sort_values("created_at", kind="stable", ignore_index=True)


def _events(rows: pd.DataFrame) -> pd.DataFrame:
    """Stretches of consecutive snapshots with the same state, group and assignee, as activities."""
    stage = rows["incident_state"].map(STATES)
    group = rows["assignment_group"].fillna("")
    person = rows["assigned_to"].fillna("") if "assigned_to" in rows else pd.Series("", index=rows.index)
    number = rows["number"]
    new_case = number.ne(number.shift())
    changed = new_case | stage.ne(stage.shift()) | group.ne(group.shift()) | person.ne(person.shift())
    block = changed.cumsum()
    next_update = rows.groupby("number", sort=False)["updated"].shift(-1)
    frame = pd.DataFrame({"number": number, "stage": stage, "group": group, "person": person, "block": block,
                          "start": rows["updated"], "end": next_update,
                          "n_escalations": rows["reassignment_count"], "n_reopens": rows["reopen_count"]})
    first = frame.groupby("block", sort=False).first()
    last_end = frame.groupby("block", sort=False)["end"].last()
    counts = frame.groupby("block", sort=False)[["n_escalations", "n_reopens"]].max()
    events = pd.DataFrame({
        "ticket_id": first["number"].astype(str).to_numpy(),
        "activity": first["stage"].to_numpy(),
        "pool": first["group"].replace("", np.nan).to_numpy(),
        "resource": first["person"].replace("", np.nan).to_numpy(),
        "enqueued_at": first["start"].to_numpy(),
        "started_at": pd.NaT,
        "ended_at": last_end.to_numpy(),
        # the incident's counts once the activity ended: what a cut-off then knew (ImportResult.as_of)
        "n_escalations": counts["n_escalations"].to_numpy(), "n_reopens": counts["n_reopens"].to_numpy(),
    })
    # the closed state is where an incident ends, not an activity
    events = events[events["activity"] != "closed"].reset_index(drop=True)
    for column in ("activity", "pool", "resource"):
        events[column] = events[column].astype("category")
    events["started_at"] = events["started_at"].astype("datetime64[ns]")
    return events[[*EVENT_COLUMNS, "n_escalations", "n_reopens"]]
