"""Checks across scenario sections: every name a section uses is defined elsewhere,
every flow can end, every skill and region a ticket needs is held by someone."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import accumulate

import numpy as np

from .model import RESOLVE, WAITING_FOR_PART, WRAP_UP, MixSpec, Scenario

DEFAULT_TIER = "standard"
DEFAULT_REGION = "any"


def effective_mix(scenario: Scenario, channel: str) -> dict[str, dict[str, float]]:
    """The channel's mix with demand-level defaults filled in (tiers and regions default to one value; each
    attribute's shares come from the channel where it gives them, else from the demand)."""
    own = scenario.demand.channels[channel].mix or MixSpec()
    base = scenario.demand.mix
    types = own.ticket_types or base.ticket_types or {}
    by_hour = own.ticket_types_by_hour if own.ticket_types_by_hour is not None else base.ticket_types_by_hour
    return {
        "ticket_types": types,
        "ticket_types_by_hour": {t: factors for t, factors in (by_hour or {}).items() if t in types},
        "priorities": own.priorities or base.priorities or {},
        "tiers": own.tiers or base.tiers or {DEFAULT_TIER: 1.0},
        "regions": own.regions or base.regions or {DEFAULT_REGION: 1.0},
        "attributes": {**base.attributes, **own.attributes},
    }


def attribute_domains(s: Scenario, mixes: dict[str, dict]) -> dict[str, list[str]]:
    """Every attribute a ticket can carry, with its values (sorted), from the channels' (effective) mixes and the
    ticket types' own shares."""
    domains: dict[str, set[str]] = {}
    for mix in [m["attributes"] for m in mixes.values()] + [tt.attributes for tt in s.ticket_types.values()]:
        for name, shares in mix.items():
            domains.setdefault(name, set()).update(shares)
    return {name: sorted(values) for name, values in sorted(domains.items())}


def _suggest(name: str, known) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{hint}defined: {', '.join(sorted(known)) or 'none'}"


