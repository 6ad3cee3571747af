"""Sweeps: one scenario run across the values of one or two parameters (``--set path=values``)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from ..errors import ScenarioError, ServsimError
from ..files import write_csv
from ..kpi import headline_kpis
from ..scenario import Scenario, load_scenario, scenario_from_dict
from ..scenario.load import set_path
from .core import Experiment, run_experiment
from .explain import with_thresholds
from .stats import paired_differences

MAX_POINTS = 1_000  # a sweep larger than this is a typo in a range, not a question

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def parse_setting(text: str) -> tuple[str, list[Any]]:
    """``"teams.l2.shifts.evening.headcount=1..6"`` -> (path, [1, 2, 3, 4, 5, 6]).

    Values: ``a..b`` (integers, inclusive), ``a..b..step``, a comma list ``2,4,8`` or ``fifo,priority``,
    or a single value. Each value is read as YAML, so ``30min`` stays text and ``3`` becomes a number.
    """
    if "=" not in text:
        raise ServsimError(f"--set {text!r}: expected PATH=VALUES, e.g. teams.l2.shifts.evening.headcount=1..6")
    path, _, raw = text.partition("=")
    path, raw = path.strip(), raw.strip()
    if not path or not raw:
        raise ServsimError(f"--set {text!r}: expected PATH=VALUES, e.g. teams.l2.shifts.evening.headcount=1..6")
    if ".." in raw:
        parts = raw.split("..")
        try:
            lo, hi, *step = (int(p) for p in parts)
        except ValueError:
            raise ServsimError(f"--set {text!r}: a range is whole numbers like 1..6 or 0..20..5") from None
        step_size = step[0] if step else 1
        if len(parts) > 3 or step_size <= 0 or hi < lo:
            raise ServsimError(f"--set {text!r}: a range runs upwards with a positive step, like 1..6 or 0..20..5")
        return path, list(range(lo, hi + 1, step_size))
    return path, [yaml.safe_load(v.strip()) for v in raw.split(",")]


class Sweep(Experiment):
    """An experiment over a grid of parameter values; ``points`` maps each scenario name to its values."""

    def __init__(self, experiment: Experiment, points: pd.DataFrame) -> None:
        super().__init__(experiment.scenarios, experiment.replications, experiment.seed,
                         experiment.n_computed, experiment.n_reused)
        self.points = points

    def curves(self) -> pd.DataFrame:
        """The summary joined with each point's parameter values (one row per point and KPI)."""
        return self.points.merge(self.summary(), left_on="scenario", right_on="scenario")

    def moving_kpis(self, count: int = 3) -> list[str]:
        """The headline KPIs that move most across the sweep against their noise (the range of their means over
        the points over the mean half-width of their 95% intervals), at most ``count`` of those that move beyond
        it, then the total cost where it moves: what a sweep shows by default (where nothing moves, the first
        ``count`` headline KPIs)."""
        summary = self.summary()
        scores = {}
        for kpi in headline_kpis(summary["kpi"]):
            rows = summary[summary["kpi"] == kpi]
            spread, noise = rows["mean"].max() - rows["mean"].min(), rows["half_width"].mean()
            scores[kpi] = spread / noise if noise > 0 else (math.inf if spread > 0 else 0.0)
        moving = [k for k in sorted(scores, key=lambda k: -scores[k]) if scores[k] > 1 and k != "cost_total"]
        shown = moving[:count] + (["cost_total"] if scores.get("cost_total", 0) > 1 else [])
        return shown or list(scores)[:count]

    def steps(self) -> pd.DataFrame:
        """What each step along the first parameter changes: per pair of neighbouring points (the second parameter,
        if any, held) and KPI, the paired difference from the lower point with its 95% CI — replication r of every
        point sees the same customers, so a step's effect is measured apart from the noise both points share.
        Columns ``from, to`` (point names), the parameters' values at ``to`` and those of
        :func:`~servsim.experiment.stats.paired_differences` (``scenario`` is ``to``)."""
        params = [c for c in self.points.columns if c != "scenario"]
        results = self._results
        rows = []
        for _, line in self.points.groupby(params[1:], sort=False) if len(params) > 1 else [(None, self.points)]:
            names = list(line.sort_values(params[0], kind="stable")["scenario"])
            for lower, upper in zip(names, names[1:]):
                pair = results[results["scenario"].isin((lower, upper))]
                rows.append(with_thresholds(paired_differences(pair, lower), self.materiality)
                            .assign(**{"from": lower, "to": upper}))
        if not rows:
            return pd.DataFrame(columns=["from", "to", *params, "scenario", "kpi", "difference", "ci_low", "ci_high"])
        return pd.concat(rows, ignore_index=True).merge(self.points, left_on="to", right_on="scenario",
                                                        suffixes=("", "_point")).drop(columns="scenario_point")

    def save(self, out: str | Path) -> list[Path]:
        """What :meth:`Experiment.save` writes, points.csv (each point's parameter values) and steps.csv (the paired
        difference each step makes, see :meth:`steps`)."""
        out = Path(out)
        written = super().save(out)
        return [*written, write_csv(out / "points.csv", self.points), write_csv(out / "steps.csv", self.steps())]

    def plot_sweep(self, kpi: str, target: float | None = None) -> Figure:
        """``kpi`` against the first parameter, with 95% CI bands (one curve per value of a second parameter) and
        ``target`` as a dashed line."""
        from ..report.figures import sweep_curve

        params = [c for c in self.points.columns if c != "scenario"]
        return sweep_curve(self.curves(), kpi, params, target)


