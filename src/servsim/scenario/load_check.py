"""Before a run: how big it will be and whether each team can keep up (long-run averages, no simulation).

- **Size**: expected tickets (arrival rates × horizon, each channel's weekly pattern times the trend and the dated
  calendar, day by day) and events (stage visits per ticket from the routing), and the memory they take; a run past
  ``MAX_TICKETS`` is refused unless forced, before anything is allocated.
- **Stability**: per team, the offered load (arrivals × visits × mean work, per stage the team does) against its
  average number of people on duty × concurrency × (1 − shrinkage). ρ ≥ 1 means its queue grows without bound
  over the horizon, unless all its work comes from callers who hang up when kept waiting: then many will.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import RESOLVE, Scenario

MAX_TICKETS = 20_000_000  # per replication; beyond it a run needs force=True (--force)
BYTES_PER_TICKET = 2_000  # tickets + events tables and the engine's state, measured on the baseline
WEEK = 10_080.0


@dataclass(frozen=True)
class LoadCheck:
    tickets: float  # expected tickets created over the horizon
    events: float  # expected stage visits
    memory_bytes: float
    load: dict[str, tuple[float, float]]  # team -> (offered people-equivalents, people on duty x concurrency)
    hang_up: frozenset[str] = frozenset()  # teams all of whose work comes from callers who hang up when kept waiting

    def overloaded(self) -> dict[str, float]:
        """Teams whose offered load is at least their capacity, with ρ."""
        return {team: offered / capacity if capacity > 0 else float("inf")
                for team, (offered, capacity) in self.load.items() if offered > 0 and offered >= capacity}

    def warnings(self) -> list[str]:
        out = []
        for team, rho in sorted(self.overloaded().items(), key=lambda kv: -kv[1]):
            offered, capacity = self.load[team]
            if capacity == 0:  # nobody at all: said when the scenario is read
                continue
            if team in self.hang_up:  # the queue stays bounded: callers leave it
                out.append(f"team {team}: offered work needs {offered:.1f} people on duty on average, it has "
                           f"{capacity:.1f} (offered load {rho:.0%}): many callers will hang up before an answer; "
                           "add people or lower the demand")
                continue
            out.append(f"team {team}: offered work needs {offered:.1f} people on duty on average, it has "
                       f"{capacity:.1f} (utilisation {rho:.0%}): its queue grows without bound and the backlog at "
                       "the horizon will be large; add people or lower the demand")
        return out

    def size_error(self) -> str | None:
        if self.tickets <= MAX_TICKETS:
            return None
        if not np.isfinite(self.tickets):
            return (f"more tickets per replication than can be counted (the demand's trend or calendar factors "
                    f"overflow): more than the {MAX_TICKETS:,} a run takes without --force (force=True); check "
                    "demand.trend, demand.calendar, the rates and the horizon")
        return (f"about {self.tickets:,.0f} tickets and {self.events:,.0f} events per replication (about "
                f"{self.memory_bytes / 2**30:,.1f} GiB): more than the {MAX_TICKETS:,} a run takes without --force "
                "(force=True); check the rates, demand.trend, demand.calendar and the horizon")


def check_load(s: Scenario) -> LoadCheck:
    """Expected size of a replication and each team's offered load against its capacity."""
    arrivals: dict[str, float] = {}  # ticket type -> tickets per minute, the weekly average
    staying: dict[str, float] = {}  # the same of channels whose callers do not hang up
    tickets = 0.0
    dated = _dated_factors(s)
    for channel in s.demand.channels.values():
        mix = (channel.mix and channel.mix.ticket_types) or s.demand.mix.ticket_types or {}
        patient = channel.patience is None and channel.patience_by is None
        for tt, share in mix.items():
            arrivals[tt] = arrivals.get(tt, 0.0) + channel.rate * share
            staying[tt] = staying.get(tt, 0.0) + (channel.rate * share if patient else 0.0)
        tickets += channel.rate * _weighted_minutes(channel, dated)
    plain = sum(arrivals.values()) * s.clock.horizon  # the same without the weekly pattern, trend and calendar
    offered: dict[str, float] = {}
    offered_staying: dict[str, float] = {}
    visits_total = 0.0
    for tname, rate in arrivals.items():
        tt = s.ticket_types.get(tname)
        if tt is None:
            continue
        rate *= 1.0 - tt.deflection
        rounds = 1.0 / (1.0 - tt.reopen.probability) if tt.reopen else 1.0  # reopened tickets go round again
        visits = {stage: v * rounds for stage, v in _visits(tt).items()}
        visits_total += rate * sum(visits.values()) * s.clock.horizon * (tickets / max(plain, 1e-300))
        for stage, v in visits.items():
            team = s.stages[stage].team if stage in s.stages else None
            if team is not None:
                offered[team] = offered.get(team, 0.0) + rate * v * _mean_work(tt.steps[stage])
                offered_staying[team] = offered_staying.get(team, 0.0) + staying.get(tname, 0.0) * (
                    1.0 - tt.deflection) * v * _mean_work(tt.steps[stage])
    capacity = {team: _people_on_duty(s, team) * s.teams[team].concurrency * (1 - s.teams[team].shrinkage)
                for team in s.teams}
    load = {team: (offered.get(team, 0.0), capacity[team]) for team in s.teams}
    hang_up = frozenset(team for team, work in offered.items() if work > 0 and offered_staying.get(team, 0.0) == 0)
    return LoadCheck(tickets, visits_total, (tickets + visits_total / 3) * BYTES_PER_TICKET, load, hang_up)


