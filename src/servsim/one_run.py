"""``simulate``: one replication of a scenario, returned as the canonical ticket log."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .engine.calendar import staffed_minutes
from .engine.compile import Compiled, compact, compile_scenario
from .engine.core import RawLog, run
from .engine.parts import KINDS
from .engine.streams import Streams
from .errors import ScenarioWarning, ServsimError
from .log import TICKET_COLUMNS, EventColumns, TicketColumns, coded, to_datetimes
from .scenario import Scenario, load_scenario, scenario_from_dict, scenario_hash
from .scenario.load_check import check_load
from .scenario.model import WRAP_UP
from .version import __version__

if TYPE_CHECKING:
    from .kpi import KpiReport


def _validated(scenario: Scenario | dict | str | Path) -> Scenario:
    if isinstance(scenario, (str, Path)):
        return load_scenario(scenario)
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    with warnings.catch_warnings():  # said when it was read
        warnings.simplefilter("ignore", ScenarioWarning)
        return scenario_from_dict(scenario.model_dump(mode="json", by_alias=True), source=scenario.name)


@dataclass
class SimulationResult:
    """One simulated run: the ticket log plus what the KPIs need to know about staffing."""

    scenario: Scenario
    seed: int
    replication: int
    # what the KPIs read; the tickets, events and staffing tables are built from them on demand
    ticket_columns: TicketColumns = field(repr=False)
    event_columns: EventColumns = field(repr=False)
    staffing_columns: dict[str, list | np.ndarray] = field(repr=False)  # per person: as the staffing table's columns
    wall_time_s: float = 0.0
    stock: pd.DataFrame | None = field(default=None, repr=False)  # spare parts: one row per change of stock
    _tickets: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _events: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _staffing: pd.DataFrame | None = field(default=None, init=False, repr=False)

    @property
    def tickets(self) -> pd.DataFrame:
        """The tickets table (built on first use: a replication's KPIs do without it)."""
        if self._tickets is None:
            self._tickets = self.ticket_columns.frame()
        return self._tickets

    @property
    def events(self) -> pd.DataFrame:
        """The events table (built on first use: a replication's KPIs do without it)."""
        if self._events is None:
            self._events = self.event_columns.frame()
        return self._events

    @property
    def staffing(self) -> pd.DataFrame:
        """Who was on duty: per person ``pool, shift, resource, staffed_min, paid_min, hourly_cost, slots`` (built on
        first use)."""
        if self._staffing is None:
            self._staffing = pd.DataFrame({c: pd.Series(v, dtype=object) if isinstance(v, list) else v
                                           for c, v in self.staffing_columns.items()})
        return self._staffing

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """The measurement window: from the end of warm-up to the horizon."""
        start = pd.Timestamp(self.scenario.clock.start)
        return (start + pd.Timedelta(minutes=self.scenario.clock.warmup),
                start + pd.Timedelta(minutes=self.scenario.clock.horizon))

    def kpis(self) -> KpiReport:
        """KPIs over tickets created in the measurement window (see :func:`servsim.kpi.compute_kpis`)."""
        from .kpi import KpiContext, compute_kpis

        return compute_kpis(self.ticket_columns, self.event_columns,
                            KpiContext.from_scenario(self.scenario, self.staffing_columns, self.stock))

    def metadata(self) -> dict:
        return {"seed": self.seed, "replication": self.replication, "servsim_version": __version__,
                "scenario": self.scenario.name, "scenario_hash": scenario_hash(self.scenario),
                "wall_time_s": round(self.wall_time_s, 3), "tickets": len(self.ticket_columns),
                "events": len(self.event_columns)}


def simulate(scenario: Scenario | dict | str | Path, seed: int = 0, replication: int = 0,
             initial_backlog: pd.DataFrame | None = None, arrivals: pd.DataFrame | None = None,
             force: bool = False) -> SimulationResult:
    """Run one replication of ``scenario``.

    Parameters
    ----------
    scenario : a scenario, its mapping (as ``model_dump(mode="json", by_alias=True)`` writes it), or the path of
        a scenario file; validated once here. A scenario edited in Python (``model_copy``) is
        validated again here, so an edit that makes it invalid is a ``ScenarioError``, not a silent run.
    seed : master seed; with ``replication`` it fixes every random stream.
    replication : index of the replication (a child of the master seed).
    initial_backlog : tickets already open at the start instead of an empty system: columns
        ``created_at`` (before the start), ``channel``, ``ticket_type``, ``priority``, optional ``tier``,
        ``region``, ``stage`` (where the ticket is; default its type's entry stage) and ``remaining_min``
        (minutes left in that stage; default a fresh draw of its work time).
    arrivals : trace-driven simulation: the tickets that arrive (columns ``created_at`` inside the simulated
        period, ``channel``, ``ticket_type``, optional ``priority``, ``tier``, ``region``, ``remaining_min``: the
        work of its first stage, e.g. a call's actual service time; empty: drawn) instead of drawing them from
        ``demand``; patience, deflection and reopens are still drawn per ticket, and so are priorities the
        arrivals leave empty (from the type's or the channel's shares).
    force : run even if the scenario is expected to take more than ``MAX_TICKETS`` tickets (see
        :mod:`servsim.scenario.load_check`); without it such a run is refused before it starts.
    """
    return simulate_validated(_validated(scenario), seed, replication, initial_backlog, arrivals, force)


def simulate_validated(scenario: Scenario, seed: int = 0, replication: int = 0,
                       initial_backlog: pd.DataFrame | None = None, arrivals: pd.DataFrame | None = None,
                       force: bool = False) -> SimulationResult:
    """:func:`simulate` of a scenario just validated and not edited since (one validation for many replications of
    a large scenario); anything else goes through :func:`simulate`."""
    too_big = None if force or arrivals is not None else check_load(scenario).size_error()
    if too_big:
        raise ServsimError(f"{scenario.name}: {too_big}")
    began = time.perf_counter()
    m = compile_scenario(scenario, Streams(seed, replication), initial_backlog, arrivals)
    raw = run(m)
    # the tables take the engine's buffers column by column, each let go once converted: the peak stays near the
    # larger of the two, not their sum
    people = [a for a in m.agents if a.slot == 0]  # a person's concurrency slots log as the person
    start = pd.Timestamp(scenario.clock.start)
    window_start = pd.Timestamp(np.datetime64(start + pd.Timedelta(minutes=scenario.clock.warmup), "ms"))
    events = _event_columns(raw, m, scenario, people, window_start)
    tickets = _ticket_columns(raw, m, scenario, window_start)
    lo, hi = scenario.clock.warmup, scenario.clock.horizon
    # names as plain Python strings (in the table, object columns): the KPIs read them as such
    staffing = {
        "pool": [a.team for a in people], "shift": [a.shift for a in people], "resource": [a.name for a in people],
        "staffed_min": np.array([staffed_minutes(a.intervals, lo, hi) for a in people], float),
        "paid_min": np.array([staffed_minutes(a.scheduled, lo, hi) for a in people], float),
        "hourly_cost": np.array([scenario.teams[a.team].hourly_cost for a in people], float),
        "slots": np.array([scenario.teams[a.team].concurrency for a in people], np.int64)}
    stock = None if raw.stock is None else stock_table(raw.stock, m.parts, scenario.clock.start)
    return SimulationResult(scenario, seed, replication, tickets, events, staffing, time.perf_counter() - began,
                            stock)


def _take(raw: RawLog, name: str) -> np.ndarray:
    """A column of the engine's log, which lets go of it."""
    values = getattr(raw, name)
    setattr(raw, name, None)
    return values


def _from_window_start(ms: np.ndarray, window_start: pd.Timestamp, start) -> np.ndarray:
    """Milliseconds from the clock's ``start`` (a fresh array, overwritten) as minutes from the window's start."""
    ms -= float((window_start - pd.Timestamp(start)) / pd.Timedelta(milliseconds=1))
    ms /= 60_000.0
    return ms


def _ticket_columns(raw: RawLog, m: Compiled, scenario: Scenario, window_start: pd.Timestamp) -> TicketColumns:
    """The tickets (``servsim.log.TICKET_COLUMNS`` and the scenario's attributes) as
    :class:`~servsim.log.TicketColumns` from the engine's log, times in minutes from the window's start to the
    millisecond (what the table's datetimes give)."""
    def minutes(values: np.ndarray) -> np.ndarray:
        return _from_window_start(np.round(values * 60_000.0), window_start, scenario.clock.start)

    def labels(codes: np.ndarray, names: list[str], keep: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Codes into ``names``, or into those of them in ``keep`` (-1 for the others)."""
        if keep is not None:
            codes = np.append([keep.index(n) if n in keep else -1 for n in names], -1)[codes]
        return np.array(keep if keep is not None else names, dtype=object), compact(codes, high=len(names))

    categories = sorted({scenario.category_of(t) for t in m.type_names})
    category_of_type = np.array([categories.index(scenario.category_of(t)) for t in m.type_names], dtype=np.int64)
    final = np.where(m.deflected, len(m.stage_names), _take(raw, "final_stage"))
    reminders = [t.name for t in scenario.policies.timers if t.action == "remind"]
    labelled = {
        "channel": labels(m.channel, m.channels),
        "category": labels(category_of_type[m.ticket_type], categories),
        "priority": labels(m.priority, m.priority_names),
        "tier": labels(m.tier, m.tier_names),
        "region": labels(m.region, m.region_names),
        "final_stage": labels(final, m.stage_names + ["bot"]),
        "ticket_type": labels(m.ticket_type, m.type_names),
        "moved_by": labels(_take(raw, "moved_by"), m.rule_names, [r for r in m.rule_names if r not in reminders]),
        "reminded_by": labels(_take(raw, "reminded_by"), m.rule_names, reminders),
        **{name: labels(m.attributes[name], values) for name, values in m.attribute_values.items()},
    }
    times = {"created_at": minutes(m.created), **{column: minutes(_take(raw, name)) for column, name in (
        ("first_response_at", "first_response"), ("resolved_at", "resolved"), ("closed_at", "closed"),
        ("abandoned_at", "abandoned"))}}
    numbers = {column: _take(raw, name) for column, name in (
        ("n_escalations", "n_escalations"), ("n_reopens", "n_reopens"), ("sla_paused_min", "sla_paused"),
        ("direct_cost", "direct_cost"), ("n_moves", "n_moves"), ("n_reminders", "n_reminders"))}
    columns = ["ticket_id", *TICKET_COLUMNS[1:], "ticket_type", "sla_paused_min", "direct_cost", "moved_by",
               "n_moves", "reminded_by", "n_reminders", *m.attribute_values]
    return TicketColumns(window_start, np.arange(len(m.created), dtype=np.int64), labelled, times, numbers, columns)


def _event_columns(raw: RawLog, m: Compiled, scenario: Scenario, people: list, window_start: pd.Timestamp
                   ) -> EventColumns:
    """The engine's events as :class:`~servsim.log.EventColumns`, in order of (enqueued_at to the millisecond,
    ticket_id) as the events table lists them, times in minutes from the window's start to the millisecond (what
    the table's datetimes would give); ``people``: the agents that are a person's first slot."""
    person_of_agent = compact(np.append(np.cumsum([a.slot == 0 for a in m.agents]) - 1, -1))
    activities = m.activity_names
    activity_team = compact(np.array(m.stage_team + [-1] * (len(activities) - len(m.stage_names))),
                            high=len(m.team_names))  # a wrap-up takes its person's team
    enqueued_ms = np.round(_take(raw, "ev_enqueued") * 60_000.0)
    order = np.lexsort((raw.ev_ticket, enqueued_ms))
    ticket = _take(raw, "ev_ticket")[order]
    stage, agent = _take(raw, "ev_stage")[order], _take(raw, "ev_agent")[order]
    pool = activity_team[stage]
    if WRAP_UP in activities or any(c is not None for c in m.team_cover):
        worked = agent >= 0  # work and wrap-ups belong to the team of the person doing them (a covering team)
        pool[worked] = np.asarray(m.agent_team)[agent[worked]]
    def minutes(ms: np.ndarray) -> np.ndarray:
        return _from_window_start(ms[order], window_start, scenario.clock.start)

    times = {"enqueued_at": minutes(enqueued_ms)}
    del enqueued_ms
    for column, name in (("started_at", "ev_started"), ("ended_at", "ev_ended")):
        times[column] = minutes(np.round(_take(raw, name) * 60_000.0))
    return EventColumns(window_start, ticket, {
        "activity": (np.array(activities, dtype=object), stage),
        "pool": (np.array(m.team_names, dtype=object), pool),
        "resource": (np.array([a.name for a in people], dtype=object), person_of_agent[agent]),
    }, times, gaps_only_at_reopens=True)


def stock_table(columns: dict[str, np.ndarray], parts, start) -> pd.DataFrame:
    """The engine's stock log as a table: ``at, part, depot, kind, quantity, filled, ticket_id, on_hand, on_order,
    backordered`` (after the change; ``filled``: units of a demand taken from stock at once)."""
    inventory = columns["inventory"]
    n_depots = len(parts.depot_names)
    return pd.DataFrame({
        "at": to_datetimes(columns["at"], start),
        "part": coded(inventory // n_depots, parts.part_names),
        "depot": coded(inventory % n_depots, parts.depot_names),
        "kind": coded(columns["kind"], list(KINDS)),
        "quantity": columns["quantity"], "filled": columns["filled"], "ticket_id": columns["ticket"],
        "on_hand": columns["on_hand"], "on_order": columns["on_order"], "backordered": columns["backordered"],
    })
