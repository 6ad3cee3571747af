"""Interval staffing (servsim staff): agents per interval by simulation, against Erlang A where the model is Erlang
A, checked on fresh replications, covered by shifts; and its command line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.cli import main
from servsim.erlang import erlang_a
from servsim.errors import ServsimError
from servsim.experiment.staff import IntervalRequirement, _cover, staff
from servsim.scenario import scenario_from_dict

SERVICE, PATIENCE = 4.0, 6.0  # minutes


def desk(horizon: str = "8d") -> dict:
    """One team of agents answering Poisson calls (exponential service and patience: Erlang A in every hour) whose
    rate is 1 a minute by day and a fifth of it in the evening; nobody calls at night."""
    daily = [0] * 8 + [1] * 10 + [0.2] * 4 + [0] * 2
    return {
        "version": 1, "name": "desk",
        "clock": {"start": "2026-01-05 00:00", "horizon": horizon, "warmup": "1d"},
        "demand": {"channels": {"phone": {
            "rate": f"{sum(daily) / 24}/min", "profile": {"daily": daily},
            "patience": {"kind": "exponential", "mean": PATIENCE},
            "mix": {"ticket_types": {"call": 1.0}, "priorities": {"P1": 1.0}}}}},
        "teams": {"agents": {"hourly_cost": 20, "shifts": {"day": {"days": "Mon-Sun", "start": "08:00",
                                                                   "end": "22:00", "headcount": 4}}}},
        "stages": {"answer": {"team": "agents", "first_response": True}},
        "ticket_types": {"call": {"entry": "answer", "steps": {"answer": {
            "work": {"kind": "exponential", "mean": SERVICE}, "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "20s", "resolution": "1h"}},
    }


@pytest.fixture(scope="module")
def plan():
    scenario = scenario_from_dict(desk(), source="test")
    return staff(scenario, "service_level_20s>=0.8 per 60min", replications=4, seed=3)


def test_where_the_model_is_erlang_a_the_simulation_staffs_as_erlang_a(plan):
    """Calls at a steady rate within each hour, exponential service and patience: a busy hour needs what Erlang A
    says, or one agent more where the simulation's estimate (four weeks' worth of one hour) must meet the target
    with 90% confidence (or one fewer, where Erlang A's rate, the hour's simulated calls, came out high)."""
    table = plan.table[plan.table["measured"]]
    busy = table[(table["start"] >= "08:00") & (table["start"] < "18:00")]
    assert len(busy) == 7 * 10  # 08:00-18:00 every day
    extra = busy["agents"] - busy["erlang_a"]
    assert extra.between(-1, 2).all() and 0 <= extra.mean() <= 1.0
    assert busy["agents"].sum() <= 1.15 * busy["erlang_a"].sum()
    # Erlang A's own answer at the hour's rate of 1 a minute: the least that meets 80% within 20 s
    need = int(np.median(busy["erlang_a"]))
    assert erlang_a(1.0, SERVICE, PATIENCE, need).service_level(20 / 60) >= 0.8 > \
        erlang_a(1.0, SERVICE, PATIENCE, need - 1).service_level(20 / 60)
    assert (table["erlang_c"] >= table["erlang_a"]).all()  # callers who never hang up need at least as many


def test_the_recommended_staffing_meets_on_fresh_replications(plan):
    assert plan.met_share() >= 0.9
    assert plan.table.loc[plan.table["calls"] > 50, "service_level_20s"].min() > 0.7
    assert (plan.table.loc[plan.table["calls"] == 0, "agents"] == 0).all()  # nobody where nobody calls


def test_the_shifts_cover_every_interval_with_the_fewest_hours(plan):
    shifts = plan.shifts
    days = shifts["days"].str.split(",")
    for row in plan.table.itertuples():
        h = int(row.start[:2])
        on = shifts[days.map(set([row.weekday]).issubset)
                    & (shifts["start"].str[:2].astype(int) <= h) & (shifts["end"].str[:2].astype(int) > h)]
        assert on["headcount"].sum() >= row.agents, (row.weekday, row.start)
    hours = plan.agent_hours()
    assert hours["shifts"] >= hours["simulation"]
    # a day's fewest hours: at least its agent-hours, and shifts are 4 h at least: the programme finds the optimum
    table = pd.DataFrame({"team": "t", "weekday": "Mon", "start": [f"{h:02d}:00" for h in range(8, 14)],
                          "agents": [2, 2, 2, 2, 1, 1]})
    covered = _cover(table, 60, (4.0, 6.0))
    assert (covered["headcount"] * covered["hours"]).sum() == 10  # one 6 h and one 4 h shift: 10 h, not 12


def test_the_staffed_scenario_runs_and_meets_the_requirement_overall(plan):
    staffed = plan.scenario
    assert staffed.roster == [] and set(staffed.teams["agents"].shifts) == {
        f"{d.replace(',', '_').lower()}_{s.replace(':', '')}_{e.replace(':', '')}"
        for d, s, e in zip(plan.shifts["days"], plan.shifts["start"], plan.shifts["end"])}
    overall = servsim.simulate(staffed, seed=9).kpis().overall
    assert overall["service_level_20s"] >= 0.8


def test_requirements_are_parsed_or_refused_by_name():
    need = IntervalRequirement.parse("abandonment_rate<=0.05 per 15min")
    assert (need.requirement.kpi, need.requirement.op, need.requirement.value, need.interval_min) == (
        "abandonment_rate", "<=", 0.05, 15)
    assert IntervalRequirement.parse("service_level_20s>=0.8").interval_min == 30
    for text, message in (("sla_attainment>=0.9 per 30min", "per interval, servsim staffs for"),
                          ("service_level_20s>=0.8 per 45min", "15min, 30min or 60min"),
                          ("service_level_20s>=80 per 30min", "a share from 0 to 1")):
        with pytest.raises(ServsimError, match=message):
            IntervalRequirement.parse(text)
    data = desk()
    del data["demand"]["channels"]["phone"]["patience"]
    with pytest.raises(ServsimError, match="for call centres"):
        staff(scenario_from_dict(data, source="test"), "service_level_20s>=0.8")
    with pytest.raises(ServsimError, match="not a team that answers calls"):
        staff(scenario_from_dict(desk(), source="test"), "service_level_20s>=0.8", teams=["l9"])
    grouped = desk()
    grouped["roster"] = [{"team": "agents", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": 2,
                          "skills": ["call"]}]
    with pytest.raises(ServsimError, match=r"team\(s\) agents: their agents hold different skills .* make each "
                                           "skill group a team of its own"):
        staff(scenario_from_dict(grouped, source="test"), "service_level_20s>=0.8")


def test_the_staff_command(tmp_path, capsys):
    path = tmp_path / "desk.yaml"
    import yaml

    path.write_text(yaml.safe_dump(desk("4d")))
    out = tmp_path / "staffed"
    assert main(["staff", str(path), "--require", "service_level_20s>=0.8 per 60min", "--replications", "3",
                 "--shift-lengths", "4h,8h", "--hourly-cost", "25", "--quiet", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "agent-hours a week: simulation" in printed and "Erlang A" in printed and "meet service_level_20s" in printed
    assert {p.name for p in out.iterdir()} == {"staffing.csv", "shifts.csv", "staffed.yaml"}
    assert set(pd.read_csv(out / "shifts.csv")["hours"]) <= {4.0, 8.0}
    staffed = servsim.load_scenario(out / "staffed.yaml")
    assert staffed.teams["agents"].hourly_cost == 25
    assert main(["staff", str(path), "--shift-lengths", "4h,30h"]) == 2
    assert "shift lengths" in capsys.readouterr().err
    assert np.isfinite(pd.read_csv(out / "staffing.csv")["agents"]).all()
