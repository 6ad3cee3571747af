"""What a completion-only log says about work (servsim.calibration.evidence.work): starts bounded by readiness and the
person's previous completion, sessions, presence, tickets held at once, and the bad input it names."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from servsim.calibration.evidence.work import estimate_work

START = pd.Timestamp("2026-01-05")  # a Monday


def events(rows: list[tuple]) -> pd.DataFrame:
    """Events (ticket, activity, pool, resource, ready, done), times in minutes from START."""
    frame = pd.DataFrame(rows, columns=["ticket_id", "activity", "pool", "resource", "ready", "done"])
    at = lambda minutes: START + pd.to_timedelta(minutes, unit="min")  # noqa: E731
    return pd.DataFrame({"ticket_id": frame["ticket_id"], "activity": frame["activity"], "pool": frame["pool"],
                         "resource": frame["resource"], "enqueued_at": at(frame["ready"]),
                         "started_at": pd.NaT, "ended_at": at(frame["done"])})


def test_a_start_is_the_later_of_readiness_and_the_previous_completion():
    """Ann completes at 10, 25 (ready at 0: waiting, so 15 min of work) and 60 (ready at 50: idle from 25 to 50,
    so 10 min). Her first piece opens her session: nothing bounds its start, so its work is the mean of her
    identified replies (12.5 min), but no more than the 10 min since its ticket was ready."""
    work = estimate_work(events([("a", "reply", "L1", "ann", 0, 10), ("b", "reply", "L1", "ann", 0, 25),
                                 ("c", "reply", "L1", "ann", 50, 60)]), START, START + pd.Timedelta(days=7))
    pieces = work.pieces.set_index("ticket_id")
    assert pieces.loc["b", "minutes"] == 15 and pieces.loc["c", "minutes"] == 10
    assert not pieces.loc["a", "identified"] and pieces.loc[["b", "c"], "identified"].all()
    assert pieces.loc["a", "minutes"] == 10
    assert any("open a person's session" in note for note in work.notes)


def test_bad_input_is_named_and_counted():
    """A person seen in two teams is kept in one (counted), a piece completed before its ticket was ready (clock
    skew) has no work, an account in session around the clock is not a person, and events naming nobody are not
    work: each is a note with its count."""
    rows = [("t1", "reply", "L1", "bob", 0, 5), ("t2", "reply", "L1", "bob", 0, 12),
            ("t3", "fix", "L2", "bob", 0, 20),  # bob in L2 once
            ("t4", "reply", "L1", "bob", 40, 30),  # completed 10 min before it was ready
            ("t5", "note", "L1", None, 0, 31)]
    rows += [(f"s{k}", "sync", "L1", "system", 60 * k, 60 * k + 1) for k in range(7 * 24)]  # every hour all week
    work = estimate_work(events(rows), START, START + pd.Timedelta(days=7))
    notes = " | ".join(work.notes)
    assert "1 people work in more than one team (bob)" in notes and "(1 pieces moved)" in notes
    assert "1 pieces of work end before their ticket was ready" in notes
    assert "1 resource(s) are in session more than 20 h a day (system)" in notes
    assert "1 events in the window name no person" in notes
    assert set(work.pieces["resource"]) == {"bob"} and set(work.pieces["pool"]) == {"L1"}
    assert work.pieces.set_index("ticket_id").loc["t4", "minutes"] == 0


def test_presence_is_the_time_average_of_sessions_per_hour_of_the_week():
    """Two people each work back-to-back from 09:00 for four hours on Monday and Tuesday of both weeks of the
    window: two people on duty in those hours of the week, nobody at night, busy all the time."""
    rows = []
    for day in (0, 1, 7, 8):
        for person in ("p1", "p2"):
            t0 = day * 1440 + 9 * 60
            rows += [(f"{person}-{day}-{k}", "fix", "L2", person, t0 - 30, t0 + 15 * (k + 1)) for k in range(16)]
    work = estimate_work(events(rows), START, START + pd.Timedelta(days=14))
    people = work.presence.set_index("hour_of_week")["active_people"]
    assert people.loc[10] == pytest.approx(2.0) and people.loc[24 + 11] == pytest.approx(2.0)
    assert 3 not in people.index and people.sum() == pytest.approx(2 * 2 * 4.0, rel=0.02)
    assert work.utilisation()["L2"] == pytest.approx(1.0)


def chat_desk(held: int, seed: int) -> tuple[pd.DataFrame, float]:
    """Three agents, each holding up to ``held`` chats at once, on duty 09:00-17:00 for ten days; chats arrive at a
    load of 0.7 per slot, each takes its own lognormal work (mean 20 min) in the first slot to free. The events,
    and the chats' true mean work."""
    rng = np.random.default_rng([held, seed])
    rows, work = [], []
    for agent, day in itertools.product(range(3), range(10)):
        opens = day * 1440 + 540
        arrivals = np.sort(rng.uniform(opens, opens + 480, rng.poisson(0.035 * held * 480)))
        free = [float(opens)] * held
        for n, ready in enumerate(arrivals):
            slot = int(np.argmin(free))
            minutes = rng.lognormal(np.log(20.0) - 0.5, 1.0)
            free[slot] = max(ready, free[slot]) + minutes
            work.append(minutes)
            rows.append((f"c{agent}-{day}-{n}", "chat", "A", f"agent{agent}", ready, free[slot]))
    return events(rows), float(np.mean(work))


