"""The cheapest staffing that meets stated targets, with a statistical guarantee.

A manager states **levers** (headcounts that may change, each within bounds: a shift's
``teams.l2.shifts.evening.headcount=1..6`` or a roster interval's ``roster.l2.Mon-Fri.08:00-12:00=2..8``, see
:mod:`~servsim.experiment.levers`) and **requirements** on KPIs (``sla_attainment>=0.9``, ``frt_p90_min<=30min``,
``abandonment_rate<=0.05``, per priority as ``sla_attainment/P1>=0.95``). :func:`optimize` then

1. starts from an analytic guess: per team, the fewest people on duty on average for which Erlang C gives at most
   ``FIRST_GUESS_WAIT`` probability of waiting at the team's offered load (arrivals x visits x mean work, see
   :mod:`servsim.scenario.load_check`), the team's levers scaled to it. This ignores escalation, shifts and
   abandonment; how far off it is shows in the result;
2. improves it by simulation with common random numbers (every staffing sees the same customers): while a
   requirement fails, add the person (one step of one lever) that removes the most shortfall per unit of cost;
   once all hold, remove people, the most expensive first, as long as all still hold (greedy marginal analysis);
3. confirms the choice on twice as many fresh replications (another seed); if a requirement fails there, it adds
   people, judged on those replications, until it holds there.

A requirement *holds* when the one-sided ``confidence`` bound of its mean across replications meets the target
(for ``>=`` the lower bound, for ``<=`` the upper). The cost is the weekly staff cost of the shifts and roster
(hours on duty x ``hourly_cost``, per week of the simulated period), which the levers change exactly; the simulated
cost is reported beside it. Every evaluated staffing is kept (the cost-KPI frontier explored), and replications are
stored under ``out`` like any experiment's, so an interrupted optimisation resumes.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..erlang import required_agents
from ..errors import ScenarioError, ScenarioWarning, ServsimError
from ..files import write_csv, write_text
from ..kpi import describe
from ..scenario import Scenario, load_scenario, scenario_from_dict
from ..scenario.load_check import check_load
from ..units import parse_duration
from .core import run_experiment
from .levers import Lever, staffing_segments
from .stats import t_interval
from .uncertain import run_uncertain

FIRST_GUESS_WAIT = 0.2  # Erlang C probability of waiting the analytic first guess aims at
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_/.\-]+)\s*(>=|<=)\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class Requirement:
    """``kpi >= value`` or ``kpi <= value``."""

    kpi: str
    op: str
    value: float

    @classmethod
    def parse(cls, text: str) -> Requirement:
        """``"sla_attainment>=0.9"``, ``"frt_p90_min<=30min"`` (durations for ``*_min`` KPIs, in minutes)."""
        match = _REQUIREMENT.match(text)
        if not match:
            raise ServsimError(f"--require {text!r}: expected KPI>=VALUE or KPI<=VALUE, e.g. sla_attainment>=0.9 "
                               "or frt_p90_min<=30min")
        kpi, op, raw = match.groups()
        try:
            value = parse_duration(raw) if kpi.split("/")[0].endswith("_min") else float(raw)
        except ValueError as exc:
            raise ServsimError(f"--require {text!r}: {exc}") from None
        if not math.isfinite(value):
            raise ServsimError(f"--require {text!r}: the target must be a finite number")
        if describe(kpi)[1] == "%" and not kpi.startswith("utilisation/") and not 0 <= value <= 1:
            raise ServsimError(f"--require {text!r}: {kpi} is a share from 0 to 1 (0.9 for 90%)")
        return cls(kpi, op, value)

    def __str__(self) -> str:
        return f"{self.kpi} {self.op} {self.value:g}"

    def bound(self, values: np.ndarray, confidence: float) -> tuple[float, float]:
        """``(mean, the one-sided confidence bound on the side that must meet the target)``."""
        mean, half, n = t_interval(values, 2 * confidence - 1)  # one-sided at c = two-sided at 2c - 1
        if n == 0:
            return float("nan"), float("nan")
        half = half if n > 1 else 0.0
        return mean, (mean - half if self.op == ">=" else mean + half)

    def shortfall(self, bound: float) -> float:
        """How far ``bound`` misses the target, relative to it (0 if met)."""
        if math.isnan(bound):
            return math.inf
        gap = self.value - bound if self.op == ">=" else bound - self.value
        return max(gap, 0.0) / max(abs(self.value), 1e-9)


@dataclass
class Optimum:
    """What :func:`optimize` found."""

    levers: list[Lever]
    requirements: list[Requirement]
    baseline: dict[str, int]  # lever path -> the scenario's own value
    first_guess: dict[str, int]  # the analytic (Erlang C) staffing
    chosen: dict[str, int] | None  # None: no staffing within the bounds meets every requirement
    weekly_cost: float
    checks: pd.DataFrame  # per requirement at the chosen staffing, on the confirmation replications
    frontier: pd.DataFrame  # every staffing evaluated: levers, weekly cost, each requirement's mean and bound
    scenario: Scenario | None = None
    notes: list[str] = field(default_factory=list)
    baseline_cost: float = math.nan  # weekly staff cost of the scenario as given

    @property
    def binding(self) -> list[str]:
        """Requirements with the smallest relative margin at the chosen staffing (those that bind)."""
        if self.checks.empty:
            return []
        margin = self.checks["margin"]
        return list(self.checks.loc[margin <= margin.min() + 1e-12, "requirement"])

    def table(self) -> pd.DataFrame:
        """Lever by lever: baseline, first guess and chosen headcount."""
        return pd.DataFrame({"lever": [lv.path for lv in self.levers],
                             "baseline": [self.baseline[lv.path] for lv in self.levers],
                             "first_guess": [self.first_guess[lv.path] for lv in self.levers],
                             "chosen": [None if self.chosen is None else self.chosen[lv.path] for lv in self.levers]})

    def save(self, out: str | Path) -> list[Path]:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "staffing.csv", out / "requirements.csv", out / "frontier.csv"]
        write_csv(written[0], self.table())
        write_csv(written[1], self.checks)
        write_csv(written[2], self.frontier)
        if self.scenario is not None:
            from ..scenario import dump_scenario

            written.append(out / "optimum.yaml")
            write_text(written[-1], dump_scenario(self.scenario))
        return written


def weekly_staff_cost(scenario: Scenario) -> float:
    """Staff cost per week of the simulated period: the hours people are on duty by its shifts and roster (breaks
    and holidays off) x their team's hourly cost, over the horizon, per week."""
    return sum(hours * scenario.teams[name].hourly_cost for name, hours in weekly_staff_hours(scenario).items())


