"""Turn a validated scenario and one replication's random streams into the flat
structures the engine's hot path indexes (lists of ints, samplers, heaps).

Every ticket's own attributes — arrival time, channel, type, priority, tier, region,
further labels such as product, patience, bot deflection, number of reopens — are drawn here, vectorised, from
streams named after what they decide, so a policy change elsewhere in the scenario
leaves them untouched (common random numbers between scenarios).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ServsimError
from ..scenario.checks import attribute_domains, effective_mix
from ..scenario.model import RESOLVE as RESOLVE_NAME
from ..scenario.model import WAITING_FOR_PART, WRAP_UP, RosterRow, Scenario
from .arrivals import arrival_times, daily_multiplier, dated_multiplier
from .calendar import absences, duty_intervals, outside, roster_intervals
from .parts import Parts, compile_parts
from .policies import QUEUE_DISCIPLINES, CoverRule, OverflowRule, TimerRule, compile_rules
from .streams import Streams, uniform_sampler

RESOLVE, CLOSE = -1, -2
Sampler = Callable[[], float]


@dataclass
class Agent:
    """One server of the engine: a person, or one of a person's ``concurrency`` slots (``slot`` > 0)."""

    name: str
    team: str
    shift: str
    intervals: list[tuple[float, float]]  # on duty and present
    scheduled: list[tuple[float, float]]  # on duty by shift or roster (paid; absences included)
    slot: int = 0


@dataclass
class Compiled:
    horizon: float
    stage_names: list[str]
    team_names: list[str]
    channels: list[str]
    type_names: list[str]
    categories: list[str]
    priority_names: list[str]
    tier_names: list[str]
    region_names: list[str]
    attribute_values: dict[str, list[str]]  # attribute -> its values (codes index them)
    # tickets (creation order)
    created: np.ndarray
    channel: np.ndarray
    ticket_type: np.ndarray
    priority: np.ndarray
    tier: np.ndarray
    region: np.ndarray
    patience: np.ndarray
    attributes: dict[str, np.ndarray]  # attribute -> value code per ticket (-1: the attribute does not apply)
    deflected: np.ndarray
    reopens: np.ndarray
    queue_class: np.ndarray
    shortest_first: bool     # within a queue class, the shortest work first (else first come, first served)
    head_start: list[float]  # priority -> minutes of waiting credited on joining a queue
    start_stage: np.ndarray  # stage a ticket starts in (-1: its type's entry); set for an initial backlog
    remaining: np.ndarray    # minutes left in that first stage (NaN: a fresh draw); set for an initial backlog
    # flow
    entry_stage: list[int]
    steps: list[list[tuple | None]]
    work_by_hour: list[list[tuple | None]]  # [type][stage] -> 24 factors on the work drawn, by hour of entry, or None
    minute_of_day_at_start: float           # the clock's start, minutes after its midnight
    closing_first: list[int]
    reopen_stage: list[int]
    reopen_delay: list[Sampler | None]
    stage_team: list[int]
    stage_first_response: list[bool]
    stage_escalation: list[bool]
    stage_travel: list[list[Sampler] | None]
    stage_visit_cost: list[float]
    # people
    agents: list[Agent]
    agent_team: list[int]
    agent_keys: list[list[int]]
    agent_serves: list[list[bool]]
    team_key_of_ticket: list[np.ndarray]  # team -> ticket -> key index
    team_heaps: list[list[list]]
    team_idle: list[list[int]]
    shift_changes: list[tuple[float, list[tuple[int, bool]]]] = field(default_factory=list)
    # rules that move waiting tickets (timers, overflow) per stage, and who covers each team (None: nobody)
    rule_names: list[str] = field(default_factory=list)
    stage_timers: list[list[TimerRule]] = field(default_factory=list)
    stage_overflow: list[list[OverflowRule]] = field(default_factory=list)
    team_cover: list[CoverRule | None] = field(default_factory=list)
    # pre-emption: priorities that may interrupt less urgent work, and the stages where work can be interrupted
    preempts: list[bool] = field(default_factory=list)
    stage_preemptable: list[bool] = field(default_factory=list)
    # spare parts (None: the scenario has none)
    parts: Parts | None = None
    # what stops the resolution clock (sla_paused_min)
    pause_for_customer: bool = True
    pause_for_part: bool = False
    # team -> the wrap-up time a person takes after each piece of work (None: none)
    team_wrap_up: list[Sampler | None] = field(default_factory=list)

    @property
    def activity_names(self) -> list[str]:
        """The events' activities: the stages, then waiting for a part and wrapping up where the model has them
        (codes :attr:`part_wait_code` and :attr:`wrap_up_code`)."""
        return (self.stage_names + ([WAITING_FOR_PART] if self.parts is not None else [])
                + ([WRAP_UP] if any(w is not None for w in self.team_wrap_up) else []))

    @property
    def part_wait_code(self) -> int:
        return len(self.stage_names)

    @property
    def wrap_up_code(self) -> int:
        return len(self.stage_names) + (self.parts is not None)