def run_sweep(scenario: Scenario | str | Path, settings: Sequence[tuple[str, list[Any]]], replications: int | str = 10,
              seed: int = 0, **options: Any) -> Sweep:
    """Run ``scenario`` at every combination of one or two parameters' values.

    ``settings`` is a list of ``(path, values)``, e.g. ``[("teams.l2.shifts.evening.headcount", [1, 2, 3])]``;
    ``options`` go to :func:`run_experiment`.
    """
    scenarios, points = sweep_points(scenario if isinstance(scenario, Scenario) else load_scenario(scenario), settings)
    experiment = run_experiment(scenarios, replications, seed, **options)
    return Sweep(experiment, points)


def sweep_points(base: Scenario, settings: Sequence[tuple[str, list[Any]]]) -> tuple[list[Scenario], pd.DataFrame]:
    """The scenarios of a sweep of ``base`` (see :func:`run_sweep`), and each one's name and parameter values."""
    if not 1 <= len(settings) <= 2:
        raise ServsimError(f"a sweep varies one or two parameters, got {len(settings)}")
    if len({path for path, _ in settings}) < len(settings):
        raise ServsimError(f"--set: {settings[0][0]} is set twice; give its values once (e.g. 1..6 or 1,2,4)")
    points = math.prod(len(values) for _, values in settings)
    if points > MAX_POINTS:
        raise ServsimError(f"--set: {points:,} points to simulate (at most {MAX_POINTS:,}); narrow the range or take "
                           "a step (0..100..10)")
    data = base.model_dump(mode="json", by_alias=True)
    scenarios, rows = [], []
    for combo in itertools.product(*(values for _, values in settings)):
        point = data
        label = []
        for (path, _), value in zip(settings, combo):
            point = set_path(point, path, value, what="--set path")
            label.append(f"{path.split('.')[-2] + '.' if '.' in path else ''}{path.split('.')[-1]}={value}")
        name = ", ".join(label)
        point["name"] = name
        try:
            scenarios.append(scenario_from_dict(point, source=f"--set {name}"))
        except ScenarioError as exc:
            raise ServsimError(f"the sweep point {name} makes an invalid scenario:\n{exc}") from None
        rows.append({"scenario": name, **{path: value for (path, _), value in zip(settings, combo)}})
    return scenarios, pd.DataFrame(rows)
