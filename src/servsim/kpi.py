"""KPIs from the canonical ticket log — one set of functions for history and simulation.

Every KPI is measured over tickets *created* inside the measurement window.
Tickets still open at the end of the window are censored: they count in the
backlog, and in a target-based share only once their outcome is known (they are
already past the target, or were answered/resolved in time). Durations are minutes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .call_kpis import call_kpis, occupancy
from .inventory import by_depot, part_kpis
from .log import EventColumns, TicketColumns, check_schema, to_minutes
from .scenario.model import WAITING_FOR_PART, WRAP_UP
from .sla_clock import BusinessCalendar

# the KPIs compare, sweep and the reports show first (those a scenario has: spare parts only where there are parts)
# (``service_level_*``: each threshold of a call centre's, in seconds; see :func:`headline_kpis`)
HEADLINE_KPIS = ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p50_min", "ttr_p90_min",
                 "resolution_within_target", "sla_attainment", "service_level_*", "asa_min", "waited_share",
                 "abandonment_rate", "occupancy", "backlog_mean", "part_fill_rate", "second_visits",
                 "part_wait_mean_min", "inventory_cost", "cost_total", "cost_per_resolved_ticket")


def headline_kpis(available: Iterable[str]) -> list[str]:
    """The :data:`HEADLINE_KPIS` among ``available`` (flat KPI names), in their order; the service levels of a call
    centre by threshold."""
    available = set(available)
    out: list[str] = []
    for kpi in HEADLINE_KPIS:
        if kpi.endswith("*"):
            levels = [a for a in available if re.fullmatch(kpi[:-1] + r"\d+s", a)]
            out += sorted(levels, key=lambda a: int(a.removeprefix(kpi[:-1])[:-1]))
        elif kpi in available:
            out.append(kpi)
    return out


# the ticket-level KPIs of a group of tickets (all, a priority, a segment): Outcomes.by_group
BLOCK_KPIS = ("tickets", "frt_mean_min", "frt_p50_min", "frt_p90_min", "frt_within_target", "ttr_mean_min",
              "ttr_p50_min", "ttr_p90_min", "resolution_within_target", "resolved_by_horizon", "sla_attainment")
QUANTILES = np.linspace(0, 1, 101)  # the probabilities at which distributions of times are summarised (ECDFs)
WEEK_MIN = 10_080.0


@dataclass
class KpiContext:
    """What the KPIs need besides the tables: window, SLA targets, staffing."""

    window_start: pd.Timestamp
    window_end: pd.Timestamp
    targets: dict[str, tuple[float, float]]  # priority -> (first response, resolution) targets, minutes
    sla_pauses_while_waiting: bool = True
    # pool, shift, resource, staffed_min, hourly_cost[, slots, paid_min]: a table or its columns
    staffing: pd.DataFrame | Mapping[str, Sequence] | None = None
    backlog_step_min: float = 60.0
    calendars: dict[str, BusinessCalendar] = field(default_factory=dict)  # priority -> its targets' business hours
    pause_activities: frozenset[str] = frozenset()  # activities that pause the SLA clock (waiting for the customer)
    stock: pd.DataFrame | None = None  # spare parts: the stock table (see servsim.inventory)
    part_costs: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # part -> unit, holding, order
    call_channels: frozenset[str] = frozenset()  # channels whose callers can hang up: their call-centre KPIs
    service_level: tuple[tuple[float, ...], float, str] = ((20 / 60, 1.0), 5 / 60, "offered")  # thresholds (min),
    # short abandon (min) and what a service level is a share of: servsim.call_kpis

    @classmethod
    def from_scenario(cls, scenario, staffing: pd.DataFrame | Mapping[str, Sequence] | None = None,
                      stock: pd.DataFrame | None = None) -> KpiContext:
        start = pd.Timestamp(scenario.clock.start)
        policies = scenario.policies
        pauses = {name for name, stage in scenario.stages.items()
                  if stage.team is None and policies.sla_pauses_while_waiting_for_customer}
        if scenario.parts and policies.sla_pauses_while_waiting_for_part:
            pauses.add(WAITING_FOR_PART)
        return cls(
            window_start=start + pd.Timedelta(minutes=scenario.clock.warmup),
            window_end=start + pd.Timedelta(minutes=scenario.clock.horizon),
            targets={p: (t.first_response, t.resolution) for p, t in scenario.priorities.items()},
            sla_pauses_while_waiting=bool(pauses),
            staffing=staffing,
            calendars={p: BusinessCalendar.from_spec(scenario.sla_calendars[t.calendar])
                       for p, t in scenario.priorities.items() if t.calendar is not None},
            pause_activities=frozenset(pauses), stock=stock,
            part_costs={name: (p.unit_cost, p.holding_cost, p.order_cost) for name, p in scenario.parts.items()},
            call_channels=frozenset(name for name, ch in scenario.demand.channels.items()
                                    if ch.patience is not None or ch.patience_by is not None),
            service_level=(tuple(scenario.service_level.thresholds), scenario.service_level.short_abandon,
                           scenario.service_level.out_of),
        )


# KPIs each segment reports (as flat names ``kpi/dimension=segment`` in experiments; see servsim.segments)
SEGMENT_KPIS = ("tickets", "frt_p90_min", "frt_within_target", "ttr_p50_min", "ttr_p90_min",
                "resolution_within_target", "sla_attainment")
# the columns of the by-priority table that a replication reports per priority (``sla_attainment/P1``)
PRIORITY_FLAT_KPIS = ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p90_min", "resolution_within_target",
                      "sla_attainment")

Rows = tuple[list, list[list[float]]]  # a table's row names and, row by row, the values of some of its columns


class _BuiltOnFirstUse:
    """A table of a :class:`KpiReport`, given as itself or as a function that builds it: built once, when read."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, report, owner=None):
        if report is None:
            return self
        value = report.__dict__[self.slot]
        if callable(value):
            value = report.__dict__[self.slot] = value()
        return value

    def __set__(self, report, value) -> None:
        report.__dict__[self.slot] = value


