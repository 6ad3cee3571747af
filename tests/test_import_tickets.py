"""Importers of ticket tables: the generic/Zendesk mapping and ServiceNow audit exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import servsim
from helpers import ROOT
from servsim.calibration.importers.servicenow import import_servicenow
from servsim.calibration.importers.tickets import import_tickets, load_ticket_mapping
from servsim.errors import ServsimError
from servsim.log import TICKET_COLUMNS

DATA = ROOT.parent / "shared" / "data"
SERVICENOW = DATA / "servicenow_uci" / "incident_event_log.zip"
ZENDESK = ROOT / "calibration" / "presets" / "zendesk.yaml"


def zendesk_export(tmp_path: Path) -> Path:
    """A Zendesk-shaped export made from a simulated log, plus rows with known defects."""
    t = servsim.simulate(servsim.load_scenario(ROOT / "scenarios" / "baseline.yaml"), seed=2).tickets.head(300)
    frame = pd.DataFrame({
        "Ticket ID": t.ticket_id.astype(str),
        "Ticket created - Timestamp": t.created_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "First reply time (min)": ((t.first_response_at - t.created_at).dt.total_seconds() / 60).round(3),
        "Ticket solved - Timestamp": t.resolved_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Ticket closed - Timestamp": t.closed_at.dt.strftime("%Y-%m-%d %H:%M:%S"),
        "Ticket channel": t.channel.astype(str), "Ticket form": t.category.astype(str),
        "Ticket priority": t.priority.map({"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}),
        "Ticket group": t.final_stage.astype(str), "Group stations": t.n_escalations + 1,
        "Reopens": t.n_reopens, "Ticket status": "solved",
    })
    defects = frame.iloc[:4].copy()
    defects.iloc[0, 0] = "x-baddate"
    defects.iloc[0, 1] = "not a date"                     # unparseable creation time
    defects.iloc[1, 0] = None                             # no ticket id
    defects.iloc[2, 11] = "deleted"                       # a deleted ticket
    defects.iloc[2, 0] = "x-deleted"
    defects.iloc[3, 0] = "x-early"
    defects.iloc[3, 3] = "2020-01-01 00:00:00"            # solved before it was created
    out = pd.concat([frame, frame.iloc[:2], defects])    # two exact duplicates too
    path = tmp_path / "zendesk.csv"
    out.to_csv(path, index=False)
    return path


def test_zendesk_preset_reads_its_export_and_counts_every_defect(tmp_path):
    result = import_tickets(zendesk_export(tmp_path), load_ticket_mapping(ZENDESK))
    q = result.quality
    assert q.rows_read == 306
    assert q.dropped == {"exact duplicate row": 2, "no ticket id": 1, "status 'deleted' (drop_statuses)": 1,
                         "unparseable, out-of-range or missing 'Ticket created - Timestamp'": 1}
    assert q.repaired["resolution before creation: set missing"] == 1
    assert q.tickets == 301 == q.rows_read - sum(q.dropped.values())
    t = result.tickets
    assert list(t.columns) == TICKET_COLUMNS
    assert set(t.priority.dropna()) <= {"P1", "P2", "P3", "P4"}
    ok = t.first_response_at.notna()
    assert (t.first_response_at[ok] >= t.created_at[ok]).all()
    assert (t.n_escalations >= 0).all()


def test_mapping_errors_name_file_key_and_columns(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns: {ticket_id: id, created_at: created, prio: p}\n")
    with pytest.raises(ServsimError, match=r"bad\.yaml: invalid ticket mapping: columns\.prio: Extra inputs"):
        load_ticket_mapping(bad)
    csv = tmp_path / "t.csv"
    csv.write_text("id,opened\n1,2026-01-01 10:00\n")
    mapping = load_ticket_mapping(ZENDESK)
    with pytest.raises(ServsimError, match=r"zendesk\.yaml: columns\.ticket_id: column 'Ticket ID' is not in t\.csv; "
                                           r"its columns are: id, opened"):
        import_tickets(csv, mapping, mapping_source="zendesk.yaml")


@pytest.fixture(scope="module")
def servicenow():
    if not SERVICENOW.exists():
        pytest.skip(f"the real ServiceNow log is not here ({SERVICENOW}); it ships beside the repository, not in it")
    return import_servicenow(SERVICENOW)


def test_servicenow_export_is_mapped_with_nothing_lost(servicenow):
    q = servicenow.quality
    assert q.rows_read == 141_712 and q.tickets == 24_918
    assert q.dropped == {"unknown incident_state '-100'": 5}
    assert q.repaired["closed without resolved_at: resolution taken as the closure time"] == 1_556
    t = servicenow.tickets
    assert list(t.columns) == TICKET_COLUMNS and t.ticket_id.is_unique
    assert (t.resolved_at >= t.created_at).all()
    assert (t.first_response_at >= t.created_at).all()
    assert t.priority.value_counts().to_dict() == {"P3": 23_466, "P4": 774, "P2": 408, "P1": 270}
    assert (t.n_escalations > 0).sum() == 11_369 and (t.n_reopens > 0).sum() == 275
    e = servicenow.events
    assert set(e.ticket_id) == set(t.ticket_id)
    assert (e.ended_at.dropna() >= e.enqueued_at[e.ended_at.notna()]).all()
    assert {"new", "handling", "wait_customer", "resolved"} <= set(e.activity.astype(str))


def test_servicenow_missing_columns_are_explained(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("number,incident_state\nINC1,New\n")
    with pytest.raises(ServsimError, match=r"export\.csv: not a ServiceNow incident export: column\(s\) \['opened_at'"):
        import_servicenow(path)


def test_times_and_counts_that_are_none_are_counted_not_silently_lost(tmp_path):
    """A resolution that is no date (or a year 2999 no clock can hold), a count that is no count and an abandonment
    before creation are each counted in the data-quality report; a creation time that is none drops the row."""
    path = tmp_path / "odd.csv"
    header = ("ticket_id,created_at,channel,category,priority,tier,region,first_response_at,resolved_at,closed_at,"
              "abandoned_at,n_escalations,n_reopens,final_stage\n")
    rows = ["1,2026-01-05 08:00:00,web,software,P3,standard,north,,not a date,,,0,0,l1\n",
            "2,2026-01-05 09:00:00,web,software,P3,standard,north,,2999-01-05 10:00:00,,,many,-3,l1\n",
            "3,2999-01-05 09:00:00,web,software,P3,standard,north,,,,,0,0,l1\n",
            "4,2026-01-05 10:00:00,phone,software,P3,standard,north,,,,2026-01-05 09:00:00,1,0,l1\n"]
    path.write_text(header + "".join(rows))
    result = import_tickets(path, load_ticket_mapping(ROOT / "calibration" / "presets" / "servsim-tickets.yaml"))
    q = result.quality
    assert q.dropped == {"unparseable, out-of-range or missing 'created_at'": 1}
    assert q.repaired == {"unparseable or out-of-range time in 'resolved_at' (years 1678-2261): set missing": 2,
                          "'n_escalations' not a count (a whole number from 0 up): set 0": 1,
                          "'n_reopens' not a count (a whole number from 0 up): set 0": 1,
                          "abandonment before creation: set missing": 1}
    assert result.tickets["resolved_at"].isna().all() and result.tickets["abandoned_at"].isna().all()
    assert list(result.tickets["n_escalations"]) == [0, 0, 1]
