"""Delay plus capacity: making a model calibrated on a completion-only ticket log answer staffing questions.

A ticket export records when a ticket was answered and resolved, not how long anyone worked on it: people hold
many tickets at once, and most of a ticket's time in a stage is waiting (for a colleague, a vendor, the next
morning). The skeleton built by ``build`` reproduces those sojourns as team-less delays. This module adds the
capacity the work needs:

- **staffing**: the people active per hour of the week (distinct resources with an activity in that hour,
  averaged over the window's weeks) become the weekly shifts of one team, ``desk``;
- **work content**: every answer and every resolution is a piece of work done by someone on duty; the log's
  throughput gives the total, ``utilisation × staffed minutes``. The utilisation is ASSUMED (the log cannot
  show idle time): default ``DEFAULT_UTILISATION``, settable, and the report shows the band from 0.4 to 0.9.
  The total is shared among the kinds of piece in proportion to the median time tickets spend before them
  (capped at ``CAP_MIN``): a ticket answered and resolved within ten minutes cannot have taken an hour's work;
- **structure**: each routed step ``S -> T`` gets a work stage ``S_to_T`` done by ``desk`` between the delay
  of ``S`` and ``T``. The first response is the start of the pickup's work (the ticket is taken), or, where
  the first touch resolves the ticket, its end (the reply is the fix). The work the log counts inside a
  sojourn is split off it: the delay is the fitted sojourn scaled down by the work's share of its mean, and
  the work is the sojourn scaled to the work's mean (quick tickets take quick work), so that delay plus work
  keeps the sojourn's mean. The wait for a free person comes on top: the log's sojourns already contain it,
  so at the staffing seen the model's quick tickets are slower than the log's (measured in the README).

With this, fewer people mean queues for the work and later answers and resolutions; more people shorten them
down to the delays. How steep that response is depends on the assumed utilisation, which the scenario's
provenance marks as assumed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from ..distributions import as_distribution
from ..errors import ServsimError
from .staffing import weekly_shifts

DEFAULT_UTILISATION = 0.6
BAND = (0.4, 0.9)
TEAM = "desk"
DELAY_STAGES = ("pickup", "first_touch", "handling", "escalated")  # the skeleton's team stages, now delays
WORKED = ("pickup", "handling", "escalated")  # the delays whose end is an answer or a resolution: work follows
CAP_MIN = 480.0  # a piece's weight is the median time before it, and a piece's work, up to a working day
MAX_SHARE = 0.9  # work takes at most this share of a sojourn's mean; the rest stays a delay


def add_capacity(data: dict, staffing: pd.DataFrame, pieces: dict[tuple[str, str], tuple[int, float]],
                 weeks: int, utilisation: float, notes: list[str]) -> dict[str, str]:
    """Turn the skeleton ``data`` (a scenario mapping, changed in place) into delays plus a staffed ``desk``.

    ``staffing`` is active people per pool and hour of the week; ``pieces`` gives, per ``(stage, route target)``,
    how many tickets in the window went that way and their median time in the stage (minutes). Returns the
    provenance of what was added (field path -> identified/assumed and why).
    """
    per_hour = staffing.groupby("hour_of_week")["active_people"].sum().reindex(range(168), fill_value=0.0)
    people_min = float(per_hour.sum()) * 60.0 * weeks
    weight = {key: min(max(median, 1.0), CAP_MIN) for key, (n, median) in pieces.items()}
    per_weight = utilisation * people_min / max(sum(n * weight[key] for key, (n, _) in pieces.items()), 1e-9)
    work = {key: w * per_weight for key, w in weight.items()}
    total = sum(n for n, _ in pieces.values())
    mean_work = utilisation * people_min / max(total, 1)
    band = ", ".join(f"{u:.0%}: {u * people_min / max(total, 1):.0f} min" for u in BAND)
    notes.append(f"capacity: {per_hour.mean():.1f} people active per hour on average ({per_hour.max():.0f} at the "
                 f"peak); {total:,} answers and resolutions in the window; at an ASSUMED utilisation of "
                 f"{utilisation:.0%} they take {mean_work:.0f} min of work on average (band {band}), shared by the "
                 "median time before each kind: " + ", ".join(f"{s} -> {t} {w:.0f} min" for (s, t), w in
                                                               sorted(work.items())) + "; set it with --utilisation")
    monday = pd.Timestamp("2024-01-01")  # any Monday: the shifts are a weekly pattern
    week = pd.DataFrame({"team": TEAM, "start": monday + pd.to_timedelta(np.arange(168), unit="h"),
                         "end": monday + pd.to_timedelta(np.arange(1, 169), unit="h"),
                         "headcount": np.rint(per_hour.to_numpy()).astype(int)})
    shifts = weekly_shifts(week, monday).get(TEAM, {})
    if not shifts:
        raise ServsimError("no one is active in any hour of the window; the log's resources cannot staff a desk "
                           "(calibrate without --capacity)")
    data["teams"] = {TEAM: {"shifts": shifts}}
    stages = {name: ({"escalation": True} if name == "escalated" else {}) for name in data["stages"]
              if name in DELAY_STAGES or data["stages"][name].get("team") is None}
    for tt in data["ticket_types"].values():
        steps = tt["steps"]
        for name in [s for s in steps if s in WORKED]:
            step = steps[name]
            route = {step["next"]: 1.0} if isinstance(step["next"], str) else step["next"]
            main = max(route, key=route.get)
            delays = {}
            for target in route:
                stage = f"{name}_to_{target}"
                mean = work.get((name, target), mean_work)
                sojourn = step.get("work_by_next", {}).get(target, step["work"])
                # the log's first response is the start of the work, except where the first touch resolves the
                # ticket: there the reply is the fix, logged when the work ends
                stages[stage] = {"team": TEAM, "first_response": name == "pickup" and target != "first_touch"}
                share = min(_spent(name, target, work, mean_work) / max(as_distribution(sojourn).mean, 1e-9),
                            MAX_SHARE)
                delays[stage] = scaled(sojourn, 1.0 - share)
                # work inside a sojourn is shaped like it (quick tickets take quick work); work after a first
                # response is counted inside the next stage's sojourn and drawn exponential
                own = name != "pickup" or target == "first_touch"
                steps[stage] = {"work": _work_like(sojourn, mean) if own
                                else {"kind": "exponential", "mean": round(mean, 3)}, "next": target}
            main_stage = f"{name}_to_{main}"
            step["work"] = delays[main_stage]
            step["next"] = {f"{name}_to_{t}": p for t, p in route.items()} if len(route) > 1 else main_stage
            others = {k: v for k, v in delays.items() if k != main_stage}
            step.pop("work_by_next", None)
            if others:
                step["work_by_next"] = others
    if "first_touch" in stages:
        stages["first_touch"] = {"first_response": True}
    data["stages"] = stages
    return {f"teams.{TEAM}.shifts": "identified: people active per hour of the week in the log",
            "ticket_types.*.steps.*_to_*.work": f"assumed: utilisation {utilisation:.0%} of the staffed time"}


def _spent(stage: str, target: str, work: dict, default: float) -> float:
    """Minutes of work the log counts inside the sojourn of ``stage`` on its way to ``target``: the work that ends
    it (a fix, or a reply that is the fix) and, after a first response, the work begun at that response."""
    if stage == "pickup":
        return work.get(("pickup", target), default) if target == "first_touch" else 0.0
    return work.get((stage, target), default) + work.get(("pickup", stage), default)


def _work_like(sojourn: dict, mean: float) -> dict:
    """A work time shaped like ``sojourn``, with mean ``mean`` and no piece longer than ``CAP_MIN``."""
    p, q = _quantiles(sojourn)
    target = min(mean, 0.99 * CAP_MIN)

    def mean_of(factor: float) -> float:  # the mean of the capped table, as the empirical distribution computes it
        values = np.array(_times(q, factor, CAP_MIN))
        return float(np.sum(np.diff(p) * (values[1:] + values[:-1]) / 2)) - target

    low = mean / max(as_distribution(sojourn).mean, 1e-9)
    high = low
    while mean_of(high) < 0 and high < low * 1e6:
        high *= 4
    factor = optimize.brentq(mean_of, low, high, xtol=1e-9 * low) if mean_of(low) < 0 < mean_of(high) else low
    return _table(p, q, factor, CAP_MIN)


def scaled(spec: dict, factor: float, cap: float = np.inf) -> dict:
    """The duration ``spec`` times ``factor`` (each quantile, at most ``cap``), as an empirical quantile table."""
    return _table(*_quantiles(spec), factor, cap)


def _quantiles(spec: dict) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities and quantiles of a duration spec: its own table, or a family's from a fixed, seeded sample
    (a deterministic table)."""
    dist = as_distribution(spec)
    if spec.get("kind") == "empirical" and spec.get("quantiles"):
        table = {float(k): v for k, v in dist.quantiles.items()}
        p = np.array(sorted(table))
        return p, np.array([table[k] for k in p])
    p = np.round(np.linspace(0, 1, 101), 2)
    return p, np.quantile(dist.draw(np.random.default_rng(0), 20_000), p)


def _times(q: np.ndarray, factor: float, cap: float) -> list[float]:
    return [round(float(min(v * factor, cap)), 3) for v in q]


def _table(p: np.ndarray, q: np.ndarray, factor: float, cap: float) -> dict:
    return {"kind": "empirical", "quantiles": {float(k): v for k, v in zip(p, _times(q, factor, cap))}}