def _index(names: list[str]) -> dict[str, int]:
    return {n: i for i, n in enumerate(names)}


def compile_scenario(s: Scenario, streams: Streams, backlog: pd.DataFrame | None = None,
                     arrivals: pd.DataFrame | None = None) -> Compiled:
    """Draw the tickets and build the engine's tables for one replication.

    ``backlog`` lists tickets already open at the start (see :func:`servsim.simulate`): they are
    in the system from time 0, each in its ``stage`` (default: its type's entry stage).
    ``arrivals`` replaces the drawn arrivals by given ones (trace-driven simulation); each caller's own
    behaviour (patience, deflection, reopens) is still drawn from the scenario.
    """
    stage_names = list(s.stages)
    team_names = list(s.teams)
    type_names = list(s.ticket_types)
    categories = sorted({s.category_of(t) for t in type_names})
    priority_names = list(s.priorities)
    channels = list(s.demand.channels)
    mixes = {c: effective_mix(s, c) for c in channels}
    tier_names = sorted({t for mx in mixes.values() for t in mx["tiers"]})
    region_names = sorted({r for mx in mixes.values() for r in mx["regions"]})
    attribute_values = attribute_domains(s, mixes)
    st_i, tm_i, ty_i = _index(stage_names), _index(team_names), _index(type_names)
    pr_i, ti_i, re_i = _index(priority_names), _index(tier_names), _index(region_names)

    if arrivals is None:
        tickets = _draw_tickets(s, streams, channels, mixes, attribute_values, ty_i, pr_i, ti_i, re_i)
    else:
        tickets = _given_tickets(s, arrivals, "arrivals", channels, attribute_values, st_i, ty_i, pr_i, ti_i, re_i)
        created = tickets["created"]
        if ((created < 0) | (created >= s.clock.horizon)).any():
            raise ServsimError(f"arrivals: {int(((created < 0) | (created >= s.clock.horizon)).sum())} tickets are "
                               f"created outside the simulated period ({s.clock.start} plus the horizon)")
        given = {ATTRIBUTE + column for column in arrivals.columns}
        for c, name in enumerate(channels):
            rows = tickets["channel"] == c
            unknown = rows & (tickets["priority"] < 0)  # priorities the arrivals do not give are drawn
            if unknown.any():
                base = _choice(streams(f"mix/{name}/priority"), mixes[name]["priorities"], pr_i, int(unknown.sum()))
                tickets["priority"][unknown] = _type_priorities(s, streams, name, tickets["type"][unknown], base, pr_i)
            drawn = _customer_draws(s, streams, name, tickets["type"][rows], tickets["priority"][rows])
            drawn |= _attribute_draws(s, streams, name, mixes[name], attribute_values, tickets["type"][rows])
            for key, values in drawn.items():
                if key not in given:  # an attribute the arrivals give stays as given
                    tickets[key][rows] = values
    if backlog is not None and len(backlog):
        old = _given_tickets(s, backlog, "initial backlog", channels, attribute_values, st_i, ty_i, pr_i, ti_i, re_i)
        if (old["created"] > 0).any():
            raise ServsimError("initial backlog: tickets must be created before the scenario's start "
                               f"({s.clock.start}); {int((old['created'] > 0).sum())} are not")
        tickets = {k: np.concatenate([old[k], v]) for k, v in tickets.items()}
    order = np.argsort(tickets["created"], kind="stable")
    tickets = {k: compact(v[order]) for k, v in tickets.items()}
    n_tickets = len(order)

    cat_of_type = np.array([categories.index(s.category_of(t)) for t in type_names], dtype=np.int64)
    vip = np.isin(np.array(tier_names, dtype=object)[tickets["tier"]], s.policies.vip_tiers) if n_tickets else \
        np.zeros(0, bool)
    queue_class = compact(QUEUE_DISCIPLINES[s.policies.queue](tickets["priority"], vip, len(priority_names)))

    # flow of each ticket type
    steps: list[list[tuple | None]] = []
    work_by_hour: list[list[tuple | None]] = []
    closing_first, reopen_stage, reopen_delay, entry = [], [], [], []
    for tname in type_names:
        tt = s.ticket_types[tname]
        row: list[tuple | None] = [None] * len(stage_names)
        work_by_hour.append([None] * len(stage_names))
        for stage, step in tt.steps.items():
            if step.work_by_hour:
                work_by_hour[-1][st_i[stage]] = tuple(step.work_by_hour)
            work = step.work.sampler(streams(f"service/{tname}/{stage}"))
            if stage in tt.closing:
                pos = tt.closing.index(stage)
                targets = [st_i[tt.closing[pos + 1]] if pos + 1 < len(tt.closing) else CLOSE]
                cum = [1.0]
            else:
                route = step.next or {}
                targets = [RESOLVE if t == RESOLVE_NAME else st_i[t] for t in route]
                cum = np.cumsum(list(route.values())).tolist()
                cum[-1] = float("inf")  # guards against rounding: u < 1 always lands somewhere
            # one work sampler per route target: the step's own, or the target's from work_by_next
            works = [work] * len(targets)
            for k, target in enumerate(step.next or {}):
                if target in step.work_by_next:
                    works[k] = step.work_by_next[target].sampler(streams(f"service/{tname}/{stage}/{target}"))
            uniform = streams(f"routing/{tname}/{stage}").random
            row[st_i[stage]] = (works, targets, cum, uniform_sampler(uniform))
        steps.append(row)
        entry.append(st_i[tt.entry])
        closing_first.append(st_i[tt.closing[0]] if tt.closing else -1)
        if tt.reopen is not None:
            reopen_stage.append(st_i[tt.reopen.reenter])
            reopen_delay.append(tt.reopen.delay.sampler(streams(f"reopen_delay/{tname}")))
        else:
            reopen_stage.append(-1)
            reopen_delay.append(None)

    stage_travel: list[list[Sampler] | None] = []
    for name, stage in s.stages.items():
        if stage.travel is None:
            stage_travel.append(None)
        elif isinstance(stage.travel, dict):
            stage_travel.append([stage.travel[r].sampler(streams(f"travel/{name}/{r}")) for r in region_names])
        else:
            one = stage.travel.sampler(streams(f"travel/{name}"))
            stage_travel.append([one] * len(region_names))

    # people: one per head per shift or roster level, each with ``concurrency`` slots serving the same keys
    agents: list[Agent] = []
    agent_team, agent_keys, agent_serves = [], [], []
    team_key_of_ticket, team_heaps, team_idle = [], [], []
    changes: dict[float, list[tuple[int, bool]]] = {}
    for tname, team in s.teams.items():
        skilled = s.policies.dispatch == "skills" and (
            team.skills is not None or any(sh.skills is not None for sh in team.shifts.values())
            or any(r.skills is not None for r in s.roster if r.team == tname))
        regional = team.regions is not None or any(sh.regions is not None for sh in team.shifts.values())
        cats = categories if skilled else [None]
        regs = region_names if regional else [None]
        keys = [(c, r) for c in cats for r in regs]
        key_i = _index(keys)
        # key of each ticket: (category, region) codes looked up in a small table, never per-ticket objects
        key_table = np.array([[key_i[(c if skilled else None, r if regional else None)] for r in region_names]
                              for c in categories], dtype=np.int64)
        key_of_ticket = key_table[cat_of_type[tickets["type"]], tickets["region"]] if n_tickets else \
            np.zeros(0, np.int64)
        team_key_of_ticket.append(compact(key_of_ticket))
        team_heaps.append([[] for _ in keys])
        team_idle.append([])

        def serving(skills, regions, keys=keys):
            return [(c is None or skills is None or c in skills) and (r is None or regions is None or r in regions)
                    for c, r in keys]

        # the dated roster: one level of people per skill group (rows without skills: the team's skills); from
        # the team's first row to its last it replaces the weekly shifts
        own_rows: dict[tuple[str, ...] | None, list[RosterRow]] = {}
        for r in s.roster:
            if r.team == tname:
                own_rows.setdefault(tuple(r.skills) if r.skills is not None else None, []).append(r)
        spans, rostered = [], []
        for group, rows in own_rows.items():
            group_span, levels = roster_intervals(rows, s.clock)
            if group_span[1] > group_span[0]:
                spans.append(group_span)
            label = "roster" if group is None else f"roster[{'+'.join(group)}]"
            held = team.skills if group is None else list(group)
            rostered += [(f"{tname}/{label}/{k + 1}", "roster", serving(held, team.regions), intervals)
                         for k, intervals in enumerate(levels)]
        span = (min(lo for lo, _ in spans), max(hi for _, hi in spans)) if spans else (0.0, 0.0)
        people = []  # (name, shift, serves, intervals)
        for shname, shift in team.shifts.items():
            serves = serving(shift.skills if shift.skills is not None else team.skills,
                             shift.regions if shift.regions is not None else team.regions)
            intervals = outside(duty_intervals(shift, s.clock), span)
            people += [(f"{tname}/{shname}/{k + 1}", shname, serves, intervals) for k in range(shift.headcount)]
        people += rostered
        away = streams(f"shrinkage/{tname}")
        for name, shname, serves, scheduled in people:
            intervals = absences(scheduled, team.shrinkage, team.absence_block, away)
            for slot in range(team.concurrency):
                a = len(agents)
                agents.append(Agent(name, tname, shname, intervals, scheduled, slot))
                agent_team.append(tm_i[tname])
                agent_serves.append(serves)
                agent_keys.append([j for j, ok in enumerate(serves) if ok])
                for lo, hi in intervals:
                    changes.setdefault(lo, []).append((a, True))
                    if hi < s.clock.horizon:
                        changes.setdefault(hi, []).append((a, False))
    # at one instant, people going off are handled before people coming on
    shift_changes = [(t, sorted(c, key=lambda x: x[1])) for t, c in sorted(changes.items())]
    rule_names, stage_timers, stage_overflow, team_cover = compile_rules(s, st_i, tm_i, streams)
    attributes = {name: tickets[ATTRIBUTE + name] for name in attribute_values}
    parts = compile_parts(s, streams, stage_names, region_names, attributes, attribute_values)

    return Compiled(
        horizon=s.clock.horizon, stage_names=stage_names, team_names=team_names, channels=channels,
        type_names=type_names, categories=categories, priority_names=priority_names,
        tier_names=tier_names, region_names=region_names, attribute_values=attribute_values,
        attributes=attributes,
        created=tickets["created"], channel=tickets["channel"], ticket_type=tickets["type"],
        priority=tickets["priority"], tier=tickets["tier"], region=tickets["region"],
        patience=tickets["patience"], deflected=tickets["deflected"], reopens=tickets["reopens"],
        queue_class=queue_class, shortest_first=s.policies.within_class == "shortest_first",
        head_start=[s.priorities[p].head_start for p in priority_names],
        start_stage=tickets["start_stage"], remaining=tickets["remaining"],
        entry_stage=entry, steps=steps, work_by_hour=work_by_hour,
        minute_of_day_at_start=_minute_of_day(s),
        closing_first=closing_first,
        reopen_stage=reopen_stage, reopen_delay=reopen_delay,
        stage_team=[tm_i[st.team] if st.team else -1 for st in s.stages.values()],
        stage_first_response=[st.first_response for st in s.stages.values()],
        stage_escalation=[st.escalation for st in s.stages.values()],
        stage_travel=stage_travel, stage_visit_cost=[st.visit_cost for st in s.stages.values()],
        agents=agents, agent_team=agent_team, agent_keys=agent_keys, agent_serves=agent_serves,
        team_key_of_ticket=team_key_of_ticket, team_heaps=team_heaps, team_idle=team_idle,
        shift_changes=shift_changes, rule_names=rule_names, stage_timers=stage_timers,
        stage_overflow=stage_overflow, team_cover=team_cover,
        preempts=[p in s.policies.preemptive for p in priority_names],
        stage_preemptable=[st.team is not None and st.travel is None for st in s.stages.values()], parts=parts,
        pause_for_customer=s.policies.sla_pauses_while_waiting_for_customer,
        pause_for_part=s.policies.sla_pauses_while_waiting_for_part,
        team_wrap_up=[t.wrap_up.sampler(streams(f"wrap_up/{name}")) if t.wrap_up is not None else None
                      for name, t in s.teams.items()],
    )


