"""The engine against exact queueing theory.

Each model is a scenario whose stationary behaviour is known exactly (``queueing_theory``):
M/M/c (Erlang C), M/M/c+M (Erlang A), a non-preemptive priority M/M/1 (Cobham) and an
L1 -> L2 open Jackson network. Every model runs ``R`` independent replications (one seed,
``replication = 0..R-1``); each replication gives one number per metric, the mean over the
customers who arrive in its measurement window; the exact value must lie in the Student-t
99% confidence interval of those ``R`` numbers. There are no hand-set tolerances.

Measurement window. Each run starts empty and idle, so the first ``warmup`` minutes are
discarded. The customers measured are those created in ``[warmup, warmup + measure)``;
the run goes on for a further ``cooldown`` minutes so that every one of them has been
answered (or has hung up, or is resolved) before the horizon — the measurement asserts it.
Dropping the still-open customers instead would drop the longest waits and bias the mean
down. Warm-ups are many relaxation times long (``1 / (sqrt(c mu) - sqrt(lam))^2`` for a
c-server queue), so the initial-transient bias left is orders of magnitude below the
confidence-interval half-widths.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import queueing_theory as qt
import servsim
from servsim.scenario import scenario_from_dict

SEED = int(os.environ.get("SERVSIM_THEORY_SEED", "20260105"))  # override to re-check with other streams
REPLICATIONS = 20
CONFIDENCE = 0.99


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Window:
    """Warm-up, measured and cool-down periods of one run, minutes."""

    warmup: float
    measure: float
    cooldown: float

    @property
    def horizon(self) -> float:
        return self.warmup + self.measure + self.cooldown


@dataclass(frozen=True)
class Arrivals:
    """One Poisson stream (a channel) of a single ticket type and priority."""

    rate: float                    # per minute
    ticket_type: str
    priority: str
    patience: float | None = None  # mean of an exponential patience, minutes; None = never abandons


def exponential(mean: float) -> dict:
    return {"kind": "exponential", "mean": mean}


def scenario_dict(name: str, window: Window, teams: dict[str, int], stages: dict[str, str],
                  ticket_types: dict[str, dict[str, tuple[float, str | dict[str, float]]]],
                  arrivals: dict[str, Arrivals], priorities: list[str]) -> dict:
    """A scenario dict for a queueing model.

    teams : team -> number of agents, all on duty around the clock.
    stages : stage -> team; the first stage listed is the first response.
    ticket_types : type -> {stage: (mean exponential work, route)}, entry = first step listed.
    arrivals : channel -> its stream; each channel carries one ticket type and one priority.
    priorities : most urgent first (the queue serves them in this order, non-preemptively).
    """
    first_stage = next(iter(stages))
    channels = {}
    for channel, a in arrivals.items():
        spec: dict = {"rate": f"{a.rate!r}/min",
                      "mix": {"ticket_types": {a.ticket_type: 1.0}, "priorities": {a.priority: 1.0}}}
        if a.patience is not None:
            spec["patience"] = exponential(a.patience)
        channels[channel] = spec
    return {
        "version": 1,
        "name": name,
        "clock": {"start": "2026-01-05 00:00", "horizon": window.horizon, "warmup": window.warmup},
        "demand": {"channels": channels},
        "teams": {team: {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00", "headcount": n}}}
                  for team, n in teams.items()},
        "stages": {stage: {"team": team, "first_response": stage == first_stage, "escalation": stage != first_stage}
                   for stage, team in stages.items()},
        "ticket_types": {
            ttype: {"entry": next(iter(steps)),
                    "steps": {stage: {"work": exponential(mean), "next": route}
                              for stage, (mean, route) in steps.items()}}
            for ttype, steps in ticket_types.items()
        },
        "priorities": {p: {"first_response": "30min", "resolution": "1h"} for p in priorities},
    }


def mmc_dict(name: str, window: Window, lam: float, c: int, mean_service: float,
             mean_patience: float | None = None) -> dict:
    """M/M/c, or M/M/c+M when ``mean_patience`` is given."""
    return scenario_dict(name, window, teams={"desk": c}, stages={"serve": "desk"},
                         ticket_types={"job": {"serve": (mean_service, "resolve")}},
                         arrivals={"phone": Arrivals(lam, "job", "P1", mean_patience)}, priorities=["P1"])


def priority_dict(name: str, window: Window, lams: list[float], means: list[float]) -> dict:
    """Non-preemptive priority M/M/1: class k has its own channel, rate, work mean and priority P{k+1}."""
    k = range(len(lams))
    return scenario_dict(name, window, teams={"desk": 1}, stages={"serve": "desk"},
                         ticket_types={f"class{i + 1}": {"serve": (means[i], "resolve")} for i in k},
                         arrivals={f"ch{i + 1}": Arrivals(lams[i], f"class{i + 1}", f"P{i + 1}") for i in k},
                         priorities=[f"P{i + 1}" for i in k])


def tandem_dict(name: str, window: Window, lam: float, c1: int, mean1: float, c2: int, mean2: float,
                p: float) -> dict:
    """L1 (c1 agents) then, with probability ``p``, L2 (c2 agents), then resolved."""
    return scenario_dict(name, window, teams={"l1": c1, "l2": c2}, stages={"l1": "l1", "l2": "l2"},
                         ticket_types={"job": {"l1": (mean1, {"resolve": 1.0 - p, "l2": p}),
                                               "l2": (mean2, "resolve")}},
                         arrivals={"phone": Arrivals(lam, "job", "P1")}, priorities=["P1"])


# --------------------------------------------------------------------------- measurement


def measured(result: servsim.SimulationResult, window: Window) -> pd.DataFrame:
    """Tickets created in the measurement window, with their times in minutes from the start (NaN = never)."""
    t = result.tickets
    start = pd.Timestamp(result.scenario.clock.start)
    out = pd.DataFrame({col.removesuffix("_at"): (t[col] - start).dt.total_seconds().to_numpy(float) / 60.0
                        for col in ("created_at", "first_response_at", "resolved_at", "abandoned_at")})
    out["priority"] = t["priority"].astype(str).to_numpy()
    out["n_escalations"] = t["n_escalations"].to_numpy()
    inside = (out["created"] >= window.warmup) & (out["created"] < window.warmup + window.measure)
    return out[inside.to_numpy()]


def first_stage_metrics(t: pd.DataFrame) -> dict[str, float]:
    """P(wait > 0) and mean wait; with abandonment, an abandoner's wait is its time to hang up."""
    answered, abandoned = ~np.isnan(t["first_response"]), ~np.isnan(t["abandoned"])
    assert (answered ^ abandoned).all(), "a measured ticket was neither answered nor abandoned: lengthen the cooldown"
    wait = np.where(answered, t["first_response"], t["abandoned"]) - t["created"]
    assert (wait >= 0).all()
    return {"p_wait": float(np.mean(wait > 0)), "mean_wait": float(np.mean(wait)),
            "p_abandon": float(np.mean(abandoned))}


