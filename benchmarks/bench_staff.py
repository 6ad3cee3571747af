"""Interval staffing (``servsim staff``) on a calibrated call log: how often the recommended staffing meets the
requirement on fresh replications, and how many agent-hours it takes against the least the search finds (the
staffing whose every interval meets on the mean of its replications, confidence 0.5: a lower bound of the least
that meets, since on fresh replications it misses more often), Erlang A and Erlang C.

    python benchmarks/bench_staff.py                                  # October 1999 if ../shared/data is there
    python benchmarks/bench_staff.py --log calibration/sample/calls.txt.gz --confidence 0.8,0.9
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import servsim
from servsim.experiment.staff import staff

ROOT = Path(__file__).resolve().parents[1]
OCTOBER = ROOT.parent / "shared" / "data" / "callcentre" / "anonbank_october_1999.txt.gz"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", type=Path, default=OCTOBER if OCTOBER.exists() else
                        ROOT / "calibration" / "sample" / "calls.txt.gz")
    parser.add_argument("--require", default="service_level_20s>=0.8 per 30min")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--confidence", default="0.8", help="comma-separated confidences to try besides 0.5")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory():
        cal = servsim.calibrate(servsim.import_log(args.log, "callcentre"))
    print(f"{args.log.name}: calibrated in {time.perf_counter() - started:.1f} s; {args.require}, "
          f"{args.replications} replications per staffing")
    least = None
    for confidence in [0.5, *(float(c) for c in args.confidence.split(","))]:
        started = time.perf_counter()
        plan = staff(cal.scenario, args.require, replications=args.replications, confidence=confidence)
        hours = plan.agent_hours()
        least = least or hours["simulation"]
        measured = plan.table[plan.table["measured"]]
        print(f"confidence {confidence:.2f}: {hours['simulation']:7.1f} agent-hours a week "
              f"({hours['simulation'] / least - 1:+.1%} on the least), {plan.met_share():.0%} of "
              f"{len(measured)} measured intervals meet on fresh replications; Erlang A {hours['erlang_a']:.1f}, "
              f"Erlang C {hours['erlang_c']:.1f}; shifts {hours['shifts']:.1f}; {plan.evaluations} staffings "
              f"simulated in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
