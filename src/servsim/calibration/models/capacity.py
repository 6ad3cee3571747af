"""Delay plus capacity: making a model calibrated on a completion-only ticket log answer staffing questions.

A ticket export records when a ticket was answered and resolved, not how long anyone worked on it: people hold
many tickets at once, and most of a ticket's time in a stage is waiting (for a colleague, a vendor, the next
morning). The skeleton built by ``build`` reproduces those sojourns as team-less delays. This module adds the
capacity the work needs:

- **staffing**: the people on duty per hour of the week (their sessions of work, averaged over the window's weeks:
  :mod:`~servsim.calibration.evidence.work`) become the weekly shifts of a team per busy group of the log (the
  rest pooled; one team, ``desk``, where fewer than two groups are busy enough);
- **work content**: every answer and every resolution is a piece of work done by someone on duty; the log's
  throughput gives the total, ``utilisation × staffed minutes``. The utilisation is ASSUMED (people who hold
  many tickets at once show no idle time): default ``DEFAULT_UTILISATION``, settable, at most the busy share the
  log's completions allow, and the report shows the band from 0.4 to 0.9.
  The total is shared among the kinds of piece in proportion to the median time tickets spend before them
  (capped at ``CAP_MIN``): a ticket answered and resolved within ten minutes cannot have taken an hour's work;
- **structure**: each routed step ``S -> T`` gets work stages ``S_to_T_by_team`` (the teams that did such work)
  between the delay of ``S`` and ``T``. The first response is the start of the pickup's work (the ticket is
  taken), or, where the first touch resolves the ticket, its end (the reply is the fix). The work the log
  counts inside a sojourn is split off it: the delay is the fitted sojourn scaled down by the work's share of
  its mean, and the work is the sojourn scaled to the work's mean (quick tickets take quick work), so that
  delay plus work keeps the sojourn's mean. The wait for a free person is in the sojourn too; it depends on
  the staffing the model adds, so :mod:`~servsim.calibration.models.waits` measures it on the model and takes it
  out of the delays.

With this, fewer people mean queues for the work and later answers and resolutions; more people shorten them
down to the delays. How steep that response is depends on the assumed utilisation, which the scenario's
provenance marks as assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from ...distributions import as_distribution
from ...errors import ServsimError
from ..evidence.staffing import weekly_shifts
from ..importers.labels import shares, slug

DEFAULT_UTILISATION = 0.6
BAND = (0.4, 0.9)
TEAM = "desk"
DELAY_STAGES = ("pickup", "first_touch", "handling", "escalated")  # the skeleton's team stages, now delays
WORKED = ("pickup", "handling", "escalated")  # the delays whose end is an answer or a resolution: work follows
CAP_MIN = 480.0  # a piece's weight is the median time before it, and a piece's work, up to a working day
MAX_SHARE = 0.9  # work takes at most this share of a sojourn's mean; the rest stays a delay
MIN_TEAM_SHARE = 0.03  # groups doing less of the work than this are pooled into OTHER
MAX_TEAMS = 8
MIN_TEAM_HOURS = 40  # hours of the week with someone on duty (rounded) below which a group is too thin to staff
OTHER = "other_groups"
MIN_FIT = 30  # tickets a team answered below which who takes them over follows all teams' hand-overs
BANDS = {"quick": (0.0, 0.5), "slow": (0.5, 1.0)}  # halves of a sojourn: a ticket's delay and work come from one


@dataclass(frozen=True)
class Balance:
    """Corrections measured on the capacity model itself (:mod:`~servsim.calibration.models.balance`): the share of a
    team's off-duty work its cover takes, and per team a factor on its work content."""

    cover_share: float = 1.0
    work_scale: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Capacity:
    """What :func:`add_capacity` added: the provenance of it (field path -> identified/assumed and why), the team of
    each group of the log, the team of a group not seen in the window, who does each team's work in each hour of
    the week (:func:`_doers`) and the share of the log's pieces of work done by a team in an hour it covers
    another (:func:`covering`)."""

    provenance: dict[str, str]
    utilisation: dict[str, float]
    band: dict[str, tuple[float, float, float]]  # team -> (low, assumed, high) utilisation, where it is assumed
    team_of: dict[str, str]
    fallback: str
    doers: dict[str, np.ndarray]
    covering: float