class KpiReport:
    """KPIs of one ticket log: ``overall`` values, tables by priority, stage and pool, the backlog over time, the
    ticket KPIs of each segment of every dimension that splits the tickets (channel, type, region, product, ...), by
    depot (spare parts), and the response and resolution times at :data:`QUANTILES` (``time_quantiles``: ``frt``,
    ``ttr``; None where there is none).

    :func:`compute_kpis` gives the tables as functions that build them on first use: a replication of an experiment
    reads only :meth:`flat`, :meth:`backlog_curve` and the quantiles, straight from the arrays, and builds none."""

    by_priority = _BuiltOnFirstUse()
    by_stage = _BuiltOnFirstUse()
    by_pool = _BuiltOnFirstUse()
    backlog = _BuiltOnFirstUse()
    by_segment = _BuiltOnFirstUse()
    by_depot = _BuiltOnFirstUse()

    def __init__(self, overall: dict[str, float], by_priority, by_stage, by_pool, backlog, by_segment=None,
                 by_depot=None, time_quantiles: dict[str, np.ndarray | None] | None = None, *,
                 flat_rows: Callable[[], tuple[Rows, Rows, Rows, Rows]] | None = None,
                 backlog_curve: tuple[float, np.ndarray] | None = None) -> None:
        self.overall = overall
        self.by_priority, self.by_stage, self.by_pool, self.backlog = by_priority, by_stage, by_pool, backlog
        # none: an empty table, built when read (the class is what builds it)
        self.by_segment = pd.DataFrame if by_segment is None else by_segment
        self.by_depot = pd.DataFrame if by_depot is None else by_depot
        self.time_quantiles = time_quantiles or {}
        self._flat_rows, self._backlog_curve = flat_rows, backlog_curve

    def __repr__(self) -> str:
        return f"KpiReport(overall={self.overall!r})"

    def flat(self) -> dict[str, float]:
        """Scalar KPIs under flat names: ``sla_attainment``, ``sla_attainment/P1``, ``utilisation/l2``,
        ``stage_wait_min/l1``, and per segment ``sla_attainment/region=south``."""
        priorities, pools, stages, segments = (self._flat_rows or self._rows_of_tables)()
        out = {k: float(v) for k, v in self.overall.items()}
        for (names, rows), columns in ((priorities, PRIORITY_FLAT_KPIS), (pools, ("utilisation",)),
                                       (stages, ("stage_wait_min",)), (segments, SEGMENT_KPIS[1:])):
            for name, values in zip(names, rows):
                out.update((f"{column}/{name}", v) for column, v in zip(columns, values))
        return out

    def _rows_of_tables(self) -> tuple[Rows, Rows, Rows, Rows]:
        """:meth:`flat`'s rows read from the tables: by priority, the pools' utilisation (where staffing is known),
        the stages' mean wait, the segments (those of priorities are already among the priorities')."""
        def rows(table: pd.DataFrame, columns: Sequence[str], names: list | None = None) -> Rows:
            if not len(table) or not all(c in table for c in columns):
                return [], []
            return (names or table.index.tolist(),
                    np.column_stack([table[c].to_numpy(float) for c in columns]).tolist())

        segments = self.by_segment
        if len(segments):
            segments = segments[(segments["dimension"] != "priority").to_numpy()]
        names = [f"{d}={s}" for d, s in zip(segments["dimension"].tolist(), segments["segment"].tolist())] \
            if len(segments) else []
        return (rows(self.by_priority, PRIORITY_FLAT_KPIS), rows(self.by_pool, ("utilisation",)),
                rows(self.by_stage, ("mean_wait_min",)), rows(segments, SEGMENT_KPIS[1:], names))

    def backlog_curve(self) -> tuple[float, np.ndarray]:
        """The backlog's step (minutes; 60 where the curve has fewer than two points) and its values as floats."""
        if self._backlog_curve is not None:
            return self._backlog_curve
        index = self.backlog.index
        return (float(index[1] - index[0]) if len(index) > 1 else 60.0), self.backlog.to_numpy(float)

    def to_dict(self) -> dict:
        """Plain JSON-ready structure (NaN -> None)."""
        def clean(obj):
            if isinstance(obj, dict):
                return {str(k): clean(v) for k, v in obj.items()}
            if isinstance(obj, (float, np.floating)):
                return None if np.isnan(obj) else float(obj)
            if isinstance(obj, (np.integer,)):
                return int(obj)
            return obj
        return clean({
            "overall": self.overall,
            "by_priority": self.by_priority.to_dict(orient="index"),
            "by_stage": self.by_stage.to_dict(orient="index"),
            "by_pool": self.by_pool.to_dict(orient="index"),
            "by_segment": self.by_segment.to_dict(orient="records"),
            "by_depot": self.by_depot.to_dict(orient="records"),
            "backlog": {"step_min": float(self.backlog.index[1] - self.backlog.index[0]) if len(self.backlog) > 1
                        else None, "values": self.backlog.tolist()},
        })

    def to_json(self, **kwargs) -> str:
        return json.dumps(self.to_dict(), **kwargs)