def compact(values: np.ndarray, high: int = 0) -> np.ndarray:
    """Integer codes in the smallest signed type that holds them (and ``high``): 1 or 2 bytes a ticket instead of 8;
    other arrays unchanged. The engine reads per-ticket columns through memoryviews, which index these like lists."""
    if values.dtype.kind != "i":
        return values
    low, top = (int(values.min()), max(int(values.max()), high)) if len(values) else (0, high)
    for small in (np.int8, np.int16, np.int32):
        if np.iinfo(small).min <= low and top <= np.iinfo(small).max:
            return values.astype(small)
    return values


def _choice(rng: np.random.Generator, mix: dict[str, float], index: dict[str, int], n: int) -> np.ndarray:
    codes = np.array([index[k] for k in mix], dtype=np.int64)
    probs = np.array(list(mix.values()), float)
    return codes[rng.choice(len(codes), size=n, p=probs / probs.sum())]


def _minute_of_day(s: Scenario) -> float:
    """The clock's start, minutes after its midnight."""
    return s.clock.start.hour * 60 + s.clock.start.minute + s.clock.start.second / 60


def _choice_by_hour(rng: np.random.Generator, mix: dict[str, float], by_hour: dict[str, list[float]],
                    index: dict[str, int], hour: np.ndarray) -> np.ndarray:
    """Ticket types for arrivals in the given ``hour`` of the day (0-23): each hour's shares are the mix's times
    the types' factors for that hour, renormalised."""
    codes = np.array([index[k] for k in mix], dtype=np.int64)
    weights = np.array([[share * (by_hour[k][h] if k in by_hour else 1.0) for k, share in mix.items()]
                        for h in range(24)])
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    drawn = (rng.random(len(hour))[:, None] > cumulative[hour.astype(np.int64)]).sum(axis=1)
    return codes[np.minimum(drawn, len(codes) - 1)]


