"""The process model: a log that names who did what, as a network of pieces of work done by staffed teams.

Every activity a person completed is a piece of work of a stage ``<activity>_<team>``, done by that team; its work
time is what :mod:`~servsim.calibration.evidence.work` identified from the people's completions. Each ticket type routes
from stage to stage in the proportions the log shows (the next piece of the same ticket; the customer's wait where
the ticket waited for the customer; ``resolve`` where nothing followed but its resolution), enters where its
tickets entered, reopens as often, as late and into the stage the log shows, and gets after its resolution the
work its tickets commonly got after theirs (``closing``: follow-up, quality review). Teams are staffed with the people
on duty in the log (:func:`~servsim.calibration.evidence.work.estimate_work`). Nothing else delays a ticket: the time
between two pieces is the wait for a free person of the next team, which the model's queues make and which is
what staffing changes act on. No team covers another unless the log shows it doing that team's activities (then
the activity is a stage of both teams, in the proportions seen).

The log marks the first response when the piece that carries it is *done*; the model's stages mark it when work
*starts*. So a stage whose pieces carry the first response (at least ``FIRST_RESPONSE_SHARE`` of them) is followed
by a zero-length step without a team, ``<stage>_sent``, that marks it (a reply sent with the work) the first time a
ticket passes. A stage is an escalation where most of its pieces are the log's escalations.

Whether queues and work explain the log is measured on the model, not assumed (``build``): where tickets spent far
longer than they can account for (people hold tickets for days while waiting on others), calibration keeps the
log's sojourns as delays and adds the identified work to them (:mod:`~servsim.calibration.models.capacity`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evidence.history import waits_for_customer
from ..evidence.staffing import weekly_shifts
from ..evidence.work import WorkEstimate
from ..importers.labels import shares, slug
from .capacity import scaled

MIN_TEAM_SHARE = 0.01  # groups doing less of the identified work than this are pooled into OTHER
MAX_TEAMS = 12
OTHER = "other_groups"
MIN_FIT = 50  # pieces of a stage (or moves out of it) of a ticket type below which the type borrows all types'
QUANTILES = np.round(np.linspace(0.0, 1.0, 41), 3)
WAIT = "wait_customer"
RESOLVE = "resolve"
SENT = "_sent"
AFTER = "_after"  # a closing step's stage: the activity done after the ticket's resolution
FIRST_RESPONSE_SHARE = 0.1  # a stage whose pieces carry a ticket's first response this often marks it (see above)


@dataclass(frozen=True)
class Network:
    """What :func:`build_network` wrote into a scenario mapping: the team of each group, the notes, the provenance,
    and the sample behind each route (``route_samples``: ``(ticket type, step)`` -> ``(sample, moves)``, the
    sample named ``type/stage`` for a type's own moves and ``*/stage`` for all types' pooled)."""

    team_of: dict[str, str]
    notes: list[str]
    provenance: dict[str, str]
    route_samples: dict[tuple[str, str], tuple[str, float]]


def build_network(data: dict, events: pd.DataFrame, tickets: pd.DataFrame, type_of: pd.Series,
                  work: WorkEstimate, end: pd.Timestamp) -> Network:
    """Replace the teams, stages and ticket types of the scenario mapping ``data`` (in place) by the process model
    of the tickets ``tickets`` (created in the window; ``type_of``: their ticket type, aligned) and their
    ``events`` up to ``end``; ``work`` is the work the log shows."""
    notes: list[str] = []
    team_of = _teams(work, notes)
    pieces = work.pieces.assign(team=work.pieces["pool"].map(team_of))
    people = pieces.groupby("team")["resource"].nunique()
    if (people == 1).any():
        notes.append("team(s) of one person (" + ", ".join(sorted(people.index[people == 1])) + "): their work and "
                     "presence rest on that person's completions alone, and a change of their staffing is a change "
                     "of a whole person")
    steps = _steps(events, tickets, type_of, pieces, end)
    done = steps[steps["is_work"]]
    team_of_stage = done.groupby("stage")["team"].first().to_dict()
    by_event = pieces.set_index("event")
    done = done.assign(**{c: done["event"].map(by_event[c]) for c in ("minutes", "identified")})
    held = _held_at_once(work, team_of)
    work_of = {stage: _work(rows) for stage, rows in done.groupby("stage")}
    first = done.groupby("stage")["first_response"].mean()
    sent = set(first.index[first >= FIRST_RESPONSE_SHARE])
    escalating = done.groupby("stage")["escalation"].mean()
    waits = steps.loc[steps["stage"] == WAIT, "minutes_since"].to_numpy()
    wait_of = _table(waits) if len(waits) else None

    route_of = _Routes(_moves(steps, tickets.assign(type=type_of.to_numpy()), end))
    ticket_types = {}
    route_samples: dict[tuple[str, str], tuple[str, float]] = {}
    for ttype, tt in data["ticket_types"].items():
        entry = route_of(ttype, "")
        reached = route_of.reachable(ttype)
        tt_steps: dict[str, dict] = {}
        for stage in sorted(reached):
            route = route_of(ttype, stage)
            routed = stage + SENT if stage in sent else stage  # the step whose ``next`` the route is
            route_samples[(ttype, routed)] = route_of.sample(ttype, stage)
            if stage == WAIT:
                tt_steps[stage] = {"work": wait_of, "next": route}
                continue
            if stage in sent:
                tt_steps[stage] = {"work": work_of[stage], "next": stage + SENT}
                tt_steps[stage + SENT] = {"work": {"kind": "constant", "value": 0.0}, "next": route}
            else:
                tt_steps[stage] = {"work": work_of[stage], "next": route}
        if len(entry) > 1:
            tt_steps["entry"] = {"work": {"kind": "constant", "value": 0.0}, "next": entry}
            route_samples[(ttype, "entry")] = route_of.sample(ttype, "")
        new = {"entry": "entry" if len(entry) > 1 else next(iter(entry)), "steps": tt_steps,
               **{k: tt[k] for k in ("category", "attributes", "priorities") if k in tt}}
        reopen = _reopen(steps, ttype)
        if reopen is not None and reopen["reenter"] in tt_steps:
            new["reopen"] = reopen
        closing = _closing(steps[steps["type"] == ttype])
        if closing:  # stages of their own: the same activity may also come before the resolution
            new["closing"] = [stage + AFTER for stage in closing]
            tt_steps.update({stage + AFTER: {"work": work_of[stage]} for stage in closing})
        ticket_types[ttype] = new
    used = {s for tt in ticket_types.values() for s in tt["steps"]}
    stages = {}
    for stage in sorted(used):
        if stage == WAIT or stage == "entry":
            stages[stage] = {}
        elif stage.endswith(SENT):
            stages[stage] = {"first_response": True}
        elif stage.endswith(AFTER):
            stages[stage] = {"team": team_of_stage[stage.removesuffix(AFTER)]}
        else:
            stages[stage] = {"team": team_of_stage[stage],
                             **({"escalation": True} if escalating.get(stage, 0.0) >= 0.5 else {})}
    data["stages"] = stages
    data["ticket_types"] = ticket_types
    data["teams"], rounding = _staffing(work.queue_presence, team_of, notes)
    for name, k in held.items():
        if k > 1 and name in data["teams"]:
            data["teams"][name]["concurrency"] = k
    for tt in ticket_types.values():  # the rounded shifts carry the work the people on duty did
        for stage, step in tt["steps"].items():
            if stages[stage].get("team") in rounding:
                step["work"] = scaled(step["work"], 1.0 / rounding[stages[stage]["team"]])
    for name in [t for t in data["teams"] if t not in set(team_of_stage.values())]:
        data["teams"].pop(name)
    data.setdefault("policies", {}).pop("cover", None)
    notes.append(f"process model: {len(stages)} stages, the pieces of work of {len(set(team_of_stage.values()))} "
                 f"teams routed as the log shows; {len(sent)} stage(s) carry the first response")
    provenance = {
        "teams": "identified: people on duty per hour of the week (each person's sessions of work), per group",
        "ticket_types.*.steps.*.work": "identified: each piece's work from the person's completions (start bounded by "
                                       "their previous completion and the ticket's readiness)",
        "ticket_types.*.steps.*.next": "identified: the next piece of work of each ticket in the log",
        "ticket_types.*.reopen": "identified: reopenings after resolution, their delay and where they re-enter"}
    return Network(team_of, notes, provenance, route_samples)


def _held_at_once(work: WorkEstimate, team_of: dict[str, str]) -> dict[str, int]:
    """Tickets a person of each team holds at once: that of the group doing most of the team's work."""
    out: dict[str, int] = {}
    for pool in work.busy_minutes().sort_values(ascending=False).index:
        out.setdefault(team_of[str(pool)], work.concurrency.get(str(pool), 1))
    return out


