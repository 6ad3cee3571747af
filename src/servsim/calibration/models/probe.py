"""Measuring a calibrated model on itself: what the capacity model's later steps need to know about its own runs
(the waits for a free person, who did whose work, how busy each team was), which a log cannot show."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import pandas as pd

from ...one_run import simulate_validated
from ...scenario import scenario_from_dict
from ..evidence.history import hour_of_week

PROBE_WEEKS = 4  # weeks simulated after warm-up (at most the calibrated horizon)
PROBE_REPLICATIONS = 3
SEED = 20_250_917  # the probe's seed: calibration is deterministic


@dataclass(frozen=True)
class Probe:
    """The pieces of work taken after the warm-up of the seeded runs (``stage``, the team that
    did it, ``pool``, the ``wait`` and ``worked`` minutes and the ``hour`` of the week it was taken in), and each
    team's staffed and busy hours in them."""

    work: pd.DataFrame
    staffed_h: pd.Series
    busy_h: pd.Series


def probe(data: dict, source: str, replications: int = PROBE_REPLICATIONS) -> Probe:
    """Run the scenario mapping ``data`` (at most ``PROBE_WEEKS`` after warm-up) and collect what was worked."""
    scenario = scenario_from_dict(copy.deepcopy(data), source=source)
    clock = scenario.clock
    horizon = min(clock.horizon, clock.warmup + PROBE_WEEKS * 7 * 1440.0)  # still after the warm-up: stays valid
    scenario = scenario.model_copy(update={"clock": clock.model_copy(update={"horizon": horizon})})
    measured = pd.Timestamp(clock.start) + pd.Timedelta(minutes=clock.warmup)
    work, pools = [], []
    for replication in range(replications):
        run = simulate_validated(scenario, seed=SEED, replication=replication)
        events = run.events
        taken = events[(events["enqueued_at"] >= measured) & events["pool"].notna() & events["started_at"].notna()]
        work.append(pd.DataFrame({"stage": taken["activity"].astype(str), "pool": taken["pool"].astype(str),
                                  "wait": (taken["started_at"] - taken["enqueued_at"]).dt.total_seconds() / 60,
                                  "worked": (taken["ended_at"] - taken["started_at"]).dt.total_seconds() / 60,
                                  "hour": hour_of_week(taken["started_at"])}))
        pools.append(run.kpis().by_pool[["staffed_h", "busy_h"]])
    hours = pd.concat(pools).groupby(level=0).sum()
    return Probe(pd.concat(work, ignore_index=True), hours["staffed_h"], hours["busy_h"])