def _draw_tickets(s: Scenario, streams: Streams, channels, mixes, attribute_values, ty_i, pr_i, ti_i, re_i
                  ) -> dict[str, np.ndarray]:
    parts: dict[str, list[np.ndarray]] = {k: [] for k in TICKET_ARRAYS + tuple(ATTRIBUTE + a for a in
                                                                               attribute_values)}
    dated = dated_multiplier(s.clock.start, s.demand.trend, s.demand.calendar)
    if s.demand.daily_variation > 0:
        dated = daily_multiplier(streams("demand/daily"), s.demand.daily_variation, s.clock.start, s.clock.horizon,
                                 dated)
    minute_of_day = _minute_of_day(s)
    for c, name in enumerate(channels):
        ch = s.demand.channels[name]
        factors = ch.profile.factors() if ch.profile is not None else np.ones(168)
        times = arrival_times(streams(f"arrivals/{name}"), ch.rate, factors, s.clock.start, s.clock.horizon, dated)
        n = len(times)
        mix = mixes[name]
        if mix["ticket_types_by_hour"]:
            types = _choice_by_hour(streams(f"mix/{name}/ticket_type"), mix["ticket_types"],
                                    mix["ticket_types_by_hour"], ty_i, (times + minute_of_day) % 1440.0 // 60)
        else:
            types = _choice(streams(f"mix/{name}/ticket_type"), mix["ticket_types"], ty_i, n)
        priorities = _type_priorities(s, streams, name, types, _choice(streams(f"mix/{name}/priority"),
                                                                       mix["priorities"], pr_i, n), pr_i)
        parts["created"].append(times)
        parts["channel"].append(np.full(n, c, dtype=np.int64))
        parts["type"].append(types)
        parts["priority"].append(priorities)
        parts["tier"].append(_choice(streams(f"mix/{name}/tier"), mix["tiers"], ti_i, n))
        parts["region"].append(_choice(streams(f"mix/{name}/region"), mix["regions"], re_i, n))
        for key, values in _customer_draws(s, streams, name, types, priorities).items():
            parts[key].append(values)
        for key, values in _attribute_draws(s, streams, name, mix, attribute_values, types).items():
            parts[key].append(values)
    out = {k: (np.concatenate(v) if v else np.empty(0)) for k, v in parts.items()}
    out["start_stage"] = np.full(len(out["created"]), -1, dtype=np.int64)
    out["remaining"] = np.full(len(out["created"]), np.nan)
    return out


TICKET_ARRAYS = ("created", "channel", "type", "priority", "tier", "region", "patience", "deflected", "reopens")
ATTRIBUTE = "attribute/"  # key prefix of an attribute's codes among a ticket's arrays


def _type_priorities(s: Scenario, streams: Streams, channel: str, types: np.ndarray, priorities: np.ndarray,
                     pr_i: dict[str, int]) -> np.ndarray:
    """``priorities`` with those of tickets whose type has its own priority shares drawn from them (one uniform per
    ticket from the stream ``priority/<channel>``, so scenarios without such shares keep their draws)."""
    type_names = list(s.ticket_types)
    own = [t for t in np.unique(types) if s.ticket_types[type_names[t]].priorities]
    if not own:
        return priorities
    u = streams(f"priority/{channel}").random(len(types))
    out = priorities.copy()
    for t in own:
        shares = s.ticket_types[type_names[t]].priorities
        rows = types == t
        out[rows] = np.array([pr_i[p] for p in shares], dtype=np.int64)[_pick(u[rows], shares)]
    return out


def _pick(u: np.ndarray, shares: dict[str, float]) -> np.ndarray:
    """The position among ``shares``' keys that each uniform of ``u`` picks (inversion of the cumulative shares)."""
    cum = np.cumsum(list(shares.values()))
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(shares) - 1)


