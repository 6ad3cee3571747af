"""The engine's rules, each a small policy compiled from the scenario's ``policies`` section.

- Queue disciplines (``policies.queue``): a discipline gives each ticket a static class (lower is served
  first) when it is created; within a class tickets are served first come, first served, or, with
  ``policies.within_class: shortest_first``, the ticket whose work at the stage (drawn when it joined the queue)
  is shortest first — non-pre-emptive shortest processing time. Agents are chosen longest-idle first among those
  who hold the ticket's skill and region.
- Timers (``policies.timers``): when a ticket starts waiting at a watched stage, each applicable timer says
  when it runs out; a ticket still waiting then moves to the timer's stage. A share of an SLA target counts in
  the priority's clock (business hours where its targets have a calendar).
  A reminder (``action: remind``) is counted and leaves the ticket where it is.
- Pre-emption (``policies.preemptive``): a ticket of a listed priority that finds nobody free at a stage without
  travel takes a person of the stage's team (holding its skill and region) from the least urgent ticket in hand,
  if that is less urgent than itself; the interrupted ticket goes back to the head of its queue class and resumes
  with the work it had left.
- Overflow (``policies.overflow``): a ticket that would wait at a watched stage behind more than a limit of
  waiting tickets goes to the rule's stage instead.
- Cover (``policies.cover``): a ticket about to queue for a team none of whose people who could take it is on
  duty queues for the first covering team that has such a person on duty; it keeps its stage and its work. A
  cover with a ``share`` below 1 takes each such ticket with that probability (its own stream, ``cover/<team>``);
  the others wait for their team.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..scenario.model import Scenario
from ..sla_clock import BusinessCalendar, BusinessClock
from .streams import Streams, uniform_sampler

# (priority rank per ticket, is-VIP flag per ticket, number of priorities) -> class per ticket
Discipline = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


def _fifo(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return np.zeros_like(prio)


def _priority(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return prio.copy()


def _vip_first(prio: np.ndarray, vip: np.ndarray, n_prio: int) -> np.ndarray:
    return np.where(vip, 0, n_prio) + prio


QUEUE_DISCIPLINES: dict[str, Discipline] = {"fifo": _fifo, "priority": _priority, "vip_first": _vip_first}


@dataclass(frozen=True)
class TimerRule:
    """A compiled timer: per priority, when it runs out (``inf``: not for that priority), counted from the ticket's
    creation (``from_creation``) or from when it joined the queue."""

    rule: int            # index in the engine's list of rule names
    from_creation: bool
    due: list[float]     # priority -> minutes (of the priority's SLA clock when counted from creation)
    to: int              # stage index (-1: a reminder, the ticket stays)
    clocks: tuple[BusinessClock | None, ...] = ()  # priority -> its targets' business-hours clock (None: 24/7)

    def runs_out(self, created: float, queued: float, priority: int) -> float:
        if not self.from_creation:
            return queued + self.due[priority]
        clock = self.clocks[priority] if self.clocks else None
        return created + self.due[priority] if clock is None else clock.deadline(created, self.due[priority])


@dataclass(frozen=True)
class OverflowRule:
    """A compiled overflow rule: priorities it applies to, the queue limit and where the ticket goes."""

    rule: int
    applies: list[bool]  # priority -> bool
    limit: int
    to: int

    def overflows(self, waiting: int, priority: int) -> bool:
        return self.applies[priority] and waiting > self.limit


@dataclass(frozen=True)
class CoverRule:
    """A compiled cover of one team: the teams that take its work while none of its people is on duty."""

    rule: int
    by: list[int]  # team indices, in order of preference
    share: float = 1.0  # the share of the team's off-duty work that is covered
    uniform: Callable[[], float] | None = None  # draws whether a ticket is covered (None: every one is)

    def covering(self, i: int, present: list[list[int]], keys) -> tuple[int, int] | None:
        """The first covering team with someone on duty who can take ticket ``i``, and the ticket's queue key in
        it (None: nobody, or not this ticket). ``present[team][key]`` counts the people on duty serving a key,
        ``keys[team][i]`` is ticket ``i``'s key in a team."""
        if self.uniform is not None and self.uniform() >= self.share:
            return None
        for team in self.by:
            key = keys[team][i]
            if present[team][key]:
                return team, key
        return None


def compile_rules(s: Scenario, stage_index: dict[str, int], team_index: dict[str, int], streams: Streams
                  ) -> tuple[list[str], list[list[TimerRule]], list[list[OverflowRule]], list[CoverRule | None]]:
    """Rule names (timers, overflow rules, then covers), per stage its timers and its overflow rules, and per team
    its cover (None: none)."""
    priorities = list(s.priorities)
    names = [t.name for t in s.policies.timers] + [o.name for o in s.policies.overflow] + \
        [c.name for c in s.policies.cover]
    clocks: tuple[BusinessClock | None, ...] = ()
    if s.sla_calendars and any(t.share_of for t in s.policies.timers):
        origin, days = pd.Timestamp(s.clock.start), 400 * 1440.0  # an initial backlog may be older than the start
        built = {name: BusinessCalendar.from_spec(c).clock(origin, -days, s.clock.horizon + days)
                 for name, c in s.sla_calendars.items()}
        clocks = tuple(built.get(s.priorities[p].calendar) for p in priorities)
    timers: list[list[TimerRule]] = [[] for _ in stage_index]
    overflow: list[list[OverflowRule]] = [[] for _ in stage_index]
    for k, t in enumerate(s.policies.timers):
        due = []
        for p in priorities:
            if t.priorities is not None and p not in t.priorities:
                due.append(math.inf)
            elif t.after is not None:
                due.append(float(t.after))
            else:
                due.append(t.share * float(getattr(s.priorities[p], t.share_of)))
        for stage in t.waiting_at:
            to = -1 if t.action == "remind" else stage_index[t.to]
            timers[stage_index[stage]].append(TimerRule(k, t.after is None, due, to, clocks))
    for j, o in enumerate(s.policies.overflow):
        applies = [o.priorities is None or p in o.priorities for p in priorities]
        overflow[stage_index[o.at]].append(OverflowRule(len(s.policies.timers) + j, applies, o.queue_longer_than,
                                                        stage_index[o.to]))
    cover: list[CoverRule | None] = [None] * len(team_index)
    first = len(s.policies.timers) + len(s.policies.overflow)
    for j, c in enumerate(s.policies.cover):
        uniform = uniform_sampler(streams(f"cover/{c.team}").random) if c.share < 1 else None
        cover[team_index[c.team]] = CoverRule(first + j, [team_index[t] for t in c.by], c.share, uniform)
    return names, timers, overflow, cover