def priority_metrics(t: pd.DataFrame) -> dict[str, float]:
    wait = (t["first_response"] - t["created"]).to_numpy()
    assert not np.isnan(wait).any(), "a measured ticket was never answered: lengthen the cooldown"
    return {f"mean_wait_{p}": float(wait[t["priority"].to_numpy() == p].mean()) for p in ("P1", "P2")}


def tandem_metrics(t: pd.DataFrame) -> dict[str, float]:
    sojourn = (t["resolved"] - t["created"]).to_numpy()
    assert not np.isnan(sojourn).any(), "a measured ticket was never resolved: lengthen the cooldown"
    return {"mean_sojourn": float(sojourn.mean()), "escalated": float(np.mean(t["n_escalations"] > 0))}


# --------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Model:
    """A scenario, how long to run it, what to measure per replication and the exact values."""

    scenario: dict
    window: Window
    metrics: Callable[[pd.DataFrame], dict[str, float]]  # measured tickets -> metric -> per-customer mean
    theory: dict[str, float]                              # metric -> exact stationary value


def _mmc(name: str, lam: float, c: int, mean: float, window: Window) -> Model:
    return Model(mmc_dict(name, window, lam, c, mean), window, first_stage_metrics,
                 {"p_wait": qt.erlang_c(c, lam, 1 / mean), "mean_wait": qt.mmc_mean_wait(c, lam, 1 / mean)})


