"""Generic event-log import: known answers on a synthetic log, the real Helpdesk log, error messages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from servsim.calibration.importers import events as ev
from servsim.calibration.importers.events import EventMapping, MappingError, import_events, load_event_mapping
from servsim.errors import ServsimError
from servsim.log import EVENT_COLUMNS, TICKET_COLUMNS, check_schema

REPO = Path(__file__).resolve().parents[1]
PRESET = REPO / "calibration" / "presets" / "helpdesk-events.yaml"
HELPDESK = Path(__file__).resolve().parents[2] / "shared" / "data" / "helpdesk" / "helpdesk.csv.gz"

MAPPING = """\
columns: {case: case, activity: act, timestamp: time, resource: who, team: team, priority: prio}
timestamp_format: "%d.%m.%Y %H:%M"
activities:
  first_response: Reply
  escalation: [Escalate]
  wait_customer: [Wait]
  resolution: [Resolve]
  closure: [Close]
  reopen: [Reopen]
priority_map: {1: P1, 2: P2}
stage_of_activity: {Reply: l1, Escalate: l2}
"""

# Case A: reopened by work after its first resolution, escalated twice; its 12:00 row comes after the 13:00
# row in the file (out of order), one row is an exact duplicate and one has an unparseable time.
# Case B stays open (censored). Case C is reopened explicitly. Case E is closed without a resolution.
LOG = """\
case,act,time,who,team,prio
A,Open,01.03.2024 08:00,ann,front,1
A,Reply,01.03.2024 08:30,ann,front,
A,Escalate,01.03.2024 09:00,ann,front,
A,Escalate,01.03.2024 09:00,ann,front,
A,Note,yesterday-ish,ann,front,
A,Resolve,01.03.2024 10:00,bob,back,
A,Reply,01.03.2024 11:00,ann,front,
A,Resolve,01.03.2024 13:00,bob,back,
A,Escalate,01.03.2024 12:00,ann,front,
A,Close,01.03.2024 14:00,ann,front,
B,Open,01.03.2024 09:00,cid,front,2
B,Reply,01.03.2024 09:45,cid,front,2
B,Wait,01.03.2024 10:00,cid,front,2
,Reply,01.03.2024 10:00,cid,front,2
C,Open,02.03.2024 09:00,ann,front,2
C,Reply,02.03.2024 09:10,ann,front,
C,Resolve,02.03.2024 10:00,ann,front,
C,Reopen,02.03.2024 11:00,ann,front,
C,Reply,02.03.2024 11:10,ann,front,
C,Resolve,02.03.2024 12:00,ann,front,
C,Close,02.03.2024 12:30,ann,front,
E,Open,03.03.2024 09:00,ann,front,9
E,Close,03.03.2024 09:30,ann,front,9
"""


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"2024-03-0{text}")


@pytest.fixture
def synthetic(tmp_path: Path):
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    result = import_events(tmp_path / "log.csv", tmp_path / "mapping.yaml")
    return result, result.tickets.set_index("ticket_id")


def test_synthetic_ticket_times_and_counts(synthetic):
    result, t = synthetic
    check_schema(result.tickets, result.events, "synthetic log")
    assert list(t.index) == ["A", "B", "C", "E"]  # in order of creation
    assert t.loc["A", "created_at"] == at("1 08:00")
    assert t.loc["A", "first_response_at"] == at("1 08:30")
    assert t.loc["A", "resolved_at"] == at("1 13:00")  # the last resolution, after the reopen
    assert t.loc["A", "closed_at"] == at("1 14:00")
    assert t.loc["A", ["n_escalations", "n_reopens"]].tolist() == [2, 1]  # the duplicate escalation is gone
    assert t.loc["C", ["resolved_at", "n_reopens", "n_escalations"]].tolist() == [at("2 12:00"), 1, 0]
    assert pd.isna(t.loc["B", "resolved_at"]) and t.loc["B", "first_response_at"] == at("1 09:45")
    assert t.loc["E", "resolved_at"] == t.loc["E", "closed_at"] == at("3 09:30")
    assert [None if pd.isna(p) else p for p in t["priority"]] == ["P1", "P2", "P2", None]
    assert t["final_stage"].astype(str).tolist() == ["Close", "Wait", "Close", "Close"]
    assert t["abandoned_at"].isna().all() and t["channel"].isna().all()
    assert result.export_end == at("3 09:30")


def test_synthetic_quality_report(synthetic):
    result, _ = synthetic
    q = result.quality
    assert q.rows_read == 23 and q.tickets == 4 and q.censored == 1
    assert dict(q.dropped) == {ev.MISSING_CASE: 1, ev.BAD_TIME: 1, ev.DUPLICATE: 1}
    assert dict(q.repaired) == {ev.OUT_OF_ORDER: 1, ev.CLOSED_UNRESOLVED: 1, f"{ev.UNMAPPED_PRIORITY}: ['9']": 1}
    assert sum(q.dropped.values()) + len(result.events) == q.rows_read
    assert "exact duplicate row" in q.to_text()


def test_synthetic_events_table(synthetic):
    result, _ = synthetic
    a = result.events[result.events["ticket_id"] == "A"]
    assert list(result.events.columns[:len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    assert a["ended_at"].is_monotonic_increasing and len(a) == 8
    assert a["activity"].astype(str).tolist() == ["Open", "l1", "l2", "Resolve", "l1", "l2", "Resolve", "Close"]
    assert a["pool"].astype(str).tolist()[3] == "back" and a["resource"].astype(str).tolist()[3] == "bob"
    assert (a["enqueued_at"].iloc[1:].to_numpy() == a["ended_at"].iloc[:-1].to_numpy()).all()
    assert a["enqueued_at"].iloc[0] == at("1 08:00") and a["started_at"].isna().all()


def test_start_column_gives_created_and_started(tmp_path: Path):
    (tmp_path / "log.csv").write_text("id,what,end,begin\n1,Fix,2024-03-01 10:00,2024-03-01 09:00\n"
                                      "1,Done,2024-03-01 11:00,2024-03-01 12:00\n", encoding="utf-8")
    mapping = EventMapping(columns={"case": "id", "activity": "what", "timestamp": "end", "start": "begin"},
                           activities={"resolution": ["Done"]})
    result = import_events(tmp_path / "log.csv", mapping)
    assert result.tickets["created_at"].iloc[0] == pd.Timestamp("2024-03-01 09:00")
    assert result.events["started_at"].tolist()[0] == pd.Timestamp("2024-03-01 09:00")
    assert pd.isna(result.events["started_at"].iloc[1])  # starts after its completion: not believed
    assert dict(result.quality.repaired) == {ev.START_AFTER_END: 1}


def test_unknown_mapping_key_is_named_with_a_suggestion(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text(MAPPING.replace("prio}", "prio, priorty: prio}"), encoding="utf-8")
    expected = "bad.yaml: columns.priorty: unknown key; did you mean 'priority'?"
    with pytest.raises(MappingError, match=re.escape(expected)):
        load_event_mapping(path)
    path.write_text(MAPPING.replace("activities:", "activites:"), encoding="utf-8")
    with pytest.raises(ServsimError, match=re.escape("bad.yaml: activites: unknown key; did you mean 'activities'?")):
        load_event_mapping(path)


def test_missing_column_names_mapping_key_and_lists_the_files_columns(tmp_path: Path):
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("timestamp: time", "timestamp: When"), encoding="utf-8")
    (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    expected = ("mapping.yaml: column(s) not in log.csv: columns.timestamp: 'When'. "
                "The file's columns: case, act, time, who, team, prio")
    with pytest.raises(MappingError, match=re.escape(expected)):
        import_events(tmp_path / "log.csv", tmp_path / "mapping.yaml")


def test_misspelt_activity_name_warns(tmp_path: Path):
    (tmp_path / "mapping.yaml").write_text(MAPPING.replace("[Resolve]", "[Resolv]"), encoding="utf-8")
    (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    with pytest.warns(UserWarning, match="activities.resolution: activity 'Resolv' never occurs in log.csv; "
                                         "did you mean 'Resolve'?"):
        import_events(tmp_path / "log.csv", tmp_path / "mapping.yaml")


@pytest.fixture(scope="module")
def helpdesk():
    if not HELPDESK.exists():
        pytest.skip(f"the Helpdesk event log is not available at {HELPDESK}")
    return import_events(HELPDESK, PRESET)


@pytest.mark.filterwarnings("error")  # every activity named in the preset occurs in the log
def test_helpdesk_log(helpdesk):
    t, e, q = helpdesk.tickets, helpdesk.events, helpdesk.quality
    assert list(t.columns) == TICKET_COLUMNS + ["service_type", "section"]  # the preset's further attributes
    assert list(e.columns[:len(EVENT_COLUMNS)]) == EVENT_COLUMNS
    assert t["section"].value_counts().iloc[0] == 4_405 and t["service_type"].nunique() == 3
    assert q.rows_read == 21_348 and q.tickets == len(t) == 4_580 == t["ticket_id"].nunique()
    assert sum(q.dropped.values()) + len(e) == q.rows_read
    assert q.censored == t["resolved_at"].isna().sum() > 0
    assert set(t["priority"].dropna()) == {"P1", "P2", "P3", "P4"}
    for earlier, later in [("created_at", "first_response_at"), ("first_response_at", "resolved_at"),
                           ("created_at", "resolved_at"), ("resolved_at", "closed_at")]:
        both = t[earlier].notna() & t[later].notna()
        assert (t.loc[both, earlier] <= t.loc[both, later]).all(), (earlier, later)
    assert (e["enqueued_at"] <= e["ended_at"]).all()
    assert helpdesk.export_end == e["ended_at"].max()


def test_unnamed_reopenings_and_offsets_are_counted_and_a_log_without_usable_rows_is_an_error(tmp_path: Path):
    # a quality check the mapping forgot, logged after the resolution, reopens the ticket as work would: counted
    (tmp_path / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "log.csv").write_text(LOG + "C,QualityCheck,02.03.2024 13:00,ann,front,\n", encoding="utf-8")
    result = import_events(tmp_path / "log.csv", tmp_path / "mapping.yaml")
    assert result.quality.repaired[
        "reopened by 'QualityCheck' after its resolution: an activity named nowhere in the mapping is taken as work "
        "(name it under activities if it means something else)"] == 1
    assert pd.isna(result.tickets.set_index("ticket_id").loc["C", "resolved_at"])  # reopened: open again
    # UTC offsets: dropped and counted, the wall-clock time kept (as the ticket importer does)
    (tmp_path / "tz.csv").write_text(LOG.replace("01.03.2024 08:00,", "01.03.2024 08:00+01:00,")
                                     .replace("02.03.2024 09:00,", "02.03.2024 09:00Z,"), encoding="utf-8")
    zoned = import_events(tmp_path / "tz.csv", tmp_path / "mapping.yaml")
    assert zoned.quality.repaired["time-zone offset in 'time' dropped (the wall-clock time as written is kept)"] == 2
    assert zoned.tickets.set_index("ticket_id").loc["A", "created_at"] == pd.Timestamp("2024-03-01 08:00")
    # every time in another format than the mapping's: the import names the column, an example and the format
    (tmp_path / "iso.csv").write_text("case,act,time,who,team,prio\nA,Open,2024-03-01T08:00:00Z,ann,front,1\n",
                                      encoding="utf-8")
    with pytest.raises(MappingError, match=r"iso\.csv: none of its 1 rows is usable \(1 unparseable timestamp\); "
                                           r"e\.g\. time = '2024-03-01T08:00:00Z' against timestamp_format "
                                           r"'%d\.%m\.%Y %H:%M'"):
        import_events(tmp_path / "iso.csv", tmp_path / "mapping.yaml")
