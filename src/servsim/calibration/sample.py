"""The sample exports shipped in ``calibration/sample/``: a few simulated weeks of the shipped baseline,
written as a ticket table and an event log, and of the shipped call centre, written as a call-by-call log,
so a new user can run ``calibrate`` and ``backtest`` before they have data of their own."""

from __future__ import annotations

from pathlib import Path

from ..kpi import ticket_activities
from ..one_run import simulate
from ..scenario import load_scenario
from .importers.callcentre import HEADER

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_sample(scenario_path: str | Path, out: str | Path, weeks: int = 6, seed: int = 1) -> list[Path]:
    """Simulate ``weeks`` of the scenario (no warm-up) and write ``tickets.csv.gz`` and ``events.csv.gz``."""
    scenario = load_scenario(scenario_path)
    scenario = scenario.model_copy(update={"clock": scenario.clock.model_copy(
        update={"horizon": weeks * 10080.0, "warmup": 0.0})})
    result = simulate(scenario, seed=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    simulator_only = ["sla_paused_min", "direct_cost", "ticket_type", "moved_by", "n_moves", "reminded_by",
                      "n_reminders"]
    tickets = result.tickets.drop(columns=simulator_only)
    # an event log carries the ticket's attributes on every row, as exports usually do
    events = result.events.merge(tickets[["ticket_id", "channel", "category", "priority", "product"]],
                                 on="ticket_id")
    paths = [out / "tickets.csv.gz", out / "events.csv.gz"]
    for frame, path in zip((tickets, events), paths):
        # mtime=0: the same sample gives the same bytes, so the shipped files can be checked for staleness
        frame.to_csv(path, index=False, date_format=TIME_FORMAT, compression={"method": "gzip", "mtime": 0})
    return paths


VRU_SECONDS = 10  # every simulated caller spends this long in the phone menu before asking for an agent


def write_call_sample(scenario_path: str | Path, out: str | Path, weeks: int = 3, seed: int = 1) -> Path:
    """Simulate ``weeks`` of a call-centre scenario and write ``calls.txt.gz``, a call-by-call log in the
    "Anonymous Bank" layout that ``import_log(..., "callcentre")`` reads (priority 2 for the ``high`` priority,
    the ticket type as the call type, agents' names as servers)."""
    import gzip

    import numpy as np
    import pandas as pd

    scenario = load_scenario(scenario_path)
    scenario = scenario.model_copy(update={"clock": scenario.clock.model_copy(
        update={"horizon": weeks * 10080.0, "warmup": 0.0})})
    result = simulate(scenario, seed=seed)
    t = result.tickets
    calls = ticket_activities(result.events).dropna(subset=["started_at"])  # a call log has no wrap-up rows
    served = calls.drop_duplicates("ticket_id").set_index("ticket_id")
    start = t["ticket_id"].map(served["started_at"])
    end = t["ticket_id"].map(served["ended_at"])
    server = t["ticket_id"].map(served["resource"].astype(str).str.replace("/", "_").str.upper())
    created = t["created_at"].dt.floor("s")
    left = start.fillna(t["abandoned_at"]).dt.floor("s")
    waited = (left - created).dt.total_seconds().fillna(0).astype(int)
    queued = waited > 0
    vru = created - pd.Timedelta(seconds=VRU_SECONDS)
    done = start.notna() & end.notna()

    def clock(times: pd.Series, keep: pd.Series) -> pd.Series:
        text = times.dt.hour.astype("Int64").astype(str) + times.dt.strftime(":%M:%S")
        return text.where(keep & times.notna(), "0:00:00")

    rows = pd.DataFrame({
        "vru+line": "AA0101", "call_id": t["ticket_id"] + 1, "customer_id": 0,
        "priority": np.where(t["priority"].astype(str) == "high", 2, 1),
        "type": t["ticket_type"].astype(str).str.upper(), "date": vru.dt.strftime("%y%m%d"),
        "vru_entry": clock(vru, vru.notna()), "vru_exit": clock(created, vru.notna()),
        "vru_time": VRU_SECONDS, "q_start": clock(created, queued), "q_exit": clock(left, queued),
        "q_time": waited.where(queued, 0), "outcome": np.where(done, "AGENT", "HANG"),
        "ser_start": clock(start.dt.floor("s"), done), "ser_exit": clock(end.dt.floor("s"), done),
        "ser_time": (end.dt.floor("s") - start.dt.floor("s")).dt.total_seconds().fillna(0).astype(int).where(done, 0),
        "server": server.where(done, "NO_SERVER"),
    })[HEADER]  # the columns the call-log importer reads
    rows = rows[done | t["abandoned_at"].notna()]  # calls still open at the end are not in a call log
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "calls.txt.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as handle:
        handle.write(rows.to_csv(sep="\t", index=False).encode("ascii"))
    return path