def _attribute_draws(s: Scenario, streams: Streams, channel: str, mix: dict, attribute_values: dict[str, list[str]],
                     types: np.ndarray) -> dict[str, np.ndarray]:
    """Each ticket's attribute values: from its type's shares where the type gives them, else the channel's;
    -1 where neither does. One uniform per ticket and attribute, so changing one type's shares keeps the others'."""
    out = {}
    type_names = list(s.ticket_types)
    for name, values in attribute_values.items():
        u = streams(f"attributes/{name}/{channel}").random(len(types))
        codes = np.full(len(types), -1, dtype=np.int64)
        for t in np.unique(types):
            shares = s.ticket_types[type_names[t]].attributes.get(name) or mix["attributes"].get(name)
            if shares:
                rows = types == t
                codes[rows] = np.array([values.index(v) for v in shares], dtype=np.int64)[_pick(u[rows], shares)]
        out[ATTRIBUTE + name] = codes
    return out


def _customer_draws(s: Scenario, streams: Streams, channel: str, types: np.ndarray, priorities: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """Each caller's own behaviour on ``channel``: patience, whether a bot answers, how often it reopens."""
    n = len(types)
    ch = s.demand.channels[channel]
    patience = ch.patience.draw(streams(f"patience/{channel}"), n) if ch.patience is not None \
        else np.full(n, np.inf)
    if ch.patience_by is not None and n:
        type_names, priority_names = list(s.ticket_types), list(s.priorities)
        combos = np.unique(np.stack([types, priorities], axis=1), axis=0)
        for t, p in combos:
            entry = ch.patience_by.lookup(type_names[t], priority_names[p])
            if entry is not None:
                rows = (types == t) & (priorities == p)
                patience[rows] = entry[1].draw(streams(f"patience/{channel}/{entry[0]}"), int(rows.sum()))
    # per-type probabilities applied to per-ticket uniforms: changing one type's share keeps the others' draws
    u_deflect = streams(f"deflection/{channel}").random(n)
    u_reopen = streams(f"reopen/{channel}").random(n)
    tts = list(s.ticket_types.values())
    p_deflect = np.array([tt.deflection for tt in tts])[types] if n else np.zeros(0)
    p_reopen = np.array([tt.reopen.probability if tt.reopen else 0.0 for tt in tts])[types] if n else np.zeros(0)
    return {"patience": patience, "deflected": u_deflect < p_deflect, "reopens": _reopen_count(u_reopen, p_reopen)}


def _given_tickets(s: Scenario, frame: pd.DataFrame, what: str, channels, attribute_values, st_i, ty_i, pr_i,
                   ti_i, re_i) -> dict[str, np.ndarray]:
    """Given tickets (an initial backlog, or trace arrivals) as arrays like ``_draw_tickets`` gives."""
    n = len(frame)

    def codes(column: str, index: dict[str, int], default: str | None = None, drawn: bool = False) -> np.ndarray:
        """Codes of a column; with ``drawn``, -1 where it is missing or empty (the caller draws those)."""
        if column not in frame:
            if drawn:
                return np.full(n, -1, dtype=np.int64)
            if default is None or default not in index:
                raise ServsimError(f"{what}: column {column!r} is missing")
            return np.full(n, index[default], dtype=np.int64)
        known = frame[column].notna().to_numpy() if drawn else np.ones(n, bool)
        values = frame[column][known].astype(str)
        unknown = sorted(set(values) - set(index))
        if unknown:
            raise ServsimError(f"{what}: {column} values {unknown[:5]} are not in the scenario "
                               f"(known: {', '.join(index)})")
        out = np.full(n, -1, dtype=np.int64)
        out[known] = values.map(index).to_numpy(dtype=np.int64)
        return out

    if "created_at" not in frame:
        raise ServsimError(f"{what}: column 'created_at' is missing")
    created = (pd.to_datetime(frame["created_at"]) - pd.Timestamp(s.clock.start)).dt.total_seconds() / 60.0
    stage = codes("stage", st_i) if "stage" in frame else np.full(n, -1, dtype=np.int64)
    remaining = pd.to_numeric(frame["remaining_min"], errors="coerce").to_numpy(float) \
        if "remaining_min" in frame else np.full(n, np.nan)
    if (remaining < 0).any():
        raise ServsimError(f"{what}: remaining_min must be >= 0; {int((remaining < 0).sum())} are negative")
    return {
        "created": created.to_numpy(float), "channel": codes("channel", {c: k for k, c in enumerate(channels)}),
        "type": codes("ticket_type", ty_i), "priority": codes("priority", pr_i, drawn=what == "arrivals"),
        "tier": codes("tier", ti_i, next(iter(ti_i))), "region": codes("region", re_i, next(iter(re_i))),
        "patience": np.full(n, np.inf), "deflected": np.zeros(n, bool), "reopens": np.zeros(n, np.int64),
        "start_stage": stage, "remaining": remaining,
        **{ATTRIBUTE + name: _given_attribute(frame, name, values) for name, values in attribute_values.items()},
    }


def _given_attribute(frame: pd.DataFrame, name: str, values: list[str]) -> np.ndarray:
    """Codes of a given attribute column (values the scenario does not know are added to ``values``); -1 where
    the column is absent or empty."""
    if name not in frame:
        return np.full(len(frame), -1, dtype=np.int64)
    column = frame[name].astype(object)
    present = column.notna().to_numpy()
    labels = column[present].astype(str)
    values.extend(sorted(set(labels) - set(values)))
    codes = np.full(len(frame), -1, dtype=np.int64)
    codes[present] = labels.map({v: k for k, v in enumerate(values)}).to_numpy(dtype=np.int64)
    return codes


def _reopen_count(u: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Reopens K with P(K >= k) = p^k (each resolution reopens with probability p), by inversion of one uniform."""
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.floor(np.log1p(-u) / np.log(p))
    return np.where(p > 0, np.nan_to_num(k, nan=0.0, posinf=0.0), 0.0).astype(np.int64)
