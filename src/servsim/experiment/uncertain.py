"""Experiments over a calibration's input uncertainty: every scenario (the baseline and each change) run on the point
calibration and on each of its draws (re-calibrations on resampled history, written by ``servsim calibrate
--uncertainty N``), so that an interval can include what the history cannot pin down.

A change is carried to a draw as what it changes in the calibrated scenario (the fields where it differs from it, set
on the draw), so a draw's change differs from the draw exactly as the change differs from the calibrated scenario.
Within a draw the scenarios share their random streams (common random numbers: differences stay paired); draws are
independent of each other and of the point. The point's replications centre each estimate; the draws measure its
input variance (:func:`~servsim.experiment.stats.variance_split`); the interval holds both
(:func:`~servsim.experiment.stats.input_interval`).
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioWarning, ServsimError
from ..files import write_csv, write_figure, write_text
from ..scenario import Scenario, load_scenario, scenario_from_dict
from .core import Experiment, _as_scenarios, run_experiment
from .explain import NOT_MATERIAL, verdict
from .stats import input_interval

DRAWS_FOLDER = "uncertainty"
UNCERTAINTY_FILE = "uncertainty.json"  # in a compare folder: what UncertainExperiment.load needs
DRAW_REPLICATIONS = 5  # at most this many replications of each draw: many draws of few replications each estimate
# the input variance best (Ankenman and Nelson); two are the least that also measure the simulation's own


def draw_files(scenario: str | Path) -> list[Path]:
    """The draws written next to a calibrated scenario file (``<folder>/uncertainty/draw_*.json``), or of a
    calibrated folder; none where there are none."""
    path = Path(scenario)
    folder = path if path.is_dir() else path.parent
    return sorted(p for p in (folder / DRAWS_FOLDER).glob("draw_*.*") if p.suffix in (".json", ".yaml"))


def bounded_teams(draws: Sequence[str | Path]) -> list[str]:
    """The teams whose work content the draws take within a band (the log only bounds it), from the ``factors.csv``
    written beside them."""
    factors = Path(draws[0]).parent / "factors.csv" if draws else None
    if factors is None or not factors.is_file():
        return []
    columns = pd.read_csv(factors, nrows=0).columns
    return [c.removeprefix("utilisation:") for c in columns if c.startswith("utilisation:")]


def in_words(found: UncertainExperiment, shares: pd.Series) -> str:
    """Where an experiment's uncertainty comes from, for a manager (``shares``: each KPI's input share)."""
    shares = shares.dropna()
    if not len(shares):
        return ""
    median = shares.median()
    weeks = found.point.scenarios[found.names[0]].clock.horizon / 10080
    if median <= 0.5:
        return (f"most of this uncertainty is simulation noise (the history's share is {median:.0%} in the "
                "median): more replications would narrow it")
    if found.bounded:
        return (f"most of this uncertainty (median share {median:.0%}) is what the log cannot identify: the work "
                f"content of {', '.join(found.bounded)} is only bounded by it, so each re-calibration takes it "
                "within its band; a longer window would not narrow this, measured handling times would")
    return (f"most of this uncertainty comes from the history itself (median share {median:.0%}): {found.draws} "
            f"re-calibrations on resampled days of {weeks:.0f} weeks disagree more than replications do; a longer "
            "window would narrow it, more replications would not")


def calibrated_scenario(path: str | Path) -> Path:
    """A scenario file, or the ``scenario.yaml`` of a calibrated folder."""
    path = Path(path)
    if path.is_dir():
        if not (path / "scenario.yaml").is_file():
            raise ServsimError(f"{path}: a folder without scenario.yaml; expected a scenario file or a folder written "
                               "by servsim calibrate")
        return path / "scenario.yaml"
    return path


def changed_fields(changed: Any, base: Any) -> Any:
    """What ``changed`` (a scenario as a plain mapping) changes in ``base``: a nested mapping of the fields that
    differ (lists and values whole), with ``None`` for a field ``changed`` leaves out; ``_SAME`` where nothing."""
    if isinstance(changed, dict) and isinstance(base, dict):
        out = {}
        for key in changed.keys() | base.keys():
            if key not in changed:
                out[key] = None
            elif key not in base:
                out[key] = _Whole(changed[key])
            elif (inner := changed_fields(changed[key], base[key])) is not _SAME:
                out[key] = inner
        return out or _SAME
    return _SAME if changed == base else _Whole(changed)


class _Whole:
    """A value that replaces the field whole."""

    def __init__(self, value: Any) -> None:
        self.value = value


_SAME = object()


def with_fields(data: dict, changes: Any) -> dict:
    """``data`` with ``changes`` (from :func:`changed_fields`) set on it."""
    if changes is _SAME:
        return data
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        elif isinstance(value, _Whole):
            data[key] = copy.deepcopy(value.value)
        elif isinstance(data.get(key), dict):
            with_fields(data[key], value)
        else:
            data[key] = copy.deepcopy(value)
    return data


@dataclass
class UncertainExperiment:
    """An experiment over the point calibration and its draws: ``point`` runs the scenarios as given (``names``,
    baseline first), ``drawn`` runs them on each draw (named ``<name> @ draw k``)."""

    point: Experiment
    drawn: Experiment
    names: list[str]
    draws: int
    draw_replications: int
    bounded: list[str] = field(default_factory=list)  # teams whose work content the draws take within a band

    def _values(self, name: str, kpi: str, draw: int | None) -> np.ndarray:
        runs = self.point.replications[name] if draw is None else self.drawn.replications[f"{name} @ draw {draw}"]
        return np.array([s["kpis"].get(kpi, np.nan) for s in runs], float)

    def _matrix(self, values: Any) -> np.ndarray:
        return np.array([values(draw) for draw in range(1, self.draws + 1)])

    def interval(self, name: str, kpi: str, level: float = 0.95) -> dict[str, float]:
        """Scenario ``name``'s mean of ``kpi`` with its interval including input uncertainty at ``level`` (see
        :func:`~servsim.experiment.stats.input_interval`)."""
        return input_interval(self._values(name, kpi, None), self._matrix(lambda d: self._values(name, kpi, d)),
                              level)

    def summary(self) -> pd.DataFrame:
        """Per scenario and KPI: the point's mean, its simulation-only 95% interval, the interval including input
        uncertainty (``low``, ``high``) and the input share of its variance."""
        sim = self.point.summary().set_index(["scenario", "kpi"])
        rows = []
        for name in self.names:
            for kpi in self.point.replications[name][0]["kpis"]:
                found = input_interval(self._values(name, kpi, None),
                                       self._matrix(lambda d, n=name, k=kpi: self._values(n, k, d)))
                rows.append({"scenario": name, "kpi": kpi, **found, "ci_low": sim.loc[(name, kpi), "ci_low"],
                             "ci_high": sim.loc[(name, kpi), "ci_high"]})
        return pd.DataFrame(rows)

    def compare(self) -> pd.DataFrame:
        """Per change and KPI: the paired difference from the baseline at the point calibration with its
        simulation-only 95% interval (``ci_low``, ``ci_high``), the interval including input uncertainty (``low``,
        ``high``), the input share of its variance, and the verdict (:func:`robust_verdict`)."""
        point = self.point.compare().set_index(["scenario", "kpi"])
        base = self.names[0]
        rows = []
        for name in self.names[1:]:
            for kpi in self.point.replications[name][0]["kpis"]:
                def diff(draw: int | None, k: str = kpi, n: str = name) -> np.ndarray:
                    a, b = self._values(n, k, draw), self._values(base, k, draw)
                    m = min(len(a), len(b))
                    return a[:m] - b[:m]

                found = input_interval(diff(None), self._matrix(diff))
                sim = point.loc[(name, kpi)]
                row = {"scenario": name, "kpi": kpi, "baseline_mean": sim["baseline_mean"],
                       "material_at": sim["material_at"],
                       "difference": found["mean"], "ci_low": sim["ci_low"], "ci_high": sim["ci_high"],
                       "low": found["low"], "high": found["high"], "input_share": found["input_share"],
                       "draws": found["draws"]}
                row["verdict"] = robust_verdict(row)
                rows.append(row)
        return pd.DataFrame(rows)

    def per_draw(self, kpi: str) -> pd.DataFrame:
        """Each change's mean paired difference in ``kpi`` on each draw (``draw`` 0: the point calibration)."""
        base = self.names[0]
        rows = []
        for name in self.names[1:]:
            for draw in [None, *range(1, self.draws + 1)]:
                a, b = self._values(name, kpi, draw), self._values(base, kpi, draw)
                m = min(len(a), len(b))
                rows.append({"scenario": name, "draw": draw or 0, "difference": float(np.nanmean(a[:m] - b[:m]))})
        return pd.DataFrame(rows)


    def plot_draws(self, kpis: Sequence[str] = ("frt_p90_min", "ttr_p90_min", "sla_attainment", "backlog_mean"),
                   comparison: pd.DataFrame | None = None):
        """Each change's paired difference on each re-calibration, with both intervals (one panel per KPI;
        ``comparison``: :meth:`compare`, if already made)."""
        from ..report.figures import draw_differences

        comparison = self.compare() if comparison is None else comparison
        kpis = [k for k in kpis if k in set(comparison["kpi"])]
        return draw_differences({kpi: self.per_draw(kpi) for kpi in kpis}, comparison)

    @classmethod
    def load(cls, folder: str | Path) -> UncertainExperiment:
        """The experiment saved in ``folder`` by :meth:`save` after a run with ``out=folder``."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / UNCERTAINTY_FILE).read_text(encoding="utf-8"))
            names, draws, per_draw = list(meta["names"]), int(meta["draws"]), int(meta["draw_replications"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ServsimError(f"{folder}: not a compare folder with input uncertainty ({UNCERTAINTY_FILE}: {exc})"
                               ) from None
        return cls(Experiment.load(folder / "point"), Experiment.load(folder / "draws"), names, draws, per_draw,
                   list(meta.get("bounded", [])))

    def save(self, out: str | Path) -> list[Path]:
        """Write the summary and comparison with both intervals (CSV), the per-draw figure and what :meth:`load`
        needs into ``out``."""
        import matplotlib.pyplot as plt

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        write_text(out / UNCERTAINTY_FILE, json.dumps({
            "names": self.names, "draws": self.draws, "draw_replications": self.draw_replications,
            "bounded": self.bounded}))
        written = [out / "summary.csv"]
        write_csv(written[0], self.summary())
        if len(self.names) > 1:
            comparison = self.compare()
            write_csv(out / "comparison.csv", comparison)
            fig = self.plot_draws(comparison=comparison)
            write_figure(out / "draws.png", fig, 110)
            plt.close(fig)
            written += [out / "comparison.csv", out / "draws.png"]
        return [*written, out / UNCERTAINTY_FILE]


def robust_verdict(row: dict | pd.Series) -> str:
    """``better, robustly`` where the interval including input uncertainty excludes no change (likewise ``worse``,
    ``differs``); ``better at the point estimate only`` where only the simulation-only interval does; ``no material
    change`` where a detectable change is too small to act on; else ``no detectable difference``."""
    def excludes_zero(low: float, high: float) -> bool:
        return bool(low > 0 or high < 0)

    word = verdict(row["kpi"], row["difference"], True, baseline=row.get("baseline_mean", float("nan")),
                   threshold=row.get("material_at"))
    if word == NOT_MATERIAL and excludes_zero(row["ci_low"], row["ci_high"]):
        return word
    if excludes_zero(row["low"], row["high"]):
        return f"{word}, robustly"
    if excludes_zero(row["ci_low"], row["ci_high"]):
        return f"{word} at the point estimate only"
    return "no detectable difference"


def run_uncertain(scenarios: Sequence[Scenario | str | Path], draws: Sequence[Scenario | str | Path],
                  replications: int = 10, seed: int = 0, draw_replications: int | None = None,
                  reference: Scenario | None = None, **options: Any) -> UncertainExperiment:
    """Run ``scenarios`` (the first is the baseline of comparisons) ``replications`` times, and each of them
    carried to every draw of ``draws`` ``draw_replications`` times (default: ``replications``, at most
    :data:`DRAW_REPLICATIONS`, at least 2). A scenario is carried to a draw as what it changes in ``reference``,
    the calibrated scenario the draws re-estimate (default: the first scenario). ``options`` go to
    :func:`~servsim.experiment.run_experiment`."""
    named = _as_scenarios(scenarios)
    loaded = [d if isinstance(d, Scenario) else load_scenario(d) for d in draws]
    if len(loaded) < 2:
        raise ServsimError(f"input uncertainty needs at least 2 draws; found {len(loaded)} (calibrate with "
                           "--uncertainty N to write them)")
    if replications == "auto":
        raise ServsimError("--replications auto is not available with input uncertainty; give a number (e.g. 10), "
                           "or --no-uncertainty")
    if not isinstance(replications, (int, np.integer)) or replications < 2:
        raise ServsimError(f"with input uncertainty, replications must be a number of at least 2 (the point's "
                           f"simulation variance is measured on them), got {replications!r}")
    per_draw = draw_replications or max(2, min(int(replications), DRAW_REPLICATIONS))
    if per_draw < 2:
        raise ServsimError(f"draw_replications must be at least 2, got {per_draw}")
    point = reference or next(iter(named.values()))
    point_data = point.model_dump(mode="json", by_alias=True)
    changes = {name: changed_fields(s.model_dump(mode="json", by_alias=True), point_data)
               for name, s in named.items()}
    runs: list[Scenario] = []
    groups: list[int] = []
    for k, draw in enumerate(loaded, start=1):
        if draw.clock != point.clock:
            raise ServsimError(f"draw {k} has a different clock from the calibrated scenario {point.name!r}; draws "
                               "are re-calibrations of the same window (calibrate again to write matching draws)")
        data = draw.model_dump(mode="json", by_alias=True)
        for name, change in changes.items():
            carried = with_fields(copy.deepcopy(data), change)
            carried["name"] = f"{name} @ draw {k}"
            runs.append(scenario_from_dict(carried, source=f"{name} carried to draw {k}"))
        groups += [k] * len(named)
    out = options.pop("out", None)
    point_run = run_experiment(list(named.values()), replications, seed, out=out and Path(out) / "point", **options)
    with warnings.catch_warnings():  # the point's run has said what there is to say about these scenarios
        warnings.simplefilter("ignore", ScenarioWarning)
        drawn = run_experiment(runs, per_draw, seed, stream_groups=groups, out=out and Path(out) / "draws",
                               **options)
    paths = [d for d in draws if not isinstance(d, Scenario)]
    return UncertainExperiment(point_run, drawn, list(named), len(loaded), per_draw, bounded_teams(paths))