def _labels(column: pd.Series) -> np.ndarray:
    """Values as an object array of strings ('' where missing); fast for categoricals."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        names = np.append(np.asarray(column.cat.categories, dtype=object).astype(str), "")
        return names[column.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing ''
    return column.astype(object).where(column.notna(), "").astype(str).to_numpy(dtype=object)


def _share(num: np.ndarray, den: np.ndarray) -> float:
    d = int(den.sum())
    return float((num & den).sum() / d) if d else float("nan")


@dataclass
class Outcomes:
    """Per ticket created in the window (``inside``): its times and whether it met its targets (censored tickets
    count in a target share only once their outcome is known)."""

    inside: np.ndarray                  # over all tickets: created in the window
    priorities: np.ndarray              # the priority labels ...
    priority: np.ndarray                # ... and each ticket's code into them (-1: none)
    frt: np.ndarray
    ttr: np.ndarray
    human: np.ndarray                   # neither abandoned nor answered by a bot
    aband: np.ndarray
    bot: np.ndarray
    responded: np.ndarray
    resolved: np.ndarray
    frt_met: np.ndarray
    frt_known: np.ndarray
    ttr_met: np.ndarray
    ttr_known: np.ndarray
    _sorted: dict = field(default_factory=dict, repr=False)  # frt, ttr -> (positions, values) in increasing order

    def block(self, mask: np.ndarray) -> dict[str, float]:
        """The ticket-level KPIs of the tickets in ``mask``."""
        return {k: v[0].item() for k, v in self.by_group(np.where(mask, 0, -1), 1).items()}

    def by_group(self, codes: np.ndarray, n: int, kpis: Sequence[str] = BLOCK_KPIS) -> dict[str, np.ndarray]:
        """The ticket-level KPIs ``kpis`` of every group at once: ``codes`` (0 to ``n - 1``, -1: in no group) per
        ticket; NaN where a group has no ticket to measure."""
        return self.by_groups([(codes, n)], kpis)[0]

    def by_groups(self, groupings: Sequence[tuple[np.ndarray, int]], kpis: Sequence[str] = BLOCK_KPIS
                  ) -> list[dict[str, np.ndarray]]:
        """:meth:`by_group` of several groupings (``(codes, n)`` each: by priority, by channel, ...) in one pass over
        the tickets, stacked."""
        m, size = len(groupings), len(self.frt)
        offsets = np.cumsum([0] + [n for _, n in groupings])
        n = int(offsets[-1])  # groups in all; code n: in no group
        # one row of codes per grouping, offset into 0..n; small integers make the sort below a radix sort
        codes = np.full((m, size), n, np.int8 if n < 2**7 else np.int16 if n < 2**15 else np.int32)
        for row, (c, _), offset in zip(codes, groupings, offsets):
            np.add(c, offset, out=row, where=c >= 0, casting="unsafe")
        # each ticket's outcome flags as one small number: counts per group and flag pattern in one pass
        flags = (self.frt_met.astype(np.int32) + 2 * self.frt_known + 4 * self.ttr_met + 8 * self.ttr_known
                 + 16 * self.resolved + 32 * self.human + 64 * self.responded)
        # (row by row: numpy counts a few short arrays several times faster than their concatenation)
        by_flags = sum((np.bincount(row * np.intp(128) + flags, minlength=(n + 1) * 128) for row in codes),
                       np.zeros((n + 1) * 128, np.intp))[
            :n * 128].reshape(n, 128)
        pattern = np.arange(128)

        def share(met: int, known: int) -> np.ndarray:
            """Share of the tickets with every flag of ``met`` among those with every flag of ``known``."""
            with np.errstate(invalid="ignore", divide="ignore"):
                return (by_flags[:, (pattern & (met | known)) == (met | known)].sum(axis=1)
                        / by_flags[:, (pattern & known) == known].sum(axis=1))

        out: dict[str, np.ndarray] = {}
        times: dict[str, list[tuple[str, str]]] = {}  # frt, ttr -> the KPIs of those times: (kpi, mean/p50/...)
        for kpi in kpis:
            if kpi == "tickets":
                out[kpi] = by_flags.sum(axis=1)
            elif kpi.endswith("_min"):  # frt_mean_min, ttr_p90_min, ...
                of, stat = kpi.split("_")[:2]
                times.setdefault(of, []).append((kpi, stat))
            else:  # flags: 1 frt met, 2 frt known, 4 ttr met, 8 ttr known, 16 resolved, 32 human
                out[kpi] = share(*{"frt_within_target": (1, 2), "resolution_within_target": (4, 8),
                                   "resolved_by_horizon": (16, 32), "sla_attainment": (1 | 4, 2 | 8)}[kpi])
        for of, stats in times.items():
            measured = by_flags[:, pattern & (64 if of == "frt" else 16) > 0].sum(axis=1)
            out.update(self._time_stats(of, codes, offsets, measured, stats))
        return [{k: out[k][lo:hi] for k in kpis} for lo, hi in zip(offsets[:-1], offsets[1:])]

    def _time_stats(self, of: str, codes: np.ndarray, offsets: np.ndarray, counts: np.ndarray,
                    stats: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Mean and quantiles (``stats``: ``(kpi, "mean" or "p90")``) of the measured response (``frt``) or
        resolution (``ttr``) times of each group of ``by_groups``' stacked ``codes`` (``counts`` per group)."""
        order, values = self._sorted_times(of)
        size = len(values)
        # grouping by grouping, its codes in value order sorted stably by group keep each group's times in value
        # order, those in no group last (one more group of the row's, not reported); a grouping of one group holding
        # every time is in order already. Each grouping's times fill a block of one array, so that one pass takes
        # the statistics of every group.
        grouped = np.empty(len(codes) * size)
        n_all = np.empty(len(counts) + len(codes), np.int64)
        reported = np.ones(len(n_all), bool)
        for r, (row, lo, hi) in enumerate(zip(codes, offsets[:-1], offsets[1:])):
            block = grouped[r * size:(r + 1) * size]
            if hi - lo == 1 and counts[lo] == size:
                block[:] = values
            else:
                np.take(values, np.argsort(row[order], kind="stable"), out=block)
            n_all[lo + r:hi + r] = counts[lo:hi]
            n_all[hi + r] = size - counts[lo:hi].sum()
            reported[hi + r] = False
        starts = np.cumsum(n_all) - n_all
        quantiles = [(kpi, float(stat[1:]) / 100.0) for kpi, stat in stats if stat != "mean"]
        out = dict(zip([kpi for kpi, _ in quantiles],
                       _quantile(n_all, starts, grouped, np.array([[p] for _, p in quantiles])) if quantiles else []))
        out.update((kpi, _mean(n_all, starts, grouped)) for kpi, stat in stats if stat == "mean")
        return {kpi: out[kpi][reported] for kpi, _ in stats}

    def quantiles(self, of: str, q: np.ndarray) -> np.ndarray | None:
        """Quantiles ``q`` of the measured response (``frt``) or resolution (``ttr``) times; None if none is."""
        values = self._sorted_times(of)[1]
        size = np.full(len(q), len(values))
        return _quantile(size, np.zeros(len(q), np.int64), values, q) if len(values) else None

    def _sorted_times(self, of: str) -> tuple[np.ndarray, np.ndarray]:
        """Positions and values of the measured response (``frt``) or resolution (``ttr``) times, in increasing
        order (sorted once; the order among equal times is left open: no statistic depends on it)."""
        if of not in self._sorted:
            values, measured = (self.frt, self.responded) if of == "frt" else (self.ttr, self.resolved)
            where = np.flatnonzero(measured)
            times = values[where]
            if len(times):  # many times may equal the least (answered at once): only the others need sorting
                least = times == times.min()
                rest = where[~least]
                where = np.concatenate([where[least], rest[np.argsort(values[rest])]])
            self._sorted[of] = where, values[where]
        return self._sorted[of]