def _work(rows: pd.DataFrame) -> dict:
    """A stage's work time from its pieces: the identified ones (all, where fewer than 5 are); a person holding
    several tickets at once works each as long as its slot was taken (see
    :func:`~servsim.calibration.evidence.work.estimate_work`)."""
    known = rows["identified"].astype(bool)
    return _table(rows.loc[known if known.sum() >= 5 else slice(None), "minutes"].to_numpy())


def _teams(work: WorkEstimate, notes: list[str]) -> dict[str, str]:
    """Each group's team: groups doing at least ``MIN_TEAM_SHARE`` of the identified work (at most ``MAX_TEAMS``)
    are teams of their own, the rest pooled into ``OTHER``."""
    busy = work.busy_minutes().sort_values(ascending=False)
    share = busy / busy.sum()
    kept = list(share.index[share >= MIN_TEAM_SHARE][:MAX_TEAMS])
    names: dict[str, str] = {}
    for group in kept:
        name = slug(group)
        names[group] = name if name not in names.values() else f"{name}_{len(names)}"
    rest = [g for g in share.index if g not in names]
    if rest:
        notes.append(f"teams: {len(kept)} groups do {share[kept].sum():.0%} of the work and are teams of their own; "
                     f"{len(rest)} other groups ({', '.join(map(str, rest[:8]))}{', ...' if len(rest) > 8 else ''}), "
                     f"doing {share[rest].sum():.0%}, are pooled into {OTHER} (every group's team: teams.csv)")
    return {**{str(g): OTHER for g in rest}, **{str(g): n for g, n in names.items()}}