def _erlang_a(name: str, lam: float, c: int, mean: float, patience: float, window: Window) -> Model:
    ea = qt.erlang_a(c, lam, 1 / mean, 1 / patience)
    return Model(mmc_dict(name, window, lam, c, mean, patience), window, first_stage_metrics,
                 {"p_abandon": ea.p_abandon, "p_wait": ea.p_wait, "mean_wait": ea.mean_wait})


def _priority(name: str, lams: list[float], means: list[float], window: Window) -> Model:
    waits = qt.cobham_priority_waits(lams, means)
    return Model(priority_dict(name, window, lams, means), window, priority_metrics,
                 {"mean_wait_P1": waits[0], "mean_wait_P2": waits[1]})


def _tandem(name: str, lam: float, c1: int, mean1: float, c2: int, mean2: float, p: float, window: Window) -> Model:
    return Model(tandem_dict(name, window, lam, c1, mean1, c2, mean2, p), window, tandem_metrics,
                 {"mean_sojourn": qt.jackson_tandem_sojourn(lam, c1, 1 / mean1, c2, 1 / mean2, p), "escalated": p})


def _concurrent(name: str, lam: float, people: int, slots: int, mean: float, window: Window) -> Model:
    """M/M/c with c = people x slots: each of a person's concurrent tickets is worked independently."""
    model = _mmc(name, lam, people * slots, mean, window)
    model.scenario["teams"]["desk"]["shifts"]["all"]["headcount"] = people
    model.scenario["teams"]["desk"]["concurrency"] = slots
    return model