def _mean(counts: np.ndarray, starts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The mean of each group of ``values`` (in groups as for :func:`_quantile`); NaN for an empty group."""
    out = np.full(len(counts), np.nan)
    some = counts > 0
    if some.any():  # each non-empty group's sum runs to the next one's start, the last one's to its own end
        out[some] = np.add.reduceat(values[:int((starts + counts)[some][-1])], starts[some]) / counts[some]
    return out


def _quantile(counts: np.ndarray, starts: np.ndarray, values: np.ndarray, q: float | np.ndarray) -> np.ndarray:
    """The ``q`` quantile (one, one a group, or a column of them: a row each) of each group of ``values`` (sorted by
    group, then value; group k has ``counts[k]`` from ``starts[k]``), with linear interpolation as ``np.quantile``;
    NaN for an empty group."""
    pos = (np.maximum(counts, 1) - 1) * q
    lo = np.floor(pos).astype(np.int64)
    i = np.minimum(starts + lo, max(len(values) - 1, 0))
    j = np.minimum(i + 1, np.maximum(starts + counts - 1, 0))
    value = values[i] * (1 - (pos - lo)) + values[j] * (pos - lo) if len(values) else np.zeros_like(pos)
    return np.where(counts > 0, value, np.nan)


def outcomes(tickets: pd.DataFrame | TicketColumns, ctx: KpiContext, events: EventColumns | None = None
             ) -> Outcomes:
    """Each ticket's response and resolution times and target outcomes (see :class:`Outcomes`).

    Targets count in each priority's contract clock: around the clock, or the business hours of its calendar
    (``ctx.calendars``). The resolution clock pauses while the ticket waits for the customer: the time in
    ``ctx.pause_activities`` read from ``events``, or, without events, the tickets' ``sla_paused_min`` (wall-clock
    minutes)."""
    t = _ticket_columns(tickets, ctx.window_start)
    span = (ctx.window_end - ctx.window_start).total_seconds() / 60.0
    created_all = t.minutes["created_at"]
    inside = (created_all >= 0) & (created_all < span)
    n = int(inside.sum())
    created = created_all[inside]
    frt = t.minutes["first_response_at"][inside]
    frt -= created
    ttr = t.minutes["resolved_at"][inside]
    ttr -= created
    aband = ~np.isnan(t.minutes["abandoned_at"][inside])
    bot = _is(t.labelled["final_stage"], inside, "bot")
    human = ~aband & ~bot
    levels, codes = t.labelled["priority"]
    codes = codes[inside]
    targets = np.array([ctx.targets.get(p, (np.nan, np.nan)) for p in levels] + [(np.nan, np.nan)], float)
    frt_target, ttr_target = np.take(targets[:, 0], codes), np.take(targets[:, 1], codes)  # code -1: the NaNs
    responded, resolved = ~np.isnan(frt) & human, ~np.isnan(ttr) & human

    # the contract's clock: wall-clock minutes less the pauses, or business minutes of the priority's calendar
    pauses = None
    if ctx.sla_pauses_while_waiting:  # pauses count until resolution or the window's end
        res = t.minutes["resolved_at"][inside]
        until = np.where(np.isnan(res), span, np.fmin(res, span))
        pauses = _pause_intervals(t, events, inside, created, until, ctx)
        del res, until
    frt_age = span - created  # how long it has been open at the end
    if pauses is None and ctx.sla_pauses_while_waiting and "sla_paused_min" in t.numbers:
        paused = np.asarray(t.numbers["sla_paused_min"], float)[inside]
    else:
        paused = None if pauses is None else _paused(pauses, n, lambda x: x)
    frt_c, ttr_c, ttr_age = frt, ttr, frt_age
    if paused is not None:
        ttr_c, ttr_age = ttr - paused, frt_age - paused
    if ctx.calendars:  # set per priority below: copies of their own
        frt_c, ttr_c, ttr_age, frt_age = frt.copy(), ttr_c.copy(), ttr_age.copy(), frt_age.copy()
        fr, res = t.minutes["first_response_at"][inside], t.minutes["resolved_at"][inside]
    for calendar in set(ctx.calendars.values()):
        rows = np.isin(codes, [k for k, p in enumerate(levels) if ctx.calendars.get(p) == calendar])
        if not rows.any():
            continue
        times = np.concatenate([created[rows], fr[rows], res[rows], [span]])
        clock = calendar.clock(ctx.window_start, float(np.nanmin(times)), float(np.nanmax(times)))
        start = clock.elapsed(created[rows])
        frt_c[rows] = clock.elapsed(fr[rows]) - start
        paused_b = _paused(pauses, n, clock.elapsed)[rows]
        ttr_c[rows] = clock.elapsed(res[rows]) - start - paused_b
        frt_age[rows] = clock.elapsed(np.array([span]))[0] - start
        ttr_age[rows] = frt_age[rows] - paused_b
    return Outcomes(
        inside=inside, priorities=levels, priority=codes, frt=frt, ttr=ttr, human=human, aband=aband, bot=bot,
        responded=responded, resolved=resolved,
        frt_met=responded & (frt_c <= frt_target), frt_known=human & (responded | (frt_age > frt_target)),
        ttr_met=resolved & (ttr_c <= ttr_target), ttr_known=human & (resolved | (ttr_age > ttr_target)))


def _pause_intervals(tickets: TicketColumns, events: EventColumns | None, inside: np.ndarray, created: np.ndarray,
                     until: np.ndarray, ctx: KpiContext) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``(ticket row, start, end)`` of each stretch the SLA clock paused, clipped to the ticket's open time; None
    where the events cannot say (no events, or no pause activities with a 24/7 clock and a ``sla_paused_min``)."""
    if events is None or not ctx.pause_activities or (not ctx.calendars and "sla_paused_min" in tickets.numbers):
        return None
    pause = np.isin(events.labels("activity"), list(ctx.pause_activities))
    if not pause.any():
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    row = pd.Index(tickets.ticket_id[inside]).get_indexer(events.ticket_id[pause])
    ok = row >= 0
    row = row[ok]
    start = np.fmax(events.minutes["enqueued_at"][pause][ok], created[row])
    end = events.minutes["ended_at"][pause][ok]
    end = np.fmin(np.where(np.isnan(end), np.inf, end), until[row])
    keep = end > start
    return row[keep], start[keep], end[keep]


def _paused(pauses, n: int, elapsed) -> np.ndarray:
    """Paused minutes per ticket in a clock (``elapsed``: wall-clock minutes -> the clock's minutes)."""
    if pauses is None:
        return np.zeros(n)
    row, start, end = pauses
    return np.bincount(row, weights=elapsed(end) - elapsed(start), minlength=n)


