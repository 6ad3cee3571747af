"""KPIs by segment and where the time goes: pure functions of the ticket tables, for history and simulation alike.

A *dimension* is a column of the tickets table that splits tickets into segments: channel, ticket type,
priority, tier, region and any further attribute (``product``, or whatever a scenario's mix or an import
adds). :func:`breakdown` gives the ticket KPIs of each segment of each dimension; :func:`where_time_goes`
gives, per segment (of one dimension or a crossing of several) and stage, how long a ticket spends there
waiting for a person, being worked on and waiting for the customer, and how much longer the tickets that
missed their resolution target spent there than those that met it: the stage to look at first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import ServsimError
from .kpi import SEGMENT_KPIS, KpiContext, Outcomes, _labels, format_value, outcomes, ticket_activities
from .log import EVENT_COLUMNS, TICKET_COLUMNS, TicketColumns, label_codes, ticket_labels, to_minutes
from .units import format_minutes

KNOWN_DIMENSIONS = ("channel", "ticket_type", "priority", "tier", "region")
MAX_SEGMENTS = 50  # a column with more values is an identifier or free text, not a dimension
_NOT_DIMENSIONS = set(TICKET_COLUMNS) | set(EVENT_COLUMNS) | {"category", "sla_paused_min", "direct_cost",
                                                              "moved_by", "n_moves", "reminded_by",
                                                              "n_reminders"}


def dimensions(tickets: pd.DataFrame) -> list[str]:
    """The columns of ``tickets`` that split it into 2 to ``MAX_SEGMENTS`` segments: channel, ticket type (or
    category where there is no type), priority, tier, region, then any further label column (e.g. product)."""
    return list(labelled_dimensions(tickets))


def labelled_dimensions(tickets: pd.DataFrame | dict[str, tuple[np.ndarray, np.ndarray]]
                        ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`dimensions`, each as its segments' names and each ticket's code into them (-1: none); ``tickets``: the
    table or its label columns (as :func:`servsim.log.ticket_labels` gives them)."""
    labelled = ticket_labels(tickets) if isinstance(tickets, pd.DataFrame) else tickets
    known = [c for c in KNOWN_DIMENSIONS if c in labelled]
    if "ticket_type" not in labelled and "category" in labelled:
        known.insert(1, "category")
    extra = [c for c in labelled if c not in _NOT_DIMENSIONS and c not in known]
    out = {}
    for c in known + extra:
        names, codes = labelled[c]
        if len(names) <= MAX_SEGMENTS:  # enough to know that two categories are present (code -1: none)
            most = codes.max(initial=-1)
            splits = most >= 0 and bool(np.any((codes >= 0) & (codes != most)))
        else:  # a category no ticket has is not one
            splits = 2 <= np.count_nonzero(np.bincount(codes[codes >= 0], minlength=1)) <= MAX_SEGMENTS
        if splits:
            out[c] = names, codes
    return out


def breakdown(tickets: pd.DataFrame, ctx: KpiContext, by: Sequence[str] | None = None) -> pd.DataFrame:
    """Ticket KPIs (:data:`SEGMENT_KPIS`) per segment of each dimension in ``by`` (default: :func:`dimensions`),
    over tickets created in the window. Columns ``dimension, segment`` and one per KPI; a ticket without a value
    for a dimension (an attribute that does not apply to its type) is in no segment of it."""
    dims = dimensions(tickets) if by is None else list(by)
    for dim in dims:
        _check_column(tickets, dim)
    return segment_table(tickets, outcomes(tickets, ctx), dims)


def segment_table(tickets: pd.DataFrame, o: Outcomes, dims: Sequence[str]) -> pd.DataFrame:
    """:func:`breakdown` from the tickets' outcomes (as :func:`servsim.kpi.compute_kpis` has them already)."""
    labelled = [label_codes(tickets[dim]) for dim in dims]
    groups = o.by_groups([(codes[o.inside], len(names)) for names, codes in labelled], SEGMENT_KPIS)
    return segment_frame(dims, [names for names, _ in labelled], groups)


def segment_frame(dims: Sequence[str], segments: Sequence[np.ndarray], groups: Sequence[dict[str, np.ndarray]]
                  ) -> pd.DataFrame:
    """The :func:`breakdown` table of each dimension's ``segments`` (their names) and their KPIs (from
    :meth:`servsim.kpi.Outcomes.by_groups`, one grouping a dimension)."""
    groups = groups[:len(dims)]
    present = [kpis["tickets"] > 0 for kpis in groups]
    return pd.DataFrame({
        "dimension": [dim for dim, p in zip(dims, present) for _ in range(int(p.sum()))],
        "segment": [name for names, p in zip(segments, present) for name in np.asarray(names)[p].tolist()],
        **{c: np.concatenate([kpis[c][p] for kpis, p in zip(groups, present)] or [np.empty(0)])
           for c in SEGMENT_KPIS}})


