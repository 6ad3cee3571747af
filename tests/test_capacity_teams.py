"""The capacity model's teams: groups of the log become teams (rare ones pooled), each team's work is what its
staffing can do at the assumed utilisation, and who answered a ticket decides who takes it over (L1 -> L2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servsim.calibration.models.capacity import BANDS, OTHER, _doers, add_capacity, intended_shares
from servsim.scenario import scenario_from_dict
from servsim.scenario.model import parse_days

WEEKS = 4
EXP = {"kind": "exponential"}


def skeleton() -> dict:
    """The sojourn-only skeleton as ``build`` writes it: three ways out of pickup, two out of the others."""
    steps = {
        "pickup": {"work": {**EXP, "mean": 30.0}, "next": {"first_touch": 0.4, "handling": 0.4, "escalated": 0.2}},
        "first_touch": {"work": {"kind": "constant", "value": 0.0}, "next": "resolve"},
        "handling": {"work": {**EXP, "mean": 600.0}, "next": {"resolve": 0.9, "wait_customer": 0.1}},
        "escalated": {"work": {**EXP, "mean": 2400.0}, "next": "resolve"},
        "wait_customer": {"work": {**EXP, "mean": 1440.0}, "next": "resolve"},
    }
    return {
        "version": 1, "name": "teams", "clock": {"start": "2026-01-05 00:00", "horizon": "2w"},
        "demand": {"channels": {"email": {"rate": "200/week"}},
                   "mix": {"ticket_types": {"all": 1.0}, "priorities": {"P3": 1.0}}},
        "teams": {"dispatch": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                                  "headcount": 50}}}},
        "stages": {"pickup": {"team": "dispatch"}, "first_touch": {}, "handling": {}, "escalated": {"escalation": True},
                   "wait_customer": {}},
        "ticket_types": {"all": {"entry": "pickup", "steps": steps}},
        "priorities": {"P3": {"first_response": "1d", "resolution": "5d"}},
    }


def log_pieces(rng: np.random.Generator) -> pd.DataFrame:
    """800 tickets: L1 answers 88%, L2 10%, a tiny group 2%; L1's escalations go to L2 (75%) and L3 (25%)."""
    rows = []
    for _ in range(800):
        entry = rng.choice(["L1", "L2", "Tiny"], p=[0.88, 0.10, 0.02])
        way = rng.choice(["first_touch", "handling", "escalated"], p=[0.4, 0.4, 0.2])
        rows.append(("pickup", way, rng.exponential(30.0), entry, entry))
        if way == "handling":
            rows.append(("handling", "resolve", rng.exponential(600.0), entry, entry))
        elif way == "escalated":
            taker = rng.choice(["L2", "L3"], p=[0.75, 0.25]) if entry == "L1" else "L3"
            rows.append(("escalated", "resolve", rng.exponential(2400.0), taker, entry))
    pieces = pd.DataFrame(rows, columns=["stage", "target", "minutes", "group", "entry_group"])
    return pieces.assign(hour=rng.choice(WORKING_HOURS, len(pieces)))  # done while everyone is on duty


WORKING_HOURS = [d * 24 + h for d in range(5) for h in range(8, 18)]


def staffing() -> pd.DataFrame:
    """Active people per hour of the week: L1 4, L2 2, L3 1 on weekdays 08-18; the tiny group one morning hour."""
    rows = [(pool, h, n) for pool, n in (("L1", 4.0), ("L2", 2.0), ("L3", 1.0)) for h in WORKING_HOURS]
    return pd.DataFrame(rows + [("Tiny", 9, 1.0)], columns=["pool", "hour_of_week", "active_people"])


def hours(clock: str) -> int:
    return int(clock.split(":")[0])


def test_groups_become_teams_with_their_staffing_and_work():
    data, pieces, notes = skeleton(), log_pieces(np.random.default_rng(1)), []
    added = add_capacity(data, staffing(), pieces, WEEKS, 0.6, notes)
    provenance, group_team, other = added.provenance, added.team_of, added.fallback
    scenario = scenario_from_dict(data)  # what the model writes validates
    assert set(scenario.teams) == {"l1", "l2", "l3", OTHER}  # the tiny group does 2% of the work: pooled
    assert group_team["Tiny"] == other == OTHER and set(group_team.values()) == set(scenario.teams)
    assert "assumed" in provenance["ticket_types.*.steps.*_to_*.work"] and "l2" in provenance["teams"]
    assert any("Tiny" in n and OTHER in n for n in notes)
    weekly = {t: sum(sh["headcount"] * (hours(sh["end"]) - hours(sh["start"])) * len(parse_days(sh["days"]))
                     for sh in team["shifts"].values()) for t, team in data["teams"].items()}  # person-hours a week
    assert weekly["l1"] == 4 * 50 and weekly["l2"] == 2 * 50 and weekly["l3"] == 50
    # each team's work content is the assumed share of its staffed time: n pieces x mean work = 0.6 x staffed
    steps = scenario.ticket_types["all"].steps
    team_of = {name: stage.team for name, stage in scenario.stages.items()}
    for team in ("l1", "l2", "l3"):
        mine = [s for s in steps if team_of.get(s) == team]
        assert mine, team
        counted = 0.0
        for name in mine:
            stage, target = name.split("_to_")[0], name.split("_to_")[1].split("_by_")[0]
            kind = (pieces["stage"] == stage) & (pieces["target"] == target)
            n = (kind & (pieces["group"].str.lower() == team)).sum()
            band = name.rsplit("_", 1)[-1]  # work inside a sojourn comes in bands of it, each a share of the pieces
            width = BANDS[band][1] - BANDS[band][0] if band in BANDS else 1.0
            counted += n * width * steps[name].work.mean
        assert abs(counted / (0.6 * weekly[team] * 60 * WEEKS) - 1) < 0.02, team


