"""Input uncertainty: the calibrated scenario re-estimated on resampled history, so that experiments can show how
much of an answer the history itself cannot pin down.

A few weeks of history are one sample of a desk's days. Each re-calibration (a *draw*) resamples the window's days
with replacement, within each weekday (a Monday for a Monday, so the weekly pattern stays and whole days keep
their own within-day dependence), and re-estimates on them the quantities a staffing answer rests on:

- **demand**: each channel's rate and the ticket-type mix (the daily totals of the resampled days);
- **work per team**: the mean estimated work per piece and the people on duty (:mod:`~.evidence.work`); a team's
  work scales by the first ratio over the second (the model staffs whole people, so more presence in the
  resample is the same shifts carrying less work each);
- **routes** (the process model's): the shares of each step's ways out, drawn from the moves they were estimated on
  (a Bayesian bootstrap: Dirichlet with the moves as weights; a sample pooled over ticket types is drawn once for
  all of them). A team near saturation answers to its load, and its load is the share of tickets routed to it as
  much as the arrival rate;
- **what the log only bounds**: where a team's work content is assumed (the delay-plus-capacity model), a draw
  takes it uniformly within its band (from the band's low end to the most the log allows).

Everything else (the delays, the shapes of the durations, the shifts) stays at the point estimate, so a
draw costs a scenario copy, not a calibration. Each draw is a complete scenario.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..distributions import as_distribution, times
from ..errors import ServsimError
from ..scenario import Scenario, scenario_from_dict
from ..units import parse_rate
from .evidence.daily import DailyEvidence
from .models.fitted import Calibration

MIN_DRAWS = 2
MIN_WEEKS = 2  # fewer whole weeks give each weekday a single day to resample: no spread


@dataclass
class Uncertainty:
    """The draws of a calibration's input uncertainty: ``scenarios`` (complete, named like the point scenario),
    ``factors`` (one row per draw: each channel's rate factor, each ticket type's share, each team's work factor and,
    for a bounded work content, where in its band it was drawn) and ``notes`` (what was kept at the point estimate,
    counted)."""

    point: Scenario
    scenarios: list[Scenario]
    factors: pd.DataFrame
    seed: int
    notes: list[str] = field(default_factory=list)


def resample(cal: Calibration, n: int, seed: int = 0) -> Uncertainty:
    """``n`` draws of ``cal``'s input uncertainty (see the module), reproducible from ``seed``."""
    daily = cal.daily
    if daily is None:
        raise ServsimError("this calibration kept no day-by-day evidence of its history: input uncertainty needs it "
                           "(calibrate the log again with this version of servsim)")
    if n < MIN_DRAWS:
        raise ServsimError(f"--uncertainty {n}: input uncertainty needs at least {MIN_DRAWS} re-calibrations to have "
                           "a spread (20 is a good start)")
    if daily.days < 7 * MIN_WEEKS:
        raise ServsimError(f"input uncertainty resamples days within each weekday, which needs at least {MIN_WEEKS} "
                           f"whole weeks of history; the window has {daily.days} days")
    rng = np.random.default_rng(seed)
    base = cal.scenario.model_dump(mode="json", by_alias=True)
    same_day = [np.flatnonzero(daily.weekday == day) for day in range(7)]
    teams = _team_days(cal, daily)
    kept: dict[str, int] = {}
    scenarios, rows = [], []
    for draw in range(1, n + 1):
        days = np.concatenate([rng.choice(d, len(d), replace=True) for d in same_day])
        data = copy.deepcopy(base)
        row: dict[str, float] = {"draw": draw}
        row |= _demand(data, daily, days, kept)
        row |= _work(data, cal, teams, days, rng.random(), kept)
        _routes(data, cal.route_samples, rng)
        data["description"] = f"{base.get('description') or ''} Input-uncertainty draw {draw} of {n} (seed {seed})."
        scenarios.append(scenario_from_dict(data, source=f"input-uncertainty draw {draw}"))
        rows.append(row)
    notes = [f"{what}: kept at the point estimate in {count} of {n} draws (absent from the resampled days)"
             for what, count in sorted(kept.items())]
    if cal.route_samples:
        notes.append(f"route shares drawn from the moves they were estimated on ({len(cal.route_samples)} steps)")
    if cal.work_band:
        notes.append("work content only bounded by the log, drawn within its band: " + ", ".join(
            f"{team} utilisation {low:.0%}-{high:.0%} (point {point:.0%})"
            for team, (low, point, high) in cal.work_band.items()))
    return Uncertainty(cal.scenario, scenarios, pd.DataFrame(rows), seed, notes)


