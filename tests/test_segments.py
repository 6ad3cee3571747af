"""Ticket attributes (product, ...), KPIs by segment and where the time goes — on simulated and imported logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import BASELINE, ROOT
from servsim import simulate
from servsim.errors import ScenarioError, ServsimError
from servsim.kpi import KpiContext, compute_kpis, outcomes
from servsim.segments import SEGMENT_KPIS, breakdown, dimensions, where_time_goes


def tiny_scenario() -> dict:
    """L1 answers and fixes most tickets; 30% go on to L2 or wait for the customer first. No reopens, no closing."""
    always = {"days": "Mon-Sun", "start": "00:00", "end": "24:00"}
    return {
        "version": 1, "name": "tiny", "clock": {"start": "2026-01-05 00:00", "horizon": "2w", "warmup": "2d"},
        "demand": {"channels": {"web": {"rate": "20/h"}},
                   "mix": {"ticket_types": {"issue": 1.0}, "priorities": {"P2": 0.5, "P3": 0.5}}},
        "teams": {"l1": {"shifts": {"all": {**always, "headcount": 4}}},
                  "l2": {"shifts": {"all": {**always, "headcount": 2}}}},
        "stages": {"answer": {"team": "l1", "first_response": True}, "l2": {"team": "l2", "escalation": True},
                   "customer": {}},
        "ticket_types": {"issue": {"entry": "answer", "steps": {
            "answer": {"work": {"kind": "exponential", "mean": "10min"},
                       "next": {"resolve": 0.7, "l2": 0.2, "customer": 0.1}},
            "customer": {"work": {"kind": "exponential", "mean": "2h"}, "next": "resolve"},
            "l2": {"work": {"kind": "exponential", "mean": "30min"}, "next": "resolve"}}}},
        "priorities": {"P2": {"first_response": "30min", "resolution": "2h"},
                       "P3": {"first_response": "2h", "resolution": "1d"}},
    }


@pytest.fixture(scope="module")
def baseline_run():
    return simulate(BASELINE, seed=3)


def _with_products(data: dict, hardware: dict[str, float] | None = None) -> dict:
    data = {**data, "demand": {**data["demand"], "mix": {**data["demand"]["mix"],
                                                          "attributes": {"product": {"app": 0.7, "portal": 0.3}}}}}
    if hardware is not None:
        types = dict(data["ticket_types"])
        types["hardware"] = {**types["hardware"], "attributes": {"product": hardware}}
        data["ticket_types"] = types
    return data


def test_attributes_are_drawn_with_their_shares_per_type_and_leave_every_other_draw_alone():
    from servsim.scenario import load_scenario

    base = load_scenario(BASELINE).model_dump(mode="json", by_alias=True)
    base["demand"]["mix"].pop("attributes")
    for tt in base["ticket_types"].values():
        tt.pop("attributes", None)
    plain = simulate(base, seed=5)
    labelled = simulate(_with_products(base, {"printer": 0.25, "kiosk": 0.75}), seed=5)
    t = labelled.tickets
    # the labels are extra: every other column of the log is the same ticket for ticket
    pd.testing.assert_frame_equal(t.drop(columns="product"), plain.tickets)
    hardware = t["ticket_type"] == "hardware"
    assert set(t.loc[hardware, "product"]) == {"printer", "kiosk"}
    assert set(t.loc[~hardware, "product"]) == {"app", "portal"}
    for mask, value, p in ((hardware, "kiosk", 0.75), (~hardware, "app", 0.7)):
        n = int(mask.sum())
        share = float((t.loc[mask, "product"] == value).mean())
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / n), (value, share, p)
    # common random numbers: changing hardware's shares keeps every other type's products
    other = simulate(_with_products(base, {"printer": 0.9, "kiosk": 0.1}), seed=5).tickets
    assert (other.loc[~hardware, "product"] == t.loc[~hardware, "product"]).all()
    assert (other.loc[hardware, "product"] != t.loc[hardware, "product"]).any()


@pytest.mark.parametrize("name, expected", [("ticket_type", "a column of the ticket log already"),
                                            ("Product", "lower-case letters")])
def test_an_attribute_may_not_shadow_a_column_or_be_no_identifier(name, expected):
    from servsim.scenario import scenario_from_dict

    data = tiny_scenario()
    data["demand"]["mix"]["attributes"] = {name: {"a": 1.0}}
    with pytest.raises(ScenarioError, match=expected):
        scenario_from_dict(data)


def test_breakdown_gives_each_segment_what_the_overall_kpis_give_its_tickets(baseline_run):
    r = baseline_run
    ctx = KpiContext.from_scenario(r.scenario, r.staffing)
    table = breakdown(r.tickets, ctx)
    assert set(table["dimension"]) == {"channel", "ticket_type", "priority", "tier", "region", "product"}
    o = outcomes(r.tickets, ctx)
    inside = r.tickets[o.inside]
    for row in table.itertuples(index=False):
        expected = o.block((inside[row.dimension].astype(str) == row.segment).to_numpy())
        for kpi in SEGMENT_KPIS:
            assert np.isclose(getattr(row, kpi), expected[kpi], equal_nan=True), (row.dimension, row.segment, kpi)
    # the priority segments are the by-priority table
    by_priority = table[table["dimension"] == "priority"].set_index("segment")
    report = compute_kpis(r.tickets, r.events, ctx)
    assert np.allclose(by_priority["sla_attainment"], report.by_priority.loc[by_priority.index, "sla_attainment"])
    assert report.by_segment.equals(table)


def test_a_dimension_splits_the_tickets_into_two_to_fifty_segments():
    """A label column is a dimension where its tickets hold 2 to ``MAX_SEGMENTS`` of its values; tickets without a
    value (code -1) and values no ticket holds count for nothing."""
    from servsim.segments import MAX_SEGMENTS, labelled_dimensions

    def column(n_names: int, codes: list[int]) -> tuple[np.ndarray, np.ndarray]:
        return np.array([f"v{k}" for k in range(n_names)], dtype=object), np.array(codes, np.int8)

    found = labelled_dimensions({
        "channel": column(3, [2, 2, 2, -1]),  # one value held (and one ticket without): no dimension
        "region": column(3, [-1, 0, -1, 2]),  # two of three held: a dimension
        "tier": column(2, [-1, -1, -1, -1]),  # none held
        "product": column(MAX_SEGMENTS + 10, [0, 1, 2, 3]),  # many values, four held: a dimension
        "serial": column(120, list(range(MAX_SEGMENTS + 1))),  # every ticket its own: an identifier
        "model": column(120, [5] * 10 + [-1])})  # many values, one held
    assert list(found) == ["region", "product"]


def test_where_the_time_goes_adds_up_to_the_time_to_resolution():
    """Without reopens or closing work a ticket's activities follow on from creation to resolution, so the time
    per ticket summed over stages is the mean time until resolution (or the window's end)."""
    data = tiny_scenario()
    r = simulate(data, seed=2)
    ctx = KpiContext.from_scenario(r.scenario, r.staffing)
    table = where_time_goes(r.tickets, r.events, ctx, ())
    o = outcomes(r.tickets, ctx)
    t = r.tickets[o.inside]
    span = (ctx.window_end - ctx.window_start).total_seconds() / 60
    created = (t["created_at"] - ctx.window_start).dt.total_seconds() / 60
    until = ((t["resolved_at"] - ctx.window_start).dt.total_seconds() / 60).fillna(span).clip(upper=span)
    per_ticket = table[["wait_min", "work_min", "delay_min"]].to_numpy().sum()
    assert per_ticket == pytest.approx(float((until - created).mean()), rel=1e-9)
    assert table["share_of_time"].sum() == pytest.approx(1.0)


def test_where_the_time_goes_names_the_stage_where_missed_tickets_lost_time():
    """Hand-made log: two tickets met their 60-min target, two missed it because of a long wait at l2."""
    at = pd.Timestamp("2026-01-05 08:00")

    def m(minutes):
        return at + pd.Timedelta(minutes=minutes)

    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3, 4], "created_at": [m(0)] * 4, "channel": "web", "category": "x",
        "priority": "P1", "tier": "std", "region": ["north", "north", "south", "south"],
        "first_response_at": [m(5)] * 4, "resolved_at": [m(30), m(40), m(200), m(300)], "closed_at": pd.NaT,
        "abandoned_at": pd.NaT, "n_escalations": [0, 0, 1, 1], "n_reopens": 0, "final_stage": "l2"})
    ev = []
    for tid, (l1_end, l2_wait) in zip([1, 2, 3, 4], [(30, None), (40, None), (50, 100), (60, 200)]):
        ev.append((tid, "l1", "l1", "a", m(0), m(5), m(l1_end)))
        if l2_wait:
            end = 200 if tid == 3 else 300
            ev.append((tid, "l2", "l2", "b", m(l1_end), m(l1_end + l2_wait), m(end)))
    events = pd.DataFrame(ev, columns=["ticket_id", "activity", "pool", "resource", "enqueued_at", "started_at",
                                       "ended_at"])
    ctx = KpiContext(m(0), m(24 * 60), {"P1": (15.0, 60.0)})
    table = where_time_goes(tickets, events, ctx, ("region",)).set_index(["region", "stage"])
    south_l2 = table.loc[("south", "l2")]
    assert south_l2["missed"] == 2 and south_l2["visits"] == 2
    assert south_l2["wait_min"] == pytest.approx(150.0)        # (100 + 200) / 2 tickets
    assert south_l2["work_min"] == pytest.approx(45.0)         # (50 + 40) / 2
    assert table.loc[("north", "l1"), "wait_min"] == pytest.approx(5.0)
    everyone = where_time_goes(tickets, events, ctx, ()).set_index("stage")
    # the tickets that missed spent (150 + 240) / 2 = 195 min at l2, those that met it none
    assert everyone.loc["l2", "extra_when_missed_min"] == pytest.approx(195.0)
    assert everyone.index[0] == "l2"  # the biggest share of time first


