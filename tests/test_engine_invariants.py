"""Invariants of the engine on the shipped baseline: conservation, Little's law, shifts, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import servsim
from servsim.engine.calendar import duty_intervals
from servsim.log import EVENT_COLUMNS, TICKET_COLUMNS, to_minutes
from servsim.scenario import dump_scenario, scenario_from_dict


def minutes(result, column, table="tickets"):
    return to_minutes(getattr(result, table)[column], result.scenario.clock.start)


@pytest.mark.parametrize("name", ["baseline", "callcentre", "field-parts", "contract-business-hours",
                                  "p1-preempts", "p2-timer-escalation", "l1-overflow", "l2-weekend-cover"])
def test_kpis_from_the_engines_columns_equal_those_from_the_tables(name):
    """A replication's KPIs come from the engine's ticket and event columns, without the tables; they are exactly
    what the tables give (wrap-ups, spare parts, business-hours SLA clocks with pauses, pre-emption, timers,
    overflow and its rules' shares, cover; the backlog between a resolution and a reopening, looked for only among
    reopened tickets in the columns), and the tables are built only when asked for."""
    from helpers import SCENARIOS
    from servsim.kpi import KpiContext, KpiReport, compute_kpis

    result = servsim.simulate(SCENARIOS / f"{name}.yaml", seed=4, force=True)
    lean = result.kpis()
    flat, (step, backlog) = lean.flat(), lean.backlog_curve()  # what a replication keeps, read from the arrays
    assert result._events is None and result._tickets is None and result._staffing is None  # not built for them
    assert lean.__dict__["_by_priority"] is not lean.by_priority  # a report's tables are built when read
    ctx = KpiContext.from_scenario(result.scenario, result.staffing, result.stock)
    from_tables = compute_kpis(result.tickets, result.events, ctx)
    assert lean.to_dict() == from_tables.to_dict()
    # a report given its tables only reads the same flat KPIs and backlog curve from them
    given = KpiReport(lean.overall, lean.by_priority, lean.by_stage, lean.by_pool, lean.backlog, lean.by_segment)
    assert list(given.flat()) == list(flat) and np.allclose(list(given.flat().values()), list(flat.values()),
                                                            rtol=0, atol=0, equal_nan=True)
    assert given.backlog_curve()[0] == step and np.array_equal(given.backlog_curve()[1], backlog)
    assert lean.by_segment.equals(from_tables.by_segment)
    assert all(np.array_equal(lean.time_quantiles[k], from_tables.time_quantiles[k]) for k in ("frt", "ttr"))
    assert result.metadata()["events"] == len(result.events) > 0
    assert result.metadata()["tickets"] == len(result.tickets) > 0


def test_tables_follow_the_canonical_schema(baseline_run):
    assert list(baseline_run.tickets.columns[: len(TICKET_COLUMNS)]) == TICKET_COLUMNS
    assert list(baseline_run.events.columns) == EVENT_COLUMNS


def test_every_ticket_is_resolved_abandoned_or_open(baseline_run):
    t = baseline_run.tickets
    resolved, abandoned = t.resolved_at.notna(), t.abandoned_at.notna()
    assert not (resolved & abandoned).any()
    open_at_end = ~resolved & ~abandoned
    assert open_at_end.sum() + resolved.sum() + abandoned.sum() == len(t)
    # an open ticket is somewhere: exactly one unfinished activity; a closed one has none
    unfinished = baseline_run.events[baseline_run.events.ended_at.isna()]
    assert unfinished.ticket_id.is_unique
    assert set(t.ticket_id[open_at_end]) <= set(unfinished.ticket_id)
    assert not set(unfinished.ticket_id) & set(t.ticket_id[t.closed_at.notna() | abandoned])
    assert open_at_end.sum() == baseline_run.kpis().overall["backlog_at_horizon"]


def test_times_are_ordered(baseline_run):
    r = baseline_run
    created, fr, res = minutes(r, "created_at"), minutes(r, "first_response_at"), minutes(r, "resolved_at")
    assert np.all(fr[~np.isnan(fr)] >= created[~np.isnan(fr)])
    assert np.all(res[~np.isnan(res)] >= created[~np.isnan(res)])
    enq, start, end = (minutes(r, c, "events") for c in ("enqueued_at", "started_at", "ended_at"))
    ok = ~np.isnan(start)
    assert np.all(start[ok] >= enq[ok])
    ok = ~np.isnan(end) & ~np.isnan(start)
    assert np.all(end[ok] >= start[ok])
    hung_up = np.isnan(start) & ~np.isnan(end)  # callers who abandoned: the activity ends when they hang up
    assert np.all(end[hung_up] >= enq[hung_up])


def test_nobody_does_two_things_at_once(baseline_run):
    ev = baseline_run.events.dropna(subset=["resource", "started_at"])
    start = minutes(baseline_run, "started_at", "events")[ev.index]
    end = minutes(baseline_run, "ended_at", "events")[ev.index]
    end = np.where(np.isnan(end), np.inf, end)
    frame = pd.DataFrame({"r": ev.resource.astype(str).to_numpy(), "s": start, "e": end}).sort_values(["r", "s"])
    same = frame.r.to_numpy()[1:] == frame.r.to_numpy()[:-1]
    assert np.all(frame.s.to_numpy()[1:][same] >= frame.e.to_numpy()[:-1][same] - 1e-6)


def test_littles_law_per_stage(baseline_run):
    """L = λW per stage over the window; the only gap allowed is the exact edge term (visits crossing its ends)."""
    r = baseline_run
    a, b = r.scenario.clock.warmup, r.scenario.clock.horizon
    enq = minutes(r, "enqueued_at", "events")
    end = minutes(r, "ended_at", "events")
    end = np.where(np.isnan(end), b, end)  # open at the horizon: counted until it
    for stage in r.scenario.stages:
        mask = (r.events.activity == stage).to_numpy() & (end > enq)
        e0, e1 = enq[mask], end[mask]
        # L: time-average number of tickets in the stage over [a, b], from the number in it at each event
        times = np.concatenate([e0, e1])
        steps = np.concatenate([np.ones(len(e0)), -np.ones(len(e1))])
        order = np.argsort(times, kind="stable")
        times, level = times[order], np.cumsum(steps[order])
        seg = np.clip(np.diff(np.concatenate([times, [b]])), 0, None)
        inside = np.clip(np.minimum(np.concatenate([times[1:], [b]]), b) - np.maximum(times, a), 0, None)
        area = np.sum(level * np.minimum(seg, inside))
        L = area / (b - a)
        # λ and W over visits that entered within the window
        entered = (e0 >= a) & (e0 < b)
        lam = entered.sum() / (b - a)
        W = np.mean(e1[entered] - e0[entered]) if entered.any() else 0.0
        # edge term: time inside [a, b] of visits that entered before a, minus time after b of those that entered in it
        before = np.sum(np.clip(np.minimum(e1, b) - a, 0, None)[e0 < a])
        assert L == pytest.approx(lam * W + before / (b - a), rel=1e-9, abs=1e-9), stage
        assert before / (b - a) <= 0.05 * max(L, 1e-9) + 2.0, stage  # the window's edges matter little


def test_no_work_starts_outside_staffed_hours(baseline_run):
    r = baseline_run
    agents = {f"{team}/{shname}/{k + 1}": duty_intervals(shift, r.scenario.clock)
              for team, spec in r.scenario.teams.items() for shname, shift in spec.shifts.items()
              for k in range(shift.headcount)}
    ev = r.events.dropna(subset=["resource", "started_at"])
    start = minutes(r, "started_at", "events")[ev.index]
    for name, s in zip(ev.resource.astype(str), start):
        assert any(lo - 1e-6 <= s < hi for lo, hi in agents[name]), (name, s)


def test_capacity_follows_the_calendar(baseline_run, baseline):
    pools = baseline_run.kpis().by_pool
    for team, spec in baseline.teams.items():
        clock = baseline.clock
        expected = sum(shift.headcount * sum(min(hi, clock.horizon) - max(lo, clock.warmup)
                                             for lo, hi in duty_intervals(shift, clock) if hi > clock.warmup)
                       for shift in spec.shifts.values()) / 60
        assert pools.loc[team, "staffed_h"] == pytest.approx(expected)
    # busy time cannot exceed staffed time except for tickets finished after a shift's end (bounded, small)
    assert (pools.utilisation <= 1.05).all()
    assert (pools.utilisation > 0.3).all()


def test_shift_calendar_in_detail(baseline):
    day = baseline.teams["l1"].shifts["day"]      # Mon-Fri 07:30-15:30; the clock starts on a Monday
    spans = duty_intervals(day, baseline.clock)
    assert spans[0] == (450.0, 930.0)
    assert len(spans) == 5 * 9                    # five days a week for nine weeks
    weekend = duty_intervals(baseline.teams["l1"].shifts["weekend"], baseline.clock)
    assert weekend[0] == (5 * 1440 + 480.0, 5 * 1440 + 1200.0)


def test_holidays_and_breaks_remove_staffed_time(baseline):
    from servsim.scenario.model import Shift

    clock = baseline.clock.model_copy(update={"holidays": [pd.Timestamp("2026-01-06").date()]})
    shift = Shift(days="Mon-Fri", start="08:00", end="16:00", headcount=1,
                  breaks=[{"start": "12:00", "end": "12:30"}])
    spans = duty_intervals(shift, clock)
    assert spans[:3] == [(480.0, 720.0), (750.0, 960.0), (2 * 1440 + 480.0, 2 * 1440 + 720.0)]


def test_same_seed_same_tables_different_seed_different(baseline, baseline_run):
    again = servsim.simulate(baseline, seed=7)
    pd.testing.assert_frame_equal(again.tickets, baseline_run.tickets)
    pd.testing.assert_frame_equal(again.events, baseline_run.events)
    other = servsim.simulate(baseline, seed=8)
    assert not other.tickets.created_at.equals(baseline_run.tickets.created_at)


def test_a_change_elsewhere_leaves_each_customer_unchanged(baseline, baseline_run):
    """Common random numbers: more L2 staff changes no arrival, type, priority, tier, region."""
    evening = servsim.load_scenario(baseline_run.scenario.__class__.__module__ and
                                    __import__("helpers").SCENARIOS / "l2-evening.yaml")
    other = servsim.simulate(evening, seed=7)
    cols = ["created_at", "channel", "category", "priority", "tier", "region", "ticket_type"]
    pd.testing.assert_frame_equal(other.tickets[cols], baseline_run.tickets[cols])


def test_adding_a_channel_does_not_shift_the_others(baseline):
    data = baseline.model_dump(by_alias=True)
    data["demand"]["channels"]["app"] = {"rate": "100/week"}
    more = servsim.Scenario.model_validate(data)
    a = servsim.simulate(baseline, seed=3).tickets
    b = servsim.simulate(more, seed=3).tickets
    b = b[b.channel != "app"].reset_index(drop=True)
    pd.testing.assert_series_equal(a.created_at, b.created_at)
    pd.testing.assert_series_equal(a.priority.astype(str), b.priority.astype(str))


def test_an_initial_backlog_is_worked_off_from_the_start(baseline):
    start = pd.Timestamp(baseline.clock.start)
    backlog = pd.DataFrame({"created_at": [start - pd.Timedelta(days=3)] * 40, "channel": "web",
                            "ticket_type": "fault", "priority": "P3", "stage": "l2"})
    result = servsim.simulate(baseline, seed=7, initial_backlog=backlog)
    t = result.tickets
    old = t[t.created_at < start]
    assert len(old) == 40 and (old.ticket_id < 40).all()
    first = result.events[result.events.ticket_id.isin(old.ticket_id)].groupby("ticket_id").first()
    assert (first.activity == "l2").all() and (first.enqueued_at == start).all()
    assert old.resolved_at.notna().mean() > 0.9
    # the same customers otherwise: the generated tickets are unchanged
    plain = servsim.simulate(baseline, seed=7).tickets
    assert (t.created_at.iloc[40:].reset_index(drop=True) == plain.created_at).all()
    with pytest.raises(servsim.ServsimError, match=r"initial backlog: ticket_type values \['gadget'\] are not in"):
        servsim.simulate(baseline, seed=7, initial_backlog=backlog.assign(ticket_type="gadget"))


def test_work_may_depend_on_where_the_ticket_goes_next(baseline):
    """With ``work_by_next``, the route is drawn first and the work time follows it; routing shares hold."""
    steps = {"intake": {"work": {"kind": "constant", "value": 10.0}, "next": {"resolve": 0.7, "l1_fix": 0.3},
                        "work_by_next": {"l1_fix": {"kind": "constant", "value": 25.0}}},
             "l1_fix": {"work": {"kind": "constant", "value": 5.0}, "next": "resolve"}}
    data = yaml.safe_load(dump_scenario(baseline))
    data["ticket_types"] = {"how_to": {"category": "software", "entry": "intake", "steps": steps}}
    data["demand"]["mix"]["ticket_types"] = {"how_to": 1.0}
    data["policies"]["dispatch"] = "generic"
    run = servsim.simulate(scenario_from_dict(data), seed=3)
    ev = run.events.dropna(subset=["started_at", "ended_at"])
    work = minutes(run, "ended_at", "events")[ev.index] - minutes(run, "started_at", "events")[ev.index]
    intake = (ev.activity == "intake").to_numpy()
    went_on = ev.ticket_id[intake].isin(set(run.events.ticket_id[run.events.activity == "l1_fix"])).to_numpy()
    assert np.allclose(work[intake][went_on], 25.0) and np.allclose(work[intake][~went_on], 10.0)
    n = intake.sum()
    assert abs(went_on.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / n)


def test_an_initial_backlog_ticket_spends_its_remaining_time_in_its_stage(baseline):
    """``remaining_min`` replaces the first stage's drawn work time: tickets part-way through a stage finish it
    after the time they have left, then follow their routes as usual."""
    start = pd.Timestamp(baseline.clock.start)
    backlog = pd.DataFrame({"created_at": [start - pd.Timedelta(days=3)] * 3, "channel": "web",
                            "ticket_type": "fault", "priority": "P1", "stage": "wait_customer",
                            "remaining_min": [30.0, 600.0, np.nan]})
    result = servsim.simulate(baseline, seed=7, initial_backlog=backlog)
    ev = result.events[result.events.ticket_id < 3].groupby("ticket_id").first()
    waited = (ev.ended_at - ev.enqueued_at).dt.total_seconds() / 60.0
    assert (ev.activity == "wait_customer").all()
    assert waited.iloc[0] == pytest.approx(30.0) and waited.iloc[1] == pytest.approx(600.0)
    assert waited.iloc[2] not in (30.0, 600.0)  # no remaining time given: a fresh draw
    with pytest.raises(servsim.ServsimError, match=r"initial backlog: remaining_min must be >= 0; 1 are negative"):
        servsim.simulate(baseline, seed=7, initial_backlog=backlog.assign(remaining_min=[1.0, -5.0, 2.0]))


def test_the_backlog_at_a_time_depends_only_on_what_happened_before_it(baseline):
    """A ticket resolved and reopened later is not open between the two (it was counted open during its reopen
    delay whenever the reopening fell before the horizon): the backlog series of a run three weeks shorter is
    exactly the start of the longer run's, and the baseline has tickets whose reopen delay it must skip."""
    short = baseline.model_copy(update={"clock": baseline.clock.model_copy(
        update={"horizon": baseline.clock.horizon - 3 * 10080})})
    full = servsim.simulate(baseline, seed=3)
    long_backlog = full.kpis().backlog
    short_backlog = servsim.simulate(short, seed=3).kpis().backlog
    assert (full.tickets["n_reopens"] > 0).sum() > 50
    np.testing.assert_array_equal(long_backlog.iloc[:len(short_backlog)].to_numpy(), short_backlog.to_numpy())


def test_kpis_do_not_depend_on_the_order_of_the_rows(baseline_run, baseline):
    """KPIs are a function of the tables' content: shuffled rows and string ticket ids (an export's) give the same
    numbers as the simulator's ordered, integer-keyed tables."""
    from servsim.kpi import KpiContext, compute_kpis

    ctx = KpiContext.from_scenario(baseline, baseline_run.staffing)
    ordered = compute_kpis(baseline_run.tickets, baseline_run.events, ctx)
    rng = np.random.default_rng(3)
    tickets = baseline_run.tickets.sample(frac=1.0, random_state=1).assign(
        ticket_id=lambda t: "T" + t["ticket_id"].astype(str))
    events = baseline_run.events.iloc[rng.permutation(len(baseline_run.events))].assign(
        ticket_id=lambda e: "T" + e["ticket_id"].astype(str))
    shuffled = compute_kpis(tickets, events, ctx)
    assert shuffled.overall == pytest.approx(ordered.overall, nan_ok=True)
    pd.testing.assert_frame_equal(shuffled.by_pool, ordered.by_pool)
    pd.testing.assert_series_equal(shuffled.backlog, ordered.backlog)