def _demand(data: dict, daily: DailyEvidence, days: np.ndarray, kept: dict[str, int]) -> dict[str, float]:
    """Scale each channel's rate, and set the ticket-type mix, to the resampled days'; the factors and shares."""
    row = {}
    point, drawn = daily.channels.sum(), daily.channels.iloc[days].sum()
    for name, channel in data["demand"]["channels"].items():
        if point.get(name, 0) <= 0:
            continue
        if drawn[name] <= 0:
            kept[f"channel {name}"] = kept.get(f"channel {name}", 0) + 1
            continue
        factor = float(drawn[name] / point[name])
        channel["rate"] = f"{parse_rate(channel['rate']) * factor!r}/min"
        row[f"rate:{name}"] = factor
    mix = (data["demand"].get("mix") or {}).get("ticket_types")
    if mix:
        counts = daily.types.iloc[days].sum()
        shares = {}
        for name, share in mix.items():
            if counts.get(name, 0) > 0:
                shares[name] = float(counts[name])
            else:  # absent from the resample (or pooled away): its point share
                shares[name] = share * float(counts.sum())
                kept[f"ticket type {name}"] = kept.get(f"ticket type {name}", 0) + 1
        total = sum(shares.values())
        data["demand"]["mix"]["ticket_types"] = {k: v / total for k, v in shares.items()}
        row |= {f"share:{k}": v / total for k, v in shares.items()}
    return row


def _team_days(cal: Calibration, daily: DailyEvidence) -> dict[str, pd.DataFrame]:
    """The window's ``busy``, ``pieces`` and ``present`` totals per day and team of the model (its groups summed);
    empty where the log names nobody."""
    if daily.pieces.empty:
        return {}

    def per_team(frame: pd.DataFrame) -> pd.DataFrame:
        team = frame.columns.map(lambda pool: cal.pool_team.get(pool, cal.other_team or pool))
        return frame.T.groupby(team.to_numpy()).sum().T

    return {"busy": per_team(daily.busy), "pieces": per_team(daily.pieces), "present": per_team(daily.present)}


def _work(data: dict, cal: Calibration, teams: dict[str, pd.DataFrame], days: np.ndarray, where_in_band: float,
          kept: dict[str, int]) -> dict[str, float]:
    """Scale each team's work (see the module; ``teams``: :func:`_team_days`); the factors."""
    factors: dict[str, float] = {}
    for name in data["teams"] if teams else ():
        if name not in teams["pieces"] or name not in teams["present"]:
            continue
        busy, pieces, on_duty = teams["busy"][name], teams["pieces"][name], teams["present"][name]
        drawn = busy.iloc[days].sum(), pieces.iloc[days].sum(), on_duty.iloc[days].sum()
        if min(drawn) <= 0 or min(busy.sum(), pieces.sum(), on_duty.sum()) <= 0:
            kept[f"work of team {name}"] = kept.get(f"work of team {name}", 0) + 1
            continue
        per_piece = (drawn[0] / drawn[1]) / (busy.sum() / pieces.sum())
        factors[name] = float(per_piece / (drawn[2] / on_duty.sum()))
    row = {f"work:{name}": factor for name, factor in factors.items()}
    for name, (low, point, high) in cal.work_band.items():
        if point <= 0:  # a team the log shows doing no work: nothing to scale
            continue
        drawn_u = low + where_in_band * (high - low)
        factors[name] = factors.get(name, 1.0) * drawn_u / point
        row[f"utilisation:{name}"] = drawn_u
        row[f"work:{name}"] = factors[name]
    _scale_work(data, factors)
    return row


def _routes(data: dict, samples: dict[tuple[str, str], tuple[str, int]], rng: np.random.Generator) -> None:
    """Draw the shares of each step's ways out (see the module; ``samples``: ``Calibration.route_samples``)."""
    drawn: dict[str, dict[str, float]] = {}
    for (ttype, step), (sample, moves) in samples.items():
        spec = data["ticket_types"].get(ttype, {}).get("steps", {}).get(step)
        route = spec.get("next") if spec else None
        if not isinstance(route, dict) or len(route) < 2 or moves < 1:
            continue
        if sample not in drawn or drawn[sample].keys() != route.keys():
            weights = np.array(list(route.values()), float)
            drawn[sample] = dict(zip(route, rng.dirichlet(np.maximum(moves * weights / weights.sum(), 0.5))))
        spec["next"] = dict(drawn[sample])


def _scale_work(data: dict, factors: dict[str, float]) -> None:
    """Multiply the work of every step done by a team in ``factors`` (and its wrap-up) by the team's factor."""
    def scaled(spec: dict, factor: float) -> dict:
        return times(as_distribution(spec), factor).model_dump(mode="json", by_alias=True, exclude_none=True)

    team_of = {name: stage.get("team") for name, stage in data["stages"].items()}
    for tt in data["ticket_types"].values():
        for name, step in tt["steps"].items():
            factor = factors.get(team_of.get(name) or "")
            if factor is None or factor == 1.0:
                continue
            step["work"] = scaled(step["work"], factor)
            step["work_by_next"] = {k: scaled(v, factor) for k, v in (step.get("work_by_next") or {}).items()}
    for name, factor in factors.items():
        team = data["teams"].get(name)
        if team and team.get("wrap_up"):
            team["wrap_up"] = scaled(team["wrap_up"], factor)
