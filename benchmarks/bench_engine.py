"""Engine benchmark for servsim: speed and memory against SimPy and Ciw, and one simulated year of the baseline.

(a) M/M/c with c=10, rho=0.9 and a mean service time of 10 min (lambda = 0.9 per minute),
    simulated in this process by
      1. servsim (``servsim.simulate`` and its tickets table, built on first use),
      2. a minimal hand-written SimPy model (one process per customer, ``simpy.Resource``),
      3. Ciw (``ciw.create_network`` with exponential arrivals and service, c=10).
    For each: wall seconds, tickets per second, peak traced memory (from a second run under
    ``tracemalloc``, never from the timed run), and the mean wait in queue (with a 95%
    batch-means confidence interval) next to the exact Erlang C value, to show that all three
    simulate the same system.
    Targets: servsim/SimPy time per ticket <= 1.0 (above 1.5 is a defect);
             Ciw/servsim time per ticket >= 2.0.
(b) ``scenarios/baseline.yaml`` run for 52 weeks. Target: under 10 s.
(c) With ``--memory 1000000,10000000``: the same M/M/c model at each size, ``servsim.simulate`` in a fresh
    process, its peak resident memory (RSS) over that of the process before the run, per ticket: after
    ``simulate`` (the engine's columns), after its KPIs (a replication) and after the tickets and events tables
    are built (``run --out``). Target (issue 11): 10M tickets within 4 GB.

Usage::

    python benchmarks/bench_engine.py [--tickets 200000] [--seed 1] [--repeat 1] [--skip-baseline]
                                      [--memory 1000000,10000000]
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import simpy

import servsim
from servsim.scenario import scenario_from_dict

try:
    import ciw
except ImportError:  # optional: pip install -e '.[bench]'
    ciw = None

C = 10                   # servers
RHO = 0.9                # utilisation
MEAN_SERVICE = 10.0      # minutes
LAM = RHO * C / MEAN_SERVICE  # arrivals per minute (0.9)
WEEK = 10080.0           # minutes
BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

SERVSIM_PER_SIMPY_GOAL, SERVSIM_PER_SIMPY_DEFECT = 1.0, 1.5
CIW_PER_SERVSIM_TARGET = 2.0
BASELINE_TARGET_S = 10.0


# --------------------------------------------------------------------------- measuring

@dataclass
class Figures:
    """What one benchmarked run produced and cost."""

    name: str
    tickets: int
    seconds: float
    peak_mib: float
    mean_wait: float = math.nan  # minutes in queue
    wait_ci: float = math.nan    # half-width of its 95% batch-means confidence interval

    @property
    def per_second(self) -> float:
        return self.tickets / self.seconds


def measure(name: str, run: Callable[[], Any], summarize: Callable[[Any], tuple[int, np.ndarray | None]],
            repeat: int = 1) -> Figures:
    """Time ``run`` (best of ``repeat``), then run it once more under tracemalloc for its peak memory.

    ``summarize(result) -> (tickets, waits in arrival order or None)`` is applied outside the timed region.
    """
    best = math.inf
    for _ in range(repeat):
        gc.collect()
        began = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - began)
        tickets, waits = summarize(result)
        del result
    gc.collect()
    tracemalloc.start()
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    gc.collect()
    figures = Figures(name, tickets, best, peak / 2**20)
    if waits is not None:
        figures.mean_wait, figures.wait_ci = mean_with_ci(waits)
    return figures


def mean_with_ci(values: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and 95% half-width by batch means: at rho=0.9 successive waits are strongly correlated,
    so the naive standard error would be far too small."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    t_975 = 2.093  # Student t, 19 degrees of freedom (20 batches)
    return float(values.mean()), float(t_975 * means.std(ddof=1) / math.sqrt(batches))


def erlang_c_wait(c: int, lam: float, mean_service: float) -> float:
    """Exact mean wait in queue of M/M/c (Erlang C), in the unit of ``mean_service``."""
    a = lam * mean_service  # offered load in erlangs
    term, total = 1.0, 1.0  # a^k / k!, summed for k = 0 .. c-1
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c / (1 - a / c)  # a^c / c! / (1 - rho)
    p_wait = last / (total + last)
    return p_wait * mean_service / (c - a)


# --------------------------------------------------------------------------- M/M/c peers

def servsim_mmc(n: int, seed: int) -> servsim.SimulationResult:
    """servsim, a single 24/7 team of C agents; ``n`` tickets expected over the horizon."""
    scenario = scenario_from_dict({
        "version": 1, "name": "mmc",
        "clock": {"start": "2026-01-05 00:00", "horizon": n / LAM, "warmup": 0},
        "demand": {"channels": {"phone": {"rate": f"{LAM}/min"}},
                   "mix": {"ticket_types": {"job": 1}, "priorities": {"P1": 1}}},
        "teams": {"desk": {"shifts": {"all": {"days": "Mon-Sun", "start": "00:00", "end": "24:00",
                                              "headcount": C}}}},
        "stages": {"serve": {"team": "desk", "first_response": True}},
        "ticket_types": {"job": {"entry": "serve", "steps": {
            "serve": {"work": {"kind": "exponential", "mean": MEAN_SERVICE}, "next": "resolve"}}}},
        "priorities": {"P1": {"first_response": "30min", "resolution": "1h"}},
    })
    return servsim.simulate(scenario, seed=seed)


def with_tickets(result: servsim.SimulationResult) -> servsim.SimulationResult:
    """The run with its tickets table built (``simulate`` builds it on first use), as the other peers build their
    logs inside the timed region."""
    result.tickets  # noqa: B018 -- built on first use
    return result


def servsim_summary(result: servsim.SimulationResult) -> tuple[int, np.ndarray]:
    """Tickets created, and the waits (created -> first response) of those served by the horizon."""
    t = result.tickets.sort_values("created_at")
    waits = ((t["first_response_at"] - t["created_at"]).dt.total_seconds() / 60).to_numpy()
    return len(t), waits[~np.isnan(waits)]  # NaN: still queued at the horizon


def simpy_mmc(n: int, seed: int) -> list[float]:
    """Minimal SimPy M/M/c: one process per customer, ``simpy.Resource``, numpy draws; runs until all leave."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / LAM, n).tolist()
    work = rng.exponential(MEAN_SERVICE, n).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=C)
    waits = [0.0] * n

    def customer(i: int):
        arrived = env.now
        with desk.request() as request:
            yield request
            waits[i] = env.now - arrived
            yield env.timeout(work[i])

    def source():
        for i in range(n):
            yield env.timeout(gaps[i])
            env.process(customer(i))

    env.process(source())
    env.run()
    return waits


