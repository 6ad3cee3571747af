"""Input uncertainty: re-calibrations on resampled history, experiments over them, and the split of an interval
into what the history cannot pin down and what simulation noise adds."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import servsim
from servsim.calibration.evidence.daily import DailyEvidence
from servsim.calibration.report import write_calibration, write_uncertainty
from servsim.calibration.uncertainty import _demand, _routes, resample
from servsim.cli import main
from servsim.erlang import erlang_c_mean_wait
from servsim.errors import ServsimError
from servsim.experiment.stats import input_interval, variance_split
from servsim.experiment.uncertain import changed_fields, robust_verdict, with_fields
from servsim.scenario import scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "calibration" / "sample"
PRESETS = ROOT / "calibration" / "presets"


# ------------------------------------------------------------------------------------------- the variance split
def test_the_split_recovers_known_components():
    """Outputs a_i + e_ij with Var(a) = 4 and Var(e) = 9: the split finds both within three standard errors."""
    rng = np.random.default_rng(7)
    n, r = 400, 3
    values = rng.normal(0, 2, (n, 1)) + rng.normal(0, 3, (n, r))
    input_var, sim_var, used = variance_split(values)
    se = np.sqrt(2 / (n - 1)) * (4 + 9 / r)  # of the between-draw variance
    assert used == n
    assert abs(input_var - 4) < 3 * se
    assert abs(sim_var - 9) < 3 * 9 * np.sqrt(2 / (n * (r - 1)))


def test_without_input_variance_the_interval_is_the_simulation_one():
    """Draws that differ only by simulation noise add nothing (up to the estimate's noise): the interval stays about
    the simulation-only t-interval, and its input share is small."""
    rng = np.random.default_rng(3)
    point = rng.normal(10, 1, 20)
    found = input_interval(point, rng.normal(10, 1, (30, 4)))
    half = found["high"] - found["mean"]
    sim_half = 2.093 * point.std(ddof=1) / np.sqrt(20)  # t(19)
    assert found["low"] < 10 < found["high"]
    assert sim_half * 0.99 < half < sim_half * 1.6
    assert found["input_share"] < 0.5


def _mmc(lam: float, c: int, mean: float, measure: float, name: str = "mmc") -> servsim.Scenario:
    warmup = 500.0
    return scenario_from_dict({
        "version": 1, "name": name,
        "clock": {"start": "2026-01-05 00:00", "horizon": warmup + measure, "warmup": warmup},
        "demand": {"channels": {"phone": {"rate": f"{float(lam)!r}/min", "mix": {"ticket_types": {"job": 1.0},
                                                                         "priorities": {"P1": 1.0}}}}},
        "teams": {"desk": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                              "headcount": c}}}},
        "stages": {"serve": {"team": "desk", "first_response": True}},
        "ticket_types": {"job": {"entry": "serve", "steps": {"serve": {"work": {"kind": "exponential",
                                                                                 "mean": mean},
                                                                        "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "30min", "resolution": "1h"}},
    }, source="M/M/c")


def test_the_split_recovers_the_input_variance_of_an_mmc_whose_rate_is_estimated():
    """M/M/2, service 1 min, arrival rate 1.2/min estimated from n = 400 observed arrivals: each draw's rate is
    the estimate's bootstrap, lambda x Gamma(n, 1/n); the mean wait's input variance is then known (its variance
    over the draws of the exact Erlang C wait; to first order W'(lambda)^2 lambda^2 / n). The split of simulated
    mean waits (40 draws x 3 replications) finds it within two of its own standard errors."""
    lam, c, mean, n = 1.2, 2, 1.0, 400
    rng = np.random.default_rng(11)
    rates = lam * rng.gamma(n, 1 / n, 40)
    exact = np.array([erlang_c_mean_wait(rate, mean, c) for rate in rates])
    truth = exact.var(ddof=1)
    h = 1e-4  # first order, as a check of the setting: the two agree within 15%
    slope = (erlang_c_mean_wait(lam + h, mean, c) - erlang_c_mean_wait(lam - h, mean, c)) / (2 * h)
    assert abs(truth / (slope**2 * lam**2 / n) - 1) < 0.5
    waits = np.array([[servsim.simulate(_mmc(rate, c, mean, 4000.0), seed=100 * k + r).kpis().overall["frt_mean_min"]
                       for r in range(3)] for k, rate in enumerate(rates)])
    input_var, sim_var, _ = variance_split(waits)
    se = np.sqrt(2 / (len(rates) - 1)) * (input_var + sim_var / 3)
    assert abs(input_var - truth) < 2 * se, (input_var, truth, se)
    assert input_var > 3 * sim_var / 3  # the setting is one where the history, not the simulation, dominates


def test_robust_verdicts():
    row = {"kpi": "sla_attainment", "difference": 0.02, "ci_low": 0.01, "ci_high": 0.03}
    assert robust_verdict(row | {"low": 0.005, "high": 0.035}) == "better, robustly"
    assert robust_verdict(row | {"low": -0.01, "high": 0.05}) == "better at the point estimate only"
    assert robust_verdict(row | {"ci_low": -0.01, "low": -0.02, "high": 0.06}) == "no detectable difference"
    assert robust_verdict({"kpi": "frt_p90_min", "difference": 5.0, "ci_low": 1.0, "ci_high": 9.0, "low": 0.5,
                           "high": 9.5}) == "worse, robustly"


# ----------------------------------------------------------------------------------------- carrying a change
def test_a_change_is_carried_to_a_draw_field_by_field():
    """What a change file changes in the point baseline is set on the draw; what the draw re-estimated stays."""
    point = {"name": "base", "teams": {"l2": {"shifts": {"day": {"headcount": 4, "start": "08:00"}}}},
             "ticket_types": {"a": {"steps": {"s": {"work": {"kind": "exponential", "mean": "10.0min"}}}}},
             "policies": {"vip_first": False}}
    change = {"name": "cut", "teams": {"l2": {"shifts": {"day": {"headcount": 3, "start": "08:00"},
                                                         "late": {"headcount": 1, "start": "17:00"}}}},
              "ticket_types": {"a": {"steps": {"s": {"work": {"kind": "exponential", "mean": "10.0min"}}}}}}
    draw = {"name": "base", "teams": {"l2": {"shifts": {"day": {"headcount": 4, "start": "08:00"}}}},
            "ticket_types": {"a": {"steps": {"s": {"work": {"kind": "exponential", "mean": "12.5min"}}}}},
            "policies": {"vip_first": False}}
    carried = with_fields(draw, changed_fields(change, point))
    assert carried["name"] == "cut"
    assert carried["teams"]["l2"]["shifts"] == change["teams"]["l2"]["shifts"]
    assert carried["ticket_types"]["a"]["steps"]["s"]["work"]["mean"] == "12.5min"  # the draw's own estimate
    assert "policies" not in carried  # the change left it out


# ------------------------------------------------------------------------------- resampling a calibrated log
@pytest.fixture(scope="module")
def calibrated():
    history = servsim.import_log(SAMPLE / "events.csv.gz", "events", PRESETS / "servsim-events.yaml")
    return history, servsim.calibrate(history)


def test_draws_are_complete_reproducible_and_spread_around_the_point(calibrated):
    _, cal = calibrated
    first, again = resample(cal, 6, seed=5), resample(cal, 6, seed=5)
    pd.testing.assert_frame_equal(first.factors, again.factors)
    assert not first.factors.equals(resample(cal, 6, seed=6).factors)
    assert len(first.scenarios) == 6 and all(s.clock == cal.scenario.clock for s in first.scenarios)
    rates = first.factors.filter(like="rate:")
    work = first.factors.filter(like="work:")
    assert set(work.columns) == {f"work:{team}" for team in cal.scenario.teams}
    for table in (rates, work):  # around the point, and not all at it
        assert abs(table.to_numpy().mean() - 1) < 0.05 and table.to_numpy().std() > 0.005
    # a draw's rate and work are the point's times its factors
    draw, row = first.scenarios[0], first.factors.iloc[0]
    for name, channel in draw.demand.channels.items():
        assert channel.rate == pytest.approx(cal.scenario.demand.channels[name].rate * row[f"rate:{name}"])
    step = next(iter(cal.scenario.ticket_types.values())).steps
    stage = next(s for s in step if cal.scenario.stages[s].team)
    team = cal.scenario.stages[stage].team
    drawn_step = next(iter(draw.ticket_types.values())).steps[stage]
    assert drawn_step.work.mean == pytest.approx(step[stage].work.mean * row[f"work:{team}"], rel=1e-9)


def test_bad_requests_for_draws_say_what_is_wrong(calibrated, capsys):
    _, cal = calibrated
    with pytest.raises(ServsimError, match="at least 2 re-calibrations"):
        resample(cal, 1)
    assert main(["calibrate", str(SAMPLE / "missing.csv"), "--format", "events", "--out", "unused",
                 "--uncertainty", "1"]) == 2  # said before the log is read (it is not there)
    assert "--uncertainty 1: input uncertainty needs at least 2" in capsys.readouterr().err
    short = dataclasses.replace(cal, daily=DailyEvidence(
        cal.daily.weekday[:10], *(frame.iloc[:10] for frame in (cal.daily.channels, cal.daily.types,
                                                                cal.daily.busy, cal.daily.pieces,
                                                                cal.daily.present))))
    with pytest.raises(ServsimError, match="at least 2 whole weeks"):
        resample(short, 5)


def test_a_type_absent_from_the_resampled_days_keeps_its_point_share_and_is_counted():
    days = pd.RangeIndex(14)
    types = pd.DataFrame({"common": 10.0, "rare": 0.0}, index=days)
    types.loc[3, "rare"] = 1.0
    daily = DailyEvidence(np.arange(14) % 7, pd.DataFrame({"web": 10.0}, index=days), types,
                          *(pd.DataFrame(index=days),) * 3)
    data = {"demand": {"channels": {"web": {"rate": "1.0/min"}}, "mix": {"ticket_types": {"common": 0.9,
                                                                                        "rare": 0.1}}}}
    kept: dict[str, int] = {}
    _demand(data, daily, np.array([0, 1, 2, 4, 5, 6, 7, 8, 9, 11, 12, 13, 0, 1]), kept)  # day 3 not drawn
    shares = data["demand"]["mix"]["ticket_types"]
    assert kept == {"ticket type rare": 1}
    assert shares["rare"] == pytest.approx(0.1 / 1.1 * 1.0, rel=0.2) and sum(shares.values()) == pytest.approx(1)


@pytest.mark.long
def test_calibrate_and_compare_with_input_uncertainty(calibrated, tmp_path, capsys):
    """The draws written next to a calibration are found by compare, which runs every scenario on each of them
    and prints both intervals, the input share and a verdict that says whether it holds across the history."""
    history, cal = calibrated
    write_calibration(cal, history.quality, tmp_path)
    written = write_uncertainty(resample(cal, 4, seed=1), tmp_path)
    assert [p.name for p in written[:4]] == ["draw_1.json", "draw_2.json", "draw_3.json", "draw_4.json"]
    assert main(["validate", str(written[0])]) == 0
    capsys.readouterr()
    out = tmp_path / "compare"
    assert main(["compare", str(tmp_path), "--set", "teams.l1.scale=0.5", "--replications", "2",
                 "--executor", "serial", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "on each of 4 re-calibrations" in printed
    assert "robustly" in printed  # half the first line: some KPI is worse whatever the history
    table = pd.read_csv(out / "comparison.csv")
    assert {"low", "high", "ci_low", "ci_high", "input_share", "verdict"} <= set(table.columns)
    assert (table["low"] <= table["difference"] + 1e-9).all() and (table["difference"] <= table["high"] + 1e-9).all()
    assert (out / "draws.png").stat().st_size > 10_000
    assert "What the history cannot pin down" in (out / "report.html").read_text(encoding="utf-8")
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0  # written again from the stored replications
    assert "What the history cannot pin down" in (out / "report.html").read_text(encoding="utf-8")
    assert "on the point calibration and 4 re-calibrations" in capsys.readouterr().out
    assert main(["compare", str(tmp_path), "--set", "teams.l1.scale=0.5", "--replications", "2",
                 "--executor", "serial", "--no-uncertainty"]) == 0
    assert "re-calibrations" not in capsys.readouterr().out
    sweep = tmp_path / "sweep"
    assert main(["sweep", str(tmp_path / "scenario.yaml"), "--set", "teams.l1.scale=0.5,1", "--replications", "2",
                 "--executor", "serial", "--kpi", "frt_p90_min", "--out", str(sweep)]) == 0
    assert "with input uncertainty (4 re-calibrations" in capsys.readouterr().out
    curves = pd.read_csv(sweep / "curves.csv")
    assert {"low", "high", "input_share"} <= set(curves.columns)
    assert "What the history cannot pin down" in (sweep / "report.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------- day-to-day variation
def test_a_daily_variation_makes_days_vary_as_much_and_keeps_the_mean():
    """demand.daily_variation 0.3: the daily counts of the baseline's weekdays have variance m + 0.09 m²
    (method of moments over 4 replications, within 30%) and the mean volume stays (within 5%)."""
    base = servsim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    varied = base.with_changes({"demand.daily_variation": 0.3})
    estimates, volumes = [], {0: [], 1: []}
    for r in range(4):
        for k, scenario in enumerate((base, varied)):
            created = servsim.simulate(scenario, seed=r).tickets["created_at"]
            volumes[k].append(len(created))
            if k:
                days = created.groupby(created.dt.floor("D")).size()
                weekday = days.index.day_of_week
                weekdays = days[weekday < 5]
                m, v = weekdays.mean(), weekdays.var(ddof=1)
                estimates.append((v - m) / m**2)
    assert abs(np.sqrt(np.mean(estimates)) / 0.3 - 1) < 0.3
    assert abs(np.mean(volumes[1]) / np.mean(volumes[0]) - 1) < 0.05


def test_the_variation_of_daily_volumes_is_measured_and_tested():
    """Eight weeks of daily counts: Poisson days are not called overdispersed; days whose rate varies by 25% are,
    and the variation is recovered within 0.08."""
    rng = np.random.default_rng(5)
    days = pd.RangeIndex(56)
    level = np.tile([300, 320, 310, 305, 280, 60, 40], 8).astype(float)

    def evidence(counts: np.ndarray) -> DailyEvidence:
        frame = pd.DataFrame({"web": counts.astype(float)}, index=days)
        return DailyEvidence(np.arange(56) % 7, frame, frame, *(pd.DataFrame(index=days),) * 3)

    _, p = evidence(rng.poisson(level)).variation()
    assert p > 0.01
    cv, p = evidence(rng.poisson(level * rng.gamma(16, 1 / 16, 56))).variation()
    assert p < 0.001 and abs(cv - 0.25) < 0.08


def test_the_optimiser_meets_its_requirements_across_the_history():
    """Re-calibrations that disagree on the volume (±15%): the cheapest staffing whose bounds include that
    uncertainty is no cheaper than the one on the point calibration alone, and its requirement's bound is the
    wider one."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from servsim.experiment.optimize import optimize
    from test_optimize import desk

    base = scenario_from_dict(desk())
    draws = [base.with_changes({"demand.channels.phone.rate": f"{rate}/h"}) for rate in (17, 20, 23, 18.5, 21.5)]
    levers, require = ["teams.l1.shifts.all.headcount=1..7"], ["frt_p90_min<=20min"]
    alone = optimize(base, levers, require, replications=3, seed=2, executor="serial")
    across = optimize(base, levers, require, replications=3, seed=2, executor="serial", draws=draws)
    assert alone.chosen is not None and across.chosen is not None
    lever = "teams.l1.shifts.all.headcount"
    assert across.chosen[lever] >= alone.chosen[lever]
    assert across.checks["holds"].all()
    assert any("includes input uncertainty" in note for note in across.notes) and not alone.notes
    if across.chosen[lever] == alone.chosen[lever]:
        assert across.checks["bound"].iloc[0] > alone.checks["bound"].iloc[0]


def test_a_work_content_only_bounded_is_drawn_within_its_band(calibrated):
    """Where a team's utilisation is assumed (the delay-plus-capacity model), each draw takes it within its band,
    and the team's work scales by the drawn utilisation over the assumed one (times the resampled work factor)."""
    _, cal = calibrated
    banded = dataclasses.replace(cal, work_band={"l1": (0.4, 0.6, 0.8)})
    plain, drawn = resample(cal, 8, seed=4).factors, resample(banded, 8, seed=4).factors
    u = drawn["utilisation:l1"]
    assert ((u >= 0.4) & (u <= 0.8)).all() and u.std() > 0.05
    assert np.allclose(drawn["work:l1"], plain["work:l1"] * u / 0.6)
    assert "utilisation:l2" not in drawn  # only the banded team


def test_route_shares_are_drawn_from_the_moves_they_rest_on(calibrated):
    """Each step's ways out are drawn around their point shares with the spread of the moves behind them (a share p
    of n moves: standard deviation about sqrt(p(1 - p) / n)); a sample pooled over types is drawn once for all."""
    _, cal = calibrated
    step = ("software", "l1_fix_l1")
    sample, moves = cal.route_samples[step]
    point = cal.scenario.ticket_types["software"].steps["l1_fix_l1"].next
    rng = np.random.default_rng(3)
    drawn = []
    for _ in range(200):
        data = {"ticket_types": {"software": {"steps": {"l1_fix_l1": {"next": dict(point)}}}}}
        _routes(data, {step: (sample, moves)}, rng)
        drawn.append(data["ticket_types"]["software"]["steps"]["l1_fix_l1"]["next"])
    for target, p in point.items():
        shares = np.array([d[target] for d in drawn])
        expected_sd = np.sqrt(p * (1 - p) / moves)
        assert abs(shares.mean() - p) < 4 * expected_sd / np.sqrt(len(shares))
        assert 0.8 < shares.std(ddof=1) / expected_sd < 1.2
    assert all(abs(sum(d.values()) - 1) < 1e-9 for d in drawn)
    pooled = {**cal.route_samples, ("billing", "intake_l1_sent"): ("*/intake_l1", 5000),
              ("software", "intake_l1_sent"): ("*/intake_l1", 5000)}
    for draw in resample(dataclasses.replace(cal, route_samples=pooled), 2, seed=1).scenarios:
        billing, software = (draw.ticket_types[t].steps["intake_l1_sent"].next for t in ("billing", "software"))
        assert billing == software != cal.scenario.ticket_types["software"].steps["intake_l1_sent"].next


def test_a_log_that_names_nobody_gets_demand_draws_only():
    """The sojourn-only skeleton (a ticket table without people): the draws re-estimate demand, not work."""
    history = servsim.import_log(SAMPLE / "tickets.csv.gz", "tickets", PRESETS / "servsim-tickets.yaml")
    cal = servsim.calibrate(history)
    factors = resample(cal, 3, seed=1).factors
    assert factors.filter(like="rate:").shape[1] >= 1 and factors.filter(like="work:").empty


def test_a_call_log_gets_draws_of_its_volume_mix_and_service_times():
    """A call-centre calibration keeps its days too: each draw re-estimates the calls' rate, the call-type mix and
    each team's service time per call and people on duty."""
    cal = servsim.calibrate(servsim.import_log(SAMPLE / "calls.txt.gz", "callcentre"))
    drawn = resample(cal, 3, seed=2)
    assert set(drawn.factors.filter(like="work:").columns) == {f"work:{t}" for t in cal.scenario.teams}
    assert "rate:phone" in drawn.factors and drawn.factors.filter(like="share:").shape[1] == len(
        cal.scenario.demand.mix.ticket_types)
    assert all(s.teams.keys() == cal.scenario.teams.keys() for s in drawn.scenarios)


def test_experiments_over_draws_refuse_what_they_cannot_do(tmp_path):
    """Fewer than two draws, draws of another window, --replications auto, and a folder that calibrate did not
    write: each is refused, saying what to do."""
    from servsim.experiment.uncertain import calibrated_scenario, run_uncertain

    base = _mmc(1.0, 2, 1.0, 500.0)
    other = base.model_copy(update={"clock": base.clock.model_copy(update={"horizon": 2000.0})})
    with pytest.raises(ServsimError, match="needs at least 2 draws; found 1"):
        run_uncertain([base], [base], 2)
    with pytest.raises(ServsimError, match="draw 2 has a different clock from the calibrated scenario"):
        run_uncertain([base], [base, other], 2)
    with pytest.raises(ServsimError, match="--replications auto is not available with input uncertainty"):
        run_uncertain([base], [base, base], "auto")
    with pytest.raises(ServsimError, match="a folder without scenario.yaml"):
        calibrated_scenario(tmp_path)