def compute_kpis(tickets: pd.DataFrame | TicketColumns, events: pd.DataFrame | EventColumns, ctx: KpiContext
                 ) -> KpiReport:
    """Compute every KPI of DESIGN.md from a tickets and an events table.

    Parameters
    ----------
    tickets, events : the canonical tables (``servsim.log``), history or simulated; or their columns,
        :class:`~servsim.log.TicketColumns` and :class:`~servsim.log.EventColumns` (a simulation's, without
        building the tables).
    ctx : the window, SLA targets and (optionally) staffing for utilisation and cost.
    """
    check_schema(tickets, events)
    span = (ctx.window_end - ctx.window_start).total_seconds() / 60.0
    tickets = _ticket_columns(tickets, ctx.window_start)
    events = _event_columns(events, ctx.window_start)
    o = outcomes(tickets, ctx, events)
    inside = o.inside
    n = int(inside.sum())
    human, resolved = o.human, o.resolved
    n_esc = tickets.numbers["n_escalations"][inside]
    n_reo = tickets.numbers["n_reopens"][inside]

    from .segments import labelled_dimensions, segment_frame

    # the ticket KPIs of all tickets, of each priority and of each segment of every dimension, in one pass
    by_dim = labelled_dimensions(tickets.labelled)
    dims, labelled = list(by_dim), list(by_dim.values())
    groupings = [(np.zeros(n, np.int8), 1)] + [(codes[inside], len(names)) for names, codes in labelled]
    if "priority" not in dims:
        groupings.append((o.priority, len(o.priorities)))
    everyone, *groups = o.by_groups(groupings)
    channels = tickets.labelled["channel"][1]
    overall = {k: v[0].item() for k, v in everyone.items()}
    overall.update({
        "tickets_handled_by_people": int(human.sum()),
        "censored_open_at_horizon": int((human & ~resolved).sum()),
        "fcr_rate": _share(resolved & (n_esc == 0) & (n_reo == 0), human),
        "escalation_rate": _share(n_esc > 0, human),
        "reopen_rate": _share(n_reo > 0, human),
        "abandonment_rate": _abandonment(channels[inside], o.aband),
        "deflection_rate": float(o.bot.mean()) if n else float("nan"),
    })
    for column in ("moved_by", "reminded_by"):  # by cause: the share of tickets each rule moved or reminded about
        if column in tickets.labelled:
            rules, codes = tickets.labelled[column]
            codes = codes[inside]
            for k, rule in enumerate(rules.tolist()):
                overall[f"{column}/{rule}"] = _share(codes == k, human)
    if ctx.call_channels:
        names, codes = tickets.labelled["channel"]
        is_call = np.isin(codes[inside], [k for k, c in enumerate(names.tolist()) if c in ctx.call_channels])
        abandon_wait = tickets.minutes["abandoned_at"][inside] - tickets.minutes["created_at"][inside]
        thresholds, short, out_of = ctx.service_level
        overall.update(call_kpis(is_call, o.frt, abandon_wait, list(thresholds), short, out_of))
    grid, backlog = _backlog(tickets, events, span, ctx.backlog_step_min)
    overall["backlog_at_horizon"] = int(backlog[-1]) if len(backlog) else 0
    overall["backlog_mean"] = float(backlog.mean()) if len(backlog) else float("nan")

    pools, by_pool = _pools(events, ctx, span)
    direct = float(tickets.numbers["direct_cost"][inside].sum()) if "direct_cost" in tickets.numbers else 0.0
    staff_cost = float(by_pool["staff_cost"].sum()) if "staff_cost" in by_pool else float("nan")
    overall["cost_total"] = staff_cost + direct
    if "paid_h" in by_pool and span > 0:  # what staffing costs in people: FTE follow from it (fte_hours)
        overall["paid_hours_week"] = float(by_pool["paid_h"].sum()) / (span / WEEK_MIN)
    if ctx.call_channels and "busy_h" in by_pool:
        overall["occupancy"] = occupancy(by_pool["busy_h"], by_pool["staffed_h"])
    depots = None
    if ctx.stock is not None:
        at = _Minutes(ctx.window_start)
        depots = by_depot(ctx.stock, ctx.part_costs, at, span)
        overall.update(part_kpis(ctx.stock, events, ctx.part_costs, at, span, depots))
        overall["cost_total"] += overall["inventory_cost"]
    n_resolved = int(resolved.sum())
    overall["resolved_tickets"] = n_resolved
    overall["cost_per_resolved_ticket"] = overall["cost_total"] / n_resolved if n_resolved else float("nan")

    names = o.priorities
    per_priority = groups[dims.index("priority") if "priority" in dims else -1]
    seen = set(names[per_priority["tickets"] > 0])
    levels = list(ctx.targets) + sorted(seen - set(ctx.targets) - {""})
    row = {name: k for k, name in enumerate(names.tolist())}
    columns = list(per_priority)
    table = np.vstack([np.column_stack(list(per_priority.values())), np.full(len(columns), np.nan)])
    table = table[[row.get(level, -1) for level in levels]]  # a target level no ticket has: the last row, NaN ...
    table[:, columns.index("tickets")] = np.nan_to_num(table[:, columns.index("tickets")])  # ... but 0 tickets
    stages, by_stage = _stages(events, span)
    segments = [names for names, _ in labelled]

    def flat_rows() -> tuple[Rows, Rows, Rows, Rows]:
        """KpiReport.flat's rows, from the arrays (see KpiReport._rows_of_tables)."""
        flat = [columns.index(c) for c in PRIORITY_FLAT_KPIS]
        seg_names, seg_rows = [], []
        for dim, seg, kpis in zip(dims, segments, groups):
            present = kpis["tickets"] > 0
            if dim != "priority" and present.any():
                seg_names += [f"{dim}={s}" for s in np.asarray(seg)[present].tolist()]
                seg_rows += np.column_stack([kpis[c][present] for c in SEGMENT_KPIS[1:]]).tolist()
        return ((levels, table[:, flat].tolist()),
                (pools.tolist(), np.c_[by_pool["utilisation"]].tolist()) if "utilisation" in by_pool else ([], []),
                (stages.tolist(), np.c_[by_stage["mean_wait_min"]].tolist()), (seg_names, seg_rows))

    return KpiReport(
        overall,
        by_priority=lambda: pd.DataFrame(table, index=pd.Index(levels, name="priority"), columns=columns),
        by_stage=lambda: pd.DataFrame(by_stage, index=pd.Index(stages, name="activity")),
        by_pool=lambda: pd.DataFrame(by_pool, index=pd.Index(pools, name="pool")),
        backlog=lambda: pd.Series(backlog, index=pd.Index(grid, name="minute"), name="backlog"),
        by_segment=lambda: segment_frame(dims, segments, groups), by_depot=depots,
        time_quantiles={of: o.quantiles(of, QUANTILES) for of in ("frt", "ttr")}, flat_rows=flat_rows,
        backlog_curve=((float(grid[1] - grid[0]) if len(grid) > 1 else 60.0), backlog.astype(float)))


def _ticket_columns(tickets: pd.DataFrame | TicketColumns, start: pd.Timestamp) -> TicketColumns:
    """The tickets as columns with times in minutes from the window's start."""
    return TicketColumns.of(tickets, start) if isinstance(tickets, pd.DataFrame) else tickets.from_origin(start)


def _event_columns(events: pd.DataFrame | EventColumns, start: pd.Timestamp) -> EventColumns:
    """The events as columns with times in minutes from the window's start."""
    return EventColumns.of(events, start) if isinstance(events, pd.DataFrame) else events.from_origin(start)