def problems(s: Scenario) -> list[tuple[str, str]]:
    """Return ``(field path, message)`` for every cross-reference problem in ``s``."""
    out: list[tuple[str, str]] = []
    used_tiers: set[str] = set()
    used_regions: set[str] = set()
    for name in s.demand.channels:
        mix = effective_mix(s, name)
        where = f"demand.channels.{name}.mix"
        if not mix["ticket_types"]:
            out.append((f"{where}.ticket_types", "no ticket-type mix; set demand.mix.ticket_types or the channel's"))
        if not mix["priorities"]:
            out.append((f"{where}.priorities", "no priority mix; set demand.mix.priorities or the channel's"))
        for t in mix["ticket_types"]:
            if t not in s.ticket_types:
                out.append((f"{where}.ticket_types", f"unknown ticket type {t!r}; {_suggest(t, s.ticket_types)}"))
        for p in mix["priorities"]:
            if p not in s.priorities:
                out.append((f"{where}.priorities", f"unknown priority {p!r}; {_suggest(p, s.priorities)}"))
        by_hour = mix["ticket_types_by_hour"]
        empty = [h for h in range(24) if by_hour and sum(
            share * (by_hour[t][h] if t in by_hour else 1.0) for t, share in mix["ticket_types"].items()) <= 0]
        if empty:
            out.append((f"{where}.ticket_types_by_hour", f"every type's factor is 0 at hour(s) {empty}: an "
                                                          "arrival then has no type (give one type a factor above 0)"))
        used_tiers |= set(mix["tiers"])
        used_regions |= set(mix["regions"])

    for where, mix in [("demand.mix", s.demand.mix)] + [(f"demand.channels.{name}.mix", ch.mix)
                                                        for name, ch in s.demand.channels.items() if ch.mix]:
        for t in mix.ticket_types_by_hour or {}:
            if t not in s.ticket_types:
                out.append((f"{where}.ticket_types_by_hour", f"unknown ticket type {t!r}; "
                                                              f"{_suggest(t, s.ticket_types)}"))

    for name, stage in s.stages.items():
        if stage.team is not None and stage.team not in s.teams:
            out.append((f"stages.{name}.team", f"unknown team {stage.team!r}; {_suggest(stage.team, s.teams)}"))
        if stage.team is None and stage.travel is not None:
            out.append((f"stages.{name}", "a stage without a team (waiting for the customer) cannot have travel"))
        if isinstance(stage.travel, dict):
            missing = sorted(used_regions - set(stage.travel))
            if missing:
                out.append((f"stages.{name}.travel", f"no travel time for regions {missing}"))

    for tname, tt in s.ticket_types.items():
        where = f"ticket_types.{tname}"
        for stage_name, step in tt.steps.items():
            if stage_name not in s.stages:
                out.append((f"{where}.steps.{stage_name}",
                            f"unknown stage {stage_name!r}; {_suggest(stage_name, s.stages)}"))
            closing = stage_name in tt.closing
            if step.next is None and not closing:
                out.append((f"{where}.steps.{stage_name}.next",
                            f"missing: where does the ticket go after this stage? (a stage name or '{RESOLVE}')"))
            if step.next is not None and closing:
                out.append((f"{where}.steps.{stage_name}.next",
                            "a closing stage runs after resolution and takes no route"))
            for target in step.next or {}:
                if target != RESOLVE and target not in tt.steps:
                    out.append((f"{where}.steps.{stage_name}.next", f"unknown stage {target!r}; "
                                f"{_suggest(target, list(tt.steps) + [RESOLVE])}"))
                if target in tt.closing:
                    out.append((f"{where}.steps.{stage_name}.next",
                                f"{target!r} is a closing stage; route to '{RESOLVE}'"))
            for target in sorted(set(step.work_by_next) - set(step.next or {})):
                out.append((f"{where}.steps.{stage_name}.work_by_next.{target}",
                            f"{target!r} is not a target of this step's next; expected one of: "
                            f"{', '.join(step.next or {}) or '(no route)'}"))
        if tt.entry not in tt.steps:
            out.append((f"{where}.entry", f"{tt.entry!r} has no step; {_suggest(tt.entry, tt.steps)}"))
        elif tt.entry in tt.closing:
            out.append((f"{where}.entry", "the entry stage cannot be a closing stage"))
        for c in tt.closing:
            if c not in tt.steps:
                out.append((f"{where}.closing", f"closing stage {c!r} has no step (work time) in steps"))
        if tt.reopen is not None and tt.reopen.reenter not in tt.steps:
            out.append((f"{where}.reopen.reenter",
                        f"{tt.reopen.reenter!r} has no step; {_suggest(tt.reopen.reenter, tt.steps)}"))
        for p in (tt.priorities or {}):
            if p not in s.priorities:
                out.append((f"{where}.priorities", f"unknown priority {p!r}; {_suggest(p, s.priorities)}"))
        if tt.entry in tt.steps and not _can_resolve(tt):
            out.append((f"{where}.steps", f"no route from {tt.entry!r} leads to '{RESOLVE}'; tickets would never end"))
        else:
            for trap in _traps(tt):
                out.append((f"{where}.steps.{trap}", f"a ticket can reach {trap!r} from {tt.entry!r} but never get "
                            f"from it to '{RESOLVE}': it would go round for ever; route it (or a stage after it) "
                            "to 'resolve'"))
        out.extend(_capacity_problems(s, tname, used_regions))

    for prio, targets in s.priorities.items():
        if targets.calendar is not None and targets.calendar not in s.sla_calendars:
            out.append((f"priorities.{prio}.calendar", f"unknown SLA calendar {targets.calendar!r}; "
                        f"{_suggest(targets.calendar, s.sla_calendars)} (in sla_calendars)"))
        if targets.head_start > 0 and s.policies.queue != "fifo":
            out.append((f"priorities.{prio}.head_start", f"a head start orders tickets within a queue class, but with "
                        f"policies.queue {s.policies.queue!r} every priority is a class of its own; use queue: fifo"))
        if targets.head_start > 0 and s.policies.within_class == "shortest_first":
            out.append((f"priorities.{prio}.head_start", "a head start orders tickets by when they came; with "
                        "policies.within_class 'shortest_first' they are ordered by their work"))
    out.extend(_patience_problems(s))
    out.extend(_roster_problems(s))
    out.extend(_rule_problems(s))
    out.extend(_parts_problems(s, used_regions))
    if WRAP_UP in s.stages and any(team.wrap_up is not None for team in s.teams.values()):
        out.append((f"stages.{WRAP_UP}", "this name is the activity of people wrapping up after their work; "
                                         "rename the stage"))
    if s.policies.queue == "vip_first":
        for tier in s.policies.vip_tiers:
            if tier not in used_tiers:
                out.append(("policies.vip_tiers",
                            f"tier {tier!r} appears in no demand mix; {_suggest(tier, used_tiers)}"))
    return out


