"""How much a staffing answer hinges on the work content, where the log cannot identify it.

A log whose times the process model cannot explain (people hold tickets for days while waiting on others: the
ServiceNow export) is calibrated as the delay-plus-capacity model, whose work content is assumed within a band
that the log bounds from above (the share of their time on duty its people were in session and not visibly idle).
This prints, for utilisations across that band, the first line's response to halving its people:

    python benchmarks/bench_work_band.py                      # the ServiceNow log beside the repository
    python benchmarks/bench_work_band.py --team group_70 --factor 0.5 --replications 3
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import servsim

LOG = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow_uci" / "incident_event_log.zip"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, default=LOG)
    parser.add_argument("--start", default="2016-04-25")
    parser.add_argument("--end", default="2016-05-16")
    parser.add_argument("--team", default="group_70", help="the team whose people are scaled (the first line)")
    parser.add_argument("--factor", type=float, default=0.5)
    parser.add_argument("--replications", type=int, default=3)
    args = parser.parse_args(argv)
    history = servsim.import_log(args.log, "servicenow")
    print(f"{args.team} x {args.factor}, {args.replications} replications: change of first response and "
          "resolution p50 (min) against the same calibration unchanged")
    for utilisation in (0.4, None, 0.9):
        started = time.perf_counter()
        cal = servsim.calibrate(history, start=args.start, end=args.end, utilisation=utilisation)
        took = time.perf_counter() - started
        cut = cal.scenario.with_changes({f"teams.{args.team}.scale": args.factor}, name="cut")
        rows = []
        for r in range(args.replications):
            base, changed = (servsim.simulate(s, seed=r).kpis().overall for s in (cal.scenario, cut))
            rows.append([changed[k] - base[k] for k in ("frt_p50_min", "ttr_p50_min")] + [base["frt_p50_min"]])
        frt, ttr, level = np.mean(rows, axis=0)
        work = cal.provenance.get("ticket_types.*.steps.*_to_*.work", cal.provenance.get("ticket_types.*.steps.*.work"))
        label = "default" if utilisation is None else f"{utilisation:.0%}"
        print(f"  utilisation {label:>7}: first response p50 {level:6.1f} min, change {frt:+7.1f} min; resolution "
              f"p50 change {ttr:+7.1f} min  (calibrated in {took:.1f} s; work: {work[:120]})")


if __name__ == "__main__":
    main()
