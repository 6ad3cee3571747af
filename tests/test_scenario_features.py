"""Dated rosters, concurrency, patience per type and priority, demand calendars and trace-driven arrivals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import yaml

import servsim
from servsim.errors import ScenarioWarning
from servsim.kpi import KpiContext
from servsim.scenario import scenario_from_dict
from servsim.segments import where_time_goes


def desk(**changes) -> dict:
    """A one-team desk, Mon-Fri 08:00-16:00 x 2, 10 tickets an hour around the clock, 2 weeks from Monday."""
    data = {
        "version": 1,
        "clock": {"start": "2026-01-05 00:00", "horizon": "2w"},
        "demand": {"channels": {"phone": {"rate": "10/h"}},
                   "mix": {"ticket_types": {"a": 0.5, "b": 0.5}, "priorities": {"high": 0.3, "low": 0.7}}},
        "teams": {"desk": {"shifts": {"day": {"days": "Mon-Fri", "start": "08:00", "end": "16:00", "headcount": 2}}}},
        "stages": {"serve": {"team": "desk", "first_response": True}},
        "ticket_types": {t: {"entry": "serve", "steps": {"serve": {"work": {"kind": "exponential", "mean": "5min"},
                                                                     "next": "resolve"}}} for t in ("a", "b")},
        "priorities": {"high": {"first_response": "1h", "resolution": "4h"},
                       "low": {"first_response": "4h", "resolution": "1d"}},
    }
    for path, value in changes.items():
        node = data
        *parents, last = path.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return data


def staffed(result: servsim.SimulationResult) -> pd.Series:
    return result.staffing.groupby("shift")["staffed_min"].sum()


def test_roster_replaces_the_weekly_shifts_where_it_covers():
    # the second Monday: 5 people 06:00-22:00 instead of 2 people 08:00-16:00
    roster = [{"team": "desk", "start": "2026-01-12 06:00", "end": "2026-01-12 22:00", "headcount": 5}]
    run = servsim.simulate(scenario_from_dict(desk(roster=roster)), seed=1)
    hours = staffed(run) / 60
    assert hours["roster"] == pytest.approx(5 * 16)
    assert hours["day"] == pytest.approx(2 * 8 * 9)  # ten weekdays less the rostered Monday
    # nobody from the roster works outside its rows; the roster's people serve tickets on that Monday
    served = run.events.dropna(subset=["started_at"])
    rostered = served[served["resource"].astype(str).str.startswith("desk/roster/")]
    assert len(rostered) > 0
    assert rostered["started_at"].min() >= pd.Timestamp("2026-01-12 06:00")
    assert rostered["started_at"].max() < pd.Timestamp("2026-01-12 22:00")
    day_shift = served[served["resource"].astype(str).str.startswith("desk/day/")]
    assert not day_shift["started_at"].dt.date.eq(pd.Timestamp("2026-01-12").date()).any()


def test_roster_only_team_and_gap_warning():
    roster = [{"team": "desk", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": 3},
              {"team": "desk", "start": "2026-01-05 13:00", "end": "2026-01-05 17:00", "headcount": 1}]
    gap = r"desk has 1 stretch\(es\) that no row covers, the first from 2026-01-05 12:00 to 2026-01-05 13:00"
    with pytest.warns(ScenarioWarning, match=gap):
        scenario = scenario_from_dict(desk(**{"teams.desk.shifts": {}, "roster": roster}))
    hours = staffed(servsim.simulate(scenario, seed=1)) / 60
    assert hours["roster"] == pytest.approx(3 * 4 + 1 * 4)


@pytest.mark.parametrize(("roster", "message"), [
    ([{"team": "dsk", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": 1}],
     r"roster\[0\].team: unknown team 'dsk'; did you mean 'desk'\?"),
    ([{"team": "desk", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": 1},
      {"team": "desk", "start": "2026-01-05 11:00", "end": "2026-01-05 13:00", "headcount": 2}],
     r"roster\[1\]: desk 2026-01-05 11:00-13:00 overlaps roster\[0\]"),
    ([{"team": "desk", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": -1}],
     r"roster\[0\].headcount: -1: Input should be greater than or equal to 0"),
    ([{"team": "desk", "start": "2026-01-05 12:00", "end": "2026-01-05 08:00", "headcount": 1}],
     r"roster\[0\]: ends \(2026-01-05 08:00:00\) at or before it starts"),
])
def test_bad_roster_rows_are_named(roster, message):
    with pytest.raises(servsim.ScenarioError, match=message):
        scenario_from_dict(desk(roster=roster), source="desk.yaml")


def test_roster_file_is_read_relative_to_the_scenario(tmp_path):
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "week2.csv").write_text(
        "team,start,end,headcount\n"
        "desk,2026-01-12 08:00,2026-01-12 09:00,4\ndesk,2026-01-12 09:00,2026-01-12 10:00,2\n")
    (tmp_path / "desk.yaml").write_text(yaml.safe_dump(desk(roster="plans/week2.csv")))
    scenario = servsim.load_scenario(tmp_path / "desk.yaml")
    assert [r.headcount for r in scenario.roster] == [4, 2]
    hours = staffed(servsim.simulate(scenario, seed=1)) / 60
    assert hours["roster"] == pytest.approx(4 + 2)


def test_a_roster_skill_group_takes_only_its_categories():
    # Monday 08:00-16:00: one person for 'a' only, and one for both from 12:00 (rows of groups overlap)
    roster = [{"team": "desk", "start": "2026-01-05 08:00", "end": "2026-01-05 16:00", "headcount": 1,
               "skills": ["a"]},
              {"team": "desk", "start": "2026-01-05 09:00", "end": "2026-01-05 10:00", "headcount": 0,
               "skills": ["b"]},
              {"team": "desk", "start": "2026-01-05 12:00", "end": "2026-01-05 16:00", "headcount": 1}]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScenarioWarning)  # the groups' rows overlap: no gap, no overlap problem
        scenario = scenario_from_dict(desk(**{"teams.desk.shifts": {}, "teams.desk.skills": ["a", "b"],
                                              "clock.horizon": "1d", "roster": roster}))
    run = servsim.simulate(scenario, seed=3)
    served = run.events.dropna(subset=["started_at"]).merge(run.tickets[["ticket_id", "category"]], on="ticket_id")
    group = served[served["resource"].astype(str) == "desk/roster[a]/1"]
    assert len(group) > 10 and set(group["category"]) == {"a"}
    assert set(served.loc[served["category"] == "b", "resource"].astype(str)) == {"desk/roster/1"}
    # no 'b' ticket is answered before the person holding 'b' comes on at 12:00
    answered = run.tickets.dropna(subset=["first_response_at"])
    assert answered.loc[answered["category"] == "b", "first_response_at"].min() >= pd.Timestamp("2026-01-05 12:00")
    assert staffed(run)["roster"] / 60 == pytest.approx(8 + 4)


def test_roster_rows_of_one_skill_group_may_not_overlap_and_skills_must_name_categories():
    rows = [{"team": "desk", "start": "2026-01-05 08:00", "end": "2026-01-05 12:00", "headcount": 1, "skills": ["a"]},
            {"team": "desk", "start": "2026-01-05 11:00", "end": "2026-01-05 13:00", "headcount": 1, "skills": ["a"]}]
    with pytest.raises(servsim.ScenarioError, match=r"roster\[1\]: desk 2026-01-05 11:00-13:00 overlaps roster\[0\]"):
        scenario_from_dict(desk(roster=rows))
    typo = [{**rows[0], "skills": ["bb"]}]
    with pytest.warns(ScenarioWarning, match=r"roster\[0\].skills: skill 'bb' names no ticket category; did you mean "
                                             r"'b'\? defined: a, b"):
        scenario_from_dict(desk(roster=typo))
    stranded = [{**rows[0], "skills": ["c"]}]
    with pytest.raises(servsim.ScenarioError, match=r"no shift or roster row holds skill 'b'"):
        scenario_from_dict(desk(**{"teams.desk.shifts": {}, "teams.desk.skills": ["a", "b"], "roster": stranded}))


def test_a_roster_file_may_give_skill_groups(tmp_path):
    (tmp_path / "week.csv").write_text(
        "team,start,end,headcount,skills\n"
        "desk,2026-01-12 08:00,2026-01-12 09:00,2,a; b\ndesk,2026-01-12 08:00,2026-01-12 09:00,1,\n")
    (tmp_path / "desk.yaml").write_text(yaml.safe_dump(desk(roster="week.csv")))
    scenario = servsim.load_scenario(tmp_path / "desk.yaml")
    assert [r.skills for r in scenario.roster] == [["a", "b"], None]


@pytest.mark.parametrize(("content", "message"), [
    ("team,start,end\ndesk,2026-01-12 08:00,2026-01-12 09:00\n", r"missing column\(s\) \['headcount'\]"),
    ("team,start,end,headcount\ndesk,2026-01-12 08:00,tomorrow,1\n",
     r"end is not a date and time \(YYYY-MM-DD HH:MM\) in 1 row\(s\) \(row 1: 'tomorrow'\)"),
    ("team,start,end,headcount\ndesk,2026-01-12 08:00,2026-01-12 09:00,1.5\n",
     r"headcount is not a whole number >= 0 in 1 row\(s\) \(row 1: '1.5'\)"),
])
def test_bad_roster_file_names_file_column_and_row(tmp_path, content, message):
    (tmp_path / "roster.csv").write_text(content)
    (tmp_path / "desk.yaml").write_text(yaml.safe_dump(desk(roster="roster.csv")))
    with pytest.raises(servsim.ScenarioError, match=r"desk.yaml: roster: .*roster.csv: " + message):
        servsim.load_scenario(tmp_path / "desk.yaml")


def test_concurrency_utilisation_counts_slots_and_cost_counts_people():
    data = desk(**{"teams.desk.concurrency": 3, "teams.desk.hourly_cost": 10.0})
    run = servsim.simulate(scenario_from_dict(data), seed=2)
    assert len(run.staffing) == 2 and (run.staffing["slots"] == 3).all()
    by_pool = run.kpis().by_pool
    assert by_pool.loc["desk", "staff_cost"] == pytest.approx(10.0 * by_pool.loc["desk", "staffed_h"])
    busy = by_pool.loc["desk", "busy_h"]
    assert by_pool.loc["desk", "utilisation"] == pytest.approx(busy / (3 * by_pool.loc["desk", "staffed_h"]))
    # a person holds up to three tickets at once
    served = run.events.dropna(subset=["started_at", "ended_at"])
    one = served[served["resource"] == "desk/day/1"].sort_values("started_at")
    times = np.concatenate([one["started_at"].to_numpy(), one["ended_at"].to_numpy()])
    steps = np.concatenate([np.ones(len(one)), -np.ones(len(one))])
    level = np.cumsum(steps[np.lexsort((steps, times))])
    assert level.max() == 3


def test_patience_by_type_and_priority_takes_the_most_specific_entry():
    patience = {"by_type": {"a": {"kind": "constant", "value": "1min"}},
                "by_priority": {"high": {"kind": "constant", "value": "2min"}},
                "by_type_and_priority": {"b": {"low": {"kind": "constant", "value": "3min"}}}}
    # nobody is ever free in time: everyone waits until they hang up (only the night-time callers matter)
    data = desk(**{"demand.channels.phone.patience_by": patience})
    run = servsim.simulate(scenario_from_dict(data), seed=3)
    t = run.tickets[run.tickets["abandoned_at"].notna()]
    waited = (t["abandoned_at"] - t["created_at"]).dt.total_seconds() / 60
    expected = np.where(t["ticket_type"] == "a", 1.0, np.where(t["priority"] == "high", 2.0, 3.0))
    assert len(t) > 100
    np.testing.assert_allclose(waited, expected, atol=1e-3)


def test_patience_by_unknown_names_are_reported():
    data = desk(**{"demand.channels.phone.patience_by": {"by_type": {"c": {"kind": "constant", "value": "1min"}},
                                                        "by_priority": {"urgent": {"kind": "constant", "value": 1}}}})
    with pytest.raises(servsim.ScenarioError) as err:
        scenario_from_dict(data, source="desk.yaml")
    assert "unknown ticket type 'c'" in str(err.value) and "unknown priority 'urgent'" in str(err.value)


def test_demand_calendar_and_trend_scale_the_rate():
    calendar = [{"start": "2026-01-07", "end": "2026-01-08", "factor": 0.25}]
    counts = []
    for r in range(20):
        run = servsim.simulate(scenario_from_dict(desk(**{"demand.calendar": calendar})), seed=4, replication=r)
        days = run.tickets["created_at"].dt.normalize().value_counts()
        counts.append([days.get(pd.Timestamp(d), 0) for d in ("2026-01-06", "2026-01-07", "2026-01-08")])
    mean = np.mean(counts, axis=0)
    se = np.sqrt(np.array([240, 60, 60]) / 20)
    assert abs(mean - [240, 60, 60]).max() < 4 * se.max()
    # +10% a week, compounded: the second week has ~1.1^1.5 / 1.1^0.5 = 1.1 times the first week's volume
    weeks = []
    for r in range(20):
        t = servsim.simulate(scenario_from_dict(desk(**{"demand.trend": 0.1})), seed=5, replication=r).tickets
        weeks.append((t["created_at"] >= pd.Timestamp("2026-01-12")).sum() / (t["created_at"] < "2026-01-12").sum())
    assert np.mean(weeks) == pytest.approx(1.1, abs=4 * np.std(weeks) / np.sqrt(20))


def test_unchanged_scenarios_draw_the_same_customers():
    # a roster, concurrency or patience table elsewhere leaves the arrivals' streams alone
    base = servsim.simulate(scenario_from_dict(desk()), seed=6).tickets
    roster = [{"team": "desk", "start": "2026-01-12 06:00", "end": "2026-01-12 22:00", "headcount": 5}]
    other = servsim.simulate(scenario_from_dict(desk(roster=roster, **{"teams.desk.concurrency": 2})), seed=6).tickets
    pd.testing.assert_series_equal(base["created_at"], other["created_at"])
    pd.testing.assert_series_equal(base["priority"], other["priority"])


def test_trace_driven_arrivals_are_the_given_tickets():
    scenario = scenario_from_dict(desk())
    created = ["2026-01-05 09:00:00", "2026-01-05 09:00:30", "2026-01-06 10:00:00"]
    trace = pd.DataFrame({"created_at": pd.to_datetime(created),
                          "channel": "phone", "ticket_type": ["a", "b", "a"], "priority": ["high", "low", "low"]})
    run = servsim.simulate(scenario, seed=1, arrivals=trace)
    assert list(run.tickets["created_at"]) == list(trace["created_at"])
    assert list(run.tickets["ticket_type"].astype(str)) == ["a", "b", "a"]
    assert run.tickets["resolved_at"].notna().all()
    with pytest.raises(servsim.ServsimError, match="arrivals: 1 tickets are created outside the simulated period"):
        servsim.simulate(scenario, seed=1, arrivals=trace.assign(created_at=trace["created_at"].replace(
            pd.Timestamp("2026-01-06 10:00"), pd.Timestamp("2026-02-06 10:00"))))
    with pytest.raises(servsim.ServsimError, match=r"arrivals: ticket_type values \['z'\] are not in the scenario"):
        servsim.simulate(scenario, seed=1, arrivals=trace.assign(ticket_type="z"))
    # given work (a call's actual service time) replaces the draw; an empty one is drawn, and so are the others
    given = servsim.simulate(scenario, seed=1, arrivals=trace.assign(remaining_min=[7.25, None, 0.5])).tickets
    minutes = (given["resolved_at"] - given["first_response_at"]).dt.total_seconds() / 60
    assert minutes[0] == pytest.approx(7.25) and minutes[2] == pytest.approx(0.5)
    assert minutes[1] == pytest.approx((run.tickets["resolved_at"] - run.tickets["first_response_at"])[1]
                                       .total_seconds() / 60)  # common random numbers: the drawn one is unchanged


def test_warning_free_without_roster():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scenario_from_dict(desk())


def test_missing_roster_file_and_arrival_columns_are_named(tmp_path):
    (tmp_path / "desk.yaml").write_text(yaml.safe_dump(desk(roster="plans/none.csv")))
    with pytest.raises(servsim.ScenarioError, match=r"desk.yaml: roster: .*none.csv: file not found \(a path is "
                                                    r"relative to the scenario file\)"):
        servsim.load_scenario(tmp_path / "desk.yaml")
    trace = pd.DataFrame({"channel": ["phone"], "ticket_type": ["a"], "priority": ["low"]})
    with pytest.raises(servsim.ServsimError, match="arrivals: column 'created_at' is missing"):
        servsim.simulate(scenario_from_dict(desk()), arrivals=trace)


def test_wrap_up_holds_the_person_after_each_ticket_and_counts_as_busy_time():
    # one person (Mon-Fri 08:00-16:00), 10 min of work, 3 min of wrap-up; three calls, the last near the shift's end
    data = desk(**{"teams.desk.wrap_up": {"kind": "constant", "value": "3min"},
                   "teams.desk.shifts.day.headcount": 1, "teams.desk.hourly_cost": 60.0})
    for tt in data["ticket_types"].values():
        tt["steps"]["serve"]["work"] = {"kind": "constant", "value": "10min"}
    created = ["2026-01-05 09:00", "2026-01-05 09:01", "2026-01-05 15:50"]
    trace = pd.DataFrame({"created_at": pd.to_datetime(created), "channel": "phone", "ticket_type": "a",
                          "priority": "low"})
    run = servsim.simulate(scenario_from_dict(data), seed=1, arrivals=trace)
    answered = run.tickets["first_response_at"].dt.strftime("%H:%M").tolist()
    assert answered == ["09:00", "09:13", "15:50"]  # the second call waits for the work and the wrap-up
    wraps = run.events[run.events["activity"] == "wrap_up"]
    assert wraps["ticket_id"].tolist() == [0, 1, 2]
    assert wraps["started_at"].dt.strftime("%H:%M").tolist() == ["09:10", "09:23", "16:00"]
    assert wraps["ended_at"].dt.strftime("%H:%M").tolist() == ["09:13", "09:26", "16:03"]  # past the shift's end
    assert (wraps["pool"] == "desk").all() and (wraps["resource"] == "desk/day/1").all()
    kpis = run.kpis()
    assert kpis.by_pool.loc["desk", "busy_h"] == pytest.approx(39 / 60)
    assert kpis.by_stage.loc["wrap_up", "visits"] == 3
    assert kpis.by_stage.loc["wrap_up", "mean_work_min"] == pytest.approx(3.0)
    # a wrap-up is the person's time, not the ticket's: no stage of "where the time goes"
    ctx = KpiContext.from_scenario(run.scenario, run.staffing)
    assert set(where_time_goes(run.tickets, run.events, ctx, ())["stage"]) == {"serve"}


def test_a_stage_named_wrap_up_is_refused_when_a_team_wraps_up():
    data = desk(**{"teams.desk.wrap_up": {"kind": "constant", "value": "1min"}})
    data["stages"]["wrap_up"] = {"team": "desk"}
    with pytest.raises(servsim.ScenarioError, match=r"stages\.wrap_up: this name is the activity of people wrapping"):
        scenario_from_dict(data)


def test_a_ticket_types_priority_shares_replace_the_channels():
    data = desk(**{"ticket_types.a.priorities": {"high": 0.9, "low": 0.1}})
    t = servsim.simulate(scenario_from_dict(data), seed=5).tickets
    share_high = (t["priority"] == "high").groupby(t["ticket_type"]).mean()
    n = t["ticket_type"].value_counts()
    for ty, p in (("a", 0.9), ("b", 0.3)):  # b keeps the demand's shares
        assert abs(share_high[ty] - p) < 4 * np.sqrt(p * (1 - p) / n[ty])
    # the other types keep their draws: b's tickets are those of the scenario without a's own shares
    plain = servsim.simulate(scenario_from_dict(desk()), seed=5).tickets
    pd.testing.assert_series_equal(t.loc[t["ticket_type"] == "b", "priority"],
                                   plain.loc[plain["ticket_type"] == "b", "priority"])


def test_trace_arrivals_without_a_priority_draw_it_from_their_types_shares():
    data = desk(**{"ticket_types.a.priorities": {"high": 1.0}})
    created = pd.Timestamp("2026-01-05") + pd.to_timedelta(np.arange(4000) * 5, unit="min")
    calls = pd.DataFrame({"created_at": created, "channel": "phone", "ticket_type": np.tile(["a", "b"], 2000),
                          "priority": pd.array(np.tile(["low", None, None, None], 1000), dtype="string")})
    t = servsim.simulate(scenario_from_dict(data), seed=1, arrivals=calls).tickets.sort_values("created_at")
    given = calls["priority"].notna().to_numpy()
    assert (t["priority"].to_numpy()[given] == "low").all()  # given priorities stay
    drawn = t[~given]
    assert (drawn.loc[drawn["ticket_type"] == "a", "priority"] == "high").all()
    b = drawn.loc[drawn["ticket_type"] == "b", "priority"] == "high"
    assert abs(b.mean() - 0.3) < 4 * np.sqrt(0.21 / len(b))
    no_column = servsim.simulate(scenario_from_dict(data), seed=1, arrivals=calls.drop(columns="priority")).tickets
    assert set(no_column["priority"]) == {"high", "low"}


def test_head_start_and_type_priorities_are_checked():
    data = desk(**{"priorities.high.head_start": "1.5min", "ticket_types.a.priorities": {"urgent": 1.0}})
    with pytest.raises(servsim.ScenarioError) as err:
        scenario_from_dict(data, source="desk.yaml")
    text = str(err.value)
    assert "priorities.high.head_start" in text and "use queue: fifo" in text
    assert "ticket_types.a.priorities" in text and "unknown priority 'urgent'" in text
    data = desk(**{"priorities.high.head_start": "1.5min", "policies": {"queue": "fifo",
                                                                         "within_class": "shortest_first"}})
    with pytest.raises(servsim.ScenarioError, match="ordered by their work"):
        scenario_from_dict(data, source="desk.yaml")
    assert scenario_from_dict(desk(**{"priorities.high.head_start": "1.5min", "policies": {"queue": "fifo"}}))
    with pytest.raises(servsim.ScenarioError, match=r"ticket_types.a.priorities: the priorities shares sum to 0.7"):
        scenario_from_dict(desk(**{"ticket_types.a.priorities": {"high": 0.5, "low": 0.2}}), source="desk.yaml")


def test_a_team_scale_scales_its_person_hours_as_nearly_as_whole_people_allow():
    """``teams.l2.scale``: every shift of the team (and its roster rows) times the factor, rounded so that the
    team's person-hours scale by it; the scale is applied on loading (it reads 1 afterwards), other teams keep
    theirs, and a dump of the scaled scenario loads to the same staffing."""
    from servsim.scenario.model import scaled_headcounts

    # 2,160 person-min for 2,100 asked (one more in the block of the larger fraction, 1.4; one more in the last
    # block, 0.7, instead would give 1,920)
    assert scaled_headcounts([3, 2, 1], [540, 540, 300], 0.7) == [2, 2, 0]
    assert scaled_headcounts([3, 2, 1], [45, 45, 25], 1.3) == [4, 2, 2]  # 70 of the 75 person-min short (3.9, 1.3)
    # a team of small shifts of different lengths at 85%: within 0.5% (one more person in each block of the
    # largest fraction while that brought the total nearer: 14.5% off)
    minutes, heads = [300, 1440, 2100, 3000, 300, 540], [1, 1, 1, 2, 3, 1]
    target = 0.85 * sum(h * m for h, m in zip(heads, minutes))
    scaled = scaled_headcounts(heads, minutes, 0.85)
    assert abs(sum(h * m for h, m in zip(scaled, minutes)) / target - 1) < 0.006
    assert scaled_headcounts([8], [480], 0.5) == [4] and scaled_headcounts([1, 1], [60, 60], 0.5) == [1, 0]
    base = servsim.load_scenario("scenarios/baseline.yaml")

    def person_hours(s, team):
        return sum(sh.headcount * sh.minutes_a_day * len(sh.days) for sh in s.teams[team].shifts.values()) / 60

    for factor in (0.5, 0.8, 1.3, 2.0):
        scaled = base.with_changes({"teams.l2.scale": factor}, name="scaled")
        # within the longest block's person-hours of the factor's
        longest = max(sh.minutes_a_day * len(sh.days) / 60 for sh in base.teams["l2"].shifts.values())
        assert abs(person_hours(scaled, "l2") - factor * person_hours(base, "l2")) <= longest
        assert scaled.teams["l2"].scale == 1.0 and person_hours(scaled, "l1") == person_hours(base, "l1")
        again = scenario_from_dict(scaled.model_dump(mode="json", by_alias=True))
        assert person_hours(again, "l2") == person_hours(scaled, "l2")
    with pytest.raises(servsim.ScenarioError, match="scale"):
        base.with_changes({"teams.l2.scale": 0}, name="none")


def test_day_ranges_run_on_through_the_end_of_the_week():
    """A bank whose week is Sunday to Thursday writes 'Sun-Thu'."""
    from servsim.scenario.model import parse_days

    assert parse_days("Sun-Thu") == ["Sun", "Mon", "Tue", "Wed", "Thu"]
    assert parse_days("Fri-Mon,Wed") == ["Fri", "Sat", "Sun", "Mon", "Wed"]
    assert parse_days("Mon-Fri") == ["Mon", "Tue", "Wed", "Thu", "Fri"] and parse_days("Sat") == ["Sat"]


def test_the_type_mix_by_hour_gives_each_hours_arrivals_their_own_shares():
    """Types a and b at 50/50, with b's factor 3 from 12:00 to 13:00 (b then 75% of the hour's arrivals) and 0 from
    20:00 to 21:00 (no b); the clock starting at 06:30 counts the hours from its own midnight. Each hour's share of b
    lies within 4 binomial standard errors of its exact value."""
    by_hour = [1.0] * 24
    by_hour[12], by_hour[20] = 3.0, 0.0
    data = desk(**{"clock.start": "2026-01-05 06:30", "clock.horizon": "4w", "demand.channels.phone.rate": "60/h",
                   "demand.mix.ticket_types_by_hour": {"b": by_hour}, "teams.desk.shifts.day.headcount": 50})
    tickets = servsim.simulate(scenario_from_dict(data), seed=4).tickets
    hour = pd.to_datetime(tickets["created_at"]).dt.hour
    is_b = tickets["ticket_type"].eq("b")
    for h, exact in ((12, 0.75), (20, 0.0), (3, 0.5), (16, 0.5)):
        n = int((hour == h).sum())
        assert abs(is_b[hour == h].mean() - exact) <= 4 * np.sqrt(exact * (1 - exact) / n) + 1e-12 and n > 1000
    for field, value, message in (
            ("demand.mix.ticket_types_by_hour", {"b": [1.0] * 23},
             r"b: 24 factors, one per hour of the day \(got 23\)"),
            ("demand.mix.ticket_types_by_hour", {"b": [-1.0] + [1.0] * 23},
             r"b: each hour's factor is a number from 0 to 1000"),
            ("demand.mix.ticket_types_by_hour", {"bb": [1.0] * 24}, r"demand.mix.ticket_types_by_hour: unknown ticket "
                                                                    r"type 'bb'; did you mean 'b'\?"),
            ("demand.mix.ticket_types_by_hour", {"a": [0.0] * 24, "b": [0.0] * 12 + [1.0] * 12},
             r"every type's factor is 0 at hour\(s\) \[0, 1, 2")):
        with pytest.raises(servsim.ScenarioError, match=message):
            scenario_from_dict(desk(**{field: value}))


def test_work_by_hour_scales_the_work_drawn_by_the_hour_a_ticket_enters():
    """Constant work of 10 min, doubled from 12:00 to 13:00 and halved from 20:00 to 21:00, many people (no
    queue): a ticket's work is 20 min if it arrived in the noon hour, 5 min in the evening one, 10 min otherwise;
    the clock starting at 06:30 counts the hours from its own midnight."""
    factors = [1.0] * 24
    factors[12], factors[20] = 2.0, 0.5
    data = {
        "version": 1, "name": "hours",
        "clock": {"start": "2026-01-05 06:30", "horizon": "2d"},
        "demand": {"channels": {"web": {"rate": "30/h",
                                        "mix": {"ticket_types": {"t": 1.0}, "priorities": {"P1": 1.0}}}}},
        "teams": {"desk": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                              "headcount": 50}}}},
        "stages": {"work": {"team": "desk", "first_response": True}},
        "ticket_types": {"t": {"entry": "work", "steps": {"work": {
            "work": {"kind": "constant", "value": 10.0}, "next": "resolve", "work_by_hour": factors}}}},
        "priorities": {"P1": {"first_response": "1h", "resolution": "1d"}},
    }
    events = servsim.simulate(scenario_from_dict(data), seed=2).events.dropna(subset=["ended_at"])
    minutes = (events["ended_at"] - events["started_at"]).dt.total_seconds() / 60.0
    hour = events["started_at"].dt.hour
    assert np.allclose(minutes[hour == 12], 20.0) and np.allclose(minutes[hour == 20], 5.0)
    assert np.allclose(minutes[~hour.isin([12, 20])], 10.0) and (hour == 12).sum() > 20
    with pytest.raises(servsim.ScenarioError, match="work_by_hour"):
        data["ticket_types"]["t"]["steps"]["work"]["work_by_hour"] = [1.0] * 23
        scenario_from_dict(data)
