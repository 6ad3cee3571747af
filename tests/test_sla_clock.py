"""SLA targets in business hours: the calendar's clock, KPIs counted in it (pauses included), and timers that
measure a share of a target in it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

import servsim
from helpers import SCENARIOS
from servsim import ScenarioError
from servsim.kpi import KpiContext, compute_kpis
from servsim.scenario import scenario_from_dict
from servsim.sla_clock import BusinessCalendar

MONDAY = pd.Timestamp("2026-01-05")  # a Monday
OFFICE = BusinessCalendar(((frozenset(range(5)), 8 * 60, 18 * 60),), frozenset({date(2026, 1, 7)}))  # Wed off


def at(day: int, hh: int, mm: int = 0) -> float:
    """Minutes from MONDAY 00:00 to day ``day`` (0 = Monday) at hh:mm."""
    return day * 1440.0 + hh * 60 + mm


def test_the_clock_counts_open_hours_only_and_skips_holidays():
    clock = OFFICE.clock(MONDAY, 0, at(14, 0))
    times = np.array([at(0, 7), at(0, 9), at(0, 20), at(1, 8, 30), at(2, 12), at(3, 8), at(5, 12), at(7, 9), np.nan])
    # Mon 07:00 closed; Mon 09:00 1 h in; Mon evening 10 h; Tue 08:30 10.5 h; Wed is a holiday; Thu 08:00 20 h;
    # Saturday 40 h (Thu and Fri full); the next Monday 09:00 41 h
    expected = np.array([0, 60, 600, 630, 1200, 1200, 2400, 2460, np.nan])
    assert np.allclose(clock.elapsed(times), expected, equal_nan=True)
    # Mon 17:00 + 3 business hours: 1 h on Monday, Tuesday 08:00 + 2 h = Tuesday 10:00
    assert clock.deadline(at(0, 17), 180) == at(1, 10)
    # Tue 17:00 + 2 h: Wednesday is a holiday -> Thursday 09:00
    assert clock.deadline(at(1, 17), 120) == at(3, 9)
    # from a closed time: counting starts at the next opening
    assert clock.deadline(at(5, 10), 30) == at(7, 8, 30)


def test_deadline_inverts_elapsed():
    clock = OFFICE.clock(MONDAY, 0, at(60, 0))
    rng = np.random.default_rng(1)
    starts, amounts = rng.uniform(0, at(40, 0), 200), rng.uniform(1, 3000, 200)
    ends = np.array([clock.deadline(s, b) for s, b in zip(starts, amounts)])
    assert np.allclose(clock.elapsed(ends) - clock.elapsed(starts), amounts)
    assert (ends >= starts).all()


def test_overlapping_hours_merge():
    both = BusinessCalendar(((frozenset({0}), 8 * 60, 12 * 60), (frozenset({0}), 10 * 60, 14 * 60)))
    assert both.open_intervals(MONDAY, 0, at(0, 23)).tolist() == [[at(0, 8), at(0, 14)]]


def _log(created: float, responded: float, resolved: float, waits: list[tuple[float, float]] = ()):
    def ts(minutes):
        return MONDAY + pd.Timedelta(minutes=minutes)

    tickets = pd.DataFrame({
        "ticket_id": [1], "created_at": [ts(created)], "channel": "web", "category": "x", "priority": "P3",
        "tier": "std", "region": "any", "first_response_at": [ts(responded)], "resolved_at": [ts(resolved)],
        "closed_at": pd.NaT, "abandoned_at": pd.NaT, "n_escalations": 0, "n_reopens": 0, "final_stage": "fix"})
    rows = [(1, "wait_customer", None, None, ts(a), ts(a), ts(b)) for a, b in waits]
    events = pd.DataFrame(rows or [(1, "fix", "l1", "x", ts(created), ts(responded), ts(resolved))],
                          columns=["ticket_id", "activity", "pool", "resource", "enqueued_at", "started_at",
                                   "ended_at"])
    return tickets, events


@pytest.mark.parametrize("target_h, pauses, met", [
    (3.0, False, True),    # Fri 17:00 -> Mon 09:30 is 1 + 1.5 = 2.5 business hours
    (2.0, False, False),
    (2.0, True, True),     # minus the hour it waited for the customer on Monday morning: 1.5
])
def test_kpis_count_targets_in_the_contract_clock_with_pauses(target_h, pauses, met):
    friday = 4
    tickets, events = _log(at(friday, 17), at(friday, 17, 30), at(friday + 3, 9, 30),
                           waits=[(at(friday + 3, 8), at(friday + 3, 9))])
    ctx = KpiContext(MONDAY, MONDAY + pd.Timedelta(days=14), {"P3": (60.0, target_h * 60)},
                     sla_pauses_while_waiting=pauses, calendars={"P3": OFFICE},
                     pause_activities=frozenset({"wait_customer"}))
    report = compute_kpis(tickets, events, ctx)
    assert report.overall["resolution_within_target"] == (1.0 if met else 0.0)
    assert report.overall["ttr_p50_min"] == pytest.approx(at(7, 9, 30) - at(4, 17))  # times stay wall-clock
    # around the clock the same ticket took 64.5 h
    assert compute_kpis(tickets, events, KpiContext(MONDAY, MONDAY + pd.Timedelta(days=14), {
        "P3": (60.0, target_h * 60)})).overall["resolution_within_target"] == 0.0


def test_an_unknown_calendar_is_named():
    data = servsim.load_scenario(SCENARIOS / "baseline.yaml").model_dump(mode="json", by_alias=True)
    data["priorities"]["P3"]["calendar"] = "ofice"
    data["sla_calendars"] = {"office": {"hours": [{"start": "08:00", "end": "18:00"}]}}
    with pytest.raises(ScenarioError, match=r"priorities.P3.calendar: unknown SLA calendar 'ofice'; did you mean "
                                            r"'office'"):
        scenario_from_dict(data)


def test_a_timer_on_a_share_of_a_business_hours_target_runs_out_in_business_time():
    """One person, 30 tickets an hour of 10 minutes: most wait. P2's first-response target is 2 business hours;
    the timer moves a ticket still waiting when the target has passed in the office clock, never earlier."""
    always = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
    data = {
        "version": 1, "name": "office", "clock": {"start": "2026-01-05 00:00", "horizon": "1w"},
        "demand": {"channels": {"web": {"rate": "30/h"}},
                   "mix": {"ticket_types": {"issue": 1.0}, "priorities": {"P2": 1.0}}},
        "teams": {"l1": {"shifts": {"all": {**always, "headcount": 1}}},
                  "lead": {"shifts": {"all": {**always, "headcount": 50}}}},
        "stages": {"answer": {"team": "l1", "first_response": True}, "lead": {"team": "lead"}},
        "ticket_types": {"issue": {"entry": "answer", "steps": {
            "answer": {"work": {"kind": "exponential", "mean": "10min"}, "next": "resolve"},
            "lead": {"work": {"kind": "exponential", "mean": "10min"}, "next": "resolve"}}}},
        "priorities": {"P2": {"first_response": "2h", "resolution": "1d", "calendar": "office"}},
        "sla_calendars": {"office": {"hours": [{"days": "Mon-Fri", "start": "08:00", "end": "18:00"}],
                                     "holidays": ["2026-01-07"]}},
        "policies": {"timers": [{"name": "late", "waiting_at": ["answer"], "to": "lead",
                                 "share_of": "first_response", "share": 1.0}]},
    }
    run = servsim.simulate(scenario_from_dict(data), seed=3)
    moved = run.tickets[run.tickets["moved_by"] == "late"]
    assert len(moved) > 100
    ev = run.events
    left = ev[(ev["activity"] == "answer") & ev["started_at"].isna() & ev["ended_at"].notna()]
    left = left.set_index("ticket_id").loc[moved["ticket_id"]]
    clock = OFFICE.clock(MONDAY, -1440, at(9, 0))
    created = ((moved["created_at"] - MONDAY).dt.total_seconds() / 60).to_numpy()
    moved_at = ((left["ended_at"] - MONDAY).dt.total_seconds() / 60).to_numpy()
    expected = np.array([clock.deadline(c, 120.0) for c in created])
    assert np.allclose(moved_at, expected, atol=1e-3)  # the log keeps milliseconds
    # a ticket created on Tuesday evening waits through the holiday: moved on Thursday at 10:00
    assert (moved_at >= at(3, 10) - 1e-3).any() and not ((moved_at > at(2, 0)) & (moved_at < at(3, 0))).any()


def test_the_shipped_contract_file_runs_and_counts_p3_in_office_hours():
    base = servsim.simulate(SCENARIOS / "baseline.yaml", seed=1).kpis()
    contract = servsim.simulate(SCENARIOS / "contract-business-hours.yaml", seed=1).kpis()
    assert contract.by_priority.loc["P1", "sla_attainment"] == base.by_priority.loc["P1", "sla_attainment"]
    # P3's first response counts from the next opening: tickets of the night are answered in time
    assert contract.by_priority.loc["P3", "frt_within_target"] > base.by_priority.loc["P3", "frt_within_target"]
