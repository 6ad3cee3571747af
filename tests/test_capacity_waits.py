"""The wait for a free person is inside a log's sojourns: the capacity model takes it out of the delays before the
work, so that delay + wait reproduces the sojourn instead of adding the wait a second time."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd

from servsim import simulate
from servsim.calibration.models.capacity import add_capacity
from servsim.calibration.models.waits import deconvolved, remove_waits
from servsim.distributions import as_distribution
from servsim.scenario import scenario_from_dict
from test_capacity_teams import WEEKS, log_pieces, skeleton

P = np.round(np.linspace(0, 1, 101), 2)


def table(sample: np.ndarray) -> dict:
    return {"kind": "empirical", "quantiles": {float(p): float(v) for p, v in zip(P, np.quantile(sample, P))}}


def test_deconvolution_recovers_a_delay_under_a_mostly_zero_wait():
    rng = np.random.default_rng(1)
    delay = rng.lognormal(3.0, 1.0, 40_000)  # median 20 min, mean 33
    wait = np.where(rng.random(5_000) < 0.7, 0.0, rng.exponential(100.0, 5_000))  # 70% taken at once
    sojourn = delay + rng.choice(wait, len(delay))
    recovered = as_distribution(deconvolved(table(sojourn), wait)).draw(np.random.default_rng(2), 40_000)
    for q in (0.1, 0.5, 0.9):
        assert abs(np.quantile(recovered, q) / np.quantile(delay, q) - 1) < 0.06, q
    # the sojourn's mean is 63: the wait came out (means of the tables, which both carry the sample's maximum)
    assert abs(recovered.mean() / as_distribution(table(delay)).mean - 1) < 0.1
    # no wait: nothing to take out
    same = deconvolved(table(delay), np.zeros(100))["quantiles"]
    assert np.allclose(list(same.values()), np.quantile(delay, P), atol=1e-3)


def first_responses(data: dict) -> pd.Series:
    """Minutes to the first response of tickets whose answer starts L1's work (delay + wait), 12 replications (the
    mean wait of a 5-week run at 70% utilisation varies from 15 to 65 min)."""
    scenario = scenario_from_dict(data)
    out = []
    for r in range(12):
        run = simulate(scenario, seed=3, replication=r)
        route = run.events[run.events["activity"].astype(str).isin(["pickup_to_handling_by_l1",
                                                                    "pickup_to_escalated_by_l1"])]
        t = run.tickets.set_index("ticket_id").loc[route["ticket_id"].unique()]
        out.append((t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60)
    return pd.concat(out)


def test_the_model_no_longer_counts_the_wait_twice():
    """L1 answers after a 2-hour sojourn (delay + wait in the log). Before the correction the model's answers take
    the sojourn plus its own wait; after it, the sojourn."""
    data = skeleton()
    data["clock"] = {"start": "2026-01-05 00:00", "horizon": "5w", "warmup": "1w"}
    data["ticket_types"]["all"]["steps"]["pickup"]["work"]["mean"] = 120.0
    pieces = log_pieces(np.random.default_rng(1))
    pieces.loc[pieces["stage"] == "pickup", "minutes"] *= 4
    around_the_clock = pd.DataFrame([(pool, h, n) for pool, n in (("L1", 3.0), ("L2", 2.0), ("L3", 1.0))
                                     for h in range(168)], columns=["pool", "hour_of_week", "active_people"])
    add_capacity(data, around_the_clock, pieces, WEEKS, 0.7, [])
    before, notes = copy.deepcopy(data), []
    waits = remove_waits(data, "synthetic log", notes)
    assert waits["pickup_to_handling_by_l1"] > 10 and "taken out of the delays" in notes[0]
    logged = as_distribution(before["ticket_types"]["all"]["steps"]["pickup"]["work_by_next"]
                             .get("pickup_to_handling_by_l1", before["ticket_types"]["all"]["steps"]["pickup"]["work"])
                             ).mean  # the log's sojourn before an answer that starts work: 2 h
    assert first_responses(before).mean() > 1.15 * logged
    assert abs(first_responses(data).mean() / logged - 1) < 0.08
    assert remove_waits(copy.deepcopy(before), "synthetic log", []) == waits  # seeded: deterministic