def weekly_staff_hours(scenario: Scenario) -> dict[str, float]:
    """Per team, the hours its people are on duty a week of the simulated period (shifts and roster; breaks and
    holidays off)."""
    clock = scenario.clock
    return {name: sum((hi - lo) * n for lo, hi, n in staffing_segments(
        clock, team, [r for r in scenario.roster if r.team == name])) / 60.0 / (clock.horizon / 10080.0)
        for name, team in scenario.teams.items()}


def optimize(scenario: Scenario | str | Path, levers: Sequence[Lever | str], requirements: Sequence[Requirement | str],
             replications: int = 10, seed: int = 0, confidence: float = 0.95, out: str | Path | None = None,
             report: Callable[[str], None] | None = None, draws: Sequence[Scenario | str | Path] = (),
             draw_replications: int | None = None, **options: Any) -> Optimum:
    """The cheapest values of ``levers`` for which every requirement holds with ``confidence``.

    ``options`` go to :func:`~servsim.experiment.run_experiment` (``executor``, ``workers``, ``dask``).
    With ``out``, every replication is stored under ``out/evaluations`` and a rerun resumes. ``report`` is
    called with one line per staffing evaluated (progress). With ``draws`` (re-calibrations of ``scenario``:
    ``servsim calibrate --uncertainty N``), each staffing is run on every draw too (``draw_replications`` each) and
    a requirement holds when its bound including input uncertainty meets the target
    (:mod:`~servsim.experiment.uncertain`).
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    draws = [d if isinstance(d, Scenario) else load_scenario(d) for d in draws]
    levers = [lv if isinstance(lv, Lever) else Lever.parse(lv) for lv in levers]
    requirements = [r if isinstance(r, Requirement) else Requirement.parse(r) for r in requirements]
    if not levers or not requirements:
        raise ServsimError("optimize needs at least one lever (--vary) and one requirement (--require)")
    paths = [lv.path for lv in levers]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ServsimError(f"--vary: {', '.join(twice)} given more than once; give each lever once with its bounds")
    if not 0.5 <= confidence < 1:
        raise ServsimError(f"confidence must be in [0.5, 1), got {confidence}")
    if replications < 2:
        raise ServsimError(f"optimize needs at least 2 replications per staffing for a confidence bound, got "
                           f"{replications}")
    search = _Search(base, levers, requirements, replications, seed, confidence, out,
                     {"progress": False, **options}, report, (draws, draw_replications))
    baseline = {lv.path: lv.current(search.data) for lv in levers}
    first = _first_guess(base, levers, baseline)
    notes: list[str] = [f"every bound includes input uncertainty: each staffing also ran on {len(draws)} "
                        "re-calibrations of the history"] if draws else []
    x = search.feasible_from(first)
    if x is not None:
        x = search.trimmed(x)
        confirmed = search.evaluate(x, confirm=True)
        if not confirmed.feasible:  # chosen on the first replications' luck: add people on the fresh ones
            notes.append(f"{', '.join(confirmed.failing)} failed on the fresh replications at "
                         f"{confirmed.scenario.name}; people were added until it held there")
            x = search.feasible_from(x, confirm=True)
            x = search.trimmed(x, confirm=True) if x is not None else None
        # the cheapest staffing confirmed on the fresh replications: adding people after a failed confirmation can
        # pass a cheaper one that was confirmed on the way
        confirmed_feasible = [ev for (_, fresh), ev in search.cache.items() if fresh and ev.feasible]
        if confirmed_feasible:
            x = min(confirmed_feasible, key=lambda ev: (ev.cost, ev.staffing)).staffing
    final = search.evaluate(x, confirm=True) if x is not None else None
    checks = final.checks if final is not None else pd.DataFrame(
        columns=["requirement", "mean", "bound", "target", "holds", "shortfall", "margin"])
    if final is None:
        tried = [ev for ev in search.cache.values() if not ev.feasible]
        closest = min(tried, key=lambda ev: (ev.shortfall, ev.cost))
        failing = closest.checks[~closest.checks["holds"]]
        by_name = {str(req): req for req in requirements}
        mean_meets = failing.apply(lambda r: by_name[r["requirement"]].shortfall(r["mean"]) == 0, axis=1)
        advice = ("its mean meets the target but its confidence bound does not: add replications (--replications) "
                  "rather than people" if len(failing) and mean_meets.all()
                  else "widen the bounds or relax the requirements")
        notes.append(f"no staffing within the bounds meets every requirement; closest: {closest.scenario.name} "
                     f"(misses {', '.join(closest.failing)}); {advice}")
    notes += _unmoved(search)
    return Optimum(levers, requirements, baseline, first,
                   None if x is None else {lv.path: v for lv, v in zip(levers, x)},
                   final.cost if final else math.nan, checks, search.frontier(), final.scenario if final else None,
                   notes, weekly_staff_cost(base))


def _unmoved(search: _Search) -> list[str]:
    """A note per requirement whose mean the staffings tried hardly move: every mean within the noise of one
    (the widest distance from a mean to its bound), so the requirement is met or missed by luck, not by staffing."""
    notes = []
    tried = [ev for (_, fresh), ev in search.cache.items() if not fresh]
    if len(tried) < 2:
        return notes
    checks = pd.concat([ev.checks for ev in tried], ignore_index=True)
    for requirement, rows in checks.groupby("requirement", sort=False):
        spread = rows["mean"].max() - rows["mean"].min()
        noise = (rows["bound"] - rows["mean"]).abs().max()
        if noise > 0 and spread <= noise:
            notes.append(f"{requirement}: the {len(rows)} staffings tried all give {rows['mean'].min():.4g} to "
                         f"{rows['mean'].max():.4g}, within the noise of one ({noise:.3g}): the levers hardly "
                         "move it, so whether it holds is mostly chance; add replications, or vary other levers")
    return notes


@dataclass
class _Evaluation:
    staffing: tuple[int, ...]
    scenario: Scenario
    cost: float
    checks: pd.DataFrame
    simulated_cost: float

    @property
    def feasible(self) -> bool:
        return bool(self.checks["holds"].all())

    @property
    def failing(self) -> list[str]:
        return list(self.checks.loc[~self.checks["holds"], "requirement"])

    @property
    def shortfall(self) -> float:
        return float(self.checks["shortfall"].sum())


class _Search:
    """Evaluations of staffings (cached), and the greedy moves between them."""

    def __init__(self, base: Scenario, levers: list[Lever], requirements: list[Requirement],
                 replications: int, seed: int, confidence: float, out: str | Path | None, options: dict,
                 report: Callable[[str], None] | None, draws: tuple[list[Scenario], int | None] = ([], None)):
        self.data, self.levers, self.requirements = base.model_dump(mode="json", by_alias=True), levers, requirements
        self.base, (self.draws, self.draw_replications) = base, draws
        self.report = report
        self.replications, self.seed, self.confidence, self.options = replications, seed, confidence, options
        self.out = None if out is None else Path(out) / "evaluations"
        self.cache: dict[tuple[tuple[int, ...], bool], _Evaluation] = {}
        self.scenarios: dict[tuple[int, ...], Scenario] = {}

    def scenario(self, x: tuple[int, ...]) -> Scenario:
        """The scenario at staffing ``x`` (built and validated once)."""
        if x not in self.scenarios:
            self.scenarios[x] = self._build(x)
        return self.scenarios[x]

    def _build(self, x: tuple[int, ...]) -> Scenario:
        point = self.data
        for lever, value in zip(self.levers, x):
            point = lever.apply(point, value)
        name = ", ".join(f"{lv.path.removeprefix('teams.')}={v}" for lv, v in zip(self.levers, x))
        point = {**point, "name": name}
        try:
            return scenario_from_dict(point, source=f"staffing {point['name']}")
        except ScenarioError as exc:
            raise ServsimError(f"the staffing {point['name']} makes an invalid scenario:\n{exc}") from None

    def evaluate(self, x: tuple[int, ...], confirm: bool = False) -> _Evaluation:
        key = (tuple(x), confirm)
        if key in self.cache:
            return self.cache[key]
        seed = self.seed + 1 if confirm else self.seed  # fresh customers to confirm a choice made on the first ones
        n = 2 * self.replications if confirm else self.replications
        with warnings.catch_warnings():  # a thinly staffed point is overloaded on purpose: no warning per point
            warnings.simplefilter("ignore", ScenarioWarning)
            scenario = self.scenario(x)
            if self.draws:
                found = run_uncertain([scenario], self.draws, n, seed, self.draw_replications, self.base,
                                      out=self.out, **self.options)
                exp = found.point
            else:
                exp = run_experiment([scenario], n, seed, out=self.out, **self.options)
        results = exp.results
        rows = []
        for req in self.requirements:
            values = results.loc[results["kpi"] == req.kpi, "value"].to_numpy()
            if len(values) == 0:
                known = ", ".join(results["kpi"].unique()[:30])
                raise ServsimError(f"--require {req}: unknown KPI {req.kpi!r}; known: {known}, ...")
            if self.draws:  # one-sided at c = two-sided at 2c - 1
                found_kpi = found.interval(scenario.name, req.kpi, 2 * self.confidence - 1)
                mean = found_kpi["mean"]
                bound = found_kpi["low"] if req.op == ">=" else found_kpi["high"]
            else:
                mean, bound = req.bound(values, self.confidence)
            short = req.shortfall(bound)
            margin = -short if short > 0 else (abs(bound - req.value) / max(abs(req.value), 1e-9))
            rows.append({"requirement": str(req), "kpi": req.kpi, "mean": mean, "bound": bound, "target": req.value,
                         "holds": short == 0, "shortfall": short, "margin": margin})
        cost = results.loc[results["kpi"] == "cost_total", "value"]
        evaluation = _Evaluation(tuple(x), scenario, weekly_staff_cost(scenario), pd.DataFrame(rows),
                                 float(cost.mean()) if len(cost) else math.nan)
        self.cache[key] = evaluation
        if self.report is not None:
            verdict = "meets every requirement" if evaluation.feasible else "misses " + ", ".join(evaluation.failing)
            self.report(f"{'confirm' if confirm else 'try'} {scenario.name}: weekly staff cost "
                        f"{evaluation.cost:,.0f}, {verdict}")
        return evaluation

    def feasible_from(self, x: tuple[int, ...] | dict[str, int], confirm: bool = False) -> tuple[int, ...] | None:
        """Add people greedily (most shortfall removed per unit of cost) until every requirement holds."""
        x = tuple(x[lv.path] for lv in self.levers) if isinstance(x, dict) else tuple(x)
        current = self.evaluate(x, confirm)
        while not current.feasible:
            best, best_score = None, -math.inf
            for i, lever in enumerate(self.levers):
                if x[i] >= lever.high:
                    continue
                step = self.evaluate(x[:i] + (x[i] + 1,) + x[i + 1:], confirm)
                gain = current.shortfall - step.shortfall
                score = gain / max(step.cost - current.cost, 1e-9) if math.isfinite(gain) else -math.inf
                if step.feasible and step.cost <= current.cost:
                    score = math.inf
                if score > best_score:
                    best, best_score = step, score
            if best is None:
                return None  # every lever at its upper bound
            x, current = best.staffing, best
        return x

    def trimmed(self, x: tuple[int, ...], confirm: bool = False) -> tuple[int, ...]:
        """Remove people, the most expensive step first, while every requirement still holds."""
        improved = True
        while improved:
            improved = False
            current = self.evaluate(x, confirm)
            steps = [x[:i] + (x[i] - 1,) + x[i + 1:] for i, lv in enumerate(self.levers) if x[i] > lv.low]
            steps.sort(key=lambda s: weekly_staff_cost(self.scenario(s)) - current.cost)
            for s in steps:
                if self.evaluate(s, confirm).feasible:
                    x, improved = s, True
                    break
        return x

    def frontier(self) -> pd.DataFrame:
        rows = []
        for (x, confirm), ev in self.cache.items():
            row = {lv.path: v for lv, v in zip(self.levers, x)}
            row.update({"confirmation": confirm, "weekly_cost": ev.cost, "simulated_cost": ev.simulated_cost,
                        "feasible": ev.feasible})
            for check in ev.checks.itertuples():
                row[f"{check.requirement} (mean)"] = check.mean
                row[f"{check.requirement} (bound)"] = check.bound
            rows.append(row)
        return pd.DataFrame(rows).sort_values("weekly_cost", kind="stable", ignore_index=True)


def _first_guess(base: Scenario, levers: list[Lever], baseline: dict[str, int]) -> dict[str, int]:
    """Per team, the people on duty on average that Erlang C asks for at its offered load (probability of waiting
    at most ``FIRST_GUESS_WAIT``), the team's levers scaled from their baseline values to it."""
    load = check_load(base).load
    guess = {}
    for lever in levers:
        offered, capacity = load.get(lever.team, (0.0, 0.0)) if lever.team else (0.0, 0.0)
        value = baseline[lever.path]
        if offered > 0 and capacity > 0:  # both in slots (people x concurrency); P(wait = 0) >= 1 - target
            slots = required_agents(offered, 1.0, 0.0, 1.0 - FIRST_GUESS_WAIT)
            value = round(value * slots / capacity)
        guess[lever.path] = int(min(max(value, lever.low), lever.high))
    return guess