def add_capacity(data: dict, staffing: pd.DataFrame, pieces: pd.DataFrame, weeks: int,
                 utilisation: float | None, notes: list[str], balance: Balance | None = None,
                 busy: pd.Series | None = None) -> Capacity:
    """Turn the skeleton ``data`` (a scenario mapping, changed in place) into delays plus staffed teams.

    ``staffing`` is people on duty per pool and hour of the week (fractional); ``pieces`` has one row per piece
    of work in the window (``stage, target, minutes, group, entry_group, hour``: see ``build._pieces``);
    ``busy`` is the most work the log allows per pool (minutes over the window in which its people were in
    session and not visibly idle, :mod:`~servsim.calibration.evidence.work`): a team's utilisation is ``utilisation``
    (assumed, default ``DEFAULT_UTILISATION``) but no more than that share of its time on duty. ``balance``
    corrects the cover's shares and the teams' work contents as measured on the model.
    """
    balance = balance or Balance()
    team_of, fallback = _teams(staffing, pieces, notes)
    pieces = pieces.assign(team=pieces["group"].map(team_of).fillna(fallback),
                           entry_team=pieces["entry_group"].map(team_of).fillna(fallback))
    pool_team = staffing["pool"].astype(str).map(team_of).fillna(fallback)
    teams, staffed_min, levels, present_min = {}, {}, {}, {}
    for team, rows in staffing.groupby(pool_team.to_numpy()):
        per_hour = rows.groupby("hour_of_week")["active_people"].sum().reindex(range(168), fill_value=0.0)
        levels[team] = np.rint(per_hour.to_numpy()).astype(int)
        teams[team] = {"shifts": _shifts(team, levels[team])}
        staffed_min[team] = float(levels[team].sum()) * 60.0 * weeks
        present_min[team] = float(per_hour.sum()) * 60.0 * weeks
    bound: dict[str, float] = {}
    if busy is not None and utilisation is None:
        busy_team = busy.groupby(busy.index.astype(str).map(team_of).fillna(fallback)).sum()
        bound = {team: float(busy_team.get(team, 0.0)) / present_min[team] for team in teams}
    given = utilisation
    utilisation = DEFAULT_UTILISATION if utilisation is None else utilisation
    used = {team: min(utilisation, bound.get(team, utilisation)) for team in teams}
    # an assumed utilisation's band: from BAND's low end to the most the log allows (within BAND)
    work_band = {} if given is not None else {team: (min(BAND[0], used[team]), used[team],
                                                     max(used[team], min(BAND[1], bound.get(team, BAND[1]))))
                                              for team in teams}
    kinds = (pieces.groupby(["stage", "target", "team"])["minutes"].agg(["size", "median"])
             .rename(columns={"size": "n"}).reset_index())
    kinds["weight"] = kinds["median"].clip(1.0, CAP_MIN)
    load = (kinds["n"] * kinds["weight"]).groupby(kinds["team"]).sum()
    # a team's work is its utilisation of the time on duty, carried by the (rounded) shifts the model staffs
    kinds["work"] = kinds["weight"] * kinds["team"].map(used) * kinds["team"].map(staffed_min) / \
        kinds["team"].map(load) * kinds["team"].map(lambda team: balance.work_scale.get(team, 1.0))
    work = {(r.stage, r.target, r.team): float(r.work) for r in kinds.itertuples()}
    total = int(kinds["n"].sum())
    staffed_per_piece = sum(staffed_min.values()) / max(total, 1)
    mean_work = sum(used[t] * staffed_min[t] for t in teams) / max(total, 1)
    people = {team: present_min[team] / 60.0 / weeks / 168 for team in teams}
    band = ", ".join(f"{u:.0%}: {u * staffed_per_piece:.0f} min" for u in BAND)
    how = f"at an ASSUMED utilisation of {utilisation:.0%} (band {band}; set it with --utilisation)"
    if bound:
        how += (", no more than the log allows: its people were in session and not visibly idle " +
                ", ".join(f"{t} {u:.0%}" for t, u in bound.items()) + " of their time on duty (an upper bound: "
                "people who hold many tickets at once do more than their tickets' work)")
    notes.append(f"capacity: {len(teams)} team(s), " + ", ".join(f"{t} {n:.1f}" for t, n in people.items()) +
                 f" people on duty per hour on average; {total:,} answers and resolutions in the window take "
                 f"{mean_work:.0f} min of work on average, {how}, shared within each team by the median time before "
                 "each kind of piece")
    data["teams"] = teams
    cover = _cover(levels)
    doers = _doers(levels, cover)
    if balance.cover_share < 1.0:
        for rule in cover:
            rule["share"] = round(balance.cover_share, 4)
    if cover:
        data.setdefault("policies", {})["cover"] = cover
        notes.append("cover: work arriving for a team with nobody on duty goes to the teams on duty then (" +
                     "; ".join(f"{c['team']} by {', '.join(c['by'])}" for c in cover) + ")")
    stages = {name: ({"escalation": True} if name == "escalated" else {}) for name in data["stages"]
              if name in DELAY_STAGES or data["stages"][name].get("team") is None}
    split = _Split(kinds, pieces, work, mean_work, len(teams) > 1, doers, balance.cover_share)
    for tt in data["ticket_types"].values():
        steps = tt["steps"]
        for name in [s for s in steps if s in WORKED]:
            split.work_pieces(name, steps)
        for entry in split.entry_teams:  # who answered a ticket decides who takes it over: L1 -> L2 routes
            for name in ("handling", "escalated"):
                if name in steps and f"pickup_to_{name}_by_{entry}" in steps:
                    steps[f"{name}_from_{entry}"] = split.handed_over(name, steps[name], entry)
                    stages[f"{name}_from_{entry}"] = dict(stages[name])
                    steps[f"pickup_to_{name}_by_{entry}"]["next"] = f"{name}_from_{entry}"
    if "first_touch" in stages:
        stages["first_touch"] = {"first_response": True}
    for name, (team, first_response) in split.work_stages.items():
        stages[name] = {"team": team, "first_response": first_response}
    data["stages"] = stages
    provenance = {"teams": "identified: people on duty per hour of the week in the log (their sessions), per group"
                           + (f" ({', '.join(sorted(teams))})" if len(teams) > 1 else ""),
                  **({"policies.cover": "assumed: the teams on duty take the work of a team off duty, the one "
                                        "with the most people on duty in its off hours first"} if cover else {}),
                  **({"policies.cover.*.share": "identified: the model's teams do as much of their work in hours "
                                                "they cover others as the log's did (measured on the model)"}
                     if any("share" in rule for rule in cover) else {}),
                  "ticket_types.*.steps.*_to_*.work": f"assumed: utilisation {utilisation:.0%} of the staffed time" + (
                      " (at most the busy share the log's completions show: " +
                      ", ".join(f"{t} {u:.0%}" for t, u in bound.items()) + ")" if bound else "")}
    return Capacity(provenance, used, work_band, team_of, fallback, doers,
                    float(covering(pieces["team"].to_numpy(), pieces["hour"].to_numpy(), doers).mean()))