def _steps(events: pd.DataFrame, tickets: pd.DataFrame, type_of: pd.Series, pieces: pd.DataFrame,
           end: pd.Timestamp) -> pd.DataFrame:
    """The tickets' events in order as steps of the model: per row its ticket, type, ``stage`` (a piece's
    ``<activity>_<team>``, ``wait_customer``, or None for other events), whether it is work, a reopening, the
    ticket's first response, the minutes since the ticket's previous event, and when it ``ended`` (its ticket
    ``created``, ``resolved_at``)."""
    ids = tickets["ticket_id"].astype(str)
    e = events[events["ticket_id"].astype(str).isin(set(ids)) & (pd.to_datetime(events["ended_at"]) < end)]
    e = e.assign(ticket=e["ticket_id"].astype(str)).sort_values(["ticket", "ended_at"], kind="stable")
    team = e.index.to_series().map(pieces.set_index("event")["team"])
    is_work = team.notna().to_numpy()
    activity = e["activity"].astype(str)
    stage = np.where(is_work, activity.map(slug).to_numpy() + "_" + team.fillna("").to_numpy(), None)
    waiting = ~is_work & waits_for_customer(e).to_numpy()
    stage = np.where(waiting, WAIT, stage)
    same = e["ticket"].eq(e["ticket"].shift()).to_numpy()

    def counted(column: str) -> np.ndarray:  # the event raises the ticket's count (kept by the event importer)
        count = e[column].to_numpy() if column in e else np.zeros(len(e), np.int64)
        return same & (count > np.roll(count, 1)) | ~same & (count > 0)

    reopened = counted("n_reopens") & ~is_work
    ended = pd.to_datetime(e["ended_at"])
    first_response = e["ticket"].map(dict(zip(ids, pd.to_datetime(tickets["first_response_at"]))))
    resolved = e["ticket"].map(dict(zip(ids, pd.to_datetime(tickets["resolved_at"]))))
    created = e["ticket"].map(dict(zip(ids, pd.to_datetime(tickets["created_at"]))))
    return pd.DataFrame({
        "event": e.index.to_numpy(), "ticket": e["ticket"].to_numpy(),
        "ended": ended.to_numpy(), "created": created.to_numpy(), "resolved_at": resolved.to_numpy(),
        "type": e["ticket"].map(dict(zip(ids, type_of.to_numpy()))).to_numpy(),
        "stage": stage, "team": team.to_numpy(), "is_work": is_work, "reopen": reopened,
        "escalation": counted("n_escalations"),
        "first_response": (ended == first_response).to_numpy(),
        "resolved": (resolved.notna() & (resolved < end)).to_numpy(),
        "closing": is_work & (ended > resolved).to_numpy(),
        "minutes_since": ((ended - pd.to_datetime(e["enqueued_at"])).dt.total_seconds() / 60.0).to_numpy()})


