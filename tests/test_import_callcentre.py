"""Importer of call-by-call call-centre logs ("Anonymous Bank" layout): synthetic quirks and the real 1999 log."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from helpers import ROOT
from servsim.calibration.importers import callcentre as cc
from servsim.calibration.importers.callcentre import import_callcentre
from servsim.calibration.importers.load import import_log
from servsim.errors import ServsimError
from servsim.log import EVENT_COLUMNS, TICKET_COLUMNS, check_schema

OCTOBER = ROOT.parent / "shared" / "data" / "callcentre" / "anonbank_october_1999.txt.gz"
HEADER = "\t".join(cc.HEADER)
T = pd.Timestamp
NAT = pd.NaT
ZERO = "0:00:00"

# vru+line, call_id, customer_id, priority, type, date, vru_entry, vru_exit, vru_time, q_start, q_exit, q_time,
# outcome, ser_start, ser_exit, ser_time, server
ROWS = [
    # 1. queued and served; service starts 1 s before the queue exit (after q_start: nothing to repair)
    ("AA0101", "1", "1234", "2", "PS", "991001", "10:00:00", "10:00:10", "10", "10:00:10", "10:01:10", "60",
     "AGENT", "10:01:09", "10:05:09", "240", "DORIT"),
    # 2. abandoned in the queue after 2 minutes
    ("AA0101", "2", "0", "0", "NW", "991001", "11:00:00", "11:00:08", "8", "11:00:08", "11:02:08", "120",
     "HANG", ZERO, ZERO, "0", "NO_SERVER"),
    # 3. hung up in the VRU, never queued: not demand for agents
    ("AA0101", "3", "0", "0", "PS", "991001", "12:00:00", "12:00:09", "9", ZERO, ZERO, "0",
     "HANG", ZERO, ZERO, "0", "NO_SERVER"),
    # 4. a phantom call
    ("AA0101", "4", "0", "0", "PS", "991001", "12:30:00", "12:30:05", "5", "12:30:05", "12:31:05", "60",
     "PHANTOM", ZERO, ZERO, "0", "NO_SERVER"),
    # 5. service crosses midnight: it ends on 2 October
    ("AA0102", "5", "77", "1", "IN", "991001", "23:55:00", "23:55:10", "10", "23:55:10", "23:58:10", "180",
     "AGENT", "23:58:10", "0:03:10", "300", "Z2EYAL"),
    # 6. (written malformed below) straight to an agent, service start 1 s before the VRU exit (clock jitter)
    ("AA0102", "6", "0", "0", "NW", "991002", "9:00:00", "9:00:12", "12", ZERO, ZERO, "0",
     "AGENT", "9:00:11", "9:02:11", "120", "GILI"),
    # 7. served, but no agent name
    ("AA0102", "7", "0", "2", "PS", "991002", "13:00:00", "13:00:06", "6", "13:00:06", "13:00:36", "30",
     "AGENT", "13:00:36", "13:03:36", "180", "NO_SERVER"),
    # 8. service ends a minute before it starts (not a midnight wrap): dropped
    ("AA0102", "8", "0", "0", "PS", "991002", "14:00:00", "14:00:10", "10", "14:00:10", "14:10:00", "590",
     "AGENT", "14:10:00", "14:09:00", "0", "VICKY"),
    # 9. left the VRU at 23:59:50 and was served from midnight: 0:00:00 is a real time here (ser_time says 0)
    ("AA0103", "9", "0", "0", "PS", "991002", "23:59:50", "23:59:50", "0", ZERO, ZERO, "0",
     "AGENT", ZERO, "0:00:48", "0", "AVI"),
    # 10. AGENT without any service stamp: dropped
    ("AA0103", "10", "0", "0", "PS", "991003", "8:15:14", "8:15:24", "10", ZERO, ZERO, "0",
     "AGENT", ZERO, ZERO, "0", "DORIT"),
    # 11. the key of row 1 again: dropped, the first kept
    ("AA0101", "1", "0", "0", "PS", "991003", "9:00:00", "9:00:10", "10", ZERO, ZERO, "0",
     "AGENT", "9:00:10", "9:01:10", "60", "DORIT"),
]


def write_log(path: Path, rows=ROWS, extra_lines=()) -> Path:
    lines = [HEADER]
    for row in rows:
        line = "\t".join(row)
        if row[1] == "6":  # the documented malformation: seven spaces instead of the tab after priority
            line = line.replace("\t0\tNW\t", "\t0       NW\t")
        lines.append(line)
    lines += list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@pytest.fixture
def synthetic(tmp_path):
    path = write_log(tmp_path / "calls.txt", extra_lines=["AA0104\t12\t0\t0\tPS\t991003\t9:00:00"])  # 7 fields
    assert len(path.read_text().splitlines()[6].split("\t")) == 16
    return import_callcentre(path)


def test_synthetic_log_quality_counts_every_row(synthetic):
    q = synthetic.quality
    assert q.rows_read == 12
    assert q.dropped == {
        cc.PHANTOM: 1,
        "hung up in the VRU before queueing (not demand for agents)": 1,
        "service ends before it starts (ser_exit < ser_start after the midnight rule)": 1,
        "served call (AGENT) without a service start (ser_start 0:00:00 and ser_time 0)": 1,
        "duplicate (vru+line, call_id): the first kept": 1,
        "wrong number of tab-separated fields (expected 17)": 1,
    }
    assert q.repaired == {
        "priority and type separated by spaces instead of a tab: split on the spaces": 1,
        "served call without an agent name (NO_SERVER): agent left missing": 1,
        cc.JITTER_START: 1,
        "ser_time disagrees with ser_exit - ser_start: the time stamps used": 1,
        cc.UNRECORDED_PRIORITY: 2,
    }
    assert q.tickets == 6 == q.rows_read - sum(q.dropped.values())
    # the caller who hung up in the VRU is kept as a time, for a backtest that counts such callers
    assert synthetic.vru_hangups.tolist() == [T("1999-10-01 12:00:09")]
    assert synthetic.as_of(T("1999-10-01 12:00:00")).vru_hangups.empty
    assert q.censored == 0
    assert synthetic.kind == "calls"
    assert synthetic.export_end == T("1999-10-03 00:00:48")


def test_synthetic_log_tickets(synthetic):
    t = synthetic.tickets
    assert list(t.columns) == [*TICKET_COLUMNS, "vru_entry_at", "customer_priority", "server"]
    check_schema(t, synthetic.events, "synthetic call log")
    expected = pd.DataFrame([
        ("AA0101/1", T("1999-10-01 10:00:10"), "PS", "high", T("1999-10-01 10:01:09"), T("1999-10-01 10:05:09"),
         NAT, "service", T("1999-10-01 10:00:00"), 2, "DORIT"),
        ("AA0101/2", T("1999-10-01 11:00:08"), "NW", "regular", NAT, NAT, T("1999-10-01 11:02:08"), "queue",
         T("1999-10-01 11:00:00"), 0, None),
        ("AA0102/5", T("1999-10-01 23:55:10"), "IN", "regular", T("1999-10-01 23:58:10"), T("1999-10-02 00:03:10"),
         NAT, "service", T("1999-10-01 23:55:00"), 1, "Z2EYAL"),
        ("AA0102/6", T("1999-10-02 09:00:12"), "NW", None, T("1999-10-02 09:00:12"), T("1999-10-02 09:02:11"),
         NAT, "service", T("1999-10-02 09:00:00"), 0, "GILI"),
        ("AA0102/7", T("1999-10-02 13:00:06"), "PS", "high", T("1999-10-02 13:00:36"), T("1999-10-02 13:03:36"),
         NAT, "service", T("1999-10-02 13:00:00"), 2, None),
        ("AA0103/9", T("1999-10-02 23:59:50"), "PS", None, T("1999-10-03 00:00:00"), T("1999-10-03 00:00:48"),
         NAT, "service", T("1999-10-02 23:59:50"), 0, "AVI"),
    ], columns=["ticket_id", "created_at", "category", "priority", "first_response_at", "resolved_at",
                "abandoned_at", "final_stage", "vru_entry_at", "customer_priority", "server"])
    got = t[expected.columns].copy()
    for frame in (got, expected):
        for column in ("ticket_id", "category", "priority", "final_stage", "server"):
            values = frame[column].astype(object)
            frame[column] = values.where(values.notna(), None)
    for column in ("created_at", "first_response_at", "resolved_at", "abandoned_at", "vru_entry_at"):
        expected[column] = expected[column].astype("datetime64[ms]")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert (t["closed_at"].isna() == t["resolved_at"].isna()).all()
    assert (t["closed_at"].dropna() == t["resolved_at"].dropna()).all()
    assert set(t["channel"]) == {"phone"} and t["tier"].isna().all() and t["region"].isna().all()
    assert (t["n_escalations"] == 0).all() and (t["n_reopens"] == 0).all()
    for column in ("channel", "category", "priority", "tier", "region", "final_stage", "server"):
        assert isinstance(t[column].dtype, pd.CategoricalDtype), column
    assert str(t["created_at"].dtype) == "datetime64[ms]"
    # the service across midnight lasts its 5 minutes
    crossing = t.set_index("ticket_id").loc["AA0102/5"]
    assert crossing["resolved_at"] - crossing["first_response_at"] == pd.Timedelta(minutes=5)


def test_synthetic_log_events(synthetic):
    e = synthetic.events
    assert list(e.columns) == EVENT_COLUMNS
    assert set(e["activity"]) == {"service"} and set(e["pool"]) == {"agents"}
    by = e.set_index("ticket_id")
    assert list(by.index) == list(synthetic.tickets["ticket_id"])
    assert by.loc["AA0101/1", ["enqueued_at", "started_at", "ended_at"]].tolist() == [
        T("1999-10-01 10:00:10"), T("1999-10-01 10:01:09"), T("1999-10-01 10:05:09")]
    assert by.loc["AA0101/1", "resource"] == "DORIT"
    # a caller who hung up in the queue: never started, the activity ended at the hang-up
    abandoned = by.loc["AA0101/2"]
    assert abandoned["enqueued_at"] == T("1999-10-01 11:00:08") and pd.isna(abandoned["started_at"])
    assert abandoned["ended_at"] == T("1999-10-01 11:02:08") and pd.isna(abandoned["resource"])
    assert pd.isna(by.loc["AA0102/7", "resource"])                          # NO_SERVER
    assert by.loc["AA0102/6", "started_at"] == by.loc["AA0102/6", "enqueued_at"]  # jitter clamped
    assert by.loc["AA0102/5", "ended_at"] == T("1999-10-02 00:03:10")
    started = e["started_at"].notna()
    assert (e.loc[started, "started_at"] >= e.loc[started, "enqueued_at"]).all()
    assert (e["ended_at"] >= e["enqueued_at"]).all()


def test_zero_wait_hang_up_is_a_queue_abandonment_and_gzip_is_read(tmp_path):
    rows = [("AA0103", "37255", "0", "0", "NW", "991003", "15:08:06", "15:08:16", "10", "15:08:16", "15:08:16", "0",
             "HANG", ZERO, ZERO, "0", "NO_SERVER"),
            ("AA0105", "47153", "0", "0", "PS", "991015", "8:50:18", "8:50:02", "-16", "8:50:02", "8:50:25", "23",
             "HANG", ZERO, ZERO, "0", "NO_SERVER")]
    text = write_log(tmp_path / "plain.txt", rows).read_bytes()
    path = tmp_path / "calls.txt.gz"
    path.write_bytes(gzip.compress(text))
    result = import_callcentre(path)
    t = result.tickets.set_index("ticket_id")
    assert t.loc["AA0103/37255", "abandoned_at"] == t.loc["AA0103/37255", "created_at"] == T("1999-10-03 15:08:16")
    assert t.loc["AA0105/47153", "vru_entry_at"] == T("1999-10-15 08:50:02")     # negative vru_time repaired
    assert result.quality.dropped == {}
    assert result.quality.repaired == {cc.NEGATIVE_VRU: 1, cc.UNRECORDED_PRIORITY: 1}


def test_import_log_dispatches_the_callcentre_format(tmp_path):
    path = write_log(tmp_path / "calls.txt")
    assert import_log(path, "callcentre").quality.tickets == 6


def test_errors_name_the_file(tmp_path):
    missing = tmp_path / "nocols.txt"
    missing.write_text("vru+line\tcall_id\tdate\n" + "AA0101\t1\t991001\n")
    with pytest.raises(ServsimError, match=r"nocols\.txt: not a call-by-call log: column\(s\) \['priority', 'type', "
                                           r"'vru_entry'.*'server'\] are missing; expected the tab-separated header: "
                                           r"vru\+line call_id customer_id priority type date"):
        import_callcentre(missing)
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(ServsimError, match=r"empty\.txt: empty file; expected a call log with the header"):
        import_callcentre(empty)
    header_only = tmp_path / "header.txt"
    header_only.write_text(HEADER + "\n")
    with pytest.raises(ServsimError, match=r"header\.txt: no call rows after the header"):
        import_callcentre(header_only)
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ServsimError, match=r"garbage\.bin: not a text call log: byte 0x80 at offset 128 is not "
                                           r"UTF-8/ASCII"):
        import_callcentre(garbage)
    nul = tmp_path / "nul.bin"
    nul.write_bytes(b"\x00\x01\x02" * 10)
    with pytest.raises(ServsimError, match=r"nul\.bin: not a text call log: it holds NUL bytes"):
        import_callcentre(nul)
    with pytest.raises(ServsimError, match=r"absent\.txt: call log not found"):
        import_callcentre(tmp_path / "absent.txt")


@pytest.fixture(scope="module")
def october():
    if not OCTOBER.exists():
        pytest.skip(f"the real call-centre log is not here ({OCTOBER}); it ships beside the repository, not in it")
    return import_callcentre(OCTOBER)


def test_october_1999_counts_reconcile(october):
    q = october.quality
    assert q.rows_read == 34_625
    # README: AGENT 30,861, HANG 3,617 (2,089 with q_time > 0 and 1,528 with q_time 0), PHANTOM 147. 17 of the
    # 1,528 have queue stamps (q_start = q_exit = vru_exit): they joined the queue and hung up the same second,
    # so they are queue abandonments here: 1,511 VRU hang-ups and 2,089 + 17 = 2,106 abandonments.
    assert q.dropped == {
        cc.PHANTOM: 147,
        "hung up in the VRU before queueing (not demand for agents)": 1_511,
        # AGENT rows with every service stamp 0:00:00 and ser_time 0 (all with an agent name)
        "served call (AGENT) without a service start (ser_start 0:00:00 and ser_time 0)": 22,
    }
    assert q.repaired == {
        cc.MALFORMED: 2,
        cc.NO_SERVER: 517,
        cc.JITTER_START: 15_959,      # mostly calls straight from the VRU: ser_start 1 s before vru_exit
        cc.JITTER_END: 14,            # zero-length services inside that jitter
        cc.EARLY_START: 70,           # straight from the VRU, service 3 s to 11 min before the recorded VRU exit
        cc.HANG_SERVICE: 67,          # HANG after queueing with ser_* stamps and NO_SERVER
        cc.ZERO_SERVICE: 43,          # the README's 66 AGENT rows with ser_time 0, minus the 22 dropped, minus 1:
        "ser_time disagrees with ser_exit - ser_start: the time stamps used": 1,  # 0:00:00 -> 0:00:48, ser_time 0
        cc.NEGATIVE_VRU: 4,
        cc.UNRECORDED_PRIORITY: 20_967,  # customer priority 0 without a queue visit: 99.5% of those calls
    }
    assert q.tickets == 32_945 == q.rows_read - sum(q.dropped.values())
    assert q.censored == 0
    t = october.tickets
    assert len(t) == q.tickets and t["ticket_id"].is_unique
    assert t["final_stage"].value_counts().to_dict() == {"service": 30_861 - 22, "queue": 2_089 + 17}
    assert t["abandoned_at"].notna().sum() == 2_106
    served = t["final_stage"] == "service"
    assert (served & t["server"].isna()).sum() == 517
    assert t["created_at"].is_monotonic_increasing
    assert t["vru_entry_at"].dt.normalize().nunique() == 31
    assert october.export_end == T("1999-10-31 23:59:26")


def test_october_1999_times_are_consistent(october):
    t, e = october.tickets, october.events
    check_schema(t, e, str(OCTOBER))
    service = (e["ended_at"] - e["started_at"]).dropna()
    assert len(service) == 30_839
    assert service.min() >= pd.Timedelta(0)
    assert service.max() < pd.Timedelta(hours=20)
    assert (e["started_at"].dropna() >= e.loc[e["started_at"].notna(), "enqueued_at"]).all()
    assert (e["ended_at"] >= e["enqueued_at"]).all()
    assert (t["vru_entry_at"] <= t["created_at"]).all()
    assert (t["created_at"] >= T("1999-10-01")).all() and (t["created_at"] < T("1999-11-01")).all()
    by = t.set_index("ticket_id")
    # the README's midnight examples: the service after a wrap is on the next day
    assert by.loc["AA0101/47322", "resolved_at"] == T("1999-10-27 00:00:25")
    assert by.loc["AA0105/47464", ["first_response_at", "resolved_at"]].tolist() == [
        T("1999-10-22 00:00:00"), T("1999-10-22 00:00:48")]
    # the two repaired rows (lines 7315 and 14247) are VRU hang-ups: read, then dropped as such
    assert "AA0108/3892" not in by.index and "AA0116/10486" not in by.index


def test_priority_is_left_empty_where_the_log_did_not_record_it(synthetic):
    t = synthetic.tickets
    unrecorded = t["priority"].isna().to_numpy()
    # customer priority 0 without a queue visit (q_time 0): served at once, and straight from the VRU at midnight
    assert t["ticket_id"][unrecorded].tolist() == ["AA0102/6", "AA0103/9"]
    assert (t["customer_priority"][unrecorded] == 0).all()
    assert set(t["priority"][~unrecorded & (t["customer_priority"] == 2).to_numpy()]) == {"high"}


def test_contradicting_stamps_a_named_hang_up_a_repeated_column_and_no_demand_are_named(tmp_path):
    # a service that starts 2 hours before the call reached the queue is neither a midnight wrap (it would make a
    # 22-hour wait) nor clock jitter: dropped and counted; a real wrap (row 5 of ROWS) is still dated across midnight
    early = ("AA0105", "20", "0", "2", "PS", "991004", "10:00:00", "10:00:10", "10", "10:00:10", "10:01:10", "60",
             "AGENT", "8:01:10", "8:05:10", "240", "DORIT")
    # a caller who hung up in the queue, logged with an agent's name: the name is no agent's work
    named = ("AA0105", "21", "0", "0", "PS", "991004", "11:00:00", "11:00:10", "10", "11:00:10", "11:02:10", "120",
             "HANG", ZERO, ZERO, "0", "DORIT")
    # a service that "ends" 13 hours before it starts: not a midnight wrap into an 11-hour service
    reversed_ = ("AA0105", "22", "0", "2", "PS", "991004", "20:00:00", "20:00:10", "10", "20:00:10", "20:01:10", "60",
                 "AGENT", "20:01:10", "7:01:10", "39600", "DORIT")
    result = import_callcentre(write_log(tmp_path / "calls.txt", rows=[*ROWS, early, named, reversed_]))
    assert result.quality.dropped[cc.STAMPS_BACKWARDS] == 2 and "AA0105/22" not in set(result.tickets["ticket_id"])
    tickets = result.tickets.set_index("ticket_id")
    assert result.quality.repaired[cc.HANG_SERVER] == 1 and pd.isna(tickets.loc["AA0105/21", "server"])
    assert "AA0105/20" not in tickets.index
    assert tickets.loc["AA0102/5", "resolved_at"] == T("1999-10-02 00:03:10")  # a real wrap across midnight
    twice = tmp_path / "twice.txt"
    twice.write_text(HEADER + "\tserver\n")
    with pytest.raises(ServsimError, match=r"twice\.txt: column\(s\) \['server'\] appear more than once"):
        import_callcentre(twice)
    phantoms = write_log(tmp_path / "phantoms.txt", rows=[ROWS[3], ROWS[2]])
    with pytest.raises(ServsimError, match=r"phantoms\.txt: no call asked for an agent: of its 2 rows, 1 PHANTOM"):
        import_callcentre(phantoms)