def _teams(staffing: pd.DataFrame, pieces: pd.DataFrame, notes: list[str]) -> tuple[dict[str, str], str]:
    """Which group is which team: the groups doing at least ``MIN_TEAM_SHARE`` of the pieces of work (at most
    ``MAX_TEAMS``) with someone on duty in at least ``MIN_TEAM_HOURS`` hours of the week are teams of their own;
    the rest are pooled into ``OTHER`` (or, if no one of theirs is ever on duty, into the busiest team). One
    team, ``TEAM``, where the log names fewer than two such groups. Returns the mapping and the team of a piece
    whose group is not known."""
    per_hour = staffing.groupby(["pool", "hour_of_week"])["active_people"].sum()
    staffed = per_hour[per_hour >= 0.5].groupby(level="pool").size()
    share = pieces["group"].dropna().astype(str).value_counts(normalize=True)
    kept = [g for g in share.index if share[g] >= MIN_TEAM_SHARE and staffed.get(g, 0) >= MIN_TEAM_HOURS][:MAX_TEAMS]
    groups = set(share.index) | set(staffing["pool"].astype(str))
    if len(kept) < 2:
        return {g: TEAM for g in groups}, TEAM
    names: dict[str, str] = {}
    for g in kept:
        name = slug(g)
        names[g] = name if name not in names.values() else f"{name}_{len(names)}"
    rest = groups - set(kept)
    pooled_staffed = per_hour[per_hour.index.get_level_values("pool").isin(rest)].groupby(level="hour_of_week").sum()
    other = OTHER if (pooled_staffed >= 0.5).any() else names[kept[0]]
    notes.append(f"teams: {len(kept)} groups do {share[kept].sum():.0%} of the work and are teams of their own; "
                 f"{len(rest)} other groups (" + ", ".join(sorted(rest)[:8]) + (", ..." if len(rest) > 8 else "") +
                 f"), doing {share[share.index.isin(rest)].sum():.0%}, are pooled into {other} (every group's team: "
                 "teams.csv)")
    return {**{g: other for g in rest}, **names}, other


