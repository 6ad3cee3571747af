"""The capacity model balanced on itself: its cover takes about the share of a team's off-duty work that the log
shows others doing (not all of it), and each team is busy the assumed share of its staffed time in the model."""

from __future__ import annotations

import numpy as np
import pandas as pd

from servsim.calibration.models.balance import ROUNDS, balance
from servsim.calibration.models.capacity import Balance, Capacity, add_capacity
from servsim.calibration.models.probe import probe
from test_capacity_teams import WEEKS, WORKING_HOURS, log_pieces, skeleton

NIGHTS = [d * 24 + h for d in range(7) for h in (*range(0, 8), *range(18, 24))]


def staffing() -> pd.DataFrame:
    """L1 around the clock (2 people), L2 and L3 on weekdays 08-18 (2 and 1)."""
    rows = [("L1", h, 2.0) for h in range(168)]
    rows += [(pool, h, n) for pool, n in (("L2", 2.0), ("L3", 1.0)) for h in WORKING_HOURS]
    return pd.DataFrame(rows, columns=["pool", "hour_of_week", "active_people"])


def night_cover(share: float) -> tuple[pd.DataFrame, float]:
    """The log's pieces: L1, on duty around the clock, does its own at any hour; L2 and L3 do theirs in their hours,
    except ``share`` of L2's, done by L1 at night. Also the share of L2's and L3's work that L1 did."""
    rng = np.random.default_rng(4)
    pieces = log_pieces(rng)
    own = (pieces["group"] == "L1").to_numpy()
    pieces.loc[own, "hour"] = rng.integers(0, 168, own.sum())
    l2, l3 = (pieces["group"] == "L2").to_numpy(), (pieces["group"] == "L3").to_numpy()
    at_night = l2 & (rng.random(len(pieces)) < share)
    pieces.loc[at_night, "group"] = "L1"
    pieces.loc[at_night, "hour"] = rng.choice(NIGHTS, at_night.sum())
    return pieces, at_night.sum() / (l2.sum() + l3.sum())


def balanced_model(pieces: pd.DataFrame) -> tuple[dict, Balance]:
    def with_capacity(corrections: Balance) -> tuple[dict, Capacity]:
        data = skeleton()
        data["clock"] = {"start": "2026-01-05 00:00", "horizon": "5w", "warmup": "1w"}
        return data, add_capacity(data, staffing(), pieces, WEEKS, 0.6, [], corrections)

    corrections, note = balance(with_capacity, "test")
    assert "a cover takes" in note and "busy 60%" in note
    return with_capacity(corrections)[0], corrections


def covered_by_l1(data: dict) -> tuple[float, pd.Series]:
    """The share of L2's and L3's work L1 does in the model, and each team's utilisation."""
    measured = probe(data, "test")
    stage_team = {name: stage["team"] for name, stage in data["stages"].items() if stage.get("team")}
    theirs = measured.work[measured.work["stage"].map(stage_team).isin(["l2", "l3"])]
    return float((theirs["pool"] == "l1").mean()), measured.busy_h / measured.staffed_h


def test_the_cover_takes_about_the_logs_share_and_every_team_is_busy_as_assumed():
    pieces, in_log = night_cover(0.3)
    full = skeleton()
    full["clock"] = {"start": "2026-01-05 00:00", "horizon": "5w", "warmup": "1w"}
    add_capacity(full, staffing(), pieces, WEEKS, 0.6, [])
    fully, before = covered_by_l1(full)
    # a full cover takes every piece of L2's and L3's whose delay ends at night: far more than L1 did in the log,
    # and L1 is overloaded while L2 and L3 idle
    assert fully > 2.4 * in_log and before["l1"] > 0.7 and before["l2"] < 0.4
    data, corrections = balanced_model(pieces)
    assert ROUNDS == 2 and 0.2 < corrections.cover_share < 0.8
    assert data["policies"]["cover"][0]["share"] == round(corrections.cover_share, 4)
    covered, utilisation = covered_by_l1(data)
    assert abs(covered - in_log) < 0.12, (covered, in_log)  # matched in total, not per team: see balance
    assert np.allclose(utilisation[["l1", "l2"]], 0.6, atol=0.05), utilisation  # L3 (1 person by day) is noisy
    # a log in which L1 did less of the others' work gets a cover that takes less
    less, _ = night_cover(0.1)
    assert balanced_model(less)[1].cover_share < corrections.cover_share - 0.1