def _can_resolve(tt) -> bool:
    seen, todo = set(), [tt.entry]
    while todo:
        stage = todo.pop()
        if stage in seen or stage not in tt.steps:
            continue
        seen.add(stage)
        route = tt.steps[stage].next or {}
        if any(t == RESOLVE and p > 0 for t, p in route.items()):
            return True
        todo.extend(t for t, p in route.items() if p > 0)
    return False


def _traps(tt) -> list[str]:
    """Stages reachable from the entry (or the reopen stage) from which no route leads to resolution."""
    def reachable(starts: list[str]) -> set[str]:
        seen, todo = set(), list(starts)
        while todo:
            stage = todo.pop()
            if stage in seen or stage not in tt.steps:
                continue
            seen.add(stage)
            todo.extend(t for t, p in (tt.steps[stage].next or {}).items() if p > 0 and t != RESOLVE)
        return seen

    starts = [tt.entry] + ([tt.reopen.reenter] if tt.reopen is not None else [])
    reached = reachable(starts) - set(tt.closing)
    resolving = {s for s in reached if any(t == RESOLVE and p > 0 for t, p in (tt.steps[s].next or {}).items())}
    can_end, grew = set(resolving), True
    while grew:
        grew = False
        for s in reached - can_end:
            if any(t in can_end and p > 0 for t, p in (tt.steps[s].next or {}).items()):
                can_end.add(s)
                grew = True
    return sorted(reached - can_end)


def _capacity_problems(s: Scenario, tname: str, regions: set[str]) -> list[tuple[str, str]]:
    """Every team a ticket type visits must have someone with its skill (and each region)."""
    out = []
    category = s.category_of(tname)
    for stage_name in s.ticket_types[tname].steps:
        stage = s.stages.get(stage_name)
        if stage is None or stage.team is None or stage.team not in s.teams:
            continue
        team = s.teams[stage.team]
        shifts = [sh for sh in team.shifts.values() if sh.headcount > 0]
        rows = [row for row in s.roster if row.team == stage.team and row.headcount > 0]
        rostered = bool(rows)
        if not shifts and not rostered:
            if stage_name == s.ticket_types[tname].entry:  # then no ticket of this type could ever be served
                out.append((f"teams.{stage.team}.shifts", f"nobody is ever on shift, but every {tname!r} ticket "
                            f"starts at stage {stage_name!r}, which needs this team"))
            continue
        if s.policies.dispatch == "skills":
            held = [sh.skills if sh.skills is not None else team.skills for sh in [*shifts, *rows]]
            if all(h is not None and category not in h for h in held):
                out.append((f"teams.{stage.team}.skills", f"no shift or roster row holds skill {category!r}, which "
                            f"ticket type {tname!r} needs at stage {stage_name!r}; add it to the team's or a shift's "
                            "skills"))
        served = [sh.regions if sh.regions is not None else team.regions for sh in shifts] + \
            ([team.regions] if rostered else [])
        if any(r is not None for r in served):
            for region in sorted(regions):
                if all(r is not None and region not in r for r in served):
                    out.append((f"teams.{stage.team}.regions", f"no shift serves region {region!r}, which "
                                f"ticket type {tname!r} may need at stage {stage_name!r}"))
    return out


NEGLIGIBLE_MIN = 5.0  # a cycle of moves shorter than this keeps a ticket going round instead of being worked


