"""The queue order read back from who was served first: a head start, strict priority, or first come first served."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.calibration.evidence.queue_order import queue_order
from servsim.scenario import scenario_from_dict


def busy_desk(queue: str, head_start: str | None) -> dict:
    """10 people, 0.95 calls a minute of 10 min each (queues build), 40% priority callers, a week."""
    high = {"first_response": "1min", "resolution": "1h", **({"head_start": head_start} if head_start else {})}
    return {
        "version": 1, "clock": {"start": "2026-01-05 00:00", "horizon": "7d"},
        "demand": {"channels": {"phone": {"rate": "0.95/min"}},
                   "mix": {"ticket_types": {"call": 1.0}, "priorities": {"high": 0.4, "regular": 0.6}}},
        "teams": {"agents": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                                "headcount": 10}}}},
        "stages": {"service": {"team": "agents", "first_response": True}},
        "ticket_types": {"call": {"entry": "service", "steps": {"service": {
            "work": {"kind": "exponential", "mean": "10min"}, "next": "resolve"}}}},
        "priorities": {"high": high, "regular": {"first_response": "1min", "resolution": "1h"}},
        "policies": {"queue": queue},
    }


def order_of(data: dict):
    t = servsim.simulate(scenario_from_dict(data), seed=7).tickets
    t = t[t["first_response_at"] > t["created_at"]]
    minutes = [((t[c] - pd.Timestamp("2026-01-05")).dt.total_seconds() / 60).to_numpy()
               for c in ("created_at", "first_response_at")]
    return queue_order(*minutes, (t["priority"] == "high").to_numpy(), np.zeros(len(t), int))


def test_a_head_start_is_read_back():
    order = order_of(busy_desk("fifo", "3min"))
    assert order.pairs > 1000
    assert order.head_start_min == pytest.approx(3.0, abs=0.25)
    assert order.agreement > 0.95


@pytest.mark.parametrize(("queue", "expected"), [("priority", np.inf), ("fifo", 0.0)])
def test_strict_priority_and_first_come_first_served_are_told_apart(queue, expected):
    order = order_of(busy_desk(queue, None))
    assert order.head_start_min == expected


def test_too_few_overlapping_waits_say_nothing():
    joined, served = np.array([0.0, 1.0, 5.0]), np.array([2.0, 1.5, 6.0])
    assert queue_order(joined, served, np.array([False, True, False]), np.zeros(3, int)) is None