def _dated_factors(s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per calendar day the horizon touches: its weekday, the minutes of it inside the horizon, and the trend and
    dated calendar's factor at its middle (1 where neither is set)."""
    start = np.datetime64(s.clock.start, "m")
    first = start.astype("datetime64[D]")
    days = first + np.arange(int(np.ceil(((start - first).astype(float) + s.clock.horizon) / 1440.0)) + 1)
    begin = np.maximum((days - start).astype("timedelta64[m]").astype(float), 0.0)
    end = np.minimum((days + 1 - start).astype("timedelta64[m]").astype(float), s.clock.horizon)
    minutes = np.maximum(end - begin, 0.0)
    middle = (begin + end) / 2
    factor = np.ones(len(days))
    if s.demand.trend:
        with np.errstate(over="ignore"):  # a trend that overflows: an infinite estimate, refused
            factor = np.exp(np.log1p(s.demand.trend) * middle / WEEK)
    for period in s.demand.calendar:
        inside = (days >= np.datetime64(period.start, "D")) & (days <= np.datetime64(period.end, "D"))
        factor = np.where(inside, factor * period.factor, factor)
    weekday = (days.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return weekday, minutes, factor


def _weighted_minutes(channel, dated: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:  # noqa: ANN001
    """The horizon's minutes weighted by ``channel``'s weekly pattern (its days' mean factor) and ``dated``."""
    weekday, minutes, factor = dated
    by_day = channel.profile.factors().reshape(7, 24).mean(axis=1) if channel.profile is not None else np.ones(7)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.sum(np.where(minutes > 0, minutes * by_day[weekday] * factor, 0.0)))


def _visits(tt) -> dict[str, float]:  # noqa: ANN001 - a TicketType
    """Expected visits of each stage per ticket (traffic equations of the routing; closing stages once)."""
    names = [n for n in tt.steps if n not in tt.closing]
    index = {n: i for i, n in enumerate(names)}
    routing = np.zeros((len(names), len(names)))
    for n in names:
        for target, p in (tt.steps[n].next or {}).items():
            if target != RESOLVE and target in index:
                routing[index[n], index[target]] += p
    entry = np.zeros(len(names))
    if tt.entry in index:
        entry[index[tt.entry]] = 1.0
    try:
        visits = np.linalg.solve(np.eye(len(names)) - routing.T, entry)
    except np.linalg.LinAlgError:  # a trap (checked elsewhere): count each stage once
        visits = np.ones(len(names))
    out = {n: float(max(v, 0.0)) for n, v in zip(names, visits)}
    out.update({c: 1.0 for c in tt.closing})
    return out


def _mean_work(step) -> float:  # noqa: ANN001 - a Step
    route = step.next or {}
    if not step.work_by_next or not route:
        return float(step.work.mean)
    return float(sum(p * (step.work_by_next.get(t, step.work)).mean for t, p in route.items()))


def _people_on_duty(s: Scenario, team: str) -> float:
    """Average people on duty over the week (weekly shifts, or the dated roster's rows where it has some)."""
    rows = [r for r in s.roster if r.team == team]
    if rows:
        span = (max(r.end for r in rows) - min(r.start for r in rows)).total_seconds() / 60.0
        worked = sum(r.headcount * (r.end - r.start).total_seconds() / 60.0 for r in rows)
        return worked / span if span > 0 else 0.0
    return sum(sh.headcount * sh.minutes_a_day * len(sh.days) for sh in s.teams[team].shifts.values()) / WEEK