class _Split:
    """Splits each routed step ``S -> T`` of the skeleton into a delay and pieces of work ``S_to_T[_by_team]``,
    each done by the team that did such pieces in the log, in the proportions seen."""

    def __init__(self, kinds: pd.DataFrame, pieces: pd.DataFrame, work: dict, mean_work: float, by_team: bool,
                 doers: dict[str, np.ndarray], cover_share: float):
        self.kinds, self.pieces, self.work, self.mean_work, self.by_team = kinds, pieces, work, mean_work, by_team
        self.doers, self.cover_share = doers, cover_share
        self.shares: dict[tuple[str, str], dict[str, float]] = {}  # (stage, target) -> teams(stage, target)
        self.work_stages: dict[str, tuple[str, bool]] = {}  # piece of work -> (its team, is a first response)
        self.target_of: dict[str, str] = {}  # piece of work -> the stage (or resolve) it leads to
        self.variants: dict[tuple[str, str, str], list[tuple[str, float]]] = {}  # (stage, target, team) -> its
        # pieces of work (one per band of the sojourn, or one) and the share of the tickets each takes
        answered = pieces[pieces["stage"] == "pickup"]["team"].value_counts()
        self.entry_teams = [t for t in answered.index if answered[t] >= MIN_FIT] if by_team else []

    def teams(self, stage: str, target: str, rows: pd.DataFrame | None = None) -> dict[str, float]:
        """Share of each team among the pieces ``stage -> target`` (of ``rows``, default all) meant for it: the
        pieces a team did for a team off duty count as the other's (see :func:`intended_shares`)."""
        if rows is None:  # asked again for every piece that follows: estimated once
            if (stage, target) not in self.shares:
                self.shares[(stage, target)] = self.teams(stage, target, self.pieces)
            return self.shares[(stage, target)]
        rows = rows[(rows["stage"] == stage) & (rows["target"] == target)]
        if self.by_team and len(rows):
            meant = intended_shares(rows["team"].to_numpy(), rows["hour"].to_numpy(), self.doers, self.cover_share)
            if meant:
                return meant
        n = rows["team"].value_counts()
        if n.sum() == 0:
            n = self.kinds[(self.kinds["stage"] == stage) & (self.kinds["target"] == target)].set_index("team")["n"]
        if n.sum() == 0:
            n = self.kinds.groupby("team")["n"].sum()
        return {str(k): float(v) / float(n.sum()) for k, v in n.items() if v > 0}

    def stage_name(self, stage: str, target: str, team: str) -> str:
        return f"{stage}_to_{target}" + (f"_by_{team}" if self.by_team else "")

    def mean(self, stage: str, target: str, team: str | None = None) -> float:
        """Mean work of a piece (of ``team``; else averaged over the teams that do such pieces)."""
        if team is not None:
            return self.work.get((stage, target, team), self.mean_work)
        shares = self.teams(stage, target)
        return sum(p * self.mean(stage, target, t) for t, p in shares.items())

    def work_pieces(self, name: str, steps: dict) -> None:
        step = steps[name]
        route = {step["next"]: 1.0} if isinstance(step["next"], str) else step["next"]
        main = max(route, key=route.get)
        delays, table = {}, {}
        for target, p in route.items():
            sojourn = step.get("work_by_next", {}).get(target, step["work"])
            spent = (self.mean(name, target) if name != "pickup" or target == "first_touch" else 0.0) + \
                (self.mean("pickup", name) if name != "pickup" else 0.0)
            delay = scaled(sojourn, 1.0 - min(spent / max(as_distribution(sojourn).mean, 1e-9), MAX_SHARE))
            own = name != "pickup" or target == "first_touch"
            for team, q in self.teams(name, target).items():
                base = self.stage_name(name, target, team)
                mean = self.mean(name, target, team)
                # work inside a sojourn is shaped like it, and a ticket's delay and work come from the same band of
                # it (quick tickets take quick work, and their delay is quick too); work after a first response is
                # counted inside the next stage's sojourn and drawn exponential
                if own:
                    work = _work_like(sojourn, mean)
                    pieces = [(f"{base}_{band}", hi - lo, band_of(delay, lo, hi), band_of(work, lo, hi))
                              for band, (lo, hi) in BANDS.items()]
                else:
                    pieces = [(base, 1.0, delay, {"kind": "exponential", "mean": round(mean, 3)})]
                self.variants[(name, target, team)] = [(stage, width) for stage, width, _, _ in pieces]
                for stage, width, band_delay, band_work in pieces:
                    # the log's first response is the start of the work, except where the first touch resolves
                    # the ticket: there the reply is the fix, logged when the work ends
                    self.work_stages[stage] = (team, name == "pickup" and target != "first_touch")
                    self.target_of[stage] = target
                    steps[stage] = {"work": band_work, "next": target}
                    delays[stage] = band_delay
                    table[stage] = p * q * width
        route_step(step, delays, table, main=max((s for s in table if self.target_of[s] == main), key=table.get))

    def handed_over(self, name: str, step: dict, entry: str) -> dict:
        """A copy of the (already split) step ``name`` for tickets answered by ``entry``: its pieces go to the teams
        that took over such tickets from ``entry`` in the log."""
        rows = self.pieces[self.pieces["entry_team"] == entry]
        route = step["next"] if isinstance(step["next"], dict) else {step["next"]: 1.0}
        delays = {s: step.get("work_by_next", {}).get(s, step["work"]) for s in route}
        by_target: dict[str, float] = {}
        for s, p in route.items():
            by_target[self.target_of[s]] = by_target.get(self.target_of[s], 0.0) + p
        table = {}
        own = rows[rows["stage"] == name]
        for target, p in by_target.items():
            if (own["target"] == target).sum() >= MIN_FIT:
                shares = self.teams(name, target, own)
            elif name == "handling" and any(s in delays for s, _ in self.variants.get((name, target, entry), [])):
                shares = {entry: 1.0}  # no hand-over: the same team
            else:
                shares = self.teams(name, target)
            for team, q in shares.items():
                for stage, width in self.variants.get((name, target, team), []):
                    if stage in delays:
                        table[stage] = p * q * width
        copy = dict(step)
        route_step(copy, delays, table, main=max(table, key=table.get))
        return copy


