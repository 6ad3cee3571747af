"""Pre-emptive priority and reminders: the rules checked against exact queueing results and hand counts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import servsim
from helpers import SCENARIOS
from servsim import ScenarioError
from servsim.scenario import scenario_from_dict

MEAN = 10.0          # minutes of work per ticket, exponential
RATE = 0.08          # tickets per minute: utilisation 0.8 on one person
P1_SHARE = 0.25      # P1's share of the load: 0.2


def one_server(**policies) -> dict:
    always = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
    return {
        "version": 1, "name": "mm1", "clock": {"start": "2026-01-05 00:00", "horizon": "10w", "warmup": "1w"},
        "demand": {"channels": {"web": {"rate": f"{RATE * 60}/h"}},
                   "mix": {"ticket_types": {"issue": 1.0}, "priorities": {"P1": P1_SHARE, "P2": 1 - P1_SHARE}}},
        "teams": {"desk": {"shifts": {"all": {**always, "headcount": 1}}}},
        "stages": {"fix": {"team": "desk", "first_response": True}},
        "ticket_types": {"issue": {"entry": "fix", "steps": {
            "fix": {"work": {"kind": "exponential", "mean": f"{MEAN}min"}, "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "1h", "resolution": "1h"},
                       "P2": {"first_response": "4h", "resolution": "4h"}},
        "policies": policies,
    }


def mean_sojourn(data: dict, replications: int = 8) -> dict[str, tuple[float, float]]:
    """Per priority, the 95% t-interval of the replications' mean time to resolution."""
    means = {"P1": [], "P2": []}
    for r in range(replications):
        report = servsim.simulate(scenario_from_dict(data), seed=11, replication=r).kpis()
        for p in means:
            means[p].append(report.by_priority.loc[p, "ttr_mean_min"])
    out = {}
    for p, values in means.items():
        values = np.asarray(values)
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
        out[p] = (values.mean() - half, values.mean() + half)
    return out


def test_preemptive_priority_matches_the_exact_mm1_preemptive_resume_times():
    """M/M/1 with two classes and pre-emptive resume: P1 sees a queue of its own load only,
    W1 = (1/mu) / (1 - rho1); P2 waits W2 = (1/mu) / ((1 - rho1)(1 - rho))."""
    rho, rho1 = RATE * MEAN, RATE * P1_SHARE * MEAN
    exact_p1, exact_p2 = MEAN / (1 - rho1), MEAN / ((1 - rho1) * (1 - rho))
    non_preemptive_p1 = MEAN + rho * MEAN / (1 - rho1)  # the same queue without pre-emption
    ci = mean_sojourn(one_server(preemptive=["P1"]))
    assert ci["P1"][0] <= exact_p1 <= ci["P1"][1], (ci["P1"], exact_p1)
    assert ci["P2"][0] <= exact_p2 <= ci["P2"][1], (ci["P2"], exact_p2)
    assert ci["P1"][1] < non_preemptive_p1
    plain = mean_sojourn(one_server())
    assert plain["P1"][0] <= non_preemptive_p1 <= plain["P1"][1], (plain["P1"], non_preemptive_p1)


def test_an_interrupted_ticket_resumes_where_it_stopped():
    """Work is conserved: the interrupted ticket's pieces of work add up to one draw, and each piece is logged."""
    data = one_server(preemptive=["P1"])
    run = servsim.simulate(scenario_from_dict(data), seed=2)
    ev = run.events
    pieces = ev.dropna(subset=["started_at", "ended_at"]).groupby("ticket_id").size()
    assert (pieces > 1).sum() > 100  # many P2 tickets were interrupted
    interrupted = set(pieces[pieces > 1].index)
    priorities = run.tickets.set_index("ticket_id").loc[sorted(interrupted), "priority"]
    assert set(priorities) == {"P2"}  # P1 is never interrupted (it interrupts only less urgent work)
    # the same work, interrupted or not: the busy time equals the run without pre-emption's
    plain = servsim.simulate(scenario_from_dict(one_server()), seed=2)
    busy = [(r.events["ended_at"] - r.events["started_at"]).dt.total_seconds().sum() for r in (run, plain)]
    done = [r.tickets["resolved_at"].notna().sum() for r in (run, plain)]
    assert abs(busy[0] / done[0] - busy[1] / done[1]) / (busy[1] / done[1]) < 0.02


def test_preemption_names_known_priorities():
    with pytest.raises(ScenarioError, match=r"policies.preemptive: unknown priority 'P0'"):
        scenario_from_dict(one_server(preemptive=["P0"]))


def test_a_reminder_counts_without_moving_the_ticket():
    timers = [{"name": "chase", "waiting_at": ["fix"], "after": "30min", "action": "remind"}]
    run = servsim.simulate(scenario_from_dict(one_server(timers=timers)), seed=4)
    plain = servsim.simulate(scenario_from_dict(one_server()), seed=4)
    t = run.tickets
    ev = run.events.dropna(subset=["started_at"])
    waited = (ev["started_at"] - ev["enqueued_at"]).dt.total_seconds() / 60
    long_wait = set(ev.loc[waited > 30, "ticket_id"])
    reminded = set(t.loc[t["reminded_by"] == "chase", "ticket_id"])
    # reminded: exactly the tickets that waited more than 30 min (plus those still waiting at the end)
    assert long_wait <= reminded and len(reminded - long_wait) <= (t["resolved_at"].isna()).sum()
    assert (t["moved_by"].isna()).all()
    # nothing else changes: a reminder does not move anyone
    assert t["resolved_at"].equals(plain.tickets["resolved_at"])
    assert run.kpis().overall["reminded_by/chase"] == pytest.approx(len(reminded) / len(t), abs=0.02)


def test_a_reminder_needs_no_target_and_a_move_needs_one():
    with pytest.raises(ScenarioError, match=r"policies.timers\[0\]: give the stage to move to \(to\)"):
        scenario_from_dict(one_server(timers=[{"name": "x", "waiting_at": ["fix"], "after": "1h"}]))
    with pytest.raises(ScenarioError, match=r"a reminder moves nothing: remove to"):
        scenario_from_dict(one_server(timers=[{"name": "x", "waiting_at": ["fix"], "after": "1h", "to": "fix",
                                               "action": "remind"}]))


def test_the_shipped_preemption_file_runs():
    run = servsim.simulate(SCENARIOS / "p1-preempts.yaml", seed=1)
    base = servsim.simulate(SCENARIOS / "baseline.yaml", seed=1)
    assert run.kpis().by_priority.loc["P1", "frt_p90_min"] <= base.kpis().by_priority.loc["P1", "frt_p90_min"]
