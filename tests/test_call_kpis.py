"""Call-centre KPIs: exact against Erlang A on an M/M/c+M desk, their definitions on a hand-made log, and how
they are shown."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import servsim
from servsim.call_kpis import call_kpis
from servsim.erlang import erlang_a
from servsim.kpi import describe, format_change, format_value, headline_kpis
from servsim.scenario import scenario_from_dict

LAM, AGENTS, SERVICE, PATIENCE = 1.0, 9, 8.0, 10.0  # per minute, agents, minutes, minutes: load 8 Erlangs


def erlang_a_desk(service_level: dict | None = None) -> dict:
    """An M/M/9+M telephone desk around the clock: Poisson calls, exponential service and patience."""
    return {
        "version": 1, "name": "erlang_a",
        "clock": {"start": "2026-01-05 00:00", "horizon": "15d", "warmup": "1d"},
        "demand": {"channels": {"phone": {"rate": f"{LAM}/min", "patience": {"kind": "exponential", "mean": PATIENCE},
                                          "mix": {"ticket_types": {"call": 1.0}, "priorities": {"P1": 1.0}}}}},
        "teams": {"agents": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                                "headcount": AGENTS}}}},
        "stages": {"answer": {"team": "agents", "first_response": True}},
        "ticket_types": {"call": {"entry": "answer", "steps": {"answer": {
            "work": {"kind": "exponential", "mean": SERVICE}, "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "20s", "resolution": "1h"}},
        **({"service_level": service_level} if service_level else {}),
    }


@pytest.fixture(scope="module")
def replications() -> list[dict[str, float]]:
    scenario = scenario_from_dict(erlang_a_desk(), source="test")
    return [servsim.simulate(scenario, seed=seed).kpis().overall for seed in range(6)]


def test_the_kpis_of_an_mmc_m_desk_are_erlang_a(replications):
    """Service levels within 20 s and 60 s, P(wait > 0), abandonment and occupancy: each exact value inside the
    99% Student-t interval of six replications of two weeks."""
    exact = erlang_a(LAM, SERVICE, PATIENCE, AGENTS)
    expected = {"service_level_20s": exact.service_level(20 / 60), "service_level_60s": exact.service_level(1.0),
                "waited_share": exact.p_wait, "abandonment_rate": exact.abandonment, "occupancy": exact.occupancy}
    for kpi, value in expected.items():
        x = np.array([r[kpi] for r in replications])
        half = stats.t.ppf(0.995, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
        assert abs(x.mean() - value) <= half, (kpi, x.mean(), value, half)
    # the mean wait of the answered (ASA) is below the mean wait of every caller that Erlang A gives
    asa = np.mean([r["asa_min"] for r in replications])
    assert 0 < asa < exact.mean_wait
    assert all(r["calls_offered"] == r["tickets"] for r in replications)


def test_the_definitions_on_a_hand_made_log():
    """Six calls: answered at once, after 15 s, after 50 s and after 2 min; one hangs up after 3 s (a short
    abandon), one after 40 s; and one ticket that is not a call."""
    is_call = np.array([True] * 6 + [False])
    answer = np.array([0.0, 0.25, 50 / 60, 2.0, np.nan, np.nan, 0.0])
    abandon = np.array([np.nan, np.nan, np.nan, np.nan, 3 / 60, 40 / 60, np.nan])
    offered = call_kpis(is_call, answer, abandon, [20 / 60, 1.0], 5 / 60, "offered")
    assert offered == pytest.approx({"calls_offered": 6, "asa_min": (0 + 0.25 + 50 / 60 + 2) / 4,
                                     "waited_share": 5 / 6, "short_abandon_rate": 1 / 6,
                                     "service_level_20s": 2 / 6, "service_level_60s": 3 / 6})
    less_short = call_kpis(is_call, answer, abandon, [20 / 60], 5 / 60, "offered_less_short_abandons")
    assert less_short["service_level_20s"] == pytest.approx(2 / 5)


def test_the_scenario_sets_the_thresholds_and_what_they_are_a_share_of():
    data = erlang_a_desk({"thresholds": ["30s", "10s"], "short_abandon": "10s",
                          "out_of": "offered_less_short_abandons"})
    data["clock"]["horizon"] = "3d"
    overall = servsim.simulate(scenario_from_dict(data, source="test"), seed=1).kpis().overall
    assert "service_level_20s" not in overall
    assert 0 < overall["service_level_10s"] < overall["service_level_30s"] < 1
    for bad, field in (({"thresholds": ["20.5s"]}, "thresholds"), ({"out_of": "answered"}, "out_of")):
        with pytest.raises(servsim.ScenarioError, match=field):
            scenario_from_dict(erlang_a_desk(bad), source="test")


def test_a_desk_where_nobody_hangs_up_has_no_call_kpis():
    data = erlang_a_desk()
    del data["demand"]["channels"]["phone"]["patience"]
    data["clock"]["horizon"] = "3d"
    data["teams"]["agents"]["shifts"]["all"]["headcount"] = 10
    overall = servsim.simulate(scenario_from_dict(data, source="test"), seed=1).kpis().overall
    assert not any(k.startswith(("service_level_", "asa_", "calls_")) for k in overall) and "occupancy" not in overall


def test_how_call_kpis_read():
    assert describe("service_level_20s") == ("answered within 20 s", "%", 1)
    assert describe("asa_min")[2] == -1 and describe("waited_share")[2] == -1
    assert format_value("asa_min", 0.5) == "30.0s" and format_change("asa_min", -0.05) == "-3.0s"
    assert headline_kpis(["cost_total", "service_level_60s", "asa_min", "service_level_20s", "sla_attainment"]) == [
        "sla_attainment", "service_level_20s", "service_level_60s", "asa_min", "cost_total"]


def test_a_sweep_shows_by_default_what_moves_against_its_noise(tmp_path, capsys):
    """Agents 9 or 11 on the M/M/c+M desk: three KPIs that move far beyond their noise, then the cost; nothing
    that stands still. The user's --kpi come first."""
    import yaml

    from servsim.cli import main
    from servsim.experiment import run_sweep

    data = erlang_a_desk()
    data["clock"]["horizon"] = "4d"
    data["teams"]["agents"]["hourly_cost"] = 20
    sweep = run_sweep(scenario_from_dict(data, source="test"), [("teams.agents.shifts.all.headcount", [9, 11])], 3,
                      executor="serial", progress=False)
    moving = sweep.moving_kpis()
    assert len(moving) == 4 and moving[-1] == "cost_total"
    assert "resolution_within_target" not in moving  # every call ends within the hour's target either way
    path = tmp_path / "desk.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["sweep", str(path), "--set", "teams.agents.shifts.all.headcount=9,11", "--replications", "2",
                 "--executor", "serial", "--kpi", "ttr_p50_min", "--quiet"]) == 0
    header = capsys.readouterr().out.splitlines()[1]
    assert header.split()[1] == "ttr_p50_min" and "cost_total" in header  # the user's first, then what moves


def test_an_overloaded_desk_of_callers_who_hang_up_is_not_said_to_grow_without_bound():
    from servsim.scenario.load_check import check_load

    data = erlang_a_desk()
    data["teams"]["agents"]["shifts"]["all"]["headcount"] = 6  # 8 Erlangs offered
    (warning,) = check_load(scenario_from_dict(data, source="test")).warnings()
    assert "many callers will hang up" in warning and "without bound" not in warning
    del data["demand"]["channels"]["phone"]["patience"]
    (warning,) = check_load(scenario_from_dict(data, source="test")).warnings()
    assert "grows without bound" in warning
