"""After-sales operations rules: shrinkage (random unavailability of scheduled people) and timer-triggered
escalation and overflow, each checked against a hand-computed or analytic result."""

from __future__ import annotations

import math

import pytest

import servsim
from helpers import SCENARIOS
from servsim import ScenarioError
from servsim.scenario import scenario_from_dict


def desk(**team) -> dict:
    """One team of 10 around the clock answering 30 tickets an hour (10 min each): offered load 5 people."""
    return {
        "version": 1, "name": "desk", "clock": {"start": "2026-01-05 00:00", "horizon": "3w", "warmup": "2d"},
        "demand": {"channels": {"phone": {"rate": "30/h"}},
                   "mix": {"ticket_types": {"issue": 1.0}, "priorities": {"P2": 0.5, "P3": 0.5}}},
        "teams": {"l1": {"hourly_cost": 30.0, **team,
                         "shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00", "headcount": 10}}},
                  "lead": {"hourly_cost": 60.0,
                           "shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00", "headcount": 3}}}},
        "stages": {"answer": {"team": "l1", "first_response": True}, "lead": {"team": "lead", "escalation": True}},
        "ticket_types": {"issue": {"entry": "answer", "steps": {
            "answer": {"work": {"kind": "exponential", "mean": "10min"}, "next": "resolve"},
            "lead": {"work": {"kind": "exponential", "mean": "10min"}, "next": "resolve"}}}},
        "priorities": {"P2": {"first_response": "30min", "resolution": "4h"},
                       "P3": {"first_response": "2h", "resolution": "1d"}},
    }


def test_shrinkage_takes_its_share_of_scheduled_time_at_random_and_is_still_paid():
    share, block = 0.3, 60.0
    plain = servsim.simulate(scenario_from_dict(desk()), seed=4)
    shrunk = servsim.simulate(scenario_from_dict(desk(shrinkage=share, absence_block="1h")), seed=4)
    staff = shrunk.staffing[shrunk.staffing["pool"] == "l1"]
    scheduled = staff["paid_min"].sum()
    available = staff["staffed_min"].sum()
    # each hour of each person is away with probability 0.3, independently: binomial over the hours
    blocks = scheduled / block
    se = math.sqrt(share * (1 - share) / blocks)
    assert abs(1 - available / scheduled - share) < 4 * se, (1 - available / scheduled, share, se)
    assert (staff["paid_min"] == plain.staffing.loc[plain.staffing["pool"] == "l1", "staffed_min"].to_numpy()).all()
    a, b = plain.kpis(), shrunk.kpis()
    assert b.overall["cost_total"] == pytest.approx(a.overall["cost_total"], rel=1e-9)  # absent time is paid
    # the same work on 70% of the hours: utilisation rises by 1 / 0.7 (within the run's own noise)
    ratio = b.by_pool.loc["l1", "utilisation"] / a.by_pool.loc["l1", "utilisation"]
    assert ratio == pytest.approx(scheduled / available, rel=0.03)
    assert b.overall["frt_mean_min"] > a.overall["frt_mean_min"]


def test_shrinkage_is_validated():
    with pytest.raises(ScenarioError, match=r"teams.l1.shrinkage: 1.0: Input should be less than 1"):
        scenario_from_dict(desk(shrinkage=1.0))
