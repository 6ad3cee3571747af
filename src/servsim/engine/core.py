"""The service model on SimPy's event queue.

Tickets are not SimPy processes: each state change is a callback on a scheduled
SimPy event (arrival, work done, customer replied, caller hung up, shift change),
and each team keeps heap-ordered queues, one per (skill, region) key. This keeps
the per-ticket cost to two or three events and makes a backlog of thousands cheap.
Output is written column-wise into ``array`` buffers, never as per-event objects.

Ticket states and transitions (the only ones; each rule of :mod:`.policies` acts on one of them)::

    NEW ──arrive──▶ QUEUED (waiting for a person at a stage with a team)
                    │  ├─ a person takes it ──────────────▶ IN_SERVICE
                    │  ├─ patience runs out (first reply) ─▶ ABANDONED
                    │  ├─ a timer runs out ───────────────▶ QUEUED at the timer's stage
                    │  └─ a reminder runs out ────────────▶ QUEUED where it is (counted)
    IN_SERVICE ──a more urgent ticket pre-empts its person──▶ QUEUED at the head of its class, work left kept
    about to be QUEUED for a team with nobody on duty who could take it ──▶ QUEUED for a covering team, same stage
        (a cover with a share below 1: that share of such tickets; the others stay QUEUED for their team)
    (within a class a queue is first come, first served — a priority's ``head_start`` counting as having come that
    much earlier — or with ``within_class: shortest_first`` shortest work first)
    entering a stage whose work needs a part known before the visit, not in stock ──▶ WAITING_FOR_PART
    IN_SERVICE ──done, but a part found missing at the visit──▶ WAITING_FOR_PART (or, if it came meanwhile, QUEUED)
    WAITING_FOR_PART ──the part arrives──▶ QUEUED at the same stage (after a visit: a second visit, work drawn again)
    NEW ──arrive──▶ WITH_CUSTOMER (a stage without a team: a delay nobody works)
    IN_SERVICE, WITH_CUSTOMER ──done──▶ the next stage (QUEUED, WITH_CUSTOMER) or RESOLVED
    RESOLVED ──reopen delay──▶ QUEUED at the reopen stage;  RESOLVED ──closing stages, or none──▶ CLOSED

A person (one concurrency slot of one) is idle, busy with a ticket, or wrapping up after one (a team with
``wrap_up``: unavailable for a drawn time after each piece of work, then idle or taking the next ticket); any of
these on or off duty. Only an idle person on duty takes a ticket; only a busy one can be pre-empted.

Entering a stage, a ticket that finds nobody free and more than an overflow rule's limit already waiting goes
to that rule's stage instead. Before that, a ticket for a team with nobody on duty who could take it goes to
the queue of the team's first cover with someone on duty who can (the team's people, when they come back, take
only their own queue). A queue entry is live while ``token[i]`` equals its sequence number; a ticket
that leaves a queue other than by being taken (hung up, moved by a timer) invalidates its entry, which the
next person to look at that queue discards.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from heapq import heappop, heappush

import numpy as np
import simpy
from simpy.events import Timeout

from ..errors import ServsimError
from .compile import RESOLVE, Compiled

NAN = math.nan
MAX_MOVES = 1_000  # moves of one ticket by timers and overflow rules beyond which the rules are a livelock
# ticket states
NEW, QUEUED, IN_SERVICE, WITH_CUSTOMER, RESOLVED, CLOSED, ABANDONED, WAITING_FOR_PART = range(8)
# what a person is doing besides a ticket (busy[a] >= 0 is the ticket in hand)
IDLE, WRAPPING_UP = -1, -2


@dataclass
class RawLog:
    """Column buffers of one run, times in minutes from the scenario start (NaN = not reached)."""

    first_response: np.ndarray
    moved_by: np.ndarray   # the last timer or overflow rule that moved the ticket (-1: none)
    n_moves: np.ndarray
    reminded_by: np.ndarray  # the last reminder sent about the ticket (-1: none)
    n_reminders: np.ndarray
    resolved: np.ndarray
    closed: np.ndarray
    abandoned: np.ndarray
    n_escalations: np.ndarray
    n_reopens: np.ndarray
    final_stage: np.ndarray
    sla_paused: np.ndarray
    direct_cost: np.ndarray
    ev_ticket: np.ndarray
    ev_stage: np.ndarray
    ev_agent: np.ndarray
    ev_enqueued: np.ndarray
    ev_started: np.ndarray
    ev_ended: np.ndarray
    stock: dict[str, np.ndarray] | None = None  # the stock table's columns (see .parts), if the model has parts


def run(m: Compiled) -> RawLog:
    """Simulate the compiled model ``m`` from time 0 to its horizon."""
    env = simpy.Environment()
    n = len(m.created)
    # Per-ticket columns, no object per value: the compiled arrays are read in place through memoryviews (which
    # index like lists and give Python numbers), the state the run writes is kept in typed arrays
    created = memoryview(m.created)
    ttype = memoryview(m.ticket_type)
    qclass = memoryview(m.queue_class)
    # queue entries: (class, work if shortest first else the time joined less the priority's head start, sequence,
    # ticket); the sequence keeps equal keys first come, first served, so without head starts the key is 0
    shortest_first = m.shortest_first
    head_start = m.head_start if any(m.head_start) else None
    patience = memoryview(m.patience)
    reopens_left = memoryview(m.reopens)  # counted down as the ticket reopens
    team_key_of_ticket = [memoryview(keys) for keys in m.team_key_of_ticket]  # team -> ticket -> key index

    fr, resolved, closed, abandoned = (array("d", [NAN]) * n for _ in range(4))
    paused, cost = array("d", [0.0]) * n, array("d", [0.0]) * n
    enq_at, start_at, work_of = array("d", [NAN]) * n, array("d", [NAN]) * n, array("d", [0.0]) * n
    n_esc, n_reo, n_moves, n_reminders = (array("i", [0]) * n for _ in range(4))
    final, moved_by, reminded_by = (array("i", [-1]) * n for _ in range(3))
    state = array("b", [NEW]) * n
    stage_of = array("i", [-1]) * n
    next_of = array("i", [RESOLVE]) * n
    token = [-1] * n                  # sequence number of the ticket's live queue entry (-1: not queued)
    stage_timers = m.stage_timers
    stage_overflow = m.stage_overflow
    waiting = [0] * len(m.team_names)  # live queue entries per team
    team_cover = m.team_cover
    covered = any(c is not None for c in team_cover)
    # with cover: people on duty per team and queue key, and the team each queued ticket waits for
    present = [[0] * len(h) for h in m.team_heaps] if covered else None
    queued_for = array("h", [-1]) * n if covered else None
    prio = memoryview(m.priority)

    ev_ticket, ev_stage, ev_agent = array("i"), array("i"), array("i")
    ev_enq, ev_start, ev_end = array("d"), array("d"), array("d")
    log_t, log_s, log_a = ev_ticket.append, ev_stage.append, ev_agent.append
    log_q, log_b, log_e = ev_enq.append, ev_start.append, ev_end.append

    steps = m.steps                   # [type][stage] -> (work sampler per target, targets, cum, uniform) or None
    by_hour = m.work_by_hour if any(f is not None for row in m.work_by_hour for f in row) else None
    day_start = m.minute_of_day_at_start
    stage_team = m.stage_team
    stage_fr = m.stage_first_response
    stage_esc = m.stage_escalation
    stage_travel = m.stage_travel     # stage -> None or per-region sampler list
    stage_cost = m.stage_visit_cost
    region = memoryview(m.region)
    closing_first = m.closing_first   # type -> first closing stage or CLOSE
    reopen_stage = m.reopen_stage     # type -> stage index
    reopen_delay = m.reopen_delay     # type -> sampler or None

    heaps = m.team_heaps              # team -> list of heaps (one per key)
    idle = m.team_idle                # team -> list of idle on-duty agents, longest idle first
    agent_team = m.agent_team
    agent_keys = m.agent_keys         # agent -> key indices it may serve
    serves = m.agent_serves           # agent -> list[bool] by key index
    on_duty = [False] * len(agent_team)
    busy = [IDLE] * len(agent_team)
    job = [0] * len(agent_team)        # sequence number of the agent's current piece of work (pre-emption voids it)
    job_end = [0.0] * len(agent_team)
    counter = [0]
    resumed = [0]                      # decreasing sequence numbers: an interrupted ticket goes first in its class
    preempts = m.preempts
    stage_preemptable = m.stage_preemptable
    team_agents = [[a for a, t in enumerate(agent_team) if t == team] for team in range(len(m.team_names))]

    parts = m.parts
    has_parts = parts is not None
    if has_parts:
        step_needs, unit_cost, lead_time, stock = parts.needs, parts.unit_cost, parts.lead_time, parts.stock
        part_wait = m.part_wait_code
        visit_needs: list = [None] * n   # part uses drawn at entry, found when the work starts
        visit_work: list = [None] * n    # the work sampler of the ticket's step, for a second visit
        missing = [0] * n                # part demands of the ticket not yet filled
        revisit = [False] * n            # the current visit found a part missing
        wait_from = [NAN] * n
    pause_customer, pause_part = m.pause_for_customer, m.pause_for_part
    agent_wrap_up = [m.team_wrap_up[t] for t in agent_team]  # agent -> wrap-up sampler (None: none)
    wrap_code = m.wrap_up_code
    wrapping = [(-1, NAN)] * len(agent_team)  # agent -> (ticket, since) of the wrap-up under way

    def at(delay: float, callback, value) -> None:
        Timeout(env, delay, value).callbacks.append(callback)

    def enqueue(i: int, s: int, may_overflow: bool = True) -> None:
        now = env._now
        stage_of[i] = s
        enq_at[i] = now
        works, targets, cum, uniform = steps[ttype[i]][s]
        k = 0
        if len(targets) > 1:
            u = uniform()
            while u >= cum[k]:
                k += 1
        next_of[i] = targets[k]
        work_of[i] = works[k]()  # the route is drawn first: work may depend on where the ticket goes next
        if by_hour is not None and (hourly := by_hour[ttype[i]][s]) is not None:  # longer work at some hours
            work_of[i] *= hourly[int((now + day_start) % 1440.0) // 60]
        if remaining and i in remaining:  # a ticket of the initial backlog, part-way through its first stage
            work_of[i] = remaining.pop(i)
        if stage_esc[s]:
            n_esc[i] += 1
        if has_parts:
            visit_needs[i] = None  # parts drawn for a stage the ticket left (moved by a rule) are not needed here
        team = stage_team[s]
        if team < 0:
            if stage_fr[s] and fr[i] != fr[i]:  # the reply went out with the work that led here
                fr[i] = now
            state[i] = WITH_CUSTOMER
            at(work_of[i], customer_replied, i)
            return
        if has_parts and step_needs[ttype[i]][s] and not parts_at_entry(i, s, works[k]):
            return  # waits for a part before it queues
        join(i, s, team, may_overflow)

    def join(i: int, s: int, team: int, may_overflow: bool) -> None:
        """The ticket starts waiting for a person of ``team`` at stage ``s`` (or is taken at once)."""
        now = env._now
        key = team_key_of_ticket[team][i]
        cover = team_cover[team]  # None for a team nobody covers
        if cover is not None and not present[team][key]:
            taken = cover.covering(i, present, team_key_of_ticket)
            if taken is not None:
                moved(i, cover.rule)
                team, key = taken
        free = idle[team]
        for a in free:
            if serves[a][key]:
                free.remove(a)
                start(i, a)
                return
        if preempts[prio[i]] and stage_preemptable[s]:
            a = victim(team, key, prio[i])
            if a >= 0:
                interrupt(a)
                start(i, a)
                return
        if may_overflow:
            for rule in stage_overflow[s]:
                if rule.overflows(waiting[team], prio[i]):
                    moved(i, rule.rule)
                    enqueue(i, rule.to, may_overflow=False)  # one overflow per arrival: no ping-pong
                    return
        state[i] = QUEUED
        counter[0] += 1
        token[i] = counter[0]
        waiting[team] += 1
        if covered:
            queued_for[i] = team
        heappush(heaps[team][key], (qclass[i], work_of[i] if shortest_first else
                                    now - head_start[prio[i]] if head_start else 0.0, counter[0], i))
        if stage_fr[s] and patience[i] < math.inf and fr[i] != fr[i]:
            at(patience[i], hang_up, i)
        for rule in stage_timers[s]:
            due = rule.runs_out(created[i], now, prio[i])
            if due < math.inf:
                at(max(due - now, 0.0), timer_ran_out, (i, counter[0], rule))

    def parts_at_entry(i: int, s: int, work) -> bool:
        """Draw the parts the work at ``s`` needs and take those known before the visit; False: the ticket waits
        for a part before it queues."""
        visit_work[i] = work
        found_later = []
        for need in step_needs[ttype[i]][s]:
            if need.needed(i):
                if need.before_visit:
                    take(i, need, False)
                else:
                    found_later.append(need)
        visit_needs[i] = found_later or None
        if missing[i]:
            state[i] = WAITING_FOR_PART
            wait_from[i] = env._now
            return False
        return True

    def take(i: int, need, at_visit: bool) -> None:
        """Demand a part for ticket ``i`` at its region's depot, and reorder if the stock rule says so."""
        filled, k, order = parts.take(need, region[i], i, env._now, at_visit)
        cost[i] += unit_cost[need.part] * need.quantity
        if not filled:
            missing[i] += 1
        if order:
            at(lead_time[need.part](), parts_arrived, (k, order))

    def parts_arrived(event) -> None:
        k, units = event._value
        for j in stock.receive(k, units, env._now):
            missing[j] -= 1
            if missing[j] == 0 and state[j] == WAITING_FOR_PART:
                part_ready(j)

    def part_ready(i: int) -> None:
        """The last part ticket ``i`` waited for is in: it queues at its stage again (after a visit: a second one)."""
        now = env._now
        if now > wait_from[i]:
            log_t(i), log_s(part_wait), log_a(-1), log_q(wait_from[i]), log_b(wait_from[i]), log_e(now)
        if pause_part:
            paused[i] += now - wait_from[i]
        if revisit[i]:
            revisit[i] = False
            work_of[i] = visit_work[i]()
        enq_at[i] = now
        join(i, stage_of[i], stage_team[stage_of[i]], False)

    def victim(team: int, key: int, p: int) -> int:
        """The on-duty person of ``team`` serving ``key`` with the least urgent ticket in hand, if less urgent
        than priority ``p`` (-1: nobody)."""
        best, worst = -1, p
        for a in team_agents[team]:
            j = busy[a]
            if j >= 0 and on_duty[a] and serves[a][key] and prio[j] > worst:
                best, worst = a, prio[j]
        return best

    def interrupt(a: int) -> None:
        """Pre-emption: the ticket in ``a``'s hands goes back to the head of its queue class with its work left."""
        now = env._now
        j = busy[a]
        busy[a] = IDLE
        job[a] += 1  # its scheduled end no longer counts
        log_t(j), log_s(stage_of[j]), log_a(a), log_q(enq_at[j]), log_b(start_at[j]), log_e(now)
        work_of[j] = job_end[a] - now
        enq_at[j] = now
        state[j] = QUEUED
        resumed[0] -= 1
        token[j] = resumed[0]
        team = agent_team[a]
        waiting[team] += 1
        if covered:
            queued_for[j] = team
        heappush(heaps[team][team_key_of_ticket[team][j]], (qclass[j], -math.inf, resumed[0], j))

    def moved(i: int, rule: int) -> None:
        moved_by[i] = rule
        n_moves[i] += 1
        if n_moves[i] > MAX_MOVES:  # rules sending a ticket round a cycle faster than it could be worked
            raise ServsimError(f"a ticket was moved {MAX_MOVES:,} times by the rules (the last: "
                               f"{m.rule_names[rule]!r}): its timers and overflow rules send it round a cycle; "
                               "lengthen their 'after' or break the cycle")

    def leave_queue(i: int) -> None:
        """The ticket stops waiting other than by being taken: its queue entry is dropped."""
        token[i] = -1
        waiting[queued_for[i] if covered else stage_team[stage_of[i]]] -= 1

    def timer_ran_out(event) -> None:
        i, entry, rule = event._value
        if token[i] != entry:  # taken, hung up or moved since
            return
        if rule.to < 0:  # a reminder: counted, the ticket stays in its queue
            reminded_by[i] = rule.rule
            n_reminders[i] += 1
            return
        leave_queue(i)
        # the wait at the old stage ends without service, like a caller who hung up
        log_t(i), log_s(stage_of[i]), log_a(-1), log_q(enq_at[i]), log_b(NAN), log_e(env._now)
        moved(i, rule.rule)
        enqueue(i, rule.to)

    def start(i: int, a: int) -> None:
        now = env._now
        state[i] = IN_SERVICE
        start_at[i] = now
        busy[a] = i
        s = stage_of[i]
        if stage_fr[s] and fr[i] != fr[i]:
            fr[i] = now
        if has_parts and visit_needs[i] is not None:
            for need in visit_needs[i]:
                take(i, need, True)
            visit_needs[i] = None
            revisit[i] = missing[i] > 0
        duration = work_of[i]
        travel = stage_travel[s]
        if travel is not None:
            duration += 2.0 * travel[region[i]]()
            cost[i] += stage_cost[s]
        job[a] += 1
        job_end[a] = now + duration
        at(duration, work_done, (a, job[a]))

    def take_next(a: int) -> None:
        best = None
        for k in agent_keys[a]:
            h = heaps[agent_team[a]][k]
            while h and token[h[0][3]] != h[0][2]:  # an entry left behind by a ticket that hung up or moved
                heappop(h)
            if h and (best is None or h[0] < best[0]):
                best = h
        if best is None:
            idle[agent_team[a]].append(a)
        else:
            i = heappop(best)[3]
            token[i] = -1
            waiting[agent_team[a]] -= 1
            start(i, a)

    def work_done(event) -> None:
        a, piece = event._value
        if job[a] != piece:  # interrupted (pre-empted) before it was done
            return
        i = busy[a]
        now = env._now
        log_t(i), log_s(stage_of[i]), log_a(a), log_q(enq_at[i]), log_b(start_at[i]), log_e(now)
        draw = agent_wrap_up[a]
        if draw is None:
            busy[a] = IDLE
        else:
            busy[a] = WRAPPING_UP
            wrapping[a] = (i, now)
            at(draw(), wrapped_up, a)
        advance(i)
        if on_duty[a] and busy[a] == IDLE:
            take_next(a)

    def wrapped_up(event) -> None:
        a = event._value
        i, since = wrapping[a]
        log_t(i), log_s(wrap_code), log_a(a), log_q(since), log_b(since), log_e(env._now)
        busy[a] = IDLE
        if on_duty[a]:
            take_next(a)

    def customer_replied(event) -> None:
        i = event._value
        now = env._now
        log_t(i), log_s(stage_of[i]), log_a(-1), log_q(enq_at[i]), log_b(enq_at[i]), log_e(now)
        if pause_customer:
            paused[i] += now - enq_at[i]
        advance(i)

    def advance(i: int) -> None:
        if has_parts and revisit[i]:  # the visit found a part missing: it was a diagnosis, the fix needs another
            wait_from[i] = env._now
            if missing[i]:
                state[i] = WAITING_FOR_PART
            else:  # the part came during the visit
                part_ready(i)
            return
        target = next_of[i]
        if target >= 0:
            enqueue(i, target)
        elif target == RESOLVE:
            resolve(i)
        else:
            closed[i] = env._now
            state[i] = CLOSED

    def resolve(i: int) -> None:
        now = env._now
        resolved[i] = now
        final[i] = stage_of[i]
        state[i] = RESOLVED
        if reopens_left[i] > 0:
            reopens_left[i] -= 1
            at(reopen_delay[ttype[i]](), reopen, i)
            return
        first_closing = closing_first[ttype[i]]
        if first_closing >= 0:
            enqueue(i, first_closing)
        else:
            closed[i] = now
            state[i] = CLOSED

    def reopen(event) -> None:
        i = event._value
        n_reo[i] += 1
        resolved[i] = NAN  # open again: resolved_at will be the last resolution
        enqueue(i, reopen_stage[ttype[i]])

    def hang_up(event) -> None:
        i = event._value
        if state[i] == QUEUED and fr[i] != fr[i]:
            leave_queue(i)
            state[i] = ABANDONED
            abandoned[i] = env._now
            final[i] = stage_of[i]
            # never started; the activity ended when the caller hung up
            log_t(i), log_s(stage_of[i]), log_a(-1), log_q(enq_at[i]), log_b(NAN), log_e(env._now)

    deflected = memoryview(m.deflected) if m.deflected.any() else None  # None: no bot answers anyone
    entry_stage = m.entry_stage
    start_stage = memoryview(m.start_stage) if (m.start_stage >= 0).any() else None  # None: every ticket is new
    remaining = {int(i): float(m.remaining[i]) for i in np.flatnonzero(~np.isnan(m.remaining))}  # ticket -> minutes
    arrive_at = memoryview(np.maximum(m.created, 0.0)) if n and m.created[0] < 0 else created  # a backlog: there at 0
    m.remaining = None  # read into ``remaining``: a compiled model is run once

    def arrive(event) -> None:
        i = event._value
        if deflected is not None and deflected[i]:
            resolved[i] = closed[i] = created[i]
            state[i] = CLOSED
        else:
            enqueue(i, start_stage[i] if start_stage is not None and start_stage[i] >= 0 else entry_stage[ttype[i]])
        if i + 1 < n:
            at(arrive_at[i + 1] - env._now, arrive, i + 1)

    def shift_change(event) -> None:
        for a, coming in event._value:
            if covered:
                count = present[agent_team[a]]
                for k in agent_keys[a]:
                    count[k] += 1 if coming else -1
            if coming:
                on_duty[a] = True
                if busy[a] == IDLE:
                    take_next(a)
            else:
                on_duty[a] = False
                if busy[a] == IDLE:
                    idle[agent_team[a]].remove(a)
                # a busy agent finishes the ticket in hand (and its wrap-up), then takes no more

    for time, changes in m.shift_changes:
        at(time, shift_change, changes)
    if n:
        at(arrive_at[0], arrive, 0)
    env.run(until=m.horizon)

    # censored at the horizon: record the activity each open ticket is in
    for i in range(n):
        st = state[i]
        if st == QUEUED:
            log_t(i), log_s(stage_of[i]), log_a(-1), log_q(enq_at[i]), log_b(NAN), log_e(NAN)
        elif st == WITH_CUSTOMER:
            log_t(i), log_s(stage_of[i]), log_a(-1), log_q(enq_at[i]), log_b(enq_at[i]), log_e(NAN)
        elif st == WAITING_FOR_PART:
            log_t(i), log_s(part_wait), log_a(-1), log_q(wait_from[i]), log_b(wait_from[i]), log_e(NAN)
        if st in (QUEUED, WITH_CUSTOMER, IN_SERVICE, WAITING_FOR_PART) and resolved[i] != resolved[i]:
            final[i] = stage_of[i]
    for a, i in enumerate(busy):
        if i >= 0:
            log_t(i), log_s(stage_of[i]), log_a(a), log_q(enq_at[i]), log_b(start_at[i]), log_e(NAN)
        elif i == WRAPPING_UP:
            j, since = wrapping[a]
            log_t(j), log_s(wrap_code), log_a(a), log_q(since), log_b(since), log_e(NAN)

    def column(values: array) -> np.ndarray:
        return np.frombuffer(values, np.float64 if values.typecode == "d" else np.int32)

    out = RawLog(
        first_response=column(fr), moved_by=column(moved_by), n_moves=column(n_moves),
        reminded_by=column(reminded_by), n_reminders=column(n_reminders), resolved=column(resolved),
        closed=column(closed), abandoned=column(abandoned), n_escalations=column(n_esc), n_reopens=column(n_reo),
        final_stage=column(final), sla_paused=column(paused), direct_cost=column(cost),
        ev_ticket=np.frombuffer(ev_ticket, np.int32), ev_stage=np.frombuffer(ev_stage, np.int32),
        ev_agent=np.frombuffer(ev_agent, np.int32), ev_enqueued=np.frombuffer(ev_enq),
        ev_started=np.frombuffer(ev_start), ev_ended=np.frombuffer(ev_end),
        stock=parts.stock.table() if has_parts else None,
    )
    m.patience = m.reopens = m.queue_class = m.start_stage = None  # read: a compiled model is run once
    m.team_key_of_ticket = []
    # The callbacks refer to each other through their closure cells: a cycle that would keep every per-ticket column
    # they use alive until the garbage collector's next full pass (the run's state, and the output buffers beside the
    # arrays made from them). Emptying the cells now frees what the log does not keep as soon as the caller lets go.
    for callback in (at, enqueue, join, parts_at_entry, take, parts_arrived, part_ready, victim, interrupt, moved,
                     leave_queue, timer_ran_out, start, take_next, work_done, wrapped_up, customer_replied, advance,
                     resolve, reopen, hang_up, arrive, shift_change):
        for cell in callback.__closure__ or ():
            cell.cell_contents = None
    return out