def _cycles_of_moves(s: Scenario) -> list[tuple[str, str]]:
    """Timers and overflow rules that send a ticket of some priority round a cycle of stages in less than
    ``NEGLIGIBLE_MIN`` in all: an overflow moves at once, and so does a timer on a share of an SLA target once the
    target has passed; a timer ``after`` a time in the queue takes that long."""
    stages = sorted({st for r in s.policies.timers for st in [*r.waiting_at, r.to] if st}
                    | {st for r in s.policies.overflow for st in (r.at, r.to)})
    index = {stage: k for k, stage in enumerate(stages)}
    moves = [(r.name, r.waiting_at, r.to, r.after if r.after is not None else 0.0, r.priorities)
             for r in s.policies.timers if r.to is not None]
    moves += [(r.name, [r.at], r.to, 0.0, r.priorities) for r in s.policies.overflow]
    found: dict[frozenset, str] = {}
    for priority in s.priorities:
        edges = [(name, watched, to, delay) for name, watched, to, delay, only in moves
                 if only is None or priority in only]
        shortest = np.full((len(stages), len(stages)), np.inf)
        for _, watched, to, delay in edges:
            for stage in watched:
                a, b = index[stage], index[to]
                shortest[a, b] = min(shortest[a, b], delay)
        for k in range(len(stages)):
            shortest = np.minimum(shortest, shortest[:, [k]] + shortest[[k], :])
        on_cycle = {stages[k] for k in range(len(stages)) if shortest[k, k] < NEGLIGIBLE_MIN}
        if on_cycle:
            rules = frozenset(name for name, watched, to, _ in edges if to in on_cycle and set(watched) & on_cycle)
            found.setdefault(rules, priority)
    return [("policies.timers", f"the rules {', '.join(sorted(rules))} send a ticket (priority {priority!r}) round "
                                f"a cycle of stages in under {NEGLIGIBLE_MIN:g} min, for ever: an overflow moves at "
                                "once, and so does a timer on a share of an SLA target once it has passed; give "
                                f"the cycle's timers 'after's of {NEGLIGIBLE_MIN:g} min or more in all, or break it")
            for rules, priority in found.items()]


def _rule_problems(s: Scenario) -> list[tuple[str, str]]:
    """Timers and overflow rules: stages that exist and have a team, a step for the target in every ticket type
    that can wait at the watched stages, known priorities, no rule that sends a ticket where it already is; cover
    rules: known teams, one rule per team, none covering itself."""
    out = []
    rules = [(f"policies.timers[{k}]", r.name, r.waiting_at, r.to, r.priorities) for k, r in
             enumerate(s.policies.timers)]
    rules += [(f"policies.overflow[{k}]", r.name, [r.at], r.to, r.priorities) for k, r in
              enumerate(s.policies.overflow)]
    names = [name for _, name, *_ in rules]
    for where, name, watched, to, priorities in rules:
        if names.count(name) > 1:
            out.append((f"{where}.name", f"{name!r} names two rules; each cause needs its own name"))
        for stage in watched:
            if stage not in s.stages:
                out.append((where, f"unknown stage {stage!r}; {_suggest(stage, s.stages)}"))
            elif s.stages[stage].team is None:
                out.append((where, f"stage {stage!r} has no team: nobody queues there"))
        for p in priorities or []:
            if p not in s.priorities:
                out.append((f"{where}.priorities", f"unknown priority {p!r}; {_suggest(p, s.priorities)}"))
        if to is None:  # a reminder: the ticket stays where it is
            continue
        if to not in s.stages:
            out.append((f"{where}.to", f"unknown stage {to!r}; {_suggest(to, s.stages)}"))
            continue
        if s.stages[to].team is None:
            out.append((f"{where}.to", f"stage {to!r} has no team; a ticket moved by {name!r} needs someone"))
        if to in watched:
            out.append((f"{where}.to", f"{to!r} is a stage the rule watches: the ticket would stay where it is"))
        for tname, tt in s.ticket_types.items():
            if any(stage in tt.steps for stage in watched) and to not in tt.steps:
                out.append((f"{where}.to", f"ticket type {tname!r} can wait at {', '.join(watched)} but has no "
                            f"step {to!r} (its work there and where it goes next); add one"))
    out += _cycles_of_moves(s)
    for p in s.policies.preemptive:
        if p not in s.priorities:
            out.append(("policies.preemptive", f"unknown priority {p!r}; {_suggest(p, s.priorities)}"))
    covered = [c.team for c in s.policies.cover]
    for k, c in enumerate(s.policies.cover):
        where = f"policies.cover[{k}]"
        if c.team not in s.teams:
            out.append((f"{where}.team", f"unknown team {c.team!r}; {_suggest(c.team, s.teams)}"))
        if covered.count(c.team) > 1:
            out.append((f"{where}.team", f"team {c.team!r} has two cover rules; list every covering team in one "
                                         "rule's by, in order of preference"))
        if c.name in names:
            out.append((f"{where}.team", f"{c.name!r}, the name of this cover in the ticket log, already names a "
                                         "timer or overflow rule; rename that rule"))
        for team in c.by:
            if team not in s.teams:
                out.append((f"{where}.by", f"unknown team {team!r}; {_suggest(team, s.teams)}"))
            elif team == c.team:
                out.append((f"{where}.by", f"team {team!r} cannot cover itself"))
        if len(set(c.by)) < len(c.by):
            out.append((f"{where}.by", "a team is listed twice"))
    return out