def test_who_answered_decides_who_takes_over():
    data = skeleton()
    add_capacity(data, staffing(), log_pieces(np.random.default_rng(2)), WEEKS, 0.6, [])
    steps = scenario_from_dict(data).ticket_types["all"].steps
    # L1's escalations go to its own copy of the escalated delay, which hands over to L2 and L3 as the log did
    assert steps["pickup_to_escalated_by_l1"].next == {"escalated_from_l1": 1.0}
    to = steps["escalated_from_l1"].next  # each piece of work in two bands (quick and slow), half the tickets each
    by_team = {team: sum(p for s, p in to.items() if s.startswith(f"escalated_to_resolve_by_{team}_")) for team in
               ("l2", "l3")}
    assert abs(by_team["l2"] - 0.75) < 0.08 and abs(by_team["l3"] - 0.25) < 0.08
    assert to["escalated_to_resolve_by_l2_quick"] == to["escalated_to_resolve_by_l2_slow"]
    # L2's own tickets (too few escalations to have routes of their own) follow all teams' hand-overs
    assert set(steps["escalated_from_l2"].next) <= {f"escalated_to_resolve_by_{t}_{b}" for t in ("l2", "l3")
                                                    for b in ("quick", "slow")}
    # handling is not a hand-over: each team resolves the tickets it answered
    for team in ("l1", "l2"):
        assert set(steps[f"handling_from_{team}"].next) == {f"handling_to_{t}_by_{team}_{b}" for b in ("quick", "slow")
                                                            for t in ("resolve", "wait_customer")}
    # a ticket's delay and work come from the same half of the sojourn: the quick half's are shorter
    handing = steps["handling_from_l1"]
    assert handing.work_by_next["handling_to_resolve_by_l1_slow"].mean > 4 * handing.work.mean
    assert steps["handling_to_resolve_by_l1_slow"].work.mean > 4 * steps["handling_to_resolve_by_l1_quick"].work.mean
    # delays keep no team; the pieces of work have one each, and an answer starts with the work
    scenario = scenario_from_dict(data)
    assert scenario.stages["escalated_from_l1"].team is None and scenario.stages["escalated_from_l1"].escalation
    assert scenario.stages["pickup_to_handling_by_l1"].first_response
    assert not scenario.stages["pickup_to_first_touch_by_l1_quick"].first_response  # the reply is the fix: at its end
    assert scenario.stages["first_touch"].first_response


def test_one_group_makes_one_desk():
    data, pieces = skeleton(), log_pieces(np.random.default_rng(3)).assign(group="L1", entry_group="L1")
    add_capacity(data, staffing().assign(pool="L1"), pieces, WEEKS, 0.6, [])
    scenario = scenario_from_dict(data)
    assert set(scenario.teams) == {"desk"} and "pickup_to_handling" in scenario.ticket_types["all"].steps


def test_work_done_for_a_team_off_duty_counts_as_that_teams():
    """A day team's work is done at night by a team on duty around the clock: counting who did the pieces would
    give the covering team its own share and the day team's nights (which the model then covers again). The
    intended shares are recovered from who did each piece when, within 4 standard errors."""
    levels = {"day": np.array([1 if 8 <= h % 24 < 18 else 0 for h in range(168)]), "desk": np.ones(168, int)}
    doers = _doers(levels, [{"team": "day", "by": ["desk"]}])
    assert list(doers["day"][[7, 8, 17, 18]]) == ["desk", "day", "day", "desk"] and set(doers["desk"]) == {"desk"}
    rng = np.random.default_rng(1)
    n = 20_000
    meant = np.where(rng.random(n) < 0.7, "day", "desk")
    hour = rng.integers(0, 168, n)
    done = np.array([doers[m][h] for m, h in zip(meant, hour)])
    assert (done == "day").mean() < 0.31  # what counting would say
    shares = intended_shares(done, hour, doers)
    se = np.sqrt(0.7 * 0.3 / (n * 70 / 168))  # only the day hours tell the two apart
    assert shares["day"] == pytest.approx(0.7, abs=4 * se) and sum(shares.values()) == pytest.approx(1.0)
    # a piece the cover cannot explain (the day team at night) stays its doer's; no known hour: no estimate
    assert intended_shares(np.array(["day"]), np.array([2]), doers) == {"day": 1.0}
    assert intended_shares(np.array(["day"]), np.array([-1]), doers) == {}