def route_step(step: dict, delays: dict[str, dict], table: dict[str, float], main: str) -> None:
    """Set a step's ``next`` to ``table`` (renormalised, routes without a share left out), its ``work`` to the main
    route's delay and the other routes' delays under ``work_by_next``."""
    table = {k: v for k, v in table.items() if v > 0}
    step["work"] = None  # keeps the keys in the order work, next, work_by_next
    step["next"] = shares(pd.Series(table)) if len(table) > 1 else main
    set_delays(step, {k: delays[k] for k in table}, main)


def set_delays(step: dict, delays: dict[str, dict], main: str) -> None:
    """A step's ``work`` is the ``main`` route's delay; the routes whose delay differs have theirs under
    ``work_by_next``."""
    step["work"] = delays[main]
    step.pop("work_by_next", None)
    others = {k: d for k, d in delays.items() if k != main and d != delays[main]}
    if others:
        step["work_by_next"] = others


def _cover(levels: dict[str, np.ndarray]) -> list[dict]:
    """Out-of-hours cover: a team with hours of the week when nobody of it is on duty is covered by the teams on
    duty in those hours, the one with the most person-hours in them first (``levels``: people per hour of the
    week, per team)."""
    cover = []
    for team, level in levels.items():
        off = level == 0
        if not off.any():
            continue
        there = {other: int(people[off].sum()) for other, people in levels.items() if other != team}
        by = sorted((other for other in there if there[other] > 0), key=lambda other: -there[other])
        if by:
            cover.append({"team": team, "by": by})
    return cover