def _parts_problems(s: Scenario, regions: set[str]) -> list[tuple[str, str]]:
    """Spare parts: steps name parts that exist, at stages with a team, conditioned on known attribute values;
    every region that tickets come from has a depot rule for each part."""
    out = []
    uses = [(tname, stage, part, use) for tname, tt in s.ticket_types.items() for stage, step in tt.steps.items()
            for part, use in step.parts.items()]
    if not s.parts and not uses:
        return out
    domains = attribute_domains(s, {c: effective_mix(s, c) for c in s.demand.channels})
    if s.parts and WAITING_FOR_PART in s.stages:
        out.append((f"stages.{WAITING_FOR_PART}", "this name is the activity of tickets waiting for a spare part; "
                                                  "rename the stage"))
    for name, part in s.parts.items():
        if isinstance(part.stock, dict):
            for region in sorted(regions - set(part.stock)):
                out.append((f"parts.{name}.stock", f"no stock rule for region {region!r}; give one per region "
                            "(base_stock: 0 orders each part when it is needed)"))
            for region in sorted(set(part.stock) - regions):
                out.append((f"parts.{name}.stock.{region}", f"unknown region {region!r}; {_suggest(region, regions)}"))
    for tname, stage, part, use in uses:
        where = f"ticket_types.{tname}.steps.{stage}.parts.{part}"
        if part not in s.parts:
            out.append((where, f"unknown part {part!r}; {_suggest(part, s.parts)} (in parts)"))
        if stage in s.stages and s.stages[stage].team is None:
            out.append((where, f"stage {stage!r} has no team: nobody uses a part there"))
        for attribute, values in use.when.items():
            if attribute not in domains:
                out.append((f"{where}.when", f"unknown attribute {attribute!r}; {_suggest(attribute, domains)}"))
                continue
            for value in values:
                if value not in domains[attribute]:
                    out.append((f"{where}.when.{attribute}", f"{value!r} is not a value of {attribute!r}; "
                                f"{_suggest(value, domains[attribute])}"))
    return out


def _patience_problems(s: Scenario) -> list[tuple[str, str]]:
    out = []
    for name, channel in s.demand.channels.items():
        table = channel.patience_by
        if table is None:
            continue
        where = f"demand.channels.{name}.patience_by"
        types = list(table.by_type) + list(table.by_type_and_priority)
        priorities = list(table.by_priority) + [p for row in table.by_type_and_priority.values() for p in row]
        out += [(where, f"unknown ticket type {t!r}; {_suggest(t, s.ticket_types)}")
                for t in dict.fromkeys(types) if t not in s.ticket_types]
        out += [(where, f"unknown priority {p!r}; {_suggest(p, s.priorities)}")
                for p in dict.fromkeys(priorities) if p not in s.priorities]
    return out


def _roster_problems(s: Scenario) -> list[tuple[str, str]]:
    """Rows naming unknown teams or overlapping another row of the same team and skill group."""
    out = []
    by_group: dict[tuple, list[tuple[int, object]]] = {}  # rows of one team and skill group
    for i, row in enumerate(s.roster):
        if row.team not in s.teams:
            out.append((f"roster[{i}].team", f"unknown team {row.team!r}; {_suggest(row.team, s.teams)}"))
        by_group.setdefault((row.team, tuple(row.skills) if row.skills is not None else None), []).append((i, row))
    for rows in by_group.values():
        rows.sort(key=lambda x: x[1].start)
        for (i, a), (j, b) in zip(rows, rows[1:]):
            if b.start < a.end:
                out.append((f"roster[{j}]", f"{b.team} {b.start:%Y-%m-%d %H:%M}-{b.end:%H:%M} overlaps roster[{i}] "
                                            f"({a.start:%Y-%m-%d %H:%M}-{a.end:%H:%M}); give each interval once"))
    return out


