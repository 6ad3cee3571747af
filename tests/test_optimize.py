"""servsim optimize: the cheapest staffing that meets the requirements with the stated confidence, checked against
exhaustive search on a small desk, with the analytic first guess and the confirmation on fresh replications."""

from __future__ import annotations

import itertools
import re

import pytest

from servsim import ServsimError
from servsim.cli import main
from servsim.experiment import run_experiment
from servsim.experiment.optimize import Lever, Requirement, _Search, optimize, weekly_staff_cost
from servsim.scenario import dump_scenario, scenario_from_dict

LEVERS = ["teams.l1.shifts.all.headcount=1..7", "teams.l2.shifts.all.headcount=1..5"]
REQUIRE = ["frt_p90_min<=20min", "ttr_p90_min<=2h"]


def desk() -> dict:
    """L1 answers 20 tickets an hour (8 min each), 30% go on to L2 (25 min); both staffed around the clock."""
    exp = {"kind": "exponential"}
    return {
        "version": 1, "name": "desk", "clock": {"start": "2026-01-05 00:00", "horizon": "2w", "warmup": "2d"},
        "demand": {"channels": {"phone": {"rate": "20/h"}},
                   "mix": {"ticket_types": {"issue": 1.0}, "priorities": {"P3": 1.0}}},
        "teams": {name: {"hourly_cost": cost, "shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                                                 "headcount": n}}}
                  for name, cost, n in (("l1", 30.0, 4), ("l2", 50.0, 3))},
        "stages": {"l1": {"team": "l1", "first_response": True}, "l2": {"team": "l2", "escalation": True}},
        "ticket_types": {"issue": {"entry": "l1", "steps": {
            "l1": {"work": {**exp, "mean": "8min"}, "next": {"resolve": 0.7, "l2": 0.3}},
            "l2": {"work": {**exp, "mean": "25min"}, "next": "resolve"}}}},
        "priorities": {"P3": {"first_response": "30min", "resolution": "4h"}},
    }


def test_parsing_and_bad_input():
    assert Requirement.parse("frt_p90_min <= 30min") == Requirement("frt_p90_min", "<=", 30.0)
    assert Requirement.parse("sla_attainment/P1>=0.95") == Requirement("sla_attainment/P1", ">=", 0.95)
    assert Lever.parse("teams.l2.shifts.evening.headcount=1..6") == Lever("teams.l2.shifts.evening.headcount", 1, 6)
    for bad in ("sla_attainment > 0.9", "sla_attainment>=lots", "frt_p90_min<=.inf"):
        with pytest.raises(ServsimError, match="--require"):
            Requirement.parse(bad)
    with pytest.raises(ServsimError, match="LOW <= HIGH"):
        Lever.parse("teams.l1.shifts.all.headcount=6..1")
    scenario = scenario_from_dict(desk())
    with pytest.raises(ServsimError, match="'night' is not in the scenario"):
        optimize(scenario, ["teams.l1.shifts.night.headcount=1..3"], REQUIRE, replications=2)
    with pytest.raises(ServsimError, match="unknown KPI 'frt_p99_min'"):
        optimize(scenario, LEVERS, ["frt_p99_min<=1h"], replications=2, executor="serial")


@pytest.mark.long
def test_the_optimum_is_within_2_percent_of_exhaustive_search(tmp_path):
    scenario = scenario_from_dict(desk())
    levers, requirements = [Lever.parse(t) for t in LEVERS], [Requirement.parse(t) for t in REQUIRE]
    lines = []
    found = optimize(scenario, levers, requirements, replications=5, seed=1, executor="serial", out=tmp_path,
                     report=lines.append)
    assert found.chosen is not None and found.checks["holds"].all()
    # exhaustive: every staffing on the same replications, the cheapest whose bounds all hold
    search = _Search(scenario, levers, requirements, 5, 1, 0.95, None, {"progress": False, "executor": "serial"},
                     None)
    feasible = [search.evaluate(x) for x in itertools.product(range(1, 8), range(1, 6))]
    best = min(e.cost for e in feasible if e.feasible)
    assert found.weekly_cost <= 1.02 * best
    assert found.weekly_cost == weekly_staff_cost(found.scenario)
    # it evaluated far fewer than the 35 staffings of the grid, and said what it tried
    assert len(found.frontier[~found.frontier["confirmation"]]) < 20 and any("meets every" in s for s in lines)
    # Erlang C per team is the first guess: L1's offered load is 20/h x 8 min = 2.7 people
    assert found.first_guess["teams.l1.shifts.all.headcount"] >= 3
    assert set(found.binding) <= {str(r) for r in requirements} and found.binding
    # the guarantee holds on customers the optimiser never saw: a fresh run at the chosen staffing meets every target
    fresh = run_experiment([found.scenario], 8, seed=1234, executor="serial", progress=False).summary()
    means = fresh.set_index("kpi")["mean"]
    assert means["frt_p90_min"] <= 20 and means["ttr_p90_min"] <= 120
    # resumable: the same call reuses every stored replication
    again = optimize(scenario, levers, requirements, replications=5, seed=1, executor="serial", out=tmp_path)
    assert again.chosen == found.chosen


def test_impossible_requirements_say_so(tmp_path, capsys):
    path = tmp_path / "desk.yaml"
    path.write_text(dump_scenario(scenario_from_dict(desk())))
    code = main(["optimize", str(path), "--vary", "teams.l1.shifts.all.headcount=1..2", "--require",
                 "frt_p90_min<=5min", "--replications", "3", "--executor", "serial", "--quiet", "--out",
                 str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1 and "no staffing within the bounds meets every requirement" in captured.out
    assert (tmp_path / "out" / "frontier.csv").exists()


def test_the_chosen_staffing_is_said_in_money_fte_and_readable_requirements(tmp_path, capsys):
    """The console reads as a manager reads: the weekly cost a week and a month with its currency sign, the change
    in FTE, each requirement by its label with values in its unit (not 'frt_p90_min <= 30 29.87')."""
    path = tmp_path / "desk.yaml"
    path.write_text(dump_scenario(scenario_from_dict(desk())))
    code = main(["optimize", str(path), "--vary", "teams.l1.shifts.all.headcount=1..4", "--require",
                 "frt_p90_min<=30min", "--replications", "3", "--executor", "serial", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0
    assert re.search(r"weekly staff cost [\d,]+ ¤ \(baseline [\d,]+, [+-][\d,]+ a week, [+-][\d,]+ a month; "
                     r"[+-]\d+\.\d FTE of 40 h a week\)", out)
    assert re.search(r"first response, p90 <= 30\.0min +\d+\.\dmin +\d+\.\dmin +yes", out)


def day_and_night_desk() -> dict:
    """One team around the clock; three times as many tickets an hour by day (08:00-20:00) as by night."""
    data = desk()
    data["clock"].update(horizon="1w", warmup="1d")
    data["demand"]["channels"]["phone"] = {"rate": "12/h", "profile": {"daily": [1.0] * 8 + [3.0] * 12 + [1.0] * 4}}
    data["teams"] = {"l1": data["teams"]["l1"]}
    data["stages"] = {"l1": data["stages"]["l1"]}
    data["ticket_types"]["issue"]["steps"] = {"l1": {"work": {"kind": "exponential", "mean": "8min"},
                                                     "next": "resolve"}}
    return data


def test_roster_intervals_are_levers(tmp_path):
    """Headcount per interval of the day: the optimum staffs the busy day more than the quiet night, is within 2% of
    exhaustive search, and its cost is the roster's hours x the hourly cost."""
    scenario = scenario_from_dict(day_and_night_desk())
    levers = [Lever.parse("roster.l1.08:00-20:00=1..6"), Lever.parse("roster.l1.20:00-08:00=1..4")]
    requirements = [Requirement.parse("frt_p90_min<=20min")]
    found = optimize(scenario, levers, requirements, replications=5, seed=2, executor="serial")
    assert found.chosen is not None and found.checks["holds"].all()
    day, night = found.chosen.values()
    assert day > night and found.baseline == {lv.path: 4 for lv in levers}
    assert found.weekly_cost == pytest.approx(30.0 * 84 * (day + night))  # a 1-week horizon: 12 h x 7 days each
    data = found.scenario.model_dump(mode="json", by_alias=True)
    assert [lv.current(data) for lv in levers] == [day, night]
    search = _Search(scenario, levers, requirements, 5, 2, 0.95, None, {"progress": False, "executor": "serial"},
                     None)
    grid = [search.evaluate(x) for x in itertools.product(range(1, 7), range(1, 5))]
    assert found.weekly_cost <= 1.02 * min(e.cost for e in grid if e.feasible)


def test_roster_lever_errors():
    data = scenario_from_dict(day_and_night_desk()).model_dump(mode="json", by_alias=True)
    for text, message in (("roster.l1.8-20=1..2", "'8-20' is not an interval HH:MM-HH:MM"),
                          ("roster.l1.Mon-Fri.08:00-08:00=1..2", "the interval is empty"),
                          ("roster.l1.Fri-Xyz.08:00-12:00=1..2", "'Fri-Xyz' is not a day or day range"),
                          ("roster.l1=1..2", "a roster interval is roster.TEAM.HH:MM-HH:MM")):
        with pytest.raises(ServsimError, match=message):
            Lever.parse(text)
    with pytest.raises(ServsimError, match=r"no team 'l9' \(teams: l1\)"):
        Lever.parse("roster.l9.08:00-12:00=1..2").current(data)
    grouped = {**data, "roster": [{"team": "l1", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00",
                                   "headcount": 1, "skills": ["issue"]}]}
    with pytest.raises(ServsimError, match=r"roster\[0\] of l1 is a skill group .* vary the team's shifts instead"):
        Lever.parse("roster.l1.08:00-12:00=1..2").apply(grouped, 2)
    data["teams"]["l1"]["shifts"]["all"]["skills"] = ["issue"]
    with pytest.raises(ServsimError, match="have skills or regions of their own"):
        Lever.parse("roster.l1.08:00-12:00=1..2").apply(data, 2)


def test_a_roster_lever_leaves_holidays_off():
    """Setting 08:00-20:00 to 6 people staffs every day's interval but the holiday, when the shifts had nobody."""
    from servsim.experiment.levers import staffing_segments

    data = day_and_night_desk()
    data["clock"]["holidays"] = ["2026-01-07"]  # the Wednesday
    scenario = scenario_from_dict(Lever.parse("roster.l1.08:00-20:00=1..6").apply(
        scenario_from_dict(data).model_dump(mode="json", by_alias=True), 6))
    team = scenario.teams["l1"]
    segments = staffing_segments(scenario.clock, team, [r for r in scenario.roster if r.team == "l1"])
    at = {day: next(n for lo, hi, n in segments if lo <= day * 1440 + 600 < hi) for day in range(7)}
    assert at == {0: 6, 1: 6, 2: 0, 3: 6, 4: 6, 5: 6, 6: 6}
    night = next(n for lo, hi, n in segments if lo <= 1440 + 120 < hi)  # Tuesday 02:00: the shift's 4, untouched
    assert night == 4


def test_no_staffing_confirmed_on_fresh_replications_is_cheaper_than_the_one_chosen():
    """However the search went, the staffing chosen is the cheapest of those that met every requirement on the fresh
    replications. With 2 replications and seed 6 the first choice fails its confirmation, and adding people passes
    a cheaper staffing confirmed on the way: the optimiser used to return 60,480 a week against 53,760."""
    found = optimize(scenario_from_dict(desk()), LEVERS, REQUIRE, replications=2, seed=6, executor="serial")
    confirmed = found.frontier[found.frontier["confirmation"] & found.frontier["feasible"]]
    assert found.chosen is not None and len(confirmed) >= 1
    assert found.weekly_cost == confirmed["weekly_cost"].min()


def test_a_miss_by_the_bound_alone_asks_for_replications_and_an_unmoved_requirement_is_named():
    """A target the mean meets but the bound does not, whatever the staffing: the advice is more replications, not
    people; and a requirement the levers hardly move (first response with L2 as the only lever) is named."""
    near = ["teams.l2.shifts.all.headcount=4..8"]
    base = scenario_from_dict(desk())
    probe = run_experiment([base], 3, seed=1, executor="serial", progress=False).summary()
    mean = float(probe.set_index("kpi").loc["frt_p90_min", "mean"])
    found = optimize(base, near, [f"frt_p90_min<={mean * 1.004:.4f}min"], replications=3, seed=1, executor="serial")
    said = " ".join(found.notes)
    if found.chosen is None:
        assert "add replications (--replications) rather than people" in said
    assert "frt_p90_min" in said and "the levers hardly move it" in said
