"""Spare-part KPIs from the stock table (one row per change of stock at a depot, ``SimulationResult.stock``).

Over the measurement window:

- ``part_fill_rate``: share of the units demanded that were taken from stock at once (not backordered);
- ``part_stockouts``: demands that found no stock (backordered);
- ``second_visits``: visits that found a part missing, so the fix needed another visit;
- ``part_wait_mean_min``: mean time a ticket waited for parts, per wait begun in the window (an open wait counts
  until the window's end);
- ``stock_on_hand_mean``: units on hand, time average, all parts and depots together;
- ``inventory_cost``: holding cost (units on hand × days × the part's ``holding_cost``) plus ``order_cost`` per
  replenishment order; ``parts_cost``: units demanded × ``unit_cost`` (already in the tickets' ``direct_cost``).

Fill rate and stock-outs are also given per part (``part_fill_rate/printhead``), and every figure per part and
depot in :func:`by_depot`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .log import EventColumns
from .scenario.model import WAITING_FOR_PART

STOCK_COLUMNS = ["at", "part", "depot", "kind", "quantity", "filled", "ticket_id", "on_hand", "on_order",
                 "backordered"]
PartCosts = dict[str, tuple[float, float, float]]  # part -> (unit cost, holding cost per unit-day, order cost)


def part_kpis(stock: pd.DataFrame, events: EventColumns, costs: PartCosts, minutes, span: float,
              depots: pd.DataFrame | None = None) -> dict[str, float]:
    """The spare-part KPIs over the window ``[0, span)`` minutes (``minutes(table, column)``: a time column in
    minutes from the window's start; ``events`` in minutes from it too), summed from :func:`by_depot` (computed
    here unless given)."""
    if depots is None:
        depots = by_depot(stock, costs, minutes, span)
    t = minutes(stock, "at")
    kind = stock["kind"].astype(str).to_numpy()
    unfilled_visit = (t >= 0) & (t < span) & (kind == "visit") & (stock["filled"] < stock["quantity"]).to_numpy()
    filled = depots["fill_rate"].fillna(0.0) * depots["demanded"]
    demanded = depots["demanded"].astype(float)
    unit = np.array([costs.get(p, (0.0, 0.0, 0.0))[0] for p in depots["part"]])
    out: dict[str, float] = {
        "part_fill_rate": _ratio(filled.sum(), demanded.sum()),
        "part_stockouts": int(depots["stockouts"].sum()),
        "second_visits": int(len(stock.loc[unfilled_visit, ["ticket_id", "at"]].drop_duplicates())),
        "part_wait_mean_min": _mean_wait(events, span),
        "stock_on_hand_mean": float(depots["on_hand_mean"].sum()) if span > 0 else float("nan"),
        "inventory_cost": float(depots["inventory_cost"].sum()),
        "parts_cost": float((unit * demanded).sum()),
    }
    per_part = depots.assign(filled=filled).groupby("part", sort=False)[["filled", "demanded", "stockouts"]].sum()
    for name, row in per_part.iterrows():
        out[f"part_fill_rate/{name}"] = _ratio(row["filled"], row["demanded"])
        out[f"part_stockouts/{name}"] = int(row["stockouts"])
    return out


def by_depot(stock: pd.DataFrame, costs: PartCosts, minutes, span: float) -> pd.DataFrame:
    """Per part and depot over the window: units demanded, fill rate, stock-outs, mean on hand, orders placed and
    inventory cost (holding and ordering)."""
    missing = [c for c in STOCK_COLUMNS if c not in stock.columns]
    if missing:
        raise ValueError(f"stock table lacks column(s) {missing}; expected {STOCK_COLUMNS}")
    t = minutes(stock, "at")
    inside = (t >= 0) & (t < span)
    kind = stock["kind"].astype(str).to_numpy()
    demand = inside & np.isin(kind, ["demand", "visit"])
    quantity, filled = stock["quantity"].to_numpy(float), stock["filled"].to_numpy(float)
    held = _level_minutes(stock, t, span)
    frame = pd.DataFrame({
        "part": stock["part"].astype(str), "depot": stock["depot"].astype(str),
        "demanded": np.where(demand, quantity, 0.0), "filled": np.where(demand, filled, 0.0),
        "stockouts": demand & (filled < quantity), "unit_minutes": held, "orders": inside & (kind == "order")})
    out = frame.groupby(["part", "depot"], sort=False).sum()
    holding = np.array([costs.get(p, (0.0, 0.0, 0.0))[1] for p, _ in out.index])
    ordering = np.array([costs.get(p, (0.0, 0.0, 0.0))[2] for p, _ in out.index])
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(out["demanded"] > 0, out["filled"] / out["demanded"], np.nan)
    return pd.DataFrame({
        "demanded": out["demanded"].astype(int), "fill_rate": fill, "stockouts": out["stockouts"].astype(int),
        "on_hand_mean": out["unit_minutes"] / span if span > 0 else np.nan, "orders": out["orders"].astype(int),
        "inventory_cost": out["unit_minutes"] * holding / 1440.0 + out["orders"] * ordering,
    }, index=out.index).reset_index()


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def _level_minutes(stock: pd.DataFrame, t: np.ndarray, span: float) -> np.ndarray:
    """Per row, units on hand after it × the minutes of the window they stay (until the inventory's next row)."""
    inventory = pd.factorize(stock["part"].astype(str) + "\0" + stock["depot"].astype(str))[0]
    order = np.argsort(inventory, kind="stable")  # rows of one inventory together, in time order
    codes = inventory[order]
    same = np.append(codes[:-1] == codes[1:], False)  # the next row is of the same inventory
    start = t[order]
    end = np.where(same, np.append(start[1:], span), span)
    held = np.clip(np.minimum(end, span) - np.maximum(start, 0.0), 0.0, None)
    out = np.empty(len(order))
    out[order] = held * stock["on_hand"].to_numpy(float)[order]
    return out


def _mean_wait(events: EventColumns, span: float) -> float:
    waits = events.labels("activity") == WAITING_FOR_PART
    if not waits.any():
        return float("nan")
    began = events.minutes["enqueued_at"][waits]
    ended = np.fmin(np.nan_to_num(events.minutes["ended_at"][waits], nan=span), span)
    inside = (began >= 0) & (began < span)
    return float((ended - began)[inside].mean()) if inside.any() else float("nan")
