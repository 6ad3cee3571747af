"""What a calibration returns (:class:`Calibration`, one :class:`StageFit` per fitted duration) and how one
duration is fitted (:func:`fit_stage`): shared by the ticket-log and the call-log calibrations."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...distributions import as_distribution
from ...errors import ServsimError
from ...scenario import Scenario, scenario_from_dict
from ..evidence.daily import DailyEvidence
from ..fitting import KM_PROBABILITIES, ArrivalFitter, DurationFitter

MIN_FIT = 30              # observations below which a type borrows the fit of all types
KS_TOLERANCE = 0.05       # largest CDF distance accepted from a parametric family
MIN_DURATION = 0.5        # minutes: logs with minute resolution record zero-length stretches
QQ_PROBABILITIES = np.linspace(0.01, 0.99, 50)


@dataclass
class StageFit:
    ticket_type: str
    stage: str
    route: str | None                                # the route target the fit is for (work_by_next), if any
    n: int
    n_censored: int
    family: str
    mean_min: float
    ks: float
    aic: float
    spec: dict
    qq: tuple[np.ndarray, np.ndarray] | None = None   # fitted and observed quantiles, for QQ plots
    qq_family: str = ""                               # the parametric family the QQ quantiles are of


@dataclass
class Calibration:
    """A calibrated scenario with everything that explains it."""

    scenario: Scenario
    data: dict                         # the scenario as a plain mapping (for YAML with comments)
    fits: list[StageFit]
    arrivals: ArrivalFitter
    routing: pd.DataFrame              # per type: share, escalation, wait, reopen probabilities
    staffing: pd.DataFrame             # inferred active people per hour of week (where resources are logged)
    window: tuple[pd.Timestamp, pd.Timestamp]
    drift: pd.DataFrame                # per creation week: tickets, first-touch share, share resolved within a day
    handovers: pd.DataFrame            # commonest hand-overs between teams (from, to, count, share)
    category_map: dict[str, str]       # category in the log -> ticket type
    channel_map: dict[str, str]        # channel in the log -> channel
    notes: list[str] = field(default_factory=list)
    roster: pd.DataFrame | None = None  # dated headcount per team and interval seen in the window (team, start, ...)
    team_of: dict[str, str] = field(default_factory=dict)  # person in the log -> team
    provenance: dict[str, str] = field(default_factory=dict)  # field path -> identified / assumed, and why
    staffed: bool = False  # teams staffed with the people the log shows (else sized as a delay-only skeleton)
    pool_team: dict[str, str] = field(default_factory=dict)  # group in a ticket log -> team (staffed models)
    other_team: str | None = None  # the team of a group not seen in the window (staffed ticket models)
    process: bool = False  # the process model (calibration.network): stages are the log's activities per team
    daily: DailyEvidence | None = None  # the window day by day, for input uncertainty (calibration.uncertainty)
    work_band: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # team -> assumed utilisation
    # (low, point, high) where the work content is only bounded by the log (delay-plus-capacity)
    route_samples: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)  # (ticket type, step) ->
    # (sample, moves): the moves each route's shares are estimated on (the process model's; see models.network)

    def with_hourly_cost(self, cost: float) -> Calibration:
        """The calibration with every team's staffed hour costing ``cost`` (a log says who worked, not what they
        cost): so that staffing answers say what they cost."""
        if not cost >= 0:
            raise ServsimError(f"an hourly cost is a number of at least 0, got {cost}")
        data = copy.deepcopy(self.data)
        for team in data["teams"].values():
            team["hourly_cost"] = float(cost)
        data.setdefault("provenance", {})["teams.*.hourly_cost"] = "assumed: given when calibrating (--hourly-cost)"
        return dataclasses.replace(self, data=data, scenario=scenario_from_dict(data, source=self.scenario.name))

    def fit_table(self) -> pd.DataFrame:
        return pd.DataFrame([{k: v for k, v in f.__dict__.items() if k not in ("spec", "qq", "qq_family")}
                             for f in self.fits])

    def qq_panels(self, limit: int = 12) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """QQ plot data of the worst fits first (largest KS distance), titled with the family each QQ shows
        and, where the model uses the empirical distribution instead, saying so."""
        fits = sorted((f for f in self.fits if f.qq is not None), key=lambda f: -f.ks)[:limit]
        return [(f"{f.ticket_type}/{f.stage}{f' -> {f.route}' if f.route else ''}\n{f.qq_family}, KS {f.ks:.3f}"
                 + ("; model uses empirical" if f.family == "empirical" else ""), *f.qq) for f in fits]


def fit_stage(ttype: str, stage: str, route: str | None, values: np.ndarray, censored: np.ndarray,
         fallback: StageFit | None, notes: list[str], probabilities=KM_PROBABILITIES,
         min_duration: float = MIN_DURATION, mean_tolerance: float | None = None) -> StageFit:
    """Fit one duration (a family by AIC, or the censored empirical distribution where the family is more than
    ``KS_TOLERANCE`` away in CDF, or — with ``mean_tolerance`` and no censoring — its mean is that far off the
    sample's); too few observations borrow ``fallback``."""
    ok = ~np.isnan(values)
    values, censored = values[ok], censored[ok]
    what = f"{ttype}/{stage}" + (f" -> {route}" if route else "")
    if (~censored).sum() < MIN_FIT:
        if fallback is None:
            raise ServsimError(f"too few observations to fit {what} ({(~censored).sum()} uncensored); "
                               "calibrate a longer period or pool more categories")
        notes.append(f"{what}: {(~censored).sum()} observations, borrowed the fit of all types")
        return StageFit(ttype, stage, route, int(ok.sum()), int(censored.sum()), fallback.family, fallback.mean_min,
                        fallback.ks, fallback.aic, fallback.spec)
    observed = np.maximum(values[~censored], min_duration)
    if observed.min() == observed.max() and not censored.any():  # all alike (all 0 s, say): nothing to fit
        notes.append(f"{what}: all {len(observed):,} durations are {observed[0]:g} min: a constant, no family fitted")
        spec = {"kind": "constant", "value": float(observed[0])}
        return StageFit(ttype, stage, route, int(len(values)), 0, "constant", float(observed[0]), 0.0, float("nan"),
                        spec)
    fitter = DurationFitter(min_duration=min_duration).fit(values, censored)
    spec, family = fitter.distribution(), fitter.family_
    mean_off = mean_tolerance is not None and not censored.any() and \
        abs(fitter.mean_ / values.mean() - 1) > mean_tolerance
    if fitter.ks_statistic_ > KS_TOLERANCE or mean_off:
        spec = fitter.empirical_distribution(probabilities)
        why = (f"is {fitter.ks_statistic_:.3f} away in CDF (> {KS_TOLERANCE})" if not mean_off else
               f"has mean {fitter.mean_:.2f} min against the sample's {values.mean():.2f}")
        if censored.mean() > 0.5:  # the uncensored values are the short ones: a KS distance to them means little
            why = f"is not checked ({censored.mean():.0%} of the durations are censored)"
        notes.append(f"{what}: best family {family} {why}; the empirical (Kaplan–Meier) distribution is used")
        family = "empirical"
    return StageFit(ttype, stage, route, int(len(values)), int(censored.sum()), family, as_distribution(spec).mean,
                    float(fitter.ks_statistic_), float(fitter.aic_), spec, fitter.qq(QQ_PROBABILITIES), fitter.family_)