def where_time_goes(tickets: pd.DataFrame, events: pd.DataFrame, ctx: KpiContext,
                    by: Sequence[str] = ("priority",)) -> pd.DataFrame:
    """Per segment (the crossing of the columns ``by``; none: all tickets) and stage, minutes per ticket of the
    segment: ``wait_min`` (queued for a person), ``work_min`` (being worked on, travel included), ``delay_min`` (at a
    stage nobody works: waiting for the customer); ``share_of_time`` (of all the segment's time at stages),
    ``waiting_share`` (of the stage's time spent queued) and ``extra_when_missed_min``: minutes more at the stage
    per ticket that missed its resolution target than per ticket that met it.

    Over tickets created in the window, their activities until the ticket was resolved (closing work after it,
    such as a follow-up call, is not part of its resolution time) or the window ended; biggest stages first within
    each segment. A log that does not say when work started (completion times only) counts the whole time at a
    stage as waiting."""
    for column in by:
        _check_column(tickets, column)
    columns = TicketColumns.of(tickets, ctx.window_start)
    span = (ctx.window_end - ctx.window_start).total_seconds() / 60.0
    o = outcomes(columns, ctx)
    inside = tickets.loc[o.inside].reset_index(drop=True)
    if by:
        segment = inside[list(by)].astype(object).where(inside[list(by)].notna(), "(none)").astype(str)
        seg_codes, seg_names = pd.factorize(pd.MultiIndex.from_frame(segment), sort=True)
    else:  # all tickets as one segment
        seg_codes, seg_names = np.zeros(len(inside), np.int64), [()]
    missed = o.ttr_known & ~o.ttr_met
    met = o.ttr_met

    events = ticket_activities(events)
    row = pd.Index(inside["ticket_id"]).get_indexer(events["ticket_id"])
    keep = row >= 0
    # a ticket's time counts until it is resolved (closing work after that is not part of it) or the window ends
    until = np.fmin(columns.minutes["resolved_at"][o.inside], span)[np.maximum(row, 0)]
    enq, start, end = (np.minimum(to_minutes(events[c], ctx.window_start), until)
                       for c in ("enqueued_at", "started_at", "ended_at"))
    end = np.where(np.isnan(end), until, end)
    keep &= enq < until
    worked = events["pool"].notna().to_numpy()
    started = ~np.isnan(start)
    wait = np.where(worked, np.where(started, start, end) - enq, 0.0)
    work = np.where(worked & started, end - start, 0.0)
    delay = np.where(worked, 0.0, end - enq)
    stage_names, stage_codes = label_codes(events["activity"])
    keep &= stage_codes >= 0
    pool = pd.Series(_labels(events["pool"])).groupby(stage_codes).first()

    r, s = row[keep], stage_codes[keep]
    n_stage = len(stage_names)
    cell = seg_codes[r] * n_stage + s
    size = len(seg_names) * n_stage

    def per_cell(values: np.ndarray, tickets_mask: np.ndarray | None = None) -> np.ndarray:
        take = np.ones(len(r), bool) if tickets_mask is None else tickets_mask[r]
        return np.bincount(cell[take], weights=values[keep][take], minlength=size).reshape(-1, n_stage)

    n_tickets = np.bincount(seg_codes, minlength=len(seg_names)).astype(float)
    n_missed = np.bincount(seg_codes[missed], minlength=len(seg_names)).astype(float)
    n_met = np.bincount(seg_codes[met], minlength=len(seg_names)).astype(float)
    visits = np.bincount(cell, minlength=size).reshape(-1, n_stage)
    total = wait + work + delay
    with np.errstate(invalid="ignore", divide="ignore"):
        wait_pt, work_pt, delay_pt = (per_cell(x) / n_tickets[:, None] for x in (wait, work, delay))
        stage_time = wait_pt + work_pt + delay_pt
        share = stage_time / stage_time.sum(axis=1, keepdims=True)
        extra = per_cell(total, missed) / n_missed[:, None] - per_cell(total, met) / n_met[:, None]
        queued = wait_pt / (wait_pt + work_pt)
    frames = []
    for k, name in enumerate(seg_names):
        present = visits[k] > 0
        frame = pd.DataFrame({
            **{col: name[j] for j, col in enumerate(by)},
            "stage": stage_names[present], "pool": pool.reindex(np.flatnonzero(present)).to_numpy(),
            "tickets": int(n_tickets[k]), "visits": visits[k][present],
            "wait_min": wait_pt[k][present], "work_min": work_pt[k][present], "delay_min": delay_pt[k][present],
            "share_of_time": share[k][present],
            "waiting_share": queued[k][present],
            "extra_when_missed_min": extra[k][present], "missed": int(n_missed[k]),
        })
        frames.append(frame.sort_values("share_of_time", ascending=False))
    columns = [*by, "stage", "pool", "tickets", "visits", "wait_min", "work_min", "delay_min", "share_of_time",
               "waiting_share", "extra_when_missed_min", "missed"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    out["pool"] = out["pool"].replace("", None)
    return out


def _check_column(tickets: pd.DataFrame, column: str) -> None:
    if column not in tickets:
        raise ServsimError(f"tickets have no column {column!r} to break down by; columns that split them: "
                       f"{', '.join(dimensions(tickets)) or 'none'}")


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A :func:`breakdown` or :func:`where_time_goes` table with times in min/h/d and shares in %, for people."""
    out = frame.copy()
    if "pool" in out:
        out["pool"] = out["pool"].fillna("-")
    for column in out.columns:
        if column.endswith("_min"):
            signed = column.startswith("extra")
            out[column] = ["-" if v != v else ("+" if signed and v >= 0 else "-" if signed else "")
                           + format_minutes(abs(v) if signed else v) for v in out[column]]
        elif column.endswith(("_share", "share_of_time", "_within_target", "sla_attainment")):
            out[column] = [format_value("sla_attainment", v) for v in out[column]]
    return out.rename(columns=lambda c: c.replace("_min", "").replace("_", " "))
