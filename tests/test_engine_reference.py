"""Regression anchor: on an M/M/c FCFS model the engine reproduces, draw for draw, a hand-written
event loop fed from the same named random streams (waits equal to rounding)."""

from __future__ import annotations

import heapq

import numpy as np
import pytest

import servsim
from servsim.engine.arrivals import arrival_times
from servsim.engine.streams import Streams
from servsim.log import to_minutes
from servsim.scenario import scenario_from_dict


def mmc(c: int, lam: float, mean: float, horizon: float) -> servsim.Scenario:
    return scenario_from_dict({
        "version": 1,
        "clock": {"start": "2026-01-05 00:00", "horizon": horizon},
        "demand": {"channels": {"phone": {"rate": f"{lam}/min"}},
                   "mix": {"ticket_types": {"job": 1}, "priorities": {"P1": 1}}},
        "teams": {"desk": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                              "headcount": c}}}},
        "stages": {"serve": {"team": "desk", "first_response": True}},
        "ticket_types": {"job": {"entry": "serve", "steps": {
            "serve": {"work": {"kind": "exponential", "mean": mean}, "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "30min", "resolution": "1h"}},
    })


def reference_waits(scenario: servsim.Scenario, seed: int) -> np.ndarray:
    """FCFS M/M/c by the textbook recursion: each arrival takes the earliest-free server."""
    streams = Streams(seed)
    arrivals = arrival_times(streams("arrivals/phone"), scenario.demand.channels["phone"].rate, np.ones(168),
                             scenario.clock.start, scenario.clock.horizon)
    service = scenario.ticket_types["job"].steps["serve"].work.sampler(streams("service/job/serve"))
    free = [0.0] * scenario.teams["desk"].shifts["all"].headcount
    waits = np.full(len(arrivals), np.nan)
    for i, t in enumerate(arrivals):
        work = service()
        start = max(t, free[0])
        if start >= scenario.clock.horizon:
            continue  # still waiting at the horizon
        waits[i] = start - t
        heapq.heapreplace(free, start + work)
    return waits


@pytest.mark.parametrize("c, lam", [(1, 0.08), (10, 0.9)])
def test_engine_matches_a_hand_written_loop(c, lam):
    scenario = mmc(c, lam, 10.0, 20_000.0)
    result = servsim.simulate(scenario, seed=11)
    t = result.tickets
    engine = to_minutes(t.first_response_at, scenario.clock.start) - to_minutes(t.created_at, scenario.clock.start)
    expected = reference_waits(scenario, seed=11)
    assert len(engine) == len(expected) > 1000
    assert np.array_equal(np.isnan(engine), np.isnan(expected))
    # the tables store milliseconds: equal to within the rounding of two timestamps
    assert np.nanmax(np.abs(engine - expected)) <= 2 * 0.5 / 60_000 + 1e-9