class _Minutes:
    """Minutes from the window's start of a table's time column (the stock's), each converted once."""

    def __init__(self, start: pd.Timestamp) -> None:
        self.start, self.cache = start, {}

    def __call__(self, table: pd.DataFrame, column: str) -> np.ndarray:
        key = (id(table), column)
        if key not in self.cache:
            self.cache[key] = to_minutes(table[column], self.start)
        return self.cache[key]


def ticket_activities(events: pd.DataFrame) -> pd.DataFrame:
    """The events that are part of a ticket's own course: all but people's wrap-ups after their work."""
    activity = events["activity"]
    if isinstance(activity.dtype, pd.CategoricalDtype) and WRAP_UP not in activity.cat.categories:
        return events
    return events[(activity != WRAP_UP).to_numpy()]


def _reopen_gaps(events: EventColumns, reopened: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Minutes (from the window's start) at which a ticket was resolved and later reopened: the end of an activity
    and the start of the ticket's next one, where they differ (a ticket's activities otherwise follow on at once);
    people's wrap-ups after their work are not activities of the ticket. ``reopened``: the ids of the tickets
    counted as reopened, the only ones looked at where the events say so (``gaps_only_at_reopens``)."""
    names, codes = events.labelled["activity"]
    ids = events.ticket_id
    if not events.gaps_only_at_reopens:
        rows = np.arange(len(ids))
    elif ids.dtype.kind in "iu" and len(ids) and len(reopened) and min(ids.min(), reopened.min()) >= 0 and max(
            ids.max(), reopened.max()) <= 4 * len(ids):  # by a table over the ids where they are a few from 0 up
        reopens = np.zeros(int(max(ids.max(), reopened.max())) + 1, bool)
        reopens[reopened] = True
        rows = np.flatnonzero(np.take(reopens, ids))  # (a few: the reopened tickets' events)
    else:
        rows = np.flatnonzero(np.isin(ids, reopened))
    if WRAP_UP in names:
        rows = rows[codes[rows] != list(names).index(WRAP_UP)]
    ticket, enq, end = ids[rows], events.minutes["enqueued_at"][rows], events.minutes["ended_at"][rows]
    if not len(ticket):
        return np.empty(0), np.empty(0)
    if ticket.dtype.kind not in "iu":
        ticket = pd.factorize(ticket)[0]
    # a simulated log comes in order of enqueueing: a stable sort by ticket keeps that order within each ticket
    order = np.argsort(ticket, kind="stable") if np.all(enq[1:] >= enq[:-1]) else np.lexsort((enq, ticket))
    ticket, enq, end = ticket[order], enq[order], end[order]
    gap = (ticket[1:] == ticket[:-1]) & (enq[1:] > end[:-1] + 1e-6)
    return end[:-1][gap], enq[1:][gap]


def _is(labelled: tuple[np.ndarray, np.ndarray], inside: np.ndarray, value) -> np.ndarray:
    """Whether each row in ``inside`` of a labelled column ``(names, codes)`` holds ``value``, by codes."""
    names, codes = labelled
    where = np.flatnonzero(names == value)
    return codes[inside] == where[0] if len(where) else np.zeros(int(inside.sum()), bool)


def _abandonment(channel: np.ndarray, aband: np.ndarray) -> float:
    """Abandoned share among tickets of the channels where anyone abandoned (phone-like channels); ``channel``:
    codes (-1: none)."""
    tickets, abandoned = np.bincount(channel + 1), np.bincount(channel + 1, weights=aband)
    can = abandoned > 0
    return float(abandoned[can].sum() / tickets[can].sum()) if can.any() else 0.0


def _backlog(tickets: TicketColumns, events: EventColumns, span: float, step: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Open tickets (``counts``) at each step of the window (``grid``: minutes from its start): created and not yet
    resolved or abandoned — where a ticket was resolved and reopened later, not between the resolution and the
    reopening (a gap between two consecutive activities of the ticket), so the count at a time depends only on what
    happened before it."""
    created = tickets.minutes["created_at"]
    ended = np.fmin(tickets.minutes["resolved_at"], tickets.minutes["abandoned_at"])  # NaN: not yet
    gap_from, gap_to = _reopen_gaps(events, tickets.ticket_id[tickets.numbers["n_reopens"] > 0])
    grid = np.arange(0.0, span + 1e-9, step)
    if grid[-1] < span:
        grid = np.append(grid, span)
    opened = _at_or_before(created, grid)
    closed = _at_or_before(ended, grid) + _at_or_before(gap_from, grid) - _at_or_before(gap_to, grid)
    return grid, opened - closed


def _at_or_before(times: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """How many of ``times`` are at or before each point of ``grid`` (increasing); NaN (never) counts nowhere."""
    if len(times) and not np.all(times[1:] >= times[:-1]):  # (a simulation's creation times are in order already)
        times = np.sort(times)  # NaN last
    return np.searchsorted(times, grid, side="right")


def _group_sums(labelled: tuple[np.ndarray, np.ndarray], keep: np.ndarray, *values: np.ndarray
                ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per label of a labelled column ``(names, codes)`` (rows where ``keep``): NaN-skipping sum and count of each
    of ``values`` (overwritten: NaN becomes 0; pass temporaries), and the row count. Labels with no row are left
    out."""
    names, codes = labelled
    k = len(names)
    bins = codes.astype(np.intp)  # what every count below takes: converted once
    bins[~keep | (codes < 0)] = k  # bin k: rows not counted
    rows = np.bincount(bins, minlength=k + 1)[:k]
    present = rows > 0
    sums = []
    for x in values:
        missing = np.isnan(x)
        x[missing] = 0.0
        known = rows - np.bincount(bins[missing], minlength=k + 1)[:k]
        sums.append((np.bincount(bins, weights=x, minlength=k + 1)[:k][present], known[present]))
    return names[present], sums, rows[present]


def _stages(events: EventColumns, span: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Per activity (its names): visits, mean wait and mean work of the events enqueued in the window."""
    enq, start, end = (events.minutes[c] for c in ("enqueued_at", "started_at", "ended_at"))
    keep = (enq >= 0) & (enq < span)
    names, ((wait_sum, wait_n), (work_sum, work_n)), visits = _group_sums(
        events.labelled["activity"], keep, start - enq, end - start)
    with np.errstate(invalid="ignore", divide="ignore"):
        return names, {"visits": visits, "mean_wait_min": wait_sum / wait_n, "mean_work_min": work_sum / work_n}


def _numbered(values: list) -> tuple[np.ndarray, np.ndarray]:
    """Each value's code, numbered in order of first appearance, and the values so numbered (``pd.factorize`` for
    the few dozen rows of a staffing table, where pandas' own costs more than the work)."""
    number: dict = {}
    codes = np.array([number.setdefault(v, len(number)) for v in values], np.intp)
    return codes, np.array(list(number), dtype=object)


def _pools(events: EventColumns, ctx: KpiContext, span: float) -> tuple[np.ndarray, dict[str, np.ndarray | list]]:
    """Per pool (its names): busy time, and where staffing is known staffed time, utilisation (also per shift) and
    staff cost."""
    # each event's working time inside the window (none where the work never started)
    busy = np.fmin(events.minutes["ended_at"], span)
    busy -= np.maximum(events.minutes["started_at"], 0.0)
    np.fmax(busy, 0.0, out=busy)
    resources, res_codes = events.labelled["resource"]
    has_pool = (events.labelled["pool"][1] >= 0) & (res_codes >= 0)
    staff = ctx.staffing
    if isinstance(staff, pd.DataFrame):
        staff = {c: column.to_numpy() for c, column in staff.items()}
    if not staff or not len(staff["pool"]):
        pools, ((pool_busy, _),), _ = _group_sums(events.labelled["pool"], has_pool, busy)
        return pools, {"busy_h": pool_busy / 60.0}
    bins = res_codes.astype(np.intp)
    bins[~has_pool] = len(resources)
    res_busy = np.bincount(bins, weights=busy, minlength=len(resources) + 1)[:len(resources)]
    pool_codes, pool_names = _numbered(list(staff["pool"]))
    shift_codes, shift_names = _numbered(list(staff["shift"]))
    staffed = np.asarray(staff["staffed_min"], float)
    index = {name: i for i, name in enumerate(resources.tolist())}
    person = np.array([index.get(name, -1) for name in staff["resource"]], np.int64)
    busy_min = np.where(person >= 0, res_busy[person], 0.0)
    # a person working on several tickets at once (concurrency) is fully used when every slot is busy
    capacity = staffed * (np.asarray(staff["slots"], float) if "slots" in staff else 1.0)
    paid = np.asarray(staff["paid_min"], float) if "paid_min" in staff else staffed  # absence (shrinkage) is paid
    cost = paid / 60.0 * np.asarray(staff["hourly_cost"], float)

    def per_pool(x: np.ndarray) -> np.ndarray:
        return np.bincount(pool_codes, weights=x, minlength=len(pool_names))

    cap = per_pool(capacity)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(cap > 0, per_pool(busy_min) / cap, np.nan)
    pair = pool_codes * len(shift_names) + shift_codes
    pair_busy = np.bincount(pair, weights=busy_min, minlength=len(pool_names) * len(shift_names))
    pair_cap = np.bincount(pair, weights=capacity, minlength=len(pool_names) * len(shift_names))
    by_shift: list[dict[str, float]] = [{} for _ in pool_names]
    for k in dict.fromkeys(pair):  # (pool, shift) pairs in order of first appearance
        if pair_cap[k] > 0:
            by_shift[k // len(shift_names)][str(shift_names[k % len(shift_names)])] = \
                round(float(pair_busy[k] / pair_cap[k]), 4)
    return pool_names, {"staffed_h": per_pool(staffed) / 60.0, "busy_h": per_pool(busy_min) / 60.0,
                        "utilisation": utilisation, "utilisation_by_shift": by_shift, "staff_cost": per_pool(cost),
                        "paid_h": per_pool(paid) / 60.0}


_LABELS = {
    "tickets": ("tickets created in window", "n"),
    "frt_mean_min": ("first response, mean", "t"), "frt_p50_min": ("first response, p50", "t"),
    "frt_p90_min": ("first response, p90", "t"), "frt_within_target": ("first response within target", "%"),
    "ttr_mean_min": ("resolution time, mean", "t"), "ttr_p50_min": ("resolution time, p50", "t"),
    "ttr_p90_min": ("resolution time, p90", "t"),
    "resolution_within_target": ("resolved within target", "%"),
    "resolved_by_horizon": ("resolved by horizon", "%"), "sla_attainment": ("SLA attainment", "%"),
    "tickets_handled_by_people": ("tickets handled by people", "n"),
    "censored_open_at_horizon": ("still open at horizon (censored)", "n"),
    "fcr_rate": ("first-contact resolution", "%"), "escalation_rate": ("escalation rate", "%"),
    "reopen_rate": ("reopen rate", "%"), "abandonment_rate": ("abandonment rate", "%"),
    "deflection_rate": ("deflected by bot", "%"), "backlog_at_horizon": ("backlog at horizon", "n"),
    "backlog_mean": ("backlog, time average", "f"), "cost_total": ("cost, total", "f"),
    "paid_hours_week": ("paid staff hours a week", "f"),
    "resolved_tickets": ("resolved tickets", "n"), "cost_per_resolved_ticket": ("cost per resolved ticket", "f"),
    "part_fill_rate": ("spare parts filled from stock", "%"), "part_stockouts": ("part demands out of stock", "n"),
    "second_visits": ("second visits for a missing part", "n"), "part_wait_mean_min": ("wait for parts, mean", "t"),
    "stock_on_hand_mean": ("parts on hand, time average", "f"), "inventory_cost": ("inventory cost", "f"),
    "parts_cost": ("parts used, cost", "f"),
    "calls_offered": ("calls offered", "n"), "asa_min": ("average speed of answer", "s"),
    "waited_share": ("callers who waited", "%"), "short_abandon_rate": ("short abandons", "%"),
    "occupancy": ("occupancy", "%"),
}
_SERVICE_LEVEL = re.compile(r"service_level_(\d+)s")


def _fmt(value: float, kind: str, like: float | None = None) -> str:
    """``value`` in its unit; a time in the unit ``like`` would get, where given."""
    from .units import format_minutes

    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-"
    if kind == "s":  # a short wait, in seconds
        return f"{60 * value:.1f}s" if abs(value if like is None or like != like else like) < 2 \
            else format_minutes(value, like)
    return {"n": f"{int(value):,}", "%": f"{100 * value:.1f}%", "t": format_minutes(value, like),
            "f": f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.1f}"}[kind]


_HIGHER_IS_BETTER = {"frt_within_target", "resolution_within_target", "resolved_by_horizon", "sla_attainment",
                     "fcr_rate", "deflection_rate", "resolved_tickets", "part_fill_rate"}
_LOWER_IS_BETTER = {"frt_mean_min", "frt_p50_min", "frt_p90_min", "ttr_mean_min", "ttr_p50_min", "ttr_p90_min",
                    "censored_open_at_horizon", "escalation_rate", "reopen_rate", "abandonment_rate",
                    "backlog_at_horizon", "backlog_mean", "cost_total", "cost_per_resolved_ticket", "stage_wait_min",
                    "part_stockouts", "second_visits", "part_wait_mean_min", "inventory_cost", "asa_min",
                    "waited_share", "short_abandon_rate"}


def describe(kpi: str) -> tuple[str, str, int]:
    """``(label, kind, direction)`` of a flat KPI name (``sla_attainment/P1``, ``utilisation/l2``): kind ``t``
    (minutes), ``s`` (minutes shown in seconds), ``%`` (a share), ``n`` (a count) or ``f`` (a number); direction
    +1 if higher is better, -1 if lower is, 0 if neither."""
    base, _, part = kpi.partition("/")
    level = _SERVICE_LEVEL.fullmatch(base) if base.startswith("service_level_") else None
    if level:
        return f"answered within {level[1]} s" + (f" ({part})" if part else ""), "%", 1
    if base == "utilisation":
        return f"utilisation of {part}", "%", 0
    if base == "stage_wait_min":
        return f"wait before {part}", "t", -1
    if base == "moved_by":
        return f"moved by rule {part}", "%", 0
    if base == "reminded_by":
        return f"reminded by rule {part}", "%", 0
    label, kind = _LABELS.get(base, (base, "f"))
    direction = 1 if base in _HIGHER_IS_BETTER else -1 if base in _LOWER_IS_BETTER else 0
    dimension, _, segment = part.rpartition("=")  # a segment: ``region=south`` -> "region south"
    part = f"{dimension.replace('_', ' ')} {segment}" if dimension else part
    return (f"{label} ({part})" if part else label), kind, direction


MATERIAL_POINTS = 0.01  # a share that moves less than 1 point has not changed materially ...
MATERIAL_SHARE = 0.05  # ... nor a time, count or cost that moves less than 5% of its baseline


def material(kpi: str, difference: float, baseline: float, points: float = MATERIAL_POINTS,
             share: float = MATERIAL_SHARE, threshold: float | None = None) -> bool:
    """Whether ``kpi`` moving by ``difference`` from ``baseline`` is a change worth acting on: at least ``threshold``
    where one is given (in the KPI's unit), else at least ``points`` for a share (utilisation, SLA attainment), at
    least ``share`` of the baseline for anything else (a baseline of 0 or unknown: any change)."""
    if threshold is not None and threshold == threshold:
        return abs(difference) >= threshold
    if describe(kpi)[1] == "%":
        return abs(difference) >= points
    return not (baseline == baseline and baseline != 0) or abs(difference) >= share * abs(baseline)


NO_CURRENCY = "¤"  # the currency sign: costs of a scenario that names no currency


def currency_unit(currency: str) -> str:
    """How costs are marked: the scenario's currency, or the generic currency sign where it names none."""
    return currency or NO_CURRENCY


def kpi_label(kpi: str, currency: str = "") -> str:
    """A KPI's label; costs say their currency (:func:`currency_unit`), and the total that it covers the
    measurement window."""
    text = describe(kpi)[0]
    if kpi.startswith("cost_") or kpi in ("inventory_cost", "parts_cost"):
        text += f" ({currency_unit(currency)}" + (", over the window)" if kpi == "cost_total" else ")")
    return text


def format_value(kpi: str, value: float | None) -> str:
    """A KPI's value in its unit: ``89.7%``, ``42.0min``, ``1,204``."""
    return _fmt(value, describe(kpi)[1])


def format_change(kpi: str, change: float | None, like: float | None = None) -> str:
    """A difference of a KPI, signed, in its unit: shares in percentage points (``+1.5 pts``); a time in the unit
    ``like`` would get, where given (an interval's bounds in the unit of its centre)."""
    if change is None or np.isnan(change):
        return "-"
    kind = describe(kpi)[1]
    if kind == "%":
        return f"{round(100 * change, 1) + 0.0:+.1f} pts"  # + 0.0: no '-0.0'

    if kind in ("t", "s"):
        return ("+" if change >= 0 else "-") + _fmt(abs(change), kind, None if like is None else abs(like))
    return f"{change:+,.0f}" if kind == "n" or abs(change) >= 100 else f"{change:+,.2f}"


def format_report(report: KpiReport) -> str:
    """The KPIs as plain-text tables: overall, per priority, per pool, per stage."""
    shown = {k: v for k, v in report.overall.items()
             if k.partition("/")[0] in _LABELS or k.startswith(("moved_by/", "reminded_by/"))
             or _SERVICE_LEVEL.fullmatch(k)}
    width = max([len(describe(k)[0]) for k in shown] + [10])
    lines = ["KPIs over tickets created in the measurement window", ""]
    lines += [f"  {describe(k)[0]:<{width}}  {_fmt(v, describe(k)[1]):>12}" for k, v in shown.items()]
    cols = ["tickets", "frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p50_min", "ttr_p90_min",
            "resolution_within_target", "sla_attainment"]
    heads = ["tickets", "FRT mean", "FRT p90", "FRT in tgt", "TTR p50", "TTR p90", "res in tgt", "SLA"]
    lines += ["", "By priority", "  " + f"{'':<8}" + "".join(f"{h:>11}" for h in heads)]
    for prio, row in report.by_priority.iterrows():
        cells = "".join(f"{_fmt(row[c], _LABELS[c][1]):>11}" for c in cols)
        lines.append(f"  {prio!s:<8}{cells}")
    if "utilisation" in report.by_pool:
        lines += ["", "By team", f"  {'':<12}{'staffed h':>11}{'busy h':>11}{'util':>9}{'cost':>12}"]
        for pool, row in report.by_pool.iterrows():
            lines.append(f"  {pool!s:<12}{row.staffed_h:>11,.0f}{row.busy_h:>11,.0f}"
                         f"{_fmt(row.utilisation, '%'):>9}{row.staff_cost:>12,.0f}")
    lines += ["", "By stage", f"  {'':<14}{'visits':>9}{'mean wait':>12}{'mean work':>12}"]
    for stage, row in report.by_stage.iterrows():
        lines.append(f"  {stage!s:<14}{int(row.visits):>9,}{_fmt(row.mean_wait_min, 't'):>12}"
                     f"{_fmt(row.mean_work_min, 't'):>12}")
    if not report.by_depot.empty:
        lines += ["", "Spare parts by depot", f"  {'':<24}{'demanded':>9}{'filled':>9}{'stock-outs':>11}"
                                               f"{'on hand':>9}{'orders':>8}{'inv. cost':>11}"]
        for row in report.by_depot.itertuples():
            lines.append(f"  {row.part + ' / ' + row.depot:<24}{row.demanded:>9,}{_fmt(row.fill_rate, '%'):>9}"
                         f"{row.stockouts:>11,}{row.on_hand_mean:>9.1f}{row.orders:>8,}{row.inventory_cost:>11,.0f}")
    return "\n".join(lines)