def unknown_skills(s: Scenario) -> list[str]:
    """Skills (of a team, a shift or a roster row's skill group) that name no ticket category: a typo leaves those
    people idle while their tickets wait. Worth a warning, not an error: a what-if may remove a ticket type."""
    categories = {s.category_of(t) for t in s.ticket_types}
    held: dict[str, str] = {}  # skill -> where first held
    for name, team in s.teams.items():
        for skill in team.skills or []:
            held.setdefault(skill, f"teams.{name}.skills")
        for shift_name, shift in team.shifts.items():
            for skill in shift.skills or []:
                held.setdefault(skill, f"teams.{name}.shifts.{shift_name}.skills")
    for i, row in enumerate(s.roster):
        for skill in row.skills or []:
            held.setdefault(skill, f"roster[{i}].skills")
    return [f"{where}: skill {skill!r} names no ticket category; {_suggest(skill, categories)}"
            for skill, where in held.items() if skill not in categories]


def unstaffed(s: Scenario) -> list[str]:
    """Teams with nobody ever on duty that some route leads to ("what if we remove L3?"): worth a warning."""
    found = []
    for team_name, team in s.teams.items():
        if any(sh.headcount > 0 for sh in team.shifts.values()) or any(
                r.team == team_name and r.headcount > 0 for r in s.roster):
            continue
        stages = sorted({name for tt in s.ticket_types.values() for name in tt.steps
                         if name in s.stages and s.stages[name].team == team_name})
        if stages:
            found.append(f"team {team_name}: nobody is ever on duty, but stage(s) {', '.join(stages)} need it: "
                         "tickets routed there wait until the horizon (counted as open)")
    return found


def idle_rows(rows: list[tuple[str, datetime, datetime]], begin: datetime, stop: datetime) -> list[int]:
    """The roster rows (``team, start, end``) that change nothing in the period ``[begin, stop)``: wholly outside
    it, and not their team's last row before it or first after it where the team's roster reaches into the period
    past that row (the span from a team's first row to its last is where its roster replaces its shifts)."""
    before: dict[str, tuple[datetime, int]] = {}
    after: dict[str, tuple[datetime, int]] = {}
    inside: set[str] = set()
    outside = []
    for i, (team, start, end) in enumerate(rows):
        if end <= begin:
            outside.append(i)
            if team not in before or end > before[team][0]:
                before[team] = (end, i)
        elif start >= stop:
            outside.append(i)
            if team not in after or start < after[team][0]:
                after[team] = (start, i)
        else:
            inside.add(team)
    needed = {i for team, (_, i) in before.items() if team in inside or team in after}
    needed |= {i for team, (_, i) in after.items() if team in inside or team in before}
    return [i for i in outside if i not in needed]


def idle_rows_said(idle: list[int], total: int, begin: datetime, stop: datetime) -> str:
    """The warning about the roster rows ``idle`` (of ``total``) that change nothing in ``[begin, stop)``."""
    return (f"roster: {len(idle):,} of its {total:,} rows (the first: roster[{idle[0]}]) lie wholly outside the "
            f"simulated period, {begin:%Y-%m-%d %H:%M} to {stop:%Y-%m-%d %H:%M}: they change nothing")


def roster_cautions(s: Scenario) -> list[str]:
    """Per team, the stretches of the simulated period inside its roster that no row covers (nobody on duty there),
    and rows that change nothing (:func:`idle_rows`): worth a warning."""
    found = []
    begin = s.clock.start
    stop = begin + timedelta(minutes=s.clock.horizon)
    outside = idle_rows([(r.team, r.start, r.end) for r in s.roster], begin, stop)
    if outside:
        found.append(idle_rows_said(outside, len(s.roster), begin, stop))
    for team in s.teams:
        rows = sorted((r for r in s.roster if r.team == team), key=lambda r: r.start)
        ends = list(accumulate((r.end for r in rows), max))  # skill groups' rows may cover the same time
        gaps = [(max(end, begin), min(b.start, stop)) for end, b in zip(ends, rows[1:])
                if min(b.start, stop) > max(end, begin)]  # within the simulated period
        if gaps:
            found.append(f"roster: {team} has {len(gaps)} stretch(es) that no row covers, the first from "
                         f"{gaps[0][0]:%Y-%m-%d %H:%M} to {gaps[0][1]:%Y-%m-%d %H:%M}; nobody is on duty then "
                         "(rows with headcount 0 say so on purpose)")
    return found
