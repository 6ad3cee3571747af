"""Interval staffing for a call centre: the agents each team needs in every interval of the week to meet a
requirement there (``service_level_20s>=0.8 per 30min``), found by simulation, with Erlang A's and Erlang C's
answers beside it, then covered by shifts.

1. **Forecast.** The scenario as it is, simulated: the calls each team answers per interval of the week (pooled
   over the measured weeks and the replications), and their handling time (the first step's work plus wrap-up).
2. **Start** at Erlang A's requirement per interval (at least one agent wherever calls come).
3. **Meet** the requirement: simulate the week with that staffing (a dated roster of the intervals, so an agent on
   duty in consecutive intervals stays one person); every interval that misses gets one agent more; again until
   none misses. An interval meets where the one-sided ``confidence`` bound of its KPI does (Student-t, with the
   standard error of a ratio over the interval's occurrences, weeks times replications: the calls of one interval
   share its queue, so they are not independent draws), so that on other random numbers it still meets about
   that often. An interval with fewer than ``MIN_CALLS`` calls in all its simulated occurrences cannot be measured
   and keeps its Erlang A staffing.
4. **Trim**: take one agent from every interval that has more than one; keep the cuts of
   the intervals that still meet, give back one agent where any interval then misses; again until no cut holds.
   Each interval then meets its requirement and misses it with one agent fewer (or has one).
5. **Check** on fresh replications (other random numbers): the share of intervals that meet the requirement.
6. **Shifts**: the fewest paid hours of shifts (lengths given, starting on any interval, within a day) that put
   at least the required agents in every interval, per team and weekday: an integer programme (HiGHS, through
   ``scipy.optimize.milp``).

Intervals are those of the week in the clock's time zone; a requirement holds in each interval on the mean over
its occurrences (weeks and replications), as a planner's interval table is read.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from ..erlang import erlang_a, required_agents
from ..errors import ServsimError
from ..files import write_csv, write_text
from ..kpi import format_value
from ..one_run import simulate_validated
from ..scenario import Scenario, scenario_from_dict
from ..scenario.model import WEEKDAYS
from ..units import parse_duration
from .optimize import Requirement

MIN_CALLS = 30  # calls of an interval, over all its simulated occurrences, below which it cannot be measured
MAX_ROUNDS = 30  # of adding agents, and of trimming them
CHECK_SEED_OFFSET = 10_000  # the check's replications use seeds this far from the search's
_PER = re.compile(r"^\s*(.+?)\s+per\s+(\S+)\s*$")
_INTERVAL_KPI = re.compile(r"^(service_level_\d+s|abandonment_rate|asa_min)$")


@dataclass(frozen=True)
class IntervalRequirement:
    """``service_level_20s>=0.8 per 30min``: a requirement that holds in each interval of the week."""

    requirement: Requirement
    interval_min: int

    @classmethod
    def parse(cls, text: str, default_interval: str = "30min") -> IntervalRequirement:
        match = _PER.match(text)
        body, interval = (match[1], match[2]) if match else (text, default_interval)
        requirement = Requirement.parse(body.replace(" ", ""))
        if not _INTERVAL_KPI.match(requirement.kpi):
            raise ServsimError(f"--require {text!r}: per interval, servsim staffs for service_level_<T>s (e.g. "
                               "service_level_20s>=0.8), abandonment_rate<=x or asa_min<=x")
        try:
            minutes = parse_duration(interval)
        except ValueError as exc:
            raise ServsimError(f"--require {text!r}: {exc}") from None
        if minutes not in (15, 30, 60):
            raise ServsimError(f"--require {text!r}: the interval is 15min, 30min or 60min, not {interval!r}")
        return cls(requirement, int(minutes))

    def meets(self, value: np.ndarray) -> np.ndarray:
        target = self.requirement.value
        return value >= target - 1e-12 if self.requirement.op == ">=" else value <= target + 1e-12

    def __str__(self) -> str:
        r = self.requirement
        return f"{r.kpi} {r.op} {format_value(r.kpi, r.value)} per {self.interval_min}min"


@dataclass
class StaffingPlan:
    """What :func:`staff` found: ``table`` (one row per team and interval of the week: calls a week, handling time,
    agents by simulation, by Erlang A and by Erlang C, the KPIs of the recommended staffing on the check's fresh
    replications, whether it meets), ``shifts`` (team, days, start, end, headcount), ``scenario`` (the input staffed
    with those shifts), ``notes``."""

    requirement: IntervalRequirement
    table: pd.DataFrame
    shifts: pd.DataFrame
    scenario: Scenario
    replications: int
    confidence: float
    evaluations: int
    notes: list[str] = field(default_factory=list)

    def agent_hours(self) -> dict[str, float]:
        """Agent-hours a week: by simulation, by Erlang A, by Erlang C, and in the shifts."""
        hours = self.requirement.interval_min / 60.0
        return {"simulation": float(self.table["agents"].sum() * hours),  # NaN where Erlang has no answer
                "erlang_a": float(self.table["erlang_a"].sum(min_count=len(self.table)) * hours),
                "erlang_c": float(self.table["erlang_c"].sum(min_count=len(self.table)) * hours),
                "shifts": float(sum(self._shift_hours().values()))}

    def met_share(self) -> float:
        """Share of the measured intervals that meet the requirement on the check's fresh replications."""
        measured = self.table[self.table["measured"]]
        return float(measured["meets"].mean()) if len(measured) else float("nan")

    def summary(self) -> str:
        hours, kpi = self.agent_hours(), self.requirement.requirement.kpi
        measured = self.table[self.table["measured"]]
        worst = measured[kpi].min() if self.requirement.requirement.op == ">=" else measured[kpi].max()
        cost = sum(self.scenario.teams[t].hourly_cost * h for t, h in self._shift_hours().items())
        currency = f" {self.scenario.currency}" if self.scenario.currency else ""
        lines = [f"staffing for {self.requirement} ({len(self.table)} intervals of "
                 f"{len(self.table['team'].unique())} team(s), met with {self.confidence:.0%} confidence on "
                 f"{self.replications} replications, {self.evaluations} staffings simulated)",
                 f"  agent-hours a week: simulation {hours['simulation']:,.1f}, Erlang A {_hours(hours['erlang_a'])}, "
                 f"Erlang C {_hours(hours['erlang_c'])}; in shifts {hours['shifts']:,.1f} "
                 f"(cost {cost:,.0f}{currency} a week)",
                 f"  on fresh replications {self.met_share():.0%} of the {len(measured)} measured intervals meet "
                 f"{kpi} (mean {format_value(kpi, measured[kpi].mean())}, worst {format_value(kpi, worst)})"]
        return "\n".join(lines + [f"  note: {n}" for n in self.notes])

    def _shift_hours(self) -> dict[str, float]:
        """Paid hours a week in the shifts, per team."""
        s = self.shifts
        hours = s["headcount"] * s["hours"] * s["days"].str.count(",").add(1)
        return hours.groupby(s["team"]).sum().to_dict()

    def save(self, out: str | Path) -> list[Path]:
        """Write ``staffing.csv`` (the interval table), ``shifts.csv`` and ``staffed.yaml`` (the scenario with the
        shifts) into ``out``."""
        import yaml

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "staffing.csv", out / "shifts.csv", out / "staffed.yaml"]
        write_csv(written[0], self.table)
        write_csv(written[1], self.shifts)
        data = self.scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        write_text(written[2], f"# Staffed by servsim staff for {self.requirement}\n"
                   + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return written


def staff(scenario: Scenario, requirement: str | IntervalRequirement, replications: int = 5, seed: int = 0,
          teams: list[str] | None = None, shift_hours: tuple[float, ...] = (4.0, 6.0, 8.0),
          hourly_cost: float | None = None, confidence: float = 0.8,
          progress: Callable[[str], None] | None = None) -> StaffingPlan:
    """The interval staffing of the module for ``scenario``'s call-answering ``teams`` (default: all of them), each
    interval meeting ``requirement`` with one-sided ``confidence``. ``hourly_cost`` sets the staffed teams' cost of
    an agent-hour in the staffed scenario; ``progress`` is called with a line after each simulated staffing."""
    need = requirement if isinstance(requirement, IntervalRequirement) else IntervalRequirement.parse(requirement)
    if replications < 2:
        raise ServsimError("staffing needs at least 2 replications per staffing")
    if not 0.5 <= confidence < 1:
        raise ServsimError(f"confidence must be at least 0.5 and below 1, got {confidence}")
    if not shift_hours or any(h <= 0 or h > 24 for h in shift_hours):
        raise ServsimError(f"shift lengths must be between 0 and 24 hours, got {list(shift_hours)}")
    desk = _Desk(scenario, need, teams, replications, seed)
    say = progress or (lambda line: None)

    forecast = desk.evaluate(None)
    say(f"forecast: {forecast.calls.sum() / desk.weeks:,.0f} calls a week")
    erlang_a_agents, erlang_c_agents, load = desk.erlang(forecast)
    # Erlang A's answer, where it has one (not for a mean wait), else the offered load; one wherever calls come
    agents = np.where(forecast.calls > 0, np.maximum(np.maximum(erlang_a_agents, np.ceil(load)), 1), 0).astype(int)
    measured = forecast.calls * replications >= MIN_CALLS  # calls over all the interval's occurrences
    notes = []
    for _ in range(MAX_ROUNDS):
        found = desk.evaluate(agents)
        missing = measured & ~need.meets(found.bound(confidence))
        say(f"{int(agents.sum())} agent-intervals: {int(missing.sum())} interval(s) miss")
        if not missing.any():
            break
        agents[missing] += 1
    else:
        notes.append(f"after {MAX_ROUNDS} rounds {int(missing.sum())} interval(s) still miss: the requirement may be "
                     "out of reach (callers who hang up at once, or work that no staffing answers in time)")
    frozen = ~measured | (agents <= 1)
    for _ in range(MAX_ROUNDS):
        trial = agents.copy()
        trial[~frozen] -= 1
        if (trial == agents).all():
            break
        found = desk.evaluate(trial)
        held = ~frozen & need.meets(found.bound(confidence))
        frozen |= ~held
        agents[held] -= 1
        found = desk.evaluate(agents)
        missing = measured & ~need.meets(found.bound(confidence))
        agents[missing] += 1
        frozen |= missing | (agents <= 1)
        say(f"{int(agents.sum())} agent-intervals after trimming {int(held.sum())}, {int(missing.sum())} given back")
    checked = desk.evaluate(agents, seed_offset=CHECK_SEED_OFFSET)
    if (~measured & (forecast.calls > 0)).any():
        notes.append(f"{int((~measured & (forecast.calls > 0)).sum())} interval(s) with fewer than {MIN_CALLS} calls "
                     "over all their simulated occurrences keep their first staffing, Erlang A's or else the "
                     "offered load (too few calls to measure)")
    table = desk.table(forecast, checked, agents, erlang_a_agents, erlang_c_agents, measured)
    shifts = _cover(table, need.interval_min, shift_hours)
    staffed = desk.with_shifts(shifts, hourly_cost)
    return StaffingPlan(need, table, shifts, staffed, replications, confidence, desk.evaluations, notes)


@dataclass
class _Measured:
    """Per team and interval of the week (arrays of shape teams x intervals), pooled over weeks and replications."""

    calls: np.ndarray      # calls offered (a replication's)
    value: np.ndarray      # the requirement's KPI
    error: np.ndarray      # its standard error
    freedom: np.ndarray    # its degrees of freedom (occurrences less one), per interval of the week
    sign: int              # +1 where the requirement is a floor (>=), -1 a ceiling
    kpis: dict[str, np.ndarray]

    def bound(self, confidence: float) -> np.ndarray:
        """The one-sided ``confidence`` bound of the KPI on the side of missing (a Student-t quantile of its
        standard error): what must meet the requirement."""
        quantile = stats.t.ppf(confidence, np.maximum(self.freedom, 1))
        return self.value - self.sign * quantile * self.error


class _Desk:
    """The scenario's call-answering teams, their calls and how a staffing of theirs is simulated and measured."""

    def __init__(self, scenario: Scenario, need: IntervalRequirement, teams: list[str] | None, replications: int,
                 seed: int):
        self.scenario, self.need, self.replications, self.seed = scenario, need, replications, seed
        calls = {name for name, ch in scenario.demand.channels.items()
                 if ch.patience is not None or ch.patience_by is not None}
        if not calls:
            raise ServsimError(f"{scenario.name}: no channel has callers who hang up (a patience): interval staffing "
                               "is for call centres")
        entry_team = {t: scenario.stages[tt.entry].team for t, tt in scenario.ticket_types.items()}
        answering = sorted({team for team in entry_team.values() if team})
        unknown = sorted(set(teams or []) - set(answering))
        if unknown:
            raise ServsimError(f"--team {', '.join(unknown)}: not a team that answers calls (teams: "
                               f"{', '.join(answering)})")
        self.teams = teams or answering
        grouped = [team for team in self.teams
                   if any(sh.skills is not None for sh in scenario.teams[team].shifts.values())
                   or any(row.skills is not None for row in scenario.roster if row.team == team)]
        if grouped:
            raise ServsimError(f"team(s) {', '.join(grouped)}: their agents hold different skills (shifts or roster "
                               "rows with skills of their own); interval staffing counts a team's agents as alike: "
                               "make each skill group a team of its own, or name the other teams with --team")
        self.team_of_type = {t: self.teams.index(team) for t, team in entry_team.items() if team in self.teams}
        self.call_channels = calls
        self.slots = 1440 // need.interval_min
        clock = scenario.clock
        self.start = pd.Timestamp(clock.start)
        self.midnight = self.start.normalize()  # intervals count from the first day's midnight
        self.offset = (self.start - self.midnight).total_seconds() / 60.0
        self.first_weekday = self.start.weekday()
        cells = np.arange(math.ceil((self.offset + clock.warmup) / need.interval_min),
                          int((self.offset + clock.horizon) // need.interval_min))
        self.occurrences = np.bincount(self._cell_of_interval(cells), minlength=7 * self.slots)  # in the window
        self.n_intervals = math.ceil((self.offset + clock.horizon) / need.interval_min)
        # the interval of the week of each column of a replication-by-interval array (see evaluate)
        self.week_cell = np.tile(self._cell_of_interval(np.arange(self.n_intervals)), replications)
        self.weeks = (clock.horizon - clock.warmup) / 10080.0
        self.evaluations = 0
        self.thresholds = scenario.service_level

    def _cell_of_interval(self, interval: np.ndarray) -> np.ndarray:
        """The interval of the week (weekday x slot) of each interval counted from the first day's midnight."""
        day = interval // self.slots
        return ((self.first_weekday + day) % 7) * self.slots + interval % self.slots

    def evaluate(self, agents: np.ndarray | None, seed_offset: int = 0) -> _Measured:
        """Simulate the scenario with ``agents`` (None: as it is) and measure every team and interval: sums over
        each interval's occurrences (weeks and replications) and, for the requirement's KPI, a ratio of two of
        them, its standard error from how the occurrences differ (the calls of one interval share its queue, so
        they are not independent draws)."""
        scenario = self.scenario if agents is None else self._rostered(agents)
        n_int = self.n_intervals
        per_occurrence = {k: np.zeros((len(self.teams), self.replications * n_int))
                          for k in ("offered", "within", "short", "abandoned", "answered", "wait")}
        threshold = self._threshold()
        for r in range(self.replications):
            t = simulate_validated(scenario, self.seed + seed_offset, r).tickets
            team = t["ticket_type"].astype(str).map(self.team_of_type)
            keep = (team.notna() & t["channel"].astype(str).isin(self.call_channels)).to_numpy().copy()
            created = (t["created_at"] - self.start).dt.total_seconds().to_numpy() / 60.0
            keep &= (created >= self.scenario.clock.warmup) & (created < self.scenario.clock.horizon)
            team = team.to_numpy()[keep].astype(int)
            column = r * n_int + ((created[keep] + self.offset) // self.need.interval_min).astype(int)
            answer = (t["first_response_at"] - t["created_at"]).dt.total_seconds().to_numpy()[keep] / 60.0
            abandon = (t["abandoned_at"] - t["created_at"]).dt.total_seconds().to_numpy()[keep] / 60.0
            answered = ~np.isnan(answer) & np.isnan(abandon)
            for name, weights in (("offered", np.ones(len(team))), ("answered", answered),
                                  ("within", answered & (answer <= threshold + 1e-9)),
                                  ("abandoned", ~np.isnan(abandon)),
                                  ("short", abandon <= self.thresholds.short_abandon),
                                  ("wait", np.where(answered, answer, 0.0))):
                np.add.at(per_occurrence[name], (team, column), weights.astype(float))
        self.evaluations += 1
        sums = {name: self._per_cell(values) for name, values in per_occurrence.items()}
        value, error = self._value(per_occurrence)
        return _Measured(sums["offered"] / self.replications, value, error,
                         self.occurrences * self.replications - 1, 1 if self.need.requirement.op == ">=" else -1,
                         self._kpis(sums))

    def _threshold(self) -> float:
        match = re.fullmatch(r"service_level_(\d+)s", self.need.requirement.kpi)
        return int(match[1]) / 60.0 if match else self.thresholds.thresholds[0]

    def _kpis(self, sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        base = sums["offered"] - (sums["short"] if self.thresholds.out_of == "offered_less_short_abandons" else 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"service_level": sums["within"] / base, "abandonment_rate": sums["abandoned"] / sums["offered"],
                    "asa_min": sums["wait"] / sums["answered"], "answered": sums["answered"] / self.replications}

    def _per_cell(self, values: np.ndarray) -> np.ndarray:
        """Per team (rows of ``values``, one column per replication and interval) and interval of the week: the sum
        over the interval's occurrences."""
        return np.stack([np.bincount(self.week_cell, weights=row, minlength=7 * self.slots) for row in values])

    def _value(self, per_occurrence: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The requirement's KPI per team and interval of the week, a ratio ``R = sum y / sum x`` over the
        interval's ``m`` occurrences, and its standard error ``sqrt(sum (y - R x)^2 / (m (m - 1))) / mean x``."""
        kpi = self.need.requirement.kpi
        if kpi == "asa_min":
            y, x = per_occurrence["wait"], per_occurrence["answered"]
        elif kpi == "abandonment_rate":
            y, x = per_occurrence["abandoned"], per_occurrence["offered"]
        else:
            y = per_occurrence["within"]
            x = per_occurrence["offered"] - (per_occurrence["short"] if self.thresholds.out_of ==
                                             "offered_less_short_abandons" else 0)
        m = self.occurrences * self.replications
        with np.errstate(invalid="ignore", divide="ignore"):
            total_x = self._per_cell(x)
            value = self._per_cell(y) / total_x
            residual = self._per_cell((y - value[:, self.week_cell] * x) ** 2)
            error = np.sqrt(residual / (m * (m - 1))) / (total_x / m)
        empty = 1.0 if self.need.requirement.op == ">=" else 0.0  # no calls: nothing missed
        return np.nan_to_num(value, nan=empty), np.nan_to_num(error, nan=0.0, posinf=0.0)

    def _rostered(self, agents: np.ndarray) -> Scenario:
        """The scenario with each team's agents per interval of the week as a dated roster over the horizon."""
        data = self.scenario.model_dump(mode="json", by_alias=True)
        length = self.need.interval_min
        cells = self._cell_of_interval(np.arange(self.n_intervals))
        rows = [row for row in data.get("roster", []) if row["team"] not in self.teams]
        for k, team in enumerate(self.teams):
            counts = agents[k, cells]
            change = np.flatnonzero(np.r_[True, counts[1:] != counts[:-1]])
            ends = np.r_[change[1:], len(counts)]
            rows += [{"team": team, "start": str(self.midnight + pd.Timedelta(minutes=int(a) * length)),
                      "end": str(self.midnight + pd.Timedelta(minutes=int(b) * length)), "headcount": int(counts[a])}
                     for a, b in zip(change, ends)]
        data["roster"] = rows
        return scenario_from_dict(data, source=f"{self.scenario.name} staffed per interval")

    def erlang(self, forecast: _Measured) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Erlang A's and Erlang C's agents per team and interval for the requirement (-1 where they have no
        answer), on the forecast calls, the team's handling time and its callers' mean patience; and the offered
        load in agents."""
        out_a, out_c = np.zeros(forecast.calls.shape, int), np.zeros(forecast.calls.shape, int)
        per_minute = forecast.calls / np.maximum(self.occurrences, 1) / self.need.interval_min
        aht = np.array([[self.handling_time(team, self._hour(cell)) for cell in range(7 * self.slots)]
                        for team in self.teams])
        load = per_minute * aht
        for k, team in enumerate(self.teams):
            patience = self.patience(team)
            for cell in np.flatnonzero(forecast.calls[k] > 0):
                lam, aht_cell = float(per_minute[k, cell]), float(aht[k, cell])
                out_a[k, cell] = self._erlang_agents(lam, aht_cell, patience)
                out_c[k, cell] = self._erlang_agents(lam, aht_cell, math.inf)
        return out_a, out_c, load

    def _erlang_agents(self, lam: float, aht: float, patience: float) -> int:
        requirement = self.need.requirement
        try:
            if requirement.kpi.startswith("service_level_"):
                return required_agents(lam, aht, self._threshold(), requirement.value, patience)
            if requirement.kpi == "abandonment_rate" and math.isfinite(patience):
                n = max(1, math.floor(lam * aht))
                while erlang_a(lam, aht, patience, n).abandonment > requirement.value and n < 10_000:
                    n += 1
                return n
        except ValueError:
            return -1
        return -1

    def _hour(self, cell: int) -> int:
        return (cell % self.slots) * self.need.interval_min // 60

    def handling_time(self, team: str, hour: int | None = None) -> float:
        """Mean work of a call's first step (at ``hour`` of the day, where the work varies by hour) plus the team's
        wrap-up, weighted by the demand's mix."""
        s = self.scenario
        shares = (s.demand.mix.ticket_types if s.demand.mix and s.demand.mix.ticket_types else
                  {t: 1.0 for t in s.ticket_types})
        own = {t: w for t, w in shares.items() if s.stages[s.ticket_types[t].entry].team == team and w > 0}
        total = sum(own.values()) or 1.0

        def mean_work(ticket_type: str) -> float:
            step = s.ticket_types[ticket_type].steps[s.ticket_types[ticket_type].entry]
            return step.work.mean * (step.work_by_hour[hour] if step.work_by_hour and hour is not None else 1.0)

        work = sum(w * mean_work(t) for t, w in own.items()) / total
        wrap = s.teams[team].wrap_up
        return float(work + (wrap.mean if wrap is not None else 0.0))

    def patience(self, team: str) -> float:
        """The mean patience of the team's callers (over ticket types and priorities, weighted by the mix)."""
        s = self.scenario
        types = s.demand.mix.ticket_types if s.demand.mix and s.demand.mix.ticket_types else {}
        priorities = (s.demand.mix.priorities if s.demand.mix and s.demand.mix.priorities else None) or \
            {p: 1.0 / len(s.priorities) for p in s.priorities}
        means, weights = [], []
        for channel in (s.demand.channels[c] for c in sorted(self.call_channels)):
            for t, share in (types or {t: 1.0 for t in s.ticket_types}).items():
                if s.stages[s.ticket_types[t].entry].team != team:
                    continue
                for p, p_share in priorities.items():
                    found = channel.patience_by.lookup(t, p) if channel.patience_by else None
                    dist = found[1] if found else channel.patience
                    if dist is not None:
                        means.append(dist.mean)
                        weights.append(share * p_share)
        return float(np.average(means, weights=weights)) if means and sum(weights) > 0 else math.inf

    def table(self, forecast: _Measured, checked: _Measured, agents: np.ndarray, erlang_a_agents: np.ndarray,
              erlang_c_agents: np.ndarray, measured: np.ndarray) -> pd.DataFrame:
        kpi = self.need.requirement.kpi
        rows = []
        for k, team in enumerate(self.teams):
            for cell in range(7 * self.slots):
                if forecast.calls[k, cell] == 0 and agents[k, cell] == 0:
                    continue
                aht = self.handling_time(team, self._hour(cell))
                minute = (cell % self.slots) * self.need.interval_min
                answered = checked.kpis["answered"][k, cell] / max(self.occurrences[cell], 1)  # per occurrence
                work = answered * aht / max(agents[k, cell] * self.need.interval_min, 1e-9)
                rows.append({
                    "team": team, "weekday": WEEKDAYS[cell // self.slots],
                    "start": f"{minute // 60:02d}:{minute % 60:02d}",
                    "calls": round(float(forecast.calls[k, cell] / self.weeks), 2), "aht_min": round(aht, 3),
                    "agents": int(agents[k, cell]),
                    "erlang_a": int(erlang_a_agents[k, cell]) if erlang_a_agents[k, cell] >= 0 else np.nan,
                    "erlang_c": int(erlang_c_agents[k, cell]) if erlang_c_agents[k, cell] >= 0 else np.nan,
                    kpi: float(checked.value[k, cell]),
                    "abandonment_rate": float(np.nan_to_num(checked.kpis["abandonment_rate"][k, cell])),
                    "asa_s": float(np.nan_to_num(checked.kpis["asa_min"][k, cell]) * 60),
                    "occupancy": min(float(work), 1.0) if agents[k, cell] else np.nan,
                    "measured": bool(measured[k, cell]),
                    "meets": bool(self.need.meets(checked.value[k, cell : cell + 1])[0])})
        return pd.DataFrame(rows)

    def with_shifts(self, shifts: pd.DataFrame, hourly_cost: float | None) -> Scenario:
        """The scenario with each staffed team's shifts replaced by ``shifts`` (and its roster rows removed)."""
        data = copy.deepcopy(self.scenario.model_dump(mode="json", by_alias=True))
        data["roster"] = [row for row in data.get("roster", []) if row["team"] not in self.teams]
        for team in self.teams:
            own = shifts[shifts["team"] == team]
            data["teams"][team]["shifts"] = {
                f"{row.days.replace(',', '_').lower()}_{row.start.replace(':', '')}_{row.end.replace(':', '')}": {
                    "days": row.days, "start": row.start, "end": row.end, "headcount": int(row.headcount)}
                for row in own.itertuples()}
            if hourly_cost is not None:
                data["teams"][team]["hourly_cost"] = hourly_cost
        return scenario_from_dict(data, source=f"{self.scenario.name} staffed by servsim staff")


def _hours(value: float) -> str:
    return "-" if value != value else f"{value:,.1f}"


def _cover(table: pd.DataFrame, interval_min: int, shift_hours: tuple[float, ...]) -> pd.DataFrame:
    """The fewest paid hours of shifts covering each team's agents per interval, day by day (see the module); a
    shift starts on any interval and ends by midnight. Days whose staffing is alike share their shifts' rows."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    slots = 1440 // interval_min
    lengths = sorted({max(1, round(h * 60 / interval_min)) for h in shift_hours})
    rows = []
    for team, own in table.groupby("team", sort=False):
        for day in WEEKDAYS:
            need = np.zeros(slots)
            cells = own[own["weekday"] == day]
            for start, agents in zip(cells["start"], cells["agents"]):
                h, m = map(int, start.split(":"))
                need[(h * 60 + m) // interval_min] = agents
            if not need.any():
                continue
            options = [(s, n) for n in lengths for s in range(slots - n + 1)] or [(0, slots)]
            covers = np.zeros((slots, len(options)))
            for j, (s, n) in enumerate(options):
                covers[s: s + n, j] = 1
            cost = np.array([n for _, n in options], float)
            found = milp(cost, constraints=LinearConstraint(covers, lb=need, ub=np.inf), integrality=np.ones_like(cost),
                         bounds=Bounds(0, np.inf), options={"time_limit": 20})
            if found.x is None:
                raise ServsimError(f"no shifts of {list(shift_hours)} hours cover team {team}'s {day}: "
                                   f"{found.message}")
            for (s, n), count in zip(options, np.round(found.x).astype(int)):
                if count > 0:
                    start, end = s * interval_min, (s + n) * interval_min
                    rows.append({"team": team, "day": day, "start": f"{start // 60:02d}:{start % 60:02d}",
                                 "end": f"{end // 60:02d}:{end % 60:02d}", "hours": n * interval_min / 60,
                                 "headcount": count})
    if not rows:
        return pd.DataFrame(columns=["team", "days", "start", "end", "hours", "headcount"])
    shifts = pd.DataFrame(rows)
    merged = (shifts.groupby(["team", "start", "end", "hours", "headcount"], sort=False)["day"]
              .agg(",".join).rename("days").reset_index())
    return merged[["team", "days", "start", "end", "hours", "headcount"]]
