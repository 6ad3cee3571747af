"""Spare parts: stock under (s, S) rules checked against Palm's theorem, second visits and waits by hand, the stock
table's invariants, the KPIs on a hand-made table, and the scenario's errors."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import servsim
from helpers import BASELINE, SCENARIOS
from queueing_theory import base_stock
from servsim import ScenarioError
from servsim.inventory import part_kpis
from servsim.log import EventColumns
from servsim.scenario import load_scenario, scenario_from_dict

ALWAYS = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}


def depot_model(level: int, known: str = "at_visit", lead_time: dict | None = None, rate: str = "1/h",
                work: str = "60min", horizon: str = "20w") -> dict:
    """One repair stage with travel, whose work needs one widget, stocked at one depot under base stock ``level``."""
    return {
        "version": 1, "name": "depot", "clock": {"start": "2026-01-05 00:00", "horizon": horizon, "warmup": "1w"},
        "demand": {"channels": {"web": {"rate": rate}},
                   "mix": {"ticket_types": {"repair": 1.0}, "priorities": {"P1": 1.0}}},
        "teams": {"field": {"hourly_cost": 50, "shifts": {"all": {**ALWAYS, "headcount": 30}}}},
        "stages": {"visit": {"team": "field", "first_response": True, "visit_cost": 40,
                             "travel": {"kind": "constant", "value": "30min"}}},
        "ticket_types": {"repair": {"entry": "visit", "steps": {"visit": {
            "work": {"kind": "constant", "value": work}, "next": "resolve",
            "parts": {"widget": {"probability": 1.0, "known": known}}}}}},
        "priorities": {"P1": {"first_response": "1d", "resolution": "2d"}},
        "parts": {"widget": {"unit_cost": 100, "holding_cost": 2.0, "order_cost": 10,
                             "lead_time": lead_time or {"kind": "exponential", "mean": "6h"},
                             "stock": {"base_stock": level}}},
    }


def one_ticket(data: dict) -> servsim.SimulationResult:
    arrivals = pd.DataFrame({"created_at": [pd.Timestamp("2026-01-12 01:00")], "channel": ["web"],
                             "ticket_type": ["repair"], "priority": ["P1"]})
    return servsim.simulate(scenario_from_dict(data), seed=1, arrivals=arrivals)


def minutes(times: pd.Series) -> list[float]:
    return ((times - pd.Timestamp("2026-01-12 00:00")).dt.total_seconds() / 60).round(6).tolist()


@pytest.mark.parametrize("level", [6, 9])
def test_base_stock_fill_rate_stock_and_waits_match_palms_theorem(level):
    """Poisson demand (the part is known when the ticket arrives), exponential lead times, base stock S: the units
    on order are Poisson(lam L), so fill rate = P(X < S), mean on hand = E[(S - X)+] and the mean wait of a
    backordered demand = E[(X - S)+] / (lam (1 - fill rate))."""
    lam, lead = 1 / 60, 360.0
    exact = base_stock(level, lam, lead)
    runs = [servsim.simulate(scenario_from_dict(depot_model(level, "before_visit")), seed=13, replication=r).kpis()
            for r in range(10)]

    def interval(kpi: str) -> tuple[float, float]:
        x = np.array([r.overall[kpi] for r in runs])
        half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        return x.mean() - half, x.mean() + half

    for kpi, value in [("part_fill_rate", exact.fill_rate), ("stock_on_hand_mean", exact.mean_on_hand),
                       ("part_wait_mean_min", exact.mean_wait / (1 - exact.fill_rate))]:
        low, high = interval(kpi)
        assert low <= value <= high, (kpi, low, value, high)
    # a deeper stock is measurably better: the check above could not pass for both levels by accident
    assert abs(exact.fill_rate - base_stock(level + 3, lam, lead).fill_rate) > 0.1


def test_a_visit_without_the_part_is_a_diagnosis_and_a_second_visit_repairs():
    """No stock: the part is ordered when the technician leaves (t=60), the visit (60 min + 2 × 30 min travel) ends
    at 180, the part arrives at 660 (lead time 10 h) and the second visit runs 660-780. Travel and visit cost
    are paid twice, the part once."""
    result = one_ticket(depot_model(0, lead_time={"kind": "constant", "value": "10h"}))
    ev = result.events
    assert ev["activity"].astype(str).tolist() == ["visit", "waiting_for_part", "visit"]
    assert minutes(ev["enqueued_at"]) == [60, 180, 660]
    assert minutes(ev["started_at"]) == [60, 180, 660]
    assert minutes(ev["ended_at"]) == [180, 660, 780]
    ticket = result.tickets.iloc[0]
    assert minutes(pd.Series([ticket["resolved_at"]])) == [780]
    assert ticket["direct_cost"] == pytest.approx(2 * 40 + 100)
    stock = result.stock
    assert stock["kind"].astype(str).tolist() == ["start", "visit", "order", "receipt"]
    assert stock["filled"].tolist() == [0, 0, 0, 0]
    assert stock["on_hand"].tolist() == [0, 0, 0, 0]
    assert stock["backordered"].tolist() == [0, 1, 1, 0]


def test_a_part_that_arrives_during_the_visit_sends_the_technician_back_at_once():
    result = one_ticket(depot_model(0, lead_time={"kind": "constant", "value": "1h"}))
    assert result.events["activity"].astype(str).tolist() == ["visit", "visit"]
    assert minutes(result.events["started_at"]) == [60, 180]
    assert result.tickets.iloc[0]["direct_cost"] == pytest.approx(2 * 40 + 100)


def test_a_part_known_before_the_visit_is_waited_for_before_one_visit():
    result = one_ticket(depot_model(0, "before_visit", lead_time={"kind": "constant", "value": "10h"}))
    ev = result.events
    assert ev["activity"].astype(str).tolist() == ["waiting_for_part", "visit"]
    assert minutes(ev["enqueued_at"]) == [60, 660]
    assert minutes(ev["ended_at"]) == [660, 780]
    assert result.tickets.iloc[0]["direct_cost"] == pytest.approx(40 + 100)
    assert result.stock["kind"].astype(str).tolist() == ["start", "demand", "order", "receipt"]


def test_a_part_in_stock_costs_one_visit_and_no_wait():
    result = one_ticket(depot_model(2, lead_time={"kind": "constant", "value": "10h"}))
    assert result.events["activity"].astype(str).tolist() == ["visit"]
    assert result.stock["filled"].tolist() == [0, 1, 0, 0]
    assert result.stock["on_hand"].tolist() == [2, 1, 1, 2]  # base stock: the unit used is reordered at once


def test_the_sla_clock_pauses_for_parts_only_when_the_contract_says_so():
    data = depot_model(0, lead_time={"kind": "constant", "value": "10h"})
    assert one_ticket(data).tickets.iloc[0]["sla_paused_min"] == 0
    data["policies"] = {"sla_pauses_while_waiting_for_part": True}
    assert one_ticket(data).tickets.iloc[0]["sla_paused_min"] == pytest.approx(480)


def test_stock_table_follows_the_s_S_rule_and_conserves_units():
    """On the shipped scenario: every order restores the position to S from at or below s, and never otherwise;
    on hand never goes negative; filled demands match the drop in stock."""
    result = servsim.simulate(SCENARIOS / "field-parts.yaml", seed=3)
    scenario = result.scenario
    stock = result.stock
    assert (stock["on_hand"] >= 0).all() and (stock["backordered"] >= 0).all()
    for (part, depot), rows in stock.groupby(["part", "depot"], observed=True):
        level = scenario.parts[part].stock_in(depot)
        position = rows["on_hand"] + rows["on_order"] - rows["backordered"]
        orders = rows["kind"] == "order"
        assert (position[orders] == level.order_up_to).all(), (part, depot)
        before = position.shift(1)[orders]
        assert ((before - 0).le(level.reorder_point) | before.isna()).all()
        after_demand = position[rows["kind"].isin(["demand", "visit"]) & ~orders.shift(-1, fill_value=False)]
        assert (after_demand > level.reorder_point).all(), (part, depot)
        change = rows["on_hand"].diff().fillna(0)
        taken = rows["kind"].isin(["demand", "visit"])
        assert (change[taken] == -rows["filled"][taken]).all()
    # every stock-out is a second visit (parts are found at the visit), and the KPIs say so
    report = result.kpis().overall
    assert report["part_stockouts"] == report["second_visits"] > 0
    assert 0 < report["part_fill_rate"] < 1


def test_part_kpis_on_a_hand_made_stock_table():
    """One depot, window of two days: 2 on hand for a day, then 1 for a day; an order costs 10; holding 3/day."""
    day = 1440.0
    start = pd.Timestamp("2026-01-05")
    stock = pd.DataFrame({
        "at": start + pd.to_timedelta([-day, day, day, 1.5 * day], unit="min"),
        "part": ["widget"] * 4, "depot": ["north"] * 4, "kind": ["start", "visit", "order", "visit"],
        "quantity": [0, 1, 1, 2], "filled": [0, 1, 0, 0], "ticket_id": [-1, 7, -1, 8],
        "on_hand": [2, 1, 1, 1], "on_order": [0, 0, 1, 1], "backordered": [0, 0, 0, 2]})
    events = EventColumns.of(pd.DataFrame({
        "ticket_id": [8], "activity": ["waiting_for_part"], "pool": [None], "resource": [None],
        "enqueued_at": [start + pd.Timedelta(days=1.5)], "started_at": [pd.NaT], "ended_at": [pd.NaT]}), start)

    def at(table, column):
        return ((table[column] - start).dt.total_seconds() / 60).to_numpy()

    kpis = part_kpis(stock, events, {"widget": (100.0, 3.0, 10.0)}, at, 2 * day)
    assert kpis["part_fill_rate"] == pytest.approx(1 / 3)
    assert kpis["part_stockouts"] == 1 and kpis["second_visits"] == 1
    assert kpis["stock_on_hand_mean"] == pytest.approx(1.5)
    assert kpis["inventory_cost"] == pytest.approx(3.0 * (2 + 1) + 10)
    assert kpis["parts_cost"] == pytest.approx(300)
    assert kpis["part_wait_mean_min"] == pytest.approx(0.5 * day)  # open at the window's end
    assert kpis["part_fill_rate/widget"] == pytest.approx(1 / 3)


def test_a_ticket_moved_away_before_its_visit_uses_no_part_there_or_later():
    """A timer moves the ticket from the visit queue (at 01:00, nobody on duty) to a desk stage: the part found
    at the visit belongs to the visit, so no demand is made at the desk."""
    data = depot_model(2)
    data["teams"]["field"]["shifts"] = {"day": {"days": "Mon-Fri", "start": "09:00", "end": "17:00", "headcount": 1}}
    data["teams"]["desk"] = {"shifts": {"all": {**ALWAYS, "headcount": 1}}}
    data["stages"]["remote"] = {"team": "desk"}
    data["ticket_types"]["repair"]["steps"]["remote"] = {"work": {"kind": "constant", "value": "20min"},
                                                         "next": "resolve"}
    data["policies"] = {"timers": [{"name": "no_technician", "waiting_at": ["visit"], "after": "30min",
                                    "to": "remote"}]}
    result = one_ticket(data)
    assert result.events["activity"].astype(str).tolist() == ["visit", "remote"]
    assert result.stock["kind"].astype(str).tolist() == ["start"]
    assert result.tickets.iloc[0]["direct_cost"] == 0


def test_by_depot_and_a_changed_stock_level_round_trip():
    scenario = load_scenario(SCENARIOS / "field-parts.yaml")
    deeper = scenario.with_changes({"parts.printhead.stock.north.order_up_to": 9})
    assert deeper.parts["printhead"].stock_in("north").order_up_to == 9
    assert scenario_from_dict(deeper.model_dump(mode="json", by_alias=True)) == deeper
    report = servsim.simulate(deeper, seed=4).kpis()
    table = report.by_depot.set_index(["part", "depot"])
    assert set(table.index) == {(p, d) for p in scenario.parts for d in ("north", "south")}
    assert table["stockouts"].sum() == report.overall["part_stockouts"]
    assert table["inventory_cost"].sum() == pytest.approx(report.overall["inventory_cost"])
    assert report.to_dict()["by_depot"][0]["part"] == "printhead"


def test_a_scenario_without_parts_has_no_stock_table_and_no_part_activity():
    result = servsim.simulate(BASELINE, seed=1)
    assert result.stock is None
    assert "waiting_for_part" not in result.events["activity"].cat.categories
    assert "part_fill_rate" not in result.kpis().overall


def test_more_stock_means_fewer_second_visits_with_the_same_customers():
    lean = servsim.simulate(SCENARIOS / "field-parts.yaml", seed=2).kpis().overall
    deep = servsim.simulate(SCENARIOS / "field-parts-more-stock.yaml", seed=2).kpis().overall
    assert deep["part_fill_rate"] > lean["part_fill_rate"] + 0.2
    assert deep["second_visits"] < lean["second_visits"]
    assert deep["stock_on_hand_mean"] > lean["stock_on_hand_mean"]


def _part_at_a_customer_wait(data: dict) -> None:
    steps = data["ticket_types"]["repair"]["steps"]
    data["stages"]["wait"] = {}
    steps["wait"] = {"work": {"kind": "constant", "value": "1h"}, "next": "resolve", "parts": {"widget": {}}}
    steps["visit"]["next"] = {"resolve": 0.5, "wait": 0.5}


def _with(changes) -> dict:
    data = copy.deepcopy(depot_model(1))
    changes(data)
    return data


@pytest.mark.parametrize("change, field, message", [
    (lambda d: d["ticket_types"]["repair"]["steps"]["visit"]["parts"].update(wigdet={}),
     "ticket_types.repair.steps.visit.parts.wigdet", "unknown part 'wigdet'; did you mean 'widget'?"),
    (lambda d: d["parts"]["widget"].update(stock={"north": {"base_stock": 1}}),
     "parts.widget.stock", "no stock rule for region 'any'"),
    (lambda d: d["parts"]["widget"].update(stock={"reorder_point": 3, "order_up_to": 3}),
     "parts.widget.stock", "reorder_point (3) must be below order_up_to (3)"),
    (lambda d: d["parts"]["widget"].update(stock={"base_stock": 2, "order_up_to": 3}),
     "parts.widget.stock", "give either base_stock, or reorder_point and order_up_to"),
    (lambda d: d["ticket_types"]["repair"]["steps"]["visit"]["parts"]["widget"].update(when={"product": ["x"]}),
     "ticket_types.repair.steps.visit.parts.widget.when", "unknown attribute 'product'"),
    (lambda d: d["ticket_types"]["repair"]["steps"]["visit"]["parts"]["widget"].update(quantity=0),
     "quantity", "greater than or equal to 1"),
    (lambda d: d["stages"].update(waiting_for_part={}),
     "stages.waiting_for_part", "rename the stage"),
    (lambda d: d["parts"]["widget"].update(stock={"base_stock": 1.5}),
     "parts.widget.stock", "base_stock must be a whole number >= 0, got 1.5"),
    (lambda d: d["parts"]["widget"].update(stock={"any": {"base_stock": 1}, "nort": {"base_stock": 1}}),
     "parts.widget.stock.nort", "unknown region 'nort'"),
    (_part_at_a_customer_wait,
     "ticket_types.repair.steps.wait.parts.widget", "stage 'wait' has no team: nobody uses a part there"),
])
def test_part_errors_name_the_field(change, field, message):
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(_with(change))
    assert field in str(err.value) and message in str(err.value), str(err.value)


def test_a_when_value_the_attribute_never_takes_is_named():
    data = load_scenario(SCENARIOS / "field-parts.yaml").model_dump(mode="json", by_alias=True)
    data["ticket_types"]["hardware"]["steps"]["field_visit"]["parts"]["printhead"]["when"] = {"product": ["printr"]}
    with pytest.raises(ScenarioError, match="'printr' is not a value of 'product'; did you mean 'printer'"):
        scenario_from_dict(data)
