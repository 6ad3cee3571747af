"""Spare parts: what the work at a stage needs, and the stock of each part at each regional depot.

- A step's ``parts`` are drawn each time a ticket enters the stage (one uniform per part use, from its own
  stream). A part ``known before_visit`` is taken from the depot of the ticket's region then; one found
  ``at_visit`` when a person starts the work (a technician leaving for the site).
- A demand is filled from stock if the depot has the units on hand and nobody is waiting for that part there
  before it; otherwise it is backordered and filled first come, first served as replenishments arrive.
- Replenishment follows an (s, S) rule per part and depot: after each demand, if the stock position (on hand +
  on order − backordered) is at or below s, an order brings it up to S; it arrives after the part's lead time.
  Base stock S is the rule (S − 1, S).

Every change of stock is a row of the stock table (``servsim.inventory.STOCK_COLUMNS``), from which the
spare-part KPIs are computed.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..scenario.model import Scenario
from .streams import Streams, uniform_sampler

# kinds of rows in the stock table
START, DEMAND, VISIT, ORDER, RECEIPT = range(5)
KINDS = ("start", "demand", "visit", "order", "receipt")  # demand: known before the visit; visit: found at it


@dataclass(frozen=True)
class PartNeed:
    """A compiled part use of one step: which part, how likely, how many, when it is known and for whom."""

    part: int
    probability: float
    quantity: int
    before_visit: bool
    uniform: Callable[[], float]
    only: tuple[tuple[list[int], frozenset[int]], ...] = ()  # (attribute code per ticket, codes it applies to)

    def needed(self, ticket: int) -> bool:
        """Whether this entry of ``ticket`` into the stage needs the part (always one draw, for common numbers)."""
        if self.uniform() >= self.probability:
            return False
        return all(codes[ticket] in ok for codes, ok in self.only)


class Stock:
    """On hand, on order and backorders of every (part, depot) inventory, with the (s, S) rule and the log."""

    def __init__(self, reorder_point: list[int], order_up_to: list[int], initial: list[int], n_depots: int) -> None:
        self.n_depots = n_depots
        self.reorder_point, self.order_up_to = reorder_point, order_up_to
        self.on_hand = list(initial)
        self.on_order = [0] * len(initial)
        self.backordered = [0] * len(initial)
        self.waiting: list[deque[tuple[int, int]]] = [deque() for _ in initial]  # (ticket, units) in order
        self.log = {name: array(code) for name, code in
                    (("at", "d"), ("inventory", "l"), ("kind", "l"), ("quantity", "l"), ("filled", "l"),
                     ("ticket", "l"), ("on_hand", "l"), ("on_order", "l"), ("backordered", "l"))}
        for k in range(len(initial)):
            self._row(0.0, k, START, 0, 0, -1)

    def inventory(self, part: int, region: int) -> int:
        return part * self.n_depots + region

    def _row(self, now: float, k: int, kind: int, quantity: int, filled: int, ticket: int) -> None:
        for name, value in (("at", now), ("inventory", k), ("kind", kind), ("quantity", quantity),
                            ("filled", filled), ("ticket", ticket), ("on_hand", self.on_hand[k]),
                            ("on_order", self.on_order[k]), ("backordered", self.backordered[k])):
            self.log[name].append(value)

    def demand(self, k: int, units: int, ticket: int, now: float, at_visit: bool) -> bool:
        """Take ``units`` for ``ticket``: True if taken from stock, False if backordered."""
        filled = not self.waiting[k] and self.on_hand[k] >= units
        if filled:
            self.on_hand[k] -= units
        else:
            self.waiting[k].append((ticket, units))
            self.backordered[k] += units
        self._row(now, k, VISIT if at_visit else DEMAND, units, units if filled else 0, ticket)
        return filled

    def reorder(self, k: int, now: float) -> int:
        """Units to order now under the (s, S) rule (0: none); the order counts as on order from now."""
        position = self.on_hand[k] + self.on_order[k] - self.backordered[k]
        if position > self.reorder_point[k]:
            return 0
        units = self.order_up_to[k] - position
        self.on_order[k] += units
        self._row(now, k, ORDER, units, 0, -1)
        return units

    def receive(self, k: int, units: int, now: float) -> list[int]:
        """An order arrives: fill the backorders it covers, first come first served; the tickets filled."""
        self.on_hand[k] += units
        self.on_order[k] -= units
        filled = []
        queue = self.waiting[k]
        while queue and self.on_hand[k] >= queue[0][1]:
            ticket, need = queue.popleft()
            self.on_hand[k] -= need
            self.backordered[k] -= need
            filled.append(ticket)
        self._row(now, k, RECEIPT, units, 0, -1)
        return filled

    def table(self) -> dict[str, np.ndarray]:
        return {name: np.frombuffer(values, np.float64 if values.typecode == "d" else np.int64)
                for name, values in self.log.items()}


@dataclass
class Parts:
    """The compiled spare-parts model of one replication."""

    part_names: list[str]
    depot_names: list[str]                   # one depot per region
    needs: list[list[list[PartNeed]]]        # [ticket type][stage] -> the step's part uses
    unit_cost: list[float]                   # part -> cost of one unit
    lead_time: list[Callable[[], float]]     # part -> sampler of an order's lead time (minutes)
    stock: Stock

    def take(self, need: PartNeed, region: int, ticket: int, now: float, at_visit: bool) -> tuple[bool, int, int]:
        """Demand ``need`` at the ticket's depot: ``(filled, inventory, units to order now)``."""
        k = self.stock.inventory(need.part, region)
        filled = self.stock.demand(k, need.quantity, ticket, now, at_visit)
        return filled, k, self.stock.reorder(k, now)


def compile_parts(s: Scenario, streams: Streams, stage_names: list[str], region_names: list[str],
                  attributes: dict[str, np.ndarray], attribute_values: dict[str, list[str]]) -> Parts | None:
    """The parts model of ``s`` for one replication (None: the scenario has no parts)."""
    if not s.parts:
        return None
    part_names = list(s.parts)
    codes = {name: values.tolist() for name, values in attributes.items()}
    needs: list[list[list[PartNeed]]] = []
    for tname, tt in s.ticket_types.items():
        row: list[list[PartNeed]] = [[] for _ in stage_names]
        for stage, step in tt.steps.items():
            for part, use in step.parts.items():
                only = tuple((codes[a], frozenset(attribute_values[a].index(v) for v in values))
                             for a, values in use.when.items())
                uniform = uniform_sampler(streams(f"parts/need/{tname}/{stage}/{part}").random)
                row[stage_names.index(stage)].append(PartNeed(part_names.index(part), use.probability, use.quantity,
                                                              use.known == "before_visit", uniform, only))
        needs.append(row)
    levels = [s.parts[p].stock_in(r) for p in part_names for r in region_names]
    stock = Stock([lv.reorder_point for lv in levels], [lv.order_up_to for lv in levels],
                  [lv.order_up_to if lv.initial is None else lv.initial for lv in levels], len(region_names))
    return Parts(part_names, list(region_names), needs, [s.parts[p].unit_cost for p in part_names],
                 [s.parts[p].lead_time.sampler(streams(f"parts/lead_time/{p}")) for p in part_names], stock)