def _doers(levels: dict[str, np.ndarray], cover: list[dict]) -> dict[str, np.ndarray]:
    """Per team, who does its work in each hour of the week under ``cover``: the team itself while someone of it
    is on duty, else the first of its covering teams that has someone on duty, else (nobody) itself, later."""
    by = {rule["team"]: rule["by"] for rule in cover}
    doers = {}
    for team, level in levels.items():
        doer = np.full(168, team, dtype=object)
        for hour in np.flatnonzero(level == 0):
            doer[hour] = next((other for other in by.get(team, []) if levels[other][hour] > 0), team)
        doers[team] = doer
    return doers


def covering(done_by: np.ndarray, hour: np.ndarray, doers: dict[str, np.ndarray]) -> np.ndarray:
    """Which pieces of work were done by a team in an hour of the week when it covers another (``doers``: who does
    each team's work in each hour; :func:`_doers`)."""
    covers = np.zeros((len(doers), 168), bool)  # team x hour: covers another team then
    index = {name: k for k, name in enumerate(doers)}
    for team, doer in doers.items():
        for hour_of_week in np.flatnonzero(doer != team):
            covers[index[doer[hour_of_week]], hour_of_week] = True
    team, known = _team_hours(done_by, hour, index)
    out = np.zeros(len(team), bool)
    out[known] = covers[team[known], hour[known]]
    return out


def _team_hours(done_by: np.ndarray, hour: np.ndarray, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Each piece's team as its ``index`` (-1: a team not there), and whether its team and hour of the week are
    known."""
    team = np.array([index.get(t, -1) for t in done_by], dtype=np.int64)
    return team, (team >= 0) & (hour >= 0) & (hour < 168)


def intended_shares(done_by: np.ndarray, hour: np.ndarray, doers: dict[str, np.ndarray], cover_share: float = 1.0,
                    rounds: int = 200) -> dict[str, float]:
    """The share of pieces of work meant for each team, from the team that did each piece and the hour of the
    week it was done in, where the work of a team off duty is done by another (``doers``: who does each team's
    work in each hour; :func:`_doers`).

    Counting who did the pieces would give a covering team its own work *and* what it did for the others; the
    model then covers those again, so the covering team would do that work twice. This is the maximum-likelihood
    mixture (EM): a piece done by team d in hour h was meant for one of the teams whose work d does in h, in
    proportion to their shares, the others' times ``cover_share`` (the share of a team's off-duty work its cover
    takes: the rest waits for the team's own hours). A piece the cover cannot explain (done by a team off duty,
    say) counts as its doer's. Empty where no piece has a known team and hour."""
    names = list(doers)
    n_teams = len(names)
    index = {name: i for i, name in enumerate(names)}
    doer = np.array([[index[d] for d in doers[name]] for name in names])  # meant-for team x hour -> doing team
    team, known = _team_hours(done_by, hour, index)
    if not known.any():
        return {}
    done = np.bincount(team[known] * 168 + hour[known], minlength=n_teams * 168).reshape(n_teams, 168)
    could = doer[:, None, :] == np.arange(n_teams)[None, :, None]  # meant x done x hour: could have been meant
    unexplained = ~could.any(axis=0)
    diagonal = np.arange(n_teams)
    could[diagonal, diagonal, :] |= unexplained
    share = done.sum(axis=1) / done.sum()
    cover = np.where(np.eye(n_teams, dtype=bool), 1.0, cover_share)[:, :, None]  # meant x done
    for _ in range(rounds):
        weight = could * cover * share[:, None, None]
        total = weight.sum(axis=0)
        meant = (weight * np.divide(done, total, out=np.zeros(total.shape), where=total > 0)).sum(axis=(1, 2))
        converged = np.abs(meant / meant.sum() - share).max() < 1e-9
        share = meant / meant.sum()
        if converged:
            break
    return {name: float(s) for name, s in zip(names, share) if s > 1e-6}