def test_an_unknown_breakdown_column_is_a_clear_error(baseline_run):
    r = baseline_run
    with pytest.raises(ServsimError, match="no column 'nope'.*product"):
        where_time_goes(r.tickets, r.events, KpiContext.from_scenario(r.scenario, r.staffing), ("nope",))
    assert dimensions(r.tickets)[-1] == "product"


def test_imports_carry_mapped_attributes_and_name_a_missing_column(tmp_path):
    from servsim.calibration.importers.tickets import import_tickets, load_ticket_mapping

    sample = ROOT / "calibration" / "sample" / "tickets.csv.gz"
    mapping = load_ticket_mapping(ROOT / "calibration" / "presets" / "servsim-tickets.yaml")
    mapping.columns.attributes = {"product": "product"}
    result = import_tickets(sample, mapping)
    assert set(result.tickets["product"].dropna()) == {"app", "portal", "printer", "scanner", "kiosk"}
    broken = mapping.model_copy(deep=True)
    broken.columns.attributes = {"product": "produkt"}
    with pytest.raises(ServsimError, match="columns.attributes.product: column 'produkt' is not in"):
        import_tickets(sample, broken)


def test_kpis_of_all_groups_at_once_are_those_of_each_group_taken_alone(baseline_run):
    """``Outcomes.by_groups`` (one stacked pass for every grouping) against numpy on each group's own tickets."""
    r = baseline_run
    o = outcomes(r.tickets, KpiContext.from_scenario(r.scenario, r.staffing))
    inside = r.tickets[o.inside]
    dims = ["channel", "priority", "region", "region outside the first channel"]
    codes = [pd.Categorical(inside[d]).codes for d in dims[:3]]
    codes.append(np.where(codes[0] == 0, codes[2], -1))  # tickets in no group, among others
    stacked = o.by_groups([(c, int(c.max()) + 1) for c in codes])
    for dim, c, kpis in zip(dims, codes, stacked):
        for k in range(int(c.max()) + 1):
            mask = c == k
            frt, ttr = o.frt[o.responded & mask], o.ttr[o.resolved & mask]
            expected = {"tickets": mask.sum(), "frt_mean_min": frt.mean(), "frt_p90_min": np.quantile(frt, 0.9),
                        "ttr_p50_min": np.quantile(ttr, 0.5), "ttr_p90_min": np.quantile(ttr, 0.9),
                        "frt_within_target": (o.frt_met & o.frt_known & mask).sum() / (o.frt_known & mask).sum(),
                        "resolved_by_horizon": (o.resolved & o.human & mask).sum() / (o.human & mask).sum(),
                        "sla_attainment": (o.frt_met & o.ttr_met & o.frt_known & o.ttr_known & mask).sum()
                        / (o.frt_known & o.ttr_known & mask).sum()}
            for kpi, value in expected.items():
                assert kpis[kpi][k] == pytest.approx(value, rel=1e-12), (dim, k, kpi)
    # the time distributions a replication keeps are those of the same tickets
    report = r.kpis()
    assert report.time_quantiles["frt"][90] == pytest.approx(report.overall["frt_p90_min"], rel=1e-12)
    assert report.time_quantiles["ttr"][[50, 90]] == pytest.approx(
        [report.overall["ttr_p50_min"], report.overall["ttr_p90_min"]], rel=1e-12)
    assert report.time_quantiles["ttr"][0] == o.ttr[o.resolved].min()
    # a group without tickets: no count, no times, no shares
    empty = o.by_group(np.full(len(o.frt), -1), 2)
    assert list(empty["tickets"]) == [0, 0] and np.isnan(empty["ttr_p90_min"]).all()
    assert np.isnan(empty["sla_attainment"]).all()
