"""Experiments: R replications of one or more scenarios with common random numbers,
summarised as means with confidence intervals and paired differences from the first scenario."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ScenarioWarning, ServsimError
from ..files import write_csv, write_figure, write_text
from ..scenario import Scenario, load_scenario, scenario_from_dict, scenario_hash
from ..scenario.load_check import check_load
from ..scenario.provenance import assumed_changes
from ..version import __version__
from .executors import execute
from .explain import with_thresholds
from .stats import CI_METHOD, paired_differences, summarise
from .store import ReplicationStore

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FIGURE_KPIS = ("frt_mean_min", "frt_p90_min", "frt_within_target", "ttr_p90_min", "sla_attainment",
               "abandonment_rate", "backlog_mean", "cost_total")
DEFAULT_PRECISION_KPIS = ("frt_mean_min", "ttr_mean_min", "sla_attainment")
AUTO_FIRST_BATCH = 10
INDEPENDENT_OFFSET = 1_000_003  # replication offset per scenario when common random numbers are switched off


class Experiment:
    """Finished replications of several scenarios, with their statistics and figures.

    Attributes
    ----------
    names : scenario names, baseline first.
    scenarios : name -> Scenario.
    replications : name -> list of per-replication summaries (KPIs, time quantiles, backlog).
    n_computed, n_reused : replications simulated in this call, and reused from the output folder.
    """

    def __init__(self, scenarios: dict[str, Scenario], replications: dict[str, list[dict[str, Any]]], seed: int,
                 n_computed: int = 0, n_reused: int = 0) -> None:
        self.names = list(scenarios)
        self.scenarios = scenarios
        self.replications = replications
        self.seed = seed
        self.n_computed = n_computed
        self.n_reused = n_reused
        self.ci_method = CI_METHOD
        self.materiality = scenarios[self.names[0]].materiality  # the verdicts' thresholds: the baseline's
        self.precision_note = ""  # with replications="auto": whether the precision asked was reached

    # the tables are computed once (the replications of a finished experiment do not change) and handed out as copies
    @property
    def results(self) -> pd.DataFrame:
        """Tidy per-replication results: ``scenario, replication, kpi, value``."""
        return self._results.copy()

    def summary(self) -> pd.DataFrame:
        """Mean and 95% t-interval per scenario and KPI."""
        return self._summary.copy()

    def compare(self) -> pd.DataFrame:
        """Paired differences of every scenario from the first, with 95% CIs (common random numbers), and the
        smallest difference worth acting on (``material_at``, by :attr:`materiality`)."""
        return with_thresholds(self._comparison, self.materiality)

    @cached_property
    def _results(self) -> pd.DataFrame:
        rows = [(name, i, kpi, np.nan if value is None else value)
                for name in self.names for i, summary in enumerate(self.replications[name])
                for kpi, value in summary["kpis"].items()]
        return pd.DataFrame(rows, columns=["scenario", "replication", "kpi", "value"])

    @cached_property
    def _summary(self) -> pd.DataFrame:
        return summarise(self._results)

    @cached_property
    def _comparison(self) -> pd.DataFrame:
        return paired_differences(self._results, self.names[0])

    # figures -------------------------------------------------------------------------------------
    def plot_kpis(self, kpis: Sequence[str] = FIGURE_KPIS) -> Figure:
        """Each scenario's mean of each KPI with its 95% CI."""
        from ..report.figures import kpi_bars

        return kpi_bars(self.summary(), self.names, kpis)

    def plot_differences(self, kpis: Sequence[str] = FIGURE_KPIS) -> Figure:
        """Paired differences from the baseline with 95% CIs, relative to the baseline (a forest plot)."""
        from ..report.figures import paired_forest

        if len(self.names) < 2:
            raise ServsimError("differences need at least two scenarios")
        return paired_forest(self.compare(), kpis)

    def plot_ecdf(self) -> Figure:
        from ..report.figures import time_ecdfs

        return time_ecdfs(self.replications, self.names)

    def plot_backlog(self) -> Figure:
        from ..report.figures import backlog_bands

        clock = self.scenarios[self.names[0]].clock
        return backlog_bands(self.replications, self.names, pd.Timestamp(clock.start)
                             + pd.Timedelta(minutes=clock.warmup))

    def plot_utilisation(self) -> Figure:
        from ..report.figures import utilisation_bars

        return utilisation_bars(self.summary(), self.names)

    @classmethod
    def load(cls, folder: str | Path) -> Experiment:
        """The experiment saved in ``folder`` by ``run_experiment(out=...)``: its scenarios and every replication
        stored there (checked like a rerun checks them)."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            entries = manifest["scenarios"]
            seed = int(manifest["seed"])
            scenarios = {e["name"]: scenario_from_dict(e["scenario"], source=f"{folder}/manifest.json")
                         for e in entries}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ServsimError(f"{folder}: not an experiment folder written by servsim compare/sweep --out "
                               f"(manifest.json: {exc})") from None
        offsets = [k * INDEPENDENT_OFFSET for k in _stream_groups(len(entries), manifest.get(
            "common_random_numbers", True), manifest.get("stream_groups"))]
        store = ReplicationStore(folder)
        replications: dict[str, list[dict[str, Any]]] = {}
        for entry, offset in zip(entries, offsets):
            found = replications[entry["name"]] = []
            while (summary := store.load(entry["name"], entry["hash"], seed, len(found) + offset)) is not None:
                found.append(summary)
        n = min(len(v) for v in replications.values())
        if n == 0:
            raise ServsimError(f"{folder}: no finished replications stored")
        experiment = cls(scenarios, {k: v[:n] for k, v in replications.items()}, seed, 0, n * len(scenarios))
        points = folder / "points.csv"
        if points.exists():
            from .sweep import Sweep

            return Sweep(experiment, pd.read_csv(points))
        return experiment

    def save(self, out: str | Path) -> list[Path]:
        """Write results, summary, comparison (CSV and JSON) and PNG figures into ``out``."""
        import matplotlib.pyplot as plt

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "results.csv", out / "summary.csv", out / "summary.json"]
        write_csv(written[0], self.results)
        summary = self.summary()
        write_csv(written[1], summary)
        payload = {"ci_method": self.ci_method, "seed": self.seed, "summary": _records(summary)}
        if len(self.names) > 1:
            comparison = self.compare()
            write_csv(out / "comparison.csv", comparison)
            payload["comparison"] = _records(comparison)
            written.append(out / "comparison.csv")
        write_text(written[2], json.dumps(payload, indent=1, default=_plain))
        plots = [("kpis", self.plot_kpis), ("ecdf", self.plot_ecdf), ("backlog", self.plot_backlog),
                 ("utilisation", self.plot_utilisation)]
        if len(self.names) > 1:
            plots.insert(1, ("differences", self.plot_differences))
        for name, make in plots:
            fig = make()
            write_figure(out / f"{name}.png", fig, 110)
            plt.close(fig)
            written.append(out / f"{name}.png")
        return written


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars."""
    return value.item() if hasattr(value, "item") else str(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _as_scenarios(scenarios: Sequence[Scenario | str | Path]) -> dict[str, Scenario]:
    out: dict[str, Scenario] = {}
    for item in scenarios:
        scenario = item if isinstance(item, Scenario) else load_scenario(item)
        if scenario.name in out:
            raise ServsimError(f"two scenarios are both named {scenario.name!r}; give each a distinct `name:`")
        out[scenario.name] = scenario
    if not out:
        raise ServsimError("no scenarios given")
    first_name, first = next(iter(out.items()))
    for name, scenario in out.items():
        if scenario.clock != first.clock:
            raise ServsimError(
                f"scenario {name!r} has a different clock from {first_name!r} ({scenario.clock} vs {first.clock}); "
                "scenarios are compared over the same period: give them the same clock")
    return out


def run_experiment(
    scenarios: Sequence[Scenario | str | Path],
    replications: int | str = 10,
    seed: int = 0,
    *,
    precision: float = 0.05,
    precision_kpis: Sequence[str] = DEFAULT_PRECISION_KPIS,
    max_replications: int = 100,
    executor: str = "processes",
    workers: int | None = None,
    dask: str | None = None,
    out: str | Path | None = None,
    progress: bool | None = None,
    common_random_numbers: bool = True,
    force: bool = False,
    stream_groups: Sequence[int] | None = None,
) -> Experiment:
    """Run every scenario ``replications`` times; replication r of each scenario sees the same customers.

    Parameters
    ----------
    scenarios : scenarios or scenario files; the first is the baseline of comparisons.
    replications : a number, or ``"auto"`` to add replications until every KPI in ``precision_kpis`` has a
        95% CI half-width within ``precision`` × |mean| in every scenario (at most ``max_replications``).
    seed : master seed.
    executor, workers, dask : where to run (see :func:`servsim.experiment.executors.execute`).
    out : folder where each replication is saved as it finishes; finished ones found there are reused.
    progress : show a progress bar (default: when stderr is a terminal).
    common_random_numbers : False gives each scenario independent streams (for variance comparisons).
    stream_groups : one number per scenario: scenarios with the same number share their random streams, groups are
        independent of each other (default: all one group, or each its own without common random numbers); the
        baseline's group is the one whose changes are checked against what the baseline marks as assumed.
    force : run even a scenario expected to exceed the size a run takes without it (see
        :mod:`servsim.scenario.load_check`).
    """
    named = _as_scenarios(scenarios)
    groups = dict(zip(named, _stream_groups(len(named), common_random_numbers, stream_groups)))
    _warn_assumed({name: s for name, s in named.items() if groups[name] == groups[next(iter(named))]})
    for name, scenario in named.items():
        check = check_load(scenario)
        if check.size_error() and not force:
            raise ServsimError(f"scenario {name!r}: {check.size_error()}")
        for message in check.warnings():
            warnings.warn(f"scenario {name!r}: {message}", ScenarioWarning, stacklevel=2)
    auto = replications == "auto"
    if not auto and (not isinstance(replications, (int, np.integer)) or replications < 1):
        raise ServsimError(f"replications must be a positive number or 'auto', got {replications!r}")
    if auto and not 0 < precision < 1:
        raise ServsimError(f"precision must be a fraction between 0 and 1 (0.05 = 5%), got {precision!r}")
    store = ReplicationStore(out)
    hashes = {name: scenario_hash(s) for name, s in named.items()}
    data = {name: s.model_dump(mode="json", by_alias=True) for name, s in named.items()}
    with store.locked():
        store.write_manifest({"servsim_version": __version__, "seed": seed,
                              "common_random_numbers": common_random_numbers,
                              "stream_groups": list(groups.values()),
                              "scenarios": [{"name": n, "hash": hashes[n], "scenario": data[n]} for n in named]})
        offsets = {name: group * INDEPENDENT_OFFSET for name, group in groups.items()}
        done: dict[str, dict[int, dict]] = {name: {} for name in named}
        computed = reused = 0
        target = min(AUTO_FIRST_BATCH, max_replications) if auto else int(replications)
        show = sys.stderr.isatty() if progress is None else progress
        while True:
            tasks = []
            for name in named:
                for r in range(target):
                    rep = r + offsets[name]
                    if r in done[name]:
                        continue
                    cached = store.load(name, hashes[name], seed, rep)
                    if cached is not None:
                        done[name][r] = cached
                        reused += 1
                    else:
                        tasks.append(((name, r), data[name], seed, rep))
            from tqdm import tqdm  # text bars: tqdm.auto warns in notebooks without ipywidgets

            with tqdm(total=len(tasks), disable=not show or not tasks, desc="replications", unit="rep") as bar:
                for (name, r), summary in execute(tasks, executor, workers, dask):
                    store.save(name, hashes[name], summary)
                    done[name][r] = summary
                    computed += 1
                    bar.update()
            if not auto:
                break
            needed = _replications_needed(done, precision, precision_kpis)
            if needed <= target or target >= max_replications:
                break
            target = min(max_replications, max(needed, target + 2))
    ordered = {name: [done[name][r] for r in sorted(done[name])] for name in named}
    experiment = Experiment(named, ordered, seed, computed, reused)
    if auto:
        reached = needed <= target
        experiment.precision_note = (
            f"--replications auto: {'reached' if reached else 'did NOT reach'} the precision asked "
            f"(95% CI half-width within {100 * precision:g}% of the mean of {', '.join(precision_kpis)}) with {target} "
            f"replications" + ("" if reached else f" (the cap --max-replications {max_replications}); results are "
                                                  "less precise than asked"))
    return experiment


def _stream_groups(n: int, common_random_numbers: bool, groups: Sequence[int] | None) -> list[int]:
    """The stream group of each of ``n`` scenarios (see :func:`run_experiment`)."""
    if groups is None:
        return [0] * n if common_random_numbers else list(range(n))
    if len(groups) != n or any(not isinstance(g, (int, np.integer)) or g < 0 for g in groups):
        raise ServsimError(f"stream_groups: expected one whole number >= 0 per scenario ({n}), got {list(groups)!r}")
    return [int(g) for g in groups]


def _warn_assumed(named: dict[str, Scenario]) -> None:
    """Warn once per field when a scenario changes a number its baseline (the first) marks as assumed."""
    base, *others = named.values()
    touched: dict[str, tuple[str, list[str]]] = {}
    for name, scenario in zip(list(named)[1:], others):
        for path, why in assumed_changes(base, scenario).items():
            touched.setdefault(path, (why, []))[1].append(name)
    for path, (why, names) in touched.items():
        warnings.warn(f"{', '.join(names[:3])}{' ...' if len(names) > 3 else ''} change {path}, which the baseline "
                      f"did not measure ({why}); the difference is only as good as that assumption",
                      ScenarioWarning, stacklevel=3)


def _replications_needed(done: dict[str, dict[int, dict]], precision: float, kpis: Sequence[str]) -> int:
    """Replications needed so every chosen KPI's half-width is within ``precision`` of its mean (n ∝ hw²)."""
    from .stats import t_interval

    needed = 0
    for reps in done.values():
        n = len(reps)
        for kpi in kpis:
            values = np.array([s["kpis"].get(kpi) for s in reps.values()], dtype=float)
            mean, half, _ = t_interval(values)
            if np.isnan(half) or mean == 0 or np.isnan(mean):
                continue
            ratio = half / (precision * abs(mean))
            needed = max(needed, int(np.ceil(n * ratio**2)))
    return needed
