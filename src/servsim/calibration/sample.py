"""The sample exports shipped in ``calibration/sample/``: a few simulated weeks of the shipped baseline,
written as a ticket table and an event log, so a new user can run ``calibrate`` and ``backtest``
before they have data of their own."""

from __future__ import annotations

from pathlib import Path

from ..scenario import load_scenario
from ..simulate import simulate

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def write_sample(scenario_path: str | Path, out: str | Path, weeks: int = 6, seed: int = 1) -> list[Path]:
    """Simulate ``weeks`` of the scenario (no warm-up) and write ``tickets.csv.gz`` and ``events.csv.gz``."""
    scenario = load_scenario(scenario_path)
    scenario = scenario.model_copy(update={"clock": scenario.clock.model_copy(
        update={"horizon": weeks * 10080.0, "warmup": 0.0})})
    result = simulate(scenario, seed=seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tickets = result.tickets.drop(columns=["sla_paused_min", "direct_cost", "ticket_type"])
    # an event log carries the ticket's attributes on every row, as exports usually do
    events = result.events.merge(tickets[["ticket_id", "channel", "category", "priority"]], on="ticket_id")
    paths = [out / "tickets.csv.gz", out / "events.csv.gz"]
    for frame, path in zip((tickets, events), paths):
        # mtime=0: the same sample gives the same bytes, so the shipped files can be checked for staleness
        frame.to_csv(path, index=False, date_format=TIME_FORMAT, compression={"method": "gzip", "mtime": 0})
    return paths
