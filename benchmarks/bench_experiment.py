"""Benchmark of the experiment layer: a two-scenario comparison run serially, on local processes and
on a Dask LocalCluster, and the per-replication overhead of the experiment layer over bare ``simulate``.
CPU time counts this process and every worker process it started (user + system, once they have exited),
so an executor's CPU overhead is its CPU time over the serial run's; running again with three times the
replications separates what each further replication costs from the fixed costs (starting workers, importing).
``--kpis`` times only the KPIs of a replication and its summary (the median over the replications, each the fastest
of five calls right after its ``simulate``, as in a replication), for quick A/B runs.

    python benchmarks/bench_experiment.py [--replications 30] [--kpis]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import numpy as np

import servsim
from servsim.experiment import run_experiment
from servsim.experiment.executors import local_cluster
from servsim.experiment.tasks import replication_summary

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = [ROOT / "scenarios" / "baseline.yaml", ROOT / "scenarios" / "l2-evening.yaml"]


def timed(fn) -> tuple[float, object]:
    began = time.perf_counter()
    value = fn()
    return time.perf_counter() - began, value


def cpu_seconds() -> float:
    """User + system CPU of this process and of its exited child processes (and theirs)."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def cpu_timed(fn) -> tuple[float, float, object]:
    """Wall seconds, CPU seconds (see ``cpu_seconds``) and the value of ``fn()``."""
    cpu = cpu_seconds()
    wall, value = timed(fn)
    return wall, cpu_seconds() - cpu, value


def kpi_milliseconds(scenario, seed: int, replications: int, repeats: int = 5) -> tuple[float, float]:
    """Milliseconds of a replication's ``kpis()`` and of its summary, each right after its ``simulate``: per
    replication the fastest of ``repeats`` calls (a shared machine's hiccups only ever add time), then the median
    over the replications."""
    kpis, summaries = [], []
    for i in range(replications):
        result = servsim.simulate(scenario, seed=seed, replication=i)
        fastest, fastest_summary = np.inf, np.inf
        for _ in range(repeats):
            began = time.perf_counter()
            report = result.kpis()
            middle = time.perf_counter()
            replication_summary(result, report)
            fastest, fastest_summary = min(fastest, middle - began), min(fastest_summary, time.perf_counter() - middle)
        kpis.append(fastest)
        summaries.append(fastest_summary)
    return 1000 * float(np.median(kpis)), 1000 * float(np.median(summaries))


def _start_and_stop_local_cluster() -> None:
    from dask.distributed import Client

    with local_cluster() as cluster, Client(cluster):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kpis", action="store_true", help="time only the KPIs of a replication")
    args = parser.parse_args()
    r, seed = args.replications, args.seed
    scenarios = [servsim.load_scenario(p) for p in SCENARIOS]
    servsim.simulate(scenarios[0], seed=seed).kpis()  # warm imports and caches before timing anything
    kpi_ms, summary_ms = kpi_milliseconds(scenarios[0], seed, r)
    print(f"KPIs of a replication of the baseline: {kpi_ms:.2f} ms, its summary {summary_ms:.2f} ms "
          f"(median of {r} replications, each the fastest of 5 calls)")
    if args.kpis:
        return

    bare, _ = timed(lambda: [servsim.simulate(s, seed=seed, replication=i) for s in scenarios for i in range(r)])
    with_kpis, _ = timed(lambda: [servsim.simulate(s, seed=seed, replication=i).kpis()
                                  for s in scenarios for i in range(r)])
    serial, serial_cpu, exp = cpu_timed(lambda: run_experiment(scenarios, r, seed, executor="serial",
                                                               progress=False))
    processes, processes_cpu, exp_p = cpu_timed(lambda: run_experiment(scenarios, r, seed, executor="processes",
                                                                       progress=False))
    dask, dask_cpu, exp_d = cpu_timed(lambda: run_experiment(scenarios, r, seed, dask="local", progress=False))
    startup, startup_cpu, _ = cpu_timed(_start_and_stop_local_cluster)
    assert exp.results.equals(exp_p.results) and exp.results.equals(exp_d.results), "executors disagree"
    # the same with three times the replications: what each further replication costs, the fixed costs aside
    more = 3 * r
    _, serial_more_cpu, _ = cpu_timed(lambda: run_experiment(scenarios, more, seed, executor="serial", progress=False))
    _, processes_more_cpu, _ = cpu_timed(lambda: run_experiment(scenarios, more, seed, executor="processes",
                                                                progress=False))
    _, dask_more_cpu, _ = cpu_timed(lambda: run_experiment(scenarios, more, seed, dask="local", progress=False))
    marginal = serial_more_cpu - serial_cpu

    n = 2 * r
    print(f"comparison of 2 scenarios x {r} replications (baseline, l2-evening; 9 simulated weeks each), "
          f"{os.cpu_count()} cores, seed {seed}")
    print(f"  {'how':<36}{'wall s':>9}{'per rep s':>11}{'speed-up':>10}")
    rows = [("bare simulate (serial)", bare), ("simulate + KPIs (serial)", with_kpis),
            ("run_experiment, serial", serial), ("run_experiment, local processes", processes),
            ("run_experiment, Dask LocalCluster*", dask)]
    for label, wall in rows:
        print(f"  {label:<36}{wall:>9.2f}{wall / n:>11.3f}{serial / wall:>10.2f}")
    print(f"  * includes starting and stopping the LocalCluster, which alone takes {startup:.2f} s")
    print(f"CPU seconds (this process and its workers): serial {serial_cpu:.1f}, local processes "
          f"{processes_cpu:.1f} ({100 * (processes_cpu / serial_cpu - 1):+.1f}%), Dask LocalCluster {dask_cpu:.1f} "
          f"({100 * (dask_cpu / serial_cpu - 1):+.1f}%; starting and stopping it alone {startup_cpu:.1f}, "
          f"without that {100 * ((dask_cpu - startup_cpu) / serial_cpu - 1):+.1f}%)")
    print(f"CPU of the {2 * (more - r)} further replications of a {more}-replication run over the serial run's "
          f"(fixed costs aside): local processes {100 * ((processes_more_cpu - processes_cpu) / marginal - 1):+.1f}%, "
          f"Dask LocalCluster {100 * ((dask_more_cpu - dask_cpu) / marginal - 1):+.1f}%; the whole {more}-replication "
          f"run: local processes {100 * (processes_more_cpu / serial_more_cpu - 1):+.1f}%, Dask "
          f"{100 * (dask_more_cpu / serial_more_cpu - 1):+.1f}%")
    print(f"experiment-layer overhead per replication over bare simulate: {100 * (serial - bare) / bare:.1f}% "
          f"(of which KPIs {100 * (with_kpis - bare) / bare:.1f}%, orchestration and summaries "
          f"{100 * (serial - with_kpis) / bare:.1f}%)")
    print(f"speed-up with local processes: {serial / processes:.2f}x on {os.cpu_count()} cores "
          f"(ideal {os.cpu_count()}x); identical results on all executors: yes")


if __name__ == "__main__":
    main()