def simpy_summary(waits: list[float]) -> tuple[int, np.ndarray]:
    return len(waits), np.array(waits)


def ciw_mmc(n: int, seed: int) -> tuple[int, list]:
    """Ciw M/M/c. Ciw keeps generating arrivals, so it runs to a time by which the first ``n``
    arrivals have almost surely left (6 sd of the Poisson count plus 1000 min); returns
    (arrivals in the run, service records)."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
        service_distributions=[ciw.dists.Exponential(rate=1 / MEAN_SERVICE)],
        number_of_servers=[C],
    )
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time((n + 6 * math.sqrt(n)) / LAM + 100 * MEAN_SERVICE)
    return sim.nodes[0].number_of_individuals, sim.get_all_records()


def ciw_summary(result: tuple[int, list], n: int) -> tuple[int, np.ndarray]:
    """Arrivals simulated, and the waits of the first ``n`` customers (ids count arrivals from 1)."""
    arrivals, records = result
    first = sorted((r.id_number, r.waiting_time) for r in records if r.id_number <= n)
    if len(first) != n:
        raise RuntimeError(f"Ciw: only {len(first)} of the first {n} customers finished; lengthen the run")
    return arrivals, np.array([w for _, w in first])


# --------------------------------------------------------------------------- baseline year

def baseline_year(path: Path, seed: int) -> servsim.SimulationResult:
    """Load the shipped baseline and simulate 52 weeks of it."""
    s = servsim.load_scenario(path)
    year = s.model_copy(update={"clock": s.clock.model_copy(update={"horizon": 52 * WEEK})})
    return servsim.simulate(year, seed=seed)


# --------------------------------------------------------------------------- report

def fmt_row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))


def print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(fmt_row(header, widths))
    print(fmt_row(["-" * w for w in widths], widths))
    for row in rows:
        print(fmt_row(row, widths))


def verdict_servsim_simpy(ratio: float) -> str:
    if ratio <= SERVSIM_PER_SIMPY_GOAL:
        return "meets goal"
    if ratio <= SERVSIM_PER_SIMPY_DEFECT:
        return "above goal, below defect line"
    return "DEFECT"


def bench_mmc(n: int, seed: int, repeat: int) -> None:
    exact = erlang_c_wait(C, LAM, MEAN_SERVICE)
    print(f"(a) M/M/c: c={C}, rho={RHO}, mean service {MEAN_SERVICE:g} min, lambda={LAM:g}/min, "
          f"{n:,} tickets, seed {seed}")
    peers = [
        measure("servsim", lambda: with_tickets(servsim_mmc(n, seed)), servsim_summary, repeat),
        measure("SimPy (hand-written)", lambda: simpy_mmc(n, seed), simpy_summary, repeat),
    ]
    if ciw is None:
        print("    Ciw is not installed (pip install -e '.[bench]'); skipping it.")
    else:
        peers.append(measure("Ciw", lambda: ciw_mmc(n, seed), lambda r: ciw_summary(r, n), repeat))
    print_table(
        ["peer", "tickets", "wall s", "tickets/s", "peak MiB", "mean wait min (95% CI)", "Erlang C min"],
        [[f.name, f"{f.tickets:,}", f"{f.seconds:.2f}", f"{f.per_second:,.0f}", f"{f.peak_mib:.1f}",
          f"{f.mean_wait:.2f} ± {f.wait_ci:.2f}", f"{exact:.2f}"] for f in peers],
    )
    # ratios of time per ticket (= inverse throughput), since ticket counts differ slightly between peers
    by_name = {f.name: f for f in peers}
    mine, simpy_ = by_name["servsim"], by_name["SimPy (hand-written)"]
    ratio = simpy_.per_second / mine.per_second
    print(f"servsim / SimPy time per ticket: {ratio:.2f}  (goal <= {SERVSIM_PER_SIMPY_GOAL:.1f}, "
          f"defect > {SERVSIM_PER_SIMPY_DEFECT:.1f}): {verdict_servsim_simpy(ratio)}")
    if "Ciw" in by_name:
        ratio = mine.per_second / by_name["Ciw"].per_second
        status = "meets target" if ratio >= CIW_PER_SERVSIM_TARGET else "BELOW TARGET"
        print(f"Ciw / servsim time per ticket:   {ratio:.2f}  (target >= {CIW_PER_SERVSIM_TARGET:.1f}): {status}")


def bench_baseline(seed: int, repeat: int) -> None:
    print(f"(b) {BASELINE.relative_to(BASELINE.parent.parent)}, horizon 52 weeks, seed {seed}")
    if not BASELINE.exists():
        print(f"    {BASELINE} does not exist (yet); skipping the baseline benchmark.")
        return
    f = measure("baseline 52w", lambda: with_tickets(baseline_year(BASELINE, seed)), lambda r: (len(r.tickets), None),
                repeat)
    status = "meets target" if f.seconds < BASELINE_TARGET_S else "ABOVE TARGET"
    print_table(["run", "tickets", "wall s", "tickets/s", "peak MiB"],
                [[f.name, f"{f.tickets:,}", f"{f.seconds:.2f}", f"{f.per_second:,.0f}", f"{f.peak_mib:.1f}"]])
    print(f"wall time {f.seconds:.2f} s (target < {BASELINE_TARGET_S:g} s): {status}")


def peak_rss_per_ticket(n: int, seed: int) -> None:
    """Part (c), in this (fresh) process: print tickets, wall seconds and the peak RSS of one M/M/c run, after
    ``simulate`` (the engine's ticket and event columns), after its KPIs (a replication) and after the tickets and
    events tables are built too (``run --out``)."""
    import resource

    def peak() -> float:
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024  # KiB on Linux

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    began = time.perf_counter()
    result = servsim_mmc(n, seed)
    wall = time.perf_counter() - began
    peaks = [peak()]
    result.kpis()
    peaks.append(peak())
    result.tickets, result.events  # noqa: B018 -- built on first use
    peaks.append(peak())
    tickets = len(result.tickets)
    print(f"  {tickets:>12,} tickets {wall:6.1f} s  peak RSS, B a ticket (GiB): simulate "
          + ", + KPIs ".join(f"{p / tickets:4.0f} ({p / 2**30:4.2f})" for p in peaks[:2])
          + f", + tables {peaks[2] / tickets:4.0f} ({peaks[2] / 2**30:4.2f})")


def bench_memory(sizes: list[int], seed: int) -> None:
    import subprocess
    import sys

    print("(c) peak memory of servsim.simulate on M/M/c, each size in a fresh process")
    for n in sizes:
        code = f"import bench_engine as b; b.peak_rss_per_ticket({n}, {seed})"
        subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent, check=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=200_000, help="M/M/c tickets per peer (default 200000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed for every peer (default 1)")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs per peer; the best is kept (default 1)")
    parser.add_argument("--skip-baseline", action="store_true", help="skip the one-year baseline scenario")
    parser.add_argument("--memory", default="", help="comma-separated M/M/c sizes for the peak-memory part (c), "
                                                     "e.g. 1000000,10000000")
    args = parser.parse_args(argv)
    if args.tickets < 1000 or args.repeat < 1:
        parser.error("--tickets must be at least 1000 and --repeat at least 1")

    versions = [f"servsim {servsim.__version__}", f"simpy {simpy.__version__}", f"numpy {np.__version__}"]
    if ciw is not None:
        versions.append(f"ciw {ciw.__version__}")
    print(f"Python {platform.python_version()}, {', '.join(versions)}, {os.cpu_count()} CPUs")
    print("Peak memory: tracemalloc peak of a separate, untimed run.\n")
    bench_mmc(args.tickets, args.seed, args.repeat)
    if not args.skip_baseline:
        print()
        bench_baseline(args.seed, args.repeat)
    if args.memory:
        print()
        bench_memory([int(x) for x in args.memory.split(",")], args.seed)


if __name__ == "__main__":
    main()
