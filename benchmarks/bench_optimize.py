"""Benchmark of ``servsim optimize`` on the shipped baseline: the cheapest L1/L2 shift headcounts for SLA
attainment >= 90%, on local processes (all cores). Prints the wall time, how many replications were simulated,
the answer next to the baseline and the Erlang C first guess, and each one's weekly staff cost and SLA.

    python benchmarks/bench_optimize.py [--replications 10]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import servsim
from servsim.experiment import run_experiment
from servsim.experiment.optimize import optimize, weekly_staff_cost

ROOT = Path(__file__).resolve().parents[1]
LEVERS = ["teams.l1.shifts.day.headcount=4..12", "teams.l1.shifts.late.headcount=2..8",
          "teams.l2.shifts.software.headcount=1..6", "teams.l2.shifts.evening.headcount=0..4"]
REQUIRE = ["sla_attainment>=0.9"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenario = servsim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    began = time.perf_counter()
    found = optimize(scenario, LEVERS, REQUIRE, replications=args.replications, seed=args.seed,
                     executor="processes")
    wall = time.perf_counter() - began
    frontier = found.frontier
    simulated = int((~frontier["confirmation"]).sum() * args.replications
                    + frontier["confirmation"].sum() * 2 * args.replications)
    print(f"optimize the baseline's L1/L2 shifts for {', '.join(REQUIRE)}: {wall:.1f} s on local processes; "
          f"{len(frontier)} staffings evaluated, {simulated} replications simulated")
    print(found.table().to_string(index=False))
    column = f"{found.requirements[0]} (mean)"
    paths = [lv.path for lv in found.levers]
    for label, staffing in (("baseline", found.baseline), ("Erlang C guess", found.first_guess),
                            ("optimum", found.chosen)):
        if staffing is None:
            print(f"{label:>15}: none within the bounds")
            continue
        point = scenario.with_changes(staffing)
        row = frontier[(frontier[paths] == [staffing[p] for p in paths]).all(axis=1)]
        verdict = ""
        if len(row):
            sla = float(row[column].iloc[0])
            verdict = ", meets the requirement" if bool(row["feasible"].iloc[0]) else ", misses the requirement"
        else:  # not on the optimiser's path: simulated here on the same replications
            exp = run_experiment([point], args.replications, args.seed, executor="processes", progress=False)
            sla = float(exp.summary().set_index("kpi").loc["sla_attainment", "mean"])
        print(f"{label:>15}: weekly staff cost {weekly_staff_cost(point):,.0f}, SLA attainment {sla:.1%}{verdict}")

if __name__ == "__main__":
    main()
