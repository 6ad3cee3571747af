"""Staffing what-ifs against a ground truth servsim did not make: a desk of the independent simulator in
benchmarks/desks.py (plain SimPy), calibrated from its completion-only export with servsim's defaults. The full
six-desk benchmark is benchmarks/bench_ground_truth.py; this pins one desk, small enough for the suite."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import servsim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import desks  # noqa: E402

WEEKS = 4


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    """The 'bank' desk (second line at 94% on weekdays only, a third line): its run, its calibration."""
    run = desks.simulate(desks.DESKS["bank"], WEEKS, seed=0)
    log, mapping = desks.write_event_log(run, tmp_path_factory.mktemp("bank"))
    history = servsim.import_log(log, "events", mapping)
    return run, history, servsim.calibrate(history)


def test_the_work_and_presence_are_identified_from_completions(bank):
    """Each team's busy share of its time on duty, from completions alone, is the simulator's within 0.08; the
    second line's person-hours on duty within 5%."""
    from servsim.calibration.evidence.work import estimate_work

    run, history, _ = bank
    work = estimate_work(history.events, run.start, run.end)
    measured = work.utilisation()
    for team, truth in run.utilisation.items():
        assert abs(measured[team] - truth) < 0.08, (team, measured[team], truth)
    rostered = desks.person_hours(desks.DESKS["bank"], "L2") * 60 * WEEKS
    assert abs(work.present_minutes()["L2"] / rostered - 1) < 0.05


def test_the_default_calibration_is_the_process_model_and_says_what_it_identified(bank):
    _, _, cal = bank
    assert cal.process and cal.staffed
    assert set(cal.scenario.teams) == {"l1", "l2", "l3"}
    assert cal.provenance["ticket_types.*.steps.*.work"].startswith("identified")
    assert any(note.startswith("the process model explains the log") for note in cal.notes)


def test_a_cut_in_the_second_line_is_sized_like_the_truth(bank):
    """L2 cut to 70% of its person-hours: in truth the backlog at the end grows by hundreds of tickets and the
    share resolved within a day falls by over 10 points; servsim, given the same change, predicts both within 35%
    (4 replications each, common random numbers)."""
    run, _, cal = bank
    changed = desks.CHANGES["l2_x0.7"](desks.DESKS["bank"])
    truth = desks.simulate(changed, WEEKS, seed=0)
    start, weeks = pd.Timestamp(cal.scenario.clock.start), int(cal.scenario.clock.horizon // 10080)
    factor = desks.person_hours(changed, "L2") / desks.person_hours(desks.DESKS["bank"], "L2")
    cut = cal.scenario.with_changes({"teams.l2.scale": factor}, name="l2 cut")

    def kpis(created, resolved) -> np.ndarray:
        end = start + pd.Timedelta(weeks=weeks)
        open_at_end = float(((created < end) & (resolved.isna() | (resolved >= end))).sum())
        inside = (created >= start + pd.Timedelta(weeks=1)) & (created < end)
        hours = ((resolved - created).dt.total_seconds() / 3600).where(resolved < end, np.inf)[inside]
        return np.array([open_at_end, (hours <= 24).mean()])

    true = kpis(truth.tickets["created"], truth.tickets["resolved"]) - kpis(run.tickets["created"],
                                                                           run.tickets["resolved"])
    predicted = np.mean([kpis(b.tickets["created_at"], b.tickets["resolved_at"]) - kpis(c.tickets["created_at"],
                                                                                         c.tickets["resolved_at"])
                         for b, c in ((servsim.simulate(cut, seed=r), servsim.simulate(cal.scenario, seed=r))
                                      for r in range(4))], axis=0)
    assert true[0] > 200 and true[1] < -0.1  # a change that truly matters
    assert (np.abs(predicted / true - 1) < 0.35).all(), (predicted, true)
