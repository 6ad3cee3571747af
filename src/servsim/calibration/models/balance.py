"""Balancing the capacity model on itself: two of its numbers depend on when the model's delays end, which the log
cannot show, so they are measured on the model (:mod:`~servsim.calibration.models.probe`), in ``ROUNDS`` rounds.

- **How much of a team's off-duty work its cover takes.** In the log most of a team's work is done by the team in
  its own hours: a piece ready at night mostly waits for the morning. The model's delays end at any hour, so a
  cover taking all of it gives the covering teams far more of the others' work than the log shows them doing. The
  share a cover takes (one for all covers) is set so that the share of all pieces done by a team in an hour it
  covers another is the log's: the model's own work in those hours stays, the covered work scales with the share.
  Who a piece done in such an hour was meant for cannot be read off the log (the team's own work or a covered
  team's), so this is matched in total, not per team, and the routing shares are re-estimated with the share found
  (:func:`~servsim.calibration.models.capacity.intended_shares`) before the next round. On a synthetic log where
  the first line did 26% of the second line's work at night the balanced model's first line does 30-36% of it (a
  full cover: 70%).
- **The work content.** Each team's work is what its staffing does at its utilisation (assumed, bounded by the
  log's completions), counted on the pieces the log shows done; the model does more pieces than the log completed
  (tickets still open at the export's end, reopenings), and a team covering another does that team's pieces at
  that team's work content. So each team's
  work is scaled by a factor ``f_T`` such that every team ``D`` of the model is busy that share of its staffed
  time: ``busy(D) = sum_T B[D, T] f_T = utilisation(D) x staffed(D)``, where ``B[D, T]`` is the time ``D``
  spent in the probe on work meant for ``T`` (under the new cover share).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

from .capacity import Balance, Capacity, covering
from .probe import probe

MIN_COVER_SHARE = 0.01  # a cover takes at least this share (a cover rule's share must be positive)
SCALES = (0.2, 5.0)  # bounds of a team's work factor: beyond them the assumed utilisation cannot hold for all teams
ROUNDS = 2  # each round measures the model built with the last round's corrections
NOISE = 0.05  # a work factor this close to 1 is within the probe's noise (3 runs of a few weeks): left at 1


def balance(build: Callable[[Balance], tuple[dict, Capacity]], source: str) -> tuple[Balance, str]:
    """The corrections (see the module) after ``ROUNDS`` rounds, each measuring the scenario mapping ``build`` makes
    with the corrections so far (the routing shares follow the cover share: see
    :func:`~servsim.calibration.models.capacity.intended_shares`); and a note saying what was set."""
    current = Balance()
    for _ in range(ROUNDS):
        step, note = balanced(*build(current), source)
        current = Balance(step.cover_share, {team: current.work_scale.get(team, 1.0) * factor
                                             for team, factor in step.work_scale.items()})
    return current, note + ", ".join(f"{team} ×{factor:.2f}" for team, factor in current.work_scale.items()) + ")"


def _shares(utilisation: dict[str, float]) -> str:
    """``60%`` where every team has that utilisation, else ``l1 55%, l2 60%``."""
    if len({round(u, 2) for u in utilisation.values()}) == 1:
        return f"{next(iter(utilisation.values())):.0%}"
    return ", ".join(f"{team} {u:.0%}" for team, u in utilisation.items())


def balanced(data: dict, added: Capacity, source: str) -> tuple[Balance, str]:
    """One round: the cover share and the work factors (relative to those ``data`` has) for the capacity scenario
    mapping ``data`` as ``added`` built it; and the start of a note saying what was set."""
    measured = probe(data, source)
    teams = list(data["teams"])
    stage_team = {name: stage["team"] for name, stage in data["stages"].items() if stage.get("team")}
    work = measured.work
    meant = work["stage"].map(stage_team)
    minutes = (work.groupby([work["pool"], meant])["worked"].sum().unstack(fill_value=0.0)
               .reindex(index=teams, columns=teams, fill_value=0.0))
    # each doing team's busy time (as the KPIs count it), shared among the teams its work was meant for
    share_of_busy = minutes.div(minutes.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
    busy = share_of_busy.mul(measured.busy_h.reindex(teams).fillna(0.0) * 60.0, axis=0).to_numpy(copy=True)
    cover = data.get("policies", {}).get("cover", [])
    current = cover[0].get("share", 1.0) if cover else 1.0
    share = current
    if cover:
        # the share of the pieces done by a team in an hour it covers another is the log's when the covers take the
        # share they took in the log: the model's own work there stays, the work it covers scales with the share
        there = covering(work["pool"].to_numpy(), work["hour"].to_numpy(), added.doers)
        own = (work["pool"] == meant).to_numpy()
        own_there, covered_there = (there & own).mean(), (there & ~own).mean()
        if covered_there > 0:
            share = float(np.clip(current * (added.covering - own_there) / covered_there, MIN_COVER_SHARE, 1.0))
        kept = share / current  # of the work the covers took, the share they take now; the rest is the team's own
        for team in (teams.index(rule["team"]) for rule in cover):
            others = np.arange(len(teams)) != team
            busy[team, team] += busy[others, team].sum() * (1.0 - kept)
            busy[others, team] *= kept
    staffed = measured.staffed_h.reindex(teams).fillna(0.0).to_numpy() * 60.0
    scales = dict.fromkeys(teams, 1.0)
    some = busy.sum(axis=0) > 0  # teams with work meant for them in the probe
    if some.any():
        target = np.array([added.utilisation.get(team, 0.0) for team in teams]) * staffed
        fit = optimize.lsq_linear(busy[:, some], target, bounds=SCALES)
        factors = zip(np.array(teams)[some], fit.x)
        scales.update({team: float(f) if abs(f - 1.0) > NOISE else 1.0 for team, f in factors})
    note = ("balance (measured on the model): " +
            (f"{added.covering:.0%} of the log's pieces of work were done by a team in an hour it covers another (the "
             f"model with full cover: {own_there + covered_there / current:.0%}), so a cover takes "
             f"{share:.0%} of the work arriving while its team is off duty (the rest waits for the team); "
             if cover else "") +
            f"each team's work scaled to keep it busy {_shares(added.utilisation)} of its staffed time in the model (")
    return Balance(share, scales), note