@pytest.mark.parametrize("held", [1, 2, 3])
def test_tickets_held_at_once_and_their_work_are_identified(held):
    """People holding one, two or three chats at once: the slots are found, and each chat's work with them (the
    time from its slot freeing to its completion) within 8% of the truth. Read one at a time, chats held
    together look 1/k as long: their completions interleave."""
    for seed in range(3):
        log, true_mean = chat_desk(held, seed)
        work = estimate_work(log, START, START + pd.Timedelta(days=10))
        assert work.concurrency == {"A": held}
        found = work.pieces.loc[work.pieces["identified"], "minutes"].mean()
        assert found == pytest.approx(true_mean, rel=0.08)


def test_a_quiet_day_of_a_person_with_regular_hours_keeps_their_hours():
    """Ann works Mondays 09:00-17:00, back to back on three of them; on the fourth her last piece is done at 15:00
    and nothing more comes. She was on duty until 17:00 all the same (the log cannot show an idle person): where
    her hours are regular, the process model's presence keeps her usual end, not her last completion."""
    rows, n = [], 0
    for week in range(4):
        monday = week * 7 * 1440
        last = 17 * 60 if week < 3 else 15 * 60
        for done in range(9 * 60 + 30, last + 1, 30):
            rows.append((f"t{n}", "reply", "L1", "ann", monday + 8 * 60, monday + done))
            n += 1
    work = estimate_work(events(rows), START, START + pd.Timedelta(weeks=4))
    monday = work.queue_presence.set_index("hour_of_week")["active_people"]
    assert monday.loc[15] == pytest.approx(1.0, abs=0.02) and monday.loc[16] == pytest.approx(1.0, abs=0.02)
    plain = work.presence.set_index("hour_of_week")["active_people"]
    assert plain.loc[16] < 0.9  # the plain presence (the delay-plus-capacity model's) ends at her completions


def test_a_session_that_stops_while_work_waits_ends_in_the_middle_of_its_last_piece():
    """Ann works back-to-back until she completes a piece at 17:40 begun at 17:20; a ticket ready since 16:50 is
    left for Bob, who takes it at 19:00: her duty ended during that last piece (she finished it), so for the
    process model (pieces are work) she is on duty until its middle, 17:30: half a person in the 17:00 hour, not
    40 minutes and more. Cat, who stops with nothing waiting, keeps her last completion."""
    day = 16 * 60
    rows = [(f"a{k}", "fix", "L2", "ann", day - 120, day + 20 * k) for k in range(1, 6)]  # 16:20 ... 17:40
    rows += [("late", "fix", "L2", "bob", day + 50, day + 200)]  # ready 16:50, Bob (alone) from 19:00 to 19:20
    rows += [("b0", "fix", "L2", "bob", day + 170, day + 180)]
    rows += [(f"c{k}", "fix", "L3", "cat", day + 30 * k - 10, day + 30 * k) for k in range(1, 4)]
    work = estimate_work(events(rows), START, START + pd.Timedelta(days=7))

    def at_five(presence: pd.DataFrame, pool: str) -> float:
        return float(presence[(presence["pool"] == pool) & (presence["hour_of_week"] == 17)]["active_people"].sum())

    assert at_five(work.queue_presence, "L2") == pytest.approx(0.5)
    assert at_five(work.presence, "L2") >= 40 / 60  # to her last completion, and beyond by the team's idle time
    assert at_five(work.queue_presence, "L3") == at_five(work.presence, "L3") >= 0.5  # Cat: until 17:30 or later


def test_a_work_table_keeps_the_mean_of_a_skewed_sample():
    """Pieces of about six minutes with one of a thousand: drawn linearly between 41 quantiles up to the largest,
    they would average half as much again; the table keeps the sample's mean and, within 2%, its median and p90."""
    from servsim.calibration.models.network import _table
    from servsim.distributions import as_distribution

    minutes = np.append(np.random.default_rng(3).lognormal(np.log(4), 0.9, 2000), 1000.0)
    table = _table(minutes)
    assert as_distribution(table).mean == pytest.approx(minutes.mean(), rel=1e-3)
    probabilities, values = list(table["quantiles"]), list(table["quantiles"].values())
    for q in (0.5, 0.9):
        assert np.interp(q, probabilities, values) == pytest.approx(np.quantile(minutes, q), rel=0.02)
