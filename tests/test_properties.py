"""Hypothesis: any valid small scenario runs, conserves tickets and is reproducible."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servsim
from servsim.scenario import scenario_from_dict

DIST = st.one_of(
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.floats(0.5, 60)),
    st.builds(lambda m, cv: {"kind": "lognormal", "mean": m, "cv": cv}, st.floats(0.5, 60), st.floats(0.1, 2)),
    st.builds(lambda m, cv: {"kind": "gamma", "mean": m, "cv": cv}, st.floats(0.5, 60), st.floats(0.2, 2)),
    st.builds(lambda v: {"kind": "constant", "value": v}, st.floats(0, 30)),
    st.builds(lambda lo, w: {"kind": "uniform", "low": lo, "high": lo + w}, st.floats(0, 10), st.floats(0.1, 20)),
)


@st.composite
def scenarios(draw) -> dict:
    n_teams = draw(st.integers(1, 3))
    teams = {}
    for k in range(n_teams):
        start = draw(st.integers(0, 12))
        length = draw(st.integers(1, 24 - start))
        teams[f"t{k}"] = {"shifts": {"s": {"days": draw(st.sampled_from(["Mon-Fri", "Mon-Sun", "Sat,Sun"])),
                                           "start": f"{start:02d}:00", "end": f"{start + length:02d}:00",
                                           "headcount": draw(st.integers(1, 4))}}}
    n_stages = draw(st.integers(1, 4))
    stages = {f"s{k}": {"team": f"t{draw(st.integers(0, n_teams - 1))}", "first_response": k == 0,
                        "escalation": k > 0} for k in range(n_stages)}
    stages["wait"] = {}
    steps = {}
    for k in range(n_stages):
        p_resolve = draw(st.floats(0.2, 1.0))
        route = {"resolve": p_resolve}
        if p_resolve < 1:
            target = draw(st.sampled_from([f"s{j}" for j in range(n_stages)] + ["wait"]))
            route[target] = 1 - p_resolve
        steps[f"s{k}"] = {"work": draw(DIST), "next": route}
    steps["wait"] = {"work": draw(DIST), "next": "s0"}
    ticket_type = {"entry": "s0", "steps": steps}
    if draw(st.booleans()):
        ticket_type["reopen"] = {"probability": draw(st.floats(0, 0.5)), "delay": draw(DIST), "reenter": "s0"}
    phone = {"rate": f"{draw(st.floats(0.5, 20))}/h"}
    if draw(st.booleans()):
        phone["patience"] = draw(DIST)
    return {
        "version": 1,
        "clock": {"start": "2026-03-02 00:00", "horizon": f"{draw(st.integers(1, 10))}d",
                  "warmup": f"{draw(st.integers(0, 12))}h"},
        "demand": {"channels": {"phone": phone, "mail": {"rate": f"{draw(st.floats(0, 10))}/h"}},
                   "mix": {"ticket_types": {"x": 1.0}, "priorities": {"P1": 0.3, "P2": 0.7}}},
        "teams": teams, "stages": stages, "ticket_types": {"x": ticket_type},
        "priorities": {"P1": {"first_response": "15min", "resolution": "4h"},
                       "P2": {"first_response": "1h", "resolution": "1d"}},
        "policies": {"queue": draw(st.sampled_from(["priority", "fifo"]))},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_any_valid_scenario_runs_and_conserves_tickets(data, seed):
    scenario = scenario_from_dict(data)
    result = servsim.simulate(scenario, seed=seed)
    t = result.tickets
    resolved, abandoned = t.resolved_at.notna(), t.abandoned_at.notna()
    assert not (resolved & abandoned).any()
    still_open = ~resolved & ~abandoned
    assert int(still_open.sum()) == result.kpis().overall["backlog_at_horizon"]
    # every ticket has at least one recorded activity, and every event belongs to a ticket
    assert set(result.events.ticket_id) == set(t.ticket_id)
    again = servsim.simulate(scenario, seed=seed)
    pd.testing.assert_frame_equal(again.events, result.events)
    pd.testing.assert_frame_equal(again.tickets, result.tickets)


@settings(max_examples=200, deadline=None)
@given(step=st.sampled_from([1.0, 15.0, 60.0, 0.1]), points=st.integers(1, 30), last=st.floats(0.01, 0.99),
       on_grid=st.lists(st.integers(-2, 33), max_size=20),
       anywhere=st.lists(st.one_of(st.floats(-100, 3000), st.just(float("inf")), st.just(float("nan"))), max_size=20))
def test_the_backlog_counts_each_time_at_the_first_grid_point_at_or_after_it(step, points, last, on_grid,
                                                                            anywhere):
    """The backlog's count of times at or before each point of its grid (0, step, 2 step, ... and the window's
    end) is exactly the count of each time against each point, also for times that fall on a grid point, before
    the window, after its end, infinite (never) or unknown, in order or not."""
    import numpy as np

    from servsim.kpi import _at_or_before

    span = (points + last) * step
    grid = np.append(np.arange(0.0, span + 1e-9, step), span)
    times = np.array([k * step for k in on_grid] + anywhere + [span], float)
    expected = (times[:, None] <= grid).sum(axis=0)  # NaN is at or before nothing: never counted
    np.testing.assert_array_equal(_at_or_before(times, grid), expected)
    np.testing.assert_array_equal(_at_or_before(np.sort(times), grid), expected)