def _moves(steps: pd.DataFrame, tickets: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Every move of a ticket (``type, from, to, weight``): ``from`` ``""`` is its entry; ``to`` is the next stage,
    or ``resolve`` where no further step follows before a reopening or the end and the ticket was resolved.

    A ticket still open at the end (of ``tickets``, with a ``type`` column) made a last move the log does not show
    yet, and not at random: a move to a busy team's queue stays unseen until that team completes the piece, one to
    the resolution is seen at once. Counting only the moves seen would understate the share routed to the slowest
    ways out, and a busy second line's load with it (by about 1% in servsim's own world, at 97% utilisation: near
    saturation that is a tenth of the answer to a cut). So each open ticket's last move is shared among the ways
    out of its last stage in proportion to each one's share times the chance that a move of that way would still
    be unseen after the time since (the share of that way's moves seen taking longer; :func:`_unseen_moves`)."""
    kept = steps[(steps["stage"].notna() | steps["reopen"]) & ~steps["closing"]].reset_index(drop=True)
    ticket = kept["ticket"].to_numpy()
    stage = kept["stage"].to_numpy(dtype=object)
    reopen = kept["reopen"].to_numpy()
    ended = kept["ended"].to_numpy()
    first = np.r_[True, ticket[1:] != ticket[:-1]]
    last = np.r_[ticket[1:] != ticket[:-1], True]
    nxt = np.r_[stage[1:], None]
    next_ended = np.r_[ended[1:], ended[-1:]] if len(ended) else ended
    next_reopen = np.r_[reopen[1:], False]
    minute = np.timedelta64(1, "m")
    rows = []
    entry = first & ~reopen
    rows.append(pd.DataFrame({"type": kept["type"][entry], "from": "", "to": stage[entry],
                              "after": (ended - kept["created"].to_numpy())[entry] / minute}))
    inner = ~reopen & ~last & ~next_reopen
    rows.append(pd.DataFrame({"type": kept["type"][inner], "from": stage[inner], "to": nxt[inner],
                              "after": (next_ended - ended)[inner] / minute}))
    ends = ~reopen & (last | next_reopen) & kept["resolved"].to_numpy()
    rows.append(pd.DataFrame({"type": kept["type"][ends], "from": stage[ends], "to": RESOLVE,
                              "after": (kept["resolved_at"].to_numpy() - ended)[ends] / minute}))
    seen = pd.concat(rows, ignore_index=True)
    seen = seen[seen["to"].notna() & (seen["from"] != RESOLVE)].assign(weight=1.0)
    # the open tickets: from their last stage (or their entry, where nothing of theirs is done yet), and how long ago
    resolved = pd.to_datetime(tickets["resolved_at"])
    open_ids = tickets.loc[resolved.isna() | (resolved >= end), ["ticket_id", "type", "created_at"]]
    open_ids = open_ids.assign(ticket=open_ids["ticket_id"].astype(str))
    tail = kept[last & ~reopen & kept["ticket"].isin(set(open_ids["ticket"]))]
    pending = pd.concat([
        pd.DataFrame({"type": tail["type"], "from": tail["stage"], "since": tail["ended"]}),
        pd.DataFrame({"type": open_ids["type"], "from": "", "since": pd.to_datetime(open_ids["created_at"])})[
            ~open_ids["ticket"].isin(set(kept["ticket"]))]], ignore_index=True)
    pending = pending.assign(elapsed=(end - pd.to_datetime(pending["since"])).dt.total_seconds() / 60.0)
    moves = pd.concat([seen.drop(columns="after"), _unseen_moves(seen, pending)], ignore_index=True)
    return moves.astype({"weight": float})


def _unseen_moves(seen: pd.DataFrame, pending: pd.DataFrame, rounds: int = 5) -> pd.DataFrame:
    """The open tickets' last moves (``pending``: ``type, from, elapsed`` minutes), each shared among the ways out
    of its stage that ``seen`` shows (the type's own moves where it has ``MIN_FIT``, else all types'): way *j* in
    proportion to p_j S_j(elapsed), its share p_j and the share S_j of its moves seen taking longer than that. The
    shares are re-estimated with the shared moves counted, a few rounds (an EM); where no way's moves took so
    long, by the shares of the ways other than the resolution."""
    out = []
    own = dict(tuple(seen.groupby(["type", "from"], sort=False)))
    pooled = dict(tuple(seen.groupby("from", sort=False)))
    for (ttype, origin), group in pending.groupby(["type", "from"], sort=False):
        moves = own.get((ttype, origin))
        if moves is None or len(moves) < MIN_FIT:
            moves = pooled.get(origin)
        if moves is None or moves.empty:
            continue
        targets = moves.groupby("to")["after"]
        names = list(targets.groups)
        counts = targets.size().to_numpy(float)
        elapsed = group["elapsed"].to_numpy()
        longer = np.column_stack([
            1.0 - np.searchsorted(np.sort(after.to_numpy()), elapsed, side="right") / len(after)
            for _, after in targets])
        fallback = np.array([name != RESOLVE for name in names], float)
        if not fallback.any():
            continue
        longer = np.where(longer.sum(axis=1, keepdims=True) > 0, longer, fallback)
        share = counts / counts.sum()
        for _ in range(rounds):
            weights = share * longer
            weights /= weights.sum(axis=1, keepdims=True)
            share = (counts + weights.sum(axis=0)) / (counts.sum() + len(group))
        out.append(pd.DataFrame({"type": ttype, "from": origin, "to": names, "weight": weights.sum(axis=0)}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["type", "from", "to", "weight"])


def _closing(steps: pd.DataFrame) -> list[str]:
    """The work a ticket type's resolved tickets commonly get after their resolution (follow-up, quality review):
    the commonest sequence of such pieces, where at least half of the resolved tickets have one."""
    after = steps[steps["closing"]]
    resolved = steps.loc[steps["resolved"], "ticket"].nunique()
    if resolved == 0 or after["ticket"].nunique() < 0.5 * resolved:
        return []
    sequences = after.groupby("ticket", sort=False)["stage"].agg(tuple).value_counts()
    return list(dict.fromkeys(sequences.index[0]))


class _Routes:
    """Where a ticket of a type goes from a stage (``""``: its entry): the shares of the moves' targets (weighted:
    see :func:`_moves`), the type's own where it has ``MIN_FIT`` of them, else all types'."""

    def __init__(self, moves: pd.DataFrame):
        moves = moves.assign(to=moves["to"].astype(str))
        own = moves.groupby(["type", "from", "to"])["weight"].sum()
        pooled = moves.groupby(["from", "to"])["weight"].sum()
        self.own = {key: rows.droplevel([0, 1]) for key, rows in own.groupby(level=[0, 1])}
        self.pooled = {key: rows.droplevel(0) for key, rows in pooled.groupby(level=0)}
        self._shares: dict[tuple[str, str], dict[str, float]] = {}

    def __call__(self, ttype: str, stage: str) -> dict[str, float]:
        if (ttype, stage) not in self._shares:
            rows, _ = self._rows(ttype, stage)
            self._shares[(ttype, stage)] = shares(rows) if rows.sum() > 0 else {RESOLVE: 1.0}
        return dict(self._shares[(ttype, stage)])

    def sample(self, ttype: str, stage: str) -> tuple[str, float]:
        """The sample the route from a stage is estimated on: its name and the moves in it (an open ticket's last
        move counts in its shares)."""
        rows, whose = self._rows(ttype, stage)
        return f"{whose}/{stage}", float(rows.sum())

    def _rows(self, ttype: str, stage: str) -> tuple[pd.Series, str]:
        """The moves the route rests on, as weights per target, and whose they are: the type's own (``ttype``) or
        all types' (``*``)."""
        own = self.own.get((ttype, stage), pd.Series(dtype=float))
        if own.sum() >= MIN_FIT or stage not in self.pooled:
            return own, ttype
        return self.pooled[stage], "*"

    def reachable(self, ttype: str) -> set[str]:
        """The stages a ticket of the type can reach from its entry."""
        seen, todo = set(), [s for s in self(ttype, "") if s != RESOLVE]
        while todo:
            stage = todo.pop()
            if stage not in seen:
                seen.add(stage)
                todo += [s for s in self(ttype, stage) if s != RESOLVE]
        return seen


def _reopen(steps: pd.DataFrame, ttype: str) -> dict | None:
    """How a ticket type's resolved tickets reopen: the share, the delay and the stage they re-enter."""
    own = steps[steps["type"] == ttype]
    resolved = own.loc[own["resolved"], "ticket"].nunique()
    events = own[own["reopen"]]
    if resolved == 0 or len(events) < 5:
        return None
    after = own["stage"].shift(-1)[own["reopen"]].dropna()
    reenter = after[after != WAIT].value_counts()
    if reenter.empty:
        return None
    probability = min(events["ticket"].nunique() / resolved, 0.95)
    return {"probability": round(float(probability), 6), "delay": _table(events["minutes_since"].to_numpy()),
            "reenter": str(reenter.index[0])}


def _table(minutes: np.ndarray) -> dict:
    """An empirical duration of ``minutes``: its quantiles at ``QUANTILES``, with the mean of ``minutes``.

    Drawn linearly between its quantiles, a table of a skewed sample carries more than the sample's mean: its last
    stretch runs evenly up to the largest value (one outlier of a thousand minutes adds a dozen to the mean of
    pieces of six), and a convex quantile function lies below the chords between its points. So the last
    stretch ends where its mean is that of the sample's values in it, and the table is then scaled to the
    sample's mean (a per cent or two): the model carries the work the log shows, not 6-30% more."""
    minutes = np.clip(np.asarray(minutes, float)[np.isfinite(minutes)], 0.0, None)
    if not len(minutes):
        return {"kind": "constant", "value": 0.0}
    values = np.quantile(minutes, QUANTILES)
    tail = minutes[minutes >= values[-2]]
    values[-1] = max(values[-2], 2.0 * tail.mean() - values[-2])
    table_mean = float(np.sum(np.diff(QUANTILES) * (values[1:] + values[:-1]) / 2.0))
    if table_mean > 0:
        values *= minutes.mean() / table_mean
    return {"kind": "empirical", "quantiles": {float(p): round(float(v), 3) for p, v in zip(QUANTILES, values)}}


def _staffing(presence: pd.DataFrame, team_of: dict[str, str], notes: list[str]) -> tuple[dict, dict[str, float]]:
    """Weekly shifts per team: the people on duty per hour of the week, rounded (a team with less than half a
    person in every hour: one person in the hours it has at least half its most); and per team the ratio of the
    people on duty to the rounded shifts' (work scaled by its inverse keeps the team as busy as the log shows)."""
    monday = pd.Timestamp("2024-01-01")
    team = presence["pool"].astype(str).map(team_of).fillna(OTHER)
    per_hour = presence.groupby([team.to_numpy(), presence["hour_of_week"]])["active_people"].sum()
    frame = per_hour.rename("present").reset_index()
    frame.columns = ["team", "hour", "present"]
    frame["headcount"] = np.rint(frame["present"]).astype(int)
    thin = frame.groupby("team")["headcount"].transform("sum") == 0
    most = frame.groupby("team")["present"].transform("max")
    frame.loc[thin, "headcount"] = (frame.loc[thin, "present"] >= 0.5 * most[thin]).astype(int)
    if thin.any():
        notes.append(f"{frame.loc[thin, 'team'].nunique()} team(s) have less than half a person on duty in every "
                     f"hour ({', '.join(sorted(frame.loc[thin, 'team'].unique()))}): staffed with one person in "
                     "their busiest hours, their work scaled to keep them as busy as the log shows")
    frame["start"] = monday + pd.to_timedelta(frame["hour"], unit="h")
    frame["end"] = frame["start"] + pd.Timedelta(hours=1)
    shifts = weekly_shifts(frame[["team", "start", "end", "headcount"]], monday)
    totals = frame.groupby("team")[["present", "headcount"]].sum()
    ratio = (totals["present"] / totals["headcount"].where(totals["headcount"] > 0)).dropna()
    return {name: {"shifts": own} for name, own in shifts.items() if own}, ratio.to_dict()