def _shifts(team: str, level: np.ndarray) -> dict:
    monday = pd.Timestamp("2024-01-01")  # any Monday: the shifts are a weekly pattern
    week = pd.DataFrame({"team": team, "start": monday + pd.to_timedelta(np.arange(168), unit="h"),
                         "end": monday + pd.to_timedelta(np.arange(1, 169), unit="h"), "headcount": level})
    shifts = weekly_shifts(week, monday, stacked=False).get(team, {})
    if not shifts:
        raise ServsimError(f"no one of team {team} is active in any hour of the window; the log's resources cannot "
                           "staff it (calibrate without --capacity)")
    return shifts


def _work_like(sojourn: dict, mean: float) -> dict:
    """A work time shaped like ``sojourn``, with mean ``mean`` and no piece longer than ``CAP_MIN``."""
    p, q = quantile_table(sojourn)
    target = min(mean, 0.99 * CAP_MIN)

    def mean_of(factor: float) -> float:  # the mean of the capped table, as the empirical distribution computes it
        values = np.array(_times(q, factor, CAP_MIN))
        return float(np.sum(np.diff(p) * (values[1:] + values[:-1]) / 2)) - target

    low = mean / max(as_distribution(sojourn).mean, 1e-9)
    high = low
    while mean_of(high) < 0 and high < low * 1e6:
        high *= 4
    factor = optimize.brentq(mean_of, low, high, xtol=1e-9 * low) if mean_of(low) < 0 < mean_of(high) else low
    return _table(p, q, factor, CAP_MIN)


def band_of(spec: dict, low: float, high: float) -> dict:
    """The duration ``spec`` between its quantiles ``low`` and ``high`` (a probability of its table), as an empirical
    quantile table: a mixture of its bands, weighted by their widths, is ``spec`` itself."""
    p, q = quantile_table(spec)
    inside = (p > low + 1e-9) & (p < high - 1e-9)
    probabilities = np.concatenate([[low], p[inside], [high]])
    values = np.concatenate([[np.interp(low, p, q)], q[inside], [np.interp(high, p, q)]])
    return {"kind": "empirical", "quantiles": {round(float((k - low) / (high - low)), 6): round(float(v), 3)
                                               for k, v in zip(probabilities, values)}}


def unbanded(bands: dict[str, dict]) -> dict:
    """The duration whose bands (``BANDS``) are ``bands``: their quantile tables end to end."""
    table: dict[float, float] = {}
    for band, spec in bands.items():
        low, high = BANDS[band]
        p, q = quantile_table(spec)
        table.update({round(float(low + k * (high - low)), 6): float(v) for k, v in zip(p, q)})
    return {"kind": "empirical", "quantiles": dict(sorted(table.items()))}


def scaled(spec: dict, factor: float, cap: float = np.inf) -> dict:
    """The duration ``spec`` times ``factor`` (each quantile, at most ``cap``), as an empirical quantile table."""
    return _table(*quantile_table(spec), factor, cap)


def quantile_table(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and quantiles of a duration spec: its own table, or a family's from a fixed, seeded sample
    (a deterministic table)."""
    table = spec.get("quantiles") if spec.get("kind") == "empirical" else None
    if table and all(isinstance(v, (int, float)) for v in table.values()):  # calibration's own: already in minutes
        p, q = np.array(sorted((float(k), float(v)) for k, v in table.items())).T
        return p, q
    dist = as_distribution(spec)
    if table:
        table = {float(k): v for k, v in dist.quantiles.items()}
        p = np.array(sorted(table))
        return p, np.array([table[k] for k in p])
    p = np.round(np.linspace(0, 1, 101), 2)
    return p, np.quantile(dist.draw(np.random.default_rng(0), 20_000), p)


def _times(q: np.ndarray, factor: float, cap: float) -> list[float]:
    return [round(float(min(v * factor, cap)), 3) for v in q]


def _table(p: np.ndarray, q: np.ndarray, factor: float, cap: float) -> dict:
    return {"kind": "empirical", "quantiles": {float(k): v for k, v in zip(p, _times(q, factor, cap))}}
