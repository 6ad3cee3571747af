"""After-sales operations rules: shrinkage (random unavailability of scheduled people) and timer-triggered
escalation and overflow, each checked against a hand-computed or analytic result."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import servsim
from helpers import SCENARIOS
from queueing_theory import mmc_mean_wait
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


def one_agent_desk(rate: str, policies: dict, mean: str = "10min", horizon: str = "2w") -> dict:
    """One L1 person around the clock (exponential work) and a team lead with three people who take what moves."""
    data = desk()
    data["clock"]["horizon"] = horizon
    data["demand"]["channels"]["phone"]["rate"] = rate
    data["teams"]["l1"]["shifts"]["all"]["headcount"] = 1
    data["ticket_types"]["issue"]["steps"]["answer"]["work"]["mean"] = mean
    data["policies"] = policies
    return data


def _waits(result, stage: str):
    e = result.events[result.events["activity"] == stage]
    return e, (e["started_at"] - e["enqueued_at"]).dt.total_seconds() / 60, \
        (e["ended_at"] - e["enqueued_at"]).dt.total_seconds() / 60


def test_a_timer_moves_every_ticket_still_waiting_when_it_runs_out():
    rule = {"name": "to_lead", "waiting_at": ["answer"], "after": "30min", "to": "lead"}
    result = servsim.simulate(scenario_from_dict(one_agent_desk("30/h", {"timers": [rule]})), seed=2)
    e, waited, lasted = _waits(result, "answer")
    taken = e["started_at"].notna()
    assert waited[taken].max() <= 30 + 1e-6  # nobody is taken at L1 after waiting longer than the timer
    gave_up = ~taken & e["ended_at"].notna()
    assert np.allclose(lasted[gave_up], 30.0)  # and every ticket moved had waited exactly 30 min
    t = result.tickets
    moved = t["moved_by"] == "to_lead"
    assert moved.sum() == gave_up.sum() and (t.loc[moved, "n_moves"] == 1).all()
    # L1 serves 6 an hour of the 30 offered: about 80% move (fluid limit of a heavily overloaded queue)
    share = result.kpis().overall["moved_by/to_lead"]
    assert 0.75 < share < 0.85, share


def test_the_rules_shares_read_from_a_table_whose_rules_are_text_name_each_rule_by_its_own_tickets():
    """A log read back from a file holds the rules as text: each rule's share counts its own tickets, including
    where a rule named first in the table moved only tickets created before the window (share 0)."""
    from servsim.kpi import KpiContext, compute_kpis

    rule = {"name": "to_lead", "waiting_at": ["answer"], "after": "30min", "to": "lead"}
    result = servsim.simulate(scenario_from_dict(one_agent_desk("30/h", {"timers": [rule]})), seed=2)
    tickets = result.tickets.astype({"moved_by": object})
    tickets.loc[0, ["created_at", "moved_by"]] = [tickets.loc[0, "created_at"] - pd.Timedelta(hours=1), "earlier"]
    ctx = KpiContext.from_scenario(result.scenario, result.staffing)
    overall = compute_kpis(tickets, result.events, ctx).overall
    inside = tickets["created_at"] >= ctx.window_start
    human = inside & tickets["abandoned_at"].isna()
    assert overall["moved_by/earlier"] == 0.0
    assert overall["moved_by/to_lead"] == pytest.approx((tickets.loc[human, "moved_by"] == "to_lead").mean())
    assert overall["moved_by/to_lead"] > 0.7


def test_a_timer_on_a_share_of_the_target_applies_to_its_priorities_only():
    rule = {"name": "p2_half_frt", "waiting_at": ["answer"], "share_of": "first_response", "share": 0.5,
            "priorities": ["P2"], "to": "lead"}
    result = servsim.simulate(scenario_from_dict(one_agent_desk("8/h", {"timers": [rule]})), seed=3)
    t = result.tickets
    moved = t[t["moved_by"] == "p2_half_frt"]
    assert len(moved) > 50 and (moved["priority"] == "P2").all()
    e, _, lasted = _waits(result, "answer")
    gave_up = e["started_at"].isna() & e["ended_at"].notna()
    assert np.allclose(lasted[gave_up], 15.0)  # half of P2's 30-minute first-response target, from creation


def test_overflow_by_queue_length_matches_the_mm1k_blocking_probability():
    # one person, Poisson arrivals 9/h, exponential work 6 min: an arrival overflows when more than 3 wait, so
    # L1 holds at most K = 5 (one in service, four waiting): M/M/1/K blocks (1 - rho) rho^K / (1 - rho^(K+1))
    rule = {"name": "partner", "at": "answer", "queue_longer_than": 3, "to": "lead"}
    scenario = scenario_from_dict(one_agent_desk("9/h", {"overflow": [rule]}, mean="6min", horizon="4w"))
    rho, k = 0.9, 5
    expected = (1 - rho) * rho**k / (1 - rho ** (k + 1))
    shares = [servsim.simulate(scenario, seed=5, replication=r).kpis().overall["moved_by/partner"]
              for r in range(6)]
    mean, half = np.mean(shares), 2.571 * np.std(shares, ddof=1) / np.sqrt(len(shares))  # t(5) 95%
    assert abs(mean - expected) < max(half, 0.004), (mean, half, expected)
    # and the queue at L1 never holds more than four waiting
    result = servsim.simulate(scenario, seed=5)
    e = result.events[result.events["activity"] == "answer"]
    begin = e["enqueued_at"].astype("int64").to_numpy()
    end = e["started_at"].fillna(e["ended_at"]).astype("int64").to_numpy()
    moments = np.concatenate([np.stack([begin, np.ones_like(begin)], 1), np.stack([end, -np.ones_like(end)], 1)])
    moments = moments[np.lexsort((moments[:, 1], moments[:, 0]))]  # at one instant, leaving before joining
    assert np.cumsum(moments[:, 1]).max() <= 4


def test_rules_are_validated():
    bad = {"timers": [{"name": "x", "waiting_at": ["answr"], "after": "1h", "to": "answer"},
                      {"name": "x", "waiting_at": ["answer"], "after": "1h", "share_of": "resolution",
                       "to": "lead"}],
           "overflow": [{"name": "o", "at": "answer", "queue_longer_than": 2, "to": "nowhere",
                         "priorities": ["P9"]}]}
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(one_agent_desk("8/h", bad))
    message = str(caught.value)
    assert "policies.timers[1]: give either after (time in the queue) or share_of" in message
    assert "policies.timers[0]: unknown stage 'answr'; did you mean 'answer'?" in message
    assert "policies.overflow[0].to: unknown stage 'nowhere'" in message
    data = one_agent_desk("8/h", {"timers": [{"name": "t", "waiting_at": ["answer"], "after": "1h",
                                               "to": "lead"}]})
    del data["ticket_types"]["issue"]["steps"]["lead"]
    with pytest.raises(ScenarioError, match="ticket type 'issue' can wait at answer but has no step 'lead'"):
        scenario_from_dict(data)


def test_the_shipped_rule_files_run():
    for name in ("l1-shrinkage.yaml", "p2-timer-escalation.yaml", "l1-overflow.yaml", "l2-weekend-cover.yaml"):
        result = servsim.simulate(SCENARIOS / name, seed=1)
        assert result.kpis().overall["tickets"] > 1000, name
    covered = result.tickets["moved_by"] == "l2_off_duty"
    assert covered.sum() > 50
    # what L2 would have done while off duty is done by L1
    ids = result.tickets.loc[covered, "ticket_id"]
    work = result.events[result.events["ticket_id"].isin(ids) & (result.events["activity"] == "l2")]
    assert (work["pool"] == "l1").any()


def covered_desk(horizon: str = "12w") -> dict:
    """A day team (2 people, 08:00-16:00) answering issues, covered out of hours by a desk of 3 around the clock
    that answers calls: 3 issues and 3 calls an hour, 20 min of work each."""
    always = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
    work = {"kind": "exponential", "mean": "20min"}
    return {
        "version": 1, "name": "covered", "clock": {"start": "2026-01-05 00:00", "horizon": horizon, "warmup": "1d"},
        "demand": {"channels": {"phone": {"rate": "6/h"}},
                   "mix": {"ticket_types": {"issue": 0.5, "call": 0.5}, "priorities": {"P3": 1.0}}},
        "teams": {"day": {"hourly_cost": 30.0,
                          "shifts": {"day": {"days": "Mon-Sun", "start": "08:00", "end": "16:00", "headcount": 2}}},
                  "desk": {"hourly_cost": 30.0, "shifts": {"all": {**always, "headcount": 3}}}},
        "stages": {"answer": {"team": "day", "first_response": True}, "desk": {"team": "desk", "first_response": True}},
        "ticket_types": {"issue": {"entry": "answer", "steps": {"answer": {"work": work, "next": "resolve"}}},
                         "call": {"entry": "desk", "steps": {"desk": {"work": work, "next": "resolve"}}}},
        "priorities": {"P3": {"first_response": "2h", "resolution": "1d"}},
        "policies": {"cover": [{"team": "day", "by": ["desk"]}]},
    }


def test_a_team_off_duty_is_covered_and_the_covering_team_waits_like_erlang_c():
    scenario = scenario_from_dict(covered_desk())
    result = servsim.simulate(scenario, seed=0)
    e = result.events
    t = result.tickets.set_index("ticket_id")
    hour = e["enqueued_at"].dt.hour
    issues = e["activity"] == "answer"
    served = e["started_at"].notna()
    # issues arriving while the day team is on (after the first ten minutes of its shift) are its own; issues
    # arriving while it is off go to the desk, marked as moved by the cover
    on = issues & served & hour.between(8, 15) & (e["enqueued_at"].dt.minute >= 10)
    off = issues & served & ((hour >= 16) | (hour < 8))
    assert (e.loc[on, "pool"] == "day").all() and on.sum() > 1000
    assert (e.loc[off, "pool"] == "desk").all() and off.sum() > 1000
    assert (t.loc[e.loc[off, "ticket_id"], "moved_by"] == "day_off_duty").all()
    assert t.loc[e.loc[on, "ticket_id"], "moved_by"].isna().all()
    # from 18:00 to 06:00 the desk is M/M/3 with both streams: 6 an hour, 3 an hour each person (a = 2); each
    # night of each of 3 replications is a batch
    nights = []
    for r in range(3):
        ev = servsim.simulate(scenario, seed=0, replication=r).events if r else e
        at = ev["enqueued_at"].dt.hour
        night = ev["started_at"].notna() & ((at >= 18) | (at < 6))
        wait = (ev["started_at"] - ev["enqueued_at"]).dt.total_seconds() / 60
        nights.append(wait[night].groupby((ev["enqueued_at"] - pd.Timedelta(hours=6)).dt.date[night]).mean())
    per_night = pd.concat(nights)
    expected = mmc_mean_wait(3, 6.0, 3.0) * 60.0
    half = 2.58 * per_night.std(ddof=1) / np.sqrt(len(per_night))
    assert abs(per_night.mean() - expected) < half, (per_night.mean(), expected, half)
    # the desk's busy time counts the issues it answered: its utilisation is (3 + 3 × 16/24) / 9 an hour
    utilisation = result.kpis().by_pool.loc["desk", "utilisation"]
    assert utilisation == pytest.approx((3 + 3 * 16 / 24) / 9, rel=0.05)


def test_without_cover_the_issues_wait_for_the_morning():
    data = covered_desk("2w")
    del data["policies"]
    result = servsim.simulate(scenario_from_dict(data), seed=3)
    e = result.events
    late = (e["activity"] == "answer") & (e["enqueued_at"].dt.hour >= 17) & e["started_at"].notna()
    assert (e.loc[late, "started_at"].dt.hour >= 8).all() and (e.loc[late, "pool"] == "day").all()


def test_a_cover_with_a_share_takes_that_share_and_the_rest_waits_for_the_team():
    data = covered_desk("4w")
    data["policies"]["cover"][0]["share"] = 0.7  # the day team can take the other 30% in the morning
    result = servsim.simulate(scenario_from_dict(data), seed=5)
    e = result.events
    off = (e["activity"] == "answer") & ((e["enqueued_at"].dt.hour >= 16) | (e["enqueued_at"].dt.hour < 8)) & \
        (e["enqueued_at"] < e["enqueued_at"].max() - pd.Timedelta(days=1))  # all taken by the end of the run
    by_desk = (e.loc[off, "pool"] == "desk").to_numpy()
    se = np.sqrt(0.7 * 0.3 / off.sum())
    assert by_desk.mean() == pytest.approx(0.7, abs=4 * se) and off.sum() > 1000
    waited = e[off][~by_desk]  # the others are the day team's, in the morning
    assert (waited["pool"] == "day").all() and waited["started_at"].dt.hour.between(8, 15).all()
    # a share of 1 is the default: every such ticket covered, and nothing drawn
    data["policies"]["cover"][0]["share"] = 1.0
    assert servsim.simulate(scenario_from_dict(data), seed=5).events.equals(
        servsim.simulate(scenario_from_dict(covered_desk("4w")), seed=5).events)
    data["policies"]["cover"][0]["share"] = 0.0
    with pytest.raises(ScenarioError, match=r"policies\.cover\[0\]\.share: 0\.0: Input should be greater than 0"):
        scenario_from_dict(data)


def test_cover_rules_are_validated():
    data = covered_desk()
    data["policies"]["cover"] = [{"team": "dya", "by": ["desk"]}, {"team": "desk", "by": ["desk", "nobody"]},
                                 {"team": "desk", "by": ["day"]}]
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(data)
    message = str(caught.value)
    assert "policies.cover[0].team: unknown team 'dya'; did you mean 'day'?" in message
    assert "policies.cover[1].by: team 'desk' cannot cover itself" in message
    assert "policies.cover[1].by: unknown team 'nobody'" in message
    assert "policies.cover[2].team: team 'desk' has two cover rules" in message