def _rostered(name: str, lam: float, c: int, mean: float, window: Window) -> Model:
    """M/M/c staffed by a dated roster of hourly rows (consecutive rows must not break anyone's duty)."""
    model = _mmc(name, lam, c, mean, window)
    start = pd.Timestamp(model.scenario["clock"]["start"])
    hours = int(window.horizon // 60) + 1
    model.scenario["teams"]["desk"]["shifts"] = {}
    model.scenario["roster"] = [{"team": "desk", "start": str(start + pd.Timedelta(hours=h)),
                                 "end": str(start + pd.Timedelta(hours=h + 1)), "headcount": c} for h in range(hours)]
    return model


def _patience_by_type(name: str, lam: float, c: int, mean: float, patience: float, window: Window) -> Model:
    """Erlang A with the patience given per ticket type instead of per channel."""
    model = _erlang_a(name, lam, c, mean, patience, window)
    channel = model.scenario["demand"]["channels"]["phone"]
    channel["patience_by"] = {"by_type": {"job": channel.pop("patience")}}
    return model


def _wrap_up_mg1(name: str, lam: float, mean: float, wrap_up: float, window: Window) -> Model:
    """One person who wraps up for a constant ``wrap_up`` after each exponential service: for the queue this is
    M/G/1 with service S + wrap-up (the person is free exactly when both are done), so Pollaczek-Khinchine."""
    model = Model(mmc_dict(name, window, lam, 1, mean), window, first_stage_metrics, {})
    model.scenario["teams"]["desk"]["wrap_up"] = {"kind": "constant", "value": wrap_up}
    occupied, second_moment = mean + wrap_up, mean**2 + (mean + wrap_up) ** 2
    model.theory.update(p_wait=lam * occupied, mean_wait=qt.pollaczek_khinchine_wait(lam, occupied, second_moment))
    return model


def _wrap_up_loss(name: str, lam: float, c: int, mean: float, wrap_up: float, window: Window) -> Model:
    """Callers who hang up at once when nobody is free, people who wrap up (lognormal) after each call: Erlang B
    on the time a person is held, service plus wrap-up, whatever its distribution (Erlang B is insensitive)."""
    model = Model(mmc_dict(name, window, lam, c, mean, mean_patience=1e-7), window, first_stage_metrics, {})
    model.scenario["teams"]["desk"]["wrap_up"] = {"kind": "lognormal", "mean": wrap_up, "cv": 2.0}
    model.theory["p_abandon"] = qt.erlang_b(c, lam * (mean + wrap_up))
    return model


def _shortest_first(name: str, lam: float, mean: float, window: Window) -> Model:
    """One person who takes the waiting ticket with the least work first (``within_class: shortest_first``): the
    M/M/1 shortest-job-first mean wait; P(wait) stays rho, as with any order that keeps the person busy."""
    model = Model(mmc_dict(name, window, lam, 1, mean), window, first_stage_metrics, {})
    model.scenario["policies"] = {"within_class": "shortest_first"}
    model.theory.update(p_wait=lam * mean, mean_wait=qt.shortest_first_wait(lam, mean))
    return model


def _head_start(name: str, lams: list[float], c: int, mean: float, head_start: float, window: Window) -> Model:
    """M/M/c whose P1 callers queue with a head start over P2 callers (``queue: fifo``): both classes take the same
    exponential work, so the order does not change the number waiting (conservation): Erlang C overall."""
    streams = {f"ch{i + 1}": Arrivals(lam, "job", f"P{i + 1}") for i, lam in enumerate(lams)}
    model = Model(scenario_dict(name, window, teams={"desk": c}, stages={"serve": "desk"},
                                ticket_types={"job": {"serve": (mean, "resolve")}}, arrivals=streams,
                                priorities=["P1", "P2"]),
                  window, lambda t: {**first_stage_metrics(t), **priority_metrics(t)}, {})
    model.scenario["priorities"]["P1"]["head_start"] = head_start
    model.scenario["policies"] = {"queue": "fifo"}
    lam = sum(lams)
    model.theory.update(p_wait=qt.erlang_c(c, lam, 1 / mean), mean_wait=qt.mmc_mean_wait(c, lam, 1 / mean))
    return model


MODELS: dict[str, Model] = {
    # relaxation time 1 / (sqrt(c mu) - sqrt(lam))^2: 38 min at rho = 0.7, 1560 min at rho = 0.95
    "mmc_rho070": _mmc("mmc_rho070", lam=0.7, c=10, mean=10.0, window=Window(2_000, 40_000, 500)),
    "mmc_rho095": _mmc("mmc_rho095", lam=0.95, c=10, mean=10.0, window=Window(10_000, 100_000, 2_000)),
    # offered load 1.0 per server: only abandonment keeps it stable
    "erlang_a": _erlang_a("erlang_a", lam=1.0, c=10, mean=10.0, patience=20.0, window=Window(2_000, 30_000, 500)),
    # rho_1 = 0.2 (short jobs, urgent), rho_2 = 0.5; relaxation time about 290 min
    "priority_mm1": _priority("priority_mm1", lams=[0.04, 0.05], means=[5.0, 10.0],
                              window=Window(4_000, 400_000, 3_000)),
    # rho_L1 = 0.8, rho_L2 = 0.72; relaxation times about 90 and 130 min
    "tandem": _tandem("tandem", lam=0.8, c1=10, mean1=10.0, c2=4, mean2=12.0, p=0.3,
                      window=Window(3_000, 40_000, 1_000)),
    # 2 people x 5 concurrent tickets = M/M/10
    "concurrency": _concurrent("concurrency", lam=0.7, people=2, slots=5, mean=10.0,
                               window=Window(2_000, 40_000, 500)),
    "roster": _rostered("roster", lam=0.7, c=10, mean=10.0, window=Window(2_000, 40_000, 500)),
    # rho = 0.075 x (6 + 2) = 0.6: relaxation time about 200 min
    "wrap_up_mg1": _wrap_up_mg1("wrap_up_mg1", lam=0.075, mean=6.0, wrap_up=2.0, window=Window(2_000, 100_000, 1_000)),
    # 3 people held 5 min per call on average, 0.5 calls a minute: Erlang B(3, 2.5) = 0.28
    "wrap_up_loss": _wrap_up_loss("wrap_up_loss", lam=0.5, c=3, mean=4.0, wrap_up=1.0, window=Window(100, 20_000, 100)),
    # rho = 0.7, relaxation time about 190 min; first come, first served would wait 11.7 min on average, not 6.6
    "shortest_first": _shortest_first("shortest_first", lam=0.14, mean=5.0, window=Window(2_000, 200_000, 1_000)),
    # rho = 0.8, relaxation time about 90 min; a 5 min head start for a third of the callers
    "head_start": _head_start("head_start", lams=[0.3, 0.5], c=10, mean=10.0, head_start=5.0,
                              window=Window(2_000, 30_000, 500)),
    "patience_by_type": _patience_by_type("patience_by_type", lam=1.0, c=10, mean=10.0, patience=20.0,
                                          window=Window(2_000, 30_000, 500)),
}


@functools.cache
def replicate(model_name: str) -> dict[str, np.ndarray]:
    """Per-replication values of every metric of a model (computed once per test session)."""
    model = MODELS[model_name]
    scenario = scenario_from_dict(model.scenario)
    rows = []
    for r in range(REPLICATIONS):
        tickets = measured(servsim.simulate(scenario, seed=SEED, replication=r), model.window)
        rows.append({**model.metrics(tickets), "customers": len(tickets)})
    return {metric: np.array([row[metric] for row in rows]) for metric in rows[0]}


def t_interval(x: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Student-t confidence interval of the mean of the i.i.d. values ``x``."""
    mean, sem = float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(len(x)))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=len(x) - 1)) * sem
    return mean - half, mean + half


CASES = [(name, metric) for name, model in MODELS.items() for metric in model.theory]


@pytest.mark.parametrize(("model_name", "metric"), CASES, ids=[f"{m}-{k}" for m, k in CASES])
def test_exact_value_inside_confidence_interval(model_name: str, metric: str) -> None:
    runs = replicate(model_name)
    values = runs[metric]
    lo, hi = t_interval(values)
    exact = MODELS[model_name].theory[metric]
    print(f"\n{model_name:>12} {metric:<12} exact {exact:9.5f}  99% CI [{lo:9.5f}, {hi:9.5f}]"
          f"  half-width {100 * (hi - lo) / 2 / exact:5.2f}%  customers/replication >= {runs['customers'].min()}")
    assert lo <= exact <= hi, f"{model_name}: exact {metric} = {exact:.6g} outside the 99% CI [{lo:.6g}, {hi:.6g}]"


def test_a_head_start_serves_its_priority_sooner_but_not_first():
    """P1 waits less than P2 with a 5 min head start, yet more than under strict priority (an infinite head
    start), where P2 callers who waited over 5 min would never be served before a P1 caller."""
    finite = replicate("head_start")
    strict = MODELS["head_start"].scenario | {"policies": {"queue": "priority"}}
    strict["priorities"] = {p: {k: v for k, v in t.items() if k != "head_start"}
                            for p, t in strict["priorities"].items()}
    window = MODELS["head_start"].window
    first = [priority_metrics(measured(servsim.simulate(scenario_from_dict(strict), seed=SEED, replication=r),
                                       window))["mean_wait_P1"] for r in range(5)]
    assert t_interval(finite["mean_wait_P1"])[1] < t_interval(finite["mean_wait_P2"])[0]
    assert t_interval(np.array(first))[1] < t_interval(finite["mean_wait_P1"])[0]


def test_head_start_orders_the_queue_by_time_joined_less_the_head_start():
    """One person busy until 10 min; a regular caller joins at 1 min, a priority caller at 2 min: with a head
    start of 1.5 min the priority caller counts as joining at 0.5 and is served first; with 0.5 min, at 1.5, after."""
    base = mmc_dict("order", Window(0, 100, 0), 0.01, 1, 10.0)
    base["priorities"] = {"high": {"first_response": "1h", "resolution": "2h"},
                          "regular": {"first_response": "1h", "resolution": "2h"}}
    base["demand"]["channels"]["phone"]["mix"]["priorities"] = {"regular": 1.0}
    base["ticket_types"]["job"]["steps"]["serve"]["work"] = {"kind": "constant", "value": 10.0}
    base["policies"] = {"queue": "fifo"}
    start = pd.Timestamp(base["clock"]["start"])
    calls = pd.DataFrame({"created_at": [start, start + pd.Timedelta(minutes=1), start + pd.Timedelta(minutes=2)],
                          "channel": "phone", "ticket_type": "job", "priority": ["regular", "regular", "high"]})
    for head_start, order in ((1.5, ["regular", "high", "regular"]), (0.5, ["regular", "regular", "high"])):
        base["priorities"]["high"]["head_start"] = f"{head_start}min"
        t = servsim.simulate(scenario_from_dict(base), arrivals=calls).tickets.sort_values("first_response_at")
        assert t["priority"].astype(str).tolist() == order


def test_replications_are_reproducible_and_distinct():
    scenario = scenario_from_dict(mmc_dict("small", Window(100, 1_000, 100), 0.7, 10, 10.0, mean_patience=20.0))
    a, b = (servsim.simulate(scenario, seed=SEED, replication=1) for _ in range(2))
    pd.testing.assert_frame_equal(a.tickets, b.tickets)
    pd.testing.assert_frame_equal(a.events, b.events)
    other = servsim.simulate(scenario, seed=SEED, replication=2)
    assert not a.tickets["created_at"].equals(other.tickets["created_at"])


# --------------------------------------------------------------------------- the formulas themselves


def _erlang_c_direct(c: int, a: Fraction) -> Fraction:
    """Erlang C from its textbook sum, in exact rational arithmetic."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_erlang_c_with_one_server_is_rho():
    for rho in (0.1, 0.5, 0.9, 0.99):
        assert qt.erlang_c(1, rho, 1.0) == pytest.approx(rho, rel=1e-14)
        assert qt.mmc_mean_wait(1, rho, 1.0) == pytest.approx(rho / (1 - rho), rel=1e-12)  # M/M/1: rho / (mu - lam)


def test_erlang_c_closed_forms_and_textbook_sum():
    # M/M/2: C = 2 rho^2 / (1 + rho)
    for rho in (0.3, 0.75):
        assert qt.erlang_c(2, 2 * rho, 1.0) == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-13)
    for c, a in ((10, Fraction(7)), (10, Fraction(19, 2)), (50, Fraction(45)), (3, Fraction(1, 4))):
        assert qt.erlang_c(c, float(a), 1.0) == pytest.approx(float(_erlang_c_direct(c, a)), rel=1e-12)
    # a classic table value: Erlang B(10 servers, 7 erlangs) = 0.07874
    assert qt.erlang_b(10, 7.0) == pytest.approx(0.078741, abs=5e-7)
    assert qt.mmc_mean_wait(10, 0.95, 0.1) == pytest.approx(qt.erlang_c(10, 0.95, 0.1) / 0.05, rel=1e-14)


def test_erlang_a_without_abandonment_is_erlang_c():
    for c, lam, mu in ((10, 0.7, 0.1), (10, 0.95, 0.1), (1, 0.5, 1.0)):
        exact = qt.erlang_a(c, lam, mu, 0.0)
        assert exact.p_wait == pytest.approx(qt.erlang_c(c, lam, mu), rel=1e-10)
        assert exact.mean_wait == pytest.approx(qt.mmc_mean_wait(c, lam, mu), rel=1e-10)
        assert exact.p_abandon == 0.0
        # the limit theta -> 0 is continuous
        near = qt.erlang_a(c, lam, mu, 1e-9)
        assert near.p_wait == pytest.approx(exact.p_wait, rel=1e-5)
        assert near.mean_wait == pytest.approx(exact.mean_wait, rel=1e-5)


def test_erlang_a_with_patience_equal_to_service_is_an_infinite_server_queue():
    # theta = mu: the death rate is n mu in every state, so N ~ Poisson(a) (M/M/inf)
    c, lam, mu = 10, 1.0, 0.1
    a = lam / mu
    ea = qt.erlang_a(c, lam, mu, mu)
    poisson = stats.poisson(a)
    n = np.arange(c, 400)
    assert ea.p_wait == pytest.approx(poisson.sf(c - 1), rel=1e-10)
    assert ea.mean_queue == pytest.approx(float(np.sum((n - c) * poisson.pmf(n))), rel=1e-10)
    assert ea.p_abandon == pytest.approx(mu * ea.mean_queue / lam, rel=1e-14)


def test_erlang_a_overloaded_and_truncation():
    # twice the capacity: in fluid scale half the arrivals must abandon
    ea = qt.erlang_a(100, 200.0, 1.0, 1.0)
    assert ea.p_abandon == pytest.approx(0.5, abs=1e-3)
    assert 0.0 < qt.erlang_a(10, 1.0, 0.1, 0.05).p_abandon < 1.0
    # the kept states carry all but < 1e-12 of the mass: truncating later changes nothing
    small = qt.erlang_a(10, 1.0, 0.1, 0.05)
    assert small.states < 200
    assert small.p_abandon == pytest.approx(0.10391321232535754, rel=1e-9)


def test_cobham_one_class_is_pollaczek_khinchine():
    lam, mean = 0.08, 10.0
    (w,) = qt.cobham_priority_waits([lam], [mean])
    assert w == pytest.approx(qt.pollaczek_khinchine_wait(lam, mean, 2 * mean**2), rel=1e-14)
    assert w == pytest.approx(lam * mean**2 / (1 - lam * mean), rel=1e-14)  # M/M/1: rho / (mu - lam)
    # deterministic service (M/D/1): half the M/M/1 wait
    (wd,) = qt.cobham_priority_waits([lam], [mean], [mean**2])
    assert wd == pytest.approx(w / 2, rel=1e-14)


def test_cobham_satisfies_the_conservation_law():
    # Kleinrock: sum_k rho_k W_k equals rho times the FIFO wait for any work-conserving non-preemptive order
    lams, means = [0.04, 0.05, 0.01], [5.0, 10.0, 20.0]
    waits = qt.cobham_priority_waits(lams, means)
    rhos = [lam * m for lam, m in zip(lams, means)]
    lam, rho = sum(lams), sum(rhos)
    mean = rho / lam
    second = sum(lam_i * 2 * m * m for lam_i, m in zip(lams, means)) / lam
    fifo = qt.pollaczek_khinchine_wait(lam, mean, second)
    assert sum(r * w for r, w in zip(rhos, waits)) == pytest.approx(rho * fifo, rel=1e-13)
    assert waits == sorted(waits)  # more urgent classes wait less
    # W_0 = sum lam_i E[S_i^2] / 2 = 10; sigma = 0.2, 0.7, 0.9
    assert waits == pytest.approx([10 / 0.8, 10 / (0.8 * 0.3), 10 / (0.3 * 0.1)], rel=1e-13)


def test_jackson_tandem():
    # single servers: 1 / (mu1 - lam) + p / (mu2 - p lam)
    lam, mu1, mu2, p = 0.5, 1.0, 0.4, 0.3
    assert qt.jackson_tandem_sojourn(lam, 1, mu1, 1, mu2, p) == pytest.approx(1 / (mu1 - lam) + p / (mu2 - p * lam),
                                                                             rel=1e-13)
    assert qt.jackson_tandem_sojourn(0.8, 10, 0.1, 4, 1 / 12, 0.0) == pytest.approx(qt.mmc_mean_sojourn(10, 0.8, 0.1))
    # by Little's law: the same as the total number in system over lam
    lam, c1, mu1, c2, mu2, p = 0.8, 10, 0.1, 4, 1 / 12, 0.3
    n_in_system = lam * qt.mmc_mean_sojourn(c1, lam, mu1) + p * lam * qt.mmc_mean_sojourn(c2, p * lam, mu2)
    assert qt.jackson_tandem_sojourn(lam, c1, mu1, c2, mu2, p) == pytest.approx(n_in_system / lam, rel=1e-13)
